/*
 * console_util.c: case-insensitive search and comparison for the console's
 * filters and sorts (console_util.h).
 */
#include "console_util.h"

#include <string.h>

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

bool
tui_contains(const char *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle);
	if (nlen == 0)
		return true;
	if (!hay || hlen < nlen)
		return false;
	int first = lower((unsigned char)needle[0]);
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (lower((unsigned char)hay[i]) != first)
			continue;
		size_t j = 1;
		while (
		    j < nlen && lower((unsigned char)hay[i + j]) == lower((unsigned char)needle[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

int
tui_strcasecmp0(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)(a ? a : "");
	const unsigned char *q = (const unsigned char *)(b ? b : "");
	while (*p && lower(*p) == lower(*q)) {
		p++;
		q++;
	}
	return lower(*p) - lower(*q);
}
