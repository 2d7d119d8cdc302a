/*
 * console_draw.c: the frame around the views.
 *
 *   row 0        top line: dbdeck · config · refresh 1s · PAUSED · READ-ONLY ... 13:45:02 UTC
 *   row 1        tabs: 1 Overview  2 Slow queries (n)  3 Alerts & events (n)  4 Help  › detail
 *   rows 2..r-3  the current view
 *   row r-2      status line: a message, or the ':' / '/' prompt being typed
 *   row r-1      key hints of the current view (generated from its keymap)
 *
 * Below 80x24 only "terminal too small (need 80x24)" is drawn. The clock is
 * UTC, like every time the console shows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "view.h"

static void
too_small(struct console *c, struct screen *scr)
{
	char msg[64];
	(void)c;
	snprintf(msg, sizeof(msg), "terminal too small (need %dx%d)", CONSOLE_MIN_COLS,
	    CONSOLE_MIN_ROWS);
	int y = scr->rows / 2 - 1, len = (int)strlen(msg);
	screen_put(scr, y < 0 ? 0 : y, len < scr->cols ? (scr->cols - len) / 2 : 0, DD_STYLE_WARN,
	    msg, scr->cols);
	snprintf(msg, sizeof(msg), "now %dx%d", scr->cols, scr->rows);
	len = (int)strlen(msg);
	screen_put(
	    scr, y + 1, len < scr->cols ? (scr->cols - len) / 2 : 0, DD_STYLE_DIM, msg, scr->cols);
}

static void
top_line(struct console *c, struct screen *scr)
{
	char t[32], iv[24];
	const char *sep = c->gl->sep;
	screen_fill(scr, 0, 0, scr->cols, DD_STYLE_TITLE, " ");
	int x = screen_printf(scr, 0, 0, DD_STYLE_TITLE, scr->cols, " dbdeck%s%s%srefresh %s", sep,
	    c->config_name, sep, fmt_interval(iv, sizeof(iv), c->refresh_ms));
	if (c->snap)
		x += screen_printf(scr, 0, x, DD_STYLE_TITLE, scr->cols, "%s%s", sep,
		    dd_health_name(c->snap->health));
	if (c->paused) {
		x += screen_put(scr, 0, x, DD_STYLE_TITLE, sep, 5);
		x += screen_put(scr, 0, x, DD_STYLE_WARN, "PAUSED", 10);
		if (c->snap)
			x += screen_printf(scr, 0, x, DD_STYLE_TITLE, 40, " (data of %s)",
			    fmt_utc(t, sizeof(t), c->snap->generated_wall_ms, 0));
	}
	if (c->read_only) {
		x += screen_put(scr, 0, x, DD_STYLE_TITLE, sep, 5);
		screen_put(scr, 0, x, DD_STYLE_READONLY_BANNER, "READ-ONLY", 10);
	}
	snprintf(iv, sizeof(iv), "%s UTC ", fmt_utc(t, sizeof(t), c->now_wall_ms, 0));
	int w = (int)strlen(iv);
	screen_put(scr, 0, scr->cols - w, DD_STYLE_TITLE, iv, w);
}

static int
tab(struct console *c, struct screen *scr, int x, enum view_id v, int count)
{
	char buf[64];
	bool cur = c->view == v || (c->view >= VIEW_TOP_COUNT && c->depth > 0 && c->back[0] == v);
	if (count >= 0)
		snprintf(buf, sizeof(buf), " %d %s (%d) ", (int)v + 1, view_get(v)->title, count);
	else
		snprintf(buf, sizeof(buf), " %d %s ", (int)v + 1, view_get(v)->title);
	return screen_put(
	    scr, 1, x, cur ? DD_STYLE_SELECTION : DD_STYLE_NORMAL, buf, scr->cols - x);
}

static void
tabs_line(struct console *c, struct screen *scr)
{
	int x = 0;
	x += tab(c, scr, x, VIEW_OVERVIEW, -1);
	x += tab(c, scr, x, VIEW_QUERIES, c->snap ? c->snap->n_queries : -1);
	x += tab(c, scr, x, VIEW_EVENTS, c->snap ? c->snap->n_alerts : -1);
	x += tab(c, scr, x, VIEW_HELP, -1);
	if (c->view == VIEW_NODE) {
		const char *n = view_node_name(c, c->detail.node);
		char clean[64];
		dd_text_sanitize(clean, sizeof(clean), n, strlen(n), 30, view_text_flags(c));
		screen_printf(
		    scr, 1, x + 1, DD_STYLE_ACCENT, scr->cols - x - 1, "> node %s", clean);
	} else if (c->view == VIEW_STATEMENT) {
		screen_put(scr, 1, x + 1, DD_STYLE_ACCENT, "> statement", scr->cols - x - 1);
	} else if (c->view == VIEW_BACKUPS) {
		screen_put(scr, 1, x + 1, DD_STYLE_ACCENT, "> backups", scr->cols - x - 1);
	} else if (c->view == VIEW_SCHEMA) {
		screen_put(scr, 1, x + 1, DD_STYLE_ACCENT, "> schema health", scr->cols - x - 1);
	} else if (c->view == VIEW_OVERVIEW && c->overview.filter[0]) {
		char clean[64];
		dd_text_sanitize(clean, sizeof(clean), c->overview.filter,
		    strlen(c->overview.filter), 30, view_text_flags(c));
		screen_printf(scr, 1, x + 1, DD_STYLE_ACCENT, scr->cols - x - 1,
		    "filter /%s (Esc clears)", clean);
	}
}

static void
prompt_line(struct console *c, struct screen *scr, int y)
{
	const struct lineedit *e = c->prompt == PROMPT_COMMAND    ? &c->cmd_edit
	                           : c->prompt == PROMPT_DATABASE ? &c->db_edit
	                                                          : &c->filter_edit;
	const char *lead = c->prompt == PROMPT_COMMAND    ? ":"
	                   : c->prompt == PROMPT_DATABASE ? "restore into database: "
	                                                  : "/";
	char before[LINEEDIT_MAX * 3], after[LINEEDIT_MAX * 3];
	unsigned tf = view_text_flags(c);
	int x = screen_put(scr, y, 0, DD_STYLE_INPUT, lead, 30);
	/* Sanitized in two halves so that the cursor lands where it is in the text. */
	dd_text_sanitize(before, sizeof(before), e->buf, e->cur, scr->cols - 2, tf);
	dd_text_sanitize(after, sizeof(after), e->buf + e->cur, e->len - e->cur, scr->cols, tf);
	x += screen_put(scr, y, x, DD_STYLE_INPUT, before, scr->cols - x - 1);
	int n = screen_put(scr, y, x, DD_STYLE_INPUT, after, scr->cols - x);
	if (n == 0)
		screen_put(scr, y, x, DD_STYLE_BUTTON_FOCUS, " ", 1);
	else
		screen_restyle(scr, y, x, 1, DD_STYLE_BUTTON_FOCUS);
}

static void
status_line(struct console *c, struct screen *scr, int y)
{
	if (c->prompt != PROMPT_NONE) {
		prompt_line(c, scr, y);
		return;
	}
	if (c->status[0] && c->now_wall_ms < c->status_until_ms)
		screen_put(scr, y, 0, c->status_style, c->status, scr->cols);
}

/* Appends one hint ("KEY label") if it fits entirely. */
static int
hint(struct screen *scr, int y, int x, const char *keys, const char *label)
{
	int need = (int)strlen(keys) + (label ? (int)strlen(label) + 1 : 0) + 2;
	if (x + need > scr->cols)
		return x;
	x += screen_put(scr, y, x, DD_STYLE_KEY, keys, 40);
	if (label)
		x += screen_printf(scr, y, x, DD_STYLE_STATUS_BAR, 40, " %s", label);
	return x + 2;
}

/* Hints of m's bindings; first = true: only help and quit, false: all but those. */
static int
map_hints(struct console *c, struct screen *scr, int y, int x, const struct keymap *m, int first)
{
	char keys[64];
	for (size_t i = 0; i < m->n; i++) {
		const struct keybind *b = &m->binds[i];
		bool prime = b->act == ACT_VIEW_HELP || b->act == ACT_QUIT;
		if (!(b->flags & KB_HINT) || (c->read_only && (b->flags & KB_ACTION)))
			continue;
		if ((first == 1 && !prime) || (first == 0 && prime))
			continue;
		x = hint(scr, y, x, keys_name(b->key, keys, sizeof(keys)), b->hint);
	}
	return x;
}

static void
hints_line(struct console *c, struct screen *scr, int y)
{
	const struct view *v = view_get(c->view);
	screen_fill(scr, y, 0, scr->cols, DD_STYLE_STATUS_BAR, " ");
	int x = 1;
	if (c->dlg.open) {
		map_hints(c, scr, y, x, &keymap_dialog, -1);
		return;
	}
	if (c->prompt != PROMPT_NONE) {
		map_hints(c, scr, y, x, &keymap_prompt, -1);
		return;
	}
	if (v->moves) {
		char mv[16];
		snprintf(mv, sizeof(mv), "%s%s", c->gl->up, c->gl->down);
		x = hint(scr, y, x, mv,
		    v->id == VIEW_OVERVIEW || v->id == VIEW_QUERIES ? "select" : "scroll");
	}
	/* The view's own keys, then help and quit, then the other global keys while they fit. */
	x = map_hints(c, scr, y, x, v->keys, -1);
	x = map_hints(c, scr, y, x, &keymap_global, 1);
	map_hints(c, scr, y, x, &keymap_global, 0);
}

void
console_draw(struct console *c, struct screen *scr)
{
	screen_clear(scr, DD_STYLE_NORMAL);
	if (scr->cols < CONSOLE_MIN_COLS || scr->rows < CONSOLE_MIN_ROWS) {
		too_small(c, scr);
		return;
	}
	int h = scr->rows - 4;
	c->page_height = h;
	top_line(c, scr);
	tabs_line(c, scr);
	if (c->snap)
		view_get(c->view)->draw(c, scr, 2, h);
	else if (c->view == VIEW_HELP)
		view_help.draw(c, scr, 2, h);
	else
		screen_put(
		    scr, 3, 2, DD_STYLE_DIM, "waiting for the first probe round...", scr->cols - 4);
	status_line(c, scr, scr->rows - 2);
	hints_line(c, scr, scr->rows - 1);
	dialog_draw(&c->dlg, scr, c->gl);
	if (c->act.shown && !c->dlg.open) {
		char lines[ACTION_LINES + 3][160];
		int n = 0;
		for (int i = 0; i < c->act.n; i++)
			memcpy(lines[n++], c->act.lines[i], sizeof(lines[0]));
		lines[n++][0] = '\0';
		for (int i = 0; i < 2; i++)
			if (c->act.outcome[i][0])
				memcpy(lines[n++], c->act.outcome[i], sizeof(lines[0]));
		dialog_panel_draw(scr, c->gl, !c->act.ok && c->act.finished, c->act.title,
		    (const char(*)[160])lines, n,
		    c->act.finished ? "Esc: close" : "running: every step as it ends");
	}
}
