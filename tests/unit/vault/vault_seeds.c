/*
 * vault_seeds.c: writes the seed corpus of the vault fuzz target
 * (tests/fuzz/corpus/vault/): valid vault files sealed under the fixed fuzz
 * key (test_fuzz_kek), damaged copies of them, and bare entry plaintexts.
 * vault_format_test checks the committed seeds still decode as named.
 *
 * usage: vault_seeds DIR
 */
#include <sodium.h>

#include "vault_test_util.h"

static const char *out_dir;

static void
put(const char *name, const uint8_t *buf, size_t len)
{
	char *p = xasprintf("%s/%s", out_dir, name);
	test_spit(p, buf, len);
	chmod(p, 0644);
	free(p);
}

static void
add(struct vault_entries *e, const char *name, const char *user, const char *pw, size_t nf,
    const struct dd_vault_field *f)
{
	char err[256];
	struct dd_credential c = {name, user, pw, nf, f};
	struct dd_credential *copy = vault_entry_new(&c, err, sizeof(err));
	if (!copy)
		bail_out("%s", err);
	vault_entries_put(e, copy);
}

static uint8_t *
encode(const struct vault_entries *e, size_t *len)
{
	struct vault_header h = {.major = VAULT_MAJOR,
	    .minor = VAULT_MINOR,
	    .kdf = VAULT_KDF_ARGON2ID13,
	    .opslimit = 2,
	    .memlimit = 64ULL << 20};
	uint8_t kek[VAULT_KEY_LEN], dek[VAULT_KEY_LEN];
	test_fuzz_kek(kek);
	randombytes_buf(h.salt, sizeof(h.salt));
	crypto_aead_xchacha20poly1305_ietf_keygen(dek);
	return vault_encode(&h, kek, dek, e, len);
}

static void
damaged(const char *name, const uint8_t *buf, size_t len, size_t off, uint8_t mask)
{
	uint8_t *c = xmalloc(len);
	memcpy(c, buf, len);
	c[off] ^= mask;
	put(name, c, len);
	free(c);
}

static void
plain(const char *name, const struct vault_entries *e)
{
	size_t n;
	uint8_t *p = vault_entries_serialize(e, &n);
	put(name, p, n);
	sodium_free(p);
}

int
main(int argc, char **argv)
{
	struct vault_entries e;
	struct dd_vault_field f[2] = {{"sslpassword", "ssl-pw"}, {"sslmode", "verify-full"}};
	size_t len;
	if (argc != 2)
		bail_out("usage: vault_seeds DIR");
	out_dir = argv[1];
	vault_entries_init(&e);

	uint8_t *empty = encode(&e, &len);
	put("valid-empty.vault", empty, len);
	free(empty);

	add(&e, "orders-ops", "alice", "hunter2", 0, NULL);
	add(&e, "billing.ro", "bob", "pw-bob", 2, f);
	uint8_t *two = encode(&e, &len);
	put("valid-two.vault", two, len);
	plain("plain-two.bin", &e);
	damaged("damaged-magic.vault", two, len, 0, 0x01);
	damaged("damaged-version.vault", two, len, 8, 0x02);
	damaged("damaged-salt.vault", two, len, 40, 0x01);
	damaged("damaged-key.vault", two, len, VAULT_OFF_WRAPPED + 3, 0xff);
	damaged("damaged-entries.vault", two, len, len - 1, 0x01);
	put("damaged-truncated.vault", two, len - 5);
	free(two);

	add(&e, "x", "u", "", 0, NULL);
	plain("plain-three.bin", &e);
	vault_entries_free(&e);
	printf("seeds written to %s\n", out_dir);
	return 0;
}
