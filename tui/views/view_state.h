/*
 * view_state.h: what each view of the console keeps between frames, one
 * struct per view (in the manner of htop's Panel: a view's selection, filter,
 * scroll position and caches are its own, not loose fields of the console).
 * struct console (console.h) holds one of each; only the view's own file
 * (views/view_*.c) and the key handlers that act on that view touch it.
 */
#ifndef DD_VIEW_STATE_H
#define DD_VIEW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "dbdeck/text.h"
#include "selection.h"

#define FILTER_MAX LINEEDIT_MAX

enum qsort_key {
	QSORT_DURATION,
	QSORT_NODE,
	QSORT_USER,
	QSORT_DATABASE,
	QSORT_STATE,
	QSORT_PID,
	QSORT_COUNT
};

/* Clusters whose fold state the overview keeps (by index in the snapshot). */
#define OV_FOLD_MAX 4096

/* Overview (view_overview.c): the selected node, the node filter, the folded clusters. */
struct overview_state {
	struct selection sel;
	char filter[FILTER_MAX];
	unsigned char folded[OV_FOLD_MAX / 8]; /* bit k: cluster k shows one summary line */
};

/* Slow queries (view_queries.c): selection, filter and sort. */
struct queries_state {
	struct selection sel;
	char filter[FILTER_MAX];
	enum qsort_key sort;
	bool sort_asc;
};

/* Alerts & events (view_events.c) and help (view_help.c): a filtered page. */
struct page_state {
	int top; /* first line shown */
	char filter[FILTER_MAX];
};

/* Node detail (view_node.c): which node, and the page's first line. */
struct node_state {
	int node; /* the node's index */
	int top;
};

/* Statement (view_statement.c): the query, and its text kept after it ends. */
struct statement_state {
	uint64_t id; /* the query's id */
	int top;
	char *text; /* sanitized */
	size_t text_len;
	uint64_t text_id;
	struct dd_text_line *lines; /* the text wrapped for wrap_cols */
	size_t nlines;
	int wrap_cols;
	char head[10][200]; /* the query's particulars, formatted and sanitized */
	int nhead;
	bool have;
};

#endif
