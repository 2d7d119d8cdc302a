#!/usr/bin/env python3
"""backup-decrypt.py BACKUP_DIR [SECRET_FILE] > DUMP

Restoring a dbdeck backup on a machine without dbdeck (docs/backups.md,
"Restoring without dbdeck"). Checks the manifest's own checksum and the
dump file's SHA-256, then writes the dump as the engine's tool wrote it to
stdout: pg_dump's custom format as is; for MariaDB the zstd stream (pipe it
through `zstd -d`). An encrypted backup needs the backup key's secret (the
password of the vault entry named by backup_key), read from the first line
of SECRET_FILE, or from stdin when SECRET_FILE is "-" or missing; never
from the command line. Needs Python 3 and PyNaCl (Debian: python3-nacl).
Exit 0, or 1 with the reason on stderr.
"""
import hashlib
import json
import sys

CHECK_KEY = b'"manifest_sha256": "'
TAIL = b'"\n}\n'
FP_CONTEXT = b"dbdeck-backup-fingerprint-v1"
IO = 1 << 20


def fail(msg):
    sys.stderr.write("backup-decrypt: %s\n" % msg)
    sys.exit(1)


def read_manifest(d):
    try:
        text = open(d + "/manifest.json", "rb").read()
    except OSError as e:
        fail("manifest.json: %s" % e.strerror)
    i = len(text) - len(TAIL) - 64 - len(CHECK_KEY)
    if i < 0 or not text.endswith(TAIL) or text[i:i + len(CHECK_KEY)] != CHECK_KEY:
        fail("manifest.json: damaged (it does not end with its manifest_sha256)")
    if hashlib.sha256(text[:i]).hexdigest().encode() != text[i + len(CHECK_KEY):-len(TAIL)]:
        fail("manifest.json: damaged (its checksum does not match its content)")
    m = json.loads(text)
    if m.get("format") != "dbdeck-backup-1":
        fail("manifest.json: unknown format %r" % m.get("format"))
    return m


def check_file(path, m):
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(IO), b""):
            h.update(block)
            size += len(block)
    if size != m["bytes_stored"] or h.hexdigest() != m["sha256"]:
        fail("%s: damaged (size or SHA-256 differs from the manifest)" % path)


def data_key(m, secret):
    from nacl import bindings as b
    from nacl.hash import blake2b
    from nacl.encoding import RawEncoder

    e = m["encryption"]
    kek = b.crypto_pwhash_alg(32, secret, bytes.fromhex(e["kdf_salt"]), e["kdf_opslimit"],
                              e["kdf_memlimit"], b.crypto_pwhash_ALG_ARGON2ID13)
    fp = blake2b(FP_CONTEXT, digest_size=16, key=kek, encoder=RawEncoder).hex()
    if fp != e["key_fingerprint"]:
        fail("wrong key: the backup needs fingerprint %s, this secret gives %s"
             % (e["key_fingerprint"][:16], fp[:16]))
    return b.crypto_aead_xchacha20poly1305_ietf_decrypt(
        bytes.fromhex(e["wrapped_key"]), m["id"].encode(), bytes.fromhex(e["wrap_nonce"]), kek)


def decrypt(path, m, dk, out):
    from nacl import bindings as b

    chunk = m["encryption"]["chunk_bytes"] + b.crypto_secretstream_xchacha20poly1305_ABYTES
    state = b.crypto_secretstream_xchacha20poly1305_state()
    with open(path, "rb") as f:
        b.crypto_secretstream_xchacha20poly1305_init_pull(
            state, f.read(b.crypto_secretstream_xchacha20poly1305_HEADERBYTES), dk)
        while True:
            sealed = f.read(chunk)
            if not sealed:
                fail("%s: truncated (no final chunk)" % path)
            msg, tag = b.crypto_secretstream_xchacha20poly1305_pull(state, sealed, None)
            out.write(msg)
            if tag == b.crypto_secretstream_xchacha20poly1305_TAG_FINAL:
                break
        if f.read(1):
            fail("%s: data after the final chunk" % path)


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        sys.exit(2)
    d = sys.argv[1].rstrip("/")
    m = read_manifest(d)
    path = d + "/" + m["file"]
    check_file(path, m)
    out = sys.stdout.buffer
    if m["encryption"] is None:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(IO), b""):
                out.write(block)
        return
    src = sys.stdin if len(sys.argv) == 2 or sys.argv[2] == "-" else open(sys.argv[2])
    secret = src.readline().rstrip("\r\n").encode()
    decrypt(path, m, data_key(m, secret), out)


if __name__ == "__main__":
    main()
