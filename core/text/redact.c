/*
 * redact.c: masks passwords that a server message quotes (text.h).
 *
 * A server that refuses a statement may quote it: MariaDB's parse errors
 * copy the statement from the error on ("... near 'MASTER_PASSWORD='s3cret',
 * MASTER_USE_GTID=...' at line 1"), PostgreSQL's copy the token ("at or near
 * ..."), and replication errors copy the replicated statement. The drivers
 * run every message through dd_text_redact_secrets() before it becomes a
 * struct dd_db_error, so such a password never reaches an error string, the
 * event log, `status` or the screen.
 *
 * The rule is lexical and errs towards masking: after any word that ends in
 * "password" (PASSWORD, MASTER_PASSWORD, sslpassword, ...) or after
 * IDENTIFIED BY, optional blanks, '=' and '(' may follow; then a quoted
 * literal ('...' or "...", with '' and backslash escapes) has its contents
 * replaced by "***", up to the end of the text when the quote is not closed
 * (a message cut short). With '=' and no quote, the bare token is masked. A
 * word followed by anything else ("password authentication failed", "using
 * password: YES") is left alone. Statements that carry a secret get a
 * stricter treatment in the driver (dd_db_error_withhold_quoted).
 */
#include <stdbool.h>
#include <string.h>

#include "dbdeck/text.h"

static const char mask[] = "***";
#define MASK_LEN (sizeof(mask) - 1)

static bool
is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether s[i..] starts with the lower-case word w (case-insensitively). */
static bool
has_word(const char *s, size_t i, const char *w)
{
	for (size_t k = 0; w[k]; k++)
		if (lower(s[i + k]) != w[k])
			return false;
	return true;
}

static size_t
skip_blanks(const char *s, size_t i)
{
	while (is_blank(s[i]))
		i++;
	return i;
}

/* The end of the literal whose opening quote q is at s[j] (index of the close, or strlen). */
static size_t
literal_end(const char *s, size_t j)
{
	char q = s[j];
	size_t k = j + 1;

	while (s[k]) {
		if (s[k] == '\\' && s[k + 1])
			k += 2;
		else if (s[k] == q && s[k + 1] == q)
			k += 2;
		else if (s[k] == q)
			return k;
		else
			k++;
	}
	return k;
}

static size_t
token_end(const char *s, size_t j)
{
	while (s[j] && !is_blank(s[j]) && !strchr(",;)'\"", s[j]))
		j++;
	return j;
}

/*
 * Replaces s[a..b) with the mask (within size, cutting the tail if need be).
 * Returns the index just after the mask.
 */
static size_t
mask_span(char *s, size_t size, size_t a, size_t b)
{
	size_t len = strlen(s), room = size - 1, m = MASK_LEN, tail = len - b;

	if (a + m > room)
		m = room - a;
	if (a + m + tail > room)
		tail = room - a - m;
	memmove(s + a + m, s + b, tail);
	memcpy(s + a, mask, m);
	s[a + m + tail] = '\0';
	return a + m;
}

/* Masks the value after a keyword ending at s[i]; returns where to go on scanning. */
static size_t
mask_value(char *s, size_t size, size_t i, size_t *count)
{
	size_t j = skip_blanks(s, i), end;
	bool eq = false;

	if (s[j] == '=') {
		eq = true;
		j = skip_blanks(s, j + 1);
	}
	if (s[j] == '(')
		j = skip_blanks(s, j + 1);
	if (s[j] == '\'' || s[j] == '"') {
		end = literal_end(s, j);
		(*count)++;
		return mask_span(s, size, j + 1, end);
	}
	if (!eq || (end = token_end(s, j)) == j)
		return i;
	(*count)++;
	return mask_span(s, size, j, end);
}

/* Whether the word s[a..e) ends in "password", case-insensitively. */
static bool
ends_in_password(const char *s, size_t a, size_t e)
{
	static const char pw[] = "password";
	size_t n = sizeof(pw) - 1;

	return e - a >= n && has_word(s, e - n, pw);
}

static size_t
word_end(const char *s, size_t i)
{
	while (is_ident(s[i]))
		i++;
	return i;
}

/* After the word s[a..e): where a secret value starts to be looked for, or 0. */
static size_t
value_start(const char *s, size_t a, size_t e)
{
	size_t j;

	if (ends_in_password(s, a, e))
		return e;
	if (e - a != 10 || !has_word(s, a, "identified"))
		return 0;
	j = skip_blanks(s, e);
	if (has_word(s, j, "by") && !is_ident(s[j + 2]))
		return j + 2;
	return 0;
}

size_t
dd_text_redact_secrets(char *s, size_t size)
{
	size_t count = 0, i = 0, e, v;

	if (!s || size == 0)
		return 0;
	while (s[i]) {
		if (!is_ident(s[i])) {
			i++;
			continue;
		}
		e = word_end(s, i);
		v = value_start(s, i, e);
		i = v ? mask_value(s, size, v, &count) : e;
	}
	return count;
}
