/*
 * breaker_test.c: the circuit breaker's state machine over a manual clock:
 * tripping, recovery, the single half-open trial and its expiry, the history
 * ring, operator controls, and concurrent callers.
 */
#include "tap.h"

#include "dbdeck/breaker.h"

#include <pthread.h>

#define MS    INT64_C(1000000)
#define SEC   INT64_C(1000000000)
#define WALL0 INT64_C(1700000000000)

static struct dd_manual_clock mc;
static struct dd_clock clk;

static struct dd_breaker *
new_breaker(int threshold, int64_t recovery)
{
	struct dd_breaker_config cfg = {.threshold = threshold, .recovery_ns = recovery};
	dd_manual_clock_init(&mc, 1000 * SEC, WALL0);
	clk = dd_clock_manual(&mc);
	return dd_breaker_new("pg-a", &cfg, &clk);
}

static struct dd_breaker_transition
last_transition(struct dd_breaker *b)
{
	struct dd_breaker_transition t[DD_BREAKER_HISTORY];
	size_t n = dd_breaker_history(b, t, DD_BREAKER_HISTORY);
	if (n == 0)
		bail_out("no transition recorded");
	return t[n - 1];
}

static void
trip(struct dd_breaker *b, int n)
{
	for (int i = 0; i < n; i++)
		dd_breaker_record_failure(b, "timeout after 500 ms");
}

static void
test_defaults(void)
{
	struct dd_breaker_config cfg;
	dd_breaker_config_default(&cfg);
	is_int(cfg.threshold, 3, "default threshold 3");
	is_int(cfg.recovery_ns, 120 * SEC, "default recovery 120 s");
	struct dd_breaker *b = dd_breaker_new("n", NULL, NULL);
	is_int(dd_breaker_state(b), DD_BREAKER_CLOSED, "real clock: starts closed");
	is_str(dd_breaker_name(b), "n", "name kept");
	dd_breaker_free(b);

	b = new_breaker(0, -5);
	dd_breaker_record_failure(b, NULL);
	is_int(
	    dd_breaker_state(b), DD_BREAKER_HALF_OPEN, "threshold 0 clamps to 1, recovery -5 to 0");
	is_str(last_transition(b).reason, "recovery time elapsed",
	    "zero recovery: straight to a trial");
	dd_breaker_free(b);

	is_str(dd_breaker_state_name(DD_BREAKER_CLOSED), "closed", "name closed");
	is_str(dd_breaker_state_name(DD_BREAKER_OPEN), "open", "name open");
	is_str(dd_breaker_state_name(DD_BREAKER_HALF_OPEN), "half_open", "name half_open");
	is_str(
	    dd_breaker_state_label(DD_BREAKER_HALF_OPEN), "half-open", "label half-open (screen)");
	is_str(dd_breaker_state_label(DD_BREAKER_OPEN), "open", "label open");
	is_int(DD_BREAKER_CLOSED * 100 + DD_BREAKER_OPEN * 10 + DD_BREAKER_HALF_OPEN, 12,
	    "state values are the metric's 0, 1, 2");
}

static void
test_trip_and_recover(void)
{
	struct dd_breaker *b = new_breaker(3, 10 * SEC);
	struct dd_breaker_stats st;

	ok(dd_breaker_allow(b), "closed: allowed");
	trip(b, 2);
	dd_breaker_stats(b, &st);
	is_int(st.state, DD_BREAKER_CLOSED, "2 failures: still closed");
	is_int(st.consecutive_failures, 2, "2 consecutive failures counted");
	dd_breaker_record_success(b);
	dd_breaker_stats(b, &st);
	is_int(st.consecutive_failures, 0, "a success resets the count");
	trip(b, 2);
	is_int(dd_breaker_state(b), DD_BREAKER_CLOSED, "2 more failures after the success: closed");
	dd_manual_clock_advance(&mc, 5 * MS);
	trip(b, 1);

	struct dd_breaker_transition t = last_transition(b);
	is_int(dd_breaker_state(b), DD_BREAKER_OPEN, "3rd consecutive failure: open");
	is_str(t.reason, "3 consecutive failures: timeout after 500 ms", "trip reason");
	ok(t.from == DD_BREAKER_CLOSED && t.to == DD_BREAKER_OPEN, "transition closed -> open");
	is_int(t.mono_ns, 1000 * SEC + 5 * MS, "transition time (monotonic)");
	is_int(t.wall_ms, WALL0 + 5, "transition time (wall clock)");
	dd_breaker_stats(b, &st);
	is_int((long long)st.times_opened, 1, "times opened: 1");
	is_int(st.since_mono_ns, 1000 * SEC + 5 * MS, "open since the trip");
	is_int(st.trial_at_mono_ns, 1010 * SEC + 5 * MS, "trial possible after the recovery time");
	is_str(st.last_failure, "timeout after 500 ms", "last failure kept");

	ok(!dd_breaker_allow(b), "open: refused");
	dd_manual_clock_advance(&mc, 10 * SEC - 1);
	ok(!dd_breaker_allow(b), "open: refused 1 ns before the recovery time");
	dd_manual_clock_advance(&mc, 1);
	ok(dd_breaker_allow(b), "recovery time elapsed: the first caller gets the trial");
	is_int(dd_breaker_state(b), DD_BREAKER_HALF_OPEN, "half-open");
	is_str(last_transition(b).reason, "recovery time elapsed", "half-open reason");
	ok(!dd_breaker_allow(b), "half-open: a second caller is refused");
	ok(!dd_breaker_allow(b), "half-open: a third caller is refused");
	dd_breaker_stats(b, &st);
	ok(st.trial_in_flight, "a trial is in flight");
	is_int((long long)st.rejected_total, 4, "rejections counted");

	dd_breaker_record_success(b);
	t = last_transition(b);
	is_int(dd_breaker_state(b), DD_BREAKER_CLOSED, "trial success: closed");
	is_str(t.reason, "trial succeeded", "close reason");
	ok(t.from == DD_BREAKER_HALF_OPEN, "transition half_open -> closed");
	dd_breaker_free(b);
}

static void
test_trial_failure(void)
{
	struct dd_breaker *b = new_breaker(3, 10 * SEC);
	struct dd_breaker_stats st;

	trip(b, 3);
	dd_manual_clock_advance(&mc, 10 * SEC);
	ok(dd_breaker_allow(b), "trial granted");
	dd_manual_clock_advance(&mc, 2 * SEC);
	dd_breaker_record_failure(b, "connection refused");
	struct dd_breaker_transition t = last_transition(b);
	is_int(dd_breaker_state(b), DD_BREAKER_OPEN, "trial failure: open again");
	is_str(t.reason, "trial failed: connection refused", "reopen reason");
	is_int(t.mono_ns, 1012 * SEC, "reopened at the failure");
	dd_breaker_stats(b, &st);
	is_int((long long)st.times_opened, 2, "times opened: 2");
	dd_manual_clock_advance(&mc, 10 * SEC - 1);
	ok(!dd_breaker_allow(b), "the recovery timer restarted at the failed trial");
	dd_manual_clock_advance(&mc, 1);
	ok(dd_breaker_allow(b), "a new trial after a full recovery time");

	dd_breaker_record_failure(b, "connection refused");
	dd_breaker_record_success(b);
	is_int(dd_breaker_state(b), DD_BREAKER_OPEN, "a late success while open changes nothing");
	dd_breaker_free(b);
}

static void
test_trial_expiry(void)
{
	struct dd_breaker *b = new_breaker(1, 30 * SEC);

	trip(b, 1);
	dd_manual_clock_advance(&mc, 30 * SEC);
	ok(dd_breaker_allow(b), "trial granted; its caller never reports");
	dd_manual_clock_advance(&mc, 30 * SEC - 1);
	ok(!dd_breaker_allow(b), "slot still held just before it expires");
	dd_manual_clock_advance(&mc, 1);
	ok(dd_breaker_allow(b), "a silent trial gives its slot up after the recovery time");
	ok(!dd_breaker_allow(b), "and the new trial holds it");
	dd_breaker_record_success(b);
	is_int(dd_breaker_state(b), DD_BREAKER_CLOSED, "the new trial closes it");
	dd_breaker_free(b);
}

static void
test_state_follows_clock(void)
{
	struct dd_breaker *b = new_breaker(2, 10 * SEC);
	struct dd_breaker_stats st;

	trip(b, 2);
	dd_manual_clock_advance(&mc, 10 * SEC);
	dd_breaker_stats(b, &st);
	is_int(st.state, DD_BREAKER_HALF_OPEN, "stats show half-open without traffic");
	ok(!st.trial_in_flight, "no trial out yet");
	is_int(st.since_mono_ns, 1010 * SEC, "half-open since the recovery time elapsed");
	ok(dd_breaker_allow(b), "the first caller still gets the trial");
	dd_breaker_free(b);
}

static void
test_history(void)
{
	struct dd_breaker *b = new_breaker(1, 1 * SEC);
	struct dd_breaker_transition all[DD_BREAKER_HISTORY + 8], few[5];

	/* 14 cycles of closed -> open -> half_open -> closed = 42 transitions. */
	for (int i = 0; i < 14; i++) {
		dd_manual_clock_advance(&mc, MS);
		dd_breaker_record_failure(b, "timeout");
		dd_manual_clock_advance(&mc, SEC);
		dd_breaker_allow(b);
		dd_breaker_record_success(b);
	}
	size_t n = dd_breaker_history(b, all, sizeof(all) / sizeof(all[0]));
	is_int((long long)n, DD_BREAKER_HISTORY, "the ring keeps the last 32 transitions");
	bool chained = true, ordered = true;
	for (size_t i = 0; i + 1 < n; i++) {
		chained = chained && all[i].to == all[i + 1].from;
		ordered = ordered && all[i].mono_ns <= all[i + 1].mono_ns;
	}
	ok(chained, "each transition starts where the previous one ended");
	ok(ordered, "oldest first");
	ok(all[n - 1].to == DD_BREAKER_CLOSED && strcmp(all[n - 1].reason, "trial succeeded") == 0,
	    "the newest is the last close");
	/* 42 transitions, 10 dropped: the oldest kept is #11 (#3k+2), an open -> half_open. */
	ok(all[0].from == DD_BREAKER_OPEN && all[0].to == DD_BREAKER_HALF_OPEN,
	    "the oldest kept is the 11th transition");

	size_t m = dd_breaker_history(b, few, 5);
	is_int((long long)m, 5, "a smaller buffer gets 5");
	ok(memcmp(few, all + n - 5, sizeof(few)) == 0, "the 5 most recent, oldest first");
	is_int((long long)dd_breaker_history(b, few, 0), 0, "max 0 copies nothing");

	struct dd_breaker_stats st;
	dd_breaker_stats(b, &st);
	is_int((long long)st.times_opened, 14, "times opened counts every trip");
	is_str(st.last_reason, "trial succeeded", "last reason");
	dd_breaker_free(b);
}

static void
test_operator(void)
{
	struct dd_breaker *b = new_breaker(3, 10 * SEC);
	struct dd_breaker_stats st;

	dd_breaker_force_open(b, "maintenance on pg-a");
	is_str(last_transition(b).reason, "forced open: maintenance on pg-a", "force-open reason");
	dd_manual_clock_advance(&mc, 1000 * SEC);
	ok(!dd_breaker_allow(b), "held open: refused long past the recovery time");
	dd_breaker_stats(b, &st);
	ok(st.state == DD_BREAKER_OPEN && st.hold == DD_BREAKER_HELD_OPEN, "state open, held");
	is_int(st.trial_at_mono_ns, 0, "no trial scheduled while held");
	dd_breaker_force_open(b, NULL);
	is_str(last_transition(b).reason, "forced open", "a repeated force is recorded");
	dd_breaker_stats(b, &st);
	is_int((long long)st.times_opened, 1,
	    "forcing an open breaker open does not count as opening");

	dd_breaker_force_closed(b, "node checked by hand");
	trip(b, 10);
	dd_breaker_stats(b, &st);
	ok(st.state == DD_BREAKER_CLOSED && st.hold == DD_BREAKER_HELD_CLOSED,
	    "held closed: 10 failures do not trip");
	is_int(st.consecutive_failures, 10, "but they are counted");
	ok(dd_breaker_allow(b), "held closed: allowed");

	dd_breaker_reset(b, "back to automatic");
	dd_breaker_stats(b, &st);
	ok(st.state == DD_BREAKER_CLOSED && st.hold == DD_BREAKER_AUTO, "reset: closed, automatic");
	is_int(st.consecutive_failures, 0, "reset clears the count");
	is_str(st.last_reason, "reset: back to automatic", "reset reason");
	trip(b, 3);
	is_int(dd_breaker_state(b), DD_BREAKER_OPEN, "after reset it trips again");
	is_str(dd_breaker_hold_name(DD_BREAKER_HELD_CLOSED), "held_closed", "hold names");
	dd_breaker_free(b);
}

static void
test_long_reason(void)
{
	struct dd_breaker *b = new_breaker(1, SEC);
	char big[400];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dd_breaker_record_failure(b, big);
	struct dd_breaker_transition t = last_transition(b);
	is_int(
	    (long long)strlen(t.reason), DD_BREAKER_REASON_MAX - 1, "a long reason is truncated");
	ok(strncmp(t.reason, "1 consecutive failures: xxx", 27) == 0, "and keeps its start");
	dd_breaker_free(b);
}

/* ---- threads ---- */

#define NTHREADS 8

struct race {
	struct dd_breaker *b;
	pthread_barrier_t start, done;
	int rounds;
	int granted[NTHREADS];
};

struct racer {
	struct race *r;
	int id;
};

static void *
race_thread(void *arg)
{
	struct racer *me = arg;
	for (int i = 0; i < me->r->rounds; i++) {
		pthread_barrier_wait(&me->r->start);
		if (dd_breaker_allow(me->r->b))
			me->r->granted[me->id]++;
		pthread_barrier_wait(&me->r->done);
	}
	return NULL;
}

static void
test_single_trial_threads(void)
{
	struct race r = {.b = new_breaker(1, 5 * SEC), .rounds = 300};
	pthread_t th[NTHREADS];
	struct racer who[NTHREADS];
	bool one_each = true;

	pthread_barrier_init(&r.start, NULL, NTHREADS + 1);
	pthread_barrier_init(&r.done, NULL, NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++) {
		who[i] = (struct racer){&r, i};
		pthread_create(&th[i], NULL, race_thread, &who[i]);
	}
	for (int round = 0; round < r.rounds; round++) {
		dd_breaker_record_failure(r.b, "timeout"); /* closed or half-open -> open */
		dd_manual_clock_advance(&mc, 5 * SEC);
		int before = 0, after = 0;
		for (int i = 0; i < NTHREADS; i++)
			before += r.granted[i];
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		for (int i = 0; i < NTHREADS; i++)
			after += r.granted[i];
		one_each = one_each && after - before == 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	ok(one_each, "300 rounds of 8 threads racing in half-open: exactly one trial each round");
	pthread_barrier_destroy(&r.start);
	pthread_barrier_destroy(&r.done);
	dd_breaker_free(r.b);
}

struct stress {
	struct dd_breaker *b;
	_Atomic uint64_t failures, successes, seed;
};

static void *
stress_thread(void *arg)
{
	struct stress *s = arg;
	struct dd_xorshift x;
	dd_xorshift_seed(&x, atomic_fetch_add(&s->seed, 1) + 1);
	for (int i = 0; i < 20000; i++) {
		uint64_t r = dd_xorshift_next(&x) % 10;
		if (r < 5) {
			dd_breaker_allow(s->b);
		} else if (r < 8) {
			dd_breaker_record_failure(s->b, "timeout");
			atomic_fetch_add(&s->failures, 1);
		} else if (r < 9) {
			dd_breaker_record_success(s->b);
			atomic_fetch_add(&s->successes, 1);
		} else {
			dd_manual_clock_advance(&mc, 3 * MS);
		}
	}
	return NULL;
}

static void
test_stress_threads(void)
{
	struct stress s = {.b = new_breaker(3, 20 * MS)};
	pthread_t th[NTHREADS];
	struct dd_breaker_stats st;
	struct dd_breaker_transition h[DD_BREAKER_HISTORY];

	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, stress_thread, &s);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	dd_breaker_stats(s.b, &st);
	is_int((long long)st.failures_total, (long long)atomic_load(&s.failures),
	    "stress: every failure counted");
	is_int((long long)st.successes_total, (long long)atomic_load(&s.successes),
	    "stress: every success counted");
	size_t n = dd_breaker_history(s.b, h, DD_BREAKER_HISTORY);
	bool chained = n > 0;
	for (size_t i = 0; i + 1 < n; i++)
		chained = chained && h[i].to == h[i + 1].from && h[i].mono_ns <= h[i + 1].mono_ns;
	ok(chained && h[n - 1].to == st.state, "stress: the history is one consistent chain");
	ok(st.times_opened > 0, "stress: the breaker tripped (%llu times)",
	    (unsigned long long)st.times_opened);
	dd_breaker_free(s.b);
}

int
main(void)
{
	test_defaults();
	test_trip_and_recover();
	test_trial_failure();
	test_trial_expiry();
	test_state_follows_clock();
	test_history();
	test_operator();
	test_long_reason();
	test_single_trial_threads();
	test_stress_threads();
	return tap_done();
}
