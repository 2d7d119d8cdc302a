/*
 * sanitize.c: dd_text_sanitize(), the one door between untrusted bytes and
 * the terminal (the rules are tabled in dbdeck/text.h).
 *
 * The input is read once, front to back, and each character becomes one
 * "unit": its own bytes, a placeholder, or nothing. Units go into a sink that
 * knows both limits (columns and bytes) and remembers the last point after
 * which the ellipsis still fits; the first unit that does not fit rolls the
 * output back to that point, appends the ellipsis and stops the scan, so a
 * megabyte of query text costs only as much as the cell it fills.
 */
#include <stdio.h>
#include <string.h>

#include "dbdeck/text.h"

struct sink {
	char *out;
	size_t cap;                 /* usable bytes: outsize - 1 */
	size_t max;                 /* column limit */
	size_t len, cols;           /* output so far */
	size_t safe_len, safe_cols; /* the last point the ellipsis fits after */
	const char *ell;            /* the ellipsis, cut down to fit the limits */
	size_t ell_len, ell_cols;
	size_t line_cols; /* columns since the last '\n' (tab stops) */
	bool utf8, keep_nl;
	bool done;          /* a limit was reached */
	bool base;          /* the last unit was a printable input character */
	int marks;          /* combining marks kept on that base */
	bool space_pending; /* one-line mode: whitespace waits for a character */
};

static void
sink_init(struct sink *s, char *out, size_t outsize, int max_cols, unsigned flags)
{
	memset(s, 0, sizeof(*s));
	s->out = out;
	s->cap = outsize - 1;
	s->max = max_cols > 0 ? (size_t)max_cols : 0;
	s->utf8 = (flags & DD_TEXT_UTF8) != 0;
	s->keep_nl = (flags & DD_TEXT_KEEP_NEWLINES) != 0;
	if (s->utf8 && s->max >= 1 && s->cap >= 3) {
		s->ell = "\xE2\x80\xA6"; /* U+2026 … */
		s->ell_len = 3;
		s->ell_cols = 1;
		return;
	}
	s->ell = "...";
	s->ell_len = 3;
	if (s->ell_len > s->max)
		s->ell_len = s->max;
	if (s->ell_len > s->cap)
		s->ell_len = s->cap;
	s->ell_cols = s->ell_len;
}

/* Rolls back to the safe point, drops trailing spaces, appends the ellipsis. */
static void
sink_cut(struct sink *s)
{
	s->len = s->safe_len;
	s->cols = s->safe_cols;
	while (s->len > 0 && s->out[s->len - 1] == ' ') {
		s->len--;
		s->cols--;
	}
	memcpy(s->out + s->len, s->ell, s->ell_len);
	s->len += s->ell_len;
	s->cols += s->ell_cols;
	s->done = true;
}

/* Appends n bytes that are w columns wide, or cuts the text when they do not fit. */
static bool
sink_put(struct sink *s, const char *b, size_t n, size_t w)
{
	if (s->done)
		return false;
	if (s->cols + w > s->max || s->len + n > s->cap) {
		sink_cut(s);
		return false;
	}
	memcpy(s->out + s->len, b, n);
	s->len += n;
	s->cols += w;
	s->line_cols += w;
	if (s->cols + s->ell_cols <= s->max && s->len + s->ell_len <= s->cap) {
		s->safe_len = s->len;
		s->safe_cols = s->cols;
	}
	return true;
}

/* One unit: first the whitespace that waits for it (one-line mode). */
static void
emit(struct sink *s, const char *b, size_t n, size_t w, bool is_base)
{
	if (s->space_pending) {
		s->space_pending = false;
		if (s->len > 0 && !sink_put(s, " ", 1, 1))
			return;
	}
	if (!sink_put(s, b, n, w))
		return;
	s->base = is_base;
	s->marks = 0;
}

static void
emit_placeholder(struct sink *s, uint32_t cp)
{
	char buf[16];
	int n;

	if (cp >= 0x80 && cp < 0xA0)
		n = snprintf(buf, sizeof(buf), "<%02X>", (unsigned)cp);
	else
		n = snprintf(buf, sizeof(buf), "<U+%04X>", (unsigned)cp);
	emit(s, buf, (size_t)n, (size_t)n, false);
}

/* C0 controls and DEL: control pictures in UTF-8 mode, caret notation in ASCII. */
static void
emit_control(struct sink *s, uint32_t cp)
{
	char buf[4];

	if (s->utf8) {
		size_t n = dd_text_encode(cp == 0x7F ? 0x2421 : 0x2400 + cp, buf);
		emit(s, buf, n, 1, false);
		return;
	}
	buf[0] = '^';
	buf[1] = (char)(cp ^ 0x40);
	emit(s, buf, 2, 2, false);
}

/*
 * Whitespace and line breaks. Returns false when c is not one of them here.
 * next is the following input byte (or -1): a CR LF pair is one line break.
 */
static bool
handle_space(struct sink *s, uint32_t c, int next)
{
	static const char spaces[] = "        ";

	if (!s->keep_nl) {
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f')
			return false;
		s->space_pending = true;
		s->base = false;
		return true;
	}
	if (c == '\r' && next == '\n')
		return true;
	if (c == '\n' || c == '\r') {
		if (sink_put(s, "\n", 1, 0))
			s->line_cols = 0;
	} else if (c == '\t') {
		size_t n = 8 - s->line_cols % 8;
		sink_put(s, spaces, n, n);
	} else if (c == ' ') {
		sink_put(s, " ", 1, 1);
	} else {
		return false;
	}
	s->base = false;
	return true;
}

static bool
is_variation_selector(uint32_t cp)
{
	return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) ||
	       (cp >= 0x180B && cp <= 0x180D) || cp == 0x180F;
}

/* A zero-width character: kept on its base, else dropped or shown by number. */
static void
handle_mark(struct sink *s, uint32_t cp, const unsigned char *b, size_t n)
{
	if (!s->utf8)
		return;
	if (!s->base) {
		emit_placeholder(s, cp);
		return;
	}
	if (s->marks >= DD_TEXT_MAX_COMBINING)
		return;
	if (sink_put(s, (const char *)b, n, 0))
		s->marks++;
}

/* One decoded character (or an invalid subpart) of n bytes at b. */
static void
handle_char(struct sink *s, uint32_t cp, const unsigned char *b, size_t n, int next)
{
	if (cp == DD_TEXT_INVALID) {
		emit(s, s->utf8 ? "\xEF\xBF\xBD" : "?", s->utf8 ? 3 : 1, 1, false);
		return;
	}
	if (handle_space(s, cp, next))
		return;
	if (cp < 0x20 || cp == 0x7F) {
		emit_control(s, cp);
		return;
	}
	if (is_variation_selector(cp))
		return;
	int w = dd_text_cp_width(cp);
	if (w < 0)
		emit_placeholder(s, cp);
	else if (w == 0)
		handle_mark(s, cp, b, n);
	else if (s->utf8)
		emit(s, (const char *)b, n, (size_t)w, true);
	else
		emit(s, "?", 1, 1, true);
}

size_t
dd_text_sanitize(
    char *out, size_t outsize, const char *in, size_t inlen, int max_cols, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sink s;
	size_t i = 0;

	if (outsize == 0)
		return 0;
	sink_init(&s, out, outsize, max_cols, flags);
	while (i < inlen && !s.done) {
		uint32_t cp;
		size_t n;

		if (p[i] > 0x20 && p[i] < 0x7F) {
			emit(&s, (const char *)p + i, 1, 1, true);
			i++;
			continue;
		}
		if (!s.keep_nl && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r'))) {
			s.space_pending = true; /* the fast path of handle_space() */
			s.base = false;
			i++;
			continue;
		}
		n = dd_text_decode(p + i, inlen - i, &cp);
		handle_char(&s, cp, p + i, n, i + n < inlen ? p[i + n] : -1);
		i += n;
	}
	out[s.len] = '\0';
	return s.cols;
}
