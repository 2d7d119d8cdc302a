/*
 * suggest.c: "did you mean ...?" for names typed by people (theme roles and
 * colours, and any other table of names): the candidate within a small
 * edit distance of a misspelt word.
 */
#include <string.h>

#include "dbdeck/text.h"

#define SUGGEST_MAX 32

static int
min3(int a, int b, int c)
{
	int m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment distance (a swap of neighbours costs 1), ASCII case-insensitive. */
static int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return SUGGEST_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = (a[i - 1] | 0x20) != (b[j - 1] | 0x20);
			d[i][j] = min3(d[i - 1][j - 1] + cost, d[i - 1][j] + 1, d[i][j - 1] + 1);
			if (i > 1 && j > 1 && (a[i - 1] | 0x20) == (b[j - 2] | 0x20) &&
			    (a[i - 2] | 0x20) == (b[j - 1] | 0x20) && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

const char *
dd_text_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	int limit = len <= 4 ? 1 : 2, best_d = limit + 1;
	const char *best = NULL;

	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int d = edit_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best;
}
