/*
 * view.h: the views of the console, one const table each (view_*.c), in the
 * manner of htop's classes: draw into a screen, handle an action and return
 * reaction flags (never draw from a handler), a title, a keymap (keys.h) and
 * the view's filter, if it has one.
 */
#ifndef DD_VIEW_H
#define DD_VIEW_H

#include "console.h"
#include "layout.h"
#include "page.h"

struct view {
	enum view_id id;
	const char *title;
	const struct keymap *keys; /* the view's own keys (looked up first) */
	bool moves;                /* keymap_move applies */
	/* The view's filter text (FILTER_MAX bytes), or NULL when it has none. */
	char *(*filter)(struct console *c);
	/* Draws the view in rows [y, y + h) of the screen. */
	void (*draw)(struct console *c, struct screen *scr, int y, int h);
	/* Handles an action; h is the height of the view's area (for paging). */
	unsigned (*act)(struct console *c, enum action a, int h);
};

extern const struct view view_overview;
extern const struct view view_queries;
extern const struct view view_events;
extern const struct view view_help;
extern const struct view view_node;
extern const struct view view_statement;
extern const struct view view_backups;
extern const struct view view_schema;

const struct view *view_get(enum view_id id);

/* Scrolls a page's *top for a movement action; false when a is not one. */
bool view_page_scroll(struct console *c, int *top, enum action a, int h);

/* The text flags of dd_text_sanitize for this console's glyph set. */
unsigned view_text_flags(const struct console *c);

/*
 * Opens the confirmation dialog for cancelling (or terminating) query qi of
 * the snapshot, or says READ-ONLY. Returns reaction flags.
 */
unsigned view_ask_cancel(struct console *c, int qi, bool terminate);

/*
 * S and F on node i of the snapshot: a switchover to it (it must be a
 * replica) or a failover of its cluster (whose primary must be down). Asks
 * the loop to plan it (REQ_PLAN); the loop then opens the typed dialog with
 * the plan. Says READ-ONLY, or why not, on the status line.
 */
unsigned view_ask_action(struct console *c, int i, bool failover);
/*
 * The same from the command line (:switchover NODE, :failover [NODE]): node
 * by name; a failover without one takes the cluster whose primary is down
 * when exactly one is, and a failover with one promotes that node.
 */
unsigned view_ask_action_named(struct console *c, const char *node, bool failover);

/*
 * b: opens the Backups view on the selected node's cluster (overview, node
 * detail), else on the cluster it showed last.
 */
unsigned view_backups_open(struct console *c);
/*
 * The restore prompt gave the target database `into`: checks the name and
 * opens the typed dialog (the cluster's name must be typed) for the backup
 * in c->pending.bk_which. Returns reaction flags.
 */
unsigned view_backups_restore_ask(struct console *c, const char *into);

/* Opens the schema health view on the overview's selected node's cluster. */
unsigned view_schema_open(struct console *c);

/* The name of the node of index i in the snapshot, "" when out of range. */
const char *view_node_name(const struct console *c, int i);
const char *view_cluster_name(const struct console *c, int i);

#endif
