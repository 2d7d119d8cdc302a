/*
 * alerts_test.c: the alert rules (core/alerts) over hand-made snapshots and a
 * manual clock: an alert is raised once its condition has held for the
 * rule's duration and not before, escalates and clears; the node-to-node
 * events (down, up, role, breaker); the topology rules; the slow-query rate;
 * the order of the active list; one-shot mode; the event log ring.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/alerts.h"
#include "tap.h"

#define SEC INT64_C(1000000000)

/* Two clusters: pg (pg1 primary, pg2, pg3 replicas) and my (my1 primary, my2). */
static struct dd_snap_node nodes[5];
static struct dd_snap_cluster clusters[2];
static struct dd_snapshot snap;
static struct dd_alert_thresholds th[2];
static struct dd_manual_clock mc;
static struct dd_alert_change ch[32];
static size_t nch;

static void
node_init(int i, const char *name, int cluster, enum dd_role role)
{
	struct dd_snap_node *n = &nodes[i];

	memset(n, 0, sizeof(*n));
	n->name = name;
	n->host = "127.0.0.1";
	n->cluster = cluster;
	n->role = role;
	n->state = DD_NODE_UP;
	n->reachable = true;
	n->last_error = "";
	n->lag_note = "";
	n->lag_s = role == DD_ROLE_REPLICA ? 0.0 : NAN;
	n->pool_max = 30;
	n->breaker = DD_BREAKER_CLOSED;
}

static void
fixture(void)
{
	node_init(0, "pg1", 0, DD_ROLE_PRIMARY);
	node_init(1, "pg2", 0, DD_ROLE_REPLICA);
	node_init(2, "pg3", 0, DD_ROLE_REPLICA);
	node_init(3, "my1", 1, DD_ROLE_PRIMARY);
	node_init(4, "my2", 1, DD_ROLE_REPLICA);
	memset(clusters, 0, sizeof(clusters));
	clusters[0] = (struct dd_snap_cluster){.name = "pg",
	    .primary = 0,
	    .n_primaries = 1,
	    .topology_known = true,
	    .topology_note = "",
	    .first_node = 0,
	    .n_nodes = 3,
	    .slow_query_ms = 100};
	clusters[1] = (struct dd_snap_cluster){.name = "my",
	    .engine = DD_ENGINE_MARIADB,
	    .primary = 3,
	    .n_primaries = 1,
	    .topology_known = true,
	    .topology_note = "",
	    .first_node = 3,
	    .n_nodes = 2,
	    .slow_query_ms = 100};
	memset(&snap, 0, sizeof(snap));
	snap.n_clusters = 2;
	snap.clusters = clusters;
	snap.n_nodes = 5;
	snap.nodes = nodes;
	for (int i = 0; i < 2; i++) {
		dd_alert_thresholds_default(&th[i]);
		th[i].lag_warn_ms = 1000;
		th[i].lag_crit_ms = 3000;
		th[i].lag_for_ms = 10000;
	}
	dd_manual_clock_init(&mc, 1000 * SEC, INT64_C(1767225600000));
}

static size_t
eval(struct dd_alerts *a)
{
	nch = dd_alerts_eval(a, &snap, th, ch, 32);
	return nch;
}

/* Advances the clock by ns in steps of one second, evaluating each time. */
static void
run_for(struct dd_alerts *a, int64_t ns)
{
	for (int64_t t = 0; t < ns; t += SEC) {
		dd_manual_clock_advance(&mc, ns - t < SEC ? ns - t : SEC);
		eval(a);
	}
}

/* The change of kind and rule on node (or -1), or NULL. */
static const struct dd_alert_change *
find_change(enum dd_event_kind kind, enum dd_alert_rule rule, int node)
{
	for (size_t i = 0; i < nch && i < 32; i++)
		if (ch[i].kind == kind && ch[i].node == node &&
		    (kind == DD_EVENT_NODE_UP || kind == DD_EVENT_NODE_DOWN ||
		        kind == DD_EVENT_ROLE_CHANGE || kind == DD_EVENT_BREAKER ||
		        ch[i].rule == rule))
			return &ch[i];
	return NULL;
}

/* The active alert of rule on node (or -1), or NULL. */
static const struct dd_alert_active *
find_active(struct dd_alerts *a, enum dd_alert_rule rule, int node)
{
	static struct dd_alert_active act[32];
	size_t n = dd_alerts_active(a, act, 32);

	for (size_t i = 0; i < n; i++)
		if (act[i].rule == rule && act[i].node == node)
			return &act[i];
	return NULL;
}

static struct dd_alerts *
engine(bool oneshot)
{
	struct dd_clock c = dd_clock_manual(&mc);
	return dd_alerts_new(&c, oneshot);
}

static void
test_quiet(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	is_int((long long)eval(a), 0, "a healthy snapshot: no change");
	run_for(a, 600 * SEC);
	is_int((long long)dd_alerts_count(a), 0, "ten healthy minutes: no alert");
	is_str(dd_alert_rule_name(DD_RULE_REPLICA_LAG), "replica_lag", "rule name");
	is_str(dd_alert_rule_name(DD_RULE_MULTIPLE_PRIMARIES), "multiple_primaries", "rule name 2");
	dd_alerts_free(a);
}

static void
test_lag(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	eval(a);
	nodes[1].lag_s = 2.0; /* above lag_max (1 s), under lag_critical (3 s) */
	eval(a);
	ok(find_active(a, DD_RULE_REPLICA_LAG, 1) == NULL, "lag: nothing at once");
	run_for(a, 9 * SEC);
	ok(find_active(a, DD_RULE_REPLICA_LAG, 1) == NULL, "lag: nothing after 9 s of 10");
	run_for(a, SEC);
	const struct dd_alert_change *c =
	    find_change(DD_EVENT_ALERT_RAISED, DD_RULE_REPLICA_LAG, 1);
	ok(c != NULL && c->severity == DD_SEV_WARN, "lag: warn raised after 10 s");
	ok(c && strstr(c->message, "pg2") && strstr(c->message, "2.0 s"), "lag: message %s",
	    c ? c->message : "");
	const struct dd_alert_active *x = find_active(a, DD_RULE_REPLICA_LAG, 1);
	ok(x && x->cluster == 0 && x->severity == DD_SEV_WARN, "lag: active, cluster 0, warn");
	int64_t since = x ? x->since_wall_ms : 0;
	nodes[1].lag_s = 5.0; /* above lag_critical */
	eval(a);
	run_for(a, 9 * SEC);
	x = find_active(a, DD_RULE_REPLICA_LAG, 1);
	ok(x && x->severity == DD_SEV_WARN, "lag: still warn 9 s above critical");
	run_for(a, SEC);
	c = find_change(DD_EVENT_ALERT_RAISED, DD_RULE_REPLICA_LAG, 1);
	ok(c && c->severity == DD_SEV_CRIT, "lag: escalated to critical after 10 s");
	x = find_active(a, DD_RULE_REPLICA_LAG, 1);
	ok(x && x->severity == DD_SEV_CRIT && x->since_wall_ms == since,
	    "lag: one alert, critical, same since");
	is_int((long long)dd_alerts_count(a), 1, "lag: one active alert");
	nodes[1].lag_s = 0.5;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_REPLICA_LAG, 1) != NULL,
	    "lag: cleared as soon as it is back under lag_max");
	is_int((long long)dd_alerts_count(a), 0, "lag: nothing active");
	/* a short spike does not raise */
	nodes[1].lag_s = 10.0;
	run_for(a, 5 * SEC);
	nodes[1].lag_s = 0.1;
	run_for(a, 5 * SEC);
	nodes[1].lag_s = 10.0;
	run_for(a, 5 * SEC);
	ok(find_active(a, DD_RULE_REPLICA_LAG, 1) == NULL, "lag: interrupted spikes never raise");
	/* unknown lag on a reachable replica is a warning */
	nodes[1].lag_s = 0;
	eval(a);
	nodes[2].lag_s = NAN;
	nodes[2].lag_note = "SQL thread stopped";
	eval(a);
	run_for(a, 9 * SEC);
	ok(find_active(a, DD_RULE_REPLICA_LAG, 2) == NULL, "lag unknown: nothing after 9 s");
	run_for(a, SEC);
	x = find_active(a, DD_RULE_REPLICA_LAG, 2);
	ok(x && x->severity == DD_SEV_WARN && strstr(x->message, "unknown"),
	    "lag unknown: warn after lag_for (%s)", x ? x->message : "");
	/* a primary's lag is never looked at */
	nodes[0].lag_s = 100;
	run_for(a, 20 * SEC);
	ok(find_active(a, DD_RULE_REPLICA_LAG, 0) == NULL, "a primary has no lag alert");
	dd_alerts_free(a);
}

/* Node i's probe at wall time ms failed (state down) or answered (up). */
static void
probe(int i, bool down, int64_t ms)
{
	nodes[i].state = down ? DD_NODE_DOWN : DD_NODE_UP;
	nodes[i].reachable = !down;
	nodes[i].last_error = down ? "connect: connection refused" : "";
	nodes[i].probed_wall_ms = ms;
}

static void
test_down(void)
{
	fixture();
	th[0].down_probes = 1;
	struct dd_alerts *a = engine(false);
	eval(a);
	probe(2, true, 1000);
	eval(a);
	const struct dd_alert_change *c = find_change(DD_EVENT_ALERT_RAISED, DD_RULE_NODE_DOWN, 2);
	ok(c && c->severity == DD_SEV_CRIT,
	    "down_probes 1: critical at the first failed probe (down_for 0)");
	ok(c && strstr(c->message, "replica pg3 is down") && strstr(c->message, "refused"),
	    "down: message %s", c ? c->message : "");
	ok(find_change(DD_EVENT_NODE_DOWN, 0, 2) != NULL, "down: a node-down event");
	ok(find_active(a, DD_RULE_REPLICA_LAG, 2) == NULL, "down: no lag alert for a down node");
	eval(a);
	is_int((long long)nch, 0, "down: no repeated change");
	probe(2, false, 2000);
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_NODE_DOWN, 2) != NULL, "up: alert cleared");
	ok(find_change(DD_EVENT_NODE_UP, 0, 2) != NULL, "up: a node-up event");
	dd_alerts_free(a);

	fixture();
	th[0].down_for_ms = 2000;
	th[0].down_probes = 1;
	a = engine(false);
	nodes[0].state = DD_NODE_DOWN;
	eval(a);
	ok(find_change(DD_EVENT_NODE_DOWN, 0, 0) != NULL, "down at start: event at once");
	ok(find_active(a, DD_RULE_NODE_DOWN, 0) == NULL, "down_for 2 s: no alert at once");
	run_for(a, SEC);
	ok(find_active(a, DD_RULE_NODE_DOWN, 0) == NULL, "down_for 2 s: none after 1 s");
	run_for(a, SEC);
	const struct dd_alert_active *x = find_active(a, DD_RULE_NODE_DOWN, 0);
	ok(x && strstr(x->message, "primary pg1"), "down_for 2 s: raised after 2 s");
	dd_alerts_free(a);
}

/*
 * The default: one failed probe (a deadline missed under load) shows the node
 * down and logs a down event, but raises no alert however many snapshots show
 * it; the second failed probe in a row does.
 */
static void
test_down_two_probes(void)
{
	fixture();
	snap.refresh_ms = 1000;
	struct dd_alerts *a = engine(false);
	size_t raised = 0;
	eval(a);
	probe(1, true, 1000);
	eval(a);
	ok(find_change(DD_EVENT_NODE_DOWN, 0, 1) != NULL, "one miss: a down event at once");
	raised += find_change(DD_EVENT_ALERT_RAISED, DD_RULE_NODE_DOWN, 1) != NULL;
	for (int k = 0; k < 4; k++) { /* partial and final snapshots of the round */
		dd_manual_clock_advance(&mc, SEC / 4);
		eval(a);
		raised += find_change(DD_EVENT_ALERT_RAISED, DD_RULE_NODE_DOWN, 1) != NULL;
	}
	ok(raised == 0 && find_active(a, DD_RULE_NODE_DOWN, 1) == NULL,
	    "one miss: no node_down alert in any of its snapshots (%zu raised)", raised);
	probe(1, false, 2000);
	eval(a);
	ok(find_change(DD_EVENT_NODE_UP, 0, 1) != NULL, "one miss: up again, an up event");

	probe(1, true, 3000);
	dd_manual_clock_advance(&mc, SEC);
	eval(a);
	ok(find_active(a, DD_RULE_NODE_DOWN, 1) == NULL, "first of two misses: no alert yet");
	probe(1, true, 4000);
	dd_manual_clock_advance(&mc, SEC);
	eval(a);
	const struct dd_alert_change *c = find_change(DD_EVENT_ALERT_RAISED, DD_RULE_NODE_DOWN, 1);
	ok(c && c->severity == DD_SEV_CRIT && strstr(c->message, "replica pg2 is down"),
	    "two misses in a row: critical node_down (%s)", c ? c->message : "none");
	probe(1, false, 5000);
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_NODE_DOWN, 1) != NULL,
	    "answered again: cleared");

	/* a probe that never comes back: the same probe time, down_probes + 1 intervals */
	probe(1, true, 6000);
	eval(a);
	run_for(a, 2 * SEC);
	ok(find_active(a, DD_RULE_NODE_DOWN, 1) == NULL, "no new probe for 2 s: no alert yet");
	run_for(a, SEC);
	ok(find_active(a, DD_RULE_NODE_DOWN, 1) != NULL,
	    "no new probe for 3 s (down_probes + 1 intervals): alerted");
	dd_alerts_free(a);
}

static void
test_breaker_and_role(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	eval(a);
	nodes[4].breaker = DD_BREAKER_OPEN;
	nodes[4].n_breaker_history = 1;
	snprintf(nodes[4].breaker_history[0].reason, sizeof(nodes[4].breaker_history[0].reason),
	    "3 consecutive failures: timeout");
	eval(a);
	ok(find_change(DD_EVENT_BREAKER, 0, 4) != NULL, "breaker: transition event");
	const struct dd_alert_active *x = find_active(a, DD_RULE_BREAKER_OPEN, 4);
	ok(x && x->severity == DD_SEV_CRIT && x->cluster == 1 && strstr(x->message, "timeout"),
	    "breaker: critical alert with the reason");
	nodes[4].breaker = DD_BREAKER_HALF_OPEN;
	eval(a);
	ok(find_active(a, DD_RULE_BREAKER_OPEN, 4) != NULL, "breaker: half-open keeps it");
	nodes[4].breaker = DD_BREAKER_CLOSED;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_BREAKER_OPEN, 4) != NULL,
	    "breaker: closed clears it");
	nodes[1].role = DD_ROLE_PRIMARY;
	nodes[0].role = DD_ROLE_REPLICA;
	eval(a);
	const struct dd_alert_change *c = find_change(DD_EVENT_ROLE_CHANGE, 0, 1);
	ok(c && strstr(c->message, "replica -> primary"), "role change event: %s",
	    c ? c->message : "");
	dd_alerts_free(a);
}

static void
test_topology(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	clusters[0].topology_known = false;
	clusters[0].primary = -1;
	clusters[0].n_primaries = 0;
	run_for(a, 5 * SEC);
	ok(find_active(a, DD_RULE_NO_PRIMARY, -1) == NULL, "topology unknown: no alert");
	clusters[0].topology_known = true;
	clusters[0].topology_note = "no node is a writable primary";
	nodes[0].probed_wall_ms = 1000; /* a probe round */
	eval(a);
	ok(find_active(a, DD_RULE_NO_PRIMARY, -1) == NULL,
	    "no primary in one probe round: no alert");
	nodes[1].probed_wall_ms = 2000; /* the next round */
	eval(a);
	const struct dd_alert_active *x = find_active(a, DD_RULE_NO_PRIMARY, -1);
	ok(x && x->cluster == 0 && x->severity == DD_SEV_CRIT,
	    "no primary in two probe rounds in a row: critical");
	clusters[0].n_primaries = 2;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_NO_PRIMARY, -1) != NULL,
	    "two primaries: no_primary cleared");
	x = find_active(a, DD_RULE_MULTIPLE_PRIMARIES, -1);
	ok(x && x->severity == DD_SEV_CRIT && strstr(x->message, "2 writable"),
	    "two primaries (both answered): critical at once");
	clusters[0].n_primaries = 1;
	clusters[0].primary = 1;
	eval(a);
	is_int((long long)dd_alerts_count(a), 0, "one primary again: all clear");
	dd_alerts_free(a);
}

/* schema_critical: a critical schema finding, cleared when gone; an unfinished round keeps it. */
/* patroni_dcs_stale: a member whose agent last reached the DCS over 30 s ago. */
static void
test_patroni_dcs(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	int64_t now_s = INT64_C(1767225600000) / 1000;

	nodes[1].patroni_dcs_last_seen = 1; /* not a Patroni member: ignored */
	eval(a);
	ok(find_active(a, DD_RULE_PATRONI_DCS_STALE, 1) == NULL, "not a Patroni member: no alert");
	nodes[1].patroni_role = "replica";
	nodes[1].patroni_dcs_last_seen = now_s - DD_PATRONI_DCS_STALE_S;
	eval(a);
	ok(find_active(a, DD_RULE_PATRONI_DCS_STALE, 1) == NULL, "DCS seen 30 s ago: no alert");
	nodes[1].patroni_dcs_last_seen = now_s - DD_PATRONI_DCS_STALE_S - 5;
	eval(a);
	const struct dd_alert_active *x = find_active(a, DD_RULE_PATRONI_DCS_STALE, 1);
	ok(x && x->severity == DD_SEV_WARN && strstr(x->message, "pg2") &&
	        strstr(x->message, "35 s ago"),
	    "DCS seen 35 s ago: warn alert (%s)", x ? x->message : "none");
	is_str(dd_alert_rule_name(DD_RULE_PATRONI_DCS_STALE), "patroni_dcs_stale", "rule name");
	nodes[1].patroni_dcs_last_seen = now_s;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_PATRONI_DCS_STALE, 1) != NULL,
	    "the agent reaches the DCS again: cleared");
	nodes[1].patroni_dcs_last_seen = -1;
	eval(a);
	ok(find_active(a, DD_RULE_PATRONI_DCS_STALE, 1) == NULL, "unknown: no alert");
	dd_alerts_free(a);
}

static void
test_schema(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	clusters[1].schema_known = true;
	clusters[1].schema_ok = true;
	clusters[1].schema_warn = 3;
	eval(a);
	ok(find_active(a, DD_RULE_SCHEMA_CRITICAL, -1) == NULL, "warnings only: no alert");
	clusters[1].schema_crit = 2;
	clusters[1].schema_worst = "sequence_limit app.t.id: 95.0 % used";
	eval(a);
	const struct dd_alert_active *x = find_active(a, DD_RULE_SCHEMA_CRITICAL, -1);
	ok(x && x->cluster == 1 && x->severity == DD_SEV_CRIT && strstr(x->message, "95.0 %"),
	    "a critical finding: critical alert at once, with the finding");
	is_str(dd_alert_rule_name(DD_RULE_SCHEMA_CRITICAL), "schema_critical", "rule name");
	clusters[1].schema_ok = false;
	clusters[1].schema_crit = 0;
	eval(a);
	ok(find_active(a, DD_RULE_SCHEMA_CRITICAL, -1) != NULL,
	    "a round that did not finish keeps it");
	clusters[1].schema_ok = true;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_SCHEMA_CRITICAL, -1) != NULL,
	    "no critical finding any more: cleared");
	dd_alerts_free(a);
}

static void
test_pool(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	nodes[0].pool_active = 27; /* 90 %: not above */
	run_for(a, 400 * SEC);
	ok(find_active(a, DD_RULE_POOL_USE, 0) == NULL, "pool at 90 %%: no alert");
	nodes[0].pool_active = 28;
	eval(a);
	run_for(a, 299 * SEC);
	ok(find_active(a, DD_RULE_POOL_USE, 0) == NULL, "pool at 93 %%: none before 5 min");
	run_for(a, SEC);
	const struct dd_alert_active *x = find_active(a, DD_RULE_POOL_USE, 0);
	ok(x && x->severity == DD_SEV_WARN, "pool at 93 %% for 5 min: warn");
	nodes[0].pool_active = 3;
	eval(a);
	ok(find_active(a, DD_RULE_POOL_USE, 0) == NULL, "pool use: cleared");

	nodes[1].pool_wait_max_interval_ns = 900000000;
	eval(a);
	ok(find_active(a, DD_RULE_POOL_WAIT, 1) == NULL, "a 0.9 s wait: no alert");
	nodes[1].pool_wait_max_interval_ns = 1500000000;
	eval(a);
	x = find_active(a, DD_RULE_POOL_WAIT, 1);
	ok(x && strstr(x->message, "1.5 s"), "a 1.5 s wait: warn at once");
	nodes[1].pool_wait_max_interval_ns = 0;
	run_for(a, 59 * SEC);
	ok(find_active(a, DD_RULE_POOL_WAIT, 1) != NULL, "pool wait: held for the window");
	run_for(a, SEC);
	ok(find_active(a, DD_RULE_POOL_WAIT, 1) == NULL, "pool wait: cleared after a quiet minute");
	dd_alerts_free(a);
}

static void
test_slow(void)
{
	fixture();
	struct dd_alerts *a = engine(false);
	eval(a);
	for (int i = 0; i < 20; i++) { /* 20 in 40 s: not more than 20 */
		nodes[i % 2].slow_total++;
		run_for(a, 2 * SEC);
	}
	ok(find_active(a, DD_RULE_SLOW_QUERIES, -1) == NULL, "20 slow statements a minute: none");
	nodes[2].slow_total++;
	eval(a);
	const struct dd_alert_active *x = find_active(a, DD_RULE_SLOW_QUERIES, -1);
	ok(x && x->cluster == 0 && strstr(x->message, "21 slow"), "21 in a minute: warn (%s)",
	    x ? x->message : "");
	ok(find_active(a, DD_RULE_SLOW_QUERIES, -1) && dd_alerts_count(a) == 1, "only cluster pg");
	run_for(a, 30 * SEC);
	ok(find_active(a, DD_RULE_SLOW_QUERIES, -1) == NULL, "quiet again: cleared");
	dd_alerts_free(a);
}

static void
test_order_and_oneshot(void)
{
	fixture();
	struct dd_alerts *a = engine(true);
	nodes[1].lag_s = 2.0;
	nodes[4].state = DD_NODE_DOWN;
	nodes[4].reachable = false;
	nodes[0].pool_active = 30;
	eval(a);
	struct dd_alert_active act[8];
	size_t n = dd_alerts_active(a, act, 8);
	is_int((long long)n, 3, "one-shot: lag, down and pool alerts at once");
	ok(n == 3 && act[0].severity == DD_SEV_CRIT && act[0].rule == DD_RULE_NODE_DOWN &&
	        act[1].severity == DD_SEV_WARN && act[2].severity == DD_SEV_WARN,
	    "critical first");
	is_int((long long)dd_alerts_active(a, act, 1), 1, "copy bounded by max");
	dd_alerts_free(a);
}

/* backup_stale: past backup_max_age, none at all, no directory, the threshold itself. */
static void
test_backup_stale(void)
{
	const int64_t hour = INT64_C(3600000);
	fixture();
	struct dd_clock ck = dd_clock_manual(&mc);
	int64_t now = ck.wall_ms(ck.ctx);
	struct dd_alerts *a = engine(false);

	clusters[0].backup_known = true;
	clusters[0].backup_newest_ms = now - 2 * hour;
	eval(a);
	ok(!find_active(a, DD_RULE_BACKUP_STALE, -1), "a backup 2 h old: not stale (26 h)");
	ok(!find_change(DD_EVENT_ALERT_RAISED, DD_RULE_BACKUP_STALE, -1), "no event");
	clusters[0].backup_newest_ms = now - 26 * hour;
	eval(a);
	ok(!find_active(a, DD_RULE_BACKUP_STALE, -1), "exactly backup_max_age old: not yet");
	clusters[0].backup_newest_ms = now - 27 * hour - 5 * 60000;
	eval(a);
	const struct dd_alert_change *c =
	    find_change(DD_EVENT_ALERT_RAISED, DD_RULE_BACKUP_STALE, -1);
	ok(c && c->cluster == 0 && c->severity == DD_SEV_WARN, "past backup_max_age: raised, warn");
	is_str(c ? c->message : "",
	    "the newest good backup of pg is 27h05m old (backup_max_age 26h00m)",
	    "the message gives the age and the limit");
	is_str(dd_alert_rule_name(DD_RULE_BACKUP_STALE), "backup_stale", "rule name");
	eval(a);
	ok(!find_change(DD_EVENT_ALERT_RAISED, DD_RULE_BACKUP_STALE, -1), "raised once");
	clusters[0].backup_newest_ms = now;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_BACKUP_STALE, -1), "a new backup clears it");
	clusters[0].backup_newest_ms = 0;
	eval(a);
	c = find_change(DD_EVENT_ALERT_RAISED, DD_RULE_BACKUP_STALE, -1);
	is_str(c ? c->message : "", "cluster pg has no good backup (backup_max_age 26h00m)",
	    "a backup directory without a good backup: stale");
	clusters[0].backup_known = false;
	eval(a);
	ok(find_change(DD_EVENT_ALERT_CLEARED, DD_RULE_BACKUP_STALE, -1),
	    "no backup directory: no alert");
	th[1].backup_max_age_ms = hour;
	clusters[1].backup_known = true;
	clusters[1].backup_newest_ms = now - 2 * hour;
	eval(a);
	const struct dd_alert_active *x = find_active(a, DD_RULE_BACKUP_STALE, -1);
	ok(x && x->cluster == 1, "the cluster's own backup_max_age (1h) applies");
	dd_alerts_free(a);
}

static void
test_event_log(void)
{
	struct dd_event_log *log = dd_event_log_new(3);
	struct dd_event ev[5];
	char msg[16];

	for (int i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		dd_event_log_add(log, DD_EVENT_ACTION, DD_SEV_INFO, i, "pg", NULL, msg);
	}
	size_t n = dd_event_log_copy(log, ev, 5);
	is_int((long long)n, 3, "event log keeps its capacity");
	ok(n == 3 && strcmp(ev[0].message, "m2") == 0 && strcmp(ev[2].message, "m4") == 0 &&
	        ev[0].node[0] == '\0',
	    "oldest first, newest kept");
	is_int((long long)dd_event_log_copy(log, ev, 2), 2, "copy bounded by max");
	ok(strcmp(ev[1].message, "m4") == 0, "a bounded copy gives the newest");
	is_int((long long)dd_event_log_added(log), 5, "added counts every event");
	is_str(dd_event_kind_name(DD_EVENT_ACTION), "action", "kind name");
	is_str(dd_severity_name(DD_SEV_CRIT), "critical", "severity name");
	is_str(dd_severity_short_name(DD_SEV_CRIT), "crit", "severity short name (5 columns)");
	is_str(dd_severity_short_name(DD_SEV_WARN), "warn", "short name of warn");
	dd_event_log_free(log);
}

int
main(void)
{
	test_quiet();
	test_lag();
	test_down();
	test_down_two_probes();
	test_breaker_and_role();
	test_topology();
	test_schema();
	test_patroni_dcs();
	test_pool();
	test_slow();
	test_order_and_oneshot();
	test_backup_stale();
	test_event_log();
	return tap_done();
}
