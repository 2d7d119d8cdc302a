/*
 * view_node.c: one node in full, everything its snapshot carries: server
 * and connections, replication (positions, threads, lag and its history; on
 * a primary the replicas it streams to), dbdeck's pool with its wait
 * percentiles and errors, the breaker and its history, routing counts and
 * the cluster's last routing reasons, the probes' status, the node's top
 * statements and recent events. A scrolling page; h/l move to the
 * previous/next node.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/alerts.h"
#include "fmt.h"
#include "view.h"
#include "widgets.h"

#define VAL 16 /* the column of values */

static void
kv(struct pager *p, const char *label)
{
	pager_line(p);
	pager_tab(p, 2);
	pager_text(p, DD_STYLE_DIM, label);
	pager_tab(p, VAL);
}

static void
kv_raw(struct pager *p, const char *label, const char *raw)
{
	kv(p, label);
	pager_raw(
	    p, DD_STYLE_NORMAL, raw && raw[0] ? raw : "-", raw && raw[0] ? strlen(raw) : 1, 0);
}

static void
section(struct pager *p, const char *title)
{
	pager_line(p);
	pager_line(p);
	pager_text(p, DD_STYLE_HEADER, title);
	pager_rule(p, DD_STYLE_HEADER, " ");
}

static void
head(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	char buf[160], t[32];
	const char *cl = view_cluster_name(c, n->cluster);
	pager_line(p);
	pager_raw(p, DD_STYLE_ACCENT, n->name, strlen(n->name), 32);
	pager_printf(p, DD_STYLE_NORMAL, "%s%s%s", c->gl->sep, dd_role_name(n->role), c->gl->sep);
	pager_text(p,
	    n->state == DD_NODE_UP        ? DD_STYLE_OK
	    : n->state == DD_NODE_DOWN    ? DD_STYLE_CRIT
	    : n->state == DD_NODE_UNKNOWN ? DD_STYLE_UNKNOWN
	                                  : DD_STYLE_WARN,
	    dd_node_state_name(n->state));
	if (n->stale)
		pager_text(p, DD_STYLE_STALE, " (stale)");
	pager_printf(p, DD_STYLE_NORMAL, "%s%s%scluster ", c->gl->sep,
	    n->read_only ? "read-only" : "read-write", c->gl->sep);
	pager_raw(p, DD_STYLE_NORMAL, cl, strlen(cl), 0);
	snprintf(buf, sizeof(buf), "%s:%d", n->host ? n->host : "", n->port);
	kv_raw(p, "address", buf);
	kv_raw(p, "version", n->version);
	kv(p, "uptime");
	pager_text(p, DD_STYLE_NORMAL,
	    fmt_secs(buf, sizeof(buf), n->uptime_s < 0 ? NAN : (double)n->uptime_s));
	kv(p, "probed");
	pager_printf(p, DD_STYLE_NORMAL, "%s UTC, took %" PRId64 " ms",
	    fmt_utc(t, sizeof(t), n->probed_wall_ms, 0), n->probe_ms);
	kv(p, "last error");
	pager_raw(p, n->last_error && n->last_error[0] ? DD_STYLE_CRIT : DD_STYLE_DIM,
	    n->last_error && n->last_error[0] ? n->last_error : "none",
	    n->last_error && n->last_error[0] ? strlen(n->last_error) : 4, 0);
}

static void
server(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	char a[24], b[24], h[24];
	(void)c;
	section(p, "SERVER");
	kv(p, "connections");
	pager_printf(p, DD_STYLE_NORMAL,
	    "%d of %d used: %d active, %d idle, %d idle in transaction, %d waiting", n->conn_used,
	    n->conn_max, n->conn_active, n->conn_idle, n->conn_idle_in_txn, n->conn_waiting);
	kv(p, "throughput");
	snprintf(h, sizeof(h), isnan(n->cache_hit) ? "-" : "%.1f%%", n->cache_hit * 100);
	pager_printf(p, DD_STYLE_NORMAL, "%s queries/s, %s transactions/s, cache hit %s",
	    fmt_count(a, sizeof(a), n->qps), fmt_count(b, sizeof(b), n->tps), h);
	kv(p, "slow queries");
	pager_printf(
	    p, DD_STYLE_NORMAL, "%" PRId64 " seen since the console started", n->slow_total);
}

static void
lag_history(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *cl = n->cluster >= 0 && n->cluster < c->snap->n_clusters
	                                       ? &c->snap->clusters[n->cluster]
	                                       : NULL;
	double lmax = cl ? cl->lag_max_s : NAN, lcrit = cl ? cl->lag_critical_s : NAN;
	char a[24], b[24];
	kv(p, "lag history");
	if (pager_visible(p)) {
		int w = p->w - p->col < DD_SNAP_LAG_SAMPLES ? p->w - p->col : DD_SNAP_LAG_SAMPLES;
		if (n->lag_history_len < w)
			w = n->lag_history_len; /* left-aligned here: no padding */
		widget_sparkline(p->scr, p->y0 + p->line - p->top, p->x0 + p->col, w,
		    n->lag_history, n->lag_history_len, lmax, lcrit, c->gl);
	}
	kv(p, "thresholds");
	pager_printf(p, DD_STYLE_DIM, "lag_max %s, lag_critical %s", fmt_secs(a, sizeof(a), lmax),
	    fmt_secs(b, sizeof(b), lcrit));
}

static void
replica(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	char a[24], b[24];
	kv(p, "lag");
	pager_text(p, DD_STYLE_NORMAL, fmt_secs(a, sizeof(a), n->lag_s));
	if (n->lag_bytes >= 0)
		pager_printf(
		    p, DD_STYLE_NORMAL, ", %s of WAL", fmt_bytes(b, sizeof(b), n->lag_bytes));
	if (n->lag_trx >= 0)
		pager_printf(p, DD_STYLE_NORMAL, ", %" PRId64 " transactions", n->lag_trx);
	if (n->lag_note && n->lag_note[0]) {
		pager_text(p, DD_STYLE_DIM, "  ");
		pager_raw(p, DD_STYLE_DIM, n->lag_note, strlen(n->lag_note), 0);
	}
	kv_raw(p, "received", n->receive_pos);
	kv_raw(p, "replayed", n->replay_pos);
	if (c->snap->clusters[n->cluster].engine == DD_ENGINE_POSTGRESQL) {
		kv(p, "replay");
		pager_text(p, n->replay_paused ? DD_STYLE_WARN : DD_STYLE_NORMAL,
		    n->replay_paused ? "paused" : "running");
	} else {
		kv_raw(p, "IO thread", n->io_thread);
		kv_raw(p, "SQL thread", n->sql_thread);
	}
	kv(p, "error");
	bool err = n->repl_error && n->repl_error[0];
	pager_raw(p, err ? DD_STYLE_CRIT : DD_STYLE_DIM, err ? n->repl_error : "none",
	    err ? strlen(n->repl_error) : 4, 0);
	lag_history(c, p, n);
}

static void
peers(struct pager *p, const struct dd_snap_node *n)
{
	char a[24], b[24], d[24], e[24];
	kv(p, "replicas");
	pager_printf(p, DD_STYLE_NORMAL, "%d connected", n->n_peers);
	for (int i = 0; i < n->n_peers && i < DD_SNAP_MAX_REPL; i++) {
		const struct dd_snap_repl_peer *r = &n->peers[i];
		pager_line(p);
		pager_tab(p, 4);
		pager_raw(p, DD_STYLE_NORMAL, r->name, strnlen(r->name, sizeof(r->name)), 12);
		pager_tab(p, 17);
		pager_raw(p, DD_STYLE_DIM, r->client, strnlen(r->client, sizeof(r->client)), 16);
		pager_tab(p, 34);
		pager_raw(p, DD_STYLE_NORMAL, r->state, strnlen(r->state, sizeof(r->state)), 10);
		pager_tab(p, 45);
		pager_printf(p, DD_STYLE_NORMAL, "lag write %s flush %s replay %s, %s behind",
		    fmt_secs(a, sizeof(a), r->write_lag_s), fmt_secs(b, sizeof(b), r->flush_lag_s),
		    fmt_secs(d, sizeof(d), r->replay_lag_s), fmt_bytes(e, sizeof(e), r->lag_bytes));
	}
}

static void
pool(struct pager *p, const struct dd_snap_node *n)
{
	char a[24], b[24], d[24], e[24];
	section(p, "POOL (dbdeck's own connections)");
	kv(p, "connections");
	pager_printf(p, DD_STYLE_NORMAL,
	    "%d active, %d idle of %d (%d overflow in use), %d waiting", n->pool_active,
	    n->pool_idle, n->pool_max, n->pool_overflow, n->pool_waiting);
	kv(p, "acquire wait");
	pager_printf(p, DD_STYLE_NORMAL, "p50 %s, p95 %s, p99 %s; longest in the last interval %s",
	    fmt_ns(a, sizeof(a), n->pool_wait_p50_ns), fmt_ns(b, sizeof(b), n->pool_wait_p95_ns),
	    fmt_ns(d, sizeof(d), n->pool_wait_p99_ns),
	    fmt_ns(e, sizeof(e), n->pool_wait_max_interval_ns));
	kv(p, "errors");
	pager_printf(p, DD_STYLE_NORMAL,
	    "%" PRId64 " timeout, %" PRId64 " connect, %" PRId64 " auth, %" PRId64 " broken",
	    n->pool_err_timeout, n->pool_err_connect, n->pool_err_auth, n->pool_err_broken);
}

static void
breaker(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	char t[32];
	(void)c;
	section(p, "CIRCUIT BREAKER");
	kv(p, "state");
	pager_text(p,
	    n->breaker == DD_BREAKER_CLOSED ? DD_STYLE_OK
	    : n->breaker == DD_BREAKER_OPEN ? DD_STYLE_CRIT
	                                    : DD_STYLE_WARN,
	    dd_breaker_state_label(n->breaker));
	pager_printf(
	    p, DD_STYLE_DIM, " since %s UTC", fmt_utc(t, sizeof(t), n->breaker_since_wall_ms, 1));
	for (int i = n->n_breaker_history - 1; i >= 0 && i < DD_SNAP_BREAKER_HISTORY; i--) {
		const struct dd_breaker_transition *tr = &n->breaker_history[i];
		kv(p, i == n->n_breaker_history - 1 ? "history" : "");
		pager_printf(p, DD_STYLE_DIM, "%s  ", fmt_utc(t, sizeof(t), tr->wall_ms, 1));
		pager_printf(p, DD_STYLE_NORMAL, "%s -> %s  ", dd_breaker_state_label(tr->from),
		    dd_breaker_state_label(tr->to));
		pager_raw(
		    p, DD_STYLE_NORMAL, tr->reason, strnlen(tr->reason, sizeof(tr->reason)), 0);
	}
}

static void
routing(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	section(p, "ROUTING");
	kv(p, "read set");
	pager_text(p, n->in_read_set ? DD_STYLE_OK : DD_STYLE_WARN, n->in_read_set ? "in" : "out");
	if (!n->in_read_set && n->route_note && n->route_note[0]) {
		pager_text(p, DD_STYLE_DIM, ": ");
		pager_raw(p, DD_STYLE_NORMAL, n->route_note, strlen(n->route_note), 0);
	}
	kv(p, "routed");
	pager_printf(p, DD_STYLE_NORMAL, "%" PRId64 " reads, %" PRId64 " writes", n->routed_reads,
	    n->routed_writes);
	const struct dd_snap_cluster *cl = &c->snap->clusters[n->cluster];
	for (int i = cl->n_route_reasons - 1; i >= 0 && i < DD_SNAP_ROUTE_REASONS; i--) {
		kv(p, i == cl->n_route_reasons - 1 ? "last reasons" : "");
		pager_raw(
		    p, DD_STYLE_NORMAL, cl->route_reasons[i], strlen(cl->route_reasons[i]), 0);
	}
}

static void
probe_line(struct pager *p, const char *label, const struct dd_snap_probe_status *s)
{
	kv(p, label);
	if (s->ok)
		pager_text(p, DD_STYLE_OK, "ok");
	else
		pager_raw(p, DD_STYLE_WARN, s->why[0] ? s->why : "not run",
		    s->why[0] ? strnlen(s->why, sizeof(s->why)) : 7, 0);
}

static void
statements(struct console *c, struct pager *p, int ni)
{
	char a[24], b[24], d[24], e[24];
	int shown = 0;
	section(p, "TOP STATEMENTS (calls, total, mean, rows)");
	probe_line(p, "statements", &c->snap->nodes[ni].statements_probe);
	probe_line(p, "activity", &c->snap->nodes[ni].activity_probe);
	for (int i = 0; i < c->snap->n_statements && shown < 10; i++) {
		const struct dd_snap_statement *s = &c->snap->statements[i];
		if (s->node != ni)
			continue;
		shown++;
		pager_line(p);
		pager_tab(p, 2);
		pager_printf(p, DD_STYLE_DIM, "%7s %8s %8s %7s  ",
		    fmt_count(a, sizeof(a), (double)s->calls),
		    fmt_ns(b, sizeof(b), (int64_t)(s->total_ms * 1e6)),
		    fmt_ns(d, sizeof(d), (int64_t)(s->mean_ms * 1e6)),
		    fmt_count(e, sizeof(e), (double)s->rows));
		pager_raw(p, DD_STYLE_NORMAL, s->text, s->text ? strlen(s->text) : 0, 0);
	}
}

static void
events(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	char t[32];
	int shown = 0;
	const char *cl = view_cluster_name(c, n->cluster);
	section(p, "RECENT EVENTS");
	for (int i = c->snap->n_events - 1; i >= 0 && shown < 20; i--) {
		const struct dd_snap_event *e = &c->snap->events[i];
		if (!e->node || strcmp(e->node, n->name) != 0 ||
		    (e->cluster && strcmp(e->cluster, cl) != 0))
			continue;
		shown++;
		pager_line(p);
		pager_tab(p, 2);
		pager_printf(p, DD_STYLE_DIM, "%s  %-7s ", fmt_utc(t, sizeof(t), e->wall_ms, 1),
		    dd_event_kind_name(e->kind));
		pager_raw(p, DD_STYLE_NORMAL, e->message, strlen(e->message), 0);
	}
	if (shown == 0) {
		pager_line(p);
		pager_tab(p, 2);
		pager_text(p, DD_STYLE_DIM, "none");
	}
}

/* manager = patroni: what Patroni says of this node, beside dbdeck's probes. */
static void
patroni(struct console *c, struct pager *p, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *cl = &c->snap->clusters[n->cluster];
	char buf[160];

	if (!cl->patroni)
		return;
	kv(p, "patroni");
	if (!cl->patroni_ok) {
		pager_raw(p, DD_STYLE_WARN, cl->patroni_error, strlen(cl->patroni_error), 0);
		return;
	}
	if (!n->patroni_role || !n->patroni_role[0]) {
		pager_text(p, DD_STYLE_WARN, "not a member of Patroni's cluster");
		return;
	}
	snprintf(buf, sizeof(buf), "%.24s, %.24s", n->patroni_role, n->patroni_state);
	pager_raw(p, DD_STYLE_NORMAL, buf, strlen(buf), 0);
	if (n->patroni_lag >= 0)
		pager_printf(
		    p, DD_STYLE_DIM, "%slag %lld bytes", c->gl->sep, (long long)n->patroni_lag);
	if (n->patroni_pending_restart)
		pager_text(p, DD_STYLE_WARN, "  pending restart");
	if (cl->patroni_paused)
		pager_text(p, DD_STYLE_WARN, "  cluster PAUSED");
	if (n->patroni_dcs_last_seen > 0) {
		long long age =
		    (long long)(c->snap->generated_wall_ms / 1000 - n->patroni_dcs_last_seen);
		pager_printf(p, age > DD_PATRONI_DCS_STALE_S ? DD_STYLE_WARN : DD_STYLE_DIM,
		    "%sDCS last seen %lld s ago", c->gl->sep, age < 0 ? 0 : age);
	}
}

static void
nd_draw(struct console *c, struct screen *scr, int y, int h)
{
	if (!c->snap || c->detail.node < 0 || c->detail.node >= c->snap->n_nodes)
		return;
	const struct dd_snap_node *n = &c->snap->nodes[c->detail.node];
	struct pager p;
	pager_begin(&p, scr, y, h, 1, scr->cols - 2, c->detail.top, c->gl->utf8);
	head(c, &p, n);
	server(c, &p, n);
	section(&p, "REPLICATION");
	if (n->role == DD_ROLE_REPLICA)
		replica(c, &p, n);
	else
		peers(&p, n);
	patroni(c, &p, n);
	pool(&p, n);
	breaker(c, &p, n);
	routing(c, &p, n);
	statements(c, &p, c->detail.node);
	events(c, &p, n);
	c->page_lines = pager_count(&p);
	c->page_height = h;
}

static unsigned
nd_act(struct console *c, enum action a, int h)
{
	if (view_page_scroll(c, &c->detail.top, a, h))
		return REACT_REDRAW;
	if ((a == ACT_PREV || a == ACT_NEXT) && c->snap && c->snap->n_nodes > 0) {
		int n = c->snap->n_nodes;
		c->detail.node = (c->detail.node + (a == ACT_NEXT ? 1 : n - 1)) % n;
		c->detail.top = 0;
		/* The overview's selection follows, so Esc lands on this node. */
		c->overview.sel.id = rows_node_id(c->detail.node);
		c->overview.sel.has = true;
		return REACT_REDRAW;
	}
	if (a == ACT_SWITCHOVER || a == ACT_FAILOVER)
		return view_ask_action(c, c->detail.node, a == ACT_FAILOVER);
	return REACT_UNKNOWN;
}

const struct view view_node = {
    .id = VIEW_NODE,
    .title = "Node detail",
    .keys = &keymap_node,
    .moves = true,
    .filter = NULL,
    .draw = nd_draw,
    .act = nd_act,
};
