/*
 * util.h: small helpers shared by every core module (internal, not installed).
 *
 * Out-of-memory is fatal: xmalloc and friends abort with a message rather than
 * make every caller handle a case it cannot recover from. Time comes from two
 * clocks: dd_now_mono_ns() for durations and deadlines, dd_now_wall_ms() for
 * timestamps shown to people.
 */
#ifndef DD_UTIL_H
#define DD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: never returns NULL; aborts on exhaustion. Caller frees. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Zeroed memory aligned to align (a power of two, a multiple of sizeof(void *)); free() it. */
void *xcalloc_aligned(size_t align, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), nonnull(1)));

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t dd_strlcpy(char *dst, const char *src, size_t size);

/*
 * Formats into a caller-owned error buffer (may be NULL or errlen 0, then it
 * does nothing). Used for the `char *err, size_t errlen` convention.
 */
void dd_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Monotonic clock in nanoseconds: for durations and deadlines. */
int64_t dd_now_mono_ns(void);
/* Wall clock in milliseconds since the epoch (UTC): for display only. */
int64_t dd_now_wall_ms(void);

#endif
