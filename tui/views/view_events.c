/*
 * view_events.c: alerts and events. The active alerts first (severity, since,
 * where, rule, message), then the event log, newest first: alerts raised and
 * cleared, breaker transitions, role changes, nodes down and up, and operator
 * actions with their results. '/' filters both.
 */
#include <stdio.h>
#include <string.h>

#include "dbdeck/alerts.h"
#include "fmt.h"
#include "view.h"

static uint16_t
sev_style(enum dd_severity s)
{
	return s == DD_SEV_CRIT   ? DD_STYLE_CRIT
	       : s == DD_SEV_WARN ? DD_STYLE_WARN
	                          : DD_STYLE_NORMAL;
}

static void
where(struct pager *p, const char *cluster, const char *node)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "%s%s%s", cluster ? cluster : "", node && node[0] ? "/" : "",
	    node ? node : "");
	pager_raw(p, DD_STYLE_NORMAL, buf, strlen(buf), 16);
}

static void
header(struct pager *p, const char *title, int n, const char *after)
{
	pager_line(p);
	pager_printf(p, DD_STYLE_HEADER, "%s (%d%s)", title, n, after);
	pager_rule(p, DD_STYLE_HEADER, " ");
}

static void
alert_lines(struct console *c, struct pager *p)
{
	char t[32];
	rows_alerts(c->snap, c->events.filter, &c->rows);
	header(p, "ACTIVE ALERTS", c->rows.n, "");
	if (c->rows.n == 0) {
		pager_line(p);
		pager_text(p, DD_STYLE_DIM, "  none");
	}
	for (int i = 0; i < c->rows.n; i++) {
		const struct dd_snap_alert *a = &c->snap->alerts[c->rows.idx[i]];
		if (!pager_line(p))
			continue;
		pager_printf(
		    p, sev_style(a->severity), "%-5s", dd_severity_short_name(a->severity));
		pager_tab(p, 6);
		pager_text(p, DD_STYLE_DIM, fmt_utc(t, sizeof(t), a->since_wall_ms, 2));
		pager_tab(p, 21);
		where(p, a->cluster, a->node);
		pager_tab(p, 38);
		pager_raw(p, DD_STYLE_NORMAL, a->message, strlen(a->message), 0);
		pager_text(p, DD_STYLE_DIM, " [");
		pager_raw(p, DD_STYLE_DIM, a->rule, strlen(a->rule), 0);
		pager_text(p, DD_STYLE_DIM, "]");
	}
}

static void
event_lines(struct console *c, struct pager *p)
{
	char t[32];
	rows_events(c->snap, c->events.filter, &c->rows);
	pager_line(p);
	header(p, "EVENTS", c->rows.n, ", newest first");
	if (c->rows.n == 0) {
		pager_line(p);
		pager_text(p, DD_STYLE_DIM, "  none");
	}
	for (int i = 0; i < c->rows.n; i++) {
		const struct dd_snap_event *e = &c->snap->events[c->rows.idx[i]];
		if (!pager_line(p))
			continue;
		pager_text(p, DD_STYLE_DIM, fmt_utc(t, sizeof(t), e->wall_ms, 2));
		pager_tab(p, 15);
		pager_printf(
		    p, sev_style(e->severity), "%-5s", dd_severity_short_name(e->severity));
		pager_tab(p, 21);
		pager_text(p, e->kind == DD_EVENT_ACTION ? DD_STYLE_ACCENT : DD_STYLE_NORMAL,
		    dd_event_kind_name(e->kind));
		pager_tab(p, 29);
		where(p, e->cluster, e->node);
		pager_tab(p, 46);
		pager_raw(p, DD_STYLE_NORMAL, e->message, strlen(e->message), 0);
	}
}

static void
ev_draw(struct console *c, struct screen *scr, int y, int h)
{
	struct pager p;
	pager_begin(&p, scr, y, h, 0, scr->cols, c->events.top, c->gl->utf8);
	if (c->events.filter[0]) {
		char f[96];
		dd_text_sanitize(f, sizeof(f), c->events.filter, strlen(c->events.filter), 60,
		    view_text_flags(c));
		pager_line(&p);
		pager_text(&p, DD_STYLE_DIM, "filter: ");
		pager_text(&p, DD_STYLE_FILTER, f);
	}
	alert_lines(c, &p);
	event_lines(c, &p);
	c->page_lines = pager_count(&p);
	c->page_height = h;
}

static unsigned
ev_act(struct console *c, enum action a, int h)
{
	return view_page_scroll(c, &c->events.top, a, h) ? REACT_REDRAW : REACT_UNKNOWN;
}

static char *
ev_filter(struct console *c)
{
	return c->events.filter;
}

const struct view view_events = {
    .id = VIEW_EVENTS,
    .title = "Alerts & events",
    .keys = &keymap_events,
    .moves = true,
    .filter = ev_filter,
    .draw = ev_draw,
    .act = ev_act,
};
