/*
 * retry_test.c: backoff with full jitter, the retry rules and the time budget,
 * driven by a manual clock and injected random sources.
 */
#include "tap.h"

#include "dbdeck/retry.h"

#include <stdint.h>

#define MS INT64_C(1000000)

static uint64_t
const_next(void *ctx)
{
	return *(uint64_t *)ctx;
}

static struct dd_rand
const_rand(uint64_t *v)
{
	return (struct dd_rand){.next = const_next, .ctx = v};
}

static struct dd_retry_policy
policy(int attempts, int64_t base, int64_t cap, int64_t max_time)
{
	return (struct dd_retry_policy){attempts, base, cap, max_time};
}

static void
test_defaults(void)
{
	struct dd_retry_policy p;
	dd_retry_policy_default(&p);
	is_int(p.attempts, 3, "default: 3 attempts in total");
	is_int(p.max_time_ns, 2000 * MS, "default: 2 s budget");
	is_int(p.base_ns, 100 * MS, "default: base 100 ms");
	is_int(p.cap_ns, 1000 * MS, "default: cap 1 s");
}

static void
test_windows(void)
{
	struct dd_retry_policy p = policy(10, 100 * MS, 1000 * MS, 60000 * MS);
	const int64_t want[] = {100, 200, 400, 800, 1000, 1000};
	for (int k = 1; k <= 6; k++) {
		char name[64];
		snprintf(name, sizeof(name), "window of retry %d = min(cap, base*2^(k-1))", k);
		is_int(dd_retry_window_ns(&p, k), want[k - 1] * MS, name);
	}
	is_int(dd_retry_window_ns(&p, 1000), 1000 * MS, "window of retry 1000 stays at the cap");
	struct dd_retry_policy big = policy(10, INT64_MAX / 4, INT64_MAX, INT64_MAX);
	is_int(dd_retry_window_ns(&big, 70), INT64_MAX, "no overflow with a huge base");
	is_int(
	    dd_retry_backoff_ns(&big, 70, UINT64_MAX), INT64_MAX, "rand max reaches a huge window");
}

/* Runs dd_retry_next for retries 1..n of an idempotent read; delays into out. */
static int
collect_delays(const struct dd_retry_policy *p, const struct dd_rand *rnd, int64_t *out, int n)
{
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 1000, 1700000000000);
	struct dd_clock clk = dd_clock_manual(&mc);
	struct dd_retry r;
	int got = 0;

	dd_retry_begin(&r, p, &clk, rnd);
	while (got < n && dd_retry_next(&r, DD_RETRY_TIMEOUT, DD_RETRY_IDEMPOTENT, &out[got]))
		got++;
	return got;
}

static void
test_extreme_rand(void)
{
	struct dd_retry_policy p = policy(6, 100 * MS, 1000 * MS, 60000 * MS);
	int64_t d[5];
	uint64_t zero = 0, max = UINT64_MAX;
	struct dd_rand r0 = const_rand(&zero), rmax = const_rand(&max);

	is_int(collect_delays(&p, &r0, d, 5), 5, "rand=0: 5 retries after 6 attempts allowed");
	bool all_zero = true;
	for (int i = 0; i < 5; i++)
		all_zero = all_zero && d[i] == 0;
	ok(all_zero, "rand=0: every delay is 0");

	is_int(collect_delays(&p, &rmax, d, 5), 5, "rand=max: 5 retries");
	const int64_t want[] = {100, 200, 400, 800, 1000};
	for (int i = 0; i < 5; i++) {
		char name[64];
		snprintf(name, sizeof(name), "rand=max: retry %d sleeps the whole window", i + 1);
		is_int(d[i], want[i] * MS, name);
	}
}

static void
test_fixed_seed(void)
{
	struct dd_retry_policy p = policy(6, 100 * MS, 1000 * MS, 60000 * MS);
	struct dd_xorshift x, y;
	int64_t a[5], b[5];

	dd_xorshift_seed(&x, 42);
	struct dd_rand rx = dd_rand_xorshift(&x);
	is_int(collect_delays(&p, &rx, a, 5), 5, "seed 42: 5 retries");
	dd_xorshift_seed(&x, 42);
	collect_delays(&p, &rx, b, 5);
	ok(memcmp(a, b, sizeof(a)) == 0, "seed 42: the same delays on a second run");

	/* Reference values from an independent implementation of xorshift64* and the formula. */
	const uint64_t raw[] = {0x56ce4ab7719ba3a0, 0xc841eb53ebbb2dda, 0xca466be0c9980276,
	    0xf1acc7334a7b70df, 0xc3af4dd7fb900a06};
	const int64_t want[] = {33908526, 156451170, 316054818, 755234108, 764393678};
	dd_xorshift_seed(&y, 42);
	for (int i = 0; i < 5; i++) {
		uint64_t r = dd_xorshift_next(&y);
		ok(r == raw[i], "seed 42: xorshift64* draw %d matches the reference", i + 1);
		is_int(dd_retry_backoff_ns(&p, i + 1, r), want[i],
		    "seed 42: delay matches the reference");
		is_int(a[i], want[i], "seed 42: dd_retry_next used that draw");
	}
}

static void
test_jitter_bounds(void)
{
	struct dd_retry_policy p = policy(10, 7 * MS, 900 * MS, 60000 * MS);
	struct dd_xorshift x;
	dd_xorshift_seed(&x, 20240601);

	for (int k = 1; k <= 9; k++) {
		int64_t w = dd_retry_window_ns(&p, k), lo = INT64_MAX, hi = -1;
		double mean = 0;
		bool inside = true;
		for (int i = 0; i < 10000; i++) {
			int64_t d = dd_retry_backoff_ns(&p, k, dd_xorshift_next(&x));
			inside = inside && d >= 0 && d <= w;
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
			mean += (double)d / 10000.0;
		}
		ok(inside, "retry %d: 10,000 draws all within [0, %lld]", k, (long long)w);
		ok(lo < w / 100 && hi > w - w / 100, "retry %d: draws cover the window", k);
		ok(mean > 0.45 * (double)w && mean < 0.55 * (double)w, "retry %d: mean near w/2",
		    k);
	}
	/* The default (per-thread, kernel-seeded) source obeys the same bounds. */
	bool inside = true;
	int64_t w = dd_retry_window_ns(&p, 3);
	for (int i = 0; i < 10000; i++) {
		int64_t d = dd_retry_backoff_ns(&p, 3, dd_rand_next(NULL));
		inside = inside && d >= 0 && d <= w;
	}
	ok(inside, "default random source: 10,000 draws within the window");
}

static void
test_rules(void)
{
	struct dd_retry_policy p = policy(5, 10 * MS, 100 * MS, 10000 * MS);
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 0, 0);
	struct dd_clock clk = dd_clock_manual(&mc);
	struct dd_retry r;
	int64_t d;
	const unsigned all = DD_RETRY_IDEMPOTENT | DD_RETRY_NOT_SENT;

	dd_retry_begin(&r, &p, &clk, NULL);
	ok(!dd_retry_next(&r, DD_RETRY_PERMANENT, all, &d), "permanent error: no retry");
	ok(strstr(dd_retry_stop_reason(&r), "permanent") != NULL, "stop reason names it");
	dd_retry_begin(&r, &p, &clk, NULL);
	ok(!dd_retry_next(&r, DD_RETRY_AUTH, all, &d), "auth error: no retry, even before sending");

	dd_retry_begin(&r, &p, &clk, NULL);
	ok(!dd_retry_next(&r, DD_RETRY_CONN_LOST, 0, &d),
	    "non-idempotent write, connection lost after sending: no retry");
	ok(strstr(dd_retry_stop_reason(&r), "not marked safe") != NULL, "stop reason says why");
	dd_retry_begin(&r, &p, &clk, NULL);
	ok(!dd_retry_next(&r, DD_RETRY_TIMEOUT, 0, &d), "non-idempotent write timed out: no retry");
	dd_retry_begin(&r, &p, &clk, NULL);
	ok(!dd_retry_next(&r, DD_RETRY_TRANSIENT, 0, &d),
	    "non-idempotent write, deadlock: no retry");

	dd_retry_begin(&r, &p, &clk, NULL);
	ok(dd_retry_next(&r, DD_RETRY_TRANSIENT, DD_RETRY_IDEMPOTENT, &d),
	    "write marked safe: retried after a deadlock");
	ok(dd_retry_stop_reason(&r) == NULL, "no stop reason while retrying");
	dd_retry_begin(&r, &p, &clk, NULL);
	ok(dd_retry_next(&r, DD_RETRY_CONN_LOST, DD_RETRY_NOT_SENT, &d),
	    "non-idempotent write whose connect failed: retried");
	dd_retry_begin(&r, &p, &clk, NULL);
	ok(dd_retry_next(&r, DD_RETRY_TIMEOUT, DD_RETRY_NOT_SENT, &d),
	    "connect timeout before sending: retried");
	ok(dd_retry_next(&r, DD_RETRY_TIMEOUT, DD_RETRY_IDEMPOTENT, NULL), "read timeout: retried");
}

static void
test_attempts(void)
{
	struct dd_retry_policy p;
	dd_retry_policy_default(&p);
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 0, 0);
	struct dd_clock clk = dd_clock_manual(&mc);
	struct dd_retry r;
	uint64_t zero = 0;
	struct dd_rand r0 = const_rand(&zero);

	dd_retry_begin(&r, &p, &clk, &r0);
	ok(dd_retry_next(&r, DD_RETRY_CONN_LOST, DD_RETRY_IDEMPOTENT, NULL),
	    "default: retry after attempt 1");
	ok(dd_retry_next(&r, DD_RETRY_CONN_LOST, DD_RETRY_IDEMPOTENT, NULL),
	    "default: retry after attempt 2");
	ok(!dd_retry_next(&r, DD_RETRY_CONN_LOST, DD_RETRY_IDEMPOTENT, NULL),
	    "default: stop after attempt 3");
	is_str(dd_retry_stop_reason(&r), "attempts used up", "stop reason: attempts");
	is_int(dd_retry_attempts(&r), 3, "three failed attempts counted");

	struct dd_retry_policy one = policy(0, 10 * MS, 10 * MS, 1000 * MS);
	dd_retry_begin(&r, &one, &clk, &r0);
	ok(!dd_retry_next(&r, DD_RETRY_TIMEOUT, DD_RETRY_IDEMPOTENT, NULL),
	    "attempts 0 is clamped to 1: no retry");
}

/* One attempt of the budget test: takes a random 0..400 ms, always fails. */
struct slow_ctx {
	struct dd_manual_clock *mc;
	struct dd_xorshift x;
	int64_t start, max_time;
	bool started_late; /* an attempt started after the budget (a sleep ended past it) */
	int calls;
};

static int
slow_attempt(
    void *ctx, int attempt, const struct dd_retry *r, enum dd_retry_class *cls, bool *not_sent)
{
	struct slow_ctx *c = ctx;
	int64_t now = atomic_load(&c->mc->mono_ns);
	(void)r;
	c->calls++;
	(void)attempt;
	(void)not_sent;
	/* Each retry begins right after its sleep, so this also checks the sleeps. */
	if (now - c->start >= c->max_time)
		c->started_late = true;
	dd_manual_clock_advance(c->mc, (int64_t)(dd_xorshift_next(&c->x) % (400 * MS)));
	*cls = DD_RETRY_TIMEOUT;
	return -1;
}

static void
test_budget(void)
{
	struct dd_retry_policy p = policy(1000, 100 * MS, 1000 * MS, 2000 * MS);
	bool fine = true, stopped_by_time = true;
	int max_calls = 0;

	for (uint64_t seed = 1; seed <= 2000; seed++) {
		struct dd_manual_clock mc;
		dd_manual_clock_init(&mc, 5000, 0);
		struct dd_clock clk = dd_clock_manual(&mc);
		struct dd_xorshift jitter;
		dd_xorshift_seed(&jitter, seed * 7919);
		struct dd_rand rnd = dd_rand_xorshift(&jitter);
		struct slow_ctx c = {.mc = &mc, .start = 5000, .max_time = p.max_time_ns};
		const char *why = NULL;

		dd_xorshift_seed(&c.x, seed);
		int rc = dd_retry_run(&p, &clk, &rnd, DD_RETRY_IDEMPOTENT, slow_attempt, &c, &why);
		fine = fine && rc == -1 && !c.started_late;
		stopped_by_time =
		    stopped_by_time && why && strcmp(why, "retry time budget used up") == 0;
		max_calls = c.calls > max_calls ? c.calls : max_calls;
	}
	ok(fine, "2000 runs: no attempt starts and no sleep ends past the 2 s budget");
	ok(stopped_by_time, "2000 runs: each stopped by the time budget, not the attempt count");
	ok(max_calls > 2, "the budget allowed several attempts (max %d)", max_calls);

	/* rand=max, 300 ms attempts: 300+100+300+200+300+400+300 = 1900 ms; the next 800 ms > 100
	 * ms left. */
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 0, 0);
	struct dd_clock clk = dd_clock_manual(&mc);
	uint64_t max = UINT64_MAX;
	struct dd_rand rmax = const_rand(&max);
	struct dd_retry r;
	int64_t d, sum = 0;
	int retries = 0;
	dd_retry_begin(&r, &p, &clk, &rmax);
	for (;;) {
		dd_manual_clock_advance(&mc, 300 * MS);
		if (!dd_retry_next(&r, DD_RETRY_TRANSIENT, DD_RETRY_IDEMPOTENT, &d))
			break;
		ok(atomic_load(&mc.mono_ns) + d < p.max_time_ns, "elapsed + sleep stays below 2 s");
		sum += d;
		retries++;
		dd_manual_clock_advance(&mc, d);
	}
	is_int(retries, 3, "rand=max, 300 ms attempts: 3 retries fit in 2 s");
	is_int(sum, 700 * MS, "rand=max: slept 100 + 200 + 400 ms");
	is_int(dd_retry_slept_ns(&r), 700 * MS, "dd_retry_slept_ns agrees");
	ok(dd_retry_remaining_ns(&r) == 2000 * MS - 1900 * MS, "remaining budget is 100 ms");
}

struct flaky_ctx {
	int fail_first;
	enum dd_retry_class cls;
	int calls;
};

static int
flaky_attempt(
    void *ctx, int attempt, const struct dd_retry *r, enum dd_retry_class *cls, bool *not_sent)
{
	struct flaky_ctx *c = ctx;
	(void)r;
	(void)not_sent;
	c->calls++;
	if (attempt <= c->fail_first) {
		*cls = c->cls;
		return -7;
	}
	return 0;
}

static void
test_run(void)
{
	struct dd_retry_policy p;
	dd_retry_policy_default(&p);
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 0, 0);
	struct dd_clock clk = dd_clock_manual(&mc);
	const char *why = "unset";

	struct flaky_ctx c = {.fail_first = 2, .cls = DD_RETRY_CONN_LOST};
	is_int(dd_retry_run(&p, &clk, NULL, DD_RETRY_IDEMPOTENT, flaky_attempt, &c, &why), 0,
	    "run: succeeds on the third attempt");
	is_int(c.calls, 3, "run: three calls");
	ok(why == NULL, "run: no stop reason on success");

	c = (struct flaky_ctx){.fail_first = 5, .cls = DD_RETRY_CONN_LOST};
	is_int(dd_retry_run(&p, &clk, NULL, DD_RETRY_IDEMPOTENT, flaky_attempt, &c, &why), -7,
	    "run: returns the last failure");
	is_int(c.calls, 3, "run: gives up after 3 attempts");
	is_str(why, "attempts used up", "run: says why");

	c = (struct flaky_ctx){.fail_first = 5, .cls = DD_RETRY_PERMANENT};
	dd_retry_run(&p, &clk, NULL, DD_RETRY_IDEMPOTENT, flaky_attempt, &c, NULL);
	is_int(c.calls, 1, "run: a permanent error is not retried");

	c = (struct flaky_ctx){.fail_first = 5, .cls = DD_RETRY_TRANSIENT};
	dd_retry_run(&p, &clk, NULL, 0, flaky_attempt, &c, NULL);
	is_int(c.calls, 1, "run: a sent non-idempotent write is not retried");
}

int
main(void)
{
	test_defaults();
	test_windows();
	test_extreme_rand();
	test_fixed_seed();
	test_jitter_bounds();
	test_rules();
	test_attempts();
	test_budget();
	test_run();
	is_str(dd_retry_class_name(DD_RETRY_CONN_LOST), "conn_lost", "class names");
	return tap_done();
}
