/*
 * fuzz_vault.c: libFuzzer target over the vault file parser and decryption.
 *
 * The KDF is skipped: the input is decoded with a fixed key-encryption key
 * (the same as test_fuzz_kek in tests/unit/vault/vault_test_util.h, so the
 * valid-* seeds of tests/fuzz/corpus/vault/ get past the key unwrap). Since
 * a fuzzer cannot forge Poly1305 tags, the same input is also fed to the
 * plaintext entry parser directly; whatever parses must serialize back to the
 * very same bytes (the encoding is canonical), else the target aborts.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode_file(const uint8_t *data, size_t size)
{
	uint8_t kek[VAULT_KEY_LEN];
	uint8_t *dek = vault_smalloc(VAULT_KEY_LEN);
	struct vault_entries e;
	char err[256] = "";
	for (int i = 0; i < VAULT_KEY_LEN; i++)
		kek[i] = (uint8_t)(0x40 + i);
	vault_entries_init(&e);
	if (vault_decode(data, size, kek, dek, &e, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < e.n; i++)
			if (!dd_vault_name_valid(e.v[i]->name))
				abort();
	} else if (e.n != 0 || err[0] == '\0') {
		abort(); /* a failure leaves no entries and always says why */
	}
	vault_entries_free(&e);
	sodium_free(dek);
}

static void
parse_plain(const uint8_t *data, size_t size)
{
	struct vault_entries e;
	char err[256];
	size_t n;
	vault_entries_init(&e);
	if (vault_entries_parse(data, size, &e, err, sizeof(err)) == 0) {
		uint8_t *back = vault_entries_serialize(&e, &n);
		if (n != size || memcmp(back, data, size) != 0)
			abort();
		sodium_free(back);
	}
	vault_entries_free(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_file(data, size);
	parse_plain(data, size);
	return 0;
}
