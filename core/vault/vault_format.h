/*
 * vault_format.h: the vault's on-disk format and its in-memory entry list
 * (internal to core/vault, its tests and its fuzz target).
 *
 * File layout (all integers little-endian; docs/security.md has the table):
 *
 *   0   8  magic "DBDVAULT"
 *   8   2  format major      10  2  format minor
 *  12   1  KDF id (1 = Argon2id v1.3)   13  3  reserved, zero
 *  16   8  Argon2id opslimit 24  8  Argon2id memlimit (bytes)
 *  32  16  salt              48  4  N = length of the sealed entries
 *  52  12  reserved, zero
 *  64   8  header check: BLAKE2b-64 of bytes 0..64 (unkeyed)
 *  72  24  key nonce
 *  96  48  wrapped data key: XChaCha20-Poly1305, AD = bytes 0..72
 * 144   8  key check: BLAKE2b-64 of bytes 72..144 (unkeyed)
 * 152  24  entries nonce
 * 176   N  sealed entries: XChaCha20-Poly1305 under the data key, AD = bytes 0..176
 *
 * The unkeyed checks only tell accidental damage from a wrong passphrase; the
 * AEAD tags are what authenticate every byte.
 */
#ifndef DD_VAULT_FORMAT_H
#define DD_VAULT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/vault.h"

#define VAULT_MAGIC          "DBDVAULT"
#define VAULT_MAGIC_LEN      8
#define VAULT_MAJOR          1
#define VAULT_MINOR          0
#define VAULT_KDF_ARGON2ID13 1
#define VAULT_SALT_LEN       16
#define VAULT_KEY_LEN        32
#define VAULT_NONCE_LEN      24
#define VAULT_TAG_LEN        16
#define VAULT_CHECK_LEN      8

#define VAULT_OFF_HCHECK  64
#define VAULT_OFF_KNONCE  72
#define VAULT_OFF_WRAPPED 96
#define VAULT_OFF_KCHECK  144
#define VAULT_OFF_ENONCE  152
#define VAULT_PREFIX_LEN  176

/* Bounds checked before the KDF runs: beyond them the header is damaged. */
#define VAULT_OPSLIMIT_MAX 64ULL
#define VAULT_MEMLIMIT_MAX (4ULL << 30)
#define VAULT_SEALED_MAX   (16U << 20)

/* Limits on entries (also enforced by dd_vault_set). */
#define VAULT_NAME_MAX    64
#define VAULT_USER_MAX    255
#define VAULT_SECRET_MAX  4096
#define VAULT_FIELDS_MAX  32
#define VAULT_ENTRIES_MAX 4096

struct vault_header {
	uint16_t major, minor;
	uint8_t kdf;
	uint64_t opslimit, memlimit;
	uint8_t salt[VAULT_SALT_LEN];
	uint32_t sealed_len; /* N: ciphertext + tag of the entries */
};

/* Entries, sorted by name; each one a secure block (see vault_entries.c). */
struct vault_entries {
	struct dd_credential **v;
	size_t n, cap;
};

/* A byte range that is not NUL-terminated (a piece of a decrypted buffer). */
struct vault_slice {
	const char *p;
	size_t len;
};

/* vault_format.c ---------------------------------------------------------- */

/*
 * Checks everything that can be checked without a key: magic, version,
 * length, checksums, KDF bounds. Fills *h. Returns 0 or a dd_vault_err.
 */
int vault_header_read(
    const uint8_t *buf, size_t len, struct vault_header *h, char *err, size_t errlen);

/*
 * The whole decode with an already derived key-encryption key (the fuzz
 * target's entry point): header checks, unwrap the data key into `dek`
 * (VAULT_KEY_LEN bytes of caller's secure memory), open the entries and parse
 * them into `out` (initialised by the caller, filled on success only).
 * Returns 0 or a dd_vault_err.
 */
int vault_decode(const uint8_t *buf, size_t len, const uint8_t *kek, uint8_t *dek,
    struct vault_entries *out, char *err, size_t errlen);

/*
 * Builds a complete file from `h` (sealed_len is set here), the two keys and
 * the entries, with fresh random nonces. Returns a new normal-heap buffer (it
 * holds only ciphertext) the caller frees, length in *outlen.
 */
uint8_t *vault_encode(struct vault_header *h, const uint8_t *kek, const uint8_t *dek,
    const struct vault_entries *e, size_t *outlen);

/* Runs Argon2id with h's salt and parameters into kek (secure, 32 bytes). */
int vault_derive_kek(const struct vault_header *h, const char *pass, size_t passlen, uint8_t *kek,
    char *err, size_t errlen);

/* libsodium's opslimit/memlimit for a level. */
void vault_kdf_params(enum dd_vault_kdf kdf, uint64_t *ops, uint64_t *mem);

/* Recomputes both unkeyed checks of a file buffer (tests use it). */
void vault_fix_checks(uint8_t *buf, size_t len);

/* sodium_init() once, thread-safe; aborts if libsodium cannot start. */
void vault_sodium_init(void);

/* sodium_malloc that aborts on exhaustion, like xmalloc. */
void *vault_smalloc(size_t n);

/* vault_entries.c --------------------------------------------------------- */

bool vault_name_ok(struct vault_slice s);
void vault_entries_init(struct vault_entries *e);
/* Frees (and wipes) every entry. */
void vault_entries_free(struct vault_entries *e);

/* Copies and validates `c` into a new secure block; NULL with reason in err. */
struct dd_credential *vault_entry_new(const struct dd_credential *c, char *err, size_t errlen);
void vault_entry_free(struct dd_credential *c);

/* Index of entry `name`, or -1. */
long vault_entries_find(const struct vault_entries *e, const char *name);
/* Takes ownership of c; replaces (and frees) an entry of the same name. */
void vault_entries_put(struct vault_entries *e, struct dd_credential *c);
/* Removes and frees entry `name`; false when absent. */
bool vault_entries_remove(struct vault_entries *e, const char *name);

/*
 * Parses a decrypted entries buffer into `out` (empty on entry). Returns 0 or
 * DD_VAULT_ERR_DAMAGED_ENTRIES with the reason; on error `out` stays empty.
 */
int vault_entries_parse(
    const uint8_t *p, size_t len, struct vault_entries *out, char *err, size_t errlen);

/* Bytes vault_entries_serialize would produce. */
size_t vault_entries_size(const struct vault_entries *e);
/* Serializes into a new sodium_malloc buffer the caller sodium_free()s. */
uint8_t *vault_entries_serialize(const struct vault_entries *e, size_t *outlen);

/* vault.c (for tests): create with explicit KDF parameters. */
int vault_create_params(const char *path, const char *pass, size_t passlen, uint64_t ops,
    uint64_t mem, char *err, size_t errlen);

#endif
