/*
 * retry.h: when to try a failed call again, and how long to wait first.
 *
 * Exponential backoff with full jitter: before retry k (k = 1 is the first
 * retry, i.e. the second attempt) sleep a uniformly random time in
 *     [0, min(cap, base * 2^(k-1))]
 * within a total budget of attempts and of time. Only errors that may go away
 * by themselves are retried (transient, timeout, lost connection); a write that
 * is not idempotent is never sent twice unless the caller marked it safe, but a
 * statement that never left (the connect failed) may always be tried again.
 *
 * The per-call state is a small struct kept on the caller's stack; its fields
 * are private to retry.c. Nothing here locks: one dd_retry per call, one thread.
 */
#ifndef DBDECK_RETRY_H
#define DBDECK_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/clock.h"

/*
 * What kind of failure ended an attempt. The drivers classify engine errors
 * (SQLSTATE 08xxx, 40001, 40P01, 57P01, 53300; MySQL 2002, 2003, 2006, 2013,
 * 1040, 1205, 1213 ...); the pool maps the driver's class onto this one.
 */
enum dd_retry_class {
	DD_RETRY_TRANSIENT, /* serialization failure, deadlock, too many connections, shutdown */
	DD_RETRY_TIMEOUT,   /* the client-side deadline passed */
	DD_RETRY_CONN_LOST, /* connect refused or the connection dropped */
	DD_RETRY_PERMANENT, /* syntax, constraint, missing object ...: never retried */
	DD_RETRY_AUTH,      /* bad credentials or privileges: never retried */
};

/* Flags describing the call, for dd_retry_next() and dd_retry_run(). */
enum {
	/* Running it twice does no harm: a read, or a write the caller marked safe. */
	DD_RETRY_IDEMPOTENT = 1u << 0,
	/* The statement certainly never reached the server (connect failed). */
	DD_RETRY_NOT_SENT = 1u << 1,
};

struct dd_retry_policy {
	int attempts;        /* total attempts, including the first (>= 1); default 3 */
	int64_t base_ns;     /* window of the first retry; default 100 ms */
	int64_t cap_ns;      /* largest window; default 1 s */
	int64_t max_time_ns; /* whole budget from dd_retry_begin(); default 2 s */
};

#define DD_RETRY_DEFAULT_ATTEMPTS    3
#define DD_RETRY_DEFAULT_BASE_NS     INT64_C(100000000)
#define DD_RETRY_DEFAULT_CAP_NS      INT64_C(1000000000)
#define DD_RETRY_DEFAULT_MAX_TIME_NS INT64_C(2000000000)

/* Fills p with the defaults above. */
void dd_retry_policy_default(struct dd_retry_policy *p);

/* Per-call state. Fields are private: use the functions below. */
struct dd_retry {
	struct dd_retry_policy policy;
	struct dd_clock clock;
	struct dd_rand rand;
	int64_t start_ns;
	int64_t slept_ns;
	int attempts;            /* failed attempts reported so far */
	const char *stop_reason; /* static string, or NULL while retrying */
};

/*
 * Starts the budget for one call. p is copied (out-of-range fields are
 * clamped: attempts >= 1, durations >= 0, cap >= base); clock and rand are
 * copied too, their ctx borrowed until the last dd_retry_* call on r. NULL
 * clock or rand means the real ones.
 */
void dd_retry_begin(struct dd_retry *r, const struct dd_retry_policy *p,
    const struct dd_clock *clock, const struct dd_rand *rand);

/*
 * Called after an attempt failed with class cls. Returns true when the call
 * should be tried again after sleeping *sleep_ns (always >= 0 and such that
 * the time used so far plus the sleep stays below max_time). Returns false
 * when it must not: the class is never retried, a non-idempotent statement may
 * have reached the server, the attempts are used up, or the sleep would reach
 * past the time budget; dd_retry_stop_reason() then says which.
 * flags: DD_RETRY_IDEMPOTENT | DD_RETRY_NOT_SENT. sleep_ns may be NULL.
 */
bool dd_retry_next(struct dd_retry *r, enum dd_retry_class cls, unsigned flags, int64_t *sleep_ns);

/* Why the last dd_retry_next() returned false, or NULL. Static storage. */
const char *dd_retry_stop_reason(const struct dd_retry *r);

/* Time left in the budget (may be <= 0): use it to bound the next attempt's deadline. */
int64_t dd_retry_remaining_ns(const struct dd_retry *r);

/* Failed attempts reported so far, and the total sleep granted. */
int dd_retry_attempts(const struct dd_retry *r);
int64_t dd_retry_slept_ns(const struct dd_retry *r);

/*
 * The jitter formula alone: the sleep before retry k (k >= 1) for the raw
 * random value rnd, i.e. floor(rnd * (w + 1) / 2^64) with
 * w = min(cap, base * 2^(k-1)): 0 for rnd = 0, exactly w for rnd = UINT64_MAX.
 */
int64_t dd_retry_backoff_ns(const struct dd_retry_policy *p, int k, uint64_t rnd);

/* The upper end w of that window. */
int64_t dd_retry_window_ns(const struct dd_retry_policy *p, int k);

/* "transient", "timeout", "conn_lost", "permanent", "auth". Static storage. */
const char *dd_retry_class_name(enum dd_retry_class cls);

/*
 * One attempt of dd_retry_run(): returns 0 on success; on failure returns
 * non-zero and sets *cls, and sets *not_sent = true when the statement
 * certainly never reached the server (it is false on entry). attempt is 1 for
 * the first call; r tells the remaining budget (dd_retry_remaining_ns).
 */
typedef int (*dd_retry_fn)(
    void *ctx, int attempt, const struct dd_retry *r, enum dd_retry_class *cls, bool *not_sent);

/*
 * Calls fn until it succeeds or dd_retry_next() says stop, sleeping on clock
 * between attempts. flags: DD_RETRY_IDEMPOTENT or 0 (NOT_SENT comes from fn).
 * Returns 0, or the last non-zero value fn returned. The stop reason is
 * written to why (may be NULL) as a static string, NULL on success.
 */
int dd_retry_run(const struct dd_retry_policy *p, const struct dd_clock *clock,
    const struct dd_rand *rand, unsigned flags, dd_retry_fn fn, void *ctx, const char **why);

#endif
