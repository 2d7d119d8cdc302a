#!/usr/bin/env python3
"""fake_server.py: a hostile stand-in for a database server, for the wire tests.

It plays the man in the middle of docs/security.md ("Credentials on the
wire"): it answers the client's greeting like a PostgreSQL or MariaDB server
would, then asks for the password in a form that reveals it (clear text, an
md5 hash, MariaDB's mysql_clear_password or dialog plugins). Whatever the
client sends is recorded, so the test can check that the password never
arrived (auth = strict) or that it did (auth = any, which proves the test
can fail).

    fake_server.py --engine pg|my --ask WHAT [--tls none|offer]
                   [--cert PEM --key KEY] --record FILE [--lifetime SECONDS]

It listens on 127.0.0.1 (a free port, printed on stdout as the first line),
serves every connection on its own thread until killed or until --lifetime
seconds have passed, and appends to FILE one line per event:

    conn N: <event>
    conn N: got HEX          (every byte received after TLS is removed, in hex)

PostgreSQL --ask: cleartext (AuthenticationCleartextPassword), md5
(AuthenticationMD5Password), sasl-cleartext (a SASL request and, in the same
segment, a clear-text request, as a server racing the client would), proxy (no TLS, then an honest
relay to the real server on --upstream PORT: a server without TLS).
MariaDB --ask: clear (the greeting names mysql_clear_password), switch-clear
(mysql_native_password, then an AuthSwitchRequest to mysql_clear_password),
switch-dialog (the same to dialog, with a password question), stall (no
answer to the handshake response: the client's deadline passes).

--tls offer: PostgreSQL answers an SSLRequest with 'S'; MariaDB sets
CLIENT_SSL. Either then does the TLS handshake with --cert/--key. The
default, none, refuses TLS (PostgreSQL 'N', no CLIENT_SSL), as a man in the
middle would.

Python 3 standard library only.
"""
import argparse
import select
import socket
import ssl
import struct
import sys
import threading
import time

LOCK = threading.Lock()


class Conn:
    """One client connection: reads with a timeout and records what arrives."""

    def __init__(self, sock, num, record):
        self.sock = sock
        self.num = num
        self.record = record
        self.buf = b""

    def log(self, text):
        with LOCK:
            with open(self.record, "a") as f:
                f.write("conn %d: %s\n" % (self.num, text))

    def recv_some(self, most=65536):
        try:
            data = self.sock.recv(most)
        except (socket.timeout, OSError, ssl.SSLError):
            data = b""
        if data:
            self.log("got " + data.hex())
        return data

    def read(self, n):
        """Exactly n bytes, never more: what follows may be a TLS handshake."""
        while len(self.buf) < n:
            data = self.recv_some(n - len(self.buf))
            if not data:
                return None
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def drain(self, seconds=1.0):
        """Records whatever the client still sends, until it closes or goes quiet."""
        end = time.monotonic() + seconds
        if self.buf:
            self.log("unread " + self.buf.hex())
            self.buf = b""
        while time.monotonic() < end:
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            if not self.recv_some():
                break

    def start_tls(self, args):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if self.buf:
            self.log("plaintext before TLS " + self.buf.hex())
            self.buf = b""
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.log("tls " + self.sock.version())


# --- PostgreSQL ---------------------------------------------------------------

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104


def pg_msg(kind, payload):
    return kind + struct.pack("!I", len(payload) + 4) + payload


def pg_auth(code, extra=b""):
    return pg_msg(b"R", struct.pack("!I", code) + extra)


def pg_error(sqlstate, text):
    fields = b"SFATAL\0VFATAL\0C" + sqlstate + b"\0M" + text + b"\0\0"
    return pg_msg(b"E", fields)


def pg_startup(c, args):
    """Reads packets until the startup packet (kept in c.startup); answers SSL/GSS requests."""
    while True:
        head = c.read(4)
        if head is None:
            return False
        (n,) = struct.unpack("!I", head)
        if n < 8 or n > 10000:
            c.log("bad startup length %d" % n)
            return False
        body = c.read(n - 4)
        if body is None:
            return False
        (code,) = struct.unpack("!I", body[:4])
        if code == SSL_REQUEST and args.tls == "offer":
            c.log("ssl request: S")
            c.sock.sendall(b"S")
            c.start_tls(args)
        elif code in (SSL_REQUEST, GSS_REQUEST):
            c.log("ssl/gss request: N")
            c.sock.sendall(b"N")
        else:
            c.log("startup")
            c.startup = head + body
            return True


def pg_proxy(c, args):
    """An honest relay to a real server, without TLS: what a server without TLS looks like."""
    up = socket.create_connection(("127.0.0.1", args.upstream), timeout=5)
    up.sendall(c.startup)
    c.log("relaying to %d" % args.upstream)
    socks = [c.sock, up]
    while True:
        ready, _, _ = select.select(socks, [], [], 5)
        if not ready:
            return
        for r in ready:
            try:
                data = r.recv(65536)
            except OSError:
                data = b""
            if not data:
                up.close()
                return
            if r is c.sock:
                c.log("got " + data.hex())
                up.sendall(data)
            else:
                c.sock.sendall(data)


def serve_pg(c, args):
    if not pg_startup(c, args):
        return
    if args.ask == "proxy":
        pg_proxy(c, args)
        return
    if args.ask == "cleartext":
        c.log("asked cleartext")
        c.sock.sendall(pg_auth(3))
    elif args.ask == "md5":
        c.log("asked md5")
        c.sock.sendall(pg_auth(5, b"salt"))
    elif args.ask == "sasl-cleartext":
        c.log("asked sasl then cleartext")
        c.sock.sendall(pg_auth(10, b"SCRAM-SHA-256\0\0") + pg_auth(3))
    else:
        c.log("unknown --ask")
        return
    c.drain()
    try:
        c.sock.sendall(pg_error(b"28P01", b"password authentication failed for user"))
    except OSError:
        pass


# --- MariaDB ------------------------------------------------------------------

CLIENT_LONG_PASSWORD = 1
CLIENT_CONNECT_WITH_DB = 8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_CONNECT_ATTRS = 0x100000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000


def my_packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def my_read(c):
    head = c.read(4)
    if head is None:
        return None, None
    n = head[0] | head[1] << 8 | head[2] << 16
    body = c.read(n)
    return head[3], body


def my_greeting(args, plugin):
    caps = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 |
            CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS |
            CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC)
    if args.tls == "offer":
        caps |= CLIENT_SSL
    scramble = b"abcdefghijklmnopqrst"
    p = bytes([10]) + b"5.5.5-10.11.0-MariaDB-fake\0"
    p += struct.pack("<I", 7) + scramble[:8] + b"\0"
    p += struct.pack("<H", caps & 0xFFFF) + bytes([45]) + struct.pack("<H", 2)
    p += struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10
    p += scramble[8:] + b"\0" + plugin + b"\0"
    return p


def serve_my(c, args):
    initial = b"mysql_clear_password" if args.ask == "clear" else b"mysql_native_password"
    c.log("greeting " + initial.decode())
    c.sock.sendall(my_packet(0, my_greeting(args, initial)))
    seq, body = my_read(c)
    if body is None:
        c.log("closed before a handshake response")
        return
    (caps,) = struct.unpack("<I", body[:4])
    if caps & CLIENT_SSL and len(body) == 32 and args.tls == "offer":
        c.log("ssl request")
        c.start_tls(args)
        seq, body = my_read(c)
        if body is None:
            c.log("closed after TLS")
            return
    c.log("handshake response")
    if args.ask == "stall":
        c.log("stalling")
        c.drain(seconds=10)
        return
    if args.ask == "switch-clear":
        c.log("asked switch to mysql_clear_password")
        c.sock.sendall(my_packet(seq + 1, b"\xfemysql_clear_password\0"))
    elif args.ask == "switch-dialog":
        c.log("asked switch to dialog")
        c.sock.sendall(my_packet(seq + 1, b"\xfedialog\0\x04Password: \0"))
    c.drain()
    err = b"\xff" + struct.pack("<H", 1045) + b"#28000Access denied for user"
    try:
        c.sock.sendall(my_packet(seq + 2, err))
    except OSError:
        pass


# --- main ---------------------------------------------------------------------


def handle(sock, num, args):
    c = Conn(sock, num, args.record)
    c.log("accepted")
    sock.settimeout(5)
    try:
        if args.engine == "pg":
            serve_pg(c, args)
        else:
            serve_my(c, args)
    except Exception as e:  # a test tool: record, never crash the listener
        c.log("error %s" % type(e).__name__)
    finally:
        c.log("closed")
        try:
            c.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["pg", "my"], required=True)
    ap.add_argument("--ask", required=True)
    ap.add_argument("--tls", choices=["none", "offer"], default="none")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--record", required=True)
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--upstream", type=int, help="--ask proxy: the real server's port")
    args = ap.parse_args()
    if args.tls == "offer" and not (args.cert and args.key):
        ap.error("--tls offer needs --cert and --key")

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    sys.stdout.write("%d\n" % lsock.getsockname()[1])
    sys.stdout.flush()
    sys.stdout.close()  # the test reads one line and closes its end
    end = time.monotonic() + args.lifetime
    num = 0
    while time.monotonic() < end:
        lsock.settimeout(max(0.1, end - time.monotonic()))
        try:
            sock, _ = lsock.accept()
        except socket.timeout:
            break
        num += 1
        threading.Thread(target=handle, args=(sock, num, args), daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
