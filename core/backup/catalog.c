/*
 * catalog.c: a cluster's backup directory, <backup_dir>/<cluster>/.
 *
 * Each backup is a directory named <YYYYMMDDTHHMMSSZ>-<8 hex id>, written as
 * <name>.partial and renamed when whole. Locks are flock(2)s, so they vanish
 * with the process that held them, even after SIGKILL: the writer of a
 * .partial holds it exclusively (a .partial nobody holds is stale, left by a
 * killed run, and the next take removes it); verify and restore hold a
 * backup shared while they read it (prune skips it); <cluster>/.lock
 * serializes creating .partials, removing stale ones, and pruning. A verify
 * result is recorded beside the manifest in check.json. Listing reads all of
 * it into dd_backup_list, newest first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define PARTIAL    ".partial"
#define CHECK_FILE "check.json"

int64_t
bk_parse_iso_time(const char *s)
{
	struct tm tm = {0};
	int ms = 0, used = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
	    s[used] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* The time in a directory name (20260523T134500Z-...), or -1. */
static int64_t
name_time(const char *name)
{
	struct tm tm = {0};
	int used = 0;

	if (sscanf(name, "%4d%2d%2dT%2d%2d%2dZ-%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
	    used != 17)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000;
}

/* A backup directory name (with or without .partial): time, '-', 8 hex. */
static bool
parse_name(const char *d, char *name, size_t len, char id[16], bool *partial)
{
	size_t n = strlen(d), pl = strlen(PARTIAL);

	*partial = n > pl && strcmp(d + n - pl, PARTIAL) == 0;
	if (*partial)
		n -= pl;
	if (n != 25 || n >= len || name_time(d) < 0 || strspn(d + 17, "0123456789abcdef") < 8)
		return false;
	memcpy(name, d, n);
	name[n] = '\0';
	memcpy(id, d + 17, 8);
	id[8] = '\0';
	return true;
}

bool
bk_join(char *out, size_t len, const char *dir, const char *name)
{
	int n =
	    name ? snprintf(out, len, "%s/%s", dir, name) : snprintf(out, len, "%s" PARTIAL, dir);

	return n >= 0 && (size_t)n < len;
}

bool
bk_cluster_dir(const struct dd_cluster_config *c, char *out, size_t len)
{
	return bk_join(out, len, c->backup_dir, c->name);
}

int
bk_cluster_dir_make(
    const struct dd_cluster_config *c, char *out, size_t len, char *err, size_t errlen)
{
	struct stat st;

	if (!bk_cluster_dir(c, out, len)) {
		dd_seterr(err, errlen, "backup_dir %s: the path is too long", c->backup_dir);
		return -1;
	}
	if (stat(c->backup_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		dd_seterr(err, errlen, "backup_dir %s %s", c->backup_dir,
		    errno == ENOENT ? "does not exist (create it, mode 0700)"
		                    : "is not a directory");
		return -1;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST) {
		dd_seterr(err, errlen, "backup_dir %s is not writable: %s", c->backup_dir,
		    strerror(errno));
		return -1;
	}
	if (access(out, W_OK) != 0) {
		dd_seterr(err, errlen, "%s is not writable: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

int
bk_lock_cluster(const char *cdir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	bk_join(path, sizeof(path), cdir, ".lock");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		dd_seterr(err, errlen, "cannot open %s: %s%s", path, strerror(errno),
		    errno == EROFS ? " (backup_dir is read-only)" : "");
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
		;
	return fd;
}

int
bk_lock_dir(const char *path, bool exclusive)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void
bk_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
bk_remove_dir(const char *path, char *err, size_t errlen)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		dd_seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0 && rc == 0) {
			dd_seterr(err, errlen, "cannot remove %s/%s: %s", path, de->d_name,
			    strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	if (rc == 0 && rmdir(path) != 0) {
		dd_seterr(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

void
bk_clean_stale(const char *cdir, const struct dd_backup_hooks *h)
{
	DIR *d = opendir(cdir);
	struct dirent *de;
	char name[64], id[16], path[PATH_MAX], err[BK_ERR_MAX];
	bool partial;

	while (d && (de = readdir(d)) != NULL) {
		if (!parse_name(de->d_name, name, sizeof(name), id, &partial) || !partial)
			continue;
		if (!bk_join(path, sizeof(path), cdir, de->d_name))
			continue;
		int fd = bk_lock_dir(path, true);
		if (fd < 0)
			continue; /* being written */
		if (bk_remove_dir(path, err, sizeof(err)) == 0)
			bk_log(
			    h, "removed %s, left unfinished by an interrupted backup", de->d_name);
		else
			bk_log(h, "cannot remove the unfinished %s: %s", de->d_name, err);
		bk_unlock(fd);
	}
	if (d)
		closedir(d);
}

/* ---- check.json ---------------------------------------------------------------- */

int
bk_check_write(const char *dir, bool ok, bool deep, const char *detail, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], at[40];
	json_t *o;
	int rc = -1;

	dd_iso_time_ms(dd_now_wall_ms(), at, sizeof(at));
	o = json_pack("{s:s, s:s, s:b, s:s}", "result", ok ? "verified" : "failed", "at", at,
	    "deep", deep, "detail", detail ? detail : "");
	bk_join(path, sizeof(path), dir, CHECK_FILE);
	bk_join(tmp, sizeof(tmp), dir, CHECK_FILE ".tmp");
	unlink(tmp);
	if (json_dump_file(o, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    chmod(tmp, 0600) != 0 || rename(tmp, path) != 0) {
		dd_seterr(err, errlen, "cannot record the result in %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = bk_fsync_path(dir, err, errlen);
out:
	json_decref(o);
	return rc;
}

static void
check_read(struct dd_backup_entry *e)
{
	char path[PATH_MAX];
	json_t *o, *v;

	bk_join(path, sizeof(path), e->path, CHECK_FILE);
	if (!(o = json_load_file(path, 0, NULL)))
		return;
	v = json_object_get(o, "result");
	if (json_is_string(v))
		e->check = strcmp(json_string_value(v), "verified") == 0 ? DD_CHECK_VERIFIED
		                                                         : DD_CHECK_FAILED;
	v = json_object_get(o, "at");
	e->checked_wall_ms = json_is_string(v) ? bk_parse_iso_time(json_string_value(v)) : 0;
	e->check_deep = json_is_true(json_object_get(o, "deep"));
	v = json_object_get(o, "detail");
	if (json_is_string(v))
		dd_strlcpy(e->check_detail, json_string_value(v), sizeof(e->check_detail));
	json_decref(o);
}

/* ---- listing ------------------------------------------------------------------- */

static void
entry_from_manifest(struct dd_backup_entry *e, const struct dd_cluster_config *c)
{
	struct bk_manifest m;
	char err[BK_ERR_MAX];

	if (bk_manifest_read(e->path, &m, err, sizeof(err)) != 0) {
		e->state = DD_BACKUP_DAMAGED;
		dd_strlcpy(e->why, err, sizeof(e->why));
		return;
	}
	if (strcmp(m.cluster, c->name) != 0 || strcmp(m.id, e->id) != 0) {
		e->state = DD_BACKUP_DAMAGED;
		snprintf(e->why, sizeof(e->why), "its manifest is for %s %s of cluster '%.64s'",
		    strcmp(m.id, e->id) ? "backup" : "a backup", m.id, m.cluster);
	}
	e->started_wall_ms = m.started_wall_ms;
	e->ended_wall_ms = m.ended_wall_ms;
	dd_strlcpy(e->node, m.node, sizeof(e->node));
	dd_strlcpy(e->engine, m.engine, sizeof(e->engine));
	dd_strlcpy(e->sha256, m.sha256, sizeof(e->sha256));
	e->bytes_stored = m.bytes_stored;
	e->bytes_raw = m.bytes_raw;
	e->encrypted = m.encrypted;
	dd_strlcpy(e->key_fingerprint, m.wrap.fingerprint, sizeof(e->key_fingerprint));
	bk_manifest_clear(&m);
}

static void
read_entry(struct dd_backup_entry *e, const char *cdir, const char *dname, bool partial,
    const struct dd_cluster_config *c)
{
	bk_join(e->path, sizeof(e->path), cdir, dname);
	e->started_wall_ms = name_time(e->name);
	if (partial) {
		int fd = bk_lock_dir(e->path, true);
		e->state = fd < 0 ? DD_BACKUP_WRITING : DD_BACKUP_STALE;
		bk_unlock(fd);
		return;
	}
	e->state = DD_BACKUP_COMPLETE;
	entry_from_manifest(e, c);
	check_read(e);
}

static int
newest_first(const void *a, const void *b)
{
	const struct dd_backup_entry *x = a, *y = b;

	if (x->started_wall_ms != y->started_wall_ms)
		return x->started_wall_ms > y->started_wall_ms ? -1 : 1;
	return -strcmp(x->name, y->name);
}

int
dd_backup_list(
    const struct dd_cluster_config *cluster, struct dd_backup_list *out, char *err, size_t errlen)
{
	char cdir[PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	bool partial;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if (!bk_cluster_dir(cluster, cdir, sizeof(cdir))) {
		dd_seterr(err, errlen, "backup_dir %s: the path is too long", cluster->backup_dir);
		return -1;
	}
	if (!(d = opendir(cdir))) {
		if (errno == ENOENT)
			return 0;
		dd_seterr(err, errlen, "cannot read %s: %s", cdir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct dd_backup_entry e = {0};
		if (!parse_name(de->d_name, e.name, sizeof(e.name), e.id, &partial))
			continue;
		if (out->n == cap)
			out->v = xrealloc(out->v, (cap = cap ? cap * 2 : 16) * sizeof(*out->v));
		read_entry(&e, cdir, de->d_name, partial, cluster);
		out->v[out->n++] = e;
	}
	closedir(d);
	qsort(out->v, out->n, sizeof(*out->v), newest_first);
	return 0;
}

void
dd_backup_list_free(struct dd_backup_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct dd_backup_entry *
dd_backup_find(const struct dd_backup_list *l, const char *which, char *err, size_t errlen)
{
	bool latest = strcmp(which, "latest") == 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct dd_backup_entry *e = &l->v[i];
		if (latest && e->state == DD_BACKUP_COMPLETE && e->check != DD_CHECK_FAILED)
			return e;
		if (!latest && (strcmp(e->id, which) == 0 || strcmp(e->name, which) == 0) &&
		    e->state != DD_BACKUP_WRITING && e->state != DD_BACKUP_STALE)
			return e;
	}
	if (latest)
		dd_seterr(
		    err, errlen, "there is no complete backup (that has not failed a verify)");
	else
		dd_seterr(err, errlen, "no backup '%s' (see dbdeck backups)", which);
	return NULL;
}

int
dd_backup_newest_good(
    const struct dd_cluster_config *cluster, int64_t *wall_ms, char *err, size_t errlen)
{
	struct dd_backup_list l;
	int rc = 1;

	*wall_ms = 0;
	if (dd_backup_list(cluster, &l, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < l.n && rc == 1; i++) {
		if (l.v[i].state == DD_BACKUP_COMPLETE && l.v[i].check != DD_CHECK_FAILED) {
			*wall_ms = l.v[i].started_wall_ms;
			rc = 0;
		}
	}
	dd_backup_list_free(&l);
	return rc;
}

const char *
dd_backup_check_name(enum dd_backup_check c)
{
	return c == DD_CHECK_VERIFIED ? "verified" : c == DD_CHECK_FAILED ? "FAILED" : "unverified";
}

const char *
dd_backup_state_name(enum dd_backup_state s)
{
	static const char *const names[] = {"complete", "writing", "stale", "damaged"};

	return (unsigned)s < DD_ARRAY_LEN(names) ? names[s] : "?";
}
