/*
 * console_util.h: small helpers shared by the console's files (the tui
 * cannot use core's internal util.h). Allocation aborts on exhaustion, like
 * core's xmalloc: the console cannot do anything useful without memory.
 */
#ifndef DD_CONSOLE_UTIL_H
#define DD_CONSOLE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUI_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Never return NULL (abort on exhaustion). The caller frees. */
void *tui_xmalloc(size_t n);
void *tui_xcalloc(size_t count, size_t size);
void *tui_xrealloc(void *p, size_t n);

/* Copies at most size-1 bytes, always terminates (size > 0); returns strlen(src). */
size_t tui_strlcpy(char *dst, const char *src, size_t size);

/*
 * Case-insensitive (ASCII) search for needle (NUL-terminated) in the first
 * hlen bytes of hay (any bytes). True for an empty needle.
 */
bool tui_contains(const char *hay, size_t hlen, const char *needle);

/* Case-insensitive (ASCII) comparison of two NUL-terminated strings, NULL as "". */
int tui_strcasecmp0(const char *a, const char *b);

/* FNV-1a over n bytes, continuing from h (start with TUI_FNV_INIT). */
#define TUI_FNV_INIT UINT64_C(0xcbf29ce484222325)
uint64_t tui_fnv(uint64_t h, const void *p, size_t n);

#endif
