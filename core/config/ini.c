/*
 * ini.c: the strict INI line reader of dbdeck/ini.h, used by the config
 * loader (config_load.c) and the theme parser (tui/theme/theme.c).
 *
 * inih is fed through ini_parse_stream with our own reader, one physical
 * line per call, so the reader always knows the exact line number (Debian's
 * libinih is built without INI_HANDLER_LINENO). The reader classifies every
 * line itself: section headers go to the caller (inih cuts section names at
 * 50 bytes and has no callback for a section without keys), malformed lines
 * are reported, and inih only ever sees key lines, which it splits into key
 * and value, stripping blanks and inline comments. Every other line reaches
 * inih blank.
 */
#include "dbdeck/ini.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ini_run {
	const struct dd_ini_ops *ops;
	void *ctx;
	const char *buf;
	size_t len, pos;
	int line;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* An inline comment starts at s[i]: a ';' after a blank (as inih reads it). */
static bool
comment_at(const char *s, size_t i)
{
	return s[i] == ';' && i > 0 && is_blank(s[i - 1]);
}

/* True when '=' or ':' comes before any inline comment (as inih splits). */
static bool
has_separator(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == ':')
			return true;
		if (comment_at(s, i))
			return false;
	}
	return false;
}

/* A line starting with '[' (n bytes, trimmed, no NUL). */
static void
header_line(struct ini_run *r, const char *s, size_t n)
{
	char inner[DD_INI_MAX_LINE + 1];
	size_t close = 1;

	while (close < n && s[close] != ']' && !comment_at(s, close))
		close++;
	if (close >= n || s[close] != ']') {
		r->ops->error(r->ctx, r->line, DD_INI_NO_BRACKET);
		return;
	}
	size_t after = close + 1;
	while (after < n && is_blank(s[after]))
		after++;
	bool trailing = after < n && s[after] != ';' && s[after] != '#';
	memcpy(inner, s + 1, close - 1);
	inner[close - 1] = '\0';
	r->ops->section(r->ctx, r->line, inner, trailing);
}

/* True to hand the line (n bytes at s, trimmed) to inih. */
static bool
classify(struct ini_run *r, const char *s, size_t n, size_t max)
{
	if (memchr(s, '\0', n)) {
		r->ops->error(r->ctx, r->line, DD_INI_NUL);
		return false;
	}
	if (n > max) {
		r->ops->error(r->ctx, r->line, DD_INI_TOO_LONG);
		return false;
	}
	if (n == 0 || s[0] == ';' || s[0] == '#')
		return false;
	if (s[0] == '[') {
		header_line(r, s, n);
		return false;
	}
	if (!has_separator(s, n)) {
		r->ops->error(r->ctx, r->line, DD_INI_GARBAGE);
		return false;
	}
	return true;
}

/*
 * inih's reader: exactly one line of the buffer per call (so inih's line
 * count is ours), blanks trimmed; a line that is not a key line reaches inih
 * blank.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct ini_run *r = stream;
	const char *b = r->buf + r->pos;
	size_t avail = r->len - r->pos, n, max = (size_t)r->ops->max_line;

	if (r->pos >= r->len || num < 3)
		return NULL;
	if (max > (size_t)num - 2)
		max = (size_t)num - 2;
	const char *nl = memchr(b, '\n', avail);
	n = nl ? (size_t)(nl - b) : avail;
	r->pos += nl ? n + 1 : n;
	r->line++;
	if (r->line == 1 && n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		b += 3, n -= 3;
	while (n > 0 && is_blank(*b))
		b++, n--;
	while (n > 0 && is_blank(b[n - 1]))
		n--;
	if (!classify(r, b, n, max))
		n = 0;
	memcpy(str, b, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* inih's handler: one key line, split. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct ini_run *r = user;

	(void)section; /* always "": inih never sees a header */
	r->ops->key(r->ctx, r->line, name, value);
	return 1;
}

int
dd_ini_parse(const char *buf, size_t len, const struct dd_ini_ops *ops, void *ctx)
{
	struct ini_run r = {.ops = ops, .ctx = ctx, .buf = buf, .len = len};
	int rc = ini_parse_stream(read_line, &r, on_key, &r);

	if (rc == -2) {
		fprintf(stderr, "dbdeck: out of memory in inih\n");
		abort();
	}
	return rc;
}
