/*
 * util.h: the helpers every core module uses (internal, not installed). The
 * shared ones are public in dbdeck/util.h, so that tui and tests use the same
 * copy; what only core needs is declared here.
 */
#ifndef DD_UTIL_H
#define DD_UTIL_H

#include <stddef.h>

#include "dbdeck/util.h"

/* Zeroed memory aligned to align (a power of two, a multiple of sizeof(void *)); free() it. */
void *xcalloc_aligned(size_t align, size_t size);

#endif
