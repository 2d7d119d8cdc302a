/*
 * engine_my.c: the monitor's MariaDB (and MySQL) table (mon_engine_my):
 * what it asks a node every round and how the answer is read, why the
 * statement digests cannot be read, a replica's positions, and cancel. Why
 * the table is here and not in core/driver: see engine_pg.c.
 *
 * The round: one statement per round, starting with the dbdeck comment so that
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
#include <inttypes.h>
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
	" SELECT 's', @@version, @@max_connections, @@performance_schema,"                         \
	" s.uptime, s.threads, s.questions, s.xacts, s.rq, s.rd,"                                  \
	" p.active, p.idle, p.idle_txn, p.waiting"                                                 \
	" FROM (SELECT"                                                                            \
	"  MAX(IF(VARIABLE_NAME = 'UPTIME', VARIABLE_VALUE, NULL)) AS uptime,"                     \
	"  MAX(IF(VARIABLE_NAME = 'THREADS_CONNECTED', VARIABLE_VALUE, NULL)) AS threads,"         \
	"  MAX(IF(VARIABLE_NAME = 'QUESTIONS', VARIABLE_VALUE, NULL)) AS questions,"               \
	"  SUM(IF(VARIABLE_NAME IN ('COM_COMMIT', 'COM_ROLLBACK'), VARIABLE_VALUE, 0))"            \
	"   AS xacts,"                                                                             \
	"  MAX(IF(VARIABLE_NAME = 'INNODB_BUFFER_POOL_READ_REQUESTS', VARIABLE_VALUE, NULL))"      \
	"   AS rq,"                                                                                \
	"  MAX(IF(VARIABLE_NAME = 'INNODB_BUFFER_POOL_READS', VARIABLE_VALUE, NULL)) AS rd"        \
	"  FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('UPTIME',"                \
	"  'THREADS_CONNECTED', 'QUESTIONS', 'COM_COMMIT', 'COM_ROLLBACK',"                        \
	"  'INNODB_BUFFER_POOL_READ_REQUESTS', 'INNODB_BUFFER_POOL_READS')) s,"                    \
	" (SELECT COALESCE(SUM(p.COMMAND <> 'Sleep' AND NOT " MY_WAITING "), 0) AS active,"        \
	"  COALESCE(SUM(p.COMMAND = 'Sleep' AND t.trx_id IS NULL), 0) AS idle,"                    \
	"  COALESCE(SUM(p.COMMAND = 'Sleep' AND t.trx_id IS NOT NULL), 0) AS idle_txn,"            \
	"  COALESCE(SUM(p.COMMAND <> 'Sleep' AND " MY_WAITING "), 0) AS waiting"                   \
	"  FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t"        \
	"  ON t.trx_mysql_thread_id = p.ID WHERE " MY_NOT_OWN ") p"                                \
	" UNION ALL (SELECT 'q', ID, USER, DB, HOST, COMMAND, STATE, TIME_MS, INFO,"               \
	"  NULL, NULL, NULL, NULL, NULL FROM information_schema.PROCESSLIST"                       \
	"  WHERE (COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID',"           \
	"  'Killed', 'Connect') AND USER NOT IN ('system user', 'event_scheduler')"                \
	"  AND TIME_MS >= %lld AND ID <> CONNECTION_ID()"                                          \
	"  AND COALESCE(INFO, '') NOT LIKE '" MON_COMMENT "%%')"                                   \
	"  OR COMMAND LIKE 'Binlog Dump%%'"                                                        \
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

static void
my_make_sql(struct mcluster *cl)
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

static bool
my_read_row(struct probe_ctx *c, const struct dd_result *res, int i, int64_t now_us)
{
	const char *kind = dd_result_value(res, i, 0), *cmd = dd_result_value(res, i, 5);

	if (kind[0] == 's') {
		read_stats(c, res, i);
		return true;
	}
	if (cmd && strncmp(cmd, "Binlog Dump", 11) == 0)
		read_peer(c->r, res, i);
	else
		read_query(c->r, res, i, now_us);
	return false;
}

/* The round statement; then the digests when due, unless performance_schema is off. */
static int
my_round(struct probe_ctx *c, int64_t now_ns, struct dd_db_error *err)
{
	struct mnode *nd = c->nd;

	if (mon_round(c, nd->cl->sql_round, err) < 0)
		return -1;
	if (c->r->ps_off) {
		mon_stmts_store(nd, false,
		    "performance_schema is OFF (set performance_schema = ON "
		    "in the server's configuration and restart it)");
		return 0;
	}
	if (now_ns >= nd->stmts_next_ns && now_ns >= nd->optional_retry_ns)
		mon_fetch_statements(c, now_ns);
	return 0;
}

static const char *
my_statements_sql(struct probe_ctx *c, char **owned)
{
	(void)owned;
	return c->nd->cl->sql_statements;
}

/* Why the statement digests cannot be read, from the error the server gave. */
static void
my_statements_why(const struct mcluster *cl, const struct dd_db_error *err, char *why, size_t len)
{
	(void)cl;
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

/* ---- in the snapshot ---- */

static void
my_replication(struct snap_build *b, struct dd_snap_node *sn, const struct dd_role_info *in,
    const struct dd_role_info *pin)
{
	sn->receive_pos = snap_str(b, in->gtid_io_pos);
	sn->replay_pos = snap_str(b, in->gtid_slave_pos);
	sn->io_thread = in->io_running ? "Yes" : "No";
	sn->sql_thread = in->sql_running ? "Yes" : "No";
	sn->repl_error = snap_str(b, in->last_io_error[0] ? in->last_io_error : in->last_sql_error);
	if (pin && pin->binlog_set.n > 0) {
		int64_t d = 0;
		for (int k = 0; k < pin->binlog_set.n; k++) {
			uint64_t want = pin->binlog_set.gtid[k].seq;
			uint64_t have =
			    dd_gtid_set_seq(&in->slave_set, pin->binlog_set.gtid[k].domain);
			d += want > have ? (int64_t)(want - have) : 0;
		}
		sn->lag_trx = d;
	}
}

/* ---- cancel ---- */

/*
 * The thread's current statement is read (TIME_MS, INFO, COMMAND and, on
 * MariaDB 10.0.5 and later, QUERY_ID): its start (now - TIME_MS) must be
 * within 1.5 s of the target's and its text must hash the same. Then KILL
 * QUERY ID of the statement that passed the check, so that a statement the
 * session starts after the check is never the one killed (the server says
 * "unknown query id" instead). Older servers: KILL QUERY of the thread.
 * Terminate ends the session (KILL CONNECTION): there is no per-statement
 * form of it, and the session is the target.
 */
#define MY_START_SLACK_US    INT64_C(1500000)
#define MY_ER_NO_SUCH_THREAD 1094
#define MY_ER_NO_SUCH_QUERY  1957

/* KILL QUERY ID and information_schema.PROCESSLIST.QUERY_ID: MariaDB 10.0.5. */
static bool
my_has_query_id(struct dd_pooled *pc)
{
	struct dd_conn *c = dd_pooled_conn(pc);

	return dd_conn_is_mariadb(c) && dd_conn_server_version(c) >= 100005;
}

/* The verdict on the thread's row; *query_id its statement's (-1 unknown). */
static int
my_verdict(
    const struct cancel_ctx *x, const struct dd_result *res, int64_t now_us, int64_t *query_id)
{
	const struct dd_query_target *t = x->t;
	const char *ms = dd_result_value(res, 0, 0), *cmd = dd_result_value(res, 0, 2);
	int64_t start_us = now_us - (int64_t)(ms ? strtod(ms, NULL) * 1000.0 : 0);
	int64_t diff =
	    start_us > t->started_us ? start_us - t->started_us : t->started_us - start_us;

	*query_id = mon_v_i64(res, 0, 3);
	if (cmd && strcmp(cmd, "Sleep") == 0) {
		dd_seterr(x->err, x->errlen,
		    "refused: the statement has ended (thread %" PRId64 " is idle)", t->pid);
		return DD_CANCEL_CHANGED;
	}
	if (diff > MY_START_SLACK_US || mon_text_hash(dd_result_value(res, 0, 1),
	                                    dd_result_length(res, 0, 1)) != t->text_hash) {
		dd_seterr(x->err, x->errlen,
		    "refused: thread %" PRId64 " runs another statement now", t->pid);
		return DD_CANCEL_CHANGED;
	}
	return DD_CANCEL_OK;
}

static int
my_check(const struct cancel_ctx *x, int64_t now_us, int64_t *query_id)
{
	const struct dd_query_target *t = x->t;
	struct dd_db_error e;
	struct dd_result *res = NULL;
	char sql[256];
	int rc;

	snprintf(sql, sizeof(sql),
	    MON_COMMENT " SELECT TIME_MS, INFO, COMMAND, %s FROM "
	                "information_schema.PROCESSLIST WHERE ID = %" PRId64,
	    my_has_query_id(x->pc) ? "QUERY_ID" : "NULL", t->pid);
	dd_db_error_clear(&e);
	if (dd_pool_query(x->pc, sql, x->deadline_ns, &res, &e) < 0) {
		dd_seterr(
		    x->err, x->errlen, "could not check thread %" PRId64 ": %s", t->pid, e.message);
		return DD_CANCEL_FAILED;
	}
	if (dd_result_nrows(res) != 1) {
		dd_seterr(x->err, x->errlen, "refused: thread %" PRId64 " is gone", t->pid);
		rc = DD_CANCEL_GONE;
	} else {
		rc = my_verdict(x, res, now_us, query_id);
	}
	dd_result_free(res);
	return rc;
}

/* KILL QUERY ID of the checked statement, KILL QUERY or KILL CONNECTION of the thread. */
static void
my_kill_sql(const struct cancel_ctx *x, int64_t query_id, char *sql, size_t len)
{
	if (x->terminate)
		snprintf(sql, len, MON_COMMENT " KILL CONNECTION %" PRId64, x->t->pid);
	else if (query_id > 0)
		snprintf(sql, len, MON_COMMENT " KILL QUERY ID %" PRId64, query_id);
	else
		snprintf(sql, len, MON_COMMENT " KILL QUERY %" PRId64, x->t->pid);
}

static int
my_cancel(const struct cancel_ctx *x)
{
	struct dd_monitor *m = x->m;
	struct dd_db_error e;
	int64_t query_id = -1;
	char sql[128];
	int rc;

	rc = my_check(x, m->clock.wall_ms(m->clock.ctx) * 1000, &query_id);
	if (rc != DD_CANCEL_OK)
		return rc;
	if (mon_cancel_test_hook)
		mon_cancel_test_hook(x->t);
	my_kill_sql(x, query_id, sql, sizeof(sql));
	dd_db_error_clear(&e);
	if (dd_pool_exec(x->pc, sql, x->deadline_ns, NULL, &e) == 0)
		return DD_CANCEL_OK;
	if (e.code == MY_ER_NO_SUCH_THREAD) {
		dd_seterr(x->err, x->errlen, "refused: thread %" PRId64 " is gone", x->t->pid);
		return DD_CANCEL_GONE;
	}
	if (e.code == MY_ER_NO_SUCH_QUERY) {
		dd_seterr(x->err, x->errlen,
		    "refused: the statement ended after the check (thread %" PRId64
		    " was not touched)",
		    x->t->pid);
		return DD_CANCEL_CHANGED;
	}
	dd_seterr(x->err, x->errlen, "KILL failed: %s", e.message);
	return DD_CANCEL_FAILED;
}

const struct mon_engine mon_engine_my = {
    .name = "mariadb",
    .make_sql = my_make_sql,
    .round_cols = MY_ROUND_COLS,
    .round = my_round,
    .read_row = my_read_row,
    .statements_sql = my_statements_sql,
    .statements_why = my_statements_why,
    .replication = my_replication,
    .cancel = my_cancel,
};
