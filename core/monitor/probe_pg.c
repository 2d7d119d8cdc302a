/*
 * probe_pg.c: what the monitor asks a PostgreSQL node every round, and how
 * the answer is read. One statement per round, its text made once per
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
 * and the pools' and routers' by application_name) are left out of the
 * counts by state and of the slow statements. docs/monitoring.md has the
 * full list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

#define PG_OWN                                                                                     \
	"(pid = pg_backend_pid() OR application_name IN ('" MON_APP "', '" MON_APP "-probe'))"

/* %s: the calls expression; %lld: slow_query in ms; %d: the row limit. */
#define PG_ROUND_FMT                                                                               \
	MON_COMMENT                                                                                \
	    " SELECT 's', current_setting('server_version'),"                                      \
	    " extract(epoch FROM now() - pg_postmaster_start_time())::bigint::text,"               \
	    " current_setting('max_connections'), c.used::text, c.active::text, c.idle::text,"     \
	    " c.idle_txn::text, c.waiting::text, d.x::text, d.h::text, d.r::text,"                 \
	    " pg_last_wal_receive_lsn()::text, (%s)::text"                                         \
	    " FROM (SELECT count(*) AS used,"                                                      \
	    "  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'active'"                         \
	    "   AND wait_event_type IS DISTINCT FROM 'Lock') AS active,"                           \
	    "  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'idle') AS idle,"                 \
	    "  count(*) FILTER (WHERE NOT " PG_OWN                                                 \
	    "   AND state LIKE 'idle in transaction%%') AS idle_txn,"                              \
	    "  count(*) FILTER (WHERE NOT " PG_OWN " AND state = 'active'"                         \
	    "   AND wait_event_type = 'Lock') AS waiting"                                          \
	    "  FROM pg_stat_activity WHERE backend_type = 'client backend') c,"                    \
	    " (SELECT sum(xact_commit + xact_rollback)::bigint AS x, sum(blks_hit)::bigint AS h,"  \
	    "  sum(blks_read)::bigint AS r FROM pg_stat_database) d"                               \
	    " UNION ALL (SELECT 'q', pid::text, usename::text, datname::text, host(client_addr),"  \
	    "  application_name, state, wait_event_type || ': ' || wait_event,"                    \
	    "  ((extract(epoch FROM query_start) * 1000000)::bigint)::text,"                       \
	    "  extract(epoch FROM now() - query_start)::float8::text, query, NULL, NULL, NULL"     \
	    "  FROM pg_stat_activity"                                                              \
	    "  WHERE backend_type = 'client backend' AND state = 'active' AND NOT " PG_OWN         \
	    "  AND query_start <= now() - interval '%lld milliseconds'"                            \
	    "  ORDER BY query_start LIMIT %d)"                                                     \
	    " UNION ALL (SELECT 'r', application_name, host(client_addr), state,"                  \
	    "  extract(epoch FROM write_lag)::float8::text,"                                       \
	    "  extract(epoch FROM flush_lag)::float8::text,"                                       \
	    "  extract(epoch FROM replay_lag)::float8::text,"                                      \
	    "  CASE WHEN pg_is_in_recovery() THEN NULL"                                            \
	    "   ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text END,"         \
	    "  NULL, NULL, NULL, NULL, NULL, NULL"                                                 \
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

void
mon_pg_sql(struct mcluster *cl)
{
	long long slow = (long long)cl->cc->slow_query_ms;

	cl->sql_round =
	    xasprintf(PG_ROUND_FMT, "NULL::bigint", slow, MON_MAX_SLOW, DD_SNAP_MAX_REPL);
	cl->sql_round_stmts =
	    xasprintf(PG_ROUND_FMT, "SELECT sum(calls)::bigint FROM pg_stat_statements(false)",
	        slow, MON_MAX_SLOW, DD_SNAP_MAX_REPL);
	cl->sql_statements = xasprintf(PG_STATEMENTS_FMT, "total_exec_time", "mean_exec_time",
	    pg_statements_where, MON_TOP_STATEMENTS);
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

int
mon_pg_round(struct probe_ctx *c, bool with_statements, struct dd_db_error *err)
{
	struct mcluster *cl = c->nd->cl;
	struct dd_result *res = NULL;
	bool stats = false;
	const char *kind;
	int i, n;

	if (mon_run(c, with_statements ? cl->sql_round_stmts : cl->sql_round, PG_ROUND_COLS, &res,
	        err) < 0)
		return -1;
	n = dd_result_nrows(res);
	for (i = 0; i < n; i++) {
		kind = dd_result_value(res, i, 0);
		if (kind == NULL)
			continue;
		if (kind[0] == 's') {
			read_stats(c, res, i);
			stats = true;
		} else if (kind[0] == 'q') {
			read_query(c->r, res, i);
		} else if (kind[0] == 'r') {
			read_peer(c->r, res, i);
		}
	}
	dd_result_free(res);
	if (!stats) {
		err->cls = DD_ERR_PERMANENT;
		dd_strlcpy(err->message, "no stats row", sizeof(err->message));
		return -1;
	}
	return 0;
}

int
mon_pg_statements(struct probe_ctx *c, struct stmt_set *out, struct dd_db_error *err)
{
	struct dd_result *res = NULL;
	char *old = NULL;
	const char *sql = c->nd->cl->sql_statements;
	int i, n, rc;

	if (dd_conn_server_version(dd_pooled_conn(c->pc)) < 130000)
		sql = old = xasprintf(PG_STATEMENTS_FMT, "total_time", "mean_time",
		    pg_statements_where, MON_TOP_STATEMENTS);
	rc = mon_run(c, sql, 5, &res, err);
	free(old);
	if (rc < 0)
		return -1;
	sp_reset(&out->sp);
	n = dd_result_nrows(res);
	out->n = 0;
	for (i = 0; i < n && out->n < 2 * MON_TOP_STATEMENTS; i++) {
		struct pstmt *s = &out->s[out->n++];
		s->text = mon_v_str(&out->sp, res, i, 0);
		s->calls = mon_v_i64(res, i, 1);
		s->total_ms = mon_v_dbl(res, i, 2);
		s->mean_ms = mon_v_dbl(res, i, 3);
		s->rows = mon_v_i64(res, i, 4);
	}
	dd_result_free(res);
	return 0;
}

void
mon_pg_statements_why(
    const struct mcluster *cl, const struct dd_db_error *err, char *why, size_t len)
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
