/*
 * vault.c: the public vault API (dbdeck/vault.h). Holds the open vault: its
 * path, header, the key-encryption key derived from the passphrase (kept so
 * a save can re-wrap the data key under a fresh nonce without asking again),
 * the data key, and the entries. Keys and entries live in sodium_malloc
 * memory; dd_vault_close wipes them. The byte format is vault_format.c, the
 * file system vault_file.c.
 */
#include "dbdeck/vault.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vault/vault_file.h"
#include "vault/vault_format.h"

#define WHY_LEN 512

struct dd_vault {
	char *path;
	struct vault_header h;
	uint8_t *kek; /* secure, VAULT_KEY_LEN */
	uint8_t *dek; /* secure, VAULT_KEY_LEN */
	struct vault_entries e;
	struct vault_file_id id;
};

static const char *const err_names[] = {
    "ok",
    "wrong passphrase",
    "damaged header",
    "damaged key block",
    "damaged entries",
    "truncated",
    "unknown version",
    "bad permissions",
    "missing",
    "already exists",
    "I/O error",
    "conflict",
    "invalid",
    "no such entry",
};

const char *
dd_vault_err_name(int code)
{
	if (code > 0 || -code >= (int)DD_ARRAY_LEN(err_names))
		return "unknown error";
	return err_names[-code];
}

static const char *const kdf_names[] = {"interactive", "moderate", "sensitive"};

const char *
dd_vault_kdf_name(enum dd_vault_kdf kdf)
{
	if ((unsigned)kdf >= DD_ARRAY_LEN(kdf_names))
		return NULL;
	return kdf_names[kdf];
}

bool
dd_vault_kdf_from_name(const char *name, enum dd_vault_kdf *out)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(kdf_names); i++) {
		if (name && strcmp(name, kdf_names[i]) == 0) {
			*out = (enum dd_vault_kdf)i;
			return true;
		}
	}
	return false;
}

bool
dd_vault_name_valid(const char *name)
{
	return name && vault_name_ok((struct vault_slice){name, strlen(name)});
}

/* Sets err to "vault PATH: why" and returns rc. */
static int
fail(char *err, size_t errlen, const char *path, int rc, const char *why)
{
	dd_seterr(err, errlen, "vault %s: %s", path, why);
	return rc;
}

static void
header_new(struct vault_header *h, uint64_t ops, uint64_t mem)
{
	memset(h, 0, sizeof(*h));
	h->major = VAULT_MAJOR;
	h->minor = VAULT_MINOR;
	h->kdf = VAULT_KDF_ARGON2ID13;
	h->opslimit = ops;
	h->memlimit = mem;
	randombytes_buf(h->salt, sizeof(h->salt));
}

static struct dd_vault *
vault_alloc(const char *path)
{
	struct dd_vault *v = xcalloc(1, sizeof(*v));
	v->path = xstrdup(path);
	v->kek = vault_smalloc(VAULT_KEY_LEN);
	v->dek = vault_smalloc(VAULT_KEY_LEN);
	vault_entries_init(&v->e);
	return v;
}

void
dd_vault_close(struct dd_vault *v)
{
	if (!v)
		return;
	vault_entries_free(&v->e);
	sodium_free(v->kek);
	sodium_free(v->dek);
	free(v->path);
	free(v);
}

/* Encodes the vault and writes it; expect NULL = create. */
static int
vault_write(struct dd_vault *v, const struct vault_file_id *expect, char *err, size_t errlen)
{
	char why[WHY_LEN];
	size_t len;
	if (vault_entries_size(&v->e) > VAULT_SEALED_MAX - VAULT_TAG_LEN)
		return fail(err, errlen, v->path, DD_VAULT_ERR_INVALID, "too large (over 16 MiB)");
	v->h.minor = VAULT_MINOR; /* what this code writes */
	uint8_t *buf = vault_encode(&v->h, v->kek, v->dek, &v->e, &len);
	int rc = vault_file_write(v->path, buf, len, expect, &v->id, why, sizeof(why));
	free(buf); /* ciphertext only */
	return rc == 0 ? 0 : fail(err, errlen, v->path, rc, why);
}

int
vault_create_params(const char *path, const char *pass, size_t passlen, uint64_t ops, uint64_t mem,
    char *err, size_t errlen)
{
	char why[WHY_LEN];
	int rc;
	if (passlen == 0)
		return fail(err, errlen, path, DD_VAULT_ERR_INVALID, "empty passphrase refused");
	if ((rc = vault_file_absent(path, why, sizeof(why))) != 0 ||
	    (rc = vault_file_mkparents(path, why, sizeof(why))) != 0)
		return fail(err, errlen, path, rc, why);

	struct dd_vault *v = vault_alloc(path);
	header_new(&v->h, ops, mem);
	crypto_aead_xchacha20poly1305_ietf_keygen(v->dek);
	rc = vault_derive_kek(&v->h, pass, passlen, v->kek, why, sizeof(why));
	if (rc != 0)
		rc = fail(err, errlen, path, rc, why);
	else
		rc = vault_write(v, NULL, err, errlen);
	dd_vault_close(v);
	return rc;
}

int
dd_vault_create(const char *path, const char *pass, size_t passlen, enum dd_vault_kdf kdf,
    char *err, size_t errlen)
{
	uint64_t ops, mem;
	if (!dd_vault_kdf_name(kdf))
		return fail(err, errlen, path, DD_VAULT_ERR_INVALID, "unknown KDF level");
	vault_kdf_params(kdf, &ops, &mem);
	return vault_create_params(path, pass, passlen, ops, mem, err, errlen);
}

/* After the file is read: header, KDF, unwrap, decrypt, parse. */
static int
vault_unlock(struct dd_vault *v, const uint8_t *buf, size_t len, const char *pass, size_t passlen,
    char *why, size_t whylen)
{
	int rc = vault_header_read(buf, len, &v->h, why, whylen);
	if (rc != 0)
		return rc;
	rc = vault_derive_kek(&v->h, pass, passlen, v->kek, why, whylen);
	if (rc != 0)
		return rc;
	return vault_decode(buf, len, v->kek, v->dek, &v->e, why, whylen);
}

int
dd_vault_open(const char *path, const char *pass, size_t passlen, struct dd_vault **out, char *err,
    size_t errlen)
{
	char why[WHY_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct vault_file_id id;
	struct dd_vault *v = NULL;

	*out = NULL;
	int rc = vault_file_read(path, &buf, &len, &id, why, sizeof(why));
	if (rc != 0)
		return fail(err, errlen, path, rc, why);
	v = vault_alloc(path);
	v->id = id;
	rc = vault_unlock(v, buf, len, pass, passlen, why, sizeof(why));
	free(buf); /* ciphertext only */
	if (rc != 0) {
		dd_vault_close(v);
		return fail(err, errlen, path, rc, why);
	}
	*out = v;
	return 0;
}

const char *
dd_vault_path(const struct dd_vault *v)
{
	return v->path;
}

const struct dd_credential *
dd_vault_get(const struct dd_vault *v, const char *name)
{
	long i = name ? vault_entries_find(&v->e, name) : -1;
	return i >= 0 ? v->e.v[i] : NULL;
}

bool
dd_vault_has(const struct dd_vault *v, const char *name)
{
	return dd_vault_get(v, name) != NULL;
}

const char *
dd_credential_field(const struct dd_credential *c, const char *key)
{
	for (size_t i = 0; key && i < c->nfields; i++)
		if (strcmp(c->fields[i].key, key) == 0)
			return c->fields[i].value;
	return NULL;
}

size_t
dd_vault_count(const struct dd_vault *v)
{
	return v->e.n;
}

const struct dd_credential *
dd_vault_entry_at(const struct dd_vault *v, size_t i)
{
	return i < v->e.n ? v->e.v[i] : NULL;
}

int
dd_vault_set(struct dd_vault *v, const struct dd_credential *c, char *err, size_t errlen)
{
	if (c->name && !dd_vault_has(v, c->name) && v->e.n >= VAULT_ENTRIES_MAX) {
		dd_seterr(err, errlen, "the vault is full (%d entries)", VAULT_ENTRIES_MAX);
		return DD_VAULT_ERR_INVALID;
	}
	struct dd_credential *copy = vault_entry_new(c, err, errlen);
	if (!copy)
		return DD_VAULT_ERR_INVALID;
	vault_entries_put(&v->e, copy);
	return 0;
}

int
dd_vault_remove(struct dd_vault *v, const char *name, char *err, size_t errlen)
{
	if (!name || !vault_entries_remove(&v->e, name)) {
		if (dd_vault_name_valid(name))
			dd_seterr(err, errlen, "no entry %s in vault %s", name, v->path);
		else
			dd_seterr(err, errlen, "no such entry in vault %s", v->path);
		return DD_VAULT_ERR_NOT_FOUND;
	}
	return 0;
}

int
dd_vault_save(struct dd_vault *v, char *err, size_t errlen)
{
	struct vault_file_id expect = v->id;
	return vault_write(v, &expect, err, errlen);
}

int
dd_vault_check_secret_fd(int fd, const char *path, char *err, size_t errlen)
{
	char why[WHY_LEN];
	int rc = vault_file_check_fd(fd, path, why, sizeof(why));
	if (rc != 0)
		dd_seterr(err, errlen, "%s: %s", path, why);
	return rc;
}

int
dd_vault_rekey(struct dd_vault *v, const char *newpass, size_t newlen, char *err, size_t errlen)
{
	char why[WHY_LEN];
	struct vault_header h = v->h;
	if (newlen == 0)
		return fail(err, errlen, v->path, DD_VAULT_ERR_INVALID, "empty passphrase refused");
	randombytes_buf(h.salt, sizeof(h.salt));
	uint8_t *kek = vault_smalloc(VAULT_KEY_LEN);
	int rc = vault_derive_kek(&h, newpass, newlen, kek, why, sizeof(why));
	if (rc != 0) {
		sodium_free(kek);
		return fail(err, errlen, v->path, rc, why);
	}
	/*
	 * A new data key too: with the old one, a copy of the old file and the
	 * old passphrase would open every later version of the vault.
	 */
	sodium_free(v->kek);
	v->kek = kek;
	crypto_aead_xchacha20poly1305_ietf_keygen(v->dek);
	v->h = h;
	return 0;
}
