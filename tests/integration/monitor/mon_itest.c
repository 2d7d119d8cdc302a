/*
 * mon_itest.c: the monitor against the real harness, one scenario per run
 * (argv[1]), each restoring the harness at exit whatever happens:
 *   lag_pg      replay paused on pg2 under a write load: the reported lag
 *               follows the true lag (time since the pause) within 1.5 s;
 *               after resume it is back under 1 s;
 *   idle        no load for 30 s: every replica's lag stays under 1 s;
 *   lag_my      SQL thread stopped on my2 under a write load: lag rises, the
 *               replica_lag alert is raised after alert_lag_for, cleared
 *               after the thread is started again;
 *   down        kill -9 of pg3: down within two refresh intervals, a
 *               node_down alert at its second failed probe (within three
 *               intervals, alert_down_probes 2); start-node: up, cleared;
 *   sigstop     my3 stopped (SIGSTOP): every other node keeps being probed
 *               every interval;
 *   slow_pg     pg_sleep(30) from psql shows as a slow query with the right
 *               duration; a wrong start time and a finished statement are
 *               refused; cancel stops it (psql gets the cancel error);
 *   slow_my     SLEEP(30) from the mariadb client: the same on MariaDB;
 *   kill_query_id  MariaDB cancel kills the statement it checked, by query
 *               id: when the target ends between the check and the KILL
 *               (a test hook waits there) and the session starts another
 *               statement, that one is not killed; then it is cancelled;
 *   statements  DROP EXTENSION pg_stat_statements: the statements probe
 *               says why, everything else carries on; CREATE: back;
 *   first       the first round: a node slow to answer (my1, the primary,
 *               paused at start, resumed after 1.1 s) is unknown, never
 *               down, raises no alert (nor no_primary); a stopped node (my3)
 *               is down; a hung one (pg3 paused) is unknown until its
 *               deadline, then down; no other node is ever down;
 *   first_oneshot the same for the round of a one-shot monitor (`dbdeck
 *               status`): my2 resumed after 3.5 s (the routers' rounds
 *               take 1-2 s of it) is up, my3 stopped is down;
 *   own_app     a core named "mt-own-app": a session of that name is
 *               dbdeck's own (hidden from the slow queries), one named
 *               "dbdeck" is not.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor_int.h" /* mon_cancel_test_hook */
#include "mt_common.h"
#include "tap.h"

#define REFRESH_MS 1000

static struct mt T;

/* ---- lag ---- */

static double
lag_of(const struct dd_snapshot *s, const char *node)
{
	int i = mt_node(s, node);
	return i < 0 ? NAN : s->nodes[i].lag_s;
}

static void
test_lag_pg(void)
{
	const struct dd_snapshot *s;
	double worst = 0, worst_other = 0;
	int64_t before, pause_ms, t0;
	int samples = 0, bad = 0;

	mt_setup(&T, REFRESH_MS, NULL);
	it_load_start(&T.h, "pg", 40, 20);
	sleep(3);
	before = it_now_ms();
	it_fault(&T.h, "pg-replay", "pg2", "pause", "pg-replay", "resume");
	pause_ms = (before + it_now_ms()) / 2;
	while (it_now_ms() - pause_ms < 10000) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		double truth = (double)(it_now_ms() - pause_ms) / 1000.0;
		double lag = lag_of(s, "pg2"), other = lag_of(s, "pg3");
		double err = isnan(lag) ? 99 : fabs(lag - truth);
		samples++;
		if (err > 1.5) {
			bad++;
			diag("t=%.1f s: reported %.2f s", truth, lag);
		}
		worst = err > worst ? err : worst;
		if (!isnan(other) && other > worst_other)
			worst_other = other;
		dd_snapshot_unref(s);
	}
	ok(samples >= 8, "paused replay: %d samples in 10 s", samples);
	ok(bad == 0, "reported lag within 1.5 s of the true lag (worst error %.2f s)", worst);
	ok(worst_other < 1.0, "the other replica stays under 1 s (worst %.2f s)", worst_other);
	it_undo(&T.h, "pg-replay", "pg2");
	t0 = it_now_ms();
	double lag = 99;
	while (it_now_ms() - t0 < 10000 && !(lag < 1.0)) {
		if ((s = mt_next(&T, 3000))) {
			lag = lag_of(s, "pg2");
			dd_snapshot_unref(s);
		}
	}
	ok(lag < 1.0, "after resume the lag is under 1 s again (%.2f s, after %lld ms)", lag,
	    (long long)(it_now_ms() - t0));
	it_load_stop();
	mt_teardown(&T);
}

static void
test_idle(void)
{
	static const char *const replicas[] = {"pg2", "pg3", "my2", "my3"};
	const struct dd_snapshot *s;
	double worst[4] = {0};
	int samples = 0, unknown = 0;
	int64_t t0;

	mt_setup(&T, REFRESH_MS, NULL);
	sleep(2); /* let the load of an earlier test drain */
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 30000) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		samples++;
		for (int k = 0; k < 4; k++) {
			double lag = lag_of(s, replicas[k]);
			if (isnan(lag))
				unknown++;
			else if (lag > worst[k])
				worst[k] = lag;
		}
		dd_snapshot_unref(s);
	}
	ok(samples >= 25, "idle primary: %d samples in 30 s", samples);
	is_int(unknown, 0, "every sample has a known lag");
	for (int k = 0; k < 4; k++)
		ok(worst[k] < 1.0, "%s: lag stays under 1 s (worst %.2f s)", replicas[k], worst[k]);
	mt_teardown(&T);
}

static void
test_lag_my(void)
{
	const struct dd_snapshot *s;
	int64_t t0, over_at = -1, raised_at = -1, cleared_at = -1;
	double peak = 0;

	mt_setup(&T, REFRESH_MS, NULL);
	it_load_start(&T.h, "my", 45, 20);
	sleep(2);
	it_fault(&T.h, "my-sql-thread", "my2", "stop", "my-sql-thread", "start");
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 15000 && raised_at < 0) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		double lag = lag_of(s, "my2");
		if (!isnan(lag) && lag > peak)
			peak = lag;
		if (over_at < 0 && !isnan(lag) && lag > 2.0)
			over_at = it_now_ms();
		if (mt_alert(s, "replica_lag", "my2"))
			raised_at = it_now_ms();
		dd_snapshot_unref(s);
	}
	ok(peak > 2.0, "SQL thread stopped: lag rises (peak %.1f s)", peak);
	ok(raised_at > 0, "the replica_lag alert is raised");
	ok(over_at > 0 && raised_at - over_at >= 2000,
	    "not before alert_lag_for (3 s): raised %lld ms after lag passed lag_max",
	    (long long)(raised_at - over_at));
	it_undo(&T.h, "my-sql-thread", "my2");
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 15000 && cleared_at < 0) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		if (!mt_alert(s, "replica_lag", "my2") && lag_of(s, "my2") < 1.0)
			cleared_at = it_now_ms();
		dd_snapshot_unref(s);
	}
	ok(cleared_at > 0, "SQL thread started: alert cleared and lag back under 1 s (%lld ms)",
	    (long long)(cleared_at - t0));
	it_load_stop();
	mt_teardown(&T);
}

/* ---- node down, SIGSTOP ---- */

static void
test_down(void)
{
	const struct dd_snapshot *s;
	int64_t t0, seen_ms, down_ms = -1, alert_ms = -1, up_ms = -1;
	int i;

	mt_setup(&T, REFRESH_MS, NULL);
	it_fault(&T.h, "kill-node", "pg3", NULL, "start-node", NULL);
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 10000 && (down_ms < 0 || alert_ms < 0)) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		i = mt_node(s, "pg3");
		seen_ms = it_now_ms() - t0; /* one time per snapshot: same snapshot, same time */
		if (down_ms < 0 && s->nodes[i].state == DD_NODE_DOWN)
			down_ms = seen_ms;
		if (alert_ms < 0 && mt_alert(s, "node_down", "pg3"))
			alert_ms = seen_ms;
		dd_snapshot_unref(s);
	}
	ok(down_ms >= 0 && down_ms <= 2 * REFRESH_MS + 300,
	    "kill -9: pg3 down within two refresh intervals (%lld ms)", (long long)down_ms);
	ok(alert_ms >= 0 && alert_ms <= 3 * REFRESH_MS + 300 && alert_ms > down_ms,
	    "node_down alert raised at the second failed probe, not the first (%lld ms)",
	    (long long)alert_ms);
	it_undo(&T.h, "start-node", "pg3");
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 30000 && up_ms < 0) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		i = mt_node(s, "pg3");
		if (s->nodes[i].state != DD_NODE_DOWN && !mt_alert(s, "node_down", "pg3"))
			up_ms = it_now_ms() - t0;
		dd_snapshot_unref(s);
	}
	ok(up_ms >= 0, "start-node: pg3 up and the alert cleared (%lld ms)", (long long)up_ms);
	mt_teardown(&T);
}

static void
test_sigstop(void)
{
	const struct dd_snapshot *s;
	int64_t last[6] = {0}, t0, worst_age = 0;
	int advances[6] = {0}, stopped, samples = 0;
	bool seen_down = false;

	mt_setup(&T, REFRESH_MS, NULL);
	it_fault(&T.h, "pause-node", "my3", NULL, "resume-node", NULL);
	t0 = it_now_ms();
	while (it_now_ms() - t0 < 8000) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		stopped = mt_node(s, "my3");
		samples++;
		for (int i = 0; i < s->n_nodes && i < 6; i++) {
			int64_t age = s->generated_wall_ms - s->nodes[i].probed_wall_ms;
			if (i == stopped) {
				seen_down |= s->nodes[i].state == DD_NODE_DOWN;
				continue;
			}
			if (s->nodes[i].probed_wall_ms > last[i])
				advances[i]++;
			last[i] = s->nodes[i].probed_wall_ms;
			worst_age = age > worst_age ? age : worst_age;
		}
		dd_snapshot_unref(s);
	}
	int fewest = 1000;
	for (int i = 0; i < 6; i++)
		if (i != 5 && advances[i] < fewest)
			fewest = advances[i];
	ok(samples >= 7, "snapshots keep coming while my3 is stopped (%d in 8 s)", samples);
	ok(fewest >= 7, "every other node was probed anew about every second (fewest %d in 8 s)",
	    fewest);
	ok(worst_age <= REFRESH_MS + 500, "their data is never older than one interval (%lld ms)",
	    (long long)worst_age);
	ok(seen_down, "the stopped node is shown down");
	it_undo(&T.h, "resume-node", "my3");
	mt_teardown(&T);
}

/* ---- slow queries and cancel ---- */

/* Waits for a slow query on node whose text contains needle; copies it (strings borrowed from
 * *keep). */
static const struct dd_snap_query *
wait_query(const char *node, const char *needle, double min_s, const struct dd_snapshot **keep)
{
	const struct dd_snapshot *s;
	int64_t t0 = it_now_ms();

	while (it_now_ms() - t0 < 10000) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		for (int i = 0; i < s->n_queries; i++) {
			const struct dd_snap_query *q = &s->queries[i];
			if (strcmp(s->nodes[q->node].name, node) == 0 && strstr(q->text, needle) &&
			    q->duration_s >= min_s) {
				*keep = s;
				return q;
			}
		}
		dd_snapshot_unref(s);
	}
	return NULL;
}

static bool
file_has(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
check_slow(const struct dd_snapshot *s, const struct dd_snap_query *q, int64_t launched_wall,
    const char *what)
{
	double truth = (double)(s->generated_wall_ms - launched_wall) / 1000.0;

	ok(fabs(q->duration_s - truth) <= 1.0, "%s: duration %.2f s (true about %.2f s)", what,
	    q->duration_s, truth);
	ok(llabs(q->started_us / 1000 - launched_wall) <= 1000, "%s: start time right", what);
	ok(strcmp(q->user, "dbdeck") == 0 && q->pid > 0, "%s: user and pid", what);
}

static void
test_slow_pg(void)
{
	const char *errfile = "/tmp/dbdeck-mon-itest-psql.err";
	const struct dd_snapshot *s = NULL;
	const struct dd_snap_query *q;
	struct dd_query_target tg, wrong;
	char err[256];
	int64_t launched;
	pid_t pid;
	int rc;

	mt_setup(&T, REFRESH_MS, NULL);
	launched = it_wall_ms();
	pid = mt_client_start(&T, "psql", "pg1", "select pg_sleep(30)", NULL, errfile);
	q = wait_query("pg1", "pg_sleep(30)", 2.0, &s);
	if (!ok(q != NULL, "pg_sleep(30) shows as a slow query on pg1"))
		bail_out("no slow query");
	check_slow(s, q, launched, "pg_sleep");
	ok(strcmp(q->database, "app") == 0 && strcmp(q->state, "active") == 0,
	    "database app, state active");
	dd_query_target_of(q, &tg);
	dd_snapshot_unref(s);
	wrong = tg;
	wrong.started_us += 1;
	rc = dd_monitor_cancel_query(T.m, &wrong, false, 0, err, sizeof(err));
	ok(rc == DD_CANCEL_CHANGED, "a wrong start time (by 1 us) is refused: %s", err);
	ok(it_wait_child(pid, 200) < 0, "... and the statement still runs");
	rc = dd_monitor_cancel_query(T.m, &tg, false, 0, err, sizeof(err));
	is_int(rc, DD_CANCEL_OK, "cancel accepted");
	rc = it_wait_child(pid, 5000);
	ok(rc > 0 && rc < 128, "psql ends with an error (exit %d)", rc);
	ok(file_has(errfile, "canceling statement due to user request"),
	    "psql got the cancel error");
	rc = dd_monitor_cancel_query(T.m, &tg, false, 0, err, sizeof(err));
	ok(rc == DD_CANCEL_GONE || rc == DD_CANCEL_CHANGED, "a finished query is refused: %s", err);

	/* a statement that finished while its session stays open (idle) */
	pid = mt_client_start(&T, "psql", "pg1", "select pg_sleep(2.5)", "\\! sleep 8", errfile);
	q = wait_query("pg1", "pg_sleep(2.5)", 1.0, &s);
	ok(q != NULL, "pg_sleep(2.5) seen");
	if (q) {
		dd_query_target_of(q, &tg);
		dd_snapshot_unref(s);
		sleep(3);
		rc = dd_monitor_cancel_query(T.m, &tg, true, 0, err, sizeof(err));
		ok(rc == DD_CANCEL_CHANGED && strstr(err, "ended"),
		    "finished, session idle: terminate refused (%s)", err);
	}
	it_wait_child(pid, 15000);
	unlink(errfile);
	mt_teardown(&T);
}

static void
test_slow_my(void)
{
	const char *errfile = "/tmp/dbdeck-mon-itest-mariadb.err";
	const struct dd_snapshot *s = NULL;
	const struct dd_snap_query *q;
	struct dd_query_target tg, wrong;
	char err[256];
	int64_t launched, t0;
	pid_t pid;
	int rc;

	mt_setup(&T, REFRESH_MS, NULL);
	launched = it_wall_ms();
	pid = mt_client_start(&T, "mariadb", "my1", "SELECT SLEEP(30)", NULL, errfile);
	q = wait_query("my1", "SLEEP(30)", 2.0, &s);
	if (!ok(q != NULL, "SLEEP(30) shows as a slow query on my1"))
		bail_out("no slow query");
	check_slow(s, q, launched, "SLEEP");
	dd_query_target_of(q, &tg);
	int64_t counted = s->nodes[mt_node(s, "my1")].slow_total;
	dd_snapshot_unref(s);
	/* its start comes from TIME_MS anew each round: still one statement */
	sleep(3);
	s = mt_next(&T, 3 * REFRESH_MS);
	is_int(s ? s->nodes[mt_node(s, "my1")].slow_total : -1, counted,
	    "three rounds later the running SLEEP(30) is still counted once");
	if (s)
		dd_snapshot_unref(s);
	wrong = tg;
	wrong.text_hash ^= 1;
	rc = dd_monitor_cancel_query(T.m, &wrong, false, 0, err, sizeof(err));
	ok(rc == DD_CANCEL_CHANGED, "another text is refused: %s", err);
	wrong = tg;
	wrong.started_us -= 5000000;
	rc = dd_monitor_cancel_query(T.m, &wrong, false, 0, err, sizeof(err));
	ok(rc == DD_CANCEL_CHANGED, "a start 5 s off is refused: %s", err);
	t0 = it_now_ms();
	rc = dd_monitor_cancel_query(T.m, &tg, false, 0, err, sizeof(err));
	is_int(rc, DD_CANCEL_OK, "KILL QUERY accepted");
	rc = it_wait_child(pid, 5000);
	ok(rc >= 0 && it_now_ms() - t0 < 5000, "the client returns early (exit %d after %lld ms)",
	    rc, (long long)(it_now_ms() - t0));
	rc = dd_monitor_cancel_query(T.m, &tg, false, 0, err, sizeof(err));
	ok(rc == DD_CANCEL_GONE || rc == DD_CANCEL_CHANGED, "a finished query is refused: %s", err);
	unlink(errfile);
	mt_teardown(&T);
}

/* ---- MariaDB: KILL QUERY ID ---- */

static int64_t kill_after_ms; /* the hook waits until then (it_now_ms) */

/* Between the check and the KILL: the target (SLEEP(6)) ends, SLEEP(30) starts. */
static void
wait_for_next_statement(const struct dd_query_target *t)
{
	(void)t;
	while (it_now_ms() < kill_after_ms)
		usleep(50000);
}

static void
test_kill_query_id(void)
{
	const char *errfile = "/tmp/dbdeck-mon-itest-killqid.err";
	const struct dd_snapshot *s = NULL;
	const struct dd_snap_query *q;
	struct dd_query_target tg;
	char err[256];
	int64_t launched, t0;
	pid_t pid;
	int rc;

	mt_setup(&T, REFRESH_MS, NULL);
	launched = it_now_ms();
	pid = mt_client_start(
	    &T, "mariadb", "my1", "SELECT SLEEP(6); SELECT SLEEP(30)", NULL, errfile);
	q = wait_query("my1", "SLEEP(6)", 1.5, &s);
	if (!ok(q != NULL, "SLEEP(6) shows as a slow query on my1"))
		bail_out("no slow query");
	dd_query_target_of(q, &tg);
	dd_snapshot_unref(s);
	if (it_now_ms() - launched > 5000)
		bail_out("the slow query was seen too late to test the race");
	kill_after_ms = launched + 7000;
	mon_cancel_test_hook = wait_for_next_statement;
	rc = dd_monitor_cancel_query(
	    T.m, &tg, false, it_now_ms() * 1000000 + INT64_C(20000000000), err, sizeof(err));
	mon_cancel_test_hook = NULL;
	ok(rc == DD_CANCEL_CHANGED, "the target ended after the check: refused (%d: %s)", rc, err);
	ok(it_wait_child(pid, 2000) < 0, "... and the next statement of the session still runs");
	q = wait_query("my1", "SLEEP(30)", 1.0, &s);
	ok(q != NULL, "SLEEP(30) shows as a slow query");
	if (q) {
		dd_query_target_of(q, &tg);
		dd_snapshot_unref(s);
		t0 = it_now_ms();
		rc = dd_monitor_cancel_query(T.m, &tg, false, 0, err, sizeof(err));
		is_int(rc, DD_CANCEL_OK, "cancelling it by query id is accepted");
		rc = it_wait_child(pid, 5000);
		ok(rc >= 0 && it_now_ms() - t0 < 5000, "the client returns early (exit %d)", rc);
	}
	unlink(errfile);
	mt_teardown(&T);
}

/* ---- pg_stat_statements missing ---- */

static bool extension_dropped;

static void
recreate_extension(void)
{
	if (extension_dropped)
		mt_sql(&T, "psql", "pg1", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
	extension_dropped = false;
}

static const struct dd_snap_node *
wait_node(const char *node, bool (*pred)(const struct dd_snap_node *), int64_t timeout_ms,
    const struct dd_snapshot **keep)
{
	const struct dd_snapshot *s;
	int64_t t0 = it_now_ms();

	while (it_now_ms() - t0 < timeout_ms) {
		if (!(s = mt_next(&T, 3000)))
			continue;
		const struct dd_snap_node *n = &s->nodes[mt_node(s, node)];
		if (pred(n)) {
			*keep = s;
			return n;
		}
		dd_snapshot_unref(s);
	}
	return NULL;
}

static bool
stmts_ok(const struct dd_snap_node *n)
{
	return n->statements_probe.ok;
}

static bool
qps_known(const struct dd_snap_node *n)
{
	return !isnan(n->qps);
}

static bool
stmts_missing(const struct dd_snap_node *n)
{
	return !n->statements_probe.ok && n->statements_probe.why[0];
}

static void
test_statements(void)
{
	const struct dd_snapshot *s = NULL;
	const struct dd_snap_node *n;

	mt_setup(&T, REFRESH_MS, NULL);
	atexit(recreate_extension);
	n = wait_node("pg1", stmts_ok, 10000, &s);
	ok(n != NULL, "pg_stat_statements is read on pg1");
	if (n) {
		int k = 0;
		for (int i = 0; i < s->n_statements; i++)
			k += strcmp(s->nodes[s->statements[i].node].name, "pg1") == 0;
		ok(k > 0, "top statements of pg1 are listed (%d)", k);
		dd_snapshot_unref(s);
		n = wait_node("pg1", qps_known, 10000, &s);
		ok(n && n->load_kind == DD_RATE_QUERIES && n->load_per_s == n->qps,
		    "with it, the node's load figure is its statements per second");
		if (n)
			dd_snapshot_unref(s);
	}
	extension_dropped = true;
	if (mt_sql(&T, "psql", "pg1", "DROP EXTENSION pg_stat_statements") != 0)
		bail_out("DROP EXTENSION failed");
	n = wait_node("pg1", stmts_missing, 10000, &s);
	ok(n && strstr(n->statements_probe.why,
	            "pg_stat_statements is not installed in "
	            "database app (CREATE EXTENSION pg_stat_statements)"),
	    "the statements probe says why: %s", n ? n->statements_probe.why : "(nothing)");
	if (n) {
		/* the round that noticed may have read the calls just before the DROP: one more */
		dd_snapshot_unref(s);
		s = NULL;
		for (int k = 0; k < 5 && !s; k++)
			s = mt_next(&T, 3000);
		if (!s)
			bail_out("no snapshot");
		n = &s->nodes[mt_node(s, "pg1")];
		ok(n->state == DD_NODE_UP && n->activity_probe.ok && n->conn_used > 0 &&
		        n->version[0] && n->uptime_s > 0,
		    "everything else on pg1 carries on");
		ok(isnan(n->qps) && !isnan(n->tps) && !n->statements_probe.ok,
		    "QPS unknown without it, TPS still known (%.1f/s)", n->tps);
		ok(n->load_kind == DD_RATE_TRANSACTIONS && n->load_per_s == n->tps,
		    "the node's load figure is its transactions per second instead");
		int my2 = mt_node(s, "my2");
		ok(s->nodes[my2].state != DD_NODE_DOWN && s->nodes[my2].conn_used > 0,
		    "the other cluster is untouched");
		dd_snapshot_unref(s);
	}
	recreate_extension();
	n = wait_node("pg1", stmts_ok, 15000, &s);
	ok(n != NULL, "after CREATE EXTENSION the probe is back (within the back-off)");
	if (n)
		dd_snapshot_unref(s);
	mt_teardown(&T);
}

/* ---- the first round ---- */

#define FIRST_DEADLINE_MS 4000 /* down_after and connect_timeout of this test */

struct first_seen {
	int64_t unknown_ms, down_ms, up_ms; /* first seen so, after start; -1 never */
};

static void
first_note(struct first_seen *f, const struct dd_snap_node *n, int64_t at_ms)
{
	int64_t *slot = n->state == DD_NODE_UNKNOWN ? &f->unknown_ms
	                : n->state == DD_NODE_DOWN  ? &f->down_ms
	                                            : &f->up_ms;
	if (*slot < 0)
		*slot = at_ms;
}

/* How many node-down events and node_down alerts of node the event log holds. */
static int
first_down_events(const struct dd_snapshot *s, const char *node)
{
	int k = 0;

	for (int i = 0; i < s->n_events; i++)
		if (strcmp(s->events[i].node, node) == 0 &&
		    (s->events[i].kind == DD_EVENT_NODE_DOWN ||
		        (s->events[i].kind == DD_EVENT_ALERT_RAISED &&
		            strstr(s->events[i].message, "is down"))))
			k++;
	return k;
}

/* How many alerts of node the event log says were raised. */
static int
first_alerts(const struct dd_snapshot *s, const char *node)
{
	int k = 0;

	for (int i = 0; i < s->n_events; i++)
		if (strcmp(s->events[i].node, node) == 0 &&
		    s->events[i].kind == DD_EVENT_ALERT_RAISED) {
			diag("alert on %s: %s", node, s->events[i].message);
			k++;
		}
	return k;
}

/* How many alerts of the cluster itself (no node) the event log says were raised. */
static int
first_cluster_alerts(const struct dd_snapshot *s, const char *cluster)
{
	int k = 0;

	for (int i = 0; i < s->n_events; i++)
		if (strcmp(s->events[i].cluster, cluster) == 0 && s->events[i].node[0] == '\0' &&
		    s->events[i].kind == DD_EVENT_ALERT_RAISED) {
			diag("alert on %s: %s", cluster, s->events[i].message);
			k++;
		}
	return k;
}

static void
test_first(void)
{
	static const char *const names[6] = {"pg1", "pg2", "pg3", "my1", "my2", "my3"};
	enum { PG3 = 2, MY1 = 3, MY3 = 5 };
	struct first_seen seen[6];
	const struct dd_snapshot *s, *last = NULL;
	int64_t t0, resumed = -1;

	memset(seen, -1, sizeof(seen));
	mt_harness(&T);
	it_fault(&T.h, "stop-node", "my3", NULL, "start-node", NULL);
	it_fault(&T.h, "pause-node", "pg3", NULL, "resume-node", NULL);
	it_fault(&T.h, "pause-node", "my1", NULL, "resume-node", NULL);
	t0 = it_now_ms();
	mt_start(&T, REFRESH_MS, NULL, FIRST_DEADLINE_MS);
	while (it_now_ms() - t0 < FIRST_DEADLINE_MS + 3000) {
		/* after the first snapshot (my1 must be seen unknown) and the routers' first
		 * probe of it (1 s), so that the router misses it once */
		if (resumed < 0 && last && it_now_ms() - t0 >= 1100) {
			it_undo(&T.h, "resume-node", "my1");
			resumed = it_now_ms() - t0;
		}
		if (!(s = mt_next(&T, 200)))
			continue;
		for (int k = 0; k < 6; k++)
			first_note(&seen[k], &s->nodes[mt_node(s, names[k])], it_now_ms() - t0);
		dd_snapshot_unref(last);
		last = s;
	}
	if (!last)
		bail_out("no snapshot");
	diag("my1 resumed at %lld ms", (long long)resumed);
	for (int k = 0; k < 6; k++)
		diag("%s: first unknown %lld, down %lld, up %lld ms", names[k],
		    (long long)seen[k].unknown_ms, (long long)seen[k].down_ms,
		    (long long)seen[k].up_ms);
	ok(seen[MY1].unknown_ms >= 0, "my1, paused at start: unknown while it has not answered");
	ok(seen[MY1].down_ms < 0 && first_down_events(last, "my1") == 0,
	    "my1 answers within its deadline: never down, no down event or alert");
	ok(seen[MY1].up_ms >= 0, "my1 is up once it answers");
	ok(first_alerts(last, "my1") == 0,
	    "my1: no alert at all (its first acquire opened the connection: no pool_wait)");
	ok(first_cluster_alerts(last, "my") == 0,
	    "cluster my: no no_primary alert while the router has not reached my1 yet");
	for (int k = 0; k < 6; k++)
		if (k != PG3 && k != MY1 && k != MY3)
			ok(seen[k].down_ms < 0 && first_down_events(last, names[k]) == 0,
			    "%s: never down, no down event or alert", names[k]);
	ok(seen[MY3].down_ms >= 0 && seen[MY3].down_ms <= FIRST_DEADLINE_MS + 1000 &&
	        first_down_events(last, "my3") > 0,
	    "my3, stopped: down (%lld ms), with its event", (long long)seen[MY3].down_ms);
	ok(seen[PG3].down_ms >= FIRST_DEADLINE_MS,
	    "pg3, hung: not down before its deadline (%lld ms)", (long long)seen[PG3].down_ms);
	ok(seen[PG3].down_ms >= 0 && seen[PG3].down_ms <= FIRST_DEADLINE_MS + 2500 &&
	        first_down_events(last, "pg3") > 0,
	    "pg3: down once its deadline has passed, with its event");
	dd_snapshot_unref(last);
	mt_teardown(&T);
}

static void
test_first_oneshot(void)
{
	const struct dd_snapshot *s;
	pid_t resumer;
	int my2, my3;

	mt_harness(&T);
	T.oneshot = true;
	it_fault(&T.h, "stop-node", "my3", NULL, "start-node", NULL);
	it_fault(&T.h, "pause-node", "my2", NULL, "resume-node", NULL);
	mt_start(&T, REFRESH_MS, NULL, FIRST_DEADLINE_MS);
	if ((resumer = it_spawn()) == 0) {
		usleep(3500000);
		execlp("bash", "bash", T.h.script, "resume-node", T.h.dir, "my2", (char *)NULL);
		_exit(127);
	}
	int64_t t0 = it_now_ms();
	dd_monitor_refresh_now(T.m, it_now_ms() * 1000000 + 20000 * INT64_C(1000000));
	diag("refresh_now took %lld ms", (long long)(it_now_ms() - t0));
	it_wait_child(resumer, 10000);
	s = dd_monitor_current(T.m);
	if (!s)
		bail_out("no snapshot");
	my2 = mt_node(s, "my2");
	my3 = mt_node(s, "my3");
	ok(s->nodes[my2].state == DD_NODE_UP || s->nodes[my2].state == DD_NODE_LAGGING,
	    "one-shot: my2, paused at start for 3.5 s, is up (%s: %s)",
	    dd_node_state_name(s->nodes[my2].state), s->nodes[my2].last_error);
	ok(s->nodes[my3].state == DD_NODE_DOWN, "one-shot: my3, stopped, is down");
	dd_snapshot_unref(s);
	it_undo(&T.h, "resume-node", "my2");
	mt_teardown(&T);
}

/* ---- dbdeck's own sessions ---- */

static void
test_own_app(void)
{
	const struct dd_snapshot *s;
	bool own_seen = false, other_seen = false;
	int64_t t0, other_at = -1;
	pid_t other, own;

	mt_harness(&T);
	T.app = "mt-own-app";
	mt_start(&T, REFRESH_MS, NULL, 0);
	own = mt_client_start(&T, "psql", "pg1", "SET application_name = 'mt-own-app'",
	    "select pg_sleep(8) /* own */", NULL);
	other = mt_client_start(&T, "psql", "pg1", "SET application_name = 'dbdeck'",
	    "select pg_sleep(8) /* other */", NULL);
	/* both run for 8 s: watch until "other" has been seen for 2 s, 7 s at most */
	for (t0 = it_now_ms(); it_now_ms() - t0 < 7000;) {
		if (other_at >= 0 && it_now_ms() - other_at > 2000)
			break;
		if (!(s = mt_next(&T, 1000)))
			continue;
		for (int i = 0; i < s->n_queries; i++) {
			const struct dd_snap_query *q = &s->queries[i];
			own_seen |= strstr(q->text, "/* own */") != NULL;
			if (strstr(q->text, "/* other */") &&
			    strcmp(q->application, "dbdeck") == 0) {
				other_seen = true;
				other_at = other_at < 0 ? it_now_ms() : other_at;
			}
		}
		dd_snapshot_unref(s);
	}
	ok(other_seen, "a session of another program named dbdeck is shown as a slow query");
	ok(other_seen && !own_seen,
	    "a session with the core's application_name is dbdeck's own: not shown");
	it_wait_child(own, 10000);
	it_wait_child(other, 10000);
	mt_teardown(&T);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
	    {"lag_pg", test_lag_pg},
	    {"idle", test_idle},
	    {"lag_my", test_lag_my},
	    {"down", test_down},
	    {"sigstop", test_sigstop},
	    {"slow_pg", test_slow_pg},
	    {"slow_my", test_slow_my},
	    {"kill_query_id", test_kill_query_id},
	    {"statements", test_statements},
	    {"first", test_first},
	    {"first_oneshot", test_first_oneshot},
	    {"own_app", test_own_app},
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(argv[1], tests[i].name) == 0) {
			tests[i].fn();
			return tap_done();
		}
	bail_out("usage: %s lag_pg|idle|lag_my|down|sigstop|slow_pg|slow_my|statements|first|"
	         "first_oneshot|own_app|kill_query_id",
	    argv[0]);
}
