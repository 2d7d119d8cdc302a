/*
 * theme.c: colour themes (see theme.h, docs/themes.md). Parses theme INI
 * files with inih into a plain struct of per-role styles, and holds the
 * built-in default and mono themes, the 256-to-16/8 colour fallback and the
 * cluster accent. No curses here: the screen module calls init_pair() with
 * what dd_theme_resolve() returns, and the fuzz target links this file alone.
 *
 * The lines come from core's strict INI reader (dbdeck/ini.h), shared with
 * the config file: it counts lines (so every message carries FILE:LINE),
 * trims blanks (indented keys are keys, never continuation lines), and hands
 * over every bad line, not only the first: garbage lines, unterminated
 * sections, NUL bytes and overlong lines. This file words the messages and
 * knows the sections. Any error discards the whole file in favour of the
 * default theme.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbdeck/ini.h"
#include "dbdeck/text.h"
#include "dbdeck/util.h"
#include "theme.h"

#define THEME_MAX_BYTES 65536
#define THEME_MAX_MSGS  20
#define THEME_MAX_LINE  DD_INI_MAX_LINE /* "line longer than 198 bytes" */

/* The tables read better packed than one entry per line. */
/* clang-format off */
static const char *const role_names[] = {
	"normal", "ok", "warn", "crit", "primary", "replica", "unknown", "border", "title",
	"header", "selection", "bar_fill", "bar_empty", "bar_warn", "bar_crit", "dim", "key",
	"status_bar", "dialog", "dialog_danger", "sparkline", "filter", "readonly_banner",
	"accent", "stale", "tagged", "input", "button", "button_focus",
};

_Static_assert(sizeof(role_names) / sizeof(role_names[0]) == DD_STYLE_COUNT,
    "one name per role");

/* Index i is colour i (0-15); "default" last. */
static const char *const color_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue",
	"bright-magenta", "bright-cyan", "bright-white", "default",
};

static const char *const attr_names[] = {"bold", "underline", "reverse", "dim", "blink", "italic"};

/* xterm's RGB values of the 16 basic colours. */
static const unsigned char basic_rgb[16][3] = {
	{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205},
	{0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0}, {0, 255, 0},
	{255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
};

enum { BLK, RED, GRN, YEL, BLU, MAG, CYN, WHT, BRT = 8, DEF = -1 };
enum { B = DD_ATTR_BOLD, U = DD_ATTR_UNDERLINE, R = DD_ATTR_REVERSE, D = DD_ATTR_DIM };

/* Built-in styles use basic colours only, so the 16-colour values are the same. */
#define ST(f, b, a) {(f), (b), (f), (b), (a)}

/* themes/default.ini says the same; a unit test keeps them equal. */
static const struct dd_theme_style default_styles[DD_STYLE_COUNT] = {
	[DD_STYLE_NORMAL] = ST(DEF, DEF, 0), [DD_STYLE_OK] = ST(GRN, DEF, 0),
	[DD_STYLE_WARN] = ST(YEL, DEF, B), [DD_STYLE_CRIT] = ST(BRT + WHT, RED, B),
	[DD_STYLE_PRIMARY] = ST(BRT + CYN, DEF, B), [DD_STYLE_REPLICA] = ST(CYN, DEF, 0),
	[DD_STYLE_UNKNOWN] = ST(MAG, DEF, 0), [DD_STYLE_BORDER] = ST(BLU, DEF, 0),
	[DD_STYLE_TITLE] = ST(BRT + WHT, BLU, B), [DD_STYLE_HEADER] = ST(BLK, GRN, 0),
	[DD_STYLE_SELECTION] = ST(BLK, CYN, 0), [DD_STYLE_BAR_FILL] = ST(GRN, DEF, 0),
	[DD_STYLE_BAR_EMPTY] = ST(BRT + BLK, DEF, 0), [DD_STYLE_BAR_WARN] = ST(YEL, DEF, 0),
	[DD_STYLE_BAR_CRIT] = ST(BRT + RED, DEF, B), [DD_STYLE_DIM] = ST(BRT + BLK, DEF, 0),
	[DD_STYLE_KEY] = ST(BLK, CYN, 0), [DD_STYLE_STATUS_BAR] = ST(WHT, BLU, 0),
	[DD_STYLE_DIALOG] = ST(WHT, BLU, 0), [DD_STYLE_DIALOG_DANGER] = ST(BRT + WHT, RED, 0),
	[DD_STYLE_SPARKLINE] = ST(CYN, DEF, 0), [DD_STYLE_FILTER] = ST(BLK, YEL, 0),
	[DD_STYLE_READONLY_BANNER] = ST(BLK, YEL, B), [DD_STYLE_ACCENT] = ST(BRT + CYN, DEF, B),
	[DD_STYLE_STALE] = ST(BRT + BLK, DEF, 0), [DD_STYLE_TAGGED] = ST(BRT + YEL, DEF, B),
	[DD_STYLE_INPUT] = ST(BRT + WHT, DEF, U), [DD_STYLE_BUTTON] = ST(BLK, WHT, 0),
	[DD_STYLE_BUTTON_FOCUS] = ST(BRT + WHT, BLK, B),
};

/* themes/mono.ini says the same: attributes only, no colour anywhere. */
static const uint16_t mono_attrs[DD_STYLE_COUNT] = {
	[DD_STYLE_WARN] = B, [DD_STYLE_CRIT] = R | B, [DD_STYLE_PRIMARY] = B, [DD_STYLE_UNKNOWN] = D,
	[DD_STYLE_TITLE] = R | B, [DD_STYLE_HEADER] = B | U, [DD_STYLE_SELECTION] = R,
	[DD_STYLE_BAR_FILL] = R, [DD_STYLE_BAR_EMPTY] = D, [DD_STYLE_BAR_WARN] = R | U,
	[DD_STYLE_BAR_CRIT] = R | B, [DD_STYLE_DIM] = D, [DD_STYLE_KEY] = R, [DD_STYLE_DIALOG_DANGER] = B,
	[DD_STYLE_FILTER] = U, [DD_STYLE_READONLY_BANNER] = R | B, [DD_STYLE_ACCENT] = B,
	[DD_STYLE_STALE] = D, [DD_STYLE_TAGGED] = B | U, [DD_STYLE_INPUT] = U, [DD_STYLE_BUTTON_FOCUS] = R,
};
/* clang-format on */

const char *
dd_theme_role_name(enum dd_theme_role role)
{
	return (unsigned)role < DD_STYLE_COUNT ? role_names[role] : NULL;
}

int
dd_theme_role_lookup(const char *name)
{
	for (int r = 0; r < DD_STYLE_COUNT; r++)
		if (strcasecmp(name, role_names[r]) == 0)
			return r;
	return -1;
}

static void
builtin(struct dd_theme *out, const char *name, const char *desc)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->description, sizeof(out->description), "%s", desc);
	for (int r = 0; r < DD_STYLE_COUNT; r++)
		out->set[r] = true;
}

void
dd_theme_default(struct dd_theme *out)
{
	builtin(out, "default", "Dark terminal, the terminal's own background");
	memcpy(out->role, default_styles, sizeof(out->role));
}

void
dd_theme_mono(struct dd_theme *out)
{
	builtin(out, "mono", "No colours: bold, underline and reverse only");
	for (int r = 0; r < DD_STYLE_COUNT; r++)
		out->role[r] = (struct dd_theme_style)ST(DEF, DEF, mono_attrs[r]);
}

bool
dd_theme_has_color(const struct dd_theme *t)
{
	for (int r = 0; r < DD_STYLE_COUNT; r++) {
		const struct dd_theme_style *s = &t->role[r];
		if (s->fg != DEF || s->bg != DEF || s->fg16 != DEF || s->bg16 != DEF)
			return true;
	}
	return false;
}

static void
palette_rgb(int c, int rgb[3])
{
	if (c < 16) {
		for (int k = 0; k < 3; k++)
			rgb[k] = basic_rgb[c][k];
	} else if (c < 232) {
		int i = c - 16, lv[3] = {i / 36, (i / 6) % 6, i % 6};
		for (int k = 0; k < 3; k++)
			rgb[k] = lv[k] ? 55 + 40 * lv[k] : 0;
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

/* max - min of the three channels: 0 for greys, large for pure colours. */
static int
chroma(const int rgb[3])
{
	int hi = rgb[0], lo = rgb[0];

	for (int k = 1; k < 3; k++) {
		hi = rgb[k] > hi ? rgb[k] : hi;
		lo = rgb[k] < lo ? rgb[k] : lo;
	}
	return hi - lo;
}

/*
 * Nearest by RGB distance plus a chroma term, so that a grey never lands on
 * a colour (plain RGB distance maps #808080 to yellow) and on 8 colours a
 * mid grey becomes white rather than an invisible black.
 */
int
dd_theme_color_fallback(int c256, int ncolors)
{
	int rgb[3], cand[3], best = 0;
	long best_d = -1;

	if (c256 < 0 || c256 > 255 || ncolors < 8)
		return DEF;
	if (ncolors >= 256)
		return c256;
	int n = ncolors >= 16 ? 16 : 8;
	if (c256 < n)
		return c256;
	palette_rgb(c256, rgb);
	for (int i = 0; i < n; i++) {
		palette_rgb(i, cand);
		long d = (long)(chroma(rgb) - chroma(cand)) * (chroma(rgb) - chroma(cand));
		for (int k = 0; k < 3; k++)
			d += (long)(rgb[k] - cand[k]) * (rgb[k] - cand[k]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return best;
}

void
dd_theme_resolve(const struct dd_theme_style *style, int ncolors, int *fg, int *bg)
{
	if (ncolors >= 256) {
		*fg = style->fg;
		*bg = style->bg;
	} else {
		*fg = dd_theme_color_fallback(style->fg16, ncolors);
		*bg = dd_theme_color_fallback(style->bg16, ncolors);
	}
}

/* Black or bright white, whichever reads better on colour c. */
static int
contrast_on(int c)
{
	int rgb[3];

	if (c < 0)
		return DEF;
	palette_rgb(c, rgb);
	return 299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] > 140000 ? BLK : BRT + WHT;
}

enum color_err { COLOR_OK = 0, COLOR_UNKNOWN = -1, COLOR_RANGE = -2, COLOR_FALLBACK = -3 };

/* One colour word: a name, bright-NAME, default, colorN. */
static enum color_err
color_word(const char *w, size_t n, int *c)
{
	for (int i = 0; i < 17; i++) {
		if (strlen(color_names[i]) == n && strncasecmp(w, color_names[i], n) == 0) {
			*c = i == 16 ? DEF : i;
			return COLOR_OK;
		}
	}
	size_t pre = n > 5 && strncasecmp(w, "color", 5) == 0 ? 5 : 0;
	int v = 0;
	if (pre == 0)
		return COLOR_UNKNOWN;
	for (size_t i = pre; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return COLOR_UNKNOWN;
		if (v <= 255)
			v = v * 10 + (w[i] - '0');
	}
	if (v > 255)
		return COLOR_RANGE;
	*c = v;
	return COLOR_OK;
}

/* COLOR[/BASIC]: the colour and what to use below 256 colours. */
static enum color_err
color_parse(const char *tok, int *c, int *c16)
{
	const char *slash = strchr(tok, '/');
	size_t n = slash ? (size_t)(slash - tok) : strlen(tok);
	enum color_err rc = color_word(tok, n, c);

	if (rc != COLOR_OK)
		return rc;
	if (!slash) {
		*c16 = *c < 16 ? *c : dd_theme_color_fallback(*c, 16);
		return COLOR_OK;
	}
	if (*c == DEF || color_word(slash + 1, strlen(slash + 1), c16) != COLOR_OK || *c16 > 15 ||
	    *c16 == DEF)
		return COLOR_FALLBACK;
	return COLOR_OK;
}

static unsigned
attr_lookup(const char *tok)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (strcasecmp(tok, attr_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* A token from the file, made safe to show and short: into buf (64 bytes). */
static const char *
quote(char *buf, const char *s)
{
	dd_text_sanitize(buf, 64, s, strlen(s), 32, DD_TEXT_UTF8);
	return buf;
}

/* The section keys go to: none yet, a known one, or one whose keys are ignored. */
enum theme_section { SEC_NONE, SEC_THEME, SEC_COLORS, SEC_IGNORED };

struct parse_ctx {
	char file[96];              /* sanitized, for messages */
	int line;                   /* the line being read */
	enum theme_section section; /* unknown or broken sections were reported */
	int first_msg_line;         /* to match inih's own error report */
	char *msgs;
	size_t msgslen, used;
	int errors; /* every message, shown or dropped */
	int nmsgs, dropped;
	struct dd_theme_style styles[DD_STYLE_COUNT];
	int role_line[DD_STYLE_COUNT];
	int name_line, desc_line, base_line;
	char name[64], description[160];
	bool mono_base;
};

__attribute__((format(printf, 3, 0))) static void
vmsg_at(struct parse_ctx *c, int line, const char *fmt, va_list ap)
{
	char text[256], full[400], where[16] = "";
	int n;

	c->errors++;
	if (line > 0 && (c->first_msg_line == 0 || line < c->first_msg_line))
		c->first_msg_line = line;
	if (c->nmsgs >= THEME_MAX_MSGS) {
		c->dropped++;
		return;
	}
	c->nmsgs++;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	n = snprintf(full, sizeof(full), "%s%s: %s\n", c->file, where, text);
	if (n > 0 && (size_t)n < sizeof(full) && c->used + (size_t)n < c->msgslen) {
		memcpy(c->msgs + c->used, full, (size_t)n + 1);
		c->used += (size_t)n;
	}
}

/* A message about the current line. */
#define msg(c, ...) msg_at((c), (c)->line, __VA_ARGS__)

/* Returns false, so that a parse step can end with "return msg(...)". */
__attribute__((format(printf, 3, 4))) static bool
msg_at(struct parse_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg_at(c, line, fmt, ap);
	va_end(ap);
	return false;
}

/* " (did you mean 'x'?)" when a candidate is close to word, else "". */
static const char *
did_you_mean(char *buf, size_t len, const char *word, const char *const *cands, size_t n)
{
	const char *near = dd_text_suggest(word, cands, n);

	if (near)
		snprintf(buf, len, " (did you mean '%s'?)", near);
	return near ? buf : "";
}

static bool
msg_unknown(
    struct parse_ctx *c, const char *what, const char *word, const char *const *cands, size_t n)
{
	char q[64], hint[64];

	return msg(c, "unknown %s '%s'%s", what, quote(q, word),
	    did_you_mean(hint, sizeof(hint), word, cands, n));
}

static bool
msg_color(struct parse_ctx *c, enum color_err rc, const char *tok)
{
	char q[64];

	if (rc == COLOR_RANGE)
		return msg(
		    c, "unknown colour '%s' (numbers go from color0 to color255)", quote(q, tok));
	if (rc == COLOR_FALLBACK)
		return msg(c, "bad fallback in '%s' (after '/' comes one of the 16 basic colours)",
		    quote(q, tok));
	return msg_unknown(c, "colour", tok, color_names, 17);
}

/* A word that is neither a colour nor 'on' nor an attribute. */
static bool
msg_bad_word(struct parse_ctx *c, const char *tok, bool first)
{
	if (!first ||
	    (dd_text_suggest(tok, attr_names, 6) && !dd_text_suggest(tok, color_names, 17)))
		return msg_unknown(c, "attribute", tok, attr_names, 6);
	return msg_unknown(c, "colour", tok, color_names, 17);
}

/* One token of a style; returns false after reporting an error. */
struct style_state {
	bool have_fg, have_bg, in_attrs, want_bg;
};

static bool
style_token(struct parse_ctx *c, struct style_state *ss, const char *tok, struct dd_theme_style *st)
{
	char q[64];
	int col, col16;
	enum color_err rc;
	unsigned a;

	if (ss->want_bg) {
		if ((rc = color_parse(tok, &col, &col16)) != COLOR_OK)
			return msg_color(c, rc, tok);
		st->bg = (int16_t)col;
		st->bg16 = (int16_t)col16;
		ss->want_bg = false;
		ss->have_bg = true;
		return true;
	}
	if (strcasecmp(tok, "on") == 0) {
		if (ss->have_bg || ss->in_attrs)
			return msg(c, "unexpected 'on'");
		ss->want_bg = true;
		return true;
	}
	if ((a = attr_lookup(tok)) != 0) {
		st->attrs |= (uint16_t)a;
		ss->in_attrs = true;
		return true;
	}
	rc = color_parse(tok, &col, &col16);
	if (rc == COLOR_UNKNOWN)
		return msg_bad_word(c, tok, !ss->have_fg && !ss->have_bg && !ss->in_attrs);
	if (rc != COLOR_OK)
		return msg_color(c, rc, tok);
	if (ss->have_fg && !ss->have_bg && !ss->in_attrs)
		return msg(c, "expected 'on' before the background colour '%s'", quote(q, tok));
	if (ss->have_fg || ss->have_bg || ss->in_attrs)
		return msg(c, "unexpected colour '%s' after the attributes", quote(q, tok));
	st->fg = (int16_t)col;
	st->fg16 = (int16_t)col16;
	ss->have_fg = true;
	return true;
}

/* FG [on BG] [ATTR...] into *st; returns false after reporting an error. */
static bool
style_parse(struct parse_ctx *c, const char *role, const char *value, struct dd_theme_style *st)
{
	struct style_state ss = {false, false, false, false};
	char buf[256], q[64], *save = NULL;
	int ntok = 0;

	*st = (struct dd_theme_style){DEF, DEF, DEF, DEF, 0};
	snprintf(buf, sizeof(buf), "%s", value);
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		ntok++;
		if (!style_token(c, &ss, tok, st))
			return false;
	}
	if (ss.want_bg)
		return msg(c, "missing colour after 'on'");
	if (ntok == 0)
		return msg(c, "empty style for role '%s'", quote(q, role));
	return true;
}

static bool
role_key(struct parse_ctx *c, const char *name, const char *value)
{
	char q[64];
	int r = dd_theme_role_lookup(name);

	if (r < 0)
		return msg_unknown(c, "role", name, role_names, DD_STYLE_COUNT);
	if (c->role_line[r])
		return msg(c, "duplicate role '%s' (first set on line %d)", quote(q, name),
		    c->role_line[r]);
	c->role_line[r] = c->line;
	return style_parse(c, name, value, &c->styles[r]);
}

static bool
theme_key(struct parse_ctx *c, const char *name, const char *value)
{
	static const char *const keys[] = {"name", "description", "base"};
	char q[64];
	int *seen = strcasecmp(name, "name") == 0          ? &c->name_line
	            : strcasecmp(name, "description") == 0 ? &c->desc_line
	            : strcasecmp(name, "base") == 0        ? &c->base_line
	                                                   : NULL;

	if (!seen)
		return msg_unknown(c, "key", name, keys, 3);
	if (*seen)
		return msg(c, "duplicate key '%s' (first set on line %d)", quote(q, name), *seen);
	*seen = c->line;
	if (seen == &c->name_line)
		dd_text_sanitize(c->name, sizeof(c->name), value, strlen(value), 40, DD_TEXT_UTF8);
	else if (seen == &c->desc_line)
		dd_text_sanitize(c->description, sizeof(c->description), value, strlen(value), 100,
		    DD_TEXT_UTF8);
	else if (strcasecmp(value, "mono") == 0)
		c->mono_base = true;
	else if (strcasecmp(value, "default") != 0)
		return msg(c, "unknown base theme '%s' (default or mono)", quote(q, value));
	return true;
}

/* The reader's key line. */
static void
on_key(void *user, int line, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	char q[64];

	c->line = line;
	if (c->section == SEC_THEME)
		theme_key(c, name, value);
	else if (c->section == SEC_COLORS)
		role_key(c, name, value);
	else if (c->section == SEC_NONE)
		msg(c, "'%s' outside a section ([theme] or [colors])", quote(q, name));
	/* keys of an unknown or broken section: the section line was reported */
}

/* The reader's section header; text after the ']' is ignored. */
static void
on_section(void *user, int line, const char *inner, bool trailing)
{
	struct parse_ctx *c = user;
	size_t n = strlen(inner);
	char q[64], name[64];

	(void)trailing;
	c->line = line;
	if (n == 5 && strncasecmp(inner, "theme", 5) == 0)
		c->section = SEC_THEME;
	else if ((n == 6 && strncasecmp(inner, "colors", 6) == 0) ||
	         (n == 7 && strncasecmp(inner, "colours", 7) == 0))
		c->section = SEC_COLORS;
	else {
		c->section = SEC_IGNORED;
		snprintf(name, sizeof(name), "%.*s", (int)(n < 60 ? n : 60), inner);
		msg(c, "unknown section '%s'", quote(q, name));
	}
}

/* A line the reader rejected. */
static void
on_error(void *user, int line, enum dd_ini_error e)
{
	struct parse_ctx *c = user;

	c->line = line;
	switch (e) {
	case DD_INI_NUL: msg(c, "NUL byte in the line"); break;
	case DD_INI_TOO_LONG: msg(c, "line longer than %d bytes", THEME_MAX_LINE); break;
	case DD_INI_NO_BRACKET:
		c->section = SEC_IGNORED;
		msg(c, "expected ']' after the section name");
		break;
	case DD_INI_GARBAGE: msg(c, "expected 'role = style' or '[section]'"); break;
	}
}

static const struct dd_ini_ops ini_ops = {
    .max_line = THEME_MAX_LINE,
    .section = on_section,
    .key = on_key,
    .error = on_error,
};

/* Every role left at 'default' takes the colours of normal. */
static void
inherit_normal(struct dd_theme *t)
{
	const struct dd_theme_style *n = &t->role[DD_STYLE_NORMAL];

	for (int r = 1; r < DD_STYLE_COUNT; r++) {
		struct dd_theme_style *s = &t->role[r];
		if (s->fg == DEF)
			s->fg = n->fg, s->fg16 = n->fg16;
		if (s->bg == DEF)
			s->bg = n->bg, s->bg16 = n->bg16;
	}
}

/* The file name without directories and ".ini", for a theme without a name. */
static void
name_from_file(struct parse_ctx *c, const char *file)
{
	const char *base = strrchr(file, '/');
	size_t n;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	dd_text_sanitize(c->name, sizeof(c->name), base, n, 40, DD_TEXT_UTF8);
}

static void
build(struct parse_ctx *c, const char *file, struct dd_theme *out)
{
	if (c->mono_base)
		dd_theme_mono(out);
	else
		dd_theme_default(out);
	for (int r = 0; r < DD_STYLE_COUNT; r++) {
		out->set[r] = c->role_line[r] != 0;
		if (out->set[r])
			out->role[r] = c->styles[r];
	}
	inherit_normal(out);
	if (!c->name[0])
		name_from_file(c, file);
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	snprintf(out->description, sizeof(out->description), "%s", c->description);
}

static void
ctx_init(struct parse_ctx *c, const char *file, char *msgs, size_t msgslen)
{
	memset(c, 0, sizeof(*c));
	dd_text_sanitize(c->file, sizeof(c->file), file, strlen(file), 60, DD_TEXT_UTF8);
	c->msgs = msgs;
	c->msgslen = msgslen;
	if (msgs && msgslen > 0)
		msgs[0] = '\0';
}

/* The end of a failed load: the default theme, and the messages closed. */
static int
fail(struct parse_ctx *c, struct dd_theme *out)
{
	c->nmsgs = 0; /* the closing lines always get a slot */
	if (c->dropped)
		msg_at(c, 0, "%d more errors", c->dropped);
	msg_at(c, 0, "using the default theme");
	dd_theme_default(out);
	return -1;
}

int
dd_theme_load_buffer(
    const char *file, const char *buf, size_t len, struct dd_theme *out, char *msgs, size_t msgslen)
{
	struct parse_ctx c;
	int rc;

	if (!file)
		file = "(theme)";
	ctx_init(&c, file, msgs, msgslen);
	if (len > THEME_MAX_BYTES) {
		msg_at(&c, 0, "larger than %d bytes", THEME_MAX_BYTES);
		return fail(&c, out);
	}
	rc = dd_ini_parse(buf, len, &ini_ops, &c);
	if (rc > 0 && (c.first_msg_line == 0 || rc < c.first_msg_line))
		msg_at(&c, rc, "syntax error");
	if (c.errors > 0)
		return fail(&c, out);
	build(&c, file, out);
	return 0;
}

/* Reads a regular file of at most THEME_MAX_BYTES (never blocks on a FIFO), then parses it. */
int
dd_theme_load(const char *path, struct dd_theme *out, char *msgs, size_t msgslen)
{
	struct parse_ctx c;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t got = 0;
	int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	ctx_init(&c, path, msgs, msgslen);
	if (fd < 0 || fstat(fd, &st) != 0) {
		msg_at(&c, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_at(&c, 0, "not a regular file");
		goto out;
	}
	buf = xmalloc(THEME_MAX_BYTES + 1);
	while ((got = read(fd, buf + len, THEME_MAX_BYTES + 1 - len)) > 0)
		len += (size_t)got;
	if (got < 0)
		msg_at(&c, 0, "cannot read: %s", strerror(errno));
	else
		rc = dd_theme_load_buffer(path, buf, len, out, msgs, msgslen);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return c.errors > 0 ? fail(&c, out) : rc;
}

int
dd_theme_apply_accent(struct dd_theme *t, const char *color, char *err, size_t errlen)
{
	struct dd_theme_style *a = &t->role[DD_STYLE_ACCENT], *ti = &t->role[DD_STYLE_TITLE];
	const struct dd_theme_style *n = &t->role[DD_STYLE_NORMAL];
	char q[64], hint[64];
	int c, c16;
	enum color_err rc = color_parse(color, &c, &c16);

	if (strcasecmp(color, "none") == 0)
		return 0;
	if (rc != COLOR_OK) {
		snprintf(err, errlen, "unknown colour '%s'%s", quote(q, color),
		    did_you_mean(hint, sizeof(hint), color, color_names, 17));
		return -1;
	}
	if (c == DEF || !dd_theme_has_color(t))
		return 0;
	a->fg = (int16_t)c;
	a->fg16 = (int16_t)c16;
	if (ti->bg != n->bg) {
		ti->bg = (int16_t)c;
		ti->bg16 = (int16_t)c16;
		ti->fg = (int16_t)contrast_on(c);
		ti->fg16 = (int16_t)contrast_on(c16);
	} else {
		ti->fg = (int16_t)c;
		ti->fg16 = (int16_t)c16;
	}
	return 0;
}
