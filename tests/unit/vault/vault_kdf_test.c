/*
 * vault_kdf_test.c: a vault made at each KDF level stores libsodium's
 * opslimit/memlimit for that level in its header, opens with them, and the
 * level names parse. Prints (as TAP comments) how long each unlock took.
 * Slow by nature: the sensitive level runs Argon2id over 1 GiB.
 */
#include <sodium.h>

#include "vault_test_util.h"

static void
check_level(const char *dir, enum dd_vault_kdf kdf, uint64_t ops, uint64_t mem)
{
	const char *name = dd_vault_kdf_name(kdf);
	char *p = xasprintf("%s/%s", dir, name), err[512];
	struct vault_header h;
	size_t len;

	is_int(dd_vault_create(p, TEST_PASS, TEST_PASSLEN, kdf, err, sizeof(err)), 0, name);
	uint8_t *buf = test_slurp(p, &len);
	is_int(vault_header_read(buf, len, &h, err, sizeof(err)), 0, "its header parses");
	ok(h.opslimit == ops && h.memlimit == mem,
	    "%s: header stores opslimit %llu, memlimit %llu (libsodium: %llu, %llu)", name,
	    (unsigned long long)h.opslimit, (unsigned long long)h.memlimit, (unsigned long long)ops,
	    (unsigned long long)mem);
	is_int(h.kdf, VAULT_KDF_ARGON2ID13, "KDF id is Argon2id v1.3");

	struct dd_vault *v = NULL;
	int64_t t0 = dd_now_mono_ns();
	int rc = dd_vault_open(p, TEST_PASS, TEST_PASSLEN, &v, err, sizeof(err));
	double secs = (double)(dd_now_mono_ns() - t0) / 1e9;
	is_int(rc, 0, "it opens with the stored parameters");
	diag("%s: unlock took %.2f s", name, secs);
	dd_vault_close(v);
	free(buf);
	free(p);
}

int
main(void)
{
	char *dir = test_tmpdir();
	enum dd_vault_kdf k;

	ok(dd_vault_kdf_from_name("interactive", &k) && k == DD_VAULT_KDF_INTERACTIVE &&
	        dd_vault_kdf_from_name("moderate", &k) && k == DD_VAULT_KDF_MODERATE &&
	        dd_vault_kdf_from_name("sensitive", &k) && k == DD_VAULT_KDF_SENSITIVE,
	    "level names parse");
	ok(!dd_vault_kdf_from_name("fast", &k) && !dd_vault_kdf_from_name(NULL, &k),
	    "unknown level names do not");
	check_level(dir, DD_VAULT_KDF_INTERACTIVE, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	check_level(dir, DD_VAULT_KDF_MODERATE, crypto_pwhash_OPSLIMIT_MODERATE,
	    crypto_pwhash_MEMLIMIT_MODERATE);
	check_level(dir, DD_VAULT_KDF_SENSITIVE, crypto_pwhash_OPSLIMIT_SENSITIVE,
	    crypto_pwhash_MEMLIMIT_SENSITIVE);
	test_rmrf(dir);
	free(dir);
	return tap_done();
}
