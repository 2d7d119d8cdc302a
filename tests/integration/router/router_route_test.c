/*
 * router_route_test.c: routing against the real harness cluster (argument pg
 * or my): writes and transactions land on the primary and reads on the
 * replicas, as the servers' own ports show; read-your-writes holds for a
 * session while another session reads from replicas; decisions are explained
 * and counted; the Prometheus exposition of the live core passes the strict
 * parser; a stopped replica is re-discovered as a replica and used again.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "prom_parse.h"
#include "rt_common.h"
#include "tap.h"
#include "util/util.h"

static void
test_writes_and_transactions(struct rt *t)
{
	struct dd_route_decision why;
	struct dd_pooled *pc;
	int i, on_primary = 0, n;

	for (i = 0; i < 5; i++) {
		if (dd_router_acquire(
		        t->r, NULL, DD_INTENT_WRITE, DD_POOL_DEFAULT_DEADLINE, &pc, &why) != 0) {
			diag("write acquire: %s", why.reason);
			continue;
		}
		on_primary +=
		    rt_conn_node(t, pc) == 0 && why.node == 0 && why.kind == DD_ROUTE_PRIMARY;
		dd_router_release(t->r, NULL, pc);
	}
	is_int(on_primary, 5, "5 write connections: all on the primary (server port)");
	diag("%s", why.reason);

	if (dd_router_acquire(
	        t->r, NULL, DD_INTENT_TRANSACTION, DD_POOL_DEFAULT_DEADLINE, &pc, &why) != 0)
		bail_out("transaction acquire: %s", why.reason);
	n = 0;
	n += dd_pool_exec(pc, "BEGIN", DD_POOL_DEFAULT_DEADLINE, NULL, &(struct dd_db_error){0}) ==
	     0;
	n += rt_conn_node(t, pc) == 0;
	n += rt_conn_node(t, pc) == 0;
	n += dd_pool_exec(pc, "COMMIT", DD_POOL_DEFAULT_DEADLINE, NULL, &(struct dd_db_error){0}) ==
	     0;
	dd_router_release(t->r, NULL, pc);
	is_int(n, 4, "transaction: BEGIN, read, read, COMMIT all ran on the primary");
}

static void
test_reads(struct rt *t)
{
	struct dd_route_decision why;
	int i, n, count[RT_NODES] = {0}, bad = 0;

	for (i = 0; i < 20; i++) {
		n = rt_read_node(t, NULL, 3000, &why);
		if (n < 0 || why.kind != DD_ROUTE_REPLICA || why.node != n) {
			bad++;
			diag("read: node %d, %s", n, why.reason);
			continue;
		}
		count[n]++;
	}
	ok(bad == 0 && count[0] == 0, "20 reads: none on the primary, none failed");
	ok(count[1] == 10 && count[2] == 10, "round-robin over both replicas (%d/%d)", count[1],
	    count[2]);
	diag("%s", why.reason);
}

static const char *
ddl(const struct rt *t)
{
	return t->pg ? "CREATE TABLE IF NOT EXISTS router_ryw (id int PRIMARY KEY, v text)"
	             : "CREATE TABLE IF NOT EXISTS router_ryw (id int PRIMARY KEY, v varchar(40))";
}

static bool
row_visible(struct rt *t, struct dd_session *s, int id, enum dd_route_kind *kind)
{
	struct dd_route_decision why;
	struct dd_result *res = NULL;
	char sql[128];
	bool found;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM router_ryw WHERE id = %d", id);
	found = dd_router_query(t->r, s, DD_INTENT_READ, sql, DD_POOL_DEFAULT_DEADLINE, &res, &why,
	            NULL) == 0 &&
	        dd_result_nrows(res) == 1 && strcmp(dd_result_value(res, 0, 0), "1") == 0;
	dd_result_free(res);
	*kind = why.kind;
	return found;
}

static void
test_read_your_writes(struct rt *t)
{
	struct dd_session *s = dd_session_new(), *other = dd_session_new();
	int i, found = 0, other_replica = 0, on_primary = 0, base = (int)(getpid() % 100000) * 100;
	enum dd_route_kind kind;
	char sql[160];

	if (dd_router_exec(t->r, NULL, DD_INTENT_WRITE, ddl(t), DD_POOL_DEFAULT_DEADLINE, NULL,
	        NULL, NULL) != 0)
		bail_out("cannot create router_ryw");
	for (i = 0; i < 20; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO router_ryw VALUES (%d, 'ryw')", base + i);
		if (dd_router_exec(t->r, s, DD_INTENT_WRITE, sql, DD_POOL_DEFAULT_DEADLINE, NULL,
		        NULL, NULL) != 0)
			continue;
		found += row_visible(t, s, base + i, &kind);
		on_primary += kind == DD_ROUTE_RYW;
		row_visible(t, other, base + i, &kind);
		other_replica += kind == DD_ROUTE_REPLICA;
	}
	is_int(
	    found, 20, "read-your-writes: 20 rows read back at once through the writing session");
	diag("%d of those reads were kept on the primary", on_primary);
	ok(on_primary > 0, "read-your-writes kept reads on the primary right after writes");
	is_int(other_replica, 20, "another session's reads went to replicas");
	snprintf(
	    sql, sizeof(sql), "DELETE FROM router_ryw WHERE id >= %d AND id < %d", base, base + 20);
	dd_router_exec(
	    t->r, NULL, DD_INTENT_WRITE, sql, DD_POOL_DEFAULT_DEADLINE, NULL, NULL, NULL);
	dd_session_free(s);
	dd_session_free(other);
}

static void
test_explain_and_counters(struct rt *t)
{
	struct dd_router_node_view v[RT_NODES];
	struct dd_route_decision d[DD_ROUTER_DECISIONS];
	char buf[DD_ROUTE_REASON_MAX], want[64];
	size_t n, i;
	int node, empty = 0;

	node = dd_route_explain(t->r, DD_INTENT_WRITE, NULL, buf, sizeof(buf));
	snprintf(want, sizeof(want), "write \u2192 %s (primary)", t->node[0]);
	ok(node == 0 && strcmp(buf, want) == 0, "explain write: %s", buf);
	node = dd_route_explain(t->r, DD_INTENT_READ, NULL, buf, sizeof(buf));
	ok(node == 1 || node == 2, "explain read: %s", buf);
	n = dd_router_decisions(t->r, d, DD_ROUTER_DECISIONS);
	for (i = 0; i < n; i++)
		empty += d[i].reason[0] == '\0';
	ok(n == DD_ROUTER_DECISIONS && empty == 0, "the last %d decisions are kept with reasons",
	    DD_ROUTER_DECISIONS);
	dd_router_nodes(t->r, v, RT_NODES);
	ok(v[0].is_primary && v[0].role == DD_ROLE_PRIMARY && v[1].role == DD_ROLE_REPLICA &&
	        v[2].role == DD_ROLE_REPLICA,
	    "roles discovered: %s primary, %s %s replicas", v[0].name, v[1].name, v[2].name);
	ok(v[1].in_read_set && v[2].in_read_set && v[1].lag_known && v[1].lag_ms < 2000,
	    "both replicas in the read set (lag %lld / %lld ms)", (long long)v[1].lag_ms,
	    (long long)v[2].lag_ms);
	ok(v[0].routed[DD_INTENT_WRITE] >= 5 && v[0].routed[DD_INTENT_TRANSACTION] >= 1 &&
	        v[1].routed[DD_INTENT_READ] >= 10 && v[2].routed[DD_INTENT_READ] >= 10,
	    "per-node routing counters");
	diag("positions: %s %s %s", v[0].position, v[1].position, v[2].position);
}

static double
sample(const struct prom_doc *d, const char *name, const char *labels)
{
	const struct prom_sample *s = prom_find(d, name, labels);

	return s ? s->value : -1;
}

static void
test_metrics(struct rt *t)
{
	struct dd_prom *p = dd_prom_new();
	struct prom_doc *doc;
	const char *text;
	char err[256], l[128];
	size_t len;

	ok(dd_core_write_prometheus(t->core, p) == 0, "dd_core_write_prometheus: %s",
	    dd_prom_error(p) ? dd_prom_error(p) : "ok");
	text = dd_prom_text(p, &len);
	doc = prom_parse(text, len, err, sizeof(err));
	if (!ok(doc != NULL, "the exposition passes the strict parser")) {
		diag("%s", err);
		dd_prom_free(p);
		return;
	}
	snprintf(l, sizeof(l), "cluster=c,node=%s,state=active", t->node[0]);
	ok(sample(doc, "db_connection_pool_size", l) == 0,
	    "pool size: nothing active on the primary");
	snprintf(l, sizeof(l), "cluster=c,node=%s,state=idle", t->node[0]);
	ok(sample(doc, "db_connection_pool_size", l) >= 1,
	    "pool size: idle connections on the primary");
	snprintf(l, sizeof(l), "cluster=c,node=%s", t->node[1]);
	ok(sample(doc, "db_connection_pool_wait_time_seconds_count", l) >= 10,
	    "wait-time histogram count");
	snprintf(l, sizeof(l), "cluster=c,node=%s,reason=timeout", t->node[1]);
	ok(sample(doc, "db_connection_pool_errors_total", l) == 0, "no acquire timeouts");
	snprintf(l, sizeof(l), "cluster=c,replica=%s", t->node[2]);
	ok(sample(doc, "db_replica_health", l) == 1, "replica health 1");
	ok(sample(doc, "db_replication_lag_seconds", l) >= 0 &&
	        sample(doc, "db_replication_lag_seconds", l) < 2,
	    "replication lag in seconds");
	snprintf(l, sizeof(l), "cluster=c,replica=%s", t->node[0]);
	ok(prom_find(doc, "db_replica_health", l) == NULL, "the primary is not a replica series");
	ok(sample(doc, "db_query_duration_seconds_count", "cluster=c,query_type=read") >= 40,
	    "routed read durations counted");
	ok(sample(doc, "db_query_duration_seconds_count", "cluster=c,query_type=write") >= 20,
	    "routed write durations counted");
	snprintf(l, sizeof(l), "cluster=c,node=%s", t->node[1]);
	ok(sample(doc, "db_circuit_breaker_state", l) == 0, "breaker closed (0)");
	ok(sample(doc, "db_slow_queries_total", l) >= 0, "slow queries per node");
	prom_doc_free(doc);
	dd_prom_free(p);
}

static bool
node_out(struct rt *t, int i)
{
	struct dd_router_node_view v;

	rt_view(t, i, &v);
	return !v.reachable && !v.in_read_set;
}

static bool
node_back(struct rt *t, int i)
{
	struct dd_router_node_view v;

	rt_view(t, i, &v);
	return v.reachable && v.role == DD_ROLE_REPLICA && v.in_read_set &&
	       v.breaker == DD_BREAKER_CLOSED;
}

static void
test_rediscovery(struct rt *t)
{
	struct dd_route_decision why;
	int i, n, on_stopped = 0, failed = 0, back = 0;
	int64_t ms;

	it_fault(&t->h, "stop-node", t->node[1], NULL, "start-node", NULL);
	ms = rt_wait(t, node_out, 1, 10000);
	ok(ms >= 0, "stopped %s is out of the read set after %lld ms", t->node[1], (long long)ms);
	for (i = 0; i < 20; i++) {
		n = rt_read_node(t, NULL, 3000, &why);
		on_stopped += n == 1;
		failed += n < 0;
	}
	ok(on_stopped == 0 && failed == 0, "20 reads while it is down: all served, none by it");
	diag("%s", why.reason);
	ok(strstr(why.reason, "unreachable") != NULL, "the reason says it is unreachable");
	it_undo(&t->h, "start-node", t->node[1]);
	ms = rt_wait(t, node_back, 1, 20000);
	ok(ms >= 0,
	    "restarted %s re-discovered as a replica, back in the read set, breaker "
	    "closed after %lld ms",
	    t->node[1], (long long)ms);
	for (i = 0; i < 10; i++)
		back += rt_read_node(t, NULL, 3000, &why) == 1;
	ok(back >= 4, "reads land on it again (%d of 10)", back);
}

int
main(int argc, char **argv)
{
	const char *engine = rt_engine_arg(argc, argv);
	struct dd_router_status st;
	struct rt t;

	rt_setup(&t, engine, NULL);
	dd_router_status(t.r, &st);
	ok(st.topology == DD_TOPO_OK && st.primary == 0, "topology ok, primary %s", t.node[0]);
	test_writes_and_transactions(&t);
	test_reads(&t);
	test_read_your_writes(&t);
	test_explain_and_counters(&t);
	test_metrics(&t);
	test_rediscovery(&t);
	is_int(rt_teardown(&t), 0, "shutdown: every pool drained, no connection left borrowed");
	return tap_done();
}
