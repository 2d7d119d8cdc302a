/*
 * vault.h: the encrypted credentials vault (DESIGN.md §6, docs/security.md).
 *
 * One file holds named credentials (user, password, optional extra fields such
 * as sslpassword). A passphrase, stretched with Argon2id, wraps a random data
 * key; the entries are sealed with XChaCha20-Poly1305 under that data key.
 * Every byte of the file is authenticated, so a tampered or truncated file is
 * refused, never half-read.
 *
 * Secrets stay in sodium_malloc memory (guarded, locked, wiped on free). A
 * credential returned by dd_vault_get() points into that memory: read the
 * password from there, never copy it to normal heap.
 *
 * Not thread-safe: one thread at a time per struct dd_vault.
 */
#ifndef DBDECK_VAULT_H
#define DBDECK_VAULT_H

#include <stdbool.h>
#include <stddef.h>

struct dd_vault;

/* KDF strength chosen at creation; libsodium's OPSLIMIT/MEMLIMIT levels. */
enum dd_vault_kdf {
	DD_VAULT_KDF_INTERACTIVE, /* 2 passes, 64 MiB */
	DD_VAULT_KDF_MODERATE,    /* 3 passes, 256 MiB (the default) */
	DD_VAULT_KDF_SENSITIVE,   /* 4 passes, 1 GiB */
};

/* Results of the vault functions: 0 or one of these negative codes. */
enum dd_vault_err {
	DD_VAULT_OK = 0,
	DD_VAULT_ERR_WRONG_PASSPHRASE = -1,
	DD_VAULT_ERR_DAMAGED_HEADER = -2,  /* magic, fields or header checksum */
	DD_VAULT_ERR_DAMAGED_KEY = -3,     /* the wrapped data key block */
	DD_VAULT_ERR_DAMAGED_ENTRIES = -4, /* the sealed entries */
	DD_VAULT_ERR_TRUNCATED = -5,
	DD_VAULT_ERR_VERSION = -6,     /* unknown major format version */
	DD_VAULT_ERR_PERMISSIONS = -7, /* symlink, other owner, group/other bits */
	DD_VAULT_ERR_MISSING = -8,
	DD_VAULT_ERR_EXISTS = -9, /* create over an existing file */
	DD_VAULT_ERR_IO = -10,
	DD_VAULT_ERR_CONFLICT = -11,  /* the file was replaced since it was opened */
	DD_VAULT_ERR_INVALID = -12,   /* a bad name, user, field or length */
	DD_VAULT_ERR_NOT_FOUND = -13, /* no entry of that name */
};

/* One extra key/value of a credential (e.g. sslpassword). */
struct dd_vault_field {
	const char *key;
	const char *value;
};

/*
 * A credential. As returned by the vault, every string and the fields array
 * live in secure memory owned by the vault. As passed to dd_vault_set, all is
 * the caller's and is copied.
 */
struct dd_credential {
	const char *name;     /* 1..64 of [A-Za-z0-9._-] */
	const char *user;     /* 1..255 bytes, no control characters */
	const char *password; /* 0..4096 bytes */
	size_t nfields;       /* 0..32 */
	const struct dd_vault_field *fields;
};

/* A short label for a code ("wrong passphrase", "damaged header", ...). Static. */
const char *dd_vault_err_name(int code);

/* "interactive", "moderate", "sensitive"; NULL for a bad value. Static. */
const char *dd_vault_kdf_name(enum dd_vault_kdf kdf);
/* Parses a level name into *out; false when unknown. */
bool dd_vault_kdf_from_name(const char *name, enum dd_vault_kdf *out);

/* True when `name` is a valid entry name (also the rule for field keys). */
bool dd_vault_name_valid(const char *name);

/*
 * Creates an empty vault at `path` (mode 0600; missing parent directories are
 * made with mode 0700). Refuses an existing path with DD_VAULT_ERR_EXISTS.
 * `pass` is borrowed (keep it in secure memory) and must not be empty.
 * Returns 0 or a negative dd_vault_err with the reason in err.
 */
int dd_vault_create(const char *path, const char *pass, size_t passlen, enum dd_vault_kdf kdf,
    char *err, size_t errlen);

/*
 * Opens and decrypts the vault at `path` with the KDF parameters stored in it.
 * Refuses a symlink, a file owned by another user, any group/other mode bit,
 * and a directory owned by someone else than the user or root or writable by
 * group/other. `pass` is borrowed. On success *out is a new vault the caller closes
 * with dd_vault_close. Returns 0 or a negative dd_vault_err (reason in err,
 * one line, never containing a secret).
 */
int dd_vault_open(const char *path, const char *pass, size_t passlen, struct dd_vault **out,
    char *err, size_t errlen);

/* Wipes and frees everything the vault holds. NULL is allowed. */
void dd_vault_close(struct dd_vault *v);

/* The path the vault was opened from. Borrowed until dd_vault_close. */
const char *dd_vault_path(const struct dd_vault *v);

/* True when an entry `name` exists. */
bool dd_vault_has(const struct dd_vault *v, const char *name);

/*
 * The entry `name`, or NULL. Borrowed: valid until that entry is replaced or
 * removed, or the vault is closed. Every string points into secure memory.
 */
const struct dd_credential *dd_vault_get(const struct dd_vault *v, const char *name);

/* The value of field `key` of `c`, or NULL. Borrowed like `c` itself. */
const char *dd_credential_field(const struct dd_credential *c, const char *key);

/* Number of entries, and entry i (0 <= i < count) in name order. Borrowed. */
size_t dd_vault_count(const struct dd_vault *v);
const struct dd_credential *dd_vault_entry_at(const struct dd_vault *v, size_t i);

/*
 * Adds `c`, or replaces the entry of the same name (fields included). `c` and
 * its strings are borrowed and copied into secure memory. In memory only:
 * call dd_vault_save to write. Returns 0 or DD_VAULT_ERR_INVALID (reason in err).
 */
int dd_vault_set(struct dd_vault *v, const struct dd_credential *c, char *err, size_t errlen);

/* Removes entry `name` (in memory). Returns 0 or DD_VAULT_ERR_NOT_FOUND. */
int dd_vault_remove(struct dd_vault *v, const char *name, char *err, size_t errlen);

/*
 * Writes the vault atomically: temp file (O_EXCL, 0600) in the same directory,
 * fsync, rename over the vault, fsync the directory. Fresh nonces every time.
 * Refuses with DD_VAULT_ERR_CONFLICT when the file on disk was replaced since
 * it was opened (another writer). Returns 0 or a negative dd_vault_err.
 */
int dd_vault_save(struct dd_vault *v, char *err, size_t errlen);

/*
 * Checks an open file that holds a secret of the vault's (a passphrase file)
 * by the vault file's own rule: owned by the current user, no group/other
 * mode bit. `path` names it in the message. Returns 0, or
 * DD_VAULT_ERR_PERMISSIONS / DD_VAULT_ERR_IO with "PATH: why" in err.
 */
int dd_vault_check_secret_fd(int fd, const char *path, char *err, size_t errlen);

/*
 * Changes the passphrase: a fresh salt, a key-encryption key derived from
 * `newpass` (borrowed, not empty) with the vault's KDF parameters, and a new
 * random data key, so that an old copy of the file with the old passphrase
 * opens nothing written after the change. In memory only: dd_vault_save
 * writes it. Returns 0 or a negative dd_vault_err.
 */
int dd_vault_rekey(
    struct dd_vault *v, const char *newpass, size_t newlen, char *err, size_t errlen);

#endif
