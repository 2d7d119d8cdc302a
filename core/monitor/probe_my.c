/*
 * probe_my.c: what the monitor asks a MariaDB (or MySQL) node every round.
 * One statement per round, starting with the dbdeck comment so that
 * operators (and this probe) can tell it apart in the processlist: a UNION
 * ALL of
 *   's'  one row: version, max_connections, @@performance_schema, the status
 *        counters (information_schema.GLOBAL_STATUS: Uptime,
 *        Threads_connected, Questions, Com_commit + Com_rollback, the InnoDB
 *        buffer pool's read requests and reads) and the sessions by state
 *        (information_schema.PROCESSLIST joined with INNODB_TRX for
 *        idle-in-transaction and lock waits);
 *   'q'  statements running longer than slow_query, and the binlog dump
 *        threads that stand for the connected replicas.
 * Every 30 s or so the top statement digests of the cluster's database
 * (performance_schema.events_statements_summary_by_digest). Replication
 * threads, the event scheduler, this probe's session and statements carrying
 * the dbdeck comment are left out of the counts by state and the slow list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

#define MY_NOT_OWN                                                                                 \
	"p.ID <> CONNECTION_ID() AND p.USER NOT IN ('system user', 'event_scheduler')"             \
	" AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID')"                      \
	" AND COALESCE(p.INFO, '') NOT LIKE '" MON_COMMENT "%%'"

#define MY_WAITING "(t.trx_state <=> 'LOCK WAIT' OR p.STATE LIKE 'Waiting for%%lock')"

/* %lld: slow_query in ms; %d: the row limit. */
#define MY_ROUND_FMT                                                                               \
	MON_COMMENT                                                                                \
	    " SELECT 's', @@version, @@max_connections, @@performance_schema,"                     \
	    " s.uptime, s.threads, s.questions, s.xacts, s.rq, s.rd,"                              \
	    " p.active, p.idle, p.idle_txn, p.waiting"                                             \
	    " FROM (SELECT"                                                                        \
	    "  MAX(IF(VARIABLE_NAME = 'UPTIME', VARIABLE_VALUE, NULL)) AS uptime,"                 \
	    "  MAX(IF(VARIABLE_NAME = 'THREADS_CONNECTED', VARIABLE_VALUE, NULL)) AS threads,"     \
	    "  MAX(IF(VARIABLE_NAME = 'QUESTIONS', VARIABLE_VALUE, NULL)) AS questions,"           \
	    "  SUM(IF(VARIABLE_NAME IN ('COM_COMMIT', 'COM_ROLLBACK'), VARIABLE_VALUE, 0))"        \
	    "   AS xacts,"                                                                         \
	    "  MAX(IF(VARIABLE_NAME = 'INNODB_BUFFER_POOL_READ_REQUESTS', VARIABLE_VALUE, NULL))"  \
	    "   AS rq,"                                                                            \
	    "  MAX(IF(VARIABLE_NAME = 'INNODB_BUFFER_POOL_READS', VARIABLE_VALUE, NULL)) AS rd"    \
	    "  FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('UPTIME',"            \
	    "  'THREADS_CONNECTED', 'QUESTIONS', 'COM_COMMIT', 'COM_ROLLBACK',"                    \
	    "  'INNODB_BUFFER_POOL_READ_REQUESTS', 'INNODB_BUFFER_POOL_READS')) s,"                \
	    " (SELECT COALESCE(SUM(p.COMMAND <> 'Sleep' AND NOT " MY_WAITING "), 0) AS active,"    \
	    "  COALESCE(SUM(p.COMMAND = 'Sleep' AND t.trx_id IS NULL), 0) AS idle,"                \
	    "  COALESCE(SUM(p.COMMAND = 'Sleep' AND t.trx_id IS NOT NULL), 0) AS idle_txn,"        \
	    "  COALESCE(SUM(p.COMMAND <> 'Sleep' AND " MY_WAITING "), 0) AS waiting"               \
	    "  FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t"    \
	    "  ON t.trx_mysql_thread_id = p.ID WHERE " MY_NOT_OWN ") p"                            \
	    " UNION ALL (SELECT 'q', ID, USER, DB, HOST, COMMAND, STATE, TIME_MS, INFO,"           \
	    "  NULL, NULL, NULL, NULL, NULL FROM information_schema.PROCESSLIST"                   \
	    "  WHERE (COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID',"       \
	    "  'Killed', 'Connect') AND USER NOT IN ('system user', 'event_scheduler')"            \
	    "  AND TIME_MS >= %lld AND ID <> CONNECTION_ID()"                                      \
	    "  AND COALESCE(INFO, '') NOT LIKE '" MON_COMMENT "%%')"                               \
	    "  OR COMMAND LIKE 'Binlog Dump%%'"                                                    \
	    "  ORDER BY TIME_MS DESC LIMIT %d)"

#define MY_ROUND_COLS 14

#define MY_DIGEST_COLS                                                                             \
	"DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT / 1000000000 AS total_ms,"                        \
	" AVG_TIMER_WAIT / 1000000000 AS mean_ms, SUM_ROWS_SENT"
#define MY_DIGEST_FROM                                                                             \
	" FROM performance_schema.events_statements_summary_by_digest"                             \
	" WHERE SCHEMA_NAME = DATABASE() AND DIGEST_TEXT IS NOT NULL"

/* %d twice: the limit of each half. */
#define MY_STATEMENTS_FMT                                                                          \
	MON_COMMENT " SELECT * FROM ((SELECT " MY_DIGEST_COLS MY_DIGEST_FROM                       \
	            " ORDER BY SUM_TIMER_WAIT DESC LIMIT %d) UNION"                                \
	            " (SELECT " MY_DIGEST_COLS MY_DIGEST_FROM                                      \
	            " ORDER BY AVG_TIMER_WAIT DESC LIMIT %d)) s ORDER BY total_ms DESC"

void
mon_my_sql(struct mcluster *cl)
{
	cl->sql_round = xasprintf(
	    MY_ROUND_FMT, (long long)cl->cc->slow_query_ms, MON_MAX_SLOW + DD_SNAP_MAX_REPL);
	cl->sql_statements = xasprintf(MY_STATEMENTS_FMT, MON_TOP_STATEMENTS, MON_TOP_STATEMENTS);
}

static void
read_stats(struct probe_ctx *c, const struct dd_result *res, int i)
{
	struct probe_result *r = c->r;
	const char *v = dd_result_value(res, i, 1);

	dd_strlcpy(r->version, v ? v : "", sizeof(r->version));
	r->conn_max = (int)mon_v_i64(res, i, 2);
	r->ps_off = mon_v_i64(res, i, 3) == 0;
	r->uptime_s = mon_v_i64(res, i, 4);
	r->conn_used = (int)mon_v_i64(res, i, 5);
	c->now.queries = mon_v_i64(res, i, 6);
	c->now.xacts = mon_v_i64(res, i, 7);
	c->now.hits = mon_v_i64(res, i, 8); /* read requests: hits + reads */
	c->now.reads = mon_v_i64(res, i, 9);
	if (c->now.hits >= 0 && c->now.reads >= 0)
		c->now.hits -= c->now.reads < c->now.hits ? c->now.reads : c->now.hits;
	r->conn_active = (int)mon_v_i64(res, i, 10);
	r->conn_idle = (int)mon_v_i64(res, i, 11);
	r->conn_idle_in_txn = (int)mon_v_i64(res, i, 12);
	r->conn_waiting = (int)mon_v_i64(res, i, 13);
}

/* A binlog dump thread: a replica connected to this primary. */
static void
read_peer(struct probe_result *r, const struct dd_result *res, int i)
{
	struct ppeer *p;

	if (r->n_peers >= DD_SNAP_MAX_REPL)
		return;
	p = &r->peers[r->n_peers++];
	p->name = mon_v_str(&r->sp, res, i, 4);
	p->client = p->name;
	p->state = mon_v_str(&r->sp, res, i, 6);
	p->write_lag_s = p->flush_lag_s = p->replay_lag_s = NAN;
	p->lag_bytes = -1;
}

static void
read_query(struct probe_result *r, const struct dd_result *res, int i, int64_t now_us)
{
	struct pquery *q;
	double ms = mon_v_dbl(res, i, 7);

	if (r->nq >= MON_MAX_SLOW)
		return;
	if (isnan(ms))
		ms = 0;
	q = mon_result_add_query(r);
	q->pid = mon_v_i64(res, i, 1);
	q->user = mon_v_str(&r->sp, res, i, 2);
	q->database = mon_v_str(&r->sp, res, i, 3);
	q->client = mon_v_str(&r->sp, res, i, 4);
	q->application = 0;
	q->state = mon_v_str(&r->sp, res, i, 5);
	q->wait_event = mon_v_str(&r->sp, res, i, 6);
	q->duration_s = ms / 1000.0;
	q->started_us = now_us - (int64_t)(ms * 1000.0);
	q->text = mon_v_str(&r->sp, res, i, 8);
	q->text_len = dd_result_length(res, i, 8);
	q->hash = mon_text_hash(sp_get(&r->sp, q->text), q->text_len);
}

int
mon_my_round(struct probe_ctx *c, struct dd_db_error *err)
{
	struct dd_result *res = NULL;
	const char *kind, *cmd;
	bool stats = false;
	int64_t now_us;
	int i, n;

	if (mon_run(c, c->nd->cl->sql_round, MY_ROUND_COLS, &res, err) < 0)
		return -1;
	now_us = c->nd->m->clock.wall_ms(c->nd->m->clock.ctx) * 1000;
	n = dd_result_nrows(res);
	for (i = 0; i < n; i++) {
		kind = dd_result_value(res, i, 0);
		cmd = dd_result_value(res, i, 5);
		if (kind && kind[0] == 's') {
			read_stats(c, res, i);
			stats = true;
		} else if (kind && cmd && strncmp(cmd, "Binlog Dump", 11) == 0) {
			read_peer(c->r, res, i);
		} else if (kind) {
			read_query(c->r, res, i, now_us);
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
mon_my_statements(struct probe_ctx *c, struct stmt_set *out, struct dd_db_error *err)
{
	struct dd_result *res = NULL;
	int i, n;

	if (mon_run(c, c->nd->cl->sql_statements, 5, &res, err) < 0)
		return -1;
	sp_reset(&out->sp);
	out->n = 0;
	n = dd_result_nrows(res);
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
mon_my_statements_why(const struct dd_db_error *err, char *why, size_t len)
{
	if (err->code == 1142 || err->code == 1227 || err->code == 1044)
		snprintf(why, len,
		    "no SELECT privilege on performance_schema "
		    "(GRANT SELECT ON performance_schema.* TO the credential's user)");
	else if (err->code == 1146)
		snprintf(why, len,
		    "performance_schema has no statement digest table "
		    "(server too old or built without it)");
	else
		snprintf(why, len, "statement digests: %s", err->message);
}
