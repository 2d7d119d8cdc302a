/*
 * console.h: the state of the full-screen console, and the pure functions
 * that change and draw it. The picture:
 *
 *   console.c (loop)  waits in poll() on the terminal, the monitor's wake-up
 *                     descriptor and the job runner's; takes snapshots; turns
 *                     keys into console_key() calls; carries out requests.
 *   console_state.c   key dispatch: views' handlers return reaction flags
 *                     (REACT_*) and never draw; requests for the loop (cancel
 *                     a query, new refresh interval, pause) go into c->req.
 *   console_draw.c    draws the whole frame into a screen (screen.h): top
 *                     line, tabs, the view, status line, key hints, dialog.
 *   view_*.c          one const struct view per view.
 *   crt.c             the only file that talks to curses.
 *
 * Nothing here blocks or touches the network or the terminal: the unit tests
 * drive a console over hand-made snapshots and read the screen back.
 */
#ifndef DD_CONSOLE_H
#define DD_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "dbdeck/snapshot.h"
#include "dbdeck/text.h"
#include "dialog.h"
#include "glyphs.h"
#include "keys.h"
#include "screen.h"
#include "selection.h"
#include "view_state.h"
#include "theme.h"

/* The terminal size below which only "terminal too small" is shown. */
#define CONSOLE_MIN_COLS 80
#define CONSOLE_MIN_ROWS 24

struct dd_schema_result;

enum view_id {
	VIEW_OVERVIEW, /* the four top-level views: Tab and 1-4 */
	VIEW_QUERIES,
	VIEW_EVENTS,
	VIEW_HELP,
	VIEW_NODE,      /* Enter on a node */
	VIEW_STATEMENT, /* Enter on a slow query */
	VIEW_BACKUPS,   /* b: a cluster's backups and its backup job */
	VIEW_SCHEMA,    /* schema health ('i' on the overview) */
	VIEW_COUNT
};
#define VIEW_TOP_COUNT 4

/* Reaction flags of key handlers (htop's idea): the loop decides what to do. */
#define REACT_NONE    0x0u
#define REACT_REDRAW  0x1u /* the frame changed */
#define REACT_QUIT    0x2u
#define REACT_REQUEST 0x4u  /* c->req holds something for the loop */
#define REACT_STYLES  0x8u  /* the theme changed: re-make the colour pairs */
#define REACT_REPAINT 0x10u /* repaint the whole terminal (^L) */
#define REACT_UNKNOWN 0x20u /* the key means nothing here */

enum req_kind {
	REQ_NONE,
	REQ_CANCEL_QUERY, /* cancel or terminate a query (a core job) */
	REQ_REFRESH,      /* a new refresh interval */
	REQ_PAUSE,        /* pause or resume the monitor */
	REQ_PLAN,         /* plan a switchover or failover (a core job; the dialog follows) */
	REQ_RUN_PLAN,     /* the plan was confirmed: run it */
	REQ_PATRONI,      /* ask Patroni to pause or resume (a core job with audit records) */
	REQ_BACKUP,       /* a backup job: take, verify or restore (a core job) */
	REQ_QUIT,         /* quit although a backup job runs (it is cancelled) */
};

/* REQ_BACKUP's actions (the values of dd_backup_action). */
enum req_backup {
	REQ_BK_TAKE,
	REQ_BK_VERIFY,
	REQ_BK_RESTORE,
};

struct console_request {
	enum req_kind kind;
	/* REQ_CANCEL_QUERY: the target as chosen; the monitor re-checks it when it runs. */
	int cluster, node;
	int64_t pid;
	int64_t started_wall_ms, started_us;
	uint64_t text_hash;
	bool terminate;
	char cluster_name[64], node_name[64]; /* for the events log */
	char target[200]; /* "pid 123 on pg1 (pg), user app, started 13:45:02" (sanitized) */
	/* REQ_REFRESH */
	int64_t refresh_ms;
	/* REQ_PAUSE */
	bool pause;
	/* REQ_PLAN: cluster_name; fo_to the candidate ("" = the most advanced) */
	bool failover;
	char fo_to[64];
	/* REQ_BACKUP: cluster_name; take: node_name, target = why that node; verify,
	 * restore: bk_which (an id); restore: bk_into */
	enum req_backup bk_action;
	char bk_which[64], bk_into[64];
	bool bk_deep;
	/* REQ_PATRONI: cluster_name; enum dd_patroni_op; restart, reinit: node_name */
	int patroni_op;
};

/* A switchover or failover as the console shows it while it runs and after. */
#define ACTION_LINES 16
struct console_action {
	bool shown;    /* the panel is on screen */
	bool finished; /* Esc closes it */
	bool ok;       /* done */
	char title[120];
	char lines[ACTION_LINES][160]; /* "[ 3/11] done     0.052 s  fence pg1 (...)" */
	int n;
	char outcome[2][200];
};

/* Style numbers: the theme's roles, then two per cluster (title, border). */
#define STYLE_CLUSTERS 16
#define STYLE_COUNT    (DD_STYLE_COUNT + 2 * STYLE_CLUSTERS)
uint16_t style_cluster_title(int cluster);
uint16_t style_cluster_border(int cluster);

/* What the config says about a cluster's look. */
struct console_cluster_look {
	char name[64];
	char theme[72];  /* "" = the console's theme */
	char accent[24]; /* "" = none */
};
#define CONSOLE_MAX_LOOKS 64

/* A growable list of row indexes and their ids (nodes, queries, events). */
struct rowset {
	int *idx;
	uint64_t *ids;
	int n, cap;
};

enum prompt_kind {
	PROMPT_NONE,
	PROMPT_FILTER,
	PROMPT_COMMAND,
	PROMPT_DATABASE, /* the target database of a restore (Backups view) */
};

struct console {
	/* Set by the loop before each key or draw. */
	const struct dd_snapshot
	    *snap; /* borrowed: the loop holds the reference; NULL before the first */
	/* Schema health's newest round (schema.h): borrowed like snap; NULL when none. */
	const struct dd_schema_result *schema;
	int64_t now_wall_ms;

	/* Settings. */
	bool read_only;
	bool color; /* false: the mono theme, whatever is asked */
	const struct glyphs *gl;
	char config_name[64]; /* sanitized basename of the config file */
	int64_t refresh_ms;
	bool paused;

	/* Theme and styles (console_theme.c). */
	struct dd_theme theme;
	int theme_index; /* in the shipped list, for 't'; -1 when not one of them */
	struct dd_theme_style styles[STYLE_COUNT];
	unsigned styles_gen; /* bumped when styles change */
	struct console_cluster_look looks[CONSOLE_MAX_LOOKS];
	int n_looks;
	struct dd_theme_path theme_path;

	/* Views. */
	enum view_id view;
	enum view_id back[8];
	int depth;
	struct rowset rows; /* the current view's rows, rebuilt on demand */

	struct overview_state overview; /* each view's own state (view_state.h) */
	struct queries_state queries;
	struct page_state events, help;
	struct node_state detail;
	struct statement_state stmt;
	struct backups_state bk;
	struct schema_state schema_v;
	int page_lines; /* lines of the last drawn page (scroll bound) */
	int page_height;

	/* Prompt. */
	enum prompt_kind prompt;
	struct lineedit cmd_edit, filter_edit, db_edit;
	char filter_saved[FILTER_MAX];

	/* Status line. */
	char status[256];
	uint16_t status_style;
	int64_t status_until_ms;

	/* Dialog and the request it will make when confirmed. */
	struct dialog dlg;
	struct console_request pending;

	/* The running (or last) switchover / failover, filled by the loop. */
	struct console_action act;

	/* For the loop. */
	struct console_request req;
};

struct dd_job_status;
/*
 * Shows a switchover's or failover's state in c->act (the steps with their
 * states and durations, the outcome once it ended): the loop calls it when
 * the job changed. Pure.
 */
void console_action_show(struct console *c, const struct dd_job_status *st);

/* Sets defaults (overview, refresh from the argument, glyphs, default theme). */
void console_init(
    struct console *c, const struct glyphs *gl, bool color, bool read_only, int64_t refresh_ms);
/* Frees what the console owns (rows, statement text). */
void console_free(struct console *c);

/*
 * Handles one key (keys.h code). Returns REACT_* flags; with REACT_REQUEST,
 * c->req says what to do (the loop clears it).
 */
unsigned console_key(struct console *c, int key);

/* Draws the whole frame for the screen's size (the screen is cleared first). */
void console_draw(struct console *c, struct screen *scr);

/* A message in the status line for a few seconds. */
void console_status(struct console *c, uint16_t style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Switches to a view (top-level views clear the back stack). */
void console_show(struct console *c, enum view_id v);
/* Opens a view on top of the current one (Esc returns). */
void console_push(struct console *c, enum view_id v);

/* ---- console_theme.c ---- */

/* Fills c->theme_path (dd_theme_path_init): the user's, beside the binary, installed. */
void console_theme_dirs(struct console *c, const char *exe_path);
/*
 * Uses theme `name` (found in c->theme_path); on any error the default theme
 * and a status message with the reason (FILE:LINE). Without colours, always
 * the mono theme. Rebuilds the styles. Returns 0, or -1 after an error.
 */
int console_theme_use(struct console *c, const char *name);
/* The next shipped theme ('t'). */
int console_theme_next(struct console *c);
/* Rebuilds c->styles from c->theme and the clusters' looks. */
void console_styles_rebuild(struct console *c);
/* The shipped themes, in the order 't' cycles through them. */
extern const char *const console_shipped_themes[];

/* ---- rows.c ---- */

void rowset_clear(struct rowset *r);
void rowset_push(struct rowset *r, int idx, uint64_t id);
void rowset_free(struct rowset *r);

/*
 * True when every word of filter matches the item: "word" anywhere, "field:word"
 * in that field only, "!word" must not match. Case-insensitive substrings.
 * fields are (name, value, length) triples; n of them.
 */
struct filter_field {
	const char *name;
	const char *val;
	size_t len;
};
bool filter_match(const char *filter, const struct filter_field *f, int n);

uint64_t rows_node_id(int node);
/* A slow query's id: stable across snapshots while the same statement runs. */
uint64_t rows_query_id(const struct dd_snapshot *s, const struct dd_snap_query *q);
/* Nodes (snapshot order) matching the filter. */
void rows_nodes(const struct dd_snapshot *s, const char *filter, struct rowset *out);
/* Slow queries matching the filter, sorted by key (ties: longest first, then pid). */
void rows_queries(const struct dd_snapshot *s, const char *filter, enum qsort_key key, bool asc,
    struct rowset *out);
const char *rows_qsort_name(enum qsort_key k);
/* The index of the query with this id in s, or -1. */
int rows_find_query(const struct dd_snapshot *s, uint64_t id);
/* Events (newest first) matching the filter. */
void rows_events(const struct dd_snapshot *s, const char *filter, struct rowset *out);
/* Active alerts matching the filter. */
void rows_alerts(const struct dd_snapshot *s, const char *filter, struct rowset *out);

#endif
