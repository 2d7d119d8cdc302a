/*
 * sanitize_check.h: an independent judge of dd_text_sanitize() output, shared
 * by the fuzz target and the unit test (header only).
 *
 * It does not reuse the sanitizer's decoder or width function: UTF-8 is
 * validated against the well-formed byte sequences of Unicode's table 3-7,
 * and widths come from wcswidth-style summing of wcwidth() under the process
 * locale C.UTF-8, which sanitize_check_init() sets.
 */
#ifndef DD_SANITIZE_CHECK_H
#define DD_SANITIZE_CHECK_H

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dbdeck/text.h"

static inline bool
sanitize_check_init(void)
{
	return setlocale(LC_CTYPE, "C.UTF-8") != NULL;
}

/* One well-formed sequence at s (table 3-7): its length, or 0 if ill-formed. */
static inline size_t
check_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		int len;
	} forms[] = {
	    {0x00, 0x7F, 0, 0, 1},
	    {0xC2, 0xDF, 0x80, 0xBF, 2},
	    {0xE0, 0xE0, 0xA0, 0xBF, 3},
	    {0xE1, 0xEC, 0x80, 0xBF, 3},
	    {0xED, 0xED, 0x80, 0x9F, 3},
	    {0xEE, 0xEF, 0x80, 0xBF, 3},
	    {0xF0, 0xF0, 0x90, 0xBF, 4},
	    {0xF1, 0xF3, 0x80, 0xBF, 4},
	    {0xF4, 0xF4, 0x80, 0x8F, 4},
	};
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		int len = forms[f].len;
		if (s[0] < forms[f].lo0 || s[0] > forms[f].hi0)
			continue;
		if ((size_t)len > n)
			return 0;
		if (len > 1 && (s[1] < forms[f].lo1 || s[1] > forms[f].hi1))
			return 0;
		for (int k = 2; k < len; k++)
			if (s[k] < 0x80 || s[k] > 0xBF)
				return 0;
		static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
		uint32_t v = s[0] & lead_mask[len];
		for (int k = 1; k < len; k++)
			v = (v << 6) | (s[k] & 0x3F);
		*cp = v;
		return (size_t)len;
	}
	return 0;
}

/* Code points that must never reach the terminal, whatever wcwidth says. */
static inline bool
check_forbidden_cp(uint32_t cp, bool keep_nl)
{
	if (cp == '\n')
		return !keep_nl;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return true;
	if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
		return true; /* bidi embeddings, overrides, isolates */
	if (cp == 0x2028 || cp == 0x2029 || cp == 0x061C || cp == 0xFEFF || cp == 0x00AD)
		return true;
	if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064))
		return true;
	if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000 || (cp >= 0xE0000 && cp <= 0xE007F))
		return true;
	if (cp == 0xFE0F || cp == 0xFE0E)
		return true; /* variation selectors are dropped */
	return false;
}

/*
 * Judges out (from dd_text_sanitize(out, outsize, ..., max_cols, flags)
 * returning ret). Returns NULL when it is acceptable, else the first problem.
 */
static inline const char *
check_sanitized(const char *out, size_t outsize, size_t ret, int max_cols, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t len = strlen(out), cols = 0, i = 0;
	bool keep_nl = (flags & DD_TEXT_KEEP_NEWLINES) != 0;

	if (len >= outsize)
		return "longer than the buffer";
	while (i < len) {
		uint32_t cp;
		size_t n = check_utf8_seq(s + i, len - i, &cp);
		if (n == 0)
			return "invalid UTF-8";
		if (!(flags & DD_TEXT_UTF8) && cp >= 0x80)
			return "non-ASCII in ASCII mode";
		if (check_forbidden_cp(cp, keep_nl))
			return "forbidden code point";
		if (cp != '\n') {
			int w = wcwidth((wchar_t)cp);
			if (w < 0)
				return "non-printable code point";
			cols += (size_t)w;
		}
		i += n;
	}
	if (cols > (size_t)(max_cols < 0 ? 0 : max_cols))
		return "wider than max_cols";
	if (cols != ret)
		return "returned width differs from the measured one";
	if (!keep_nl && len > 0 && (out[0] == ' ' || out[len - 1] == ' ' || strstr(out, "  ")))
		return "uncollapsed whitespace in one-line mode";
	return NULL;
}

/*
 * Judges a cut: trunc (from the same input and flags with limits) must be the
 * untruncated result full, or a prefix of it followed by an ellipsis.
 */
static inline const char *
check_prefix(const char *trunc, const char *full)
{
	static const char *const ells[] = {"\xE2\x80\xA6", "...", "..", "."};
	size_t tl = strlen(trunc);

	if (strcmp(trunc, full) == 0)
		return NULL;
	for (size_t e = 0; e < sizeof(ells) / sizeof(ells[0]); e++) {
		size_t el = strlen(ells[e]);
		if (tl >= el && memcmp(trunc + tl - el, ells[e], el) == 0) {
			tl -= el;
			break;
		}
	}
	if (tl > strlen(full) || memcmp(trunc, full, tl) != 0)
		return "a cut result is not a prefix of the full result";
	return NULL;
}

#endif
