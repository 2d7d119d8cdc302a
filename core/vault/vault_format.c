/*
 * vault_format.c: reading and writing the vault file's bytes (layout in
 * vault_format.h). No file system here: vault_file.c moves the bytes, vault.c
 * holds the keys. Checks run cheapest first, so a damaged header is reported
 * before the (slow) KDF and a wrong passphrase is told apart from damage.
 */
#include "vault/vault_format.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void
sodium_start(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "dbdeck: libsodium failed to initialise\n");
		abort();
	}
}

void
vault_sodium_init(void)
{
	pthread_once(&sodium_once, sodium_start);
}

void *
vault_smalloc(size_t n)
{
	vault_sodium_init();
	void *p = sodium_malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "dbdeck: out of secure memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void
check_of(const uint8_t *p, size_t len, uint8_t out[VAULT_CHECK_LEN])
{
	crypto_generichash(out, VAULT_CHECK_LEN, p, len, NULL, 0);
}

static bool
check_ok(const uint8_t *p, size_t len, const uint8_t *want)
{
	uint8_t got[VAULT_CHECK_LEN];
	check_of(p, len, got);
	return memcmp(got, want, VAULT_CHECK_LEN) == 0;
}

void
vault_fix_checks(uint8_t *buf, size_t len)
{
	if (len < VAULT_PREFIX_LEN)
		return;
	check_of(buf, VAULT_OFF_HCHECK, buf + VAULT_OFF_HCHECK);
	check_of(
	    buf + VAULT_OFF_KNONCE, VAULT_OFF_KCHECK - VAULT_OFF_KNONCE, buf + VAULT_OFF_KCHECK);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Magic and version: what must hold before the rest of the layout is known. */
static int
check_magic_version(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	size_t m = len < VAULT_MAGIC_LEN ? len : VAULT_MAGIC_LEN;
	if (memcmp(buf, VAULT_MAGIC, m) != 0) {
		dd_seterr(err, errlen, "damaged header: bad magic, not a dbdeck vault");
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	if (len < 12) {
		dd_seterr(err, errlen, "truncated: %zu bytes, a vault has at least %d", len,
		    VAULT_PREFIX_LEN + VAULT_TAG_LEN);
		return DD_VAULT_ERR_TRUNCATED;
	}
	uint16_t major = get16(buf + 8);
	if (major != VAULT_MAJOR) {
		dd_seterr(err, errlen,
		    "unknown vault format version %u.%u (this dbdeck reads version %d); "
		    "it was written by another dbdeck version, or it is damaged",
		    major, get16(buf + 10), VAULT_MAJOR);
		return DD_VAULT_ERR_VERSION;
	}
	return 0;
}

static void
header_fields(const uint8_t *buf, struct vault_header *h)
{
	h->major = get16(buf + 8);
	h->minor = get16(buf + 10);
	h->kdf = buf[12];
	h->opslimit = get64(buf + 16);
	h->memlimit = get64(buf + 24);
	memcpy(h->salt, buf + 32, VAULT_SALT_LEN);
	h->sealed_len = get32(buf + 48);
}

/* Field values, once the checksum says the bytes are what was written. */
static int
check_fields(const uint8_t *buf, const struct vault_header *h, char *err, size_t errlen)
{
	if (!all_zero(buf + 13, 3) || !all_zero(buf + 52, 12)) {
		dd_seterr(err, errlen, "damaged header: reserved bytes are not zero");
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	if (h->kdf != VAULT_KDF_ARGON2ID13) {
		dd_seterr(err, errlen, "damaged header: unknown KDF id %u", h->kdf);
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	if (h->opslimit < crypto_pwhash_OPSLIMIT_MIN || h->opslimit > VAULT_OPSLIMIT_MAX ||
	    h->memlimit < crypto_pwhash_MEMLIMIT_MIN || h->memlimit > VAULT_MEMLIMIT_MAX) {
		dd_seterr(err, errlen,
		    "damaged header: KDF parameters out of range (opslimit %llu, memlimit %llu)",
		    (unsigned long long)h->opslimit, (unsigned long long)h->memlimit);
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	if (h->sealed_len < VAULT_TAG_LEN || h->sealed_len > VAULT_SEALED_MAX) {
		dd_seterr(
		    err, errlen, "damaged header: entries length %u out of range", h->sealed_len);
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	return 0;
}

int
vault_header_read(const uint8_t *buf, size_t len, struct vault_header *h, char *err, size_t errlen)
{
	vault_sodium_init();
	int rc = check_magic_version(buf, len, err, errlen);
	if (rc != 0)
		return rc;
	if (len < VAULT_PREFIX_LEN) {
		dd_seterr(err, errlen, "truncated: %zu bytes, a vault has at least %d", len,
		    VAULT_PREFIX_LEN + VAULT_TAG_LEN);
		return DD_VAULT_ERR_TRUNCATED;
	}
	if (!check_ok(buf, VAULT_OFF_HCHECK, buf + VAULT_OFF_HCHECK)) {
		dd_seterr(err, errlen, "damaged header: checksum mismatch");
		return DD_VAULT_ERR_DAMAGED_HEADER;
	}
	if (!check_ok(buf + VAULT_OFF_KNONCE, VAULT_OFF_KCHECK - VAULT_OFF_KNONCE,
	        buf + VAULT_OFF_KCHECK)) {
		dd_seterr(err, errlen, "damaged key block: checksum mismatch");
		return DD_VAULT_ERR_DAMAGED_KEY;
	}
	header_fields(buf, h);
	rc = check_fields(buf, h, err, errlen);
	if (rc != 0)
		return rc;
	size_t want = (size_t)VAULT_PREFIX_LEN + h->sealed_len;
	if (len < want) {
		dd_seterr(err, errlen, "truncated: %zu bytes, the header says %zu", len, want);
		return DD_VAULT_ERR_TRUNCATED;
	}
	if (len > want) {
		dd_seterr(err, errlen, "damaged entries: %zu bytes of trailing data", len - want);
		return DD_VAULT_ERR_DAMAGED_ENTRIES;
	}
	return 0;
}

static int
open_entries(const uint8_t *buf, const struct vault_header *h, const uint8_t *dek,
    struct vault_entries *out, char *err, size_t errlen)
{
	size_t plen = h->sealed_len - VAULT_TAG_LEN;
	uint8_t *plain = vault_smalloc(plen);
	unsigned long long got = 0;
	int rc = DD_VAULT_ERR_DAMAGED_ENTRIES;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, NULL, buf + VAULT_PREFIX_LEN,
	        h->sealed_len, buf, VAULT_PREFIX_LEN, buf + VAULT_OFF_ENONCE, dek) != 0) {
		dd_seterr(err, errlen, "damaged entries: authentication failed");
		goto out;
	}
	rc = vault_entries_parse(plain, (size_t)got, out, err, errlen);
out:
	sodium_free(plain);
	return rc;
}

int
vault_decode(const uint8_t *buf, size_t len, const uint8_t *kek, uint8_t *dek,
    struct vault_entries *out, char *err, size_t errlen)
{
	struct vault_header h;
	unsigned long long dlen = 0;
	int rc = vault_header_read(buf, len, &h, err, errlen);
	if (rc != 0)
		return rc;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek, &dlen, NULL, buf + VAULT_OFF_WRAPPED,
	        VAULT_KEY_LEN + VAULT_TAG_LEN, buf, VAULT_OFF_KNONCE, buf + VAULT_OFF_KNONCE,
	        kek) != 0) {
		dd_seterr(err, errlen, "wrong passphrase");
		return DD_VAULT_ERR_WRONG_PASSPHRASE;
	}
	return open_entries(buf, &h, dek, out, err, errlen);
}

static void
header_write(uint8_t *buf, const struct vault_header *h)
{
	memset(buf, 0, VAULT_OFF_HCHECK);
	memcpy(buf, VAULT_MAGIC, VAULT_MAGIC_LEN);
	put16(buf + 8, h->major);
	put16(buf + 10, h->minor);
	buf[12] = h->kdf;
	put64(buf + 16, h->opslimit);
	put64(buf + 24, h->memlimit);
	memcpy(buf + 32, h->salt, VAULT_SALT_LEN);
	put32(buf + 48, h->sealed_len);
}

uint8_t *
vault_encode(struct vault_header *h, const uint8_t *kek, const uint8_t *dek,
    const struct vault_entries *e, size_t *outlen)
{
	size_t plen;
	uint8_t *plain = vault_entries_serialize(e, &plen);
	h->sealed_len = (uint32_t)(plen + VAULT_TAG_LEN);
	size_t total = VAULT_PREFIX_LEN + h->sealed_len;
	uint8_t *buf = xcalloc(1, total);

	header_write(buf, h);
	check_of(buf, VAULT_OFF_HCHECK, buf + VAULT_OFF_HCHECK);
	randombytes_buf(buf + VAULT_OFF_KNONCE, VAULT_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + VAULT_OFF_WRAPPED, NULL, dek,
	    VAULT_KEY_LEN, buf, VAULT_OFF_KNONCE, NULL, buf + VAULT_OFF_KNONCE, kek);
	check_of(
	    buf + VAULT_OFF_KNONCE, VAULT_OFF_KCHECK - VAULT_OFF_KNONCE, buf + VAULT_OFF_KCHECK);
	randombytes_buf(buf + VAULT_OFF_ENONCE, VAULT_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + VAULT_PREFIX_LEN, NULL, plain, plen, buf,
	    VAULT_PREFIX_LEN, NULL, buf + VAULT_OFF_ENONCE, dek);
	sodium_free(plain);
	*outlen = total;
	return buf;
}

int
vault_derive_kek(const struct vault_header *h, const char *pass, size_t passlen, uint8_t *kek,
    char *err, size_t errlen)
{
	vault_sodium_init();
	if (crypto_pwhash(kek, VAULT_KEY_LEN, pass, passlen, h->salt, h->opslimit,
	        (size_t)h->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		dd_seterr(err, errlen, "key derivation failed (out of memory for %llu MiB?)",
		    (unsigned long long)(h->memlimit >> 20));
		return DD_VAULT_ERR_IO;
	}
	return 0;
}

void
vault_kdf_params(enum dd_vault_kdf kdf, uint64_t *ops, uint64_t *mem)
{
	switch (kdf) {
	case DD_VAULT_KDF_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		return;
	case DD_VAULT_KDF_SENSITIVE:
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		return;
	case DD_VAULT_KDF_MODERATE:
	default:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return;
	}
}
