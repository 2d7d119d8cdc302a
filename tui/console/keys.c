/*
 * keys.c: the keymap tables (keys.h). Adding a key means adding a line here;
 * the help view, the hint bar and the docs check follow.
 */
#include "keys.h"

#include <stdio.h>
#include <string.h>

#include "dbdeck/util.h"

static const struct keybind global_binds[] = {
    {TK_TAB, ACT_NEXT_VIEW, "next view (Overview, Slow queries, Alerts & events, Help)", "view",
        KB_HINT},
    {TK_BTAB, ACT_PREV_VIEW, "previous view", NULL, 0},
    {'1', ACT_VIEW_OVERVIEW, "Overview: every cluster and node", NULL, 0},
    {'2', ACT_VIEW_QUERIES, "Slow queries across clusters", NULL, 0},
    {'3', ACT_VIEW_EVENTS, "Alerts & events", NULL, 0},
    {'4', ACT_VIEW_HELP, "Help: every key of every view", NULL, 0},
    {'?', ACT_VIEW_HELP, "Help: every key of every view", "help", KB_HINT},
    {TK_F1, ACT_VIEW_HELP, "Help: every key of every view", NULL, 0},
    {TK_ESC, ACT_BACK, "go back (close the detail, leave the view)", NULL, 0},
    {':', ACT_COMMAND, "command line (:q, :theme NAME, :refresh 2s, :filter TEXT, ...)", "cmd",
        KB_HINT},
    {'p', ACT_PAUSE, "pause / resume refreshing (the screen and the selection hold still)", "pause",
        KB_HINT},
    {'+', ACT_SLOWER, "refresh less often (longer interval)", NULL, 0},
    {'-', ACT_FASTER, "refresh more often (shorter interval)", NULL, 0},
    {'t', ACT_THEME_NEXT, "next shipped theme", NULL, 0},
    {'b', ACT_VIEW_BACKUPS, "Backups of the selected cluster (Esc returns)", NULL, 0},
    {TK_CTRL('L'), ACT_REDRAW, "redraw the whole screen", NULL, 0},
    {'q', ACT_QUIT, "quit", "quit", KB_HINT},
};

static const struct keybind move_binds[] = {
    {TK_UP, ACT_UP, "move up (select the previous row, scroll)", NULL, KB_HINT},
    {'k', ACT_UP, "move up (select the previous row, scroll)", NULL, 0},
    {TK_DOWN, ACT_DOWN, "move down", NULL, KB_HINT},
    {'j', ACT_DOWN, "move down", NULL, 0},
    {TK_PGUP, ACT_PAGE_UP, "one page up", NULL, 0},
    {TK_PGDN, ACT_PAGE_DOWN, "one page down", NULL, 0},
    {TK_HOME, ACT_HOME, "first row", NULL, 0},
    {TK_END, ACT_END, "last row", NULL, 0},
};

static const struct keybind overview_binds[] = {
    {TK_ENTER, ACT_OPEN, "open the selected node's detail", "detail", KB_HINT},
    {TK_LEFT, ACT_PREV, "previous cluster", NULL, 0},
    {'h', ACT_PREV, "previous cluster", NULL, 0},
    {TK_RIGHT, ACT_NEXT, "next cluster", NULL, 0},
    {'l', ACT_NEXT, "next cluster", NULL, 0},
    {'/', ACT_FILTER, "filter nodes (name, cluster, role, state)", "filter", KB_HINT},
    {TK_ESC, ACT_BACK, "clear the node filter (when one is set)", NULL, 0},
    {'z', ACT_FOLD,
        "fold / unfold the selected node's cluster (folded: one summary line; Enter unfolds)", NULL,
        0},
    {'a', ACT_FOLD_ALL, "fold every cluster, or unfold them all", NULL, 0},
    {'S', ACT_SWITCHOVER,
        "switch over to the selected replica (plans, shows the pre-checks, asks for the "
        "cluster's name)",
        NULL, KB_ACTION | KB_DANGER},
    {'F', ACT_FAILOVER,
        "fail over the selected node's cluster when its primary is down (asks for the "
        "cluster's name)",
        NULL, KB_ACTION | KB_DANGER},
    {'i', ACT_VIEW_SCHEMA,
        "schema health of the selected node's cluster (indexes, sequences, "
        "migrations)",
        NULL, 0},
};

static const struct keybind schema_binds[] = {
    {TK_ENTER, ACT_OPEN, "show the selected finding's evidence and fix statement", "detail",
        KB_HINT},
    {TK_LEFT, ACT_PREV, "previous cluster", NULL, 0},
    {'h', ACT_PREV, "previous cluster", "prev", KB_HINT},
    {TK_RIGHT, ACT_NEXT, "next cluster", NULL, 0},
    {'l', ACT_NEXT, "next cluster", "next", KB_HINT},
    {'/', ACT_FILTER, "filter findings (words; kind: object: db: sev:; !word excludes)", "filter",
        KB_HINT},
    {'s', ACT_SORT, "sort by the next column (severity, kind, object, database)", "sort", KB_HINT},
    {'r', ACT_SORT_REVERSE, "reverse the sort order", NULL, 0},
    {TK_ESC, ACT_BACK, "close the finding, or back to the overview", "back", KB_HINT},
};

static const struct keybind node_binds[] = {
    {TK_LEFT, ACT_PREV, "previous node", NULL, 0},
    {'h', ACT_PREV, "previous node", "prev", KB_HINT},
    {TK_RIGHT, ACT_NEXT, "next node", NULL, 0},
    {'l', ACT_NEXT, "next node", "next", KB_HINT},
    {TK_ESC, ACT_BACK, "back to the overview", "back", KB_HINT},
    {'S', ACT_SWITCHOVER,
        "switch over to this replica (plans, shows the pre-checks, asks for the cluster's name)",
        "switchover", KB_HINT | KB_ACTION | KB_DANGER},
    {'F', ACT_FAILOVER,
        "fail over this node's cluster when its primary is down (asks for the cluster's name)",
        NULL, KB_ACTION | KB_DANGER},
};

static const struct keybind queries_binds[] = {
    {TK_ENTER, ACT_OPEN, "show the whole statement, wrapped", "statement", KB_HINT},
    {'/', ACT_FILTER, "filter (words; node: user: db: state: cluster: query:; !word excludes)",
        "filter", KB_HINT},
    {'s', ACT_SORT, "sort by the next column (duration, node, user, database, state, pid)", "sort",
        KB_HINT},
    {'r', ACT_SORT_REVERSE, "reverse the sort order", NULL, 0},
    {'c', ACT_CANCEL_QUERY, "cancel the selected query (asks first)", "cancel",
        KB_HINT | KB_ACTION},
    {'K', ACT_TERMINATE_QUERY, "terminate the selected query's session (asks first)", "terminate",
        KB_HINT | KB_ACTION | KB_DANGER},
};

static const struct keybind statement_binds[] = {
    {TK_ESC, ACT_BACK, "back to the slow queries", "back", KB_HINT},
    {'c', ACT_CANCEL_QUERY, "cancel this query (asks first)", "cancel", KB_HINT | KB_ACTION},
    {'K', ACT_TERMINATE_QUERY, "terminate this query's session (asks first)", "terminate",
        KB_HINT | KB_ACTION | KB_DANGER},
};

static const struct keybind events_binds[] = {
    {'/', ACT_FILTER, "filter alerts and events (words; !word excludes)", "filter", KB_HINT},
};

static const struct keybind backups_binds[] = {
    {TK_LEFT, ACT_PREV, "previous cluster", NULL, 0},
    {'h', ACT_PREV, "previous cluster", "prev", KB_HINT},
    {TK_RIGHT, ACT_NEXT, "next cluster", NULL, 0},
    {'l', ACT_NEXT, "next cluster", "next", KB_HINT},
    {'b', ACT_BK_TAKE,
        "take a backup (from a healthy replica within lag_max, else the primary; then the "
        "retention)",
        "backup", KB_HINT | KB_ACTION},
    {'v', ACT_BK_VERIFY, "verify the selected backup: size and SHA-256 against its manifest",
        "verify", KB_HINT | KB_ACTION},
    {'d', ACT_BK_DEEP,
        "deep-verify it: restore a scratch copy on verify_target, count rows, drop it", NULL,
        KB_ACTION},
    {'R', ACT_BK_RESTORE,
        "restore the selected backup into a new database on the primary (asks the database, "
        "then the cluster's name)",
        "restore", KB_HINT | KB_ACTION | KB_DANGER},
    {TK_ESC, ACT_BACK, "back", "back", KB_HINT},
};

static const struct keybind help_binds[] = {
    {'/', ACT_FILTER, "search the help", "search", KB_HINT},
};

static const struct keybind dialog_binds[] = {
    {TK_TAB, ACT_FOCUS_NEXT, "move the focus to the next button (or field)", "next", KB_HINT},
    {TK_RIGHT, ACT_FOCUS_NEXT, "move the focus to the next button (or field)", NULL, 0},
    {TK_BTAB, ACT_FOCUS_PREV, "move the focus to the previous button (or field)", NULL, 0},
    {TK_LEFT, ACT_FOCUS_PREV, "move the focus to the previous button (or field)", NULL, 0},
    {TK_ENTER, ACT_CHOOSE, "press the focused button (the focus starts on Cancel)", "choose",
        KB_HINT},
    {TK_ESC, ACT_DISMISS, "cancel: close the dialog, do nothing", "cancel", KB_HINT},
};

static const struct keybind prompt_binds[] = {
    {TK_ENTER, ACT_ACCEPT, "run the command / keep the filter", "ok", KB_HINT},
    {TK_ESC, ACT_DISMISS, "cancel (the filter goes back to what it was)", "cancel", KB_HINT},
    {TK_UP, ACT_HIST_PREV, "previous command or filter in the history", "history", KB_HINT},
    {TK_DOWN, ACT_HIST_NEXT, "next command or filter in the history", NULL, 0},
    {TK_LEFT, ACT_CUR_LEFT, "cursor left", NULL, 0},
    {TK_RIGHT, ACT_CUR_RIGHT, "cursor right", NULL, 0},
    {TK_HOME, ACT_CUR_HOME, "cursor to the start", NULL, 0},
    {TK_CTRL('A'), ACT_CUR_HOME, "cursor to the start", NULL, 0},
    {TK_END, ACT_CUR_END, "cursor to the end", NULL, 0},
    {TK_CTRL('E'), ACT_CUR_END, "cursor to the end", NULL, 0},
    {TK_BACKSPACE, ACT_DEL_BACK, "delete the character before the cursor", NULL, 0},
    {TK_DELETE, ACT_DEL_FWD, "delete the character under the cursor", NULL, 0},
    {TK_CTRL('U'), ACT_KILL_LINE, "clear the line", NULL, 0},
};

#define MAP(var, title, arr) const struct keymap var = {title, arr, DD_ARRAY_LEN(arr)}
MAP(keymap_global, "Global (every view)", global_binds);
MAP(keymap_move, "Moving (lists and pages)", move_binds);
MAP(keymap_overview, "Overview", overview_binds);
MAP(keymap_node, "Node detail", node_binds);
MAP(keymap_queries, "Slow queries", queries_binds);
MAP(keymap_statement, "Statement", statement_binds);
MAP(keymap_schema, "Schema health", schema_binds);
MAP(keymap_events, "Alerts & events", events_binds);
MAP(keymap_backups, "Backups", backups_binds);
MAP(keymap_help, "Help", help_binds);
MAP(keymap_dialog, "Dialogs", dialog_binds);
MAP(keymap_prompt, "Command line and filter prompt", prompt_binds);

const struct keymap *const keymaps_all[] = {
    &keymap_global,
    &keymap_move,
    &keymap_overview,
    &keymap_node,
    &keymap_queries,
    &keymap_statement,
    &keymap_schema,
    &keymap_events,
    &keymap_backups,
    &keymap_help,
    &keymap_dialog,
    &keymap_prompt,
    NULL,
};

enum action
keys_lookup(const struct keymap *map, int key, unsigned *flags)
{
	for (size_t i = 0; map && i < map->n; i++)
		if (map->binds[i].key == key) {
			if (flags)
				*flags = map->binds[i].flags;
			return map->binds[i].act;
		}
	return ACT_NONE;
}

static const struct {
	int key;
	const char *name;
} key_names[] = {
    {TK_UP, "Up"},
    {TK_DOWN, "Down"},
    {TK_LEFT, "Left"},
    {TK_RIGHT, "Right"},
    {TK_PGUP, "PgUp"},
    {TK_PGDN, "PgDn"},
    {TK_HOME, "Home"},
    {TK_END, "End"},
    {TK_ENTER, "Enter"},
    {TK_ESC, "Esc"},
    {TK_TAB, "Tab"},
    {TK_BTAB, "S-Tab"},
    {TK_BACKSPACE, "Backspace"},
    {TK_DELETE, "Delete"},
    {TK_F1, "F1"},
    {' ', "Space"},
};

const char *
keys_name(int key, char *buf, size_t len)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(key_names); i++)
		if (key_names[i].key == key) {
			snprintf(buf, len, "%s", key_names[i].name);
			return buf;
		}
	if (key >= 1 && key < 0x20)
		snprintf(buf, len, "^%c", key + '@');
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "U+%04X", (unsigned)key);
	return buf;
}

const char *
keys_group(const struct keymap *map, size_t i, size_t *next, char *buf, size_t len)
{
	char one[16];
	size_t j = i, used = 0;
	buf[0] = '\0';
	while (j < map->n && map->binds[j].act == map->binds[i].act &&
	       strcmp(map->binds[j].help, map->binds[i].help) == 0) {
		int n = snprintf(buf + used, used < len ? len - used : 0, "%s%s", j > i ? "/" : "",
		    keys_name(map->binds[j].key, one, sizeof(one)));
		if (n > 0)
			used += (size_t)n;
		j++;
	}
	*next = j;
	return buf;
}
