/*
 * router_fault_test.c: the router when replicas fail (argument pg or my).
 *   1. Every replica stopped: reads fall back to the primary with
 *      no_replica = primary, and fail at once with no_replica = fail, each
 *      with a reason; writes are unaffected. The replicas are restarted and
 *      must be re-discovered.
 *   2. A replica hangs (SIGSTOP) during reads: every call returns within its
 *      deadline, the node's breaker opens, reads move to the other replica;
 *      after SIGCONT the breaker goes half-open then closed (breaker_recovery
 *      = 2 s) and the node serves reads again.
 * Stopped and paused nodes are restarted / resumed at exit whatever happens.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "prom_parse.h"
#include "rt_common.h"
#include "tap.h"
#include "util/util.h"

static bool
both_down(struct rt *t, int unused)
{
	struct dd_router_node_view v[RT_NODES];

	(void)unused;
	dd_router_nodes(t->r, v, RT_NODES);
	return !v[1].reachable && !v[2].reachable;
}

static bool
both_usable(struct rt *t, int unused)
{
	struct dd_router_node_view v[RT_NODES];

	(void)unused;
	dd_router_nodes(t->r, v, RT_NODES);
	return v[1].in_read_set && v[2].in_read_set && v[1].breaker == DD_BREAKER_CLOSED &&
	       v[2].breaker == DD_BREAKER_CLOSED;
}

/* With both replicas down the exposition says so: lag NaN, health 0. */
static void
check_metrics_down(struct rt *t)
{
	const struct prom_sample *lag, *health;
	struct dd_prom *p = dd_prom_new();
	struct prom_doc *doc = NULL;
	char err[256], l[64];
	const char *text;
	size_t len;

	if (dd_core_write_prometheus(t->core, p) == 0) {
		text = dd_prom_text(p, &len);
		doc = prom_parse(text, len, err, sizeof(err));
	}
	ok(doc != NULL, "the exposition with replicas down passes the strict parser");
	snprintf(l, sizeof(l), "cluster=c,replica=%s", t->node[1]);
	lag = doc ? prom_find(doc, "db_replication_lag_seconds", l) : NULL;
	health = doc ? prom_find(doc, "db_replica_health", l) : NULL;
	ok(lag && isnan(lag->value), "db_replication_lag_seconds of a down replica is NaN");
	ok(health && health->value == 0, "db_replica_health of a down replica is 0");
	prom_doc_free(doc);
	dd_prom_free(p);
}

static void
test_fallback(const char *engine)
{
	struct dd_route_decision why;
	struct dd_result *res = NULL;
	struct dd_db_error e;
	int64_t t0, ms;
	int n, rc;
	struct rt t;

	rt_setup(&t, engine, NULL);
	it_fault(&t.h, "stop-node", t.node[1], NULL, "start-node", NULL);
	it_fault(&t.h, "stop-node", t.node[2], NULL, "start-node", NULL);
	ms = rt_wait(&t, both_down, 0, 10000);
	ok(ms >= 0, "both replicas seen down after %lld ms", (long long)ms);
	check_metrics_down(&t);
	n = rt_read_node(&t, NULL, 3000, &why);
	ok(n == 0 && why.kind == DD_ROUTE_FALLBACK,
	    "no_replica = primary: the read ran on the "
	    "primary: %s",
	    why.reason);
	ok(strstr(why.reason, "fallback: no usable replica") != NULL, "the reason says fallback");
	is_int(rt_teardown(&t), 0, "clean shutdown (fallback policy)");

	rt_setup_ex(&t, engine, "no_replica = fail", false);
	t0 = it_now_ms();
	rc = dd_router_query(
	    t.r, NULL, DD_INTENT_READ, rt_port_sql(&t), DD_POOL_DEFAULT_DEADLINE, &res, &why, &e);
	dd_result_free(res);
	ok(rc == DD_ROUTER_ERR_NO_REPLICA, "no_replica = fail: the read fails (%s)",
	    dd_router_err_name(rc));
	ok(it_now_ms() - t0 < 1000, "at once (%lld ms)", (long long)(it_now_ms() - t0));
	ok(strstr(why.reason, "no_replica = fail") != NULL &&
	        strstr(e.message, "no_replica") != NULL,
	    "with a clear reason: %s", why.reason);
	ok(dd_router_exec(t.r, NULL, DD_INTENT_WRITE, "SELECT 1", DD_POOL_DEFAULT_DEADLINE, NULL,
	       &why, NULL) == 0 &&
	        why.node == 0,
	    "writes still go to the primary");

	it_undo(&t.h, "start-node", t.node[1]);
	it_undo(&t.h, "start-node", t.node[2]);
	ms = rt_wait(&t, both_usable, 0, 30000);
	ok(ms >= 0, "both replicas re-discovered and usable %lld ms after restart", (long long)ms);
	n = rt_read_node(&t, NULL, 3000, &why);
	ok(n == 1 || n == 2, "reads go to replicas again: %s", why.reason);
	is_int(rt_teardown(&t), 0, "clean shutdown (fail policy)");
}

static enum dd_breaker_state
breaker_of(struct rt *t, int i)
{
	return dd_breaker_state(dd_pool_breaker(dd_router_node_pool(t->r, (size_t)i)));
}

static bool
breaker_closed_and_in(struct rt *t, int i)
{
	struct dd_router_node_view v;

	rt_view(t, i, &v);
	return v.breaker == DD_BREAKER_CLOSED && v.in_read_set;
}

/* The breaker history holds OPEN → HALF_OPEN → CLOSED, in that order. */
static bool
recovered_through_half_open(struct rt *t, int i)
{
	struct dd_breaker_transition tr[DD_BREAKER_HISTORY];
	size_t n, k;
	int step = 0;

	n = dd_breaker_history(
	    dd_pool_breaker(dd_router_node_pool(t->r, (size_t)i)), tr, DD_BREAKER_HISTORY);
	for (k = 0; k < n; k++) {
		if (step == 0 && tr[k].to == DD_BREAKER_OPEN)
			step = 1;
		else if (step == 1 && tr[k].to == DD_BREAKER_HALF_OPEN)
			step = 2;
		else if (step == 2 && tr[k].to == DD_BREAKER_CLOSED)
			step = 3;
		else if (step == 2 && tr[k].to == DD_BREAKER_OPEN)
			step = 1;
	}
	if (n > 0)
		diag("last transition: %s → %s (%s)", dd_breaker_state_name(tr[n - 1].from),
		    dd_breaker_state_name(tr[n - 1].to), tr[n - 1].reason);
	return step == 3;
}

static void
test_hang(const char *engine)
{
	const int64_t deadline_ms = 1500;
	struct dd_route_decision why;
	int64_t t0, el, worst = 0, opened_ms = -1, ms, start;
	int n, late = 0, failed = 0, reads = 0, after_open = 0, bad_after_open = 0, back = 0, i;
	int slow = 0;
	struct rt t;

	rt_setup(&t, engine, NULL);
	it_fault(&t.h, "pause-node", t.node[1], NULL, "resume-node", NULL);
	start = it_now_ms();
	while (it_now_ms() - start < 8000) {
		t0 = it_now_ms();
		n = rt_read_node(&t, NULL, deadline_ms, &why);
		el = it_now_ms() - t0;
		if (el > 200 && slow++ < 5)
			diag("read %d: %lld ms: %s", reads, (long long)el, why.reason);
		reads++;
		worst = el > worst ? el : worst;
		late += el > deadline_ms + 250;
		failed += n < 0;
		if (opened_ms < 0 && breaker_of(&t, 1) == DD_BREAKER_OPEN)
			opened_ms = it_now_ms() - start;
		if (opened_ms >= 0 && it_now_ms() - start > opened_ms + 1000) {
			after_open++;
			bad_after_open += n != 2;
		}
	}
	ok(late == 0,
	    "%d reads while %s hangs: every one returned within its %lld ms deadline "
	    "(worst %lld ms)",
	    reads, t.node[1], (long long)deadline_ms, (long long)worst);
	diag("%d reads failed (timed out on the hung node)", failed);
	ok(opened_ms >= 0, "the breaker of %s opened %lld ms after the hang", t.node[1],
	    (long long)opened_ms);
	ok(after_open > 0 && bad_after_open == 0,
	    "once it opened, reads moved to %s (%d reads, %d elsewhere or failed)", t.node[2],
	    after_open, bad_after_open);
	diag("%s", why.reason);

	it_undo(&t.h, "resume-node", t.node[1]);
	ms = rt_wait(&t, breaker_closed_and_in, 1, 20000);
	ok(ms >= 0, "after SIGCONT the breaker closed and %s is back in %lld ms", t.node[1],
	    (long long)ms);
	ok(recovered_through_half_open(&t, 1), "the breaker went open → half-open → closed");
	for (i = 0; i < 10; i++)
		back += rt_read_node(&t, NULL, 3000, &why) == 1;
	ok(back >= 4, "%s serves reads again (%d of 10)", t.node[1], back);
	is_int(rt_teardown(&t), 0, "clean shutdown (hang)");
}

int
main(int argc, char **argv)
{
	const char *engine = rt_engine_arg(argc, argv);

	test_fallback(engine);
	test_hang(engine);
	return tap_done();
}
