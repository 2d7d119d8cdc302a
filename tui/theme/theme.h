/*
 * theme.h: colour themes for the console, parsed from INI files in themes/
 * (format in docs/themes.md). Colours are named by role (what the text is:
 * a warning, the selection, a key hint), never by colour.
 *
 * This is a pure parser: nothing here calls curses. The console's screen
 * module turns a parsed theme into init_pair() calls with
 * dd_theme_resolve(), which picks 256-colour values or their 8/16-colour
 * fallbacks for the terminal at hand.
 *
 * A theme that fails to parse is never half-applied: the loader returns the
 * default theme and the messages (each "FILE:LINE: reason"), which the
 * console shows.
 */
#ifndef DD_TUI_THEME_H
#define DD_TUI_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dd_theme_role {
	DD_STYLE_NORMAL = 0,      /* plain text; its colours are what 'default' means elsewhere */
	DD_STYLE_OK,              /* healthy values */
	DD_STYLE_WARN,            /* past a warning threshold */
	DD_STYLE_CRIT,            /* past a critical threshold, down, breaker open */
	DD_STYLE_PRIMARY,         /* a primary node */
	DD_STYLE_REPLICA,         /* a replica node */
	DD_STYLE_UNKNOWN,         /* role or state not known (yet) */
	DD_STYLE_BORDER,          /* panel frames and separators */
	DD_STYLE_TITLE,           /* the top title bar */
	DD_STYLE_HEADER,          /* table column headers */
	DD_STYLE_SELECTION,       /* the selected row */
	DD_STYLE_BAR_FILL,        /* a usage bar's used part */
	DD_STYLE_BAR_EMPTY,       /* a usage bar's unused part */
	DD_STYLE_BAR_WARN,        /* a usage bar past its warning threshold */
	DD_STYLE_BAR_CRIT,        /* a usage bar past its critical threshold */
	DD_STYLE_DIM,             /* secondary text: units, idle rows */
	DD_STYLE_KEY,             /* key names in the bottom key-hint bar */
	DD_STYLE_STATUS_BAR,      /* the bottom bar's labels and status messages */
	DD_STYLE_DIALOG,          /* dialog boxes */
	DD_STYLE_DIALOG_DANGER,   /* dialogs confirming a destructive action */
	DD_STYLE_SPARKLINE,       /* small history graphs */
	DD_STYLE_FILTER,          /* the active filter text */
	DD_STYLE_READONLY_BANNER, /* the "read-only" indicator */
	DD_STYLE_ACCENT,          /* the cluster's accent (its name, per-environment colour) */
	DD_STYLE_STALE,           /* values from a probe that is late: shown, marked old */
	DD_STYLE_TAGGED,          /* rows tagged for a bulk action */
	DD_STYLE_INPUT,           /* text being typed: the ':' command line, the filter prompt */
	DD_STYLE_BUTTON,          /* a dialog button */
	DD_STYLE_BUTTON_FOCUS,    /* the focused dialog button */
	DD_STYLE_COUNT
};

/* A colour: the terminal's (or normal's) own, or an index into the 256-colour palette. */
#define DD_COLOR_DEFAULT (-1)

/* Attribute bits of a style. */
#define DD_ATTR_BOLD      0x01u
#define DD_ATTR_UNDERLINE 0x02u
#define DD_ATTR_REVERSE   0x04u
#define DD_ATTR_DIM       0x08u
#define DD_ATTR_BLINK     0x10u
#define DD_ATTR_ITALIC    0x20u

struct dd_theme_style {
	int16_t fg, bg;     /* DD_COLOR_DEFAULT or 0-255 */
	int16_t fg16, bg16; /* what to use below 256 colours: DD_COLOR_DEFAULT or 0-15 */
	uint16_t attrs;     /* DD_ATTR_* */
};

/* A plain value: copy it freely (dd_theme_apply_accent works on a copy). */
struct dd_theme {
	char name[64];         /* sanitized, for display */
	char description[160]; /* sanitized, for display; may be empty */
	struct dd_theme_style role[DD_STYLE_COUNT];
	bool set[DD_STYLE_COUNT]; /* true where the file named the role (else inherited) */
};

/* The role's name as written in theme files ("bar_fill"); static, never NULL for valid roles. */
const char *dd_theme_role_name(enum dd_theme_role role);
/* The role with that name (ASCII case-insensitive), or -1. */
int dd_theme_role_lookup(const char *name);

/* Fills *out with the built-in default theme (dark terminal, terminal background). */
void dd_theme_default(struct dd_theme *out);
/* Fills *out with the built-in attribute-only theme (no colours: NO_COLOR, --no-color). */
void dd_theme_mono(struct dd_theme *out);
/* True when any role uses a colour (false for the mono theme). */
bool dd_theme_has_color(const struct dd_theme *t);

/*
 * Parses len bytes at buf (any bytes; not NUL-terminated) as a theme file;
 * file is the name used in messages ("FILE:LINE: ...") and for the theme's
 * name when the file has none. On success fills *out and returns 0. On any
 * error fills *out with the default theme, writes every message, one per
 * line, into msgs (caller-owned, msgslen bytes, always terminated when
 * msgslen > 0; lines that do not fit are dropped) and returns -1.
 * Messages are sanitized: they can go to the screen as they are.
 */
int dd_theme_load_buffer(const char *file, const char *buf, size_t len, struct dd_theme *out,
    char *msgs, size_t msgslen);

/* Reads the file at path (a regular file of at most 64 KiB) and parses it as above. */
int dd_theme_load(const char *path, struct dd_theme *out, char *msgs, size_t msgslen);

/*
 * Finds the theme NAME: the first NAME.ini that is a regular file in dirs
 * (a NULL-terminated array of directories, in order of preference; the
 * console passes ~/.config/dbdeck/themes, then the install and source
 * directories). Writes the path into the caller's buffer and returns 0;
 * returns -1 with the reason in err when the name is not a valid theme name
 * (1-64 letters, digits, '.', '_', '-', not starting with '.') or no
 * directory has it.
 */
int dd_theme_find(const char *name, const char *const dirs[], char *path, size_t pathlen, char *err,
    size_t errlen);

/* The directories themes are looked up in, for dd_theme_find. */
#define DD_THEME_DIRS 7
struct dd_theme_path {
	char buf[DD_THEME_DIRS][512];
	const char *dirs[DD_THEME_DIRS + 1]; /* NULL-terminated, pointing into buf */
};

/*
 * Fills *p with the theme search path, first match wins:
 * $XDG_CONFIG_HOME/dbdeck/themes (else ~/.config/dbdeck/themes); beside the
 * binary at exe_path (an absolute path, or NULL): the source tree's themes/
 * for BUILDDIR/tui/dbdeck, PREFIX/share/dbdeck/themes for PREFIX/bin/dbdeck;
 * the data directory the build was configured with (meson's prefix and
 * datadir); /usr/local/share/dbdeck/themes; /usr/share/dbdeck/themes.
 */
void dd_theme_path_init(struct dd_theme_path *p, const char *exe_path);

/*
 * The nearest colour to c256 (0-255) that a terminal with ncolors colours
 * has: c256 itself from 256 colours up, the nearest of the 16 (or 8) basic
 * colours by their xterm RGB values otherwise, DD_COLOR_DEFAULT below 8
 * colours or for DD_COLOR_DEFAULT and out-of-range input.
 */
int dd_theme_color_fallback(int c256, int ncolors);

/*
 * The colour pair to initialise for style on a terminal with ncolors colours
 * (COLORS): 256-colour values, their 16-colour fallbacks, those mapped to 8,
 * or DD_COLOR_DEFAULT for both below 8 colours.
 */
void dd_theme_resolve(const struct dd_theme_style *style, int ncolors, int *fg, int *bg);

/*
 * Applies a cluster's accent colour (a colour as in theme files: "red",
 * "bright-cyan", "color208/red") to t, normally a copy of the console's
 * theme: the accent role's foreground becomes the colour; the title bar
 * takes it as background (with black or bright-white text, whichever
 * contrasts) when it has a background of its own, else as foreground.
 * "none" (the config's "no accent"), "default" and themes without colours
 * (mono) leave t as it is.
 * Returns 0, or -1 with the reason in err and t unchanged for an unknown colour.
 */
int dd_theme_apply_accent(struct dd_theme *t, const char *color, char *err, size_t errlen);

#endif
