/*
 * alerts.c: the alert rules over successive snapshots (alerts.h).
 *
 * State per subject and rule is one struct rule_state: since when the
 * condition has held (monotonic clock), whether the alert is active, and its
 * severity and message. hold() turns "the condition holds now" into "it has
 * held long enough"; settle() turns that into raise / escalate / clear
 * changes. The node-to-node differences that make events (down, up, role,
 * breaker) are in diff_node(). Nothing here does I/O or locks; the clock is
 * injected so the unit tests drive time by hand.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/alerts.h"
#include "util/util.h"

#define NS_PER_MS      INT64_C(1000000)
#define SLOW_RING      96 /* samples of the slow-query totals, >= 1 a second kept */
#define SLOW_WINDOW_NS (INT64_C(60000) * NS_PER_MS)
#define SLOW_SAMPLE_NS (INT64_C(1000) * NS_PER_MS)

struct rule_state {
	int64_t held_ns;  /* the condition holds since (mono); -1: it does not */
	int64_t crit_ns;  /* replica_lag: above the critical threshold since; -1 */
	int probes;       /* node_down, no_primary: probes in a row it was seen in */
	int64_t probe_ms; /* the probed_wall_ms of the last one counted */
	bool active;
	enum dd_severity sev;
	int64_t since_wall_ms;
	char message[240];
};

struct node_prev {
	bool seen;
	int cluster;
	enum dd_node_state state;
	enum dd_role role;
	enum dd_breaker_state breaker;
	int64_t long_wait_ns; /* the last interval with a long pool wait (mono); -1 none */
};

struct slow_ring {
	int n, head;
	struct {
		int64_t mono_ns;
		int64_t total;
	} s[SLOW_RING];
};

struct dd_alerts {
	struct dd_clock clock;
	bool oneshot;
	int n_clusters, n_nodes;
	struct rule_state *node_rules;    /* n_nodes × DD_RULE__COUNT */
	struct rule_state *cluster_rules; /* n_clusters × DD_RULE__COUNT */
	struct node_prev *prev;           /* n_nodes */
	struct slow_ring *slow;           /* n_clusters */
};

/* One evaluation's context. */
struct eval {
	struct dd_alerts *a;
	const struct dd_snapshot *snap;
	int64_t now_ns, now_wall_ms;
	struct dd_alert_change *out;
	size_t max, n;
};

static const char *const rule_names[DD_RULE__COUNT] = {
    [DD_RULE_NODE_DOWN] = "node_down",
    [DD_RULE_BREAKER_OPEN] = "breaker_open",
    [DD_RULE_REPLICA_LAG] = "replica_lag",
    [DD_RULE_POOL_USE] = "pool_use",
    [DD_RULE_POOL_WAIT] = "pool_wait",
    [DD_RULE_SLOW_QUERIES] = "slow_queries",
    [DD_RULE_NO_PRIMARY] = "no_primary",
    [DD_RULE_MULTIPLE_PRIMARIES] = "multiple_primaries",
    [DD_RULE_BACKUP_STALE] = "backup_stale",
    [DD_RULE_PATRONI_DISAGREES] = "patroni_disagrees",
    [DD_RULE_SCHEMA_CRITICAL] = "schema_critical",
    [DD_RULE_PATRONI_DCS_STALE] = "patroni_dcs_stale",
};

const char *
dd_alert_rule_name(enum dd_alert_rule r)
{
	return (unsigned)r < DD_RULE__COUNT ? rule_names[r] : "unknown";
}

void
dd_alert_thresholds_default(struct dd_alert_thresholds *t)
{
	memset(t, 0, sizeof(*t));
	t->lag_warn_ms = 60000;
	t->lag_crit_ms = 120000;
	t->lag_for_ms = 30000;
	t->pool_use_pct = 90;
	t->pool_use_for_ms = 5 * 60000;
	t->pool_wait_ms = 1000;
	t->pool_wait_window_ms = 60000;
	t->slow_per_min = 20;
	t->down_probes = 2;
	t->backup_max_age_ms = INT64_C(26) * 3600 * 1000;
}

void
dd_alert_thresholds_of(const struct dd_cluster_config *cc, struct dd_alert_thresholds *t)
{
	dd_alert_thresholds_default(t);
	t->down_for_ms = cc->alert_down_for_ms;
	t->down_probes = cc->alert_down_probes;
	t->lag_warn_ms = cc->lag_max_ms;
	t->lag_crit_ms = cc->lag_critical_ms;
	t->lag_for_ms = cc->alert_lag_for_ms;
	t->pool_use_pct = cc->alert_pool_use;
	t->pool_use_for_ms = cc->alert_pool_use_for_ms;
	t->pool_wait_ms = cc->alert_pool_wait_ms;
	t->slow_per_min = cc->alert_slow_rate;
	t->backup_max_age_ms = cc->backup_max_age_ms;
}

struct dd_alerts *
dd_alerts_new(const struct dd_clock *clock, bool oneshot)
{
	struct dd_alerts *a = xcalloc(1, sizeof(*a));

	a->clock = clock ? *clock : *dd_clock_default();
	a->oneshot = oneshot;
	return a;
}

static void
layout_free(struct dd_alerts *a)
{
	free(a->node_rules);
	free(a->cluster_rules);
	free(a->prev);
	free(a->slow);
	a->node_rules = a->cluster_rules = NULL;
	a->prev = NULL;
	a->slow = NULL;
	a->n_clusters = a->n_nodes = 0;
}

void
dd_alerts_free(struct dd_alerts *a)
{
	if (a == NULL)
		return;
	layout_free(a);
	free(a);
}

static void
rules_init(struct rule_state *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].held_ns = -1;
		r[i].crit_ns = -1;
	}
}

/* (Re)allocates the state when the snapshot's layout differs from the last one. */
static void
layout_ensure(struct dd_alerts *a, const struct dd_snapshot *s)
{
	size_t nn, nc;

	if (a->node_rules && a->n_nodes == s->n_nodes && a->n_clusters == s->n_clusters)
		return;
	layout_free(a);
	a->n_nodes = s->n_nodes;
	a->n_clusters = s->n_clusters;
	nn = (size_t)(s->n_nodes > 0 ? s->n_nodes : 1);
	nc = (size_t)(s->n_clusters > 0 ? s->n_clusters : 1);
	a->node_rules = xcalloc(nn * DD_RULE__COUNT, sizeof(*a->node_rules));
	a->cluster_rules = xcalloc(nc * DD_RULE__COUNT, sizeof(*a->cluster_rules));
	rules_init(a->node_rules, nn * DD_RULE__COUNT);
	rules_init(a->cluster_rules, nc * DD_RULE__COUNT);
	a->prev = xcalloc(nn, sizeof(*a->prev));
	for (size_t i = 0; i < nn; i++)
		a->prev[i].long_wait_ns = -1;
	a->slow = xcalloc(nc, sizeof(*a->slow));
}

/* ---- changes ---- */

static struct dd_alert_change *
change_add(struct eval *ev, enum dd_event_kind kind, enum dd_severity sev, int cluster, int node,
    enum dd_alert_rule rule)
{
	struct dd_alert_change *c;

	if (ev->n++ >= ev->max)
		return NULL;
	c = &ev->out[ev->n - 1];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->severity = sev;
	c->cluster = cluster;
	c->node = node;
	c->rule = rule;
	return c;
}

static void change_msg(struct dd_alert_change *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
change_msg(struct dd_alert_change *c, const char *fmt, ...)
{
	va_list ap;

	if (c == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/* ---- holding and settling ---- */

/* Has cond held for at least for_ms? Tracks since when in *held. */
static bool
hold(const struct eval *ev, int64_t *held, bool cond, int64_t for_ms)
{
	if (!cond) {
		*held = -1;
		return false;
	}
	if (*held < 0)
		*held = ev->now_ns;
	return ev->a->oneshot || ev->now_ns - *held >= for_ms * NS_PER_MS;
}

/*
 * want: the alert should be active now with severity sev and message msg.
 * Raises, escalates (a severity change is raised again), refreshes the
 * message, or clears.
 */
static void
settle(struct eval *ev, struct rule_state *st, bool want, enum dd_severity sev, const char *msg,
    int cluster, int node, enum dd_alert_rule rule)
{
	struct dd_alert_change *c;

	if (!want) {
		if (!st->active)
			return;
		st->active = false;
		c = change_add(ev, DD_EVENT_ALERT_CLEARED, DD_SEV_INFO, cluster, node, rule);
		change_msg(c, "cleared: %s", st->message);
		return;
	}
	if (!st->active || st->sev != sev) {
		if (!st->active)
			st->since_wall_ms = ev->now_wall_ms;
		st->active = true;
		st->sev = sev;
		c = change_add(ev, DD_EVENT_ALERT_RAISED, sev, cluster, node, rule);
		change_msg(c, "%s", msg);
	}
	dd_strlcpy(st->message, msg, sizeof(st->message));
}

static struct rule_state *
node_rule(struct dd_alerts *a, int node, enum dd_alert_rule r)
{
	return &a->node_rules[(size_t)node * DD_RULE__COUNT + r];
}

static struct rule_state *
cluster_rule(struct dd_alerts *a, int cluster, enum dd_alert_rule r)
{
	return &a->cluster_rules[(size_t)cluster * DD_RULE__COUNT + r];
}

/* ---- node rules ---- */

/*
 * In how many probes in a row cond has been seen. Every probe, failed or not,
 * has its own start time (probed_wall_ms), and the monitor evaluates several
 * times a round, so a snapshot counts as a new probe only when its probe time
 * is new.
 */
static int
probe_streak(struct rule_state *st, bool cond, int64_t probed_wall_ms)
{
	if (!cond) {
		st->probes = 0;
		return 0;
	}
	if (st->probes == 0 || probed_wall_ms != st->probe_ms) {
		st->probes++;
		st->probe_ms = probed_wall_ms;
	}
	return st->probes;
}

/*
 * Whether a condition that a missed probe can cause (node_down, no_primary)
 * is confirmed: seen in down_probes probes in a row (one missed deadline on a
 * loaded machine is not an outage), or, should no new probe come back, held
 * for down_probes + 1 refresh intervals. Then down_for applies on top.
 */
static bool
probes_confirm(struct eval *ev, struct rule_state *st, bool cond, int64_t probed_wall_ms,
    const struct dd_alert_thresholds *th)
{
	int64_t refresh_ms = ev->snap->refresh_ms > 0 ? ev->snap->refresh_ms : 1000;
	int probes = probe_streak(st, cond, probed_wall_ms);
	bool confirmed;

	confirmed = ev->a->oneshot || probes >= th->down_probes ||
	            (st->held_ns >= 0 &&
	                ev->now_ns - st->held_ns >= (th->down_probes + 1) * refresh_ms * NS_PER_MS);
	return hold(ev, &st->held_ns, cond, th->down_for_ms) && confirmed;
}

/* The overview and the node-down event (diff_node) show a down node at once. */
static void
rule_node_down(
    struct eval *ev, const struct dd_snap_node *n, int i, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_NODE_DOWN);
	bool want = probes_confirm(ev, st, n->state == DD_NODE_DOWN, n->probed_wall_ms, th);
	char msg[240];

	snprintf(msg, sizeof(msg), "%s %s is down%s%.160s",
	    n->role == DD_ROLE_UNKNOWN ? "node" : dd_role_name(n->role), n->name,
	    n->last_error && n->last_error[0] ? ": " : "", n->last_error ? n->last_error : "");
	settle(ev, st, want, DD_SEV_CRIT, msg, n->cluster, i, DD_RULE_NODE_DOWN);
}

static void
rule_breaker(
    struct eval *ev, const struct dd_snap_node *n, int i, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_BREAKER_OPEN);
	const char *why = "";
	char msg[240];
	bool want;

	want = hold(ev, &st->held_ns, n->breaker != DD_BREAKER_CLOSED, th->breaker_for_ms);
	if (n->n_breaker_history > 0)
		why = n->breaker_history[n->n_breaker_history - 1].reason;
	snprintf(msg, sizeof(msg), "circuit breaker of %s is open%s%s%.150s", n->name,
	    n->breaker == DD_BREAKER_HALF_OPEN ? " (half-open: one trial call)" : "",
	    why[0] ? ": " : "", why);
	settle(ev, st, want, DD_SEV_CRIT, msg, n->cluster, i, DD_RULE_BREAKER_OPEN);
}

static void
rule_lag(struct eval *ev, const struct dd_snap_node *n, int i, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_REPLICA_LAG);
	bool replica = n->reachable && n->role == DD_ROLE_REPLICA;
	bool unknown = replica && isnan(n->lag_s);
	double lag_ms = unknown || !replica ? 0 : n->lag_s * 1000.0;
	bool warn, crit;
	char msg[240];

	warn = hold(ev, &st->held_ns, replica && (unknown || lag_ms > (double)th->lag_warn_ms),
	    th->lag_for_ms);
	crit = hold(ev, &st->crit_ns, replica && !unknown && lag_ms > (double)th->lag_crit_ms,
	    th->lag_for_ms);
	if (unknown)
		snprintf(msg, sizeof(msg), "lag of replica %s is unknown%s%.150s", n->name,
		    n->lag_note && n->lag_note[0] ? ": " : "", n->lag_note ? n->lag_note : "");
	else
		snprintf(msg, sizeof(msg), "replica %s lags %.1f s (%s %.1f s)", n->name,
		    lag_ms / 1000.0, crit ? "lag_critical" : "lag_max",
		    (double)(crit ? th->lag_crit_ms : th->lag_warn_ms) / 1000.0);
	settle(ev, st, warn || crit, crit ? DD_SEV_CRIT : DD_SEV_WARN, msg, n->cluster, i,
	    DD_RULE_REPLICA_LAG);
}

static void
rule_pool_use(
    struct eval *ev, const struct dd_snap_node *n, int i, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_POOL_USE);
	int64_t used_pct = n->pool_max > 0 ? (int64_t)n->pool_active * 100 / n->pool_max : 0;
	bool over = n->pool_max > 0 &&
	            (int64_t)n->pool_active * 100 > (int64_t)th->pool_use_pct * n->pool_max;
	char msg[240];

	snprintf(msg, sizeof(msg), "pool of %s at %lld %% (%d of %d connections in use)", n->name,
	    (long long)used_pct, n->pool_active, n->pool_max);
	settle(ev, st, hold(ev, &st->held_ns, over, th->pool_use_for_ms), DD_SEV_WARN, msg,
	    n->cluster, i, DD_RULE_POOL_USE);
}

static void
rule_pool_wait(
    struct eval *ev, const struct dd_snap_node *n, int i, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_POOL_WAIT);
	struct node_prev *p = &ev->a->prev[i];
	bool recent;
	char msg[240];

	if (n->pool_wait_max_interval_ns > th->pool_wait_ms * NS_PER_MS) {
		p->long_wait_ns = ev->now_ns;
		snprintf(msg, sizeof(msg),
		    "an acquire on %s waited %.1f s (alert_pool_wait %.1f s)", n->name,
		    (double)n->pool_wait_max_interval_ns / 1e9, (double)th->pool_wait_ms / 1000.0);
	} else {
		dd_strlcpy(msg, st->message, sizeof(msg));
	}
	recent = p->long_wait_ns >= 0 &&
	         ev->now_ns - p->long_wait_ns < th->pool_wait_window_ms * NS_PER_MS;
	settle(ev, st, hold(ev, &st->held_ns, recent, 0), DD_SEV_WARN, msg, n->cluster, i,
	    DD_RULE_POOL_WAIT);
}

/* ---- events from node to node ---- */

static void
diff_node(struct eval *ev, const struct dd_snap_node *n, int i)
{
	struct node_prev *p = &ev->a->prev[i];
	struct dd_alert_change *c;
	const char *why = "";

	if (n->state == DD_NODE_DOWN && (!p->seen || p->state != DD_NODE_DOWN)) {
		c = change_add(
		    ev, DD_EVENT_NODE_DOWN, DD_SEV_CRIT, n->cluster, i, DD_RULE_NODE_DOWN);
		change_msg(
		    c, "%s is down%s%.180s", n->name, n->last_error[0] ? ": " : "", n->last_error);
	} else if (p->seen && n->state != DD_NODE_DOWN && p->state == DD_NODE_DOWN) {
		c = change_add(ev, DD_EVENT_NODE_UP, DD_SEV_INFO, n->cluster, i, DD_RULE_NODE_DOWN);
		change_msg(c, "%s is up again", n->name);
	}
	if (p->seen && p->role != n->role && p->role != DD_ROLE_UNKNOWN &&
	    n->role != DD_ROLE_UNKNOWN) {
		c = change_add(
		    ev, DD_EVENT_ROLE_CHANGE, DD_SEV_WARN, n->cluster, i, DD_RULE_NO_PRIMARY);
		change_msg(
		    c, "%s: %s -> %s", n->name, dd_role_name(p->role), dd_role_name(n->role));
	}
	if (p->seen && p->breaker != n->breaker) {
		if (n->n_breaker_history > 0)
			why = n->breaker_history[n->n_breaker_history - 1].reason;
		c = change_add(ev, DD_EVENT_BREAKER,
		    n->breaker == DD_BREAKER_CLOSED ? DD_SEV_INFO : DD_SEV_WARN, n->cluster, i,
		    DD_RULE_BREAKER_OPEN);
		change_msg(c, "breaker of %s: %s -> %s%s%.150s", n->name,
		    dd_breaker_state_name(p->breaker), dd_breaker_state_name(n->breaker),
		    why[0] ? ": " : "", why);
	}
	p->seen = true;
	p->cluster = n->cluster;
	p->state = n->state;
	p->role = n->role;
	p->breaker = n->breaker;
}

/* ---- cluster rules ---- */

/* New slow statements of the cluster within the last minute. */
static int64_t
slow_in_window(struct eval *ev, int ci, int64_t total)
{
	struct slow_ring *r = &ev->a->slow[ci];
	int64_t base = -1;
	int i, idx;

	if (r->n > 0) {
		idx = (r->head + r->n - 1) % SLOW_RING;
		if (total < r->s[idx].total)
			r->n = 0; /* counters restarted */
	}
	if (r->n == 0 ||
	    ev->now_ns - r->s[(r->head + r->n - 1) % SLOW_RING].mono_ns >= SLOW_SAMPLE_NS) {
		idx = (r->head + r->n) % SLOW_RING;
		if (r->n == SLOW_RING)
			r->head = (r->head + 1) % SLOW_RING;
		else
			r->n++;
		r->s[idx].mono_ns = ev->now_ns;
		r->s[idx].total = total;
	}
	/* the newest sample at least a minute old, else the oldest one */
	for (i = r->n - 1; i >= 0 && base < 0; i--) {
		idx = (r->head + i) % SLOW_RING;
		if (ev->now_ns - r->s[idx].mono_ns >= SLOW_WINDOW_NS)
			base = r->s[idx].total;
	}
	if (base < 0)
		base = r->s[r->head].total;
	return total - base;
}

static void
rule_slow(
    struct eval *ev, const struct dd_snap_cluster *cl, int ci, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = cluster_rule(ev->a, ci, DD_RULE_SLOW_QUERIES);
	int64_t total = 0, recent;
	char msg[240];

	for (int i = cl->first_node; i < cl->first_node + cl->n_nodes; i++)
		total += ev->snap->nodes[i].slow_total > 0 ? ev->snap->nodes[i].slow_total : 0;
	recent = slow_in_window(ev, ci, total);
	snprintf(msg, sizeof(msg),
	    "%lld slow statements (over %lld ms) within a minute on %s "
	    "(alert_slow_rate %d)",
	    (long long)recent, (long long)cl->slow_query_ms, cl->name, th->slow_per_min);
	settle(ev, st, hold(ev, &st->held_ns, recent > th->slow_per_min, 0), DD_SEV_WARN, msg, ci,
	    -1, DD_RULE_SLOW_QUERIES);
}

/* The start of the newest probe of the cluster's nodes: one per probe round. */
static int64_t
newest_probe(const struct dd_snapshot *snap, const struct dd_snap_cluster *cl)
{
	int64_t newest = 0;

	for (int i = cl->first_node; i < cl->first_node + cl->n_nodes; i++)
		if (snap->nodes[i].probed_wall_ms > newest)
			newest = snap->nodes[i].probed_wall_ms;
	return newest;
}

/*
 * No primary is confirmed over probe rounds like a down node (the primary
 * missing one probe is no outage); two writable primaries were both seen
 * answering, so that alert waits for down_for only.
 */
static void
rule_topology(
    struct eval *ev, const struct dd_snap_cluster *cl, int ci, const struct dd_alert_thresholds *th)
{
	struct rule_state *none = cluster_rule(ev->a, ci, DD_RULE_NO_PRIMARY);
	struct rule_state *many = cluster_rule(ev->a, ci, DD_RULE_MULTIPLE_PRIMARIES);
	const char *note = cl->topology_note ? cl->topology_note : "";
	bool no_primary = cl->topology_known && cl->primary < 0 && cl->n_primaries <= 1;
	bool multi = cl->topology_known && cl->n_primaries > 1;
	char msg[240];

	snprintf(msg, sizeof(msg), "cluster %s has no primary%s%.180s", cl->name,
	    note[0] ? ": " : "", note);
	settle(ev, none, probes_confirm(ev, none, no_primary, newest_probe(ev->snap, cl), th),
	    DD_SEV_CRIT, msg, ci, -1, DD_RULE_NO_PRIMARY);
	snprintf(msg, sizeof(msg), "cluster %s has %d writable primaries: %.190s", cl->name,
	    cl->n_primaries, note[0] ? note : "SPLIT-BRAIN (no writes routed)");
	settle(ev, many, hold(ev, &many->held_ns, multi, th->down_for_ms), DD_SEV_CRIT, msg, ci, -1,
	    DD_RULE_MULTIPLE_PRIMARIES);
}

/* "3d04h", "27h05m", "45m": an age for the backup_stale message. */
static void
age_text(int64_t ms, char *buf, size_t len)
{
	long long m = (long long)(ms / 60000);

	if (m >= 72 * 60)
		snprintf(buf, len, "%lldd%02lldh", m / (24 * 60), m / 60 % 24);
	else if (m >= 60)
		snprintf(buf, len, "%lldh%02lldm", m / 60, m % 60);
	else
		snprintf(buf, len, "%lldm", m);
}

/* backup_stale: the newest good backup is older than backup_max_age (or there is none). */
static void
rule_backup_stale(
    struct eval *ev, const struct dd_snap_cluster *cl, int ci, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = cluster_rule(ev->a, ci, DD_RULE_BACKUP_STALE);
	int64_t age = cl->backup_newest_ms > 0 ? ev->now_wall_ms - cl->backup_newest_ms : -1;
	bool stale = cl->backup_known && th->backup_max_age_ms > 0 &&
	             (age < 0 || age > th->backup_max_age_ms);
	char msg[240], a[24], max[24];

	age_text(th->backup_max_age_ms, max, sizeof(max));
	if (age < 0) {
		snprintf(msg, sizeof(msg), "cluster %s has no good backup (backup_max_age %s)",
		    cl->name, max);
	} else {
		age_text(age, a, sizeof(a));
		snprintf(msg, sizeof(msg),
		    "the newest good backup of %s is %s old (backup_max_age %s)", cl->name, a, max);
	}
	settle(ev, st, hold(ev, &st->held_ns, stale, 0), DD_SEV_WARN, msg, ci, -1,
	    DD_RULE_BACKUP_STALE);
}

/* What the servers say against Patroni's leader; false when they agree (why stays ""). */
static bool
patroni_disagreement(
    const struct dd_snapshot *s, const struct dd_snap_cluster *cl, char *why, size_t len)
{
	why[0] = '\0';
	for (int i = cl->first_node; i < cl->first_node + cl->n_nodes && i < s->n_nodes; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		bool leader = strcmp(n->name, cl->patroni_leader) == 0;
		bool writable = n->reachable && n->role == DD_ROLE_PRIMARY && !n->read_only;
		if (!leader && writable)
			snprintf(why, len,
			    "Patroni says %s leads, but %s is a writable primary too",
			    cl->patroni_leader, n->name);
		else if (leader && n->reachable && !writable)
			snprintf(why, len, "Patroni says %s leads, but it answers read-only",
			    cl->patroni_leader);
		if (why[0])
			return true;
	}
	return false;
}

/* manager = patroni: Patroni's leader against the writable server dbdeck sees. */
static void
rule_patroni(
    struct eval *ev, const struct dd_snap_cluster *cl, int ci, const struct dd_alert_thresholds *th)
{
	struct rule_state *st = cluster_rule(ev->a, ci, DD_RULE_PATRONI_DISAGREES);
	char why[200] = "", msg[240];
	int64_t for_ms = th->down_for_ms > 3000 ? th->down_for_ms : 3000;
	bool cond = cl->patroni && cl->patroni_ok && cl->patroni_leader && cl->patroni_leader[0] &&
	            patroni_disagreement(ev->snap, cl, why, sizeof(why));

	snprintf(msg, sizeof(msg), "cluster %s: %.200s", cl->name, why);
	settle(ev, st, hold(ev, &st->held_ns, cond, for_ms), DD_SEV_CRIT, msg, ci, -1,
	    DD_RULE_PATRONI_DISAGREES);
}

/*
 * manager = patroni: the node's agent has not reached the DCS (etcd, Consul,
 * ZooKeeper) for more than DD_PATRONI_DCS_STALE_S: it cannot renew or see
 * the leader lock, so it demotes itself or cannot take over. Unknown
 * (agent not read, Patroni without dcs_last_seen) raises nothing.
 */
static void
rule_patroni_dcs(struct eval *ev, const struct dd_snap_node *n, int i)
{
	struct rule_state *st = node_rule(ev->a, i, DD_RULE_PATRONI_DCS_STALE);
	bool known = n->patroni_role && n->patroni_role[0] && n->patroni_dcs_last_seen > 0;
	int64_t age_s = known ? ev->now_wall_ms / 1000 - n->patroni_dcs_last_seen : -1;
	char msg[240];

	snprintf(msg, sizeof(msg),
	    "%s's Patroni agent last reached the DCS %lld s ago (more than %d s)", n->name,
	    (long long)age_s, DD_PATRONI_DCS_STALE_S);
	settle(ev, st, age_s > DD_PATRONI_DCS_STALE_S, DD_SEV_WARN, msg, n->cluster, i,
	    DD_RULE_PATRONI_DCS_STALE);
}

/* Schema health (schema.h): critical findings of the newest round that finished. */
static void
rule_schema(struct eval *ev, const struct dd_snap_cluster *cl, int ci)
{
	struct rule_state *st = cluster_rule(ev->a, ci, DD_RULE_SCHEMA_CRITICAL);
	char msg[240];

	if (cl->schema_known && !cl->schema_ok)
		return;
	snprintf(msg, sizeof(msg), "cluster %s: %d critical schema finding%s: %.180s", cl->name,
	    cl->schema_crit, cl->schema_crit == 1 ? "" : "s",
	    cl->schema_worst ? cl->schema_worst : "");
	settle(ev, st, cl->schema_known && cl->schema_crit > 0, DD_SEV_CRIT, msg, ci, -1,
	    DD_RULE_SCHEMA_CRITICAL);
}

size_t
dd_alerts_eval(struct dd_alerts *a, const struct dd_snapshot *snap,
    const struct dd_alert_thresholds *th, struct dd_alert_change *out, size_t max)
{
	struct eval ev = {.a = a, .snap = snap, .out = out, .max = max};
	int i;

	layout_ensure(a, snap);
	ev.now_ns = a->clock.mono_ns(a->clock.ctx);
	ev.now_wall_ms = a->clock.wall_ms(a->clock.ctx);
	for (i = 0; i < snap->n_nodes; i++) {
		const struct dd_snap_node *n = &snap->nodes[i];
		const struct dd_alert_thresholds *t = &th[n->cluster];
		diff_node(&ev, n, i);
		rule_node_down(&ev, n, i, t);
		rule_breaker(&ev, n, i, t);
		rule_lag(&ev, n, i, t);
		rule_pool_use(&ev, n, i, t);
		rule_pool_wait(&ev, n, i, t);
		rule_patroni_dcs(&ev, n, i);
	}
	for (i = 0; i < snap->n_clusters; i++) {
		rule_topology(&ev, &snap->clusters[i], i, &th[i]);
		rule_slow(&ev, &snap->clusters[i], i, &th[i]);
		rule_backup_stale(&ev, &snap->clusters[i], i, &th[i]);
		rule_patroni(&ev, &snap->clusters[i], i, &th[i]);
		rule_schema(&ev, &snap->clusters[i], i);
	}
	return ev.n;
}

/* ---- the active list ---- */

static int
active_cmp(const void *x, const void *y)
{
	const struct dd_alert_active *a = x, *b = y;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->since_wall_ms != b->since_wall_ms)
		return a->since_wall_ms < b->since_wall_ms ? -1 : 1;
	if (a->cluster != b->cluster)
		return a->cluster < b->cluster ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

static void
active_collect(const struct rule_state *st, int cluster, int node, int rule,
    struct dd_alert_active *all, size_t *n)
{
	struct dd_alert_active *x;

	if (!st->active)
		return;
	x = &all[(*n)++];
	x->severity = st->sev;
	x->rule = (enum dd_alert_rule)rule;
	x->cluster = cluster;
	x->node = node;
	x->since_wall_ms = st->since_wall_ms;
	dd_strlcpy(x->message, st->message, sizeof(x->message));
}

size_t
dd_alerts_count(const struct dd_alerts *a)
{
	size_t n = 0, i;

	for (i = 0; a->node_rules && i < (size_t)a->n_nodes * DD_RULE__COUNT; i++)
		n += a->node_rules[i].active;
	for (i = 0; a->cluster_rules && i < (size_t)a->n_clusters * DD_RULE__COUNT; i++)
		n += a->cluster_rules[i].active;
	return n;
}

size_t
dd_alerts_active(const struct dd_alerts *a, struct dd_alert_active *out, size_t max)
{
	size_t total = dd_alerts_count(a), n = 0;
	struct dd_alert_active *all;
	int i, r;

	if (total == 0 || max == 0)
		return 0;
	all = xcalloc(total, sizeof(*all));
	for (i = 0; i < a->n_clusters; i++)
		for (r = 0; r < DD_RULE__COUNT; r++)
			active_collect(
			    &a->cluster_rules[(size_t)i * DD_RULE__COUNT + r], i, -1, r, all, &n);
	for (i = 0; i < a->n_nodes; i++)
		for (r = 0; r < DD_RULE__COUNT; r++)
			active_collect(&a->node_rules[(size_t)i * DD_RULE__COUNT + r],
			    a->prev[i].cluster, i, r, all, &n);
	qsort(all, n, sizeof(*all), active_cmp);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*all));
	free(all);
	return n;
}
