/*
 * cmdline.c: the prompt's line editor and the ':' commands (cmdline.h).
 */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/util.h"
#include "dbdeck/text.h"
#include "keys.h"

/* ---- line editor -------------------------------------------------------- */

void
lineedit_start(struct lineedit *e, const char *initial)
{
	dd_strlcpy(e->buf, initial ? initial : "", sizeof(e->buf));
	e->len = strlen(e->buf);
	e->cur = e->len;
	e->hpos = e->nhist;
	e->draft[0] = '\0';
}

static bool
is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

static size_t
prev_char(const struct lineedit *e, size_t at)
{
	while (at > 0 && is_cont((unsigned char)e->buf[--at]))
		;
	return at;
}

static size_t
next_char(const struct lineedit *e, size_t at)
{
	if (at < e->len)
		at++;
	while (at < e->len && is_cont((unsigned char)e->buf[at]))
		at++;
	return at;
}

static void
cut(struct lineedit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->cur = from;
}

static enum le_result
insert(struct lineedit *e, int key)
{
	char enc[4];
	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) || key >= 0x110000 ||
	    (key >= 0xD800 && key <= 0xDFFF))
		return LE_EDITING;
	size_t n = dd_text_encode((uint32_t)key, enc);
	if (e->len + n >= sizeof(e->buf))
		return LE_EDITING;
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
	memcpy(e->buf + e->cur, enc, n);
	e->len += n;
	e->cur += n;
	return LE_CHANGED;
}

static enum le_result
history(struct lineedit *e, int dir)
{
	int to = e->hpos + dir;
	if (to < 0 || to > e->nhist)
		return LE_EDITING;
	if (e->hpos == e->nhist)
		dd_strlcpy(e->draft, e->buf, sizeof(e->draft));
	e->hpos = to;
	dd_strlcpy(e->buf, to == e->nhist ? e->draft : e->hist[to], sizeof(e->buf));
	e->len = e->cur = strlen(e->buf);
	return LE_CHANGED;
}

enum le_result
lineedit_key(struct lineedit *e, int key)
{
	switch (keys_lookup(&keymap_prompt, key, NULL)) {
	case ACT_ACCEPT: return LE_ACCEPT;
	case ACT_DISMISS: return LE_CANCEL;
	case ACT_HIST_PREV: return history(e, -1);
	case ACT_HIST_NEXT: return history(e, +1);
	case ACT_CUR_LEFT: e->cur = prev_char(e, e->cur); return LE_EDITING;
	case ACT_CUR_RIGHT: e->cur = next_char(e, e->cur); return LE_EDITING;
	case ACT_CUR_HOME: e->cur = 0; return LE_EDITING;
	case ACT_CUR_END: e->cur = e->len; return LE_EDITING;
	case ACT_DEL_BACK:
		if (e->cur == 0)
			return LE_EDITING;
		cut(e, prev_char(e, e->cur), e->cur);
		return LE_CHANGED;
	case ACT_DEL_FWD:
		if (e->cur == e->len)
			return LE_EDITING;
		cut(e, e->cur, next_char(e, e->cur));
		return LE_CHANGED;
	case ACT_KILL_LINE: cut(e, 0, e->len); return LE_CHANGED;
	default: return insert(e, key);
	}
}

void
lineedit_remember(struct lineedit *e)
{
	if (e->len == 0 || (e->nhist > 0 && strcmp(e->hist[e->nhist - 1], e->buf) == 0)) {
		e->hpos = e->nhist;
		return;
	}
	if (e->nhist == LINEEDIT_HISTORY) {
		memmove(e->hist[0], e->hist[1], sizeof(e->hist[0]) * (LINEEDIT_HISTORY - 1));
		e->nhist--;
	}
	dd_strlcpy(e->hist[e->nhist++], e->buf, sizeof(e->hist[0]));
	e->hpos = e->nhist;
}

/* ---- commands ----------------------------------------------------------- */

const struct ccmd_def ccmd_defs[] = {
    {"quit", "q", CCMD_QUIT, 0, 0, ":q", "quit the console", true},
    {"theme", NULL, CCMD_THEME, 1, 1, ":theme NAME",
        "switch to a theme (default, mono, light, high-contrast, solarized-dark, or your own)",
        true},
    {"refresh", NULL, CCMD_REFRESH, 1, 1, ":refresh DURATION",
        "refresh interval: 500ms, 2s, 1m (100ms .. 1h)", true},
    {"filter", NULL, CCMD_FILTER, 0, -1, ":filter [TEXT]",
        "filter the current view (the slow queries when it has no filter); no text clears it",
        true},
    {"help", NULL, CCMD_HELP, 0, 0, ":help", "the help view", true},
    {"backup", NULL, CCMD_BACKUP, 1, 1, ":backup CLUSTER", "take a backup of a cluster", false},
    {"restore", NULL, CCMD_RESTORE, 2, 2, ":restore CLUSTER BACKUP",
        "restore a backup (asks for the cluster's name)", false},
    {"switchover", NULL, CCMD_SWITCHOVER, 1, 1, ":switchover NODE",
        "planned change of primary to the replica NODE (S's dialog: type the cluster's name)",
        true},
    {"failover", NULL, CCMD_FAILOVER, 0, 1, ":failover [NODE]",
        "primary gone: promote NODE, or the most advanced replica (F's dialog)", true},
    {"patroni", NULL, CCMD_PATRONI, 2, 3, ":patroni CLUSTER ACTION [NODE]",
        "ask Patroni: pause, resume (maintenance mode), restart NODE, reinit NODE (asks for the "
        "cluster's name)",
        true},
};
const size_t ccmd_count = DD_ARRAY_LEN(ccmd_defs);

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copies the next word of *s into buf (at most len-1 bytes) and advances *s. */
static size_t
next_word(const char **s, char *buf, size_t len)
{
	const char *p = skip_space(*s), *start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	size_t n = (size_t)(p - start);
	if (len > 0) {
		size_t k = n < len - 1 ? n : len - 1;
		memcpy(buf, start, k);
		buf[k] = '\0';
	}
	*s = p;
	return n;
}

static const struct ccmd_def *
find_def(const char *name)
{
	for (size_t i = 0; i < ccmd_count; i++)
		if (strcmp(ccmd_defs[i].name, name) == 0 ||
		    (ccmd_defs[i].alias && strcmp(ccmd_defs[i].alias, name) == 0))
			return &ccmd_defs[i];
	return NULL;
}

static void
unknown(const char *name, char *err, size_t errlen)
{
	const char *names[DD_ARRAY_LEN(ccmd_defs)];
	char shown[64];
	for (size_t i = 0; i < ccmd_count; i++)
		names[i] = ccmd_defs[i].name;
	dd_text_sanitize(shown, sizeof(shown), name, strlen(name), 32, 0);
	const char *near = dd_text_suggest(name, names, ccmd_count);
	if (near)
		snprintf(err, errlen, "unknown command '%s' (did you mean '%s'?)", shown, near);
	else
		snprintf(err, errlen, "unknown command '%s' (see the help: ?)", shown);
}

static int
parse_args(const struct ccmd_def *d, const char *rest, struct ccmd *out, char *err, size_t errlen)
{
	if (d->max_args < 0) {
		dd_strlcpy(out->args[0], skip_space(rest), sizeof(out->args[0]));
		out->nargs = out->args[0][0] ? 1 : 0;
		return 0;
	}
	char word[LINEEDIT_MAX];
	while (next_word(&rest, word, sizeof(word)) > 0) {
		if (out->nargs >= d->max_args || out->nargs >= CCMD_MAX_ARGS) {
			snprintf(err, errlen, "too many arguments: %s", d->usage);
			return -1;
		}
		dd_strlcpy(out->args[out->nargs++], word, sizeof(out->args[0]));
	}
	if (out->nargs < d->min_args) {
		snprintf(err, errlen, "missing argument: %s", d->usage);
		return -1;
	}
	return 0;
}

int
cmdline_parse(const char *line, struct ccmd *out, char *err, size_t errlen)
{
	char name[LINEEDIT_MAX];
	memset(out, 0, sizeof(*out));
	const char *rest = line;
	if (next_word(&rest, name, sizeof(name)) == 0) {
		snprintf(err, errlen, "empty command (see the help: ?)");
		return -1;
	}
	const struct ccmd_def *d = find_def(name);
	if (!d) {
		unknown(name, err, errlen);
		return -1;
	}
	out->def = d;
	if (parse_args(d, rest, out, err, errlen) != 0)
		return -1;
	if (d->kind == CCMD_REFRESH)
		return cmdline_duration(out->args[0], &out->ms, err, errlen);
	return 0;
}

static int
unit_scale(const char *u, double *scale)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	for (size_t i = 0; i < DD_ARRAY_LEN(units); i++)
		if (strcmp(u, units[i].unit) == 0) {
			*scale = units[i].ms;
			return 0;
		}
	return -1;
}

int
cmdline_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	char shown[48];
	char *end;
	double scale;
	errno = 0;
	double v = strtod(s, &end);
	dd_text_sanitize(shown, sizeof(shown), s, strlen(s), 24, 0);
	if (end == s || errno != 0 || !isfinite(v) || v < 0 || !isdigit((unsigned char)*s) ||
	    unit_scale(end, &scale) != 0) {
		snprintf(err, errlen, "bad duration '%s' (like 500ms, 2s, 1m)", shown);
		return -1;
	}
	double r = v * scale;
	if (r < CMD_REFRESH_MIN_MS || r > CMD_REFRESH_MAX_MS) {
		snprintf(err, errlen, "'%s' is out of range (100ms .. 1h)", shown);
		return -1;
	}
	*ms = (int64_t)llround(r);
	return 0;
}

int64_t
cmdline_refresh_step(int64_t ms, int dir)
{
	static const int64_t ladder[] = {250, 500, 1000, 2000, 5000, 10000, 30000, 60000};
	size_t n = DD_ARRAY_LEN(ladder);
	if (dir > 0) {
		for (size_t i = 0; i < n; i++)
			if (ladder[i] > ms)
				return ladder[i];
		return ladder[n - 1] > ms ? ladder[n - 1] : ms;
	}
	for (size_t i = n; i-- > 0;)
		if (ladder[i] < ms)
			return ladder[i];
	return ladder[0] < ms ? ladder[0] : ms;
}
