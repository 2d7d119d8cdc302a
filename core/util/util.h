/*
 * util.h: the helpers every core module uses (internal, not installed). The
 * shared ones are public in dbdeck/util.h, so that tui and tests use the same
 * copy; what only core needs is declared here.
 */
#ifndef DD_UTIL_H
#define DD_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/util.h"

/* Zeroed memory aligned to align (a power of two, a multiple of sizeof(void *)); free() it. */
void *xcalloc_aligned(size_t align, size_t size);

/*
 * Condition variables on the monotonic clock (cond.c). dd_cond_init_mono
 * initialises cv so that timed waits use CLOCK_MONOTONIC (destroy it with
 * pthread_cond_destroy). dd_cond_wait_until waits on cv (mu held, as
 * pthread_cond_wait) until it is signalled or deadline_ns, a dd_now_mono_ns()
 * time, passes: false when the deadline has passed (without waiting if it
 * already had), true on a wake-up, which may be spurious (loop on the
 * condition). INT64_MAX (DD_NO_DEADLINE) waits without a deadline.
 */
void dd_cond_init_mono(pthread_cond_t *cv);
bool dd_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ns);

#endif
