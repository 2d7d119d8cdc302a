/*
 * clock.h: injectable time and randomness for the pure-logic modules (breaker,
 * retry, alerts, the monitor). Implemented in core/util/clock.c.
 *
 * Logic that depends on time takes a `struct dd_clock` instead of reading the
 * system clocks, and logic that draws random numbers takes a `struct dd_rand`,
 * so tests drive them with a manual clock and a seeded generator. Passing NULL
 * where a clock or random source is expected means "the real one".
 */
#ifndef DBDECK_CLOCK_H
#define DBDECK_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * A clock. mono_ns: monotonic nanoseconds, for durations and deadlines.
 * wall_ms: milliseconds since the epoch (UTC), for timestamps shown to people.
 * sleep_ns: blocks for ns (<= 0 returns at once); a manual clock advances
 * itself instead. Every function gets ctx; the caller keeps ctx alive for as
 * long as the clock is in use. All three must be safe to call from any thread.
 */
struct dd_clock {
	int64_t (*mono_ns)(void *ctx);
	int64_t (*wall_ms)(void *ctx);
	void (*sleep_ns)(void *ctx, int64_t ns);
	void *ctx;
};

/* A source of uniformly distributed 64-bit values; thread-safe like dd_clock. */
struct dd_rand {
	uint64_t (*next)(void *ctx);
	void *ctx;
};

/* The real clocks (CLOCK_MONOTONIC, CLOCK_REALTIME, nanosleep). Static storage. */
const struct dd_clock *dd_clock_default(void);

/*
 * The default random source: a per-thread xorshift64* generator seeded from
 * getrandom() the first time a thread draws. Not for cryptography (jitter
 * only). Static storage.
 */
const struct dd_rand *dd_rand_default(void);

/* Draws from r, or from the default source when r is NULL. */
uint64_t dd_rand_next(const struct dd_rand *r);

/*
 * A manual clock for tests: time moves only when told to (or when something
 * "sleeps" on it). Safe to read and advance from several threads.
 */
struct dd_manual_clock {
	_Atomic int64_t mono_ns;
	int64_t mono_base_ns; /* wall_ms = wall_base_ms + (mono_ns - mono_base_ns) / 1e6 */
	int64_t wall_base_ms;
};

/* Sets both readings (wall_ms is usually a fixed, recognisable date). */
void dd_manual_clock_init(struct dd_manual_clock *mc, int64_t mono_ns, int64_t wall_ms);

/* Moves both readings forward by ns (ignored when ns <= 0: time never goes back). */
void dd_manual_clock_advance(struct dd_manual_clock *mc, int64_t ns);

/* A dd_clock reading mc; mc is borrowed and must outlive every use. */
struct dd_clock dd_clock_manual(struct dd_manual_clock *mc);

/*
 * A seeded xorshift64* generator for tests and reproducible runs. One state
 * per thread: it is not locked.
 */
struct dd_xorshift {
	uint64_t s;
};

/* Seeds x (a zero seed is replaced by a fixed non-zero constant). */
void dd_xorshift_seed(struct dd_xorshift *x, uint64_t seed);

/* The next value of x (xorshift64*: shifts 12, 25, 27; multiplier 0x2545F4914F6CDD1D). */
uint64_t dd_xorshift_next(struct dd_xorshift *x);

/* A dd_rand drawing from x; x is borrowed and must outlive every use. */
struct dd_rand dd_rand_xorshift(struct dd_xorshift *x);

#endif
