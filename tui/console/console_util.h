/*
 * console_util.h: the two string helpers of the console's filters and sorts
 * that core has no use for. Allocation, bounded copy, the clocks and the
 * hash are core's (dbdeck/util.h).
 */
#ifndef DD_CONSOLE_UTIL_H
#define DD_CONSOLE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Case-insensitive (ASCII) search for needle (NUL-terminated) in the first
 * hlen bytes of hay (any bytes). True for an empty needle.
 */
bool tui_contains(const char *hay, size_t hlen, const char *needle);

/* Case-insensitive (ASCII) comparison of two NUL-terminated strings, NULL as "". */
int tui_strcasecmp0(const char *a, const char *b);

#endif
