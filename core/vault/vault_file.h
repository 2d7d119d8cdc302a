/*
 * vault_file.h: the vault's file system side (internal to core/vault):
 * checked reads and atomic, locked writes. Messages written to `why` never
 * start with the path (vault.c adds "vault PATH: ") and hold no secret.
 */
#ifndef DD_VAULT_FILE_H
#define DD_VAULT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Which file a vault was read from, to notice a replacement before a save. */
struct vault_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime; /* with size: an inode number may be reused */
};

/*
 * Reads the whole file after refusing a symlink, a non-regular file, another
 * owner or any group/other mode bit. *buf is new normal heap (ciphertext
 * only) the caller frees. Returns 0 or a dd_vault_err.
 */
int vault_file_read(const char *path, uint8_t **buf, size_t *len, struct vault_file_id *id,
    char *why, size_t whylen);

/*
 * Writes buf atomically under an exclusive lock on the directory. With
 * expect == NULL the path must not exist (create: linked in, never replaced);
 * otherwise it must still be the file `expect` names (else a conflict). On
 * success *id names the new file. Returns 0 or a dd_vault_err.
 */
int vault_file_write(const char *path, const uint8_t *buf, size_t len,
    const struct vault_file_id *expect, struct vault_file_id *id, char *why, size_t whylen);

/*
 * The vault file's owner and mode rule for another open secret file (fstat,
 * so a symlink is judged by its target). Returns 0 or DD_VAULT_ERR_PERMISSIONS.
 */
int vault_file_check_fd(int fd, const char *path, char *why, size_t whylen);

/* Fails with DD_VAULT_ERR_EXISTS when something (even a symlink) is at path. */
int vault_file_absent(const char *path, char *why, size_t whylen);

/* Creates the missing directories leading to path's file, mode 0700. */
int vault_file_mkparents(const char *path, char *why, size_t whylen);

#endif
