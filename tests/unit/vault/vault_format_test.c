/*
 * vault_format_test.c: the vault file format, in process.
 *
 * - every single-byte change (XOR 0x01 and 0xff) at every offset and every
 *   truncation is refused, with the code of the part that was hit;
 * - the AEAD, not just the unkeyed checksums, authenticates every byte: with
 *   the checksums recomputed after a change, decoding with the right key still
 *   fails; and the header is bound into the entries too (re-wrapping the data
 *   key over a changed header still fails on the entries);
 * - the plaintext entry encoding: round trip, canonical order, limits;
 * - the committed fuzz corpus: valid-* seeds decode with the fixed fuzz key,
 *   damaged-* do not.
 *
 * usage: vault_format_test CORPUS_DIR
 */
#include <dirent.h>
#include <sodium.h>

#include "vault_test_util.h"

static char *dir, *path;
static uint8_t *orig;
static size_t orig_len;

/* The code a change at `off` must produce (the part that owns the byte). */
static int
expected_code(size_t off)
{
	if (off == 8 || off == 9)
		return DD_VAULT_ERR_VERSION;
	if (off < VAULT_OFF_KNONCE)
		return DD_VAULT_ERR_DAMAGED_HEADER;
	if (off < VAULT_OFF_ENONCE)
		return DD_VAULT_ERR_DAMAGED_KEY;
	return DD_VAULT_ERR_DAMAGED_ENTRIES;
}

static int
open_bytes(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct dd_vault *v = NULL;
	test_spit(path, buf, len);
	int rc = dd_vault_open(path, TEST_PASS, TEST_PASSLEN, &v, err, errlen);
	dd_vault_close(v);
	return rc;
}

static void
test_every_byte(uint8_t mask)
{
	uint8_t *buf = xmalloc(orig_len);
	char err[512];
	size_t bad = 0;
	for (size_t off = 0; off < orig_len; off++) {
		memcpy(buf, orig, orig_len);
		buf[off] ^= mask;
		int rc = open_bytes(buf, orig_len, err, sizeof(err));
		if (rc != expected_code(off)) {
			if (bad++ < 5)
				diag("offset %zu ^0x%02x: code %d (%s)", off, mask, rc, err);
		}
	}
	ok(bad == 0, "each of %zu bytes XOR 0x%02x is refused as the part it belongs to", orig_len,
	    mask);
	free(buf);
}

static void
test_truncations(void)
{
	char err[512];
	size_t bad = 0;
	for (size_t len = 0; len < orig_len; len++) {
		int rc = open_bytes(orig, len, err, sizeof(err));
		if (rc != DD_VAULT_ERR_TRUNCATED && bad++ < 5)
			diag("length %zu: code %d (%s)", len, rc, err);
	}
	ok(bad == 0, "every truncation (0..%zu bytes) is refused as truncated", orig_len - 1);
	uint8_t *longer = xmalloc(orig_len + 1);
	memcpy(longer, orig, orig_len);
	longer[orig_len] = 0;
	is_int(open_bytes(longer, orig_len + 1, err, sizeof(err)), DD_VAULT_ERR_DAMAGED_ENTRIES,
	    "one byte appended is refused");
	free(longer);
	is_int(open_bytes(orig, orig_len, err, sizeof(err)), 0, "the untouched file still opens");
}

static void
derive(const uint8_t *buf, size_t len, uint8_t *kek)
{
	struct vault_header h;
	char err[256];
	if (vault_header_read(buf, len, &h, err, sizeof(err)) != 0 ||
	    vault_derive_kek(&h, TEST_PASS, TEST_PASSLEN, kek, err, sizeof(err)) != 0)
		bail_out("derive: %s", err);
}

/* With the checksums recomputed, the AEAD tags alone must catch every change. */
static void
test_aead_covers_all(void)
{
	uint8_t kek[VAULT_KEY_LEN], dek[VAULT_KEY_LEN];
	uint8_t *buf = xmalloc(orig_len);
	size_t bad = 0, n = 0;
	derive(orig, orig_len, kek);
	for (size_t off = 0; off < orig_len; off++) {
		if ((off >= VAULT_OFF_HCHECK && off < VAULT_OFF_KNONCE) ||
		    (off >= VAULT_OFF_KCHECK && off < VAULT_OFF_ENONCE))
			continue; /* the checks themselves are recomputed */
		memcpy(buf, orig, orig_len);
		buf[off] ^= 0x01;
		vault_fix_checks(buf, orig_len);
		struct vault_entries e;
		vault_entries_init(&e);
		char err[256];
		int rc = vault_decode(buf, orig_len, kek, dek, &e, err, sizeof(err));
		vault_entries_free(&e);
		n++;
		if (rc == 0 && bad++ < 5)
			diag("offset %zu: accepted with recomputed checksums", off);
	}
	ok(bad == 0, "with checksums recomputed, all %zu changed files are still refused", n);
	sodium_memzero(kek, sizeof(kek));
	free(buf);
}

/* An attacker holding the KEK re-wraps the data key over a changed header. */
static void
rewrap(uint8_t *buf, const uint8_t *kek, const uint8_t *dek)
{
	vault_fix_checks(buf, orig_len); /* header check first: it is in the wrap's AD */
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + VAULT_OFF_WRAPPED, NULL, dek,
	    VAULT_KEY_LEN, buf, VAULT_OFF_KNONCE, NULL, buf + VAULT_OFF_KNONCE, kek);
	vault_fix_checks(buf, orig_len);
}

static void
test_entries_bind_header(void)
{
	uint8_t kek[VAULT_KEY_LEN], dek[VAULT_KEY_LEN];
	uint8_t *buf = xmalloc(orig_len);
	struct vault_entries e;
	char err[256];
	size_t bad = 0, n = 0;
	derive(orig, orig_len, kek);
	vault_entries_init(&e);
	if (vault_decode(orig, orig_len, kek, dek, &e, err, sizeof(err)) != 0)
		bail_out("decode: %s", err);
	vault_entries_free(&e);
	memcpy(buf, orig, orig_len);
	rewrap(buf, kek, dek);
	is_int(vault_decode(buf, orig_len, kek, dek, &e, err, sizeof(err)), 0,
	    "re-wrapping the same header keeps the file valid (the helper is right)");
	vault_entries_free(&e);
	for (size_t off = 0; off < VAULT_OFF_WRAPPED; off++) {
		if (off >= VAULT_OFF_HCHECK && off < VAULT_OFF_KNONCE)
			continue;
		memcpy(buf, orig, orig_len);
		buf[off] ^= 0x01;
		rewrap(buf, kek, dek);
		struct vault_header h;
		if (vault_header_read(buf, orig_len, &h, err, sizeof(err)) != 0)
			continue; /* refused before any key: covered above */
		n++;
		int rc = vault_decode(buf, orig_len, kek, dek, &e, err, sizeof(err));
		vault_entries_free(&e);
		if (rc != DD_VAULT_ERR_DAMAGED_ENTRIES && bad++ < 5)
			diag("offset %zu: code %d (%s)", off, rc, err);
	}
	ok(n > 40 && bad == 0,
	    "the entries' AD binds the header and key block (%zu re-wrapped changes refused)", n);
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(dek, sizeof(dek));
	free(buf);
}

static void
test_version_and_kdf_bounds(void)
{
	uint8_t *buf = xmalloc(orig_len);
	char err[512];
	memcpy(buf, orig, orig_len);
	buf[8] = 2;
	vault_fix_checks(buf, orig_len);
	is_int(open_bytes(buf, orig_len, err, sizeof(err)), DD_VAULT_ERR_VERSION,
	    "major version 2 is refused as an unknown version");
	ok(strstr(err, "unknown vault format version 2.0") != NULL, "which says so: %s", err);

	memcpy(buf, orig, orig_len);
	buf[10] = 7; /* a newer minor of the same major is readable */
	vault_fix_checks(buf, orig_len);
	uint8_t kek[VAULT_KEY_LEN];
	derive(buf, orig_len, kek);
	struct vault_header h;
	is_int(vault_header_read(buf, orig_len, &h, err, sizeof(err)), 0,
	    "a newer minor version passes the header checks");
	is_int(h.minor, 7, "and the minor is read");

	uint64_t big = (4ULL << 30) + 1;
	memcpy(buf, orig, orig_len);
	for (int i = 0; i < 8; i++)
		buf[24 + i] = (uint8_t)(big >> (8 * i));
	vault_fix_checks(buf, orig_len);
	int64_t t0 = dd_now_mono_ns();
	is_int(open_bytes(buf, orig_len, err, sizeof(err)), DD_VAULT_ERR_DAMAGED_HEADER,
	    "a memlimit above 4 GiB is a damaged header");
	ok(dd_now_mono_ns() - t0 < 2000000000LL, "refused before running the KDF");
	ok(strstr(err, "KDF parameters out of range") != NULL, "message: %s", err);

	memcpy(buf, orig, orig_len);
	buf[16] = 65;
	vault_fix_checks(buf, orig_len);
	is_int(open_bytes(buf, orig_len, err, sizeof(err)), DD_VAULT_ERR_DAMAGED_HEADER,
	    "an opslimit above 64 is a damaged header");
	free(buf);
}

static void
test_wrong_passphrase(void)
{
	struct dd_vault *v = NULL;
	char err[512];
	test_spit(path, orig, orig_len);
	int rc = dd_vault_open(path, "not it", 6, &v, err, sizeof(err));
	is_int(rc, DD_VAULT_ERR_WRONG_PASSPHRASE, "a wrong passphrase has its own code");
	ok(strstr(err, "wrong passphrase") && !strstr(err, "damaged"), "message: %s", err);
	ok(v == NULL, "and no vault is returned");
}

/* A plaintext builder for hand-made entry buffers. */
struct pbuf {
	uint8_t b[1024];
	size_t n;
};

static void
p_int(struct pbuf *p, size_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

static void
p_str(struct pbuf *p, const char *s, size_t width)
{
	p_int(p, strlen(s), width);
	memcpy(p->b + p->n, s, strlen(s));
	p->n += strlen(s);
}

static void
p_entry(struct pbuf *p, const char *name, const char *user, const char *pw, int nf)
{
	p_str(p, name, 1);
	p_str(p, user, 1);
	p_str(p, pw, 2);
	p_int(p, (size_t)nf, 1);
}

static int
parse(const struct pbuf *p)
{
	struct vault_entries e;
	char err[256];
	vault_entries_init(&e);
	int rc = vault_entries_parse(p->b, p->n, &e, err, sizeof(err));
	vault_entries_free(&e);
	return rc;
}

static void
test_plaintext_roundtrip(void)
{
	struct vault_entries e, back;
	struct dd_vault_field f[2] = {{"sslpassword", "ssl-secret"}, {"sslmode", ""}};
	struct dd_credential c1 = {"zeta", "z", "pz", 2, f}, c2 = {"alpha", "a", "", 0, NULL};
	char err[256];
	size_t n1, n2;
	vault_entries_init(&e);
	vault_entries_init(&back);
	vault_entries_put(&e, vault_entry_new(&c1, err, sizeof(err)));
	vault_entries_put(&e, vault_entry_new(&c2, err, sizeof(err)));
	uint8_t *s1 = vault_entries_serialize(&e, &n1);
	is_int(vault_entries_parse(s1, n1, &back, err, sizeof(err)), 0, "plaintext parses back");
	uint8_t *s2 = vault_entries_serialize(&back, &n2);
	ok(n1 == n2 && memcmp(s1, s2, n1) == 0, "and serializes to the same bytes");
	is_int((long long)back.n, 2, "two entries");
	is_str(back.v[0]->name, "alpha", "sorted by name");
	is_str(dd_credential_field(back.v[1], "sslpassword"), "ssl-secret", "field value kept");
	is_str(dd_credential_field(back.v[1], "sslmode"), "", "empty field value kept");
	ok(dd_credential_field(back.v[1], "nope") == NULL, "absent field is NULL");
	sodium_free(s1);
	sodium_free(s2);
	vault_entries_free(&e);
	vault_entries_free(&back);
}

static void
test_plaintext_refusals(void)
{
	struct pbuf p;
#define CASE(setup, want, what)                                                                    \
	do {                                                                                       \
		memset(&p, 0, sizeof(p));                                                          \
		setup;                                                                             \
		is_int(parse(&p), want, what);                                                     \
	} while (0)
	CASE(p_int(&p, 0, 4), 0, "an empty list parses");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "u", "p", 0), 0, "one entry parses");
	CASE(p_int(&p, 0, 3), DD_VAULT_ERR_DAMAGED_ENTRIES, "a short count is refused");
	CASE(p_int(&p, 1, 4), DD_VAULT_ERR_DAMAGED_ENTRIES, "a missing entry is refused");
	CASE(p_int(&p, 5000, 4), DD_VAULT_ERR_DAMAGED_ENTRIES, "a huge count is refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a b", "u", "p", 0), DD_VAULT_ERR_DAMAGED_ENTRIES,
	     "a bad name is refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "", "p", 0), DD_VAULT_ERR_DAMAGED_ENTRIES,
	     "an empty user is refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "u\x1b[2J", "p", 0), DD_VAULT_ERR_DAMAGED_ENTRIES,
	     "a user with control characters is refused");
	CASE(p_int(&p, 2, 4); p_entry(&p, "b", "u", "p", 0); p_entry(&p, "a", "u", "p", 0),
	     DD_VAULT_ERR_DAMAGED_ENTRIES, "entries out of order are refused");
	CASE(p_int(&p, 2, 4); p_entry(&p, "a", "u", "p", 0); p_entry(&p, "a", "u", "p", 0),
	     DD_VAULT_ERR_DAMAGED_ENTRIES, "duplicate names are refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "u", "p", 0); p_int(&p, 0, 1),
	     DD_VAULT_ERR_DAMAGED_ENTRIES, "a stray byte after the last entry is refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "u", "p", 1); p_str(&p, "user", 1);
	     p_str(&p, "x", 2), DD_VAULT_ERR_DAMAGED_ENTRIES, "a field named user is refused");
	CASE(p_int(&p, 1, 4); p_entry(&p, "a", "u", "p", 2); p_str(&p, "k", 1); p_str(&p, "x", 2);
	     p_str(&p, "k", 1);
	     p_str(&p, "y", 2), DD_VAULT_ERR_DAMAGED_ENTRIES, "a field given twice is refused");
	CASE(p_int(&p, 1, 4);
	     p_entry(&p, "a", "u", "p", 33), DD_VAULT_ERR_DAMAGED_ENTRIES, "33 fields are refused");
	CASE(p_int(&p, 1, 4); p_str(&p, "a", 1); p_str(&p, "u", 1); p_int(&p, 3, 2);
	     p.b[p.n++] = 'x';, DD_VAULT_ERR_DAMAGED_ENTRIES, "a password longer than the rest");
	CASE(p_int(&p, 1, 4); p_str(&p, "a", 1); p_str(&p, "u", 1); p_int(&p, 3, 2);
	     memcpy(p.b + p.n, "x\0y", 3); p.n += 3;
	     p_int(&p, 0, 1), DD_VAULT_ERR_DAMAGED_ENTRIES, "a NUL inside a password is refused");
#undef CASE
}

static void
test_plaintext(void)
{
	test_plaintext_roundtrip();
	test_plaintext_refusals();
}

/* The committed fuzz corpus: valid-* decode with the fixed key, damaged-* fail. */
static void
test_corpus(const char *cdir)
{
	uint8_t kek[VAULT_KEY_LEN], dek[VAULT_KEY_LEN];
	struct dirent **names;
	int n = scandir(cdir, &names, NULL, alphasort);
	size_t valid = 0, damaged = 0, wrong = 0;
	if (n < 0)
		bail_out("cannot read %s", cdir);
	test_fuzz_kek(kek);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		bool is_valid = strncmp(nm, "valid-", 6) == 0;
		bool is_damaged = strncmp(nm, "damaged-", 8) == 0;
		if (is_valid || is_damaged) {
			char *fp = xasprintf("%s/%s", cdir, nm), err[256];
			size_t len;
			uint8_t *buf = test_slurp(fp, &len);
			struct vault_entries e;
			vault_entries_init(&e);
			int rc = vault_decode(buf, len, kek, dek, &e, err, sizeof(err));
			if ((rc == 0) != is_valid && wrong++ < 5)
				diag("%s: code %d (%s)", nm, rc, rc ? err : "accepted");
			valid += is_valid;
			damaged += is_damaged;
			vault_entries_free(&e);
			free(buf);
			free(fp);
		}
		free(names[i]);
	}
	free(names);
	ok(valid >= 2 && damaged >= 2 && wrong == 0,
	    "fuzz corpus: %zu valid seeds decode with the fixed key, %zu damaged ones do not",
	    valid, damaged);
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		bail_out("usage: vault_format_test CORPUS_DIR");
	dir = test_tmpdir();
	path = xasprintf("%s/vault", dir);
	test_make_cheap(path);
	struct dd_vault *v = test_open(path);
	test_set(v, "orders-ops", "alice", "hunter2");
	test_set(v, "billing", "bob", "s3cr3t-pw");
	if (dd_vault_save(v, NULL, 0) != 0)
		bail_out("save");
	dd_vault_close(v);
	orig = test_slurp(path, &orig_len);
	diag("test vault: %zu bytes", orig_len);

	test_every_byte(0x01);
	test_every_byte(0xff);
	test_truncations();
	test_aead_covers_all();
	test_entries_bind_header();
	test_version_and_kdf_bounds();
	test_wrong_passphrase();
	test_plaintext();
	test_corpus(argv[1]);

	free(orig);
	test_rmrf(dir);
	free(path);
	free(dir);
	return tap_done();
}
