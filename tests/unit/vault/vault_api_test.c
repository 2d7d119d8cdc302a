/*
 * vault_api_test.c: the public vault API on real files: round trip, entry
 * rules, rekey, file checks (mode, symlink, owner, missing), atomic writes
 * (conflict detection, stale temp files, no overwrite on create, 0700 parent
 * directories) and crash safety (a writer SIGKILLed at random points always
 * leaves a vault that opens with the old or the new value).
 */
#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>

#include "vault_test_util.h"

static char *dir;

static char *
in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
test_roundtrip(void)
{
	char *p = in_dir("rt/sub/vault"), err[512];
	struct dd_vault_field f[1] = {{"sslpassword", "ssl-pw"}};
	struct dd_credential c = {"orders-ops", "alice", "hunter2", 1, f};
	struct stat st;

	test_make_cheap(p);
	char *sub = in_dir("rt/sub");
	ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "missing parents made with 0700");
	free(sub);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "vault created with mode 0600");
	struct dd_vault *v = test_open(p);
	is_int((long long)dd_vault_count(v), 0, "a new vault is empty");
	is_int(dd_vault_set(v, &c, err, sizeof(err)), 0, "set an entry with a field");
	test_set(v, "billing", "bob", "pw2");
	is_int(dd_vault_save(v, err, sizeof(err)), 0, "save");
	dd_vault_close(v);

	v = test_open(p);
	is_int((long long)dd_vault_count(v), 2, "two entries after reopening");
	ok(dd_vault_has(v, "orders-ops") && !dd_vault_has(v, "nope"), "has");
	const struct dd_credential *g = dd_vault_get(v, "orders-ops");
	ok(g && strcmp(g->user, "alice") == 0 && strcmp(g->password, "hunter2") == 0, "get");
	ok(g && g->password != c.password, "get hands out the vault's copy, not the caller's");
	is_str(g ? dd_credential_field(g, "sslpassword") : NULL, "ssl-pw", "field round trip");
	is_str(dd_vault_entry_at(v, 0)->name, "billing", "entries in name order");
	ok(dd_vault_entry_at(v, 2) == NULL, "entry_at past the end is NULL");
	is_str(dd_vault_path(v), p, "path");

	test_set(v, "orders-ops", "carol", "new-pw");
	g = dd_vault_get(v, "orders-ops");
	ok(g && strcmp(g->user, "carol") == 0 && g->nfields == 0, "set replaces, fields too");
	is_int(dd_vault_remove(v, "billing", err, sizeof(err)), 0, "remove");
	is_int(dd_vault_remove(v, "billing", err, sizeof(err)), DD_VAULT_ERR_NOT_FOUND,
	    "remove of a missing entry is NOT_FOUND");
	is_int(dd_vault_save(v, err, sizeof(err)), 0, "save again");
	dd_vault_close(v);
	v = test_open(p);
	ok(dd_vault_count(v) == 1 && dd_vault_has(v, "orders-ops"), "changes persisted");
	dd_vault_close(v);
	free(p);
}

static void
test_entry_rules(void)
{
	char *p = in_dir("rules"), err[512], long_name[66], long_pw[VAULT_SECRET_MAX + 2];
	static const char *const bad_names[] = {
	    "", "a b", "a/b", "a\nb", "caf\xc3\xa9", "a:b", NULL};
	memset(long_name, 'n', 65);
	long_name[65] = '\0';
	memset(long_pw, 'p', VAULT_SECRET_MAX + 1);
	long_pw[VAULT_SECRET_MAX + 1] = '\0';
	test_make_cheap(p);
	struct dd_vault *v = test_open(p);
	int bad = 0;
	for (int i = 0; bad_names[i]; i++) {
		struct dd_credential c = {bad_names[i], "u", "p", 0, NULL};
		bad += dd_vault_set(v, &c, err, sizeof(err)) != DD_VAULT_ERR_INVALID;
	}
	struct dd_credential c = {long_name, "u", "p", 0, NULL};
	bad += dd_vault_set(v, &c, err, sizeof(err)) != DD_VAULT_ERR_INVALID;
	ok(bad == 0 && dd_vault_count(v) == 0, "bad names (space, slash, 65 chars, UTF-8) refused");
	ok(strstr(err, "invalid entry name") != NULL, "with a message: %s", err);
	long_name[64] = '\0';
	c.name = long_name;
	is_int(dd_vault_set(v, &c, err, sizeof(err)), 0, "a 64-character name is fine");
	c.name = "A-z_0.9";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), 0, "letters, digits, '.', '_', '-' are fine");
	ok(dd_vault_name_valid("x.y-z_1") && !dd_vault_name_valid("x y"), "dd_vault_name_valid");
	c.user = "";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID, "empty user refused");
	c.user = "u\x1b]0;x";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "user with an escape refused");
	c.user = "u\xc2\x9b"
	         "31m";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "user with a C1 control (CSI) refused");
	c.user = "u\xff";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "user that is not UTF-8 refused");
	c.user = "jos\xc3\xa9@corp";
	is_int(dd_vault_set(v, &c, err, sizeof(err)), 0, "a UTF-8 user is fine");
	c.user = "u";
	c.password = long_pw;
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "4097-byte password refused");
	struct dd_vault_field f[2] = {{"password", "x"}, {"k", "v"}};
	c.password = "p";
	c.fields = f;
	c.nfields = 1;
	is_int(dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "field named password refused");
	f[0].key = "k";
	c.nfields = 2;
	is_int(
	    dd_vault_set(v, &c, err, sizeof(err)), DD_VAULT_ERR_INVALID, "duplicate field refused");
	dd_vault_close(v);
	free(p);
}

/*
 * The data key unwrapped from `file` with `pass`, into dek (secure memory).
 * What someone holding a copy of that file and its passphrase has.
 */
static void
stolen_dek(const uint8_t *file, size_t len, const char *pass, uint8_t *dek)
{
	struct vault_header h;
	struct vault_entries e;
	uint8_t *kek = vault_smalloc(VAULT_KEY_LEN);
	char err[512];

	vault_entries_init(&e);
	if (vault_header_read(file, len, &h, err, sizeof(err)) != 0 ||
	    vault_derive_kek(&h, pass, strlen(pass), kek, err, sizeof(err)) != 0 ||
	    vault_decode(file, len, kek, dek, &e, err, sizeof(err)) != 0)
		bail_out("old copy: %s", err);
	vault_entries_free(&e);
	sodium_free(kek);
}

/* Whether `dek` decrypts the sealed entries of `file`. */
static bool
dek_opens(const uint8_t *file, size_t len, const uint8_t *dek)
{
	size_t n = len - VAULT_PREFIX_LEN;
	uint8_t *plain = vault_smalloc(n);
	bool opened =
	    crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, file + VAULT_PREFIX_LEN,
	        n, file, VAULT_PREFIX_LEN, file + VAULT_OFF_ENONCE, dek) == 0;
	sodium_free(plain);
	return opened;
}

/*
 * A copy of the vault from before a passphrase change, with the old
 * passphrase, opens nothing written after the change (issue 11): a rekey
 * makes a new data key, not only a new wrap of the old one.
 */
static void
test_rekey_forward(const char *p)
{
	size_t oldlen, newlen;
	uint8_t *dek = vault_smalloc(VAULT_KEY_LEN), *old, *cur;
	char err[512];
	struct dd_vault *v = NULL;

	if (dd_vault_open(p, "new pass", 8, &v, err, sizeof(err)) != 0)
		bail_out("open: %s", err);
	old = test_slurp(p, &oldlen); /* the copy someone keeps, with "new pass" */
	stolen_dek(old, oldlen, "new pass", dek);
	ok(dek_opens(old, oldlen, dek), "rekey: the old copy's data key opens the old copy");
	is_int(dd_vault_rekey(v, "third pass", 10, err, sizeof(err)), 0, "rekey again");
	test_set(v, "c", "uc", "written after the change");
	is_int(dd_vault_save(v, err, sizeof(err)), 0, "save an entry after the change");
	dd_vault_close(v);
	cur = test_slurp(p, &newlen);
	ok(!dek_opens(cur, newlen, dek),
	    "rekey: the old copy and the old passphrase cannot open what was written after");
	is_int(dd_vault_open(p, "new pass", 8, &v, err, sizeof(err)), DD_VAULT_ERR_WRONG_PASSPHRASE,
	    "nor can the old passphrase open the new file");
	is_int(dd_vault_open(p, "third pass", 10, &v, err, sizeof(err)), 0, "the new one does");
	ok(v && dd_vault_count(v) == 3 && strcmp(dd_vault_get(v, "a")->password, "pa") == 0 &&
	        strcmp(dd_vault_get(v, "c")->password, "written after the change") == 0,
	    "with every entry, old and new");
	dd_vault_close(v);
	sodium_free(dek);
	free(old);
	free(cur);
}

static void
test_rekey(void)
{
	char *p = in_dir("rekey"), err[512];
	test_make_cheap(p);
	struct dd_vault *v = test_open(p);
	test_set(v, "a", "ua", "pa");
	test_set(v, "b", "ub", "pb");
	is_int(dd_vault_rekey(v, "", 0, err, sizeof(err)), DD_VAULT_ERR_INVALID,
	    "empty new passphrase refused");
	is_int(dd_vault_rekey(v, "new pass", 8, err, sizeof(err)), 0, "rekey");
	is_int(dd_vault_save(v, err, sizeof(err)), 0, "save after rekey");
	dd_vault_close(v);
	v = NULL;
	is_int(dd_vault_open(p, TEST_PASS, TEST_PASSLEN, &v, err, sizeof(err)),
	    DD_VAULT_ERR_WRONG_PASSPHRASE, "the old passphrase no longer opens it");
	is_int(dd_vault_open(p, "new pass", 8, &v, err, sizeof(err)), 0, "the new one does");
	ok(v && dd_vault_count(v) == 2 && strcmp(dd_vault_get(v, "b")->password, "pb") == 0,
	    "rekey kept every entry");
	dd_vault_close(v);
	test_rekey_forward(p);
	is_int(dd_vault_create(p, "x", 1, DD_VAULT_KDF_INTERACTIVE, err, sizeof(err)),
	    DD_VAULT_ERR_EXISTS, "create refuses an existing vault");
	free(p);
}

static int
open_code(const char *p, char *err, size_t errlen)
{
	struct dd_vault *v = NULL;
	int rc = dd_vault_open(p, TEST_PASS, TEST_PASSLEN, &v, err, errlen);
	dd_vault_close(v);
	return rc;
}

/* Out of line: GCC with UBSan wrongly sees a NULL `path` when this is inlined. */
static void __attribute__((noinline)) check_mode_message(const char *err, const char *path)
{
	char *want = xasprintf(
	    "vault %s: mode 0644 allows group/other access; run: chmod 600 %s", path, path);
	is_str(err, want, "and says how to fix it");
	free(want);
}

static void
test_file_checks(void)
{
	char *p = in_dir("perm"), *lnk = in_dir("link"), err[512];
	test_make_cheap(p);
	chmod(p, 0644);
	is_int(open_code(p, err, sizeof(err)), DD_VAULT_ERR_PERMISSIONS, "mode 0644 refused");
	check_mode_message(err, p);
	chmod(p, 0640);
	is_int(open_code(p, err, sizeof(err)), DD_VAULT_ERR_PERMISSIONS, "mode 0640 refused");
	chmod(p, 0604);
	is_int(open_code(p, err, sizeof(err)), DD_VAULT_ERR_PERMISSIONS, "mode 0604 refused");
	chmod(p, 0600);
	if (symlink(p, lnk) != 0)
		bail_out("symlink");
	is_int(open_code(lnk, err, sizeof(err)), DD_VAULT_ERR_PERMISSIONS, "a symlink refused");
	ok(strstr(err, "symbolic link") != NULL, "message: %s", err);
	if (geteuid() == 0) {
		if (chown(p, 65534, 65534) != 0)
			bail_out("chown");
		is_int(open_code(p, err, sizeof(err)), DD_VAULT_ERR_PERMISSIONS,
		    "a vault owned by another user refused");
		ok(strstr(err, "owned by") && strstr(err, "uid 65534"), "message: %s", err);
		if (chown(p, 0, 0) != 0)
			bail_out("chown back");
	} else {
		printf("ok %d - # SKIP another owner: needs root to chown\n", ++tap_count_);
	}
	char *missing = in_dir("nope");
	is_int(open_code(missing, err, sizeof(err)), DD_VAULT_ERR_MISSING, "a missing vault");
	ok(strstr(err, "does not exist") != NULL, "message: %s", err);
	is_int(open_code(dir, err, sizeof(err)), DD_VAULT_ERR_IO, "a directory is refused");
	free(missing);
	free(lnk);
	free(p);
}

static size_t
count_temps(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	size_t n = 0;
	while (dd && (de = readdir(dd)))
		n += strstr(de->d_name, ".tmp.") != NULL;
	if (dd)
		closedir(dd);
	return n;
}

static void
test_atomic(void)
{
	char *d = in_dir("atomic"), *p = in_dir("atomic/vault"), err[512];
	test_make_cheap(p);
	struct dd_vault *a = test_open(p), *b = test_open(p);
	test_set(a, "x", "u", "from-a");
	test_set(b, "x", "u", "from-b");
	is_int(dd_vault_save(a, err, sizeof(err)), 0, "first writer saves");
	is_int(dd_vault_save(b, err, sizeof(err)), DD_VAULT_ERR_CONFLICT,
	    "a second writer that opened before it is refused (no lost update)");
	ok(strstr(err, "changed by another process") != NULL, "message: %s", err);
	is_int(dd_vault_save(a, err, sizeof(err)), 0, "the first writer can save again");
	dd_vault_close(a);
	dd_vault_close(b);

	char *stale = in_dir("atomic/.vault.tmp.AbC123");
	test_spit(stale, (const uint8_t *)"junk", 4);
	a = test_open(p);
	is_int(dd_vault_save(a, err, sizeof(err)), 0, "save with a stale temp file around");
	is_int((long long)count_temps(d), 0, "the stale temp file is gone, none left behind");
	dd_vault_close(a);
	struct stat st;
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600 after a save");
	free(stale);
	free(p);
	free(d);
}

/* One writer step: read the counter in entry "c", write counter + 1. */
static int
writer_step(const char *p)
{
	struct dd_vault *v = test_open(p);
	const struct dd_credential *c = dd_vault_get(v, "c");
	char next[32];
	snprintf(next, sizeof(next), "%ld", c ? atol(c->password) + 1 : 1);
	test_set(v, "c", "u", next);
	int rc = dd_vault_save(v, NULL, 0);
	dd_vault_close(v);
	return rc;
}

/* Child: steps forever, a byte down `fd` after each save. */
static void __attribute__((noreturn)) writer_loop(const char *p, int fd)
{
	for (;;) {
		if (writer_step(p) != 0 || write(fd, "s", 1) != 1)
			_exit(3);
	}
}

/* Forks a writer, waits for its first save, kills it within ~2 steps. */
static void
kill_one_writer(const char *p, long step_us)
{
	int fds[2];
	char b;
	if (pipe(fds) != 0)
		bail_out("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		writer_loop(p, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &b, 1) != 1)
		diag("writer %d died before its first save", (int)pid);
	usleep((useconds_t)(rand() % (2 * step_us + 1)));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
}

static void
test_crash(void)
{
	char *d = in_dir("crash"), *p = in_dir("crash/vault");
	long last = 0;
	int bad = 0, trials = 100;
	test_make_cheap(p);
	srand((unsigned)getpid());
	int64_t t0 = dd_now_mono_ns();
	for (int i = 0; i < 5; i++)
		writer_step(p);
	long step_us = (long)((dd_now_mono_ns() - t0) / 5000);
	diag("one open+set+save takes %ld us; kills land within 0..%ld us", step_us, 2 * step_us);
	for (int i = 0; i < trials; i++) {
		kill_one_writer(p, step_us);
		struct dd_vault *v = NULL;
		char err[512];
		if (dd_vault_open(p, TEST_PASS, TEST_PASSLEN, &v, err, sizeof(err)) != 0) {
			if (bad++ < 3)
				diag("trial %d: %s", i, err);
			continue;
		}
		const struct dd_credential *c = dd_vault_get(v, "c");
		long now = c ? atol(c->password) : 0;
		if (now <= last && bad++ < 3)
			diag("trial %d: counter %ld after %ld: a committed save was lost", i, now,
			    last);
		last = now;
		dd_vault_close(v);
	}
	ok(bad == 0,
	    "%d writers killed at random points: the vault always opened and kept every "
	    "committed save (counter reached %ld)",
	    trials, last);
	struct dd_vault *v = test_open(p);
	ok(dd_vault_save(v, NULL, 0) == 0 && count_temps(d) == 0,
	    "the next save succeeds and leaves no temp file");
	dd_vault_close(v);
	free(p);
	free(d);
}

int
main(void)
{
	dir = test_tmpdir();
	test_roundtrip();
	test_entry_rules();
	test_rekey();
	test_file_checks();
	test_atomic();
	test_crash();
	test_rmrf(dir);
	free(dir);
	return tap_done();
}
