/*
 * cmdline.h: the line editor of the ':' command line and the '/' filter
 * prompt (with a history), and the ':' commands as a table: parsing is pure
 * and unit-tested; console_state.c carries the commands out. The help view
 * lists the commands from the same table.
 */
#ifndef DD_CMDLINE_H
#define DD_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINEEDIT_MAX     256
#define LINEEDIT_HISTORY 32

struct lineedit {
	char buf[LINEEDIT_MAX]; /* what is typed, UTF-8 */
	size_t len, cur;        /* bytes; the cursor is on a character boundary */
	char hist[LINEEDIT_HISTORY][LINEEDIT_MAX]; /* oldest first */
	int nhist;
	int hpos;                 /* index into hist while browsing, else nhist */
	char draft[LINEEDIT_MAX]; /* the line being typed before browsing began */
};

enum le_result {
	LE_EDITING, /* nothing changed (or only the cursor moved) */
	LE_CHANGED, /* the text changed */
	LE_ACCEPT,  /* Enter */
	LE_CANCEL,  /* Esc */
};

/* Starts editing with `initial` (NULL = empty); keeps the history. */
void lineedit_start(struct lineedit *e, const char *initial);
/* Applies a key (keys.h code; keymap_prompt); printable characters are inserted. */
enum le_result lineedit_key(struct lineedit *e, int key);
/* Adds the current text to the history (not when empty or equal to the last entry). */
void lineedit_remember(struct lineedit *e);

enum ccmd_kind {
	CCMD_QUIT,
	CCMD_THEME,
	CCMD_REFRESH,
	CCMD_FILTER,
	CCMD_HELP,
	CCMD_BACKUP,
	CCMD_RESTORE,
	CCMD_SWITCHOVER,
	CCMD_FAILOVER,
	CCMD_PATRONI,
};

struct ccmd_def {
	const char *name;
	const char *alias; /* NULL or a short form */
	enum ccmd_kind kind;
	int min_args,
	    max_args;      /* words after the name; -1 max: the rest of the line is one argument */
	const char *usage; /* ":theme NAME" */
	const char *help;
	bool available; /* false: "not yet available" */
};

extern const struct ccmd_def ccmd_defs[];
extern const size_t ccmd_count;

#define CCMD_MAX_ARGS 3

struct ccmd {
	const struct ccmd_def *def;
	int nargs;
	char args[CCMD_MAX_ARGS][LINEEDIT_MAX];
	int64_t ms; /* CCMD_REFRESH: the interval */
};

/*
 * Parses a command line (without the ':'). Returns 0 with *out filled, or -1
 * with a message in err: unknown command (with a "did you mean" when one is
 * close), wrong number of arguments (with the usage), bad duration.
 */
int cmdline_parse(const char *line, struct ccmd *out, char *err, size_t errlen);

/* Refresh interval bounds (the config's): 100 ms .. 1 h. */
#define CMD_REFRESH_MIN_MS 100
#define CMD_REFRESH_MAX_MS 3600000

/*
 * A duration "2s", "500ms", "1.5s", "1m", "1h" or a plain number of seconds,
 * within the refresh bounds. Returns 0 and *ms, or -1 with err.
 */
int cmdline_duration(const char *s, int64_t *ms, char *err, size_t errlen);

/* The refresh ladder of '+' and '-': the next longer / shorter step from ms. */
int64_t cmdline_refresh_step(int64_t ms, int dir);

#endif
