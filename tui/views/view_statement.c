/*
 * view_statement.c: one slow query in full: its particulars (node, pid, user,
 * database, client, application, state, wait event, start, duration) and
 * the whole statement, sanitized with line breaks kept and wrapped to the
 * screen (dd_text_sanitize + dd_text_wrap). The sanitized text is kept after
 * the query ends, so the operator can still read what it was. 'c' and 'K'
 * act on it as in the slow-query list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/util.h"
#include "fmt.h"
#include "view.h"

/* The most sanitized text kept (a 1 MB statement fits; the sanitizer marks a cut with …). */
#define STMT_TEXT_MAX (4u << 20)

static void
head_untrusted(struct console *c, const char *label, const char *raw, size_t len)
{
	char clean[160];
	if (c->stmt.nhead >= (int)DD_ARRAY_LEN(c->stmt.head))
		return;
	dd_text_sanitize(
	    clean, sizeof(clean), raw ? raw : "", raw ? len : 0, 120, view_text_flags(c));
	snprintf(c->stmt.head[c->stmt.nhead++], sizeof(c->stmt.head[0]), "%-12s %s", label, clean);
}

static void
head_line(struct console *c, const char *label, const char *text)
{
	head_untrusted(c, label, text, strlen(text));
}

static void
cache_fill(struct console *c, const struct dd_snap_query *q)
{
	char buf[96], t[32];
	size_t cap = q->text_len * 4 + 64;
	if (cap > STMT_TEXT_MAX)
		cap = STMT_TEXT_MAX;
	free(c->stmt.text);
	free(c->stmt.lines);
	c->stmt.lines = NULL;
	c->stmt.wrap_cols = 0;
	c->stmt.text = xmalloc(cap);
	dd_text_sanitize(c->stmt.text, cap, q->text ? q->text : "", q->text ? q->text_len : 0,
	    0x7fffffff, view_text_flags(c) | DD_TEXT_KEEP_NEWLINES);
	c->stmt.text_len = strlen(c->stmt.text);
	c->stmt.text_id = c->stmt.id;
	c->stmt.nhead = 0;
	snprintf(buf, sizeof(buf), "%s (cluster %s)", view_node_name(c, q->node),
	    view_cluster_name(c, q->cluster));
	head_line(c, "node", buf);
	snprintf(buf, sizeof(buf), "%" PRId64, q->pid);
	head_line(c, "pid", buf);
	head_untrusted(c, "user", q->user, q->user ? strlen(q->user) : 0);
	head_untrusted(c, "database", q->database, q->database ? strlen(q->database) : 0);
	head_untrusted(c, "client", q->client, q->client ? strlen(q->client) : 0);
	head_untrusted(
	    c, "application", q->application, q->application ? strlen(q->application) : 0);
	head_untrusted(c, "state", q->state, q->state ? strlen(q->state) : 0);
	head_untrusted(c, "wait event", q->wait_event, q->wait_event ? strlen(q->wait_event) : 0);
	snprintf(buf, sizeof(buf), "%s.%03d UTC", fmt_utc(t, sizeof(t), q->started_wall_ms, 1),
	    (int)(q->started_wall_ms % 1000));
	head_line(c, "started", buf);
	snprintf(buf, sizeof(buf), "%zu bytes", q->text_len);
	head_line(c, "length", buf);
	c->stmt.have = true;
}

static void
wrap(struct console *c, int cols)
{
	if (c->stmt.lines && c->stmt.wrap_cols == cols)
		return;
	free(c->stmt.lines);
	c->stmt.nlines = dd_text_wrap(c->stmt.text, cols, NULL, 0);
	c->stmt.lines = xcalloc(c->stmt.nlines ? c->stmt.nlines : 1, sizeof(*c->stmt.lines));
	dd_text_wrap(c->stmt.text, cols, c->stmt.lines, c->stmt.nlines);
	c->stmt.wrap_cols = cols;
}

static void
st_draw(struct console *c, struct screen *scr, int y, int h)
{
	int qi = rows_find_query(c->snap, c->stmt.id);
	char d[24];
	if (qi >= 0 && (!c->stmt.have || c->stmt.text_id != c->stmt.id))
		cache_fill(c, &c->snap->queries[qi]);
	if (!c->stmt.have || c->stmt.text_id != c->stmt.id) {
		screen_put(
		    scr, y + 1, 2, DD_STYLE_DIM, "this query is no longer running", scr->cols - 4);
		return;
	}
	struct pager p;
	pager_begin(&p, scr, y, h, 1, scr->cols - 2, c->stmt.top, c->gl->utf8);
	for (int i = 0; i < c->stmt.nhead; i++) {
		pager_line(&p);
		pager_text(&p, DD_STYLE_NORMAL, c->stmt.head[i]);
	}
	pager_line(&p);
	if (qi >= 0)
		pager_printf(&p, DD_STYLE_NORMAL, "%-12s %s", "running",
		    fmt_secs(d, sizeof(d), c->snap->queries[qi].duration_s));
	else
		pager_text(&p, DD_STYLE_WARN, "ended        (no longer in the slow-query list)");
	pager_line(&p);
	pager_rule(&p, DD_STYLE_BORDER, c->gl->hline);
	wrap(c, p.w);
	for (size_t i = 0; i < c->stmt.nlines; i++) {
		if (!pager_line(&p))
			continue;
		screen_putn(scr, p.y0 + p.line - p.top, p.x0, DD_STYLE_NORMAL,
		    c->stmt.text + c->stmt.lines[i].off, c->stmt.lines[i].len, p.w);
	}
	c->page_lines = pager_count(&p);
	c->page_height = h;
}

static unsigned
st_act(struct console *c, enum action a, int h)
{
	if (view_page_scroll(c, &c->stmt.top, a, h))
		return REACT_REDRAW;
	if (a == ACT_CANCEL_QUERY || a == ACT_TERMINATE_QUERY) {
		int qi = rows_find_query(c->snap, c->stmt.id);
		if (qi < 0 && !c->read_only) {
			console_status(c, DD_STYLE_WARN, "this query is no longer running");
			return REACT_REDRAW;
		}
		return view_ask_cancel(c, qi, a == ACT_TERMINATE_QUERY);
	}
	return REACT_UNKNOWN;
}

const struct view view_statement = {
    .id = VIEW_STATEMENT,
    .title = "Statement",
    .keys = &keymap_statement,
    .moves = true,
    .filter = NULL,
    .draw = st_draw,
    .act = st_act,
};
