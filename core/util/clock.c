/*
 * clock.c: the real and the manual clock, and the random sources of clock.h.
 *
 * It lives in util/ because any module may take a clock (the breaker, retry,
 * alerts and the monitor do today); the public header stays dbdeck/clock.h.
 */
#include "dbdeck/clock.h"

#include "util/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/random.h>
#include <time.h>

static int64_t
real_mono_ns(void *ctx)
{
	(void)ctx;
	return dd_now_mono_ns();
}

static int64_t
real_wall_ms(void *ctx)
{
	(void)ctx;
	return dd_now_wall_ms();
}

static void
real_sleep_ns(void *ctx, int64_t ns)
{
	(void)ctx;
	if (ns <= 0)
		return;
	struct timespec ts = {
	    .tv_sec = (time_t)(ns / 1000000000),
	    .tv_nsec = (long)(ns % 1000000000),
	};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static const struct dd_clock real_clock = {
    .mono_ns = real_mono_ns,
    .wall_ms = real_wall_ms,
    .sleep_ns = real_sleep_ns,
    .ctx = NULL,
};

const struct dd_clock *
dd_clock_default(void)
{
	return &real_clock;
}

/* xorshift64*: a small, fast generator with good enough statistics for jitter. */
static uint64_t
xorshift_step(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

#define XORSHIFT_FALLBACK_SEED UINT64_C(0x9E3779B97F4A7C15)

/* Seeds from the kernel; falls back to the clock and a stack address. */
static uint64_t
thread_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		int local;
		seed = (uint64_t)dd_now_mono_ns() ^ (uint64_t)(uintptr_t)&local;
	}
	return seed ? seed : XORSHIFT_FALLBACK_SEED;
}

static uint64_t
default_rand_next(void *ctx)
{
	static _Thread_local uint64_t state;
	(void)ctx;
	if (state == 0)
		state = thread_seed();
	return xorshift_step(&state);
}

static const struct dd_rand default_rand = {
    .next = default_rand_next,
    .ctx = NULL,
};

const struct dd_rand *
dd_rand_default(void)
{
	return &default_rand;
}

uint64_t
dd_rand_next(const struct dd_rand *r)
{
	if (!r)
		r = &default_rand;
	return r->next(r->ctx);
}

void
dd_manual_clock_init(struct dd_manual_clock *mc, int64_t mono_ns, int64_t wall_ms)
{
	mc->mono_base_ns = mono_ns;
	mc->wall_base_ms = wall_ms;
	atomic_store(&mc->mono_ns, mono_ns);
}

void
dd_manual_clock_advance(struct dd_manual_clock *mc, int64_t ns)
{
	if (ns <= 0)
		return;
	atomic_fetch_add(&mc->mono_ns, ns);
}

static int64_t
manual_mono_ns(void *ctx)
{
	struct dd_manual_clock *mc = ctx;
	return atomic_load(&mc->mono_ns);
}

static int64_t
manual_wall_ms(void *ctx)
{
	struct dd_manual_clock *mc = ctx;
	return mc->wall_base_ms + (atomic_load(&mc->mono_ns) - mc->mono_base_ns) / 1000000;
}

static void
manual_sleep_ns(void *ctx, int64_t ns)
{
	dd_manual_clock_advance(ctx, ns);
}

struct dd_clock
dd_clock_manual(struct dd_manual_clock *mc)
{
	return (struct dd_clock){
	    .mono_ns = manual_mono_ns,
	    .wall_ms = manual_wall_ms,
	    .sleep_ns = manual_sleep_ns,
	    .ctx = mc,
	};
}

void
dd_xorshift_seed(struct dd_xorshift *x, uint64_t seed)
{
	x->s = seed ? seed : XORSHIFT_FALLBACK_SEED;
}

uint64_t
dd_xorshift_next(struct dd_xorshift *x)
{
	return xorshift_step(&x->s);
}

static uint64_t
xorshift_rand_next(void *ctx)
{
	return dd_xorshift_next(ctx);
}

struct dd_rand
dd_rand_xorshift(struct dd_xorshift *x)
{
	return (struct dd_rand){.next = xorshift_rand_next, .ctx = x};
}
