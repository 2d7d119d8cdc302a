/*
 * vault_file.c: reading the vault file safely and writing it atomically.
 *
 * Reads refuse what OpenSSH and libpq refuse for their secrets: a symlink
 * (lstat + O_NOFOLLOW), another owner, any group/other permission bit, and
 * (like OpenSSH for ~/.ssh) a directory that someone else owns or may write
 * to. Writes
 * go to a fresh temp file (O_EXCL, 0600) in the same directory, are fsync'd,
 * renamed (or, when creating, hard-linked so an existing vault is never
 * replaced) over the vault, and the directory is fsync'd. Writers hold an
 * exclusive flock on the directory, which makes the "still the file we read?"
 * check and the rename one step, and lets a writer remove temp files that a
 * killed writer left behind.
 */
#include "vault/vault_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "vault/vault_format.h"

#define TMP_TAG ".tmp."

static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name)
		dd_strlcpy(buf, pw->pw_name, len);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

/* Splits path into a new directory string and a pointer to the base name. */
static char *
dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		*base = path;
		return xstrdup(".");
	}
	*base = slash + 1;
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static int
check_owner_mode(const char *path, const struct stat *st, char *why, size_t whylen)
{
	char owner[64], me[64];
	uid_t uid = geteuid();
	if (st->st_uid != uid) {
		dd_seterr(why, whylen,
		    "owned by %s (uid %u), not by the current user %s (uid %u); "
		    "if it is yours, run: chown %s %s",
		    user_name(st->st_uid, owner, sizeof(owner)), (unsigned)st->st_uid,
		    user_name(uid, me, sizeof(me)), (unsigned)uid, me, path);
		return DD_VAULT_ERR_PERMISSIONS;
	}
	if (st->st_mode & 077) {
		dd_seterr(why, whylen, "mode %04o allows group/other access; run: chmod 600 %s",
		    (unsigned)(st->st_mode & 07777), path);
		return DD_VAULT_ERR_PERMISSIONS;
	}
	return 0;
}

static int
errno_code(int e)
{
	return e == ENOENT ? DD_VAULT_ERR_MISSING : DD_VAULT_ERR_IO;
}

/*
 * The directory a vault is in, checked as OpenSSH checks ~/.ssh: owned by the
 * current user or root, and writable by nobody else (whoever can write to it
 * can replace or remove the vault, or plant a file for the next write).
 */
static int
check_dir(const char *dir, const struct stat *st, char *why, size_t whylen)
{
	char owner[64];
	uid_t uid = geteuid();
	if (st->st_uid != uid && st->st_uid != 0) {
		dd_seterr(why, whylen,
		    "its directory %s is owned by %s (uid %u), neither the current user nor root; "
		    "keep the vault in a directory of your own",
		    dir, user_name(st->st_uid, owner, sizeof(owner)), (unsigned)st->st_uid);
		return DD_VAULT_ERR_PERMISSIONS;
	}
	if (st->st_mode & 022) {
		dd_seterr(why, whylen,
		    "its directory %s has mode %04o: others can write to it and replace the vault; "
		    "run: chmod go-w %s",
		    dir, (unsigned)(st->st_mode & 07777), dir);
		return DD_VAULT_ERR_PERMISSIONS;
	}
	return 0;
}

/* check_dir for the directory of path's file. */
static int
check_parent(const char *path, char *why, size_t whylen)
{
	const char *base;
	char *dir = dir_of(path, &base);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) != 0) {
		int e = errno;
		dd_seterr(why, whylen, "directory %s: %s", dir, strerror(e));
		rc = errno_code(e);
	} else {
		rc = check_dir(dir, &st, why, whylen);
	}
	free(dir);
	return rc;
}

static void
file_id_of(const struct stat *st, struct vault_file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->ctime = st->st_ctim;
}

static bool
file_id_same(const struct vault_file_id *a, const struct vault_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* lstat-level checks: exists, not a symlink, a regular file. */
static int
check_path(const char *path, struct stat *lst, char *why, size_t whylen)
{
	if (lstat(path, lst) != 0) {
		int e = errno;
		dd_seterr(why, whylen, "%s", e == ENOENT ? "does not exist" : strerror(e));
		return errno_code(e);
	}
	if (S_ISLNK(lst->st_mode)) {
		dd_seterr(why, whylen,
		    "is a symbolic link; refusing to follow it (name the real file with "
		    "--vault, $DBDECK_VAULT or the config's vault key)");
		return DD_VAULT_ERR_PERMISSIONS;
	}
	if (!S_ISREG(lst->st_mode)) {
		dd_seterr(why, whylen, "not a regular file");
		return DD_VAULT_ERR_IO;
	}
	return 0;
}

static int
read_all(int fd, uint8_t *buf, size_t len, char *why, size_t whylen)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dd_seterr(why, whylen, "read: %s", strerror(errno));
			return DD_VAULT_ERR_IO;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off != len) {
		dd_seterr(why, whylen, "changed size while being read");
		return DD_VAULT_ERR_IO;
	}
	return 0;
}

int
vault_file_read(const char *path, uint8_t **buf, size_t *len, struct vault_file_id *id, char *why,
    size_t whylen)
{
	struct stat lst, st;
	int fd = -1, rc = check_path(path, &lst, why, whylen);
	if (rc != 0 || (rc = check_parent(path, why, whylen)) != 0)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		dd_seterr(why, whylen, "%s", e == ELOOP ? "is a symbolic link" : strerror(e));
		return e == ELOOP ? DD_VAULT_ERR_PERMISSIONS : errno_code(e);
	}
	rc = DD_VAULT_ERR_IO;
	if (fstat(fd, &st) != 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino ||
	    !S_ISREG(st.st_mode)) {
		dd_seterr(why, whylen, "replaced while being opened; try again");
		goto out;
	}
	if ((rc = check_owner_mode(path, &st, why, whylen)) != 0)
		goto out;
	rc = DD_VAULT_ERR_DAMAGED_HEADER;
	if ((uint64_t)st.st_size > (uint64_t)VAULT_PREFIX_LEN + VAULT_SEALED_MAX) {
		dd_seterr(why, whylen, "damaged header: %lld bytes is larger than any vault",
		    (long long)st.st_size);
		goto out;
	}
	*len = (size_t)st.st_size;
	*buf = xmalloc(*len);
	if ((rc = read_all(fd, *buf, *len, why, whylen)) != 0) {
		free(*buf);
		*buf = NULL;
		goto out;
	}
	file_id_of(&st, id);
out:
	close(fd);
	return rc;
}

int
vault_file_check_fd(int fd, const char *path, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		dd_seterr(why, whylen, "%s", strerror(errno));
		return DD_VAULT_ERR_IO;
	}
	return check_owner_mode(path, &st, why, whylen);
}

int
vault_file_absent(const char *path, char *why, size_t whylen)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		dd_seterr(why, whylen, "already exists; refusing to overwrite it");
		return DD_VAULT_ERR_EXISTS;
	}
	if (errno != ENOENT) {
		dd_seterr(why, whylen, "%s", strerror(errno));
		return DD_VAULT_ERR_IO;
	}
	return 0;
}

int
vault_file_mkparents(const char *path, char *why, size_t whylen)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) == 0) {
			if (chmod(p, 0700) != 0) /* a umask may have taken bits away */
				rc = -1;
		} else if (errno != EEXIST) {
			rc = -1;
		}
		if (rc != 0) {
			dd_seterr(
			    why, whylen, "cannot create directory %s: %s", p, strerror(errno));
			rc = DD_VAULT_ERR_IO;
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* With the directory locked, any ".BASE.tmp.*" is a dead writer's leftover. */
static void
remove_stale_temps(int dfd, const char *base)
{
	char *prefix = xasprintf(".%s" TMP_TAG, base);
	size_t plen = strlen(prefix);
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		free(prefix);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, plen) == 0 && strlen(de->d_name) == plen + 6)
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
	free(prefix);
}

static int
expect_same(const char *path, const struct vault_file_id *expect, char *why, size_t whylen)
{
	struct stat st;
	if (!expect)
		return vault_file_absent(path, why, whylen);
	struct vault_file_id now;
	bool there = lstat(path, &st) == 0;
	if (there)
		file_id_of(&st, &now);
	if (!there || !file_id_same(&now, expect)) {
		dd_seterr(why, whylen,
		    "was changed by another process since it was opened; run the command again");
		return DD_VAULT_ERR_CONFLICT;
	}
	return 0;
}

static int
write_temp(int fd, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	size_t off = 0;
	if (fchmod(fd, 0600) != 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	return 0;
fail:
	dd_seterr(why, whylen, "writing the temp file: %s", strerror(errno));
	return DD_VAULT_ERR_IO;
}

/* Moves the finished temp file into place; creating never replaces. */
static int
install(const char *tmp, const char *path, bool create, char *why, size_t whylen)
{
	if (create) {
		if (link(tmp, path) != 0) {
			int e = errno;
			dd_seterr(why, whylen, "%s", e == EEXIST ? "already exists" : strerror(e));
			unlink(tmp);
			return e == EEXIST ? DD_VAULT_ERR_EXISTS : DD_VAULT_ERR_IO;
		}
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) != 0) {
		dd_seterr(why, whylen, "rename: %s", strerror(errno));
		unlink(tmp);
		return DD_VAULT_ERR_IO;
	}
	return 0;
}

static int
write_locked(int dfd, const char *dir, const char *base, const char *path, const uint8_t *buf,
    size_t len, const struct vault_file_id *expect, struct vault_file_id *id, char *why,
    size_t whylen)
{
	int rc = expect_same(path, expect, why, whylen);
	if (rc != 0)
		return rc;
	remove_stale_temps(dfd, base);
	char *tmp = xasprintf("%s/.%s" TMP_TAG "XXXXXX", dir, base);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		dd_seterr(why, whylen, "cannot create a temp file in %s: %s", dir, strerror(errno));
		free(tmp);
		return DD_VAULT_ERR_IO;
	}
	rc = write_temp(fd, buf, len, why, whylen);
	if (close(fd) != 0 && rc == 0) {
		dd_seterr(why, whylen, "writing the temp file: %s", strerror(errno));
		rc = DD_VAULT_ERR_IO;
	}
	if (rc != 0)
		unlink(tmp);
	else
		rc = install(tmp, path, expect == NULL, why, whylen);
	if (rc == 0 && fsync(dfd) != 0) {
		dd_seterr(why, whylen, "fsync of %s: %s", dir, strerror(errno));
		rc = DD_VAULT_ERR_IO;
	}
	struct stat st;
	if (rc == 0 && lstat(path, &st) == 0) /* after rename: it may change ctime */
		file_id_of(&st, id);
	free(tmp);
	return rc;
}

int
vault_file_write(const char *path, const uint8_t *buf, size_t len,
    const struct vault_file_id *expect, struct vault_file_id *id, char *why, size_t whylen)
{
	const char *base;
	char *dir = dir_of(path, &base);
	struct stat st;
	int rc = DD_VAULT_ERR_IO;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		dd_seterr(why, whylen, "cannot open directory %s: %s", dir, strerror(errno));
		goto out;
	}
	if (*base == '\0') {
		dd_seterr(why, whylen, "names a directory, not a file");
		goto out;
	}
	if (fstat(dfd, &st) != 0) {
		dd_seterr(why, whylen, "directory %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = check_dir(dir, &st, why, whylen)) != 0)
		goto out;
	rc = DD_VAULT_ERR_IO;
	while (flock(dfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			dd_seterr(
			    why, whylen, "cannot lock directory %s: %s", dir, strerror(errno));
			goto out;
		}
	}
	rc = write_locked(dfd, dir, base, path, buf, len, expect, id, why, whylen);
out:
	if (dfd >= 0)
		close(dfd); /* releases the lock */
	free(dir);
	return rc;
}
