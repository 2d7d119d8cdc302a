/*
 * crypt.c: the backup key (docs/backups.md, "Encryption", says the same in
 * prose for a restore without dbdeck).
 *
 * The cluster's backup_key names a vault entry; its password is the secret.
 * From it, Argon2id (crypto_pwhash, ALG_ARGON2ID13, the INTERACTIVE limits,
 * a 16-byte salt = BLAKE2b-128 of "dbdeck-backup-kek-v1:" + the entry's name)
 * derives a 32-byte key-encryption key (KEK). Its fingerprint, which the
 * manifest records so a wrong key is named as such, is the hex of
 * BLAKE2b-128 of "dbdeck-backup-fingerprint-v1" keyed with the KEK: it says
 * nothing about the key without the Argon2id work. Each backup gets a random
 * 32-byte data key (the crypto_secretstream_xchacha20poly1305 key of its dump
 * file), sealed with crypto_aead_xchacha20poly1305_ietf under the KEK, a
 * random 24-byte nonce and the backup's id as associated data. One leaked data
 * key opens one backup.
 */
#include <sodium.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

static const char FP_CONTEXT[] = "dbdeck-backup-fingerprint-v1";
static const char SALT_CONTEXT[] = "dbdeck-backup-kek-v1:";

static void
salt_for(const char *key_name, unsigned char salt[BK_SALT_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, BK_SALT_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)SALT_CONTEXT, strlen(SALT_CONTEXT));
	crypto_generichash_update(&st, (const unsigned char *)key_name, strlen(key_name));
	crypto_generichash_final(&st, salt, BK_SALT_BYTES);
}

/* The KEK of w's parameters, and its fingerprint. NULL on failure (memory). */
static unsigned char *
derive_kek(const char *secret, size_t len, const struct bk_keywrap *w, char fp[33], char *err,
    size_t errlen)
{
	unsigned char *kek = sodium_malloc(BK_KEY_BYTES), mac[16];

	if (!kek || crypto_pwhash(kek, BK_KEY_BYTES, secret, len, w->salt, w->opslimit,
	                (size_t)w->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		dd_seterr(err, errlen, "cannot derive the backup key (Argon2id): out of memory");
		sodium_free(kek);
		return NULL;
	}
	crypto_generichash(mac, sizeof(mac), (const unsigned char *)FP_CONTEXT, strlen(FP_CONTEXT),
	    kek, BK_KEY_BYTES);
	sodium_bin2hex(fp, 33, mac, sizeof(mac));
	return kek;
}

unsigned char *
bk_key_new(const char *secret, size_t len, const char *key_name, const char *id,
    struct bk_keywrap *w, char *err, size_t errlen)
{
	unsigned char *kek, *dk;

	memset(w, 0, sizeof(*w));
	if (len == 0) {
		dd_seterr(err, errlen, "backup_key '%s' has an empty password", key_name);
		return NULL;
	}
	w->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	w->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	dd_strlcpy(w->key_name, key_name, sizeof(w->key_name));
	salt_for(key_name, w->salt);
	if (!(kek = derive_kek(secret, len, w, w->fingerprint, err, errlen)))
		return NULL;
	dk = sodium_malloc(BK_KEY_BYTES);
	if (!dk)
		abort();
	crypto_secretstream_xchacha20poly1305_keygen(dk);
	randombytes_buf(w->nonce, sizeof(w->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(w->wrapped, NULL, dk, BK_KEY_BYTES,
	    (const unsigned char *)id, strlen(id), NULL, w->nonce, kek);
	sodium_free(kek);
	return dk;
}

unsigned char *
bk_key_unwrap(const char *secret, size_t len, const struct bk_keywrap *w, const char *id, char *err,
    size_t errlen)
{
	unsigned char *kek, *dk = NULL;
	char fp[33];

	if (w->opslimit < crypto_pwhash_OPSLIMIT_MIN || w->opslimit > crypto_pwhash_OPSLIMIT_MAX ||
	    w->memlimit < crypto_pwhash_MEMLIMIT_MIN || w->memlimit > (UINT64_C(1) << 32)) {
		dd_seterr(err, errlen, "the manifest's key derivation limits are out of range");
		return NULL;
	}
	if (!(kek = derive_kek(secret, len, w, fp, err, errlen)))
		return NULL;
	if (strcmp(fp, w->fingerprint) != 0) {
		dd_seterr(err, errlen,
		    "wrong backup key: the backup was encrypted with key fingerprint %.16s (vault "
		    "entry '%s'), the configured backup_key has %.16s",
		    w->fingerprint, w->key_name, fp);
		goto out;
	}
	dk = sodium_malloc(BK_KEY_BYTES);
	if (!dk)
		abort();
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dk, NULL, NULL, w->wrapped, BK_WRAPPED_BYTES,
	        (const unsigned char *)id, strlen(id), w->nonce, kek) != 0) {
		dd_seterr(err, errlen, "the manifest's wrapped data key is damaged");
		sodium_free(dk);
		dk = NULL;
	}
out:
	sodium_free(kek);
	return dk;
}
