/*
 * driver_itest.c: the engine drivers against the real servers of the test
 * harness. One program, run once per engine (`driver_itest pg|my`): connect,
 * wrong password, rows and NULLs, syntax errors, client-side deadlines on a
 * slow statement and on a SIGSTOPped replica, a backend killed server-side,
 * session dirtiness and reset, the role probe on all three nodes with
 * read-your-writes, and a cancel from another thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "tap.h"
#include "util/util.h"

/*
 * Bounds for "returns at the deadline": never early, at most this late. The
 * lateness allowed is the scheduler's, generous for a shared machine: what is
 * tested is that a call ends at its deadline instead of the server's answer
 * (5 s of sleep, or never for a stopped server).
 */
#define LATE_MS 250.0

static void
check_deadline(double ms, int deadline_ms, const char *what)
{
	if (!ok(ms >= deadline_ms - 1 && ms <= deadline_ms + LATE_MS,
	        "%s returned at the deadline (%.0f ms for %d ms)", what, ms, deadline_ms))
		diag("  allowed %d..%.0f ms", deadline_ms, deadline_ms + LATE_MS);
}

static void
test_connect(void)
{
	struct dd_conn *c = itest_open(E->nodes[0], 5000);
	struct dd_db_error err;
	char buf[64];

	ok(dd_conn_server_version(c) > 0, "server version %lu (%s)", dd_conn_server_version(c),
	    dd_conn_server_version_str(c));
	ok(dd_conn_backend_id(c) > 0, "backend id %lld", (long long)dd_conn_backend_id(c));
	ok(dd_conn_is_mariadb(c) == (E->engine == DD_ENGINE_MARIADB),
	    "MariaDB detected iff mariadb");
	ok(!dd_conn_is_broken(c) && !dd_conn_session_dirty(c) && !dd_conn_in_transaction(c),
	    "fresh connection: not broken, clean, no transaction");
	ok(dd_conn_ping(c, itest_deadline(2000), &err) == 0, "ping");
	ok(itest_value(c, E->server_port, buf, sizeof(buf)) &&
	        atoi(buf) == dd_harness_port(&H, E->nodes[0]),
	    "connected to the right server (%s)", buf);
	dd_conn_close(c, itest_deadline(1000));
}

static void
test_wrong_password(void)
{
	struct dd_conn *c = NULL;
	struct dd_db_error err;
	int rc = itest_open_with(E->nodes[0], "not-the-password", 5000, &c, &err);

	ok(rc < 0 && c == NULL, "wrong password refused");
	if (!is_int(err.cls, DD_ERR_AUTH, "wrong password -> DD_ERR_AUTH"))
		diag("  [%s] %s %d %s", dd_err_class_name(err.cls), err.sqlstate, err.code,
		    err.message);
	ok(!dd_db_error_is_node_failure(&err), "an auth failure is not a node failure");
	ok(strstr(err.message, "not-the-password") == NULL, "the password is not in the message");
}

static void
test_rows(struct dd_conn *c)
{
	struct dd_result *r = NULL;
	struct dd_db_error err;

	if (!ok(dd_conn_query(c, "SELECT 1 AS a, NULL AS b, '' AS c, 'x' AS d",
	            itest_deadline(5000), &r, &err) == 0,
	        "query with NULL and empty string")) {
		diag("  %s", err.message);
		return;
	}
	is_int(dd_result_nrows(r), 1, "one row");
	is_int(dd_result_ncols(r), 4, "four columns");
	is_str(dd_result_colname(r, 1), "b", "column names");
	is_str(dd_result_value(r, 0, 0), "1", "value as text");
	ok(dd_result_is_null(r, 0, 1), "NULL is NULL");
	ok(!dd_result_is_null(r, 0, 2) && dd_result_length(r, 0, 2) == 0, "'' is not NULL");
	is_str(dd_result_value(r, 0, 3), "x", "text value");
	dd_result_free(r);
	r = NULL;
	ok(dd_conn_query(c, E->multi_rows, itest_deadline(5000), &r, &err) == 0 &&
	        dd_result_nrows(r) == 3 && strcmp(dd_result_value(r, 2, 0), "3") == 0 &&
	        dd_result_colindex(r, "n") == 0,
	    "three rows in order");
	dd_result_free(r);
}

static void
test_affected(struct dd_conn *c)
{
	struct dd_db_error err;
	int64_t n = -1;

	ok(dd_conn_exec(c, "CREATE TABLE IF NOT EXISTS driver_itest_t (id int PRIMARY KEY, v text)",
	       itest_deadline(5000), NULL, &err) == 0,
	    "create table");
	ok(dd_conn_exec(c, "DELETE FROM driver_itest_t", itest_deadline(5000), NULL, &err) == 0,
	    "empty table");
	ok(dd_conn_exec(c, "INSERT INTO driver_itest_t VALUES (1, 'a'), (2, 'b'), (3, NULL)",
	       itest_deadline(5000), &n, &err) == 0 &&
	        n == 3,
	    "insert: 3 rows affected (%lld)", (long long)n);
	ok(dd_conn_exec(c, "UPDATE driver_itest_t SET v = 'z' WHERE id < 3", itest_deadline(5000),
	       &n, &err) == 0 &&
	        n == 2,
	    "update: 2 rows affected (%lld)", (long long)n);
}

static void
test_syntax_error(struct dd_conn *c)
{
	struct dd_result *r = NULL;
	struct dd_db_error err;
	char buf[16];

	ok(dd_conn_query(c, E->syntax_error, itest_deadline(5000), &r, &err) < 0 && r == NULL,
	    "syntax error fails");
	is_int(err.cls, DD_ERR_PERMANENT, "syntax error -> DD_ERR_PERMANENT");
	is_str(err.sqlstate, E->want_syntax_state, "syntax error SQLSTATE");
	is_int(err.code, E->want_syntax_code, "syntax error code");
	ok(err.message[0] != '\0', "syntax error message: %s", err.message);
	ok(!dd_conn_is_broken(c), "connection not broken by a syntax error");
	ok(itest_value(c, "SELECT 41 + 1", buf, sizeof(buf)) && strcmp(buf, "42") == 0,
	    "connection usable after the error");
}

static void
test_passed_deadline(struct dd_conn *c)
{
	struct dd_result *r = NULL;
	struct dd_db_error err;

	ok(dd_conn_query(c, "SELECT 1", dd_now_mono_ns() - 1, &r, &err) < 0 &&
	        err.cls == DD_ERR_TIMEOUT,
	    "a deadline already passed -> DD_ERR_TIMEOUT");
	ok(!dd_conn_is_broken(c), "... without breaking the connection (nothing was sent)");
}

static void
test_statement_timeout(void)
{
	struct dd_conn *c = itest_open(E->nodes[0], 5000);
	struct dd_result *r = NULL;
	struct dd_db_error err;
	int64_t t0 = dd_now_mono_ns();
	double ms;

	ok(dd_conn_query(c, E->sleep5, t0 + 300 * 1000000LL, &r, &err) < 0, "sleep(5) with 300 ms");
	ms = it_ms_since(t0);
	is_int(err.cls, DD_ERR_TIMEOUT, "slow statement -> DD_ERR_TIMEOUT");
	check_deadline(ms, 300, "slow statement");
	ok(dd_conn_is_broken(c), "connection marked broken after the timeout");
	ok(dd_db_error_is_node_failure(&err), "a timeout counts as a node failure");
	ok(dd_conn_query(c, "SELECT 1", itest_deadline(1000), &r, &err) < 0 &&
	        err.cls == DD_ERR_CONN_LOST,
	    "a broken connection refuses further statements");
	t0 = dd_now_mono_ns();
	dd_conn_close(c, itest_deadline(500));
	ok(it_ms_since(t0) < LATE_MS, "closing the broken connection is immediate (%.1f ms)",
	    it_ms_since(t0));
}

static void
test_killed_backend(void)
{
	struct dd_conn *victim = itest_open(E->nodes[0], 5000);
	struct dd_conn *killer = itest_open(E->nodes[0], 5000);
	struct dd_result *r = NULL;
	struct dd_db_error err;
	char sql[96];

	snprintf(sql, sizeof(sql), "%s%lld%s", E->kill_pre, (long long)dd_conn_backend_id(victim),
	    E->kill_post);
	ok(dd_conn_exec(killer, sql, itest_deadline(6000), NULL, &err) == 0, "%s", sql);
	/* MariaDB's KILL returns before the victim's socket is closed. */
	nanosleep(&(struct timespec){.tv_nsec = 200 * 1000000L}, NULL);
	ok(dd_conn_query(victim, "SELECT 1", itest_deadline(5000), &r, &err) < 0,
	    "statement on the killed session fails");
	if (!is_int(err.cls, DD_ERR_CONN_LOST, "killed backend -> DD_ERR_CONN_LOST"))
		diag("  [%s] %s %d %s", dd_err_class_name(err.cls), err.sqlstate, err.code,
		    err.message);
	ok(dd_conn_is_broken(victim), "killed session marked broken");
	dd_conn_close(victim, itest_deadline(500));
	dd_conn_close(killer, itest_deadline(500));
}

static bool
session_changed(struct dd_conn *c)
{
	char buf[64];

	return itest_value(c, E->check_session, buf, sizeof(buf)) && strcmp(buf, "pg_catalog") == 0;
}

static void
reset_ok(struct dd_conn *c, const char *what)
{
	struct dd_db_error err;

	if (!ok(dd_conn_reset(c, itest_deadline(5000), &err) == 0, "reset after %s", what))
		diag("  [%s] %s", dd_err_class_name(err.cls), err.message);
	ok(!dd_conn_session_dirty(c) && !dd_conn_in_transaction(c), "clean after reset (%s)", what);
}

static void
test_dirty(void)
{
	struct dd_conn *c = itest_open(E->nodes[0], 5000);
	struct dd_result *r = NULL;
	struct dd_db_error err;
	char buf[16];

	ok(itest_value(c, "SELECT 1", buf, sizeof(buf)) && !dd_conn_session_dirty(c),
	    "SELECT 1 leaves the session clean");
	reset_ok(c, "nothing");
	ok(dd_conn_exec(c, E->set_session, itest_deadline(5000), NULL, &err) == 0 &&
	        dd_conn_session_dirty(c),
	    "dirty after: %s", E->set_session);
	ok(session_changed(c), "the change is visible");
	reset_ok(c, E->set_session);
	ok(!session_changed(c), "reset undid: %s", E->set_session);

	ok(dd_conn_exec(c, E->create_temp, itest_deadline(5000), NULL, &err) == 0 &&
	        dd_conn_session_dirty(c),
	    "dirty after: %s", E->create_temp);
	reset_ok(c, "temp table");
	ok(dd_conn_query(c, E->select_temp, itest_deadline(5000), &r, &err) < 0 &&
	        err.cls == DD_ERR_PERMANENT,
	    "the temp table is gone after reset");
	/* After a reset the session tracker must still report (MariaDB re-enables it). */
	ok(dd_conn_exec(c, E->create_temp, itest_deadline(5000), NULL, &err) == 0 &&
	        dd_conn_session_dirty(c),
	    "dirty again after a second temp table");
	reset_ok(c, "second temp table");

	ok(dd_conn_exec(c, "BEGIN", itest_deadline(5000), NULL, &err) == 0 &&
	        dd_conn_in_transaction(c),
	    "in a transaction after BEGIN");
	ok(dd_conn_exec(c, "INSERT INTO driver_itest_t VALUES (100, 'txn')", itest_deadline(5000),
	       NULL, &err) == 0 &&
	        dd_conn_in_transaction(c),
	    "insert inside the transaction");
	reset_ok(c, "BEGIN");
	ok(itest_value(c, "SELECT count(*) FROM driver_itest_t WHERE id = 100", buf, sizeof(buf)) &&
	        strcmp(buf, "0") == 0,
	    "reset rolled the insert back");
	dd_conn_close(c, itest_deadline(1000));
}

/* --- SIGSTOP ----------------------------------------------------------------- */

static void
test_paused_node(void)
{
	const char *node = E->nodes[1];
	struct dd_conn *before = itest_open(node, 5000), *c = NULL;
	struct dd_result *r = NULL;
	struct dd_db_error err;
	int64_t t0;
	double ms;

	if (!ok(itest_pause(node) == 0, "pause-node %s", node))
		return;
	t0 = dd_now_mono_ns();
	ok(itest_open_with(node, itest_params(node).password, 500, &c, &err) < 0 && !c,
	    "connect to a stopped server fails");
	ms = it_ms_since(t0);
	is_int(err.cls, DD_ERR_TIMEOUT, "connect to a stopped server -> DD_ERR_TIMEOUT");
	check_deadline(ms, 500, "connect to a stopped server");

	t0 = dd_now_mono_ns();
	ok(dd_conn_query(before, "SELECT 1", t0 + 500 * 1000000LL, &r, &err) < 0,
	    "query on a stopped server fails");
	ms = it_ms_since(t0);
	is_int(err.cls, DD_ERR_TIMEOUT, "query on a stopped server -> DD_ERR_TIMEOUT");
	check_deadline(ms, 500, "query on a stopped server");
	ok(dd_conn_is_broken(before), "connection to the stopped server marked broken");

	t0 = dd_now_mono_ns();
	ok(dd_conn_cancel(before, t0 + 300 * 1000000LL, &err) < 0 && err.cls == DD_ERR_TIMEOUT,
	    "cancel against a stopped server -> DD_ERR_TIMEOUT");
	check_deadline(it_ms_since(t0), 300, "cancel against a stopped server");

	t0 = dd_now_mono_ns();
	dd_conn_close(before, t0 + 200 * 1000000LL);
	ok(it_ms_since(t0) <= 200 + LATE_MS, "close never waits past its deadline (%.0f ms)",
	    it_ms_since(t0));
	ok(itest_resume() == 0, "resume-node %s", node);
	c = itest_open(node, 10000);
	ok(dd_conn_ping(c, itest_deadline(5000), &err) == 0, "%s answers again after resume", node);
	dd_conn_close(c, itest_deadline(1000));
}

/* --- role probe and read-your-writes ------------------------------------------ */

static void
check_primary(const struct dd_role_info *ri)
{
	is_str(dd_role_name(ri->role), "primary", "primary's role");
	ok(!ri->read_only, "primary is writable");
	if (E->engine == DD_ENGINE_POSTGRESQL) {
		ok(ri->current_lsn > 0, "primary current LSN %llx",
		    (unsigned long long)ri->current_lsn);
		ok(ri->applied.kind == DD_POS_LSN && ri->applied.lsn == ri->current_lsn,
		    "primary applied = current LSN");
	} else {
		ok(!ri->has_replica_status, "primary has no replica status row");
		ok(ri->binlog_set.n > 0, "primary binlog GTID %s", ri->gtid_binlog_pos);
		ok(ri->applied.kind == DD_POS_GTID && ri->applied.gtids.n > 0,
		    "primary applied GTID");
	}
}

static void
check_replica(const char *node, const struct dd_role_info *ri)
{
	is_str(dd_role_name(ri->role), "replica", node);
	ok(ri->read_only, "%s is read-only", node);
	if (E->engine == DD_ENGINE_POSTGRESQL) {
		ok(ri->receive_lsn > 0 && ri->replay_lsn > 0, "%s receive %llx replay %llx", node,
		    (unsigned long long)ri->receive_lsn, (unsigned long long)ri->replay_lsn);
		ok(!ri->replay_paused, "%s replay not paused", node);
		ok(ri->server_now_ms > 0, "%s server time", node);
		ok(ri->applied.kind == DD_POS_LSN && ri->applied.lsn == ri->replay_lsn,
		    "%s applied = replay LSN", node);
	} else {
		ok(ri->has_replica_status && ri->io_running && ri->sql_running,
		    "%s replication threads running", node);
		ok(ri->seconds_behind >= 0, "%s seconds behind %lld", node,
		    (long long)ri->seconds_behind);
		ok(ri->source_port == dd_harness_port(&H, E->nodes[0]), "%s replicates from %s:%d",
		    node, ri->source_host, ri->source_port);
		ok(ri->slave_set.n > 0 && ri->io_set.n > 0, "%s slave_pos %s io_pos %s", node,
		    ri->gtid_slave_pos, ri->gtid_io_pos);
		ok(ri->applied.kind == DD_POS_GTID && ri->applied.gtids.n > 0, "%s applied GTID",
		    node);
	}
}

/* Polls node until it has applied want (up to 10 s). */
static bool
wait_applied(struct dd_conn *c, const struct dd_repl_pos *want)
{
	struct dd_role_info ri;
	struct dd_db_error err;
	int64_t until = itest_deadline(10000);

	while (dd_now_mono_ns() < until) {
		if (dd_conn_probe_role(c, itest_deadline(2000), &ri, &err) == 0 &&
		    dd_repl_pos_reached(&ri.applied, want))
			return true;
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL);
	}
	return false;
}

static void
test_roles(void)
{
	struct dd_conn *c[3];
	struct dd_role_info ri;
	struct dd_repl_pos pos, before;
	struct dd_db_error err;

	for (int i = 0; i < 3; i++)
		c[i] = itest_open(E->nodes[i], 5000);
	for (int i = 0; i < 3; i++) {
		if (!ok(dd_conn_probe_role(c[i], itest_deadline(3000), &ri, &err) == 0,
		        "role probe %s", E->nodes[i])) {
			diag("  %s", err.message);
			continue;
		}
		if (i == 0)
			check_primary(&ri);
		else
			check_replica(E->nodes[i], &ri);
	}
	ok(dd_conn_write_position(c[0], itest_deadline(3000), &before, &err) == 0,
	    "write position before the write");
	ok(dd_conn_exec(c[0], "INSERT INTO driver_itest_t VALUES (200, 'ryw')",
	       itest_deadline(5000), NULL, &err) == 0,
	    "a write on the primary");
	ok(dd_conn_write_position(c[0], itest_deadline(3000), &pos, &err) == 0 &&
	        pos.kind != DD_POS_NONE,
	    "write position after the write");
	ok(!dd_repl_pos_reached(&before, &pos), "the write moved the position forward");
	for (int i = 1; i < 3; i++)
		ok(wait_applied(c[i], &pos), "%s applied the write (read-your-writes)",
		    E->nodes[i]);
	ok(dd_conn_exec(c[0], "DELETE FROM driver_itest_t WHERE id = 200", itest_deadline(5000),
	       NULL, &err) == 0,
	    "clean up the write");
	for (int i = 0; i < 3; i++)
		dd_conn_close(c[i], itest_deadline(1000));
}

/* --- cancel from another thread ---------------------------------------------------- */

struct sleeper {
	struct dd_conn *c;
	int rc;
	char value[16]; /* what the sleep returned, "" on error */
	struct dd_db_error err;
	int64_t done_ns;
};

static void *
sleeper_run(void *arg)
{
	struct sleeper *s = arg;
	struct dd_result *r = NULL;

	s->rc = dd_conn_query(s->c, E->sleep10, itest_deadline(20000), &r, &s->err);
	s->done_ns = dd_now_mono_ns();
	if (s->rc == 0 && dd_result_nrows(r) == 1 && dd_result_value(r, 0, 0))
		snprintf(s->value, sizeof(s->value), "%s", dd_result_value(r, 0, 0));
	dd_result_free(r);
	return NULL;
}

static void
test_cancel(void)
{
	struct sleeper s = {.c = itest_open(E->nodes[0], 5000)};
	struct dd_db_error err;
	pthread_t tid;
	int64_t t0;
	char buf[16];

	pthread_create(&tid, NULL, sleeper_run, &s);
	nanosleep(&(struct timespec){.tv_nsec = 300 * 1000000L}, NULL);
	t0 = dd_now_mono_ns();
	ok(dd_conn_cancel(s.c, itest_deadline(1000), &err) == 0, "cancel delivered");
	pthread_join(tid, NULL);
	ok((double)(s.done_ns - t0) / 1e6 < 1000.0, "the sleep ended %.0f ms after the cancel",
	    (double)(s.done_ns - t0) / 1e6);
	if (E->engine == DD_ENGINE_POSTGRESQL)
		ok(s.rc < 0 && s.err.cls == DD_ERR_CANCELED,
		    "canceled statement -> DD_ERR_CANCELED");
	else
		ok((s.rc == 0 && strcmp(s.value, "1") == 0) || s.err.cls == DD_ERR_CANCELED,
		    "KILL QUERY interrupts SLEEP (it returns 1 instead of failing)");
	ok(!dd_conn_is_broken(s.c), "connection survives a cancel");
	ok(itest_value(s.c, "SELECT 7", buf, sizeof(buf)) && strcmp(buf, "7") == 0,
	    "connection usable after the cancel");
	dd_conn_close(s.c, itest_deadline(1000));
}

int
main(int argc, char **argv)
{
	struct dd_conn *c;

	itest_init(argc > 1 ? argv[1] : NULL);
	diag("engine %s", E->name);
	test_connect();
	test_wrong_password();
	c = itest_open(E->nodes[0], 5000);
	test_rows(c);
	test_affected(c);
	test_syntax_error(c);
	test_passed_deadline(c);
	dd_conn_close(c, itest_deadline(1000));
	test_statement_timeout();
	test_killed_backend();
	test_dirty();
	test_roles();
	test_cancel();
	test_paused_node();
	itest_done();
	return tap_done();
}
