/*
 * audit.c: the writer of the audit log (audit.h). Opens the file with the
 * vault's rules (no symlink, the user's own, no group/other bits), and
 * appends each record under the process's mutex and an exclusive flock on
 * the file: read the last line, hash it into `prev`, write the record with
 * one write(), fsync. A write or fsync that fails is cut back off the file,
 * so a failed start record leaves nothing behind and the action does not
 * start.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "util/util.h"

/* An action between its start and end records. */
struct pending {
	uint64_t id;
	int64_t begin_mono_ns;
	char *action, *cluster, *target;
};

struct dd_audit {
	pthread_mutex_t mu;
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	struct audit_who who;
	const struct dd_clock *clock;
	struct pending *pend;
	size_t n_pend, cap_pend;
};

/* The opened file must be a regular file, the user's, without group/other bits. */
static int
check_file(const char *path, const struct stat *st, char *err, size_t errlen)
{
	char owner[64], me[64];
	uid_t uid = geteuid();
	if (!S_ISREG(st->st_mode)) {
		dd_seterr(err, errlen, "audit log %s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != uid) {
		dd_seterr(err, errlen,
		    "audit log %s: owned by %s (uid %u), not by the current user %s (uid %u); "
		    "if it is yours, run: chown %s %s",
		    path, audit_user_name(st->st_uid, owner, sizeof(owner)), (unsigned)st->st_uid,
		    audit_user_name(uid, me, sizeof(me)), (unsigned)uid, me, path);
		return -1;
	}
	if (st->st_mode & 077) {
		dd_seterr(err, errlen,
		    "audit log %s: mode %04o allows group/other access; run: chmod 600 %s", path,
		    (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* Creates the missing directories leading to path's file, mode 0700 (existing ones untouched). */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = strchr(p + 1, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) == 0 ? chmod(p, 0700) != 0 : errno != EEXIST) {
			dd_seterr(err, errlen, "audit log %s: cannot create directory %s: %s", path,
			    p, strerror(errno));
			rc = -1;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* fsyncs the directory holding path, so a new file's name survives a crash. */
static void
sync_dir(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	if (slash)
		*(slash == d ? slash + 1 : slash) = '\0';
	int fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(d);
}

/* Opens path with every check; returns the descriptor, or -1 with err. */
static int
open_checked(const char *path, struct stat *st, char *err, size_t errlen)
{
	struct stat lst;
	bool existed = lstat(path, &lst) == 0;
	if (existed && S_ISLNK(lst.st_mode)) {
		dd_seterr(err, errlen,
		    "audit log %s: is a symbolic link; refusing to follow it (name the real file "
		    "in the config's audit_log key)",
		    path);
		return -1;
	}
	if (!existed && make_parents(path, err, errlen) != 0)
		return -1;
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		dd_seterr(err, errlen, "audit log %s: %s", path,
		    errno == ELOOP ? "is a symbolic link; refusing to follow it" : strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0 ||
	    (existed && (st->st_dev != lst.st_dev || st->st_ino != lst.st_ino))) {
		dd_seterr(
		    err, errlen, "audit log %s: replaced while being opened; try again", path);
		goto fail;
	}
	if (!existed && st->st_size == 0 && st->st_uid == geteuid()) {
		if (fchmod(fd, 0600) != 0 || fstat(fd, st) != 0) { /* whatever the umask took */
			dd_seterr(err, errlen, "audit log %s: chmod: %s", path, strerror(errno));
			goto fail;
		}
		sync_dir(path);
	}
	if (check_file(path, st, err, errlen) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
dd_audit_open(struct dd_audit **out, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char hex[AUDIT_HASH_HEX];
	bool partial;

	*out = NULL;
	if (sodium_init() < 0) {
		dd_seterr(err, errlen, "audit log: libsodium could not start");
		return -1;
	}
	if (!path || !*path) {
		dd_seterr(err, errlen, "audit log: no path (set [console] audit_log)");
		return -1;
	}
	int fd = open_checked(path, &st, err, errlen);
	if (fd < 0)
		return -1;
	char why[200];
	if (audit_tail_hash(fd, st.st_size, hex, &partial, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "audit log %s: %s", path, why);
		close(fd);
		return -1;
	}
	struct dd_audit *a = xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
	a->path = xstrdup(path);
	a->fd = fd;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	a->clock = dd_clock_default();
	audit_who_read(&a->who);
	*out = a;
	return 0;
}

void
dd_audit_close(struct dd_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_pend; i++) {
		free(a->pend[i].action);
		free(a->pend[i].cluster);
		free(a->pend[i].target);
	}
	free(a->pend);
	close(a->fd);
	free(a->path);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

void
audit_set_clock(struct dd_audit *a, const struct dd_clock *clock)
{
	pthread_mutex_lock(&a->mu);
	a->clock = clock ? clock : dd_clock_default();
	pthread_mutex_unlock(&a->mu);
}

/* Log rotation: when path names another file now (or none), open that one instead. */
static int
follow_rotation(struct dd_audit *a, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		return 0;
	int fd = open_checked(a->path, &st, err, errlen);
	if (fd < 0)
		return -1;
	close(a->fd);
	a->fd = fd;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	errno = 0;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Under the flock: chain rec to the last line, write it, fsync. */
static int
append_locked(struct dd_audit *a, json_t *rec, char *err, size_t errlen)
{
	struct stat st;
	char hex[AUDIT_HASH_HEX], why[200];
	bool partial;
	if (fstat(a->fd, &st) != 0) {
		dd_seterr(err, errlen, "audit log %s: %s", a->path, strerror(errno));
		return -1;
	}
	if (audit_tail_hash(a->fd, st.st_size, hex, &partial, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "audit log %s: %s", a->path, why);
		return -1;
	}
	json_object_set_new(rec, "prev", json_string(hex));
	char *line = json_dumps(rec, JSON_COMPACT);
	if (!line) {
		dd_seterr(err, errlen, "audit log %s: cannot encode the record", a->path);
		return -1;
	}
	char *buf = xasprintf("%s%s\n", partial ? "\n" : "", line);
	free(line);
	int rc = 0;
	if (write_all(a->fd, buf, strlen(buf)) != 0 || fsync(a->fd) != 0) {
		int e = errno;
		/* leave no half record behind */
		bool cut = ftruncate(a->fd, st.st_size) == 0;
		dd_seterr(err, errlen, "audit log %s: cannot write a record: %s%s", a->path,
		    e ? strerror(e) : "short write",
		    cut ? "" : " (and the partial record could not be removed)");
		rc = -1;
	}
	free(buf);
	return rc;
}

/* Appends rec (consumed). Caller holds a->mu. */
static int
append(struct dd_audit *a, json_t *rec, char *err, size_t errlen)
{
	int rc = follow_rotation(a, err, errlen);
	if (rc == 0 && flock(a->fd, LOCK_EX) != 0) {
		dd_seterr(err, errlen, "audit log %s: flock: %s", a->path, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		rc = append_locked(a, rec, err, errlen);
		flock(a->fd, LOCK_UN);
	}
	json_decref(rec);
	return rc;
}

static uint64_t
new_id(void)
{
	uint64_t id;
	do {
		randombytes_buf(&id, sizeof(id));
		id &= (UINT64_C(1) << 53) - 1; /* exact in every JSON reader */
	} while (id == 0);
	return id;
}

static void
pend_add(struct dd_audit *a, uint64_t id, const struct dd_audit_action *act)
{
	if (a->n_pend == a->cap_pend) {
		a->cap_pend = a->cap_pend ? 2 * a->cap_pend : 8;
		a->pend = xrealloc(a->pend, a->cap_pend * sizeof(*a->pend));
	}
	a->pend[a->n_pend++] = (struct pending){
	    .id = id,
	    .begin_mono_ns = a->clock->mono_ns(a->clock->ctx),
	    .action = xstrdup(act->action ? act->action : "?"),
	    .cluster = act->cluster ? xstrdup(act->cluster) : NULL,
	    .target = act->target ? xstrdup(act->target) : NULL,
	};
}

int
dd_audit_begin(
    struct dd_audit *a, const struct dd_audit_action *act, uint64_t *id, char *err, size_t errlen)
{
	if (!act || !act->action || !*act->action) {
		dd_seterr(err, errlen, "audit log: an action needs a name");
		return -1;
	}
	pthread_mutex_lock(&a->mu);
	uint64_t nid = new_id();
	json_t *rec = audit_record_start(&a->who, a->clock->wall_ms(a->clock->ctx), nid, act);
	int rc = append(a, rec, err, errlen);
	if (rc == 0) {
		pend_add(a, nid, act);
		*id = nid;
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
dd_audit_end(struct dd_audit *a, uint64_t id, const char *outcome, const char *detail, char *err,
    size_t errlen)
{
	if (!dd_audit_outcome_valid(outcome)) {
		dd_seterr(err, errlen, "audit log: unknown outcome '%s'", outcome ? outcome : "");
		return -1;
	}
	pthread_mutex_lock(&a->mu);
	size_t i = 0;
	while (i < a->n_pend && a->pend[i].id != id)
		i++;
	int rc = -1;
	if (i == a->n_pend) {
		dd_seterr(
		    err, errlen, "audit log: no action %llu in progress", (unsigned long long)id);
		goto out;
	}
	struct pending *p = &a->pend[i];
	int64_t ms = (a->clock->mono_ns(a->clock->ctx) - p->begin_mono_ns) / 1000000;
	json_t *rec = audit_record_end(&a->who, a->clock->wall_ms(a->clock->ctx), id, p->action,
	    p->cluster, p->target, outcome, detail, ms);
	rc = append(a, rec, err, errlen);
	if (rc == 0) { /* else the caller may try again */
		free(p->action);
		free(p->cluster);
		free(p->target);
		a->pend[i] = a->pend[--a->n_pend];
	}
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}
