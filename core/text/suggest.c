/*
 * suggest.c: "did you mean ...?" for names typed by people (config keys,
 * sections, choices and node names; theme roles and colours; console
 * commands): the candidate within a small edit distance of a misspelt word.
 */
#include <string.h>

#include "dbdeck/text.h"

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/*
 * Optimal string alignment distance, rows i-2, i-1 and i kept (d[i % 3]).
 * The swap of neighbours reads row i-2.
 */
size_t
dd_text_edit_distance(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	size_t la = strlen(a), lb = strlen(b);
	size_t d[3][DD_TEXT_EDIT_MAX + 1];

	if (la > DD_TEXT_EDIT_MAX || lb > DD_TEXT_EDIT_MAX)
		return DD_TEXT_EDIT_MAX;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *up = d[(i + 2) % 3], *up2 = d[(i + 1) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned char ca = fold(x[i - 1]), cb = fold(y[j - 1]);
			cur[j] = min3(up[j - 1] + (ca != cb), up[j] + 1, cur[j - 1] + 1);
			if (i > 1 && j > 1 && ca == fold(y[j - 2]) && fold(x[i - 2]) == cb &&
			    up2[j - 2] + 1 < cur[j])
				cur[j] = up2[j - 2] + 1;
		}
	}
	return d[la % 3][lb];
}

const char *
dd_text_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3, best_d = limit + 1;
	const char *best = NULL;

	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t lc = strlen(cands[i]);
		if ((len > lc ? len - lc : lc - len) > limit)
			continue; /* too far apart in length alone */
		size_t d = dd_text_edit_distance(word, cands[i]);
		if (d < best_d && d < lc) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}
