/*
 * vault_test_util.h: helpers shared by the vault's C tests (header only):
 * temp directories, whole-file read/write, and a vault made with the cheapest
 * KDF parameters so that loops over every byte stay fast.
 */
#ifndef DD_VAULT_TEST_UTIL_H
#define DD_VAULT_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/util.h"
#include "vault/vault_format.h"

#define TEST_PASS    "correct horse battery staple"
#define TEST_PASSLEN (sizeof(TEST_PASS) - 1)

/* The fixed key-encryption key of the fuzz corpus (also in fuzz_vault.c). */
__attribute__((unused)) static void
test_fuzz_kek(uint8_t kek[VAULT_KEY_LEN])
{
	for (int i = 0; i < VAULT_KEY_LEN; i++)
		kek[i] = (uint8_t)(0x40 + i);
}

__attribute__((unused)) static char *
test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = xasprintf("%s/ddvault.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t))
		bail_out("mkdtemp failed");
	return t;
}

__attribute__((unused)) static void
test_rmrf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
}

/* Reads a whole file into new heap memory; bails out on failure. */
__attribute__((unused)) static uint8_t *
test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		bail_out("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = xmalloc(n > 0 ? (size_t)n : 1);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

/* Writes buf as the file at path, mode 0600. */
__attribute__((unused)) static void
test_spit(const char *path, const uint8_t *buf, size_t len)
{
	unlink(path);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		bail_out("cannot write %s", path);
	chmod(path, 0600);
}

/* A vault at path with the cheapest KDF (1 pass, 8 KiB), made empty. */
__attribute__((unused)) static void
test_make_cheap(const char *path)
{
	char err[512];
	if (vault_create_params(path, TEST_PASS, TEST_PASSLEN, 1, 8192, err, sizeof(err)) != 0)
		bail_out("create: %s", err);
}

__attribute__((unused)) static struct dd_vault *
test_open(const char *path)
{
	char err[512];
	struct dd_vault *v = NULL;
	if (dd_vault_open(path, TEST_PASS, TEST_PASSLEN, &v, err, sizeof(err)) != 0)
		bail_out("open %s: %s", path, err);
	return v;
}

__attribute__((unused)) static void
test_set(struct dd_vault *v, const char *name, const char *user, const char *pw)
{
	char err[512];
	struct dd_credential c = {.name = name, .user = user, .password = pw};
	if (dd_vault_set(v, &c, err, sizeof(err)) != 0)
		bail_out("set %s: %s", name, err);
}

#endif
