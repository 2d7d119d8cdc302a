/*
 * util.h: the small helpers that core, tui and tests all use: allocation that
 * aborts on exhaustion, bounded copy, caller-buffer errors, the two clocks,
 * a hash. One copy for the whole tree (core/util/util.c); core files reach it
 * through their internal util/util.h, everything else includes this header.
 *
 * Out-of-memory is fatal: xmalloc and friends abort with a message on stderr
 * rather than make every caller handle a case it cannot recover from. Time
 * comes from two clocks: dd_now_mono_ns() for durations and deadlines,
 * dd_now_wall_ms() for timestamps shown to people.
 */
#ifndef DBDECK_UTIL_H
#define DBDECK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: never returns NULL; aborts on exhaustion. Caller frees. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* A copy of at most n bytes of s (stops at a NUL), always terminated. */
char *xstrndup(const char *s, size_t n);
/* Returns a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), nonnull(1)));

/* Copies at most size-1 bytes and always terminates (when size > 0); returns strlen(src). */
size_t dd_strlcpy(char *dst, const char *src, size_t size);

/*
 * Formats into a caller-owned error buffer (may be NULL or errlen 0, then it
 * does nothing). Used for the `char *err, size_t errlen` convention.
 */
void dd_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC): for durations and deadlines. */
int64_t dd_now_mono_ns(void);
/* Wall clock in milliseconds since the epoch (UTC): for display only. */
int64_t dd_now_wall_ms(void);
/*
 * Writes wall_ms (milliseconds since the epoch) as ISO 8601 UTC with
 * milliseconds, 2026-11-23T13:50:00.123Z, into buf (always terminated; 25
 * bytes hold it). The one format of times in JSON, manifests and the audit log.
 */
void dd_iso_time_ms(int64_t wall_ms, char *buf, size_t len);

/*
 * FNV-1a, 64 bits, over n bytes at p, continuing from h (start with
 * DD_FNV1A_INIT): an identity for texts and rows, not a secret, not for
 * tables an attacker fills.
 */
#define DD_FNV1A_INIT UINT64_C(0xcbf29ce484222325)
uint64_t dd_fnv1a(uint64_t h, const void *p, size_t n);

#endif
