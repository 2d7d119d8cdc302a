/*
 * sqlnorm.c: strips the data out of a SQL statement before it is kept in the
 * pool's slow-query log (dd_sql_normalize, declared in text.h).
 *
 * A small scanner, not a parser: it recognizes the lexical forms that can
 * carry values (string literals of both engines, dollar quotes, numbers,
 * comments) and replaces each with '?', copying names, keywords, operators
 * and parameters ($1, ?) as they are. When in doubt it swallows text rather
 * than let a value through: an unterminated literal or comment hides the rest.
 * Known limit: a MySQL server running with NO_BACKSLASH_ESCAPES (or PostgreSQL
 * with standard_conforming_strings off) ends strings differently from what is
 * assumed here (backslash escapes only in MySQL strings and PG E'' strings).
 */
#include <stdbool.h>
#include <string.h>

#include "dbdeck/text.h"

struct norm_out {
	char *buf;
	size_t len, cap;    /* cap: usable bytes, without the terminator */
	bool space;         /* a separator is pending */
	bool prev_ident;    /* the last thing written ends a name or keyword */
	size_t ident_start; /* where that name starts in buf */
};

static bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void
put_raw(struct norm_out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

/* Starts a token: writes the pending separator first. */
static void
put_token_char(struct norm_out *o, char c)
{
	if (o->space && o->len > 0)
		put_raw(o, ' ');
	o->space = false;
	o->prev_ident = false;
	put_raw(o, c);
}

static void
put_value(struct norm_out *o)
{
	put_token_char(o, '?');
}

/* Skips a quoted literal starting at s[i] == q; returns the index after it. */
static size_t
skip_quoted(const char *s, size_t i, char q, bool backslash)
{
	for (i++; s[i]; i++) {
		if (backslash && s[i] == '\\' && s[i + 1]) {
			i++;
			continue;
		}
		if (s[i] == q) {
			if (s[i + 1] == q) {
				i++;
				continue;
			}
			return i + 1;
		}
	}
	return i;
}

/* Skips a comment at s[i] ("--", "#" or slash-star, nested for PG). */
static size_t
skip_comment(const char *s, size_t i, bool nested)
{
	int depth = 0;

	if (s[i] != '/') {
		while (s[i] && s[i] != '\n')
			i++;
		return i;
	}
	for (; s[i]; i++) {
		if (s[i] == '/' && s[i + 1] == '*') {
			depth++;
			i++;
		} else if (s[i] == '*' && s[i + 1] == '/') {
			i++;
			if (--depth == 0 || !nested)
				return i + 1;
		}
	}
	return i;
}

/* A PG dollar quote at s[i]: returns the tag length including both '$', or 0. */
static size_t
dollar_tag(const char *s, size_t i)
{
	size_t j = i + 1;

	if (s[j] == '$')
		return 2;
	if (!is_ident_start((unsigned char)s[j]))
		return 0;
	while (is_ident_char((unsigned char)s[j]) && s[j] != '$')
		j++;
	return s[j] == '$' ? j - i + 1 : 0;
}

static size_t
skip_dollar(const char *s, size_t i, size_t tlen)
{
	const char *end = NULL;
	const char *p = s + i + tlen;

	while ((p = strchr(p, '$')) != NULL) {
		if (strncmp(p, s + i, tlen) == 0) {
			end = p;
			break;
		}
		p++;
	}
	return end ? (size_t)(end - s) + tlen : strlen(s);
}

static size_t
skip_number(const char *s, size_t i)
{
	if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == 'b' ||
	                       s[i + 1] == 'B' || s[i + 1] == 'o' || s[i + 1] == 'O')) {
		i += 2;
		while (is_ident_char((unsigned char)s[i]))
			i++;
		return i;
	}
	while (is_digit((unsigned char)s[i]) || s[i] == '.' || s[i] == '_')
		i++;
	if ((s[i] == 'e' || s[i] == 'E') &&
	    (is_digit((unsigned char)s[i + 1]) ||
	        ((s[i + 1] == '+' || s[i + 1] == '-') && is_digit((unsigned char)s[i + 2])))) {
		i += 2;
		while (is_digit((unsigned char)s[i]))
			i++;
	}
	return i;
}

/* True when the name just written is exactly E or e (a PG escape string prefix). */
static bool
prev_is_escape_prefix(const struct norm_out *o)
{
	return o->prev_ident && o->len == o->ident_start + 1 &&
	       (o->buf[o->ident_start] == 'E' || o->buf[o->ident_start] == 'e');
}

static size_t
copy_ident(struct norm_out *o, const char *s, size_t i)
{
	put_token_char(o, s[i]);
	o->ident_start = o->len ? o->len - 1 : 0;
	for (i++; is_ident_char((unsigned char)s[i]); i++)
		put_raw(o, s[i]);
	o->prev_ident = true;
	return i;
}

/* Copies a quoted name ("x" in PG, `x` in MySQL) as it is. */
static size_t
copy_quoted_name(struct norm_out *o, const char *s, size_t i, char q)
{
	size_t end = skip_quoted(s, i, q, false);

	put_token_char(o, s[i]);
	for (i++; i < end; i++)
		put_raw(o, s[i]);
	return end;
}

/* One lexical element at s[i]; returns the index after it. */
static size_t
norm_step(struct norm_out *o, enum dd_engine engine, const char *s, size_t i)
{
	bool pg = engine == DD_ENGINE_POSTGRESQL;
	unsigned char c = (unsigned char)s[i];
	size_t t;

	if (is_space(c)) {
		o->space = true;
		o->prev_ident = false;
		return i + 1;
	}
	if ((c == '-' && s[i + 1] == '-') || (c == '/' && s[i + 1] == '*') || (!pg && c == '#')) {
		o->space = true;
		o->prev_ident = false;
		return skip_comment(s, i, pg);
	}
	if (c == '\'') {
		bool esc = !pg || prev_is_escape_prefix(o);
		o->prev_ident = false;
		put_value(o);
		return skip_quoted(s, i, '\'', esc);
	}
	if (c == '"')
		return pg ? copy_quoted_name(o, s, i, '"')
		          : (put_value(o), skip_quoted(s, i, '"', true));
	if (c == '`' && !pg)
		return copy_quoted_name(o, s, i, '`');
	if (c == '$' && pg && (t = dollar_tag(s, i)) > 0) {
		put_value(o);
		return skip_dollar(s, i, t);
	}
	if (c == '$' && is_digit((unsigned char)s[i + 1])) {
		put_token_char(o, '$');
		for (i++; is_digit((unsigned char)s[i]); i++)
			put_raw(o, s[i]);
		return i;
	}
	if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[i + 1]))) {
		put_value(o);
		return skip_number(s, i);
	}
	if (is_ident_start(c))
		return copy_ident(o, s, i);
	put_token_char(o, (char)c);
	return i + 1;
}

void
dd_sql_normalize(enum dd_engine engine, const char *sql, char *out, size_t outlen)
{
	struct norm_out o = {.buf = out, .cap = outlen ? outlen - 1 : 0};
	size_t i = 0;

	if (!out || outlen == 0)
		return;
	if (sql) {
		while (sql[i] && o.len < o.cap)
			i = norm_step(&o, engine, sql, i);
	}
	out[o.len] = '\0';
}
