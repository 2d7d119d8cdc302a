/*
 * take.c: dd_backup_take, one backup from start to rename.
 *
 *   audit start → tool found → <cluster>/ made and locked, stale .partials
 *   removed, <name>.partial made and locked → facts read from the node
 *   (version, size, tables and row estimates, position, options) → data key
 *   when encrypted → password memfd → the tool started → its stdout through
 *   the writer until EOF, with progress and cancel → the tool's exit status
 *   → writer finished (fsync) → manifest written (fsync) → directory fsync'd
 *   → renamed to <name> → parent fsync'd → audit end.
 *
 * Any failure on the way kills the tool and removes the .partial; a killed
 * dbdeck leaves a .partial whose lock died with it, removed by the next take.
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define READ_BUF        (1024 * 1024)
#define FACT_TIMEOUT_MS 60000

struct take {
	const struct dd_backup_ctx *ctx;
	const struct bk_engine *eng;
	const struct dd_node_config *node;
	char tool[PATH_MAX];
	char cdir[PATH_MAX], partial[PATH_MAX], final[PATH_MAX];
	int partial_lock;
	struct bk_manifest m;
	bool binlog;
	unsigned char *data_key; /* sodium_malloc, or NULL */
	int pwfd;
	struct bk_child child;
	bool child_running;
	struct bk_child version; /* `tool --version`, read before the dump starts */
	bool version_running;
	struct bk_writer *w;
};

/* Makes the id and name, the .partial directory, and locks it. */
static int
make_partial(struct take *t, char *err, size_t errlen)
{
	unsigned char rnd[4];
	char stamp[32];
	time_t now = (time_t)(t->m.started_wall_ms / 1000);
	struct tm tm;

	if (bk_cluster_dir_make(t->ctx->cluster, t->cdir, sizeof(t->cdir), err, errlen) != 0)
		return -1;
	int lock = bk_lock_cluster(t->cdir, err, errlen);
	if (lock < 0)
		return -1;
	bk_clean_stale(t->cdir, &t->ctx->hooks);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(t->m.id, sizeof(t->m.id), rnd, sizeof(rnd));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(t->m.name, sizeof(t->m.name), "%s-%s", stamp, t->m.id);
	bk_join(t->final, sizeof(t->final), t->cdir, t->m.name);
	if (!bk_join(t->partial, sizeof(t->partial), t->final, NULL)) {
		dd_seterr(err, errlen, "backup_dir %s: the path is too long",
		    t->ctx->cluster->backup_dir);
		bk_unlock(lock);
		return -1;
	}
	int rc = mkdir(t->partial, 0700);
	if (rc != 0)
		dd_seterr(err, errlen, "cannot create %s: %s", t->partial, strerror(errno));
	else if ((t->partial_lock = bk_lock_dir(t->partial, true)) < 0)
		rc = -1, dd_seterr(err, errlen, "cannot lock %s: %s", t->partial, strerror(errno));
	bk_unlock(lock);
	return rc;
}

static void
read_position(struct take *t, struct dd_conn *c)
{
	struct dd_role_info ri;
	struct dd_db_error e;

	if (dd_conn_probe_role(c, dd_now_mono_ns() + INT64_C(10000000000), &ri, &e) != 0)
		return;
	dd_strlcpy(t->m.node_role, dd_role_name(ri.role), sizeof(t->m.node_role));
	if (ri.applied.kind == DD_POS_LSN) {
		dd_strlcpy(t->m.position_kind, "lsn", sizeof(t->m.position_kind));
		dd_lsn_format(ri.applied.lsn, t->m.position, sizeof(t->m.position));
	} else if (ri.applied.kind == DD_POS_GTID) {
		dd_strlcpy(t->m.position_kind, "gtid", sizeof(t->m.position_kind));
		dd_gtid_set_format(&ri.applied.gtids, t->m.position, sizeof(t->m.position));
	}
}

static const char *
value_or_empty(const struct dd_result *r, int col)
{
	const char *v = dd_result_value(r, 0, col);

	return v ? v : "";
}

static int
read_dbopts(struct take *t, struct dd_conn *c, char *err, size_t errlen)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	struct bk_dbopts *o = &t->m.dbopts;

	if (dd_conn_query(c, t->eng->sql_dbopts, dd_now_mono_ns() + INT64_C(10000000000), &r, &e)) {
		dd_seterr(err, errlen, "cannot read the database's options: %s", e.message);
		return -1;
	}
	if (dd_result_nrows(r) > 0) {
		dd_strlcpy(o->encoding, value_or_empty(r, 0), sizeof(o->encoding));
		dd_strlcpy(o->collate, value_or_empty(r, 1), sizeof(o->collate));
		dd_strlcpy(o->ctype, value_or_empty(r, 2), sizeof(o->ctype));
	}
	dd_result_free(r);
	return 0;
}

/* What the manifest records about the source, read over dbdeck's own connection. */
static int
read_facts(struct take *t, char *err, size_t errlen)
{
	struct dd_conn *c = NULL;
	char v[64], why[BK_ERR_MAX];
	int rc = -1;

	if (bk_connect(t->ctx, t->node, t->ctx->cluster->database, &c, err, errlen) != 0)
		return -1;
	dd_strlcpy(t->m.server_version, dd_conn_server_version_str(c), sizeof(t->m.server_version));
	t->m.database_bytes = -1;
	if (bk_query_value(
	        c, t->eng->sql_db_size, FACT_TIMEOUT_MS, v, sizeof(v), why, sizeof(why)) == 0 &&
	    v[0])
		t->m.database_bytes = strtoll(v, NULL, 10);
	if (t->eng->sql_binlog && bk_query_value(c, t->eng->sql_binlog, FACT_TIMEOUT_MS, v,
	                              sizeof(v), why, sizeof(why)) == 0)
		t->binlog = strcmp(v, "1") == 0;
	read_position(t, c);
	if (read_dbopts(t, c, err, errlen) != 0 ||
	    bk_read_tables(t->eng, c, &t->m.tables, &t->m.n_tables, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	return rc;
}

static int
make_key(struct take *t, char *err, size_t errlen)
{
	const struct dd_backup_ctx *ctx = t->ctx;

	if (!ctx->cluster->backup_key) {
		dd_strlcpy(t->m.file, t->eng->file_name, sizeof(t->m.file));
		return 0;
	}
	if (!ctx->key_secret) {
		dd_seterr(err, errlen, "backup_key '%s' is set but its secret was not given",
		    ctx->cluster->backup_key);
		return -1;
	}
	t->data_key = bk_key_new(ctx->key_secret, ctx->key_len, ctx->cluster->backup_key, t->m.id,
	    &t->m.wrap, err, errlen);
	t->m.encrypted = t->data_key != NULL;
	snprintf(t->m.file, sizeof(t->m.file), "%s.enc", t->eng->file_name);
	return t->data_key ? 0 : -1;
}

static int
start_tool(struct take *t, char *err, size_t errlen)
{
	struct bk_argv argv = {0}, env = {0};
	struct bk_target tg = {.node = t->node,
	    .database = t->ctx->cluster->database,
	    .user = t->ctx->user,
	    .binlog = t->binlog};
	size_t len = 0;
	char *text = t->eng->pwfile_text(t->ctx->user, t->ctx->password, &len);
	int rc;

	if (!text) {
		dd_seterr(err, errlen,
		    "the credential's user or password holds a line break, which "
		    "a password file cannot carry");
		return -1;
	}
	t->pwfd = bk_pwfile(text, len, err, errlen);
	sodium_free(text);
	if (t->pwfd < 0)
		return -1;
	bk_argv_add(&argv, t->tool);
	t->eng->dump_argv(&argv, &tg);
	t->eng->child_env(&env);
	rc = bk_spawn(
	    t->tool, argv.v, env.v, t->pwfd, BK_IO_READ, &t->ctx->hooks, &t->child, err, errlen);
	t->child_running = rc == 0;
	bk_argv_free(&argv);
	bk_argv_free(&env);
	return rc;
}

/* The tool's stdout into the writer until EOF; stderr to the log all along. */
static int
pump(struct take *t, char *err, size_t errlen)
{
	unsigned char *buf = xmalloc(READ_BUF);
	struct bk_meter meter;
	int rc = 0;

	bk_meter_start(&meter, DD_BACKUP_PHASE_DUMP,
	    t->m.database_bytes > 0 ? (uint64_t)t->m.database_bytes : 0);
	for (uint64_t done = 0;;) {
		struct pollfd p[2] = {{.fd = t->child.data_fd, .events = POLLIN},
		    {.fd = t->child.err_fd, .events = POLLIN}};
		if (bk_cancelled(&t->ctx->hooks)) {
			bk_cancel_message(&t->ctx->hooks, err, errlen);
			rc = DD_BACKUP_CANCELLED;
			break;
		}
		poll(p, t->child.err_fd >= 0 ? 2 : 1, 100);
		bk_child_drain_err(&t->child);
		ssize_t n = read(t->child.data_fd, buf, READ_BUF);
		if (n == 0)
			break;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 || bk_writer_write(t->w, buf, (size_t)n, err, errlen) != 0) {
			if (n < 0)
				dd_seterr(err, errlen, "reading from %s: %s", t->child.name,
				    strerror(errno));
			rc = -1;
			break;
		}
		done += (uint64_t)n;
		bk_meter_tick(&meter, &t->ctx->hooks, done, false);
	}
	free(buf);
	return rc;
}

static int
dump(struct take *t, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	bk_join(path, sizeof(path), t->partial, t->m.file);
	if (!(t->w = bk_writer_open(path, t->eng->zstd, t->data_key, err, errlen)))
		return -1;
	if (start_tool(t, err, errlen) != 0)
		return -1;
	bk_log(&t->ctx->hooks, "dumping %s from %s with %s", t->ctx->cluster->database,
	    t->node->name, t->child.name);
	if ((rc = pump(t, err, errlen)) != 0)
		return rc;
	t->child_running = false;
	if ((rc = bk_child_finish(&t->child, err, errlen)) != 0)
		return rc;
	rc = bk_writer_finish(t->w, t->m.sha256, &t->m.bytes_raw, &t->m.bytes_stored, err, errlen);
	t->w = NULL;
	return rc;
}

static int
seal_backup(struct take *t, char *err, size_t errlen)
{
	t->m.ended_wall_ms = dd_now_wall_ms();
	if (bk_manifest_write(t->partial, &t->m, err, errlen) != 0 ||
	    bk_fsync_path(t->partial, err, errlen) != 0)
		return -1;
	if (rename(t->partial, t->final) != 0) {
		dd_seterr(err, errlen, "cannot rename %s: %s", t->partial, strerror(errno));
		return -1;
	}
	return bk_fsync_path(t->cdir, err, errlen);
}

static void
fill_manifest_head(struct take *t, const char *why_node)
{
	const struct dd_cluster_config *cl = t->ctx->cluster;

	t->m.started_wall_ms = dd_now_wall_ms();
	dd_strlcpy(t->m.cluster, cl->name, sizeof(t->m.cluster));
	dd_strlcpy(t->m.engine, dd_engine_name(cl->engine), sizeof(t->m.engine));
	dd_strlcpy(t->m.database, cl->database, sizeof(t->m.database));
	dd_strlcpy(t->m.node, t->node->name, sizeof(t->m.node));
	dd_strlcpy(t->m.node_role, "unknown", sizeof(t->m.node_role));
	dd_strlcpy(t->m.node_reason, why_node ? why_node : "", sizeof(t->m.node_reason));
	dd_strlcpy(t->m.tool, t->eng->dump_tool, sizeof(t->m.tool));
	dd_strlcpy(t->m.dump_format, t->eng->format, sizeof(t->m.dump_format));
	dd_strlcpy(t->m.compression, t->eng->zstd ? "zstd" : "none", sizeof(t->m.compression));
	t->version_running = bk_tool_version_start(t->tool, &t->version) == 0;
}

static int
run(struct take *t, const char *why_node, char *err, size_t errlen)
{
	int rc;

	if (!bk_find_tool(t->eng->dump_tool, t->tool, sizeof(t->tool))) {
		dd_seterr(err, errlen, "%s is not on PATH (install the engine's client tools)",
		    t->eng->dump_tool);
		return -1;
	}
	fill_manifest_head(t, why_node);
	if (make_partial(t, err, errlen) != 0 || read_facts(t, err, errlen) != 0 ||
	    make_key(t, err, errlen) != 0)
		return -1;
	if (t->version_running) /* it ran alongside the facts and the key */
		bk_tool_version_finish(&t->version, t->m.tool_version, sizeof(t->m.tool_version));
	t->version_running = false;
	if ((rc = dump(t, err, errlen)) != 0)
		return rc;
	return seal_backup(t, err, errlen);
}

static void
cleanup(struct take *t, bool failed)
{
	char e2[BK_ERR_MAX];

	if (t->child_running)
		bk_child_kill(&t->child);
	if (t->version_running)
		bk_child_kill(&t->version);
	bk_writer_abort(t->w);
	if (t->pwfd >= 0)
		close(t->pwfd);
	if (failed && t->partial_lock >= 0 && bk_remove_dir(t->partial, e2, sizeof(e2)) != 0)
		bk_log(&t->ctx->hooks, "%s", e2);
	bk_unlock(t->partial_lock);
	sodium_free(t->data_key);
	bk_manifest_clear(&t->m);
}

static void
fill_result(const struct take *t, struct dd_backup_result *res)
{
	memset(res, 0, sizeof(*res));
	dd_strlcpy(res->name, t->m.name, sizeof(res->name));
	dd_strlcpy(res->id, t->m.id, sizeof(res->id));
	dd_strlcpy(res->path, t->final, sizeof(res->path));
	dd_strlcpy(res->node, t->m.node, sizeof(res->node));
	dd_strlcpy(res->sha256, t->m.sha256, sizeof(res->sha256));
	dd_strlcpy(res->key_fingerprint, t->m.wrap.fingerprint, sizeof(res->key_fingerprint));
	res->bytes_raw = t->m.bytes_raw;
	res->bytes_stored = t->m.bytes_stored;
	res->started_wall_ms = t->m.started_wall_ms;
	res->ended_wall_ms = t->m.ended_wall_ms;
}

int
dd_backup_take(const struct dd_backup_ctx *ctx, const struct dd_node_config *node,
    const char *why_node, struct dd_backup_result *res, char *err, size_t errlen)
{
	struct take t = {.ctx = ctx, .node = node, .partial_lock = -1, .pwfd = -1};
	char args[128];
	uint64_t audit_id = 0;
	int rc;

	t.eng = bk_engine_for(ctx->cluster->engine);
	snprintf(args, sizeof(args), "{\"node\": \"%s\", \"encrypted\": %s}", node->name,
	    ctx->cluster->backup_key ? "true" : "false");
	if (bk_audit_begin(ctx, "backup", node->name, args, &audit_id, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	rc = run(&t, why_node, err, errlen);
	if (rc == 0)
		fill_result(&t, res);
	cleanup(&t, rc != 0);
	rc = rc == 0 ? DD_BACKUP_OK : rc == DD_BACKUP_CANCELLED ? rc : DD_BACKUP_FAILED;
	bk_audit_end(ctx, audit_id, rc, rc == 0 ? res->name : err);
	return rc;
}
