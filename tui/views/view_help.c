/*
 * view_help.c: every key of every view and every ':' command, generated from
 * the keymap tables (keys.c) and the command table (cmdline.c): one source,
 * so help cannot go stale. '/' searches (only matching lines are shown).
 * In read-only mode the keys that act on servers are marked disabled.
 */
#include <stdio.h>
#include <string.h>

#include "console_util.h"
#include "view.h"

#define KEYCOL 18

struct help_ctx {
	struct console *c;
	struct pager *p;
	const char *section; /* title not yet written */
};

static bool
wanted(struct help_ctx *h, const char *a, const char *b)
{
	const char *f = h->c->help.filter;
	return !f[0] || tui_contains(a, strlen(a), f) || tui_contains(b, strlen(b), f) ||
	       (h->section && tui_contains(h->section, strlen(h->section), f));
}

static void
emit(struct help_ctx *h, const char *left, uint16_t lstyle, const char *right, uint16_t rstyle)
{
	if (!wanted(h, left, right))
		return;
	if (h->section) {
		if (pager_count(h->p) > 0)
			pager_line(h->p);
		pager_line(h->p);
		pager_text(h->p, DD_STYLE_HEADER, h->section);
		pager_rule(h->p, DD_STYLE_HEADER, " ");
		h->section = NULL;
	}
	pager_line(h->p);
	pager_tab(h->p, 2);
	pager_text(h->p, lstyle, left);
	pager_tab(h->p, KEYCOL);
	pager_text(h->p, rstyle, right);
}

static void
keymap_lines(struct help_ctx *h, const struct keymap *m)
{
	char keys[96], text[256];
	h->section = m->name;
	for (size_t i = 0, next; i < m->n; i = next) {
		const struct keybind *b = &m->binds[i];
		keys_group(m, i, &next, keys, sizeof(keys));
		bool off = h->c->read_only && (b->flags & KB_ACTION);
		snprintf(text, sizeof(text), "%s%s%s", b->help,
		    (b->flags & KB_DANGER) ? " [dangerous]" : "",
		    off ? " (disabled: read-only)" : "");
		emit(h, keys, DD_STYLE_KEY, text, off ? DD_STYLE_DIM : DD_STYLE_NORMAL);
	}
}

static void
command_lines(struct help_ctx *h)
{
	char text[256];
	h->section = "Commands (type : then the command, Enter runs it)";
	for (size_t i = 0; i < ccmd_count; i++) {
		const struct ccmd_def *d = &ccmd_defs[i];
		snprintf(text, sizeof(text), "%s%s", d->help,
		    d->available ? "" : " (not yet available)");
		emit(
		    h, d->usage, DD_STYLE_KEY, text, d->available ? DD_STYLE_NORMAL : DD_STYLE_DIM);
	}
}

static void
legend_lines(struct help_ctx *h)
{
	const struct glyphs *g = h->c->gl;
	char a[64], b[160];
	h->section = "Reading the overview";
	emit(h, "X", DD_STYLE_CRIT, "critical: node down, breaker open, or lag past lag_critical",
	    DD_STYLE_NORMAL);
	emit(h, "!", DD_STYLE_WARN,
	    "warning: lag past lag_max (lag shown as 12s!), lagging, breaker half-open",
	    DD_STYLE_NORMAL);
	emit(h, "~", DD_STYLE_STALE,
	    "stale: the node's probe is late, figures are from an older round", DD_STYLE_NORMAL);
	snprintf(a, sizeof(a), "%s%s%s", g->bar_used, g->bar_idle, g->bar_empty);
	emit(h, a, DD_STYLE_BAR_FILL,
	    "POOL a+i/max wN: dbdeck's pool, active+idle of max, N waiting", DD_STYLE_NORMAL);
	emit(h, a, DD_STYLE_BAR_FILL, "CONNS used/max: the server's connections of max_connections",
	    DD_STYLE_NORMAL);
	snprintf(a, sizeof(a), "%s%s%s%s", g->spark[0], g->spark[2], g->spark[5], g->spark[7]);
	snprintf(b, sizeof(b),
	    "LAG HISTORY: one sample per refresh, newest right; colours at lag_max and "
	    "lag_critical");
	emit(h, a, DD_STYLE_SPARKLINE, b, DD_STYLE_NORMAL);
	emit(h, "clock", DD_STYLE_KEY, "the top line's clock and every time shown are UTC",
	    DD_STYLE_NORMAL);
}

static void
hp_draw(struct console *c, struct screen *scr, int y, int h)
{
	struct pager p;
	struct help_ctx hc = {.c = c, .p = &p};
	pager_begin(&p, scr, y, h, 1, scr->cols - 2, c->help.top, c->gl->utf8);
	if (c->help.filter[0]) {
		char f[96];
		dd_text_sanitize(
		    f, sizeof(f), c->help.filter, strlen(c->help.filter), 60, view_text_flags(c));
		pager_line(&p);
		pager_text(&p, DD_STYLE_DIM, "search: ");
		pager_text(&p, DD_STYLE_FILTER, f);
	}
	for (int i = 0; keymaps_all[i]; i++)
		keymap_lines(&hc, keymaps_all[i]);
	command_lines(&hc);
	legend_lines(&hc);
	if (pager_count(&p) <= (c->help.filter[0] ? 1 : 0)) {
		pager_line(&p);
		pager_text(&p, DD_STYLE_DIM, "nothing matches the search (/ to change it)");
	}
	c->page_lines = pager_count(&p);
	c->page_height = h;
}

static unsigned
hp_act(struct console *c, enum action a, int h)
{
	return view_page_scroll(c, &c->help.top, a, h) ? REACT_REDRAW : REACT_UNKNOWN;
}

static char *
hp_filter(struct console *c)
{
	return c->help.filter;
}

const struct view view_help = {
    .id = VIEW_HELP,
    .title = "Help",
    .keys = &keymap_help,
    .moves = true,
    .filter = hp_filter,
    .draw = hp_draw,
    .act = hp_act,
};
