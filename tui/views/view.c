/*
 * view.c: what the views share: the table of views, page scrolling, and the
 * confirmation dialog of query cancel / terminate (every destructive action
 * names its target and starts with the focus on Cancel; read-only mode
 * refuses it before any dialog).
 */
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

const struct view *
view_get(enum view_id id)
{
	static const struct view *const views[VIEW_COUNT] = {
	    [VIEW_OVERVIEW] = &view_overview,
	    [VIEW_QUERIES] = &view_queries,
	    [VIEW_EVENTS] = &view_events,
	    [VIEW_HELP] = &view_help,
	    [VIEW_NODE] = &view_node,
	    [VIEW_STATEMENT] = &view_statement,
	    [VIEW_BACKUPS] = &view_backups,
	    [VIEW_SCHEMA] = &view_schema,
	};
	return id < VIEW_COUNT ? views[id] : &view_overview;
}

unsigned
view_text_flags(const struct console *c)
{
	return c->gl->utf8 ? DD_TEXT_UTF8 : 0;
}

bool
view_page_scroll(struct console *c, int *top, enum action a, int h)
{
	int page = h > 2 ? h - 1 : 1;
	int max = c->page_lines - c->page_height;
	switch (a) {
	case ACT_UP: (*top)--; break;
	case ACT_DOWN: (*top)++; break;
	case ACT_PAGE_UP: *top -= page; break;
	case ACT_PAGE_DOWN: *top += page; break;
	case ACT_HOME: *top = 0; break;
	case ACT_END: *top = max; break;
	default: return false;
	}
	if (*top > max)
		*top = max;
	if (*top < 0)
		*top = 0;
	return true;
}

const char *
view_node_name(const struct console *c, int i)
{
	return c->snap && i >= 0 && i < c->snap->n_nodes ? c->snap->nodes[i].name : "";
}

const char *
view_cluster_name(const struct console *c, int i)
{
	return c->snap && i >= 0 && i < c->snap->n_clusters ? c->snap->clusters[i].name : "";
}

static void
target_text(struct console *c, const struct dd_snap_query *q, char *buf, size_t len)
{
	char node[64], user[64], t[32];
	unsigned tf = view_text_flags(c);
	const char *nn = view_node_name(c, q->node);
	dd_text_sanitize(node, sizeof(node), nn, strlen(nn), 24, tf);
	dd_text_sanitize(
	    user, sizeof(user), q->user ? q->user : "", q->user ? strlen(q->user) : 0, 24, tf);
	snprintf(buf, len, "pid %" PRId64 " on %s, user %s, started %s UTC", q->pid, node, user,
	    fmt_utc(t, sizeof(t), q->started_wall_ms, 0));
}

static void
dialog_lines(struct console *c, const struct dd_snap_query *q, bool terminate)
{
	struct dialog *d = &c->dlg;
	bool u8 = c->gl->utf8;
	char t[40], dur[24];
	const char *nn = view_node_name(c, q->node), *cn = view_cluster_name(c, q->cluster);
	const struct dd_snap_node *n =
	    q->node >= 0 && q->node < c->snap->n_nodes ? &c->snap->nodes[q->node] : NULL;
	dialog_line_untrusted(d, "node", nn, strlen(nn), u8);
	dialog_line_untrusted(d, "cluster", cn, strlen(cn), u8);
	if (n)
		dialog_line(d, "server: %s", dd_role_name(n->role));
	dialog_line(d, "pid: %" PRId64, q->pid);
	dialog_line_untrusted(d, "user", q->user ? q->user : "", q->user ? strlen(q->user) : 0, u8);
	dialog_line_untrusted(d, "database", q->database ? q->database : "",
	    q->database ? strlen(q->database) : 0, u8);
	dialog_line(d, "query start: %s.%03d UTC (running %s)",
	    fmt_utc(t, sizeof(t), q->started_wall_ms, 1), (int)(q->started_wall_ms % 1000),
	    fmt_secs(dur, sizeof(dur), q->duration_s));
	dialog_line_untrusted(d, "query", q->text ? q->text : "", q->text ? q->text_len : 0, u8);
	dialog_line(d, "%s",
	    terminate ? "Closes the whole session; its open transaction rolls back."
	              : "Stops the statement; the session stays connected.");
	dialog_line(d, "The target is checked again (pid and query start) when it runs.");
}

/* Whether the cluster of node i has a writable primary that answers. */
static bool
primary_up(const struct console *c, int cl)
{
	const struct dd_snap_cluster *k = &c->snap->clusters[cl];
	return k->primary >= 0 && c->snap->nodes[k->primary].reachable;
}

unsigned
view_ask_action(struct console *c, int i, bool failover)
{
	const char *what = failover ? "failover" : "switchover";
	if (c->read_only) {
		console_status(c, DD_STYLE_READONLY_BANNER,
		    "READ-ONLY: %s is disabled (--read-only or read_only = true)", what);
		return REACT_REDRAW;
	}
	if (!c->snap || i < 0 || i >= c->snap->n_nodes) {
		console_status(c, DD_STYLE_WARN, "no node selected");
		return REACT_REDRAW;
	}
	const struct dd_snap_node *n = &c->snap->nodes[i];
	if (!failover && n->role != DD_ROLE_REPLICA) {
		console_status(c, DD_STYLE_WARN,
		    "switchover: select a replica to promote (%s is a %s)", view_node_name(c, i),
		    dd_role_name(n->role));
		return REACT_REDRAW;
	}
	if (failover && primary_up(c, n->cluster)) {
		console_status(c, DD_STYLE_WARN,
		    "failover: the primary of %s answers; a planned change is a switchover (S)",
		    view_cluster_name(c, n->cluster));
		return REACT_REDRAW;
	}
	memset(&c->req, 0, sizeof(c->req));
	c->req.kind = REQ_PLAN;
	c->req.failover = failover;
	snprintf(c->req.cluster_name, sizeof(c->req.cluster_name), "%s",
	    view_cluster_name(c, n->cluster));
	if (!failover)
		snprintf(c->req.fo_to, sizeof(c->req.fo_to), "%s", view_node_name(c, i));
	console_status(
	    c, DD_STYLE_STATUS_BAR, "planning the %s of %s ...", what, c->req.cluster_name);
	return REACT_REDRAW | REACT_REQUEST;
}

/* :failover without a node: a node of the one cluster whose primary is down, else -1 and why. */
static int
down_cluster_node(struct console *c, char *why, size_t len)
{
	int found = -1, n_down = 0;
	char names[120] = "";

	for (int k = 0; c->snap && k < c->snap->n_clusters; k++) {
		if (primary_up(c, k))
			continue;
		for (int i = 0; i < c->snap->n_nodes; i++)
			if (c->snap->nodes[i].cluster == k) {
				size_t used = strlen(names);
				snprintf(names + used, sizeof(names) - used, "%s%s",
				    n_down ? ", " : "", view_cluster_name(c, k));
				n_down++;
				found = i;
				break;
			}
	}
	if (n_down == 0)
		snprintf(why, len,
		    "failover: every cluster's primary answers; a planned change is :switchover "
		    "NODE");
	else if (n_down > 1)
		snprintf(why, len,
		    "failover: the primaries of %s are down: name a node (:failover NODE)", names);
	return n_down == 1 ? found : -1;
}

unsigned
view_ask_action_named(struct console *c, const char *node, bool failover)
{
	char why[200], shown[64];
	int i = -1;

	if (c->read_only || !c->snap)
		return view_ask_action(c, -1, failover);
	if (node == NULL) {
		if ((i = down_cluster_node(c, why, sizeof(why))) < 0) {
			console_status(c, DD_STYLE_WARN, "%s", why);
			return REACT_REDRAW;
		}
		return view_ask_action(c, i, true);
	}
	for (int k = 0; k < c->snap->n_nodes && i < 0; k++)
		if (strcmp(view_node_name(c, k), node) == 0)
			i = k;
	if (i < 0) {
		dd_text_sanitize(shown, sizeof(shown), node, strlen(node), 32, view_text_flags(c));
		console_status(c, DD_STYLE_WARN, "no node '%s' in the configuration", shown);
		return REACT_REDRAW;
	}
	unsigned r = view_ask_action(c, i, failover);
	if (failover && (r & REACT_REQUEST))
		snprintf(c->req.fo_to, sizeof(c->req.fo_to), "%s", view_node_name(c, i));
	return r;
}

unsigned
view_ask_cancel(struct console *c, int qi, bool terminate)
{
	if (c->read_only) {
		console_status(c, DD_STYLE_READONLY_BANNER,
		    "READ-ONLY: %s is disabled (--read-only or read_only = true)",
		    terminate ? "terminating a session" : "cancelling a query");
		return REACT_REDRAW;
	}
	if (!c->snap || qi < 0 || qi >= c->snap->n_queries) {
		console_status(c, DD_STYLE_WARN, "no query selected");
		return REACT_REDRAW;
	}
	const struct dd_snap_query *q = &c->snap->queries[qi];
	dialog_confirm(&c->dlg, terminate ? "Terminate this session?" : "Cancel this query?",
	    terminate ? "Terminate" : "Cancel query", terminate);
	dialog_lines(c, q, terminate);
	memset(&c->pending, 0, sizeof(c->pending));
	c->pending.kind = REQ_CANCEL_QUERY;
	c->pending.cluster = q->cluster;
	c->pending.node = q->node;
	c->pending.pid = q->pid;
	c->pending.started_wall_ms = q->started_wall_ms;
	c->pending.started_us = q->started_us;
	c->pending.text_hash = q->text_hash;
	c->pending.terminate = terminate;
	snprintf(c->pending.cluster_name, sizeof(c->pending.cluster_name), "%s",
	    view_cluster_name(c, q->cluster));
	snprintf(
	    c->pending.node_name, sizeof(c->pending.node_name), "%s", view_node_name(c, q->node));
	target_text(c, q, c->pending.target, sizeof(c->pending.target));
	return REACT_REDRAW;
}
