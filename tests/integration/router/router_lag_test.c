/*
 * router_lag_test.c: the lag budget against real replication (argument pg or
 * my). Under a write load (harness.sh load, 20 rows/s), replay is paused on
 * the second node (PostgreSQL: pg_wal_replay_pause(); MariaDB: STOP SLAVE
 * SQL_THREAD). With lag_max = 2 s the replica must leave the read set within
 * 10 s, no read may land on it while it is out and the explanation must say
 * lag; after replay resumes it must come back within 10 s. The replay is
 * resumed and the load stopped at exit, whatever happens.
 */
#include <stdio.h>
#include <string.h>

#include "rt_common.h"
#include "tap.h"

static bool
lagging_out(struct rt *t, int i)
{
	struct dd_router_node_view v;

	rt_view(t, i, &v);
	return !v.in_read_set;
}

static bool
back_in(struct rt *t, int i)
{
	struct dd_router_node_view v;

	rt_view(t, i, &v);
	return v.in_read_set;
}

/* Reads for about ms milliseconds; returns how many landed on node i (-1 on a failed read). */
static int
reads_on(struct rt *t, int i, int64_t ms, int *total)
{
	struct dd_route_decision why;
	int64_t end = it_now_ms() + ms;
	int on = 0, n;

	*total = 0;
	while (it_now_ms() < end) {
		n = rt_read_node(t, NULL, 3000, &why);
		if (n < 0) {
			diag("read failed: %s", why.reason);
			return -1;
		}
		on += n == i;
		(*total)++;
	}
	return on;
}

int
main(int argc, char **argv)
{
	const char *engine = rt_engine_arg(argc, argv);
	struct dd_router_node_view v;
	char buf[DD_ROUTE_REASON_MAX];
	int64_t ms;
	int on, total;
	struct rt t;

	rt_setup(&t, engine, NULL);
	it_load_start(&t.h, engine, 60, 20);
	on = reads_on(&t, 1, 1500, &total);
	ok(on > 0, "before: %s serves reads (%d of %d)", t.node[1], on, total);

	if (t.pg)
		it_fault(&t.h, "pg-replay", t.node[1], "pause", "pg-replay", "resume");
	else
		it_fault(&t.h, "my-sql-thread", t.node[1], "stop", "my-sql-thread", "start");
	ms = rt_wait(&t, lagging_out, 1, 10000);
	ok(ms >= 0, "%s left the read set %lld ms after replay stopped (bound 10 s)", t.node[1],
	    (long long)ms);
	rt_view(&t, 1, &v);
	ok(strstr(v.why, "lag") != NULL, "its view says why: %s", v.why);
	on = reads_on(&t, 1, 2000, &total);
	ok(on == 0 && total > 0, "no read landed on it while it lagged (%d reads)", total);
	dd_route_explain(t.r, DD_INTENT_READ, NULL, buf, sizeof(buf));
	ok(strstr(buf, "out: lag") != NULL, "the explanation says lag: %s", buf);

	if (t.pg)
		it_undo(&t.h, "pg-replay", t.node[1]);
	else
		it_undo(&t.h, "my-sql-thread", t.node[1]);
	ms = rt_wait(&t, back_in, 1, 10000);
	ok(ms >= 0, "%s back in the read set %lld ms after replay resumed (bound 10 s)", t.node[1],
	    (long long)ms);
	on = reads_on(&t, 1, 1500, &total);
	ok(on > 0, "it serves reads again (%d of %d)", on, total);
	it_load_stop();
	is_int(rt_teardown(&t), 0, "shutdown: every pool drained, no connection left borrowed");
	return tap_done();
}
