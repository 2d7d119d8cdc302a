/*
 * keys.h: key codes and the keymap tables of the console. One table per view
 * plus the global and the movement tables: the key handlers, the bottom
 * hint bar, the help view and docs/console.md are all generated from (or
 * checked against) these tables, so a key cannot exist without being
 * documented. Pure data and lookups; no curses here (crt.c turns curses key
 * codes into the TK_ codes below).
 *
 * Conventions: lowercase keys act, uppercase keys are for dangerous actions
 * (K terminates a session); KB_ACTION keys change something on a server and
 * are removed by read-only mode.
 */
#ifndef DD_KEYS_H
#define DD_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* Characters are their Unicode code points; other keys are above Unicode. */
enum {
	TK_BASE = 0x110000,
	TK_UP,
	TK_DOWN,
	TK_LEFT,
	TK_RIGHT,
	TK_PGUP,
	TK_PGDN,
	TK_HOME,
	TK_END,
	TK_ENTER,
	TK_ESC,
	TK_TAB,
	TK_BTAB,
	TK_BACKSPACE,
	TK_DELETE,
	TK_RESIZE,
	TK_F1,
};
#define TK_CTRL(c) ((c)&0x1f)

enum action {
	ACT_NONE = 0,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_HOME,
	ACT_END,
	ACT_PREV, /* previous cluster / node */
	ACT_NEXT, /* next cluster / node */
	ACT_OPEN,
	ACT_BACK,
	ACT_NEXT_VIEW,
	ACT_PREV_VIEW,
	ACT_VIEW_OVERVIEW,
	ACT_VIEW_QUERIES,
	ACT_VIEW_EVENTS,
	ACT_VIEW_HELP,
	ACT_FILTER,
	ACT_SORT,
	ACT_SORT_REVERSE,
	ACT_COMMAND,
	ACT_PAUSE,
	ACT_SLOWER,
	ACT_FASTER,
	ACT_THEME_NEXT,
	ACT_REDRAW,
	ACT_QUIT,
	ACT_CANCEL_QUERY,
	ACT_TERMINATE_QUERY,
	ACT_SWITCHOVER,   /* plan a switchover to the selected replica */
	ACT_FAILOVER,     /* plan a failover of the selected node's cluster */
	ACT_VIEW_BACKUPS, /* the Backups view of the selected cluster */
	ACT_BK_TAKE,      /* take a backup */
	ACT_BK_VERIFY,    /* verify the selected backup */
	ACT_BK_DEEP,      /* deep-verify it */
	ACT_BK_RESTORE,   /* restore it (asks the database, then the cluster's name) */
	ACT_VIEW_SCHEMA,  /* schema health of the selected node's cluster */
	ACT_FOLD,         /* fold / unfold the selected node's cluster */
	ACT_FOLD_ALL,     /* fold every cluster, or unfold them all */
	/* dialogs */
	ACT_FOCUS_NEXT,
	ACT_FOCUS_PREV,
	ACT_CHOOSE,
	ACT_DISMISS,
	/* the line editor of the ':' and '/' prompts */
	ACT_ACCEPT,
	ACT_HIST_PREV,
	ACT_HIST_NEXT,
	ACT_CUR_LEFT,
	ACT_CUR_RIGHT,
	ACT_CUR_HOME,
	ACT_CUR_END,
	ACT_DEL_BACK,
	ACT_DEL_FWD,
	ACT_KILL_LINE,
	ACT_COUNT
};

#define KB_HINT   0x1u /* shown in the bottom bar */
#define KB_ACTION 0x2u /* acts on a server: removed in read-only mode */
#define KB_DANGER 0x4u /* destructive: uppercase, confirmed in a dialog */

struct keybind {
	int key;
	enum action act;
	const char *help; /* one line for the help view and docs */
	const char *hint; /* short label for the bottom bar (KB_HINT) */
	unsigned flags;
};

struct keymap {
	const char *name; /* section title in help and docs */
	const struct keybind *binds;
	size_t n;
};

extern const struct keymap keymap_global;
extern const struct keymap keymap_move;
extern const struct keymap keymap_overview;
extern const struct keymap keymap_node;
extern const struct keymap keymap_queries;
extern const struct keymap keymap_statement;
extern const struct keymap keymap_schema;
extern const struct keymap keymap_events;
extern const struct keymap keymap_backups;
extern const struct keymap keymap_help;
extern const struct keymap keymap_dialog;
extern const struct keymap keymap_prompt;

/* Every keymap above, in help order (NULL-terminated). */
extern const struct keymap *const keymaps_all[];

/* The action bound to key in map, or ACT_NONE. *flags gets the binding's flags when found. */
enum action keys_lookup(const struct keymap *map, int key, unsigned *flags);

/* The name of a key as help shows it: "Up", "Enter", "S-Tab", "^L", "k", "Space". */
const char *keys_name(int key, char *buf, size_t len);

/*
 * The keys of binding i of map and of the following bindings with the same
 * action and help text, joined with "/" ("Up/k"); *next is set to the first
 * binding of the next group. Returns buf.
 */
const char *keys_group(const struct keymap *map, size_t i, size_t *next, char *buf, size_t len);

#endif
