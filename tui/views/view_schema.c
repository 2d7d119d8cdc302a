/*
 * view_schema.c: schema health of one cluster at a time (core/schema,
 * docs/schema.md), from the schema prober's newest round: when and how
 * long it took, the migration version on the primary, the findings in a
 * table (severity, kind, database, object, evidence) that 's' sorts, 'r'
 * reverses and '/' filters, Enter for the selected finding's whole
 * evidence and fix statement (text to copy; dbdeck never runs it), and the
 * largest tables below when there is room. Left/Right change the cluster.
 * The selection follows the finding (kind, database, object), not the row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/schema.h"
#include "dbdeck/util.h"
#include "fmt.h"
#include "view.h"

enum { SC_SEV, SC_KIND, SC_DB, SC_OBJ, SC_EVID, SC_N };

static const struct layout_col s_cols[SC_N] = {
    [SC_SEV] = {"SEV", 4, 4, 99, ALIGN_LEFT},
    [SC_KIND] = {"KIND", 8, 16, 95, ALIGN_LEFT},
    [SC_DB] = {"DATABASE", 4, 12, 70, ALIGN_LEFT},
    [SC_OBJ] = {"OBJECT", 10, 40, 90, ALIGN_LEFT},
    [SC_EVID] = {"EVIDENCE", 10, 100000, 80, ALIGN_LEFT},
};
#define GAP          1
#define TABLES_SHOWN 5
#define DETAIL_LINES 64

static const int sort_col[SSORT_COUNT] = {SC_SEV, SC_KIND, SC_OBJ, SC_DB};

static const struct dd_schema_cluster *
shown(struct console *c)
{
	const struct dd_schema_result *r = c->schema;

	if (!r || r->n_clusters == 0)
		return NULL;
	if (c->schema_v.cluster < 0 || c->schema_v.cluster >= r->n_clusters)
		c->schema_v.cluster = 0;
	return &r->clusters[c->schema_v.cluster];
}

static uint64_t
finding_id(const struct dd_schema_finding *f)
{
	uint64_t h = dd_fnv1a(UINT64_C(1469598103934665603), &f->kind, sizeof(f->kind));
	h = dd_fnv1a(h, f->database, strlen(f->database));
	return dd_fnv1a(h, f->object, strlen(f->object)) | 1;
}

/* ---- rows: filter and sort ---- */

static const struct dd_schema_cluster *sort_cl; /* qsort's context: the UI thread only */
static enum schema_sort sort_key;
static bool sort_asc;

static int
finding_cmp(const void *x, const void *y)
{
	const struct dd_schema_finding *a = &sort_cl->findings[*(const int *)x];
	const struct dd_schema_finding *b = &sort_cl->findings[*(const int *)y];
	int r = 0;

	switch (sort_key) {
	case SSORT_SEVERITY: r = (int)a->severity - (int)b->severity; break;
	case SSORT_KIND:
		r = strcmp(dd_schema_kind_name(a->kind), dd_schema_kind_name(b->kind));
		break;
	case SSORT_OBJECT: r = strcmp(a->object, b->object); break;
	case SSORT_DATABASE: r = strcmp(a->database, b->database); break;
	case SSORT_COUNT: break;
	}
	if (r == 0)
		r = strcmp(a->object, b->object);
	return sort_asc ? r : -r;
}

static bool
matches(const char *filter, const struct dd_schema_finding *f)
{
	const char *kind = dd_schema_kind_name(f->kind), *sev = dd_severity_name(f->severity);
	struct filter_field ff[] = {
	    {"kind", kind, strlen(kind)},
	    {"sev", sev, strlen(sev)},
	    {"db", f->database, strlen(f->database)},
	    {"object", f->object, strlen(f->object)},
	    {"evidence", f->evidence, strlen(f->evidence)},
	};
	return filter_match(filter, ff, (int)(sizeof(ff) / sizeof(ff[0])));
}

static void
rebuild(struct console *c)
{
	const struct dd_schema_cluster *cl = shown(c);
	int *idx, n = 0;

	rowset_clear(&c->rows);
	if (!cl)
		return;
	idx = xcalloc((size_t)(cl->n_findings ? cl->n_findings : 1), sizeof(*idx));
	for (int i = 0; i < cl->n_findings; i++)
		if (!c->schema_v.filter[0] || matches(c->schema_v.filter, &cl->findings[i]))
			idx[n++] = i;
	sort_cl = cl;
	sort_key = c->schema_v.sort;
	sort_asc = c->schema_v.sort_asc;
	qsort(idx, (size_t)n, sizeof(*idx), finding_cmp);
	for (int i = 0; i < n; i++)
		rowset_push(&c->rows, idx[i], finding_id(&cl->findings[idx[i]]));
	free(idx);
	sel_sync(&c->schema_v.sel, c->rows.ids, c->rows.n);
}

/* ---- drawing ---- */

static uint16_t
sev_style(enum dd_severity s)
{
	return s == DD_SEV_CRIT ? DD_STYLE_CRIT : s == DD_SEV_WARN ? DD_STYLE_WARN : DD_STYLE_DIM;
}

/* Server text, sanitized, at (y, x); returns the columns used. */
static int
put_clean(struct console *c, struct screen *scr, int y, int x, uint16_t st, const char *s, int max)
{
	char buf[2048];

	if (max <= 0)
		return 0;
	dd_text_sanitize(buf, sizeof(buf), s, strlen(s), max, view_text_flags(c));
	return screen_put(scr, y, x, st, buf, max);
}

static void
head_line(struct console *c, struct screen *scr, int y, const struct dd_schema_cluster *cl)
{
	char when[40];
	int n[3], x;

	dd_schema_count(cl, n);
	x = screen_put(scr, y, 0, DD_STYLE_NORMAL, "cluster ", scr->cols);
	x += put_clean(c, scr, y, x, DD_STYLE_ACCENT, cl->name, 30);
	x += screen_printf(scr, y, x, DD_STYLE_DIM, scr->cols - x, " (%s)%sprimary ",
	    dd_engine_name(cl->engine), c->gl->sep);
	x += put_clean(c, scr, y, x, DD_STYLE_NORMAL, cl->primary[0] ? cl->primary : "none", 24);
	fmt_utc(when, sizeof(when), c->schema->taken_wall_ms, 0);
	x += screen_printf(scr, y, x, DD_STYLE_DIM, scr->cols - x, "%s%s UTC, %lld ms%s",
	    c->gl->sep, when, (long long)cl->took_ms, c->gl->sep);
	x += screen_printf(scr, y, x, n[DD_SEV_CRIT] ? DD_STYLE_CRIT : DD_STYLE_OK, scr->cols - x,
	    "%d critical", n[DD_SEV_CRIT]);
	x += screen_printf(scr, y, x, n[DD_SEV_WARN] ? DD_STYLE_WARN : DD_STYLE_OK, scr->cols - x,
	    " %d warn", n[DD_SEV_WARN]);
	if (c->rows.n != cl->n_findings)
		x += screen_printf(
		    scr, y, x, DD_STYLE_DIM, scr->cols - x, "%s%d shown", c->gl->sep, c->rows.n);
	if (c->schema_v.filter[0]) {
		x +=
		    screen_printf(scr, y, x, DD_STYLE_DIM, scr->cols - x, "%sfilter: ", c->gl->sep);
		put_clean(c, scr, y, x, DD_STYLE_FILTER, c->schema_v.filter, scr->cols - x);
	}
}

/* The primary's migration versions, or why the round did not finish. */
static void
state_line(struct console *c, struct screen *scr, int y, const struct dd_schema_cluster *cl)
{
	char buf[600];
	size_t o = 0;
	int x;

	if (!cl->ok) {
		x = screen_put(scr, y, 0, DD_STYLE_CRIT, "round did not finish: ", scr->cols);
		put_clean(c, scr, y, x, DD_STYLE_CRIT, cl->error, scr->cols - x);
		return;
	}
	for (int i = 0; i < cl->n_migrations && o + 2 < sizeof(buf); i++) {
		const struct dd_schema_migration *m = &cl->migrations[i];
		if (strcmp(m->node, cl->primary) != 0)
			continue;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s %s %s%s", o ? ", " : "",
		    m->database, m->tool, m->version[0] ? m->version : "(empty)",
		    m->failed ? " FAILED" : "");
		if (o >= sizeof(buf))
			o = sizeof(buf) - 1;
	}
	x = screen_put(scr, y, 0, DD_STYLE_DIM, "migrations: ", scr->cols);
	put_clean(c, scr, y, x, DD_STYLE_NORMAL, o ? buf : "no migration tool's table found",
	    scr->cols - x);
}

static void
finding_row(struct console *c, struct screen *scr, int y, const int *w,
    const struct dd_schema_finding *f, bool selected)
{
	char buf[2048];
	const char *cells[SC_N] = {dd_severity_short_name(f->severity),
	    dd_schema_kind_name(f->kind), f->database, f->object, f->evidence};

	for (int k = 0; k < SC_N; k++) {
		if (w[k] <= 0)
			continue;
		dd_text_sanitize(
		    buf, sizeof(buf), cells[k], strlen(cells[k]), w[k], view_text_flags(c));
		layout_cell(scr, y, 0, s_cols, w, GAP, k,
		    k == SC_SEV    ? sev_style(f->severity)
		    : k == SC_EVID ? DD_STYLE_DIM
		                   : DD_STYLE_NORMAL,
		    buf);
	}
	if (selected)
		screen_restyle(scr, y, 0, scr->cols, DD_STYLE_SELECTION);
}

static int
tables_block(struct console *c, struct screen *scr, int y, const struct dd_schema_cluster *cl)
{
	char tot[24], tab[24], idx[24];
	int n = cl->n_tables < TABLES_SHOWN ? cl->n_tables : TABLES_SHOWN;

	screen_fill(scr, y, 0, scr->cols, DD_STYLE_HEADER, " ");
	screen_put(scr, y, 0, DD_STYLE_HEADER, "LARGEST TABLES", scr->cols);
	for (int i = 0; i < n; i++) {
		const struct dd_schema_table *t = &cl->tables[i];
		int x = put_clean(c, scr, y + 1 + i, 0, DD_STYLE_NORMAL, t->name, 40);
		x = x < 41 ? 41 : x + 1;
		x += screen_printf(scr, y + 1 + i, x, DD_STYLE_DIM, scr->cols - x,
		    "%s total, %s table, %s indexes, %lld rows",
		    fmt_bytes(tot, sizeof(tot), t->total_bytes),
		    fmt_bytes(tab, sizeof(tab), t->table_bytes),
		    fmt_bytes(idx, sizeof(idx), t->index_bytes), (long long)t->rows);
		if (t->partitions)
			screen_printf(scr, y + 1 + i, x, DD_STYLE_DIM, scr->cols - x,
			    ", %d partitions", t->partitions);
	}
	return n + 1;
}

/* Enter: the whole evidence and fix of the selected finding, wrapped. */
static void
detail(struct console *c, struct screen *scr, int y, int h, const struct dd_schema_finding *f)
{
	struct dd_text_line lines[DETAIL_LINES];
	char buf[1200];
	const char *label[2] = {"evidence", "fix"}, *text[2] = {f->evidence, f->fix};
	int r = 0, x;

	x = screen_printf(scr, y, 0, sev_style(f->severity), scr->cols, "%s %s ",
	    dd_severity_name(f->severity), dd_schema_kind_name(f->kind));
	x += put_clean(c, scr, y, x, DD_STYLE_NORMAL, f->database, 40);
	screen_put(scr, y, x, DD_STYLE_NORMAL, " ", 1);
	put_clean(c, scr, y, x + 1, DD_STYLE_ACCENT, f->object, scr->cols - x - 1);
	r = 2;
	for (int k = 0; k < 2 && r < h; k++) {
		size_t n;
		screen_printf(scr, y + r++, 0, DD_STYLE_HEADER, scr->cols, "%s%s", label[k],
		    k == 1 ? " (for a person to run; dbdeck never runs it):" : ":");
		dd_text_sanitize(buf, sizeof(buf), text[k][0] ? text[k] : "(none)",
		    strlen(text[k][0] ? text[k] : "(none)"), (int)sizeof(buf), view_text_flags(c));
		n = dd_text_wrap(buf, scr->cols - 4, lines, DETAIL_LINES);
		for (size_t i = 0; i < n && r < h; i++)
			screen_putn(scr, y + r++, 2, k ? DD_STYLE_INPUT : DD_STYLE_NORMAL,
			    buf + lines[i].off, lines[i].len, scr->cols - 2);
		r++;
	}
}

static void
s_draw(struct console *c, struct screen *scr, int y, int h)
{
	const struct dd_schema_cluster *cl = shown(c);
	struct layout_col cols[SC_N];
	char title[32];
	int w[SC_N], list_h, tab_h;

	rebuild(c);
	if (!cl) {
		screen_put(scr, y + 1, 2, DD_STYLE_DIM,
		    c->schema
		        ? "no cluster has schema health probing (schema_refresh = 0)"
		        : "the first schema health round is running (then every schema_refresh)",
		    scr->cols - 4);
		return;
	}
	head_line(c, scr, y, cl);
	state_line(c, scr, y + 1, cl);
	if (c->schema_v.detail && c->rows.n > 0) {
		detail(c, scr, y + 3, h - 3, &cl->findings[c->rows.idx[c->schema_v.sel.row]]);
		return;
	}
	c->schema_v.detail = false;
	memcpy(cols, s_cols, sizeof(cols));
	snprintf(title, sizeof(title), "%s%s", s_cols[sort_col[c->schema_v.sort]].title,
	    c->schema_v.sort_asc ? c->gl->up : c->gl->down);
	cols[sort_col[c->schema_v.sort]].title = title;
	layout_fit(cols, SC_N, scr->cols, GAP, w);
	tab_h = h >= 16 && cl->n_tables > 0
	            ? 1 + (cl->n_tables < TABLES_SHOWN ? cl->n_tables : TABLES_SHOWN)
	            : 0;
	list_h = h - 3 - tab_h - (tab_h ? 1 : 0);
	screen_fill(scr, y + 2, 0, scr->cols, DD_STYLE_HEADER, " ");
	layout_header(scr, y + 2, 0, cols, SC_N, w, GAP, DD_STYLE_HEADER);
	if (c->rows.n == 0)
		screen_put(scr, y + 4, 2, DD_STYLE_DIM,
		    c->schema_v.filter[0] ? "no finding matches the filter (/ to change it)"
		                          : "no finding: nothing to fix",
		    scr->cols - 4);
	sel_scroll(&c->schema_v.sel, c->rows.n, list_h > 0 ? list_h : 1);
	for (int i = c->schema_v.sel.top, r = 0; i < c->rows.n && r < list_h; i++, r++)
		finding_row(
		    c, scr, y + 3 + r, w, &cl->findings[c->rows.idx[i]], i == c->schema_v.sel.row);
	if (tab_h)
		tables_block(c, scr, y + h - tab_h, cl);
}

/* ---- keys ---- */

static unsigned
s_act(struct console *c, enum action a, int h)
{
	struct selection *s = &c->schema_v.sel;
	int page = h > 6 ? h - 6 : 1, n, nc = c->schema ? c->schema->n_clusters : 0;

	rebuild(c);
	n = c->rows.n;
	switch (a) {
	case ACT_UP: sel_move(s, c->rows.ids, n, -1); break;
	case ACT_DOWN: sel_move(s, c->rows.ids, n, +1); break;
	case ACT_PAGE_UP: sel_move(s, c->rows.ids, n, -page); break;
	case ACT_PAGE_DOWN: sel_move(s, c->rows.ids, n, +page); break;
	case ACT_HOME: sel_move(s, c->rows.ids, n, -n); break;
	case ACT_END: sel_move(s, c->rows.ids, n, +n); break;
	case ACT_PREV:
	case ACT_NEXT:
		if (nc == 0)
			return REACT_NONE;
		c->schema_v.cluster = (c->schema_v.cluster + (a == ACT_NEXT ? 1 : nc - 1)) % nc;
		c->schema_v.detail = false;
		memset(s, 0, sizeof(*s));
		break;
	case ACT_SORT:
		c->schema_v.sort = (enum schema_sort)((c->schema_v.sort + 1) % SSORT_COUNT);
		c->schema_v.sort_asc = c->schema_v.sort != SSORT_SEVERITY;
		break;
	case ACT_SORT_REVERSE: c->schema_v.sort_asc = !c->schema_v.sort_asc; break;
	case ACT_OPEN:
		if (n == 0)
			return REACT_NONE;
		c->schema_v.detail = true;
		break;
	case ACT_BACK:
		if (!c->schema_v.detail)
			return REACT_UNKNOWN;
		c->schema_v.detail = false;
		break;
	default: return REACT_UNKNOWN;
	}
	return REACT_REDRAW;
}

static char *
s_filter(struct console *c)
{
	return c->schema_v.filter;
}

unsigned
view_schema_open(struct console *c)
{
	const char *name = NULL;

	if (c->snap && c->overview.sel.has)
		for (int i = 0; i < c->snap->n_nodes; i++)
			if (rows_node_id(i) == c->overview.sel.id)
				name = view_cluster_name(c, c->snap->nodes[i].cluster);
	for (int i = 0; name && c->schema && i < c->schema->n_clusters; i++)
		if (strcmp(c->schema->clusters[i].name, name) == 0 && i != c->schema_v.cluster) {
			c->schema_v.cluster = i;
			memset(&c->schema_v.sel, 0, sizeof(c->schema_v.sel));
		}
	c->schema_v.detail = false;
	console_push(c, VIEW_SCHEMA);
	return REACT_REDRAW;
}

const struct view view_schema = {
    .id = VIEW_SCHEMA,
    .title = "Schema health",
    .keys = &keymap_schema,
    .moves = true,
    .filter = s_filter,
    .draw = s_draw,
    .act = s_act,
};
