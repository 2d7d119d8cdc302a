/*
 * console_util.c: allocation that aborts on exhaustion, bounded string copy,
 * case-insensitive search and a small hash for the console (console_util.h).
 */
#include "console_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t n)
{
	/* Not the screen: curses may own it, but stderr goes to the log then. */
	fprintf(stderr, "dbdeck: out of memory (%zu bytes)\n", n);
	abort();
}

void *
tui_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *
tui_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *
tui_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

size_t
tui_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

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

uint64_t
tui_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}
