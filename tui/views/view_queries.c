/*
 * view_queries.c: the slow queries of every cluster in one table (duration,
 * node, pid, user, database, state, query), sortable ('s' column, 'r'
 * order) and filterable ('/'); Enter shows the whole statement; 'c' cancels
 * and 'K' terminates after a confirmation that names the target. The
 * selection follows the query (node, pid and start time), not the row.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "view.h"

enum { QC_DUR, QC_NODE, QC_PID, QC_USER, QC_DB, QC_STATE, QC_QUERY, QC_N };

static const struct layout_col q_cols[QC_N] = {
    [QC_DUR] = {"DURATION", 8, 8, 99, ALIGN_RIGHT},
    [QC_NODE] = {"NODE", 4, 8, 95, ALIGN_LEFT},
    [QC_PID] = {"PID", 5, 7, 70, ALIGN_RIGHT},
    [QC_USER] = {"USER", 4, 10, 80, ALIGN_LEFT},
    [QC_DB] = {"DATABASE", 4, 10, 75, ALIGN_LEFT},
    [QC_STATE] = {"STATE", 5, 8, 60, ALIGN_LEFT},
    [QC_QUERY] = {"QUERY", 10, 100000, 90, ALIGN_LEFT},
};
#define GAP 1

/* Which column shows each sort key. */
static const int sort_col[QSORT_COUNT] = {
    [QSORT_DURATION] = QC_DUR,
    [QSORT_NODE] = QC_NODE,
    [QSORT_USER] = QC_USER,
    [QSORT_DATABASE] = QC_DB,
    [QSORT_STATE] = QC_STATE,
    [QSORT_PID] = QC_PID,
};

static void
rebuild(struct console *c)
{
	rows_queries(c->snap, c->queries.filter, c->queries.sort, c->queries.sort_asc, &c->rows);
	sel_sync(&c->queries.sel, c->rows.ids, c->rows.n);
}

static void
untrusted_cell(struct console *c, struct screen *scr, int y, const int *w, int col, uint16_t st,
    const char *raw, size_t len)
{
	char buf[2048];
	if (w[col] <= 0)
		return;
	dd_text_sanitize(
	    buf, sizeof(buf), raw ? raw : "", raw ? len : 0, w[col], view_text_flags(c));
	layout_cell(scr, y, 0, q_cols, w, GAP, col, st, buf);
}

static void
query_row(struct console *c, struct screen *scr, int y, const int *w, int qi, bool selected)
{
	const struct dd_snap_query *q = &c->snap->queries[qi];
	char buf[64];
	const struct dd_snap_cluster *cl = q->cluster >= 0 && q->cluster < c->snap->n_clusters
	                                       ? &c->snap->clusters[q->cluster]
	                                       : NULL;
	double slow = cl ? (double)cl->slow_query_ms / 1000.0 : NAN;
	uint16_t ds = !isnan(slow) && slow > 0 && q->duration_s >= 10 * slow ? DD_STYLE_WARN
	                                                                     : DD_STYLE_NORMAL;
	layout_cell(
	    scr, y, 0, q_cols, w, GAP, QC_DUR, ds, fmt_secs(buf, sizeof(buf), q->duration_s));
	const char *nn = view_node_name(c, q->node);
	untrusted_cell(c, scr, y, w, QC_NODE, DD_STYLE_NORMAL, nn, strlen(nn));
	snprintf(buf, sizeof(buf), "%" PRId64, q->pid);
	layout_cell(scr, y, 0, q_cols, w, GAP, QC_PID, DD_STYLE_DIM, buf);
	untrusted_cell(
	    c, scr, y, w, QC_USER, DD_STYLE_NORMAL, q->user, q->user ? strlen(q->user) : 0);
	untrusted_cell(c, scr, y, w, QC_DB, DD_STYLE_NORMAL, q->database,
	    q->database ? strlen(q->database) : 0);
	untrusted_cell(
	    c, scr, y, w, QC_STATE, DD_STYLE_DIM, q->state, q->state ? strlen(q->state) : 0);
	untrusted_cell(c, scr, y, w, QC_QUERY, DD_STYLE_NORMAL, q->text, q->text ? q->text_len : 0);
	if (selected)
		screen_restyle(scr, y, 0, scr->cols, DD_STYLE_SELECTION);
}

static void
summary_line(struct console *c, struct screen *scr, int y)
{
	char f[96];
	int x = screen_printf(scr, y, 0, DD_STYLE_NORMAL, scr->cols, "%d slow quer%s", c->rows.n,
	    c->rows.n == 1 ? "y" : "ies");
	if (c->snap && c->rows.n != c->snap->n_queries)
		x +=
		    screen_printf(scr, y, x, DD_STYLE_DIM, scr->cols, " of %d", c->snap->n_queries);
	x += screen_printf(scr, y, x, DD_STYLE_DIM, scr->cols, "%ssort: %s %s", c->gl->sep,
	    rows_qsort_name(c->queries.sort), c->queries.sort_asc ? c->gl->up : c->gl->down);
	if (c->queries.filter[0]) {
		dd_text_sanitize(f, sizeof(f), c->queries.filter, strlen(c->queries.filter), 60,
		    view_text_flags(c));
		x += screen_put(scr, y, x, DD_STYLE_DIM, c->gl->sep, 5);
		x += screen_put(scr, y, x, DD_STYLE_DIM, "filter: ", 10);
		screen_put(scr, y, x, DD_STYLE_FILTER, f, scr->cols - x);
	}
}

static void
q_draw(struct console *c, struct screen *scr, int y, int h)
{
	int w[QC_N];
	struct layout_col cols[QC_N];
	char title[32];
	rebuild(c);
	memcpy(cols, q_cols, sizeof(cols));
	snprintf(title, sizeof(title), "%s%s", q_cols[sort_col[c->queries.sort]].title,
	    c->queries.sort_asc ? c->gl->up : c->gl->down);
	cols[sort_col[c->queries.sort]].title = title;
	layout_fit(cols, QC_N, scr->cols, GAP, w);
	summary_line(c, scr, y);
	screen_fill(scr, y + 1, 0, scr->cols, DD_STYLE_HEADER, " ");
	layout_header(scr, y + 1, 0, cols, QC_N, w, GAP, DD_STYLE_HEADER);
	int list_h = h - 2;
	if (c->rows.n == 0) {
		screen_put(scr, y + 3, 2, DD_STYLE_DIM,
		    c->queries.filter[0]
		        ? "no slow query matches the filter (/ to change it)"
		        : "no query has been running longer than its cluster's slow_query",
		    scr->cols - 4);
		return;
	}
	sel_scroll(&c->queries.sel, c->rows.n, list_h);
	for (int i = c->queries.sel.top, r = 0; i < c->rows.n && r < list_h; i++, r++)
		query_row(c, scr, y + 2 + r, w, c->rows.idx[i], i == c->queries.sel.row);
}

static int
selected_query(struct console *c)
{
	return c->rows.n > 0 ? c->rows.idx[c->queries.sel.row] : -1;
}

static unsigned
q_act(struct console *c, enum action a, int h)
{
	rebuild(c);
	struct selection *s = &c->queries.sel;
	int page = h > 4 ? h - 3 : 1, n = c->rows.n;
	switch (a) {
	case ACT_UP: sel_move(s, c->rows.ids, n, -1); break;
	case ACT_DOWN: sel_move(s, c->rows.ids, n, +1); break;
	case ACT_PAGE_UP: sel_move(s, c->rows.ids, n, -page); break;
	case ACT_PAGE_DOWN: sel_move(s, c->rows.ids, n, +page); break;
	case ACT_HOME: sel_move(s, c->rows.ids, n, -n); break;
	case ACT_END: sel_move(s, c->rows.ids, n, +n); break;
	case ACT_SORT:
		c->queries.sort = (enum qsort_key)((c->queries.sort + 1) % QSORT_COUNT);
		c->queries.sort_asc =
		    c->queries.sort != QSORT_DURATION && c->queries.sort != QSORT_PID;
		break;
	case ACT_SORT_REVERSE: c->queries.sort_asc = !c->queries.sort_asc; break;
	case ACT_OPEN:
		if (n == 0)
			return REACT_NONE;
		c->stmt.id = s->id;
		c->stmt.top = 0;
		console_push(c, VIEW_STATEMENT);
		break;
	case ACT_CANCEL_QUERY: return view_ask_cancel(c, selected_query(c), false);
	case ACT_TERMINATE_QUERY: return view_ask_cancel(c, selected_query(c), true);
	default: return REACT_UNKNOWN;
	}
	return REACT_REDRAW;
}

static char *
q_filter(struct console *c)
{
	return c->queries.filter;
}

const struct view view_queries = {
    .id = VIEW_QUERIES,
    .title = "Slow queries",
    .keys = &keymap_queries,
    .moves = true,
    .filter = q_filter,
    .draw = q_draw,
    .act = q_act,
};
