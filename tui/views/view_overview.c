/*
 * view_overview.c: the home view. A block per cluster (its name in the
 * cluster's accent, engine, health, primary, alert count) and a row per node:
 * role, state, pool bar (active+idle of max, waiting), server connections bar
 * (used of max), replica lag and its sparkline coloured against lag_max /
 * lag_critical, breaker state, QPS (transactions/s marked "t" when the
 * server counts no statements). A marker column says what needs a look:
 * X critical (down, breaker open, lag past lag_critical), ! warning (lag past
 * lag_max, lagging, breaker half-open), ~ stale (the probe is late). Under the
 * blocks, the active alerts while there is room. The list scrolls to keep the
 * selection in view; a folded cluster (z, a) shows one summary line, which
 * stands for its nodes in the selection, and Enter or z unfolds it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "view.h"
#include "widgets.h"

enum {
	OC_FLAG,
	OC_NODE,
	OC_ROLE,
	OC_STATE,
	OC_POOL,
	OC_CONN,
	OC_LAG,
	OC_HIST,
	OC_BREAKER,
	OC_QPS,
	OC_N
};

static const struct layout_col ov_cols[OC_N] = {
    [OC_FLAG] = {"", 1, 1, 100, ALIGN_LEFT},
    [OC_NODE] = {"NODE", 6, 16, 99, ALIGN_LEFT},
    [OC_ROLE] = {"ROLE", 7, 7, 90, ALIGN_LEFT},
    [OC_STATE] = {"STATE", 7, 7, 89, ALIGN_LEFT},
    [OC_POOL] = {"POOL", 12, 30, 70, ALIGN_LEFT},
    [OC_CONN] = {"CONNS", 10, 24, 65, ALIGN_LEFT},
    [OC_LAG] = {"LAG", 6, 7, 80, ALIGN_RIGHT},
    [OC_HIST] = {"LAG HISTORY", 7, 60, 50, ALIGN_LEFT},
    [OC_BREAKER] = {"BREAKER", 9, 9, 75, ALIGN_LEFT},
    [OC_QPS] = {"QPS", 5, 7, 68, ALIGN_RIGHT},
};
#define GAP 1

struct ov_ctx {
	struct console *c;
	struct screen *scr;
	int w[OC_N];
	int y; /* the row being drawn */
};

static const struct dd_snap_cluster *
cluster_of(const struct console *c, const struct dd_snap_node *n)
{
	if (n->cluster < 0 || n->cluster >= c->snap->n_clusters)
		return NULL;
	return &c->snap->clusters[n->cluster];
}

/* Severity of a node: 2 critical, 1 warning, 0 fine. */
static int
node_level(const struct console *c, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *cl = cluster_of(c, n);
	double lmax = cl ? cl->lag_max_s : NAN, lcrit = cl ? cl->lag_critical_s : NAN;
	if (n->state == DD_NODE_DOWN || n->breaker == DD_BREAKER_OPEN)
		return 2;
	if (!isnan(n->lag_s) && !isnan(lcrit) && lcrit > 0 && n->lag_s >= lcrit)
		return 2;
	if (n->state == DD_NODE_LAGGING || n->breaker == DD_BREAKER_HALF_OPEN)
		return 1;
	if (!isnan(n->lag_s) && !isnan(lmax) && lmax > 0 && n->lag_s >= lmax)
		return 1;
	return 0;
}

static void
cell(struct ov_ctx *o, int col, uint16_t style, const char *text)
{
	layout_cell(o->scr, o->y, 0, ov_cols, o->w, GAP, col, style, text);
}

/* A bar followed by its figures, in one column. */
static void
bar_cell(struct ov_ctx *o, int col, const struct bar_spec *b, const char *fig, uint16_t figstyle)
{
	int w = o->w[col];
	if (w <= 0)
		return;
	int x = layout_x(o->w, col, GAP);
	int fw = (int)strlen(fig);
	int bw = w - fw - 1;
	if (bw >= 3) {
		widget_bar(o->scr, o->y, x, bw, b, o->c->gl);
		x += bw + 1;
		w -= bw + 1;
	}
	screen_put(o->scr, o->y, x, figstyle, fig, w);
}

static void
pool_cell(struct ov_ctx *o, const struct dd_snap_node *n, uint16_t figstyle)
{
	char fig[48];
	struct bar_spec b = {n->pool_active, n->pool_idle, n->pool_max, 0.75, 0.9};
	if (n->pool_max <= 0) {
		snprintf(fig, sizeof(fig), "-");
	} else {
		int len = snprintf(
		    fig, sizeof(fig), "%d+%d/%d", n->pool_active, n->pool_idle, n->pool_max);
		if (n->pool_waiting > 0 && len > 0)
			snprintf(fig + len, sizeof(fig) - (size_t)len, " w%d", n->pool_waiting);
	}
	if (n->pool_waiting > 0)
		b.crit_frac = 0.0001;
	bar_cell(o, OC_POOL, &b, fig, n->pool_waiting > 0 ? DD_STYLE_CRIT : figstyle);
}

static void
conn_cell(struct ov_ctx *o, const struct dd_snap_node *n, uint16_t figstyle)
{
	char fig[32];
	struct bar_spec b = {n->conn_used, 0, n->conn_max, 0.8, 0.9};
	if (n->conn_used < 0 || n->conn_max <= 0)
		snprintf(fig, sizeof(fig), "-");
	else
		snprintf(fig, sizeof(fig), "%d/%d", n->conn_used, n->conn_max);
	bar_cell(o, OC_CONN, &b, fig, figstyle);
}

static void
lag_cells(struct ov_ctx *o, const struct dd_snap_node *n, const struct dd_snap_cluster *cl,
    uint16_t figstyle)
{
	char buf[32], num[24];
	double lmax = cl ? cl->lag_max_s : NAN, lcrit = cl ? cl->lag_critical_s : NAN;
	if (n->role != DD_ROLE_REPLICA) {
		cell(o, OC_LAG, DD_STYLE_DIM, "-");
		return;
	}
	if (isnan(n->lag_s)) {
		cell(o, OC_LAG, DD_STYLE_UNKNOWN, "?");
	} else {
		enum dd_theme_role r = widget_spark_role(n->lag_s, lmax, lcrit);
		const char *mark = r == DD_STYLE_CRIT ? "!!" : r == DD_STYLE_WARN ? "!" : "";
		snprintf(buf, sizeof(buf), "%s%s", fmt_secs(num, sizeof(num), n->lag_s), mark);
		cell(o, OC_LAG, r == DD_STYLE_SPARKLINE ? figstyle : (uint16_t)r, buf);
	}
	if (o->w[OC_HIST] > 0)
		widget_sparkline(o->scr, o->y, layout_x(o->w, OC_HIST, GAP), o->w[OC_HIST],
		    n->lag_history, n->lag_history_len, lmax, lcrit, o->c->gl);
}

/* The node's load: statements/s, or transactions/s marked "t" when it counts no statements. */
static const char *
load_text(char *buf, size_t len, const struct dd_snap_node *n)
{
	fmt_count(buf, len, n->load_per_s);
	if (n->load_kind == DD_RATE_TRANSACTIONS && !isnan(n->load_per_s) && strlen(buf) + 1 < len)
		strcat(buf, "t");
	return buf;
}

static uint16_t
state_style(const struct dd_snap_node *n)
{
	switch (n->state) {
	case DD_NODE_UP: return DD_STYLE_OK;
	case DD_NODE_LAGGING: return DD_STYLE_WARN;
	case DD_NODE_UNKNOWN: return DD_STYLE_UNKNOWN;
	default: return DD_STYLE_CRIT;
	}
}

static uint16_t
breaker_style(enum dd_breaker_state b)
{
	return b == DD_BREAKER_OPEN        ? DD_STYLE_CRIT
	       : b == DD_BREAKER_HALF_OPEN ? DD_STYLE_WARN
	                                   : DD_STYLE_OK;
}

static void
flag_cell(struct ov_ctx *o, const struct dd_snap_node *n)
{
	int lvl = node_level(o->c, n);
	if (lvl == 2)
		cell(o, OC_FLAG, DD_STYLE_CRIT, "X");
	else if (lvl == 1)
		cell(o, OC_FLAG, DD_STYLE_WARN, "!");
	else if (n->stale)
		cell(o, OC_FLAG, DD_STYLE_STALE, "~");
}

static void
node_row(struct ov_ctx *o, int ni, bool selected)
{
	const struct dd_snap_node *n = &o->c->snap->nodes[ni];
	const struct dd_snap_cluster *cl = cluster_of(o->c, n);
	char buf[64], name[80];
	uint16_t fig = n->stale ? DD_STYLE_STALE : DD_STYLE_NORMAL;
	static const uint16_t role_style[] = {DD_STYLE_UNKNOWN, DD_STYLE_PRIMARY, DD_STYLE_REPLICA};

	flag_cell(o, n);
	dd_text_sanitize(
	    name, sizeof(name), n->name, strlen(n->name), o->w[OC_NODE], view_text_flags(o->c));
	cell(o, OC_NODE, DD_STYLE_NORMAL, name);
	cell(o, OC_ROLE, role_style[n->role <= DD_ROLE_REPLICA ? n->role : 0],
	    dd_role_name(n->role));
	cell(o, OC_STATE, state_style(n), dd_node_state_name(n->state));
	pool_cell(o, n, fig);
	conn_cell(o, n, fig);
	lag_cells(o, n, cl, fig);
	cell(o, OC_BREAKER, breaker_style(n->breaker), dd_breaker_state_label(n->breaker));
	cell(o, OC_QPS, fig, load_text(buf, sizeof(buf), n));
	if (selected)
		screen_restyle(o->scr, o->y, 0, o->scr->cols, DD_STYLE_SELECTION);
}

static uint16_t
health_style(enum dd_health h)
{
	return h == DD_HEALTH_HEALTHY    ? DD_STYLE_OK
	       : h == DD_HEALTH_DEGRADED ? DD_STYLE_WARN
	                                 : DD_STYLE_CRIT;
}

static void
cluster_line(struct ov_ctx *o, int k)
{
	const struct dd_snap_cluster *cl = &o->c->snap->clusters[k];
	struct screen *scr = o->scr;
	uint16_t bs = style_cluster_border(k), ts = style_cluster_title(k);
	char name[80], note[160];
	unsigned tf = view_text_flags(o->c);
	int x = screen_fill(scr, o->y, 0, 2, bs, o->c->gl->hline);
	dd_text_sanitize(name, sizeof(name), cl->name, strlen(cl->name), 30, tf);
	x += screen_printf(scr, o->y, x, ts, 40, " %s ", name);
	x +=
	    screen_printf(scr, o->y, x, bs, 40, " %s%s", dd_engine_name(cl->engine), o->c->gl->sep);
	x += screen_put(scr, o->y, x, health_style(cl->health), dd_health_name(cl->health), 20);
	if (cl->primary >= 0 && cl->primary < o->c->snap->n_nodes) {
		dd_text_sanitize(name, sizeof(name), o->c->snap->nodes[cl->primary].name,
		    strlen(o->c->snap->nodes[cl->primary].name), 24, tf);
		x += screen_printf(scr, o->y, x, bs, 60, "%sprimary %s", o->c->gl->sep, name);
	} else {
		dd_text_sanitize(
		    note, sizeof(note), cl->topology_note, strlen(cl->topology_note), 50, tf);
		x += screen_printf(scr, o->y, x, DD_STYLE_CRIT, 80, "%s%s", o->c->gl->sep,
		    cl->topology_known ? (note[0] ? note : "no primary") : "probing...");
	}
	x += screen_printf(scr, o->y, x, cl->n_alerts ? DD_STYLE_WARN : bs, 40, "%s%d alert%s ",
	    o->c->gl->sep, cl->n_alerts, cl->n_alerts == 1 ? "" : "s");
	if (cl->backup_known) { /* the newest good backup's age (backup_stale) */
		int64_t age = o->c->now_wall_ms - cl->backup_newest_ms;
		fmt_secs(note, sizeof(note), (double)age / 1000.0);
		x += screen_printf(scr, o->y, x - 1,
		         cl->backup_newest_ms <= 0 || age > cl->backup_max_age_ms ? DD_STYLE_WARN
		                                                                  : bs,
		         40, "%sbackup %s%s ", o->c->gl->sep,
		         cl->backup_newest_ms > 0 ? note : "none",
		         cl->backup_newest_ms > 0 ? " ago" : "") -
		     1;
	}
	if (cl->patroni_undeclared && cl->patroni_undeclared[0])
		x += screen_printf(scr, o->y, x, DD_STYLE_WARN, 70,
		    "%sPatroni answers beside a node: say manager ", o->c->gl->sep);
	if (cl->patroni) { /* manager = patroni: Patroni's word beside dbdeck's (docs/patroni.md) */
		dd_text_sanitize(name, sizeof(name), cl->patroni_leader ? cl->patroni_leader : "",
		    cl->patroni_leader ? strlen(cl->patroni_leader) : 0, 24, tf);
		x += screen_printf(scr, o->y, x,
		    !cl->patroni_ok || cl->patroni_paused ? DD_STYLE_WARN : bs, 60,
		    "%spatroni %s%s%s ", o->c->gl->sep, cl->patroni_ok ? "leader " : "unreadable",
		    cl->patroni_ok ? (name[0] ? name : "none") : "",
		    cl->patroni_paused ? " PAUSED" : "");
	}
	if (cl->schema_crit + cl->schema_warn > 0) /* schema health findings ('i': view_schema.c) */
		x +=
		    screen_printf(scr, o->y, x - 1, cl->schema_crit ? DD_STYLE_CRIT : DD_STYLE_WARN,
		        40, "%s%d schema ", o->c->gl->sep, cl->schema_crit + cl->schema_warn) -
		    1;
	screen_fill(scr, o->y, x, scr->cols - x, bs, o->c->gl->hline);
}

/* The line (within the list of cluster titles and node rows) of row r of c->rows. */
static int
line_of_row(const struct console *c, int r)
{
	int line = 0, prev = -1;
	for (int i = 0; i <= r && i < c->rows.n; i++) {
		int k = c->snap->nodes[c->rows.idx[i]].cluster;
		if (k != prev)
			line++;
		prev = k;
		if (i < r)
			line++;
	}
	return line;
}

static bool
folded(const struct console *c, int k)
{
	return k >= 0 && k < OV_FOLD_MAX && (c->overview.folded[k / 8] >> (k % 8) & 1);
}

static void
set_folded(struct console *c, int k, bool on)
{
	if (k < 0 || k >= OV_FOLD_MAX)
		return;
	if (on)
		c->overview.folded[k / 8] |= (unsigned char)(1u << (k % 8));
	else
		c->overview.folded[k / 8] &= (unsigned char)~(1u << (k % 8));
}

/* The cluster of row r of c->rows. */
static int
row_cluster(const struct console *c, int r)
{
	return c->snap->nodes[c->rows.idx[r]].cluster;
}

/* Keeps only the first row of each folded cluster: its summary line. */
static void
drop_folded(struct console *c)
{
	int n = 0, prev = -1;

	for (int i = 0; i < c->rows.n; i++) {
		int k = row_cluster(c, i);
		if (!(folded(c, k) && k == prev)) {
			c->rows.idx[n] = c->rows.idx[i];
			c->rows.ids[n++] = c->rows.ids[i];
		}
		prev = k;
	}
	c->rows.n = n;
}

static void
rebuild(struct console *c)
{
	rows_nodes(c->snap, c->overview.filter, &c->rows);
	drop_folded(c);
	sel_sync(&c->overview.sel, c->rows.ids, c->rows.n);
}

/* A folded cluster's line: how many nodes, and the worst of their markers. */
static void
folded_row(struct ov_ctx *o, int k, bool selected)
{
	const struct dd_snapshot *s = o->c->snap;
	int n = 0, down = 0, warn = 0;

	for (int i = 0; i < s->n_nodes; i++) {
		if (s->nodes[i].cluster != k)
			continue;
		n++;
		int lvl = node_level(o->c, &s->nodes[i]);
		down += lvl == 2;
		warn += lvl == 1;
	}
	if (down || warn)
		cell(o, OC_FLAG, down ? DD_STYLE_CRIT : DD_STYLE_WARN, down ? "X" : "!");
	screen_printf(o->scr, o->y, layout_x(o->w, OC_NODE, GAP),
	    down ? DD_STYLE_CRIT : DD_STYLE_DIM, o->scr->cols - 2,
	    "+ %d node%s folded (%d critical, %d warning; z or Enter unfolds)", n,
	    n == 1 ? "" : "s", down, warn);
	if (selected)
		screen_restyle(o->scr, o->y, 0, o->scr->cols, DD_STYLE_SELECTION);
}

static void
alerts_below(struct ov_ctx *o, int bottom)
{
	const struct dd_snapshot *s = o->c->snap;
	if (s->n_alerts == 0 || o->y + 2 >= bottom)
		return;
	o->y++;
	screen_printf(o->scr, o->y++, 0, DD_STYLE_HEADER, o->scr->cols, "%-*s", o->scr->cols,
	    "ACTIVE ALERTS (3: Alerts & events)");
	for (int i = 0; i < s->n_alerts && o->y < bottom; i++, o->y++) {
		const struct dd_snap_alert *a = &s->alerts[i];
		char msg[512];
		uint16_t st = a->severity == DD_SEV_CRIT   ? DD_STYLE_CRIT
		              : a->severity == DD_SEV_WARN ? DD_STYLE_WARN
		                                           : DD_STYLE_NORMAL;
		int x = screen_printf(
		    o->scr, o->y, 0, st, 6, "%-5s", dd_severity_short_name(a->severity));
		char where[200];
		snprintf(
		    where, sizeof(where), "%s%s%s", a->cluster, a->node[0] ? "/" : "", a->node);
		dd_text_sanitize(msg, sizeof(msg), where, strlen(where), 20, view_text_flags(o->c));
		x += 1 + screen_printf(o->scr, o->y, x + 1, DD_STYLE_NORMAL, 21, "%-20s", msg);
		dd_text_sanitize(msg, sizeof(msg), a->message, strlen(a->message),
		    o->scr->cols - x - 2, view_text_flags(o->c));
		screen_put(o->scr, o->y, x + 1, DD_STYLE_NORMAL, msg, o->scr->cols - x - 1);
	}
}

static void
ov_draw(struct console *c, struct screen *scr, int y, int h)
{
	struct ov_ctx o = {.c = c, .scr = scr, .y = y};
	rebuild(c);
	layout_fit(ov_cols, OC_N, scr->cols, GAP, o.w);
	screen_fill(scr, y, 0, scr->cols, DD_STYLE_HEADER, " ");
	layout_header(scr, y, 0, ov_cols, OC_N, o.w, GAP, DD_STYLE_HEADER);
	int list_h = h - 1;
	if (c->rows.n == 0) {
		screen_put(scr, y + 2, 2, DD_STYLE_DIM,
		    c->overview.filter[0] ? "no node matches the filter (/ to change it)"
		                          : "no nodes",
		    scr->cols - 4);
		return;
	}
	/* Scroll in lines: keep the selected row (and its cluster title) in view. */
	struct selection *sel = &c->overview.sel;
	int sline = line_of_row(c, sel->row), total = line_of_row(c, c->rows.n - 1) + 1;
	if (sline - 1 < sel->top)
		sel->top = sline - 1 < 0 ? 0 : sline - 1;
	if (sline >= sel->top + list_h)
		sel->top = sline - list_h + 1;
	if (sel->top > total - list_h)
		sel->top = total - list_h > 0 ? total - list_h : 0;
	int line = 0, prev = -1;
	o.y = y + 1;
	for (int i = 0; i < c->rows.n && o.y < y + h; i++) {
		int ni = c->rows.idx[i], k = c->snap->nodes[ni].cluster;
		if (k != prev) {
			if (line >= sel->top) {
				cluster_line(&o, k);
				o.y++;
			}
			line++;
		}
		prev = k;
		if (o.y >= y + h)
			break;
		if (line >= sel->top) {
			if (folded(c, k))
				folded_row(&o, k, i == sel->row);
			else
				node_row(&o, ni, i == sel->row);
			o.y++;
		}
		line++;
	}
	if (sel->top == 0)
		alerts_below(&o, y + h);
}

/* First row of the cluster before/after the selected row's cluster. */
static int
cluster_jump(const struct console *c, int dir)
{
	if (c->rows.n == 0)
		return 0;
	int r = c->overview.sel.row, k = c->snap->nodes[c->rows.idx[r]].cluster;
	if (dir > 0) {
		while (r < c->rows.n && c->snap->nodes[c->rows.idx[r]].cluster == k)
			r++;
		return r < c->rows.n ? r : c->overview.sel.row;
	}
	while (r > 0 && c->snap->nodes[c->rows.idx[r - 1]].cluster == k)
		r--;
	if (r == 0)
		return 0;
	int pk = c->snap->nodes[c->rows.idx[r - 1]].cluster;
	r--;
	while (r > 0 && c->snap->nodes[c->rows.idx[r - 1]].cluster == pk)
		r--;
	return r;
}

/* a: folds every cluster when one is unfolded, else unfolds them all. */
static void
fold_all(struct console *c)
{
	bool any_open = false;

	for (int k = 0; k < c->snap->n_clusters && k < OV_FOLD_MAX; k++)
		any_open |= !folded(c, k);
	for (int k = 0; k < c->snap->n_clusters && k < OV_FOLD_MAX; k++)
		set_folded(c, k, any_open);
}

/* z, and Enter on a folded cluster's line. */
static unsigned
fold_one(struct console *c)
{
	if (c->rows.n == 0)
		return REACT_NONE;
	int k = row_cluster(c, c->overview.sel.row);
	set_folded(c, k, !folded(c, k));
	rebuild(c);
	return REACT_REDRAW;
}

static unsigned
ov_act(struct console *c, enum action a, int h)
{
	if (!c->snap)
		return REACT_UNKNOWN;
	rebuild(c);
	struct selection *s = &c->overview.sel;
	int page = h > 4 ? h - 3 : 1;
	switch (a) {
	case ACT_UP: sel_move(s, c->rows.ids, c->rows.n, -1); break;
	case ACT_DOWN: sel_move(s, c->rows.ids, c->rows.n, +1); break;
	case ACT_PAGE_UP: sel_move(s, c->rows.ids, c->rows.n, -page); break;
	case ACT_PAGE_DOWN: sel_move(s, c->rows.ids, c->rows.n, +page); break;
	case ACT_HOME: sel_move(s, c->rows.ids, c->rows.n, -c->rows.n); break;
	case ACT_END: sel_move(s, c->rows.ids, c->rows.n, +c->rows.n); break;
	case ACT_PREV:
	case ACT_NEXT:
		sel_move(
		    s, c->rows.ids, c->rows.n, cluster_jump(c, a == ACT_NEXT ? 1 : -1) - s->row);
		break;
	case ACT_FOLD: return fold_one(c);
	case ACT_FOLD_ALL:
		fold_all(c);
		rebuild(c);
		break;
	case ACT_BACK:
		if (!c->overview.filter[0])
			return REACT_UNKNOWN;
		c->overview.filter[0] = '\0'; /* Esc clears the filter first */
		rebuild(c);
		break;
	case ACT_OPEN:
		if (c->rows.n == 0)
			return REACT_NONE;
		if (folded(c, row_cluster(c, s->row)))
			return fold_one(c);
		c->detail.node = c->rows.idx[s->row];
		c->detail.top = 0;
		console_push(c, VIEW_NODE);
		break;
	case ACT_SWITCHOVER:
	case ACT_FAILOVER:
		if (c->rows.n && folded(c, row_cluster(c, s->row))) {
			console_status(
			    c, DD_STYLE_WARN, "unfold the cluster first (z) and select a node");
			return REACT_REDRAW;
		}
		return view_ask_action(c, c->rows.n ? c->rows.idx[s->row] : -1, a == ACT_FAILOVER);
	default: return REACT_UNKNOWN;
	}
	return REACT_REDRAW;
}

static char *
ov_filter(struct console *c)
{
	return c->overview.filter;
}

const struct view view_overview = {
    .id = VIEW_OVERVIEW,
    .title = "Overview",
    .keys = &keymap_overview,
    .moves = true,
    .filter = ov_filter,
    .draw = ov_draw,
    .act = ov_act,
};
