/*
 * engine_pg.c: the monitor's PostgreSQL table (mon_engine_pg): what it asks
 * a PostgreSQL node every round and how the answer is read, why the top
 * statements cannot be read, a replica's positions, and cancel.
 *
 * The table lives here, not in core/driver with dd_driver_pg (DESIGN.md §2
 * puts "engine-specific probe SQL" and "cancel" in the driver's tables):
 * these statements read into the monitor's own structs (probe_result, the
 * string pool, the snapshot), and this cancel acts on another session's
 * statement after re-checking it against what a snapshot showed, which only
 * the monitor knows; the driver's cancel stops the statement running on a
 * connection of one's own.
 *
 * The round: one statement per round, its text made once per
 * cluster (the slow_query threshold is part of it): a UNION ALL of
 *   's'  one row: version, uptime, max_connections, sessions by state
 *        (pg_stat_activity), transaction and block counters
 *        (pg_stat_database), the WAL receive position of a replica and,
 *        when pg_stat_statements can be read, its total calls;
 *   'q'  the statements running longer than slow_query (pg_stat_activity);
 *   'r'  the replicas a primary streams to (pg_stat_replication).
 * Every value travels as text in the same 13 columns after the kind. Every
 * 30 s or so a second statement reads the top statements of the cluster's
 * database by total and by mean time. dbdeck's own sessions (this probe's,
 * and the pools' and routers' by the application_name the core gives them,
 * cl->app and cl->probe_app) are left out of the counts by state and of the
 * slow statements. docs/monitoring.md has the
 * full list.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

/* dbdeck's own sessions: this one, and those named in the statement's "own" (pg_make_sql). */
#define PG_OWN "(pid = pg_backend_pid() OR application_name IN (SELECT name FROM own))"

/*
 * %s twice: the application names of the pools and of the probers (SQL
 * literals); %s: the calls expression; %lld: slow_query in ms; %d: the row
 * limits.
 */
#define PG_ROUND_FMT                                                                               \
	MON_COMMENT                                                                                \
	" WITH own(name) AS (VALUES (%s), (%s))"                                                   \
	" SELECT 's', current_setting('server_version'),"                                          \
	" extract(epoch FROM now() - pg_postmaster_start_time())::bigint::text,"                   \
	" current_setting('max_connections'), c.used::text, c.active::text, c.idle::text,"         \
	" c.idle_txn::text, c.waiting::text, d.x::text, d.h::text, d.r::text,"                     \
	" pg_last_wal_receive_lsn()::text, (%s)::text"                                             \
	" FROM (SELECT count(*) AS used,"                                                          \
	"  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'active'"                             \
	"   AND wait_event_type IS DISTINCT FROM 'Lock') AS active,"                               \
	"  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'idle') AS idle,"                     \
	"  count(*) FILTER (WHERE NOT " PG_OWN                                                     \
	"   AND state LIKE 'idle in transaction%%') AS idle_txn,"                                  \
	"  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'active'"                             \
	"   AND wait_event_type = 'Lock') AS waiting"                                              \
	"  FROM pg_stat_activity WHERE backend_type = 'client backend') c,"                        \
	" (SELECT sum(xact_commit + xact_rollback)::bigint AS x, sum(blks_hit)::bigint AS h,"      \
	"  sum(blks_read)::bigint AS r FROM pg_stat_database) d"                                   \
	" UNION ALL (SELECT 'q', pid::text, usename::text, datname::text, host(client_addr),"      \
	"  application_name, state, wait_event_type || ': ' || wait_event,"                        \
	"  ((extract(epoch FROM query_start) * 1000000)::bigint)::text,"                           \
	"  extract(epoch FROM now() - query_start)::float8::text, query, NULL, NULL, NULL"         \
	"  FROM pg_stat_activity"                                                                  \
	"  WHERE backend_type = 'client backend' AND state = 'active' AND NOT " PG_OWN             \
	"  AND query_start <= now() - interval '%lld milliseconds'"                                \
	"  ORDER BY query_start LIMIT %d)"                                                         \
	" UNION ALL (SELECT 'r', application_name, host(client_addr), state,"                      \
	"  extract(epoch FROM write_lag)::float8::text,"                                           \
	"  extract(epoch FROM flush_lag)::float8::text,"                                           \
	"  extract(epoch FROM replay_lag)::float8::text,"                                          \
	"  CASE WHEN pg_is_in_recovery() THEN NULL"                                                \
	"   ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text END,"             \
	"  NULL, NULL, NULL, NULL, NULL, NULL"                                                     \
	"  FROM pg_stat_replication ORDER BY application_name LIMIT %d)"

#define PG_ROUND_COLS 14

/* %1$s total column, %2$s mean column (PostgreSQL 13 renamed them). */
#define PG_STATEMENTS_FMT                                                                          \
	MON_COMMENT " SELECT query, calls, %1$s, %2$s, rows FROM ("                                \
	            " (SELECT query, calls, %1$s, %2$s, rows FROM pg_stat_statements WHERE %3$s"   \
	            "  ORDER BY %1$s DESC LIMIT %4$d) UNION"                                       \
	            " (SELECT query, calls, %1$s, %2$s, rows FROM pg_stat_statements WHERE %3$s"   \
	            "  ORDER BY %2$s DESC LIMIT %4$d)) s ORDER BY %1$s DESC"

static const char pg_statements_where[] =
    "dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND query NOT LIKE '" MON_COMMENT "%'";

/* s as an SQL literal whatever standard_conforming_strings says: E'...', \ and ' doubled. */
static char *
pg_literal(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *out = xmalloc(2 * n + 4);

	out[k++] = 'E';
	out[k++] = '\'';
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			out[k++] = *s;
		out[k++] = *s;
	}
	out[k++] = '\'';
	out[k] = '\0';
	return out;
}

static void
pg_make_sql(struct mcluster *cl)
{
	long long slow = (long long)cl->cc->slow_query_ms;
	char *app = pg_literal(cl->app), *probe = pg_literal(cl->probe_app);

	cl->sql_round = xasprintf(
	    PG_ROUND_FMT, app, probe, "NULL::bigint", slow, MON_MAX_SLOW, DD_SNAP_MAX_REPL);
	cl->sql_round_stmts = xasprintf(PG_ROUND_FMT, app, probe,
	    "SELECT sum(calls)::bigint FROM pg_stat_statements(false)", slow, MON_MAX_SLOW,
	    DD_SNAP_MAX_REPL);
	cl->sql_statements = xasprintf(PG_STATEMENTS_FMT, "total_exec_time", "mean_exec_time",
	    pg_statements_where, MON_TOP_STATEMENTS);
	free(app);
	free(probe);
}

/* Why pg_stat_statements cannot be read, from the error it gave. */
static void
pg_statements_why(const struct mcluster *cl, const struct dd_db_error *err, char *why, size_t len)
{
	const char *st = err->sqlstate;

	if (strcmp(st, "42883") == 0 || strcmp(st, "42P01") == 0)
		snprintf(why, len,
		    "pg_stat_statements is not installed in database %s "
		    "(CREATE EXTENSION pg_stat_statements)",
		    cl->cc->database);
	else if (strcmp(st, "55000") == 0)
		snprintf(why, len,
		    "pg_stat_statements is not loaded (add it to "
		    "shared_preload_libraries and restart the server)");
	else if (strcmp(st, "42501") == 0)
		snprintf(why, len,
		    "no permission to read pg_stat_statements "
		    "(GRANT pg_read_all_stats TO the credential's user)");
	else
		snprintf(why, len, "pg_stat_statements: %s", err->message);
}

/* ---- the rows of a round ---- */

static void
read_stats(struct probe_ctx *c, const struct dd_result *res, int i)
{
	struct probe_result *r = c->r;
	const char *v = dd_result_value(res, i, 1);

	dd_strlcpy(r->version, v ? v : "", sizeof(r->version));
	r->uptime_s = mon_v_i64(res, i, 2);
	r->conn_max = (int)mon_v_i64(res, i, 3);
	r->conn_used = (int)mon_v_i64(res, i, 4);
	r->conn_active = (int)mon_v_i64(res, i, 5);
	r->conn_idle = (int)mon_v_i64(res, i, 6);
	r->conn_idle_in_txn = (int)mon_v_i64(res, i, 7);
	r->conn_waiting = (int)mon_v_i64(res, i, 8);
	c->now.xacts = mon_v_i64(res, i, 9);
	c->now.hits = mon_v_i64(res, i, 10);
	c->now.reads = mon_v_i64(res, i, 11);
	v = dd_result_value(res, i, 12);
	dd_strlcpy(r->receive_pos, v ? v : "", sizeof(r->receive_pos));
	c->now.queries = mon_v_i64(res, i, 13);
}

static void
read_query(struct probe_result *r, const struct dd_result *res, int i)
{
	struct pquery *q;

	if (r->nq >= MON_MAX_SLOW)
		return;
	q = mon_result_add_query(r);
	q->pid = mon_v_i64(res, i, 1);
	q->user = mon_v_str(&r->sp, res, i, 2);
	q->database = mon_v_str(&r->sp, res, i, 3);
	q->client = mon_v_str(&r->sp, res, i, 4);
	q->application = mon_v_str(&r->sp, res, i, 5);
	q->state = mon_v_str(&r->sp, res, i, 6);
	q->wait_event = mon_v_str(&r->sp, res, i, 7);
	q->started_us = mon_v_i64(res, i, 8);
	q->duration_s = mon_v_dbl(res, i, 9);
	q->text = mon_v_str(&r->sp, res, i, 10);
	q->text_len = dd_result_length(res, i, 10);
	q->hash = mon_text_hash(sp_get(&r->sp, q->text), q->text_len);
}

static void
read_peer(struct probe_result *r, const struct dd_result *res, int i)
{
	struct ppeer *p;

	if (r->n_peers >= DD_SNAP_MAX_REPL)
		return;
	p = &r->peers[r->n_peers++];
	p->name = mon_v_str(&r->sp, res, i, 1);
	p->client = mon_v_str(&r->sp, res, i, 2);
	p->state = mon_v_str(&r->sp, res, i, 3);
	p->write_lag_s = mon_v_dbl(res, i, 4);
	p->flush_lag_s = mon_v_dbl(res, i, 5);
	p->replay_lag_s = mon_v_dbl(res, i, 6);
	p->lag_bytes = mon_v_i64(res, i, 7);
}

static bool
pg_read_row(struct probe_ctx *c, const struct dd_result *res, int i, int64_t now_us)
{
	const char *kind = dd_result_value(res, i, 0);

	(void)now_us;
	if (kind[0] == 's') {
		read_stats(c, res, i);
		return true;
	}
	if (kind[0] == 'q')
		read_query(c->r, res, i);
	else if (kind[0] == 'r')
		read_peer(c->r, res, i);
	return false;
}

/*
 * The round statement, with pg_stat_statements' calls when it can be read
 * (tried again after the back-off when it could not); when the extension
 * fails, once more without it. Then the top statements, when due.
 */
static int
pg_round(struct probe_ctx *c, int64_t now_ns, struct dd_db_error *err)
{
	struct mnode *nd = c->nd;
	struct mcluster *cl = nd->cl;
	bool with = nd->stmts_available || now_ns >= nd->optional_retry_ns;
	char why[160];

	if (mon_round(c, with ? cl->sql_round_stmts : cl->sql_round, err) < 0) {
		if (!with || !mon_optional_missing(err))
			return -1;
		pg_statements_why(cl, err, why, sizeof(why));
		mon_stmts_unavailable(nd, why, now_ns);
		dd_db_error_clear(err);
		mon_result_clear_rows(c->r);
		if (mon_round(c, cl->sql_round, err) < 0)
			return -1;
	} else if (with && !nd->stmts_available) {
		nd->stmts_available = true;
		nd->stmts_next_ns = 0; /* (back) in: read the top statements now */
	}
	if (nd->stmts_available && now_ns >= nd->stmts_next_ns)
		mon_fetch_statements(c, now_ns);
	return 0;
}

/* PostgreSQL 13 renamed total_time and mean_time. */
static const char *
pg_statements_sql(struct probe_ctx *c, char **owned)
{
	if (dd_conn_server_version(c->conn ? c->conn : dd_pooled_conn(c->pc)) >= 130000)
		return c->nd->cl->sql_statements;
	*owned = xasprintf(
	    PG_STATEMENTS_FMT, "total_time", "mean_time", pg_statements_where, MON_TOP_STATEMENTS);
	return *owned;
}

/* ---- in the snapshot ---- */

static void
pg_replication(struct snap_build *b, struct dd_snap_node *sn, const struct dd_role_info *in,
    const struct dd_role_info *pin)
{
	char buf[32];

	dd_lsn_format(in->receive_lsn, buf, sizeof(buf));
	sn->receive_pos = in->receive_lsn ? snap_str(b, buf) : "";
	dd_lsn_format(in->replay_lsn, buf, sizeof(buf));
	sn->replay_pos = in->replay_lsn ? snap_str(b, buf) : "";
	if (pin && pin->current_lsn && in->replay_lsn)
		sn->lag_bytes = pin->current_lsn > in->replay_lsn
		                    ? (int64_t)(pin->current_lsn - in->replay_lsn)
		                    : 0;
}

/* ---- cancel ---- */

/*
 * One statement reads the session's state and query_start and signals it
 * only when it is still active with the same start, to the microsecond (a
 * CASE, so the check and the act see the same row). The start, the function
 * (pg_cancel_backend / pg_terminate_backend), the pid.
 */
#define PG_CANCEL_FMT                                                                              \
	MON_COMMENT                                                                                \
	" SELECT state, (extract(epoch FROM query_start) * 1000000)::bigint,"                      \
	" CASE WHEN state = 'active' AND (extract(epoch FROM query_start) * 1000000)::bigint"      \
	" = %" PRId64 " THEN %s(pid) END FROM pg_stat_activity WHERE pid = %" PRId64

/* What the check-and-cancel row says (state, start, whether the server signalled). */
static int
pg_cancel_verdict(const struct cancel_ctx *x, const struct dd_result *res)
{
	const struct dd_query_target *t = x->t;
	const char *state = dd_result_value(res, 0, 0);
	const char *start = dd_result_value(res, 0, 1);
	const char *done = dd_result_value(res, 0, 2);

	if (!state || strcmp(state, "active") != 0) {
		dd_seterr(x->err, x->errlen,
		    "refused: the statement has ended (session %" PRId64 " is %s now)", t->pid,
		    state ? state : "in an unknown state");
		return DD_CANCEL_CHANGED;
	}
	if (!start || strtoll(start, NULL, 10) != t->started_us) {
		dd_seterr(x->err, x->errlen,
		    "refused: session %" PRId64 " runs another statement now "
		    "(started at a different time)",
		    t->pid);
		return DD_CANCEL_CHANGED;
	}
	if (!done || strcmp(done, "t") != 0) {
		dd_seterr(x->err, x->errlen,
		    "the server did not signal session %" PRId64
		    " (no permission, or it just ended)",
		    t->pid);
		return DD_CANCEL_FAILED;
	}
	return DD_CANCEL_OK;
}

static int
pg_cancel(const struct cancel_ctx *x)
{
	const struct dd_query_target *t = x->t;
	struct dd_db_error e;
	struct dd_result *res = NULL;
	char sql[512];
	int rc;

	snprintf(sql, sizeof(sql), PG_CANCEL_FMT, t->started_us,
	    x->terminate ? "pg_terminate_backend" : "pg_cancel_backend", t->pid);
	dd_db_error_clear(&e);
	if (dd_pool_query(x->pc, sql, x->deadline_ns, &res, &e) < 0) {
		dd_seterr(x->err, x->errlen, "could not check session %" PRId64 ": %s", t->pid,
		    e.message);
		return DD_CANCEL_FAILED;
	}
	if (dd_result_nrows(res) != 1) {
		dd_seterr(x->err, x->errlen,
		    "refused: session %" PRId64 " is gone (the statement ended "
		    "and the session closed)",
		    t->pid);
		rc = DD_CANCEL_GONE;
	} else {
		rc = pg_cancel_verdict(x, res);
	}
	dd_result_free(res);
	return rc;
}

const struct mon_engine mon_engine_pg = {
    .name = "postgresql",
    .make_sql = pg_make_sql,
    .round_cols = PG_ROUND_COLS,
    .round = pg_round,
    .read_row = pg_read_row,
    .statements_sql = pg_statements_sql,
    .statements_why = pg_statements_why,
    .replication = pg_replication,
    .cancel = pg_cancel,
};
