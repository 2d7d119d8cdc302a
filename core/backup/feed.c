/*
 * feed.c: a stored dump into the engine's restore tool (pg_restore
 * --single-transaction --exit-on-error, or mariadb --binary-mode), shared by
 * restore and deep verify; and the statements about whole databases
 * (exists, create with the source's encoding, drop), each over a short
 * connection of its own to the engine's admin database on the node
 * (postgres, information_schema), which is there even when the cluster's own
 * database was dropped: the case a restore is for.
 *
 * The reader decrypts and decompresses while it hashes the stored bytes; the
 * tool's stdin is a non-blocking pipe fed under poll() with its stderr
 * drained alongside, so neither side can block the other. Only after the
 * whole file has been read and its SHA-256 matches the manifest does the
 * tool see the end of its input: with pg_restore --single-transaction, a
 * mismatch found at the end aborts the transaction (the tool is killed).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define FEED_BUF       (1024 * 1024)
#define DDL_TIMEOUT_MS (10 * 60 * 1000)

struct feed {
	const struct dd_backup_ctx *ctx;
	struct bk_reader *r;
	struct bk_child child;
	bool running;
	unsigned char *buf;
	size_t pos, len;
	bool input_done;
	struct bk_meter meter;
};

static int
start(struct feed *f, const struct dd_node_config *node, const char *db, bool no_binlog, char *err,
    size_t errlen)
{
	const struct bk_engine *eng = bk_engine_for(f->ctx->cluster->engine);
	struct bk_target tg = {
	    .node = node, .database = db, .user = f->ctx->user, .no_binlog = no_binlog};
	struct bk_argv argv = {0}, env = {0};
	char tool[PATH_MAX];
	size_t len = 0;
	int pwfd, rc;

	if (!bk_find_tool(eng->restore_tool, tool, sizeof(tool))) {
		dd_seterr(err, errlen, "%s is not on PATH (install the engine's client tools)",
		    eng->restore_tool);
		return -1;
	}
	char *text = eng->pwfile_text(f->ctx->user, f->ctx->password, &len);
	if (!text) {
		dd_seterr(err, errlen, "the credential holds a line break: no password file");
		return -1;
	}
	pwfd = bk_pwfile(text, len, err, errlen);
	sodium_free(text);
	if (pwfd < 0)
		return -1;
	bk_argv_add(&argv, tool);
	eng->restore_argv(&argv, &tg);
	eng->child_env(&env);
	rc = bk_spawn(
	    tool, argv.v, env.v, pwfd, BK_IO_WRITE, &f->ctx->hooks, &f->child, err, errlen);
	f->running = rc == 0;
	close(pwfd); /* the child has its own descriptor; the file goes with the last one */
	bk_argv_free(&argv);
	bk_argv_free(&env);
	return rc;
}

/* Writes what is buffered, refilling from the reader; 1 when all input is written. */
static int
push(struct feed *f, char *err, size_t errlen)
{
	for (;;) {
		if (f->pos == f->len) {
			if (bk_reader_read(f->r, f->buf, FEED_BUF, &f->len, err, errlen) != 0)
				return -1;
			f->pos = 0;
			if (f->len == 0)
				return 1;
		}
		ssize_t n = write(f->child.data_fd, f->buf + f->pos, f->len - f->pos);
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dd_seterr(err, errlen, "%s stopped reading its input (%s)", f->child.name,
			    strerror(errno));
			return -1;
		}
		f->pos += (size_t)n;
		bk_meter_tick(&f->meter, &f->ctx->hooks, bk_reader_stored(f->r), false);
	}
}

static int
pump(struct feed *f, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = f->child.data_fd, .events = POLLOUT},
		    {.fd = f->child.err_fd, .events = POLLIN}};
		if (bk_cancelled(&f->ctx->hooks)) {
			bk_cancel_message(&f->ctx->hooks, err, errlen);
			return DD_BACKUP_CANCELLED;
		}
		poll(p, f->child.err_fd >= 0 ? 2 : 1, 100);
		bk_child_drain_err(&f->child);
		int r = push(f, err, errlen);
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
}

/* The end: the hash must match before the tool sees EOF. */
static int
finish(struct feed *f, const struct bk_manifest *m, char *err, size_t errlen)
{
	char sha[65];

	bk_meter_tick(&f->meter, &f->ctx->hooks, bk_reader_stored(f->r), true);
	bk_reader_close(f->r, sha);
	f->r = NULL;
	if (strcmp(sha, m->sha256) != 0) {
		dd_seterr(err, errlen,
		    "%s changed while it was read (SHA-256 mismatch): restore aborted", m->file);
		return -1;
	}
	f->running = false;
	return bk_child_finish(&f->child, err, errlen);
}

/* SIGPIPE from a tool that quit early must not end dbdeck: blocked, then discarded. */
static void
sigpipe_block(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

static void
sigpipe_restore(const sigset_t *old)
{
	sigset_t s;
	struct timespec zero = {0, 0};

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int
bk_feed(const struct dd_backup_ctx *ctx, const struct bk_manifest *m, const char *dir,
    const unsigned char *dk, const struct dd_node_config *node, const char *db, bool no_binlog,
    char *err, size_t errlen)
{
	struct feed f = {.ctx = ctx};
	char path[PATH_MAX];
	sigset_t old;
	int rc = -1;

	bk_join(path, sizeof(path), dir, m->file);
	if (!(f.r = bk_reader_open(path, strcmp(m->compression, "zstd") == 0, dk, err, errlen)))
		return -1;
	f.buf = xmalloc(FEED_BUF);
	bk_meter_start(&f.meter, DD_BACKUP_PHASE_RESTORE, m->bytes_stored);
	sigpipe_block(&old);
	if (start(&f, node, db, no_binlog, err, errlen) == 0 && (rc = pump(&f, err, errlen)) == 0)
		rc = finish(&f, m, err, errlen);
	if (rc != 0 && f.running) {
		char e2[BK_ERR_MAX];
		bk_child_kill(&f.child);
		if (f.child.last_err[0] && rc == -1 && strstr(err, "stopped reading")) {
			snprintf(e2, sizeof(e2), "%s failed: %s", f.child.name, f.child.last_err);
			dd_seterr(err, errlen, "%s", e2);
		}
	}
	sigpipe_restore(&old);
	bk_reader_close(f.r, NULL);
	free(f.buf);
	return rc;
}

/* ---- whole databases ----------------------------------------------------------- */

/* One statement; scratch: a scratch copy's, kept out of MariaDB's binlog. */
static int
db_statement(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *sql,
    bool scratch, char *value, size_t vlen, char *err, size_t errlen)
{
	const struct bk_engine *eng = bk_engine_for(ctx->cluster->engine);
	const char *session = eng->sql_scratch_session;
	struct dd_conn *c = NULL;
	int rc;

	if (bk_connect(ctx, node, eng->admin_db, &c, err, errlen) != 0)
		return -1;
	if (scratch && session && bk_exec(c, session, DDL_TIMEOUT_MS, err, errlen) != 0)
		rc = -1;
	else if (value)
		rc = bk_query_value(c, sql, DDL_TIMEOUT_MS, value, vlen, err, errlen);
	else
		rc = bk_exec(c, sql, DDL_TIMEOUT_MS, err, errlen);
	dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	return rc;
}

int
bk_db_exists(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    bool *exists, char *err, size_t errlen)
{
	char sql[256], v[16];

	bk_engine_for(ctx->cluster->engine)->sql_exists(db, sql, sizeof(sql));
	if (db_statement(ctx, node, sql, false, v, sizeof(v), err, errlen) != 0)
		return -1;
	*exists = v[0] != '\0';
	return 0;
}

int
bk_db_create(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    const struct bk_dbopts *o, bool drop_first, char *err, size_t errlen)
{
	const struct bk_engine *eng = bk_engine_for(ctx->cluster->engine);
	char sql[768], why[BK_ERR_MAX];

	if (drop_first && bk_db_drop(ctx, node, db, true, err, errlen) != 0)
		return -1;
	eng->sql_create(db, o, sql, sizeof(sql));
	if (db_statement(ctx, node, sql, drop_first, NULL, 0, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "cannot create database %s on %s: %s", db, node->name, why);
		return -1;
	}
	return 0;
}

int
bk_db_drop(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    bool force, char *err, size_t errlen)
{
	char sql[256], why[BK_ERR_MAX];

	bk_engine_for(ctx->cluster->engine)->sql_drop(db, force, sql, sizeof(sql));
	if (db_statement(ctx, node, sql, force, NULL, 0, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "cannot drop database %s on %s: %s", db, node->name, why);
		return -1;
	}
	return 0;
}
