/*
 * pool_park_test.c: the pool's lock-free fast path (core/pool/pool_park.c)
 * over the fake driver: a thread's returned connection is parked and taken
 * back without the lock, still counted idle; other threads, waiters, drain
 * and idle retirement all reach parked connections; the park/wait race
 * never strands a waiter, also when a test hook forces each side of it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dbdeck/pool.h"
#include "fake_driver.h"
#include "pool/pool_int.h"
#include "pool_testlib.h"
#include "tap.h"
#include "util/util.h"

/* The shared test settings, with a longer acquire timeout: a stranded waiter shows as a failure. */
static struct dd_pool_config
cfg_of(int max_size, int max_overflow)
{
	struct dd_pool_config c = base_cfg(max_size, max_overflow);

	c.acquire_timeout_ms = 2000;
	return c;
}

static bool
consistent(const struct dd_pool_stats *s)
{
	return stats_consistent(s) && s->wait_count == s->acquires;
}

/* One thread cycling: after the first loan every acquire is a fast one. */
static void
test_fast_cycles(void)
{
	struct dd_pool_config c = cfg_of(4, 0);
	c.maintenance_ms = 60000; /* no pass unparks meanwhile */
	struct dd_pool *p = mkpool(&c);
	struct dd_pool_stats s;
	struct dd_pooled *x;
	int64_t first = -1;
	int same = 0;

	for (int i = 0; i < 1000; i++) {
		if (dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, NULL) != DD_POOL_OK)
			bail_out("acquire failed");
		if (first < 0)
			first = dd_pooled_backend_id(x);
		same += dd_pooled_backend_id(x) == first;
		dd_pool_release(x);
	}
	dd_pool_stats(p, &s);
	is_int((long long)s.acquires, 1000, "fast: every acquire counted");
	/*
	 * The first loan connects; its return goes through the lock, which
	 * gives the thread its entry; the second acquire finds nothing parked
	 * yet. From the second return on, every connection is parked.
	 */
	is_int((long long)s.fast, 998, "fast: all but the first two served lock-free");
	is_int(same, 1000, "fast: always the same connection");
	ok(s.idle == 1 && s.active == 0,
	    "fast: the parked connection counts as idle (idle %d, active %d)", s.idle, s.active);
	ok(consistent(&s), "fast: snapshot consistent, one wait sample per acquire");
	is_int((long long)s.created, 1, "fast: one connection opened");
	dd_pool_free(p);
}

struct hold_arg {
	struct dd_pool *p;
	int64_t backend;
	int rc;
};

static void *
cycle_once_main(void *arg)
{
	struct hold_arg *a = arg;
	struct dd_pooled *x;

	a->rc = dd_pool_acquire(a->p, DD_POOL_DEFAULT_DEADLINE, &x, NULL);
	if (a->rc == DD_POOL_OK) {
		a->backend = dd_pooled_backend_id(x);
		dd_pool_release(x); /* parked in this thread's entry */
	}
	return NULL;
}

/* A connection parked by a thread that never comes back serves the others. */
static void
test_parked_serves_others(void)
{
	struct dd_pool_config c = cfg_of(1, 0);
	c.maintenance_ms = 60000;
	c.acquire_timeout_ms = 300;
	struct dd_pool *p = mkpool(&c);
	struct hold_arg a = {p, -1, -1};
	struct dd_pool_stats s;
	struct dd_pooled *x;
	pthread_t th;
	int64_t t0;
	int rc;

	pthread_create(&th, NULL, cycle_once_main, &a);
	pthread_join(th, NULL);
	t0 = dd_now_mono_ns();
	rc = dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, NULL);
	ok(rc == DD_POOL_OK && dd_now_mono_ns() - t0 < 200 * MS,
	    "others: another thread gets the parked connection at once (%s)", dd_pool_err_name(rc));
	if (rc == DD_POOL_OK) {
		ok(dd_pooled_backend_id(x) == a.backend, "others: the same session, none opened");
		dd_pool_release(x);
	}
	dd_pool_stats(p, &s);
	is_int((long long)s.created, 1, "others: one connection in all");
	dd_pool_free(p);
}

struct race_arg {
	struct dd_pool *p;
	int n, failures;
};

/* Holds its connection 1 ms every 50th loan, so that the others queue meanwhile. */

static void *
race_main(void *arg)
{
	struct race_arg *a = arg;
	struct dd_pooled *x;

	for (int i = 0; i < a->n; i++) {
		if (dd_pool_acquire(a->p, DD_POOL_DEFAULT_DEADLINE, &x, NULL) != DD_POOL_OK) {
			a->failures++;
			continue;
		}
		if (i % 50 == 0)
			dd_pool_exec(x, "sleep:1", DD_POOL_DEFAULT_DEADLINE, NULL, NULL);
		dd_pool_release(x);
	}
	return NULL;
}

/*
 * More threads than connections, cycling: releases race with acquirers
 * that queue. A waiter stranded beside a parked connection
 * would time out (2 s) and count as a failure.
 */
static void
test_park_wait_race(void)
{
	enum { T = 4, N = 20000 };
	struct dd_pool_config c = cfg_of(2, 0);
	struct dd_pool *p = mkpool(&c);
	struct race_arg a[T];
	pthread_t th[T];
	struct dd_pool_stats s;
	int failures = 0;

	for (int i = 0; i < T; i++) {
		a[i] = (struct race_arg){p, N, 0};
		pthread_create(&th[i], NULL, race_main, &a[i]);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		failures += a[i].failures;
	}
	dd_pool_stats(p, &s);
	is_int(failures, 0, "race: no acquire timed out beside a parked connection");
	is_int((long long)s.acquires, T * N, "race: acquire count");
	ok(s.fast > 0 && s.handoffs > 0, "race: both paths ran (fast %llu, handoffs %llu)",
	    (unsigned long long)s.fast, (unsigned long long)s.handoffs);
	ok(consistent(&s) && s.active == 0 && s.waiting == 0,
	    "race: consistent and all returned (idle %d, active %d)", s.idle, s.active);
	ok(s.created <= 2, "race: never more than max_size opened (%llu)",
	    (unsigned long long)s.created);
	dd_pool_free(p);
}

/*
 * The park/queue race itself: thread A returns its connection just as the
 * main thread queues for it, then waits for the main thread's verdict
 * without coming back to the pool. A park that missed the waiter would
 * strand it until its 100 ms timeout, since nothing else would look at A's
 * entry (the maintenance pass is a minute away).
 */
struct duel {
	struct dd_pool *p;
	pthread_barrier_t bar;
	int rounds;
};

static void
spin_ns(int64_t ns)
{
	int64_t end = dd_now_mono_ns() + ns;

	while (dd_now_mono_ns() < end)
		;
}

static void *
duel_main(void *arg)
{
	struct duel *d = arg;
	struct dd_pooled *x;

	for (int i = 0; i < d->rounds; i++) {
		if (dd_pool_acquire(d->p, DD_POOL_DEFAULT_DEADLINE, &x, NULL) != DD_POOL_OK)
			bail_out("duel: acquire failed");
		pthread_barrier_wait(&d->bar); /* the main thread now asks for it */
		spin_ns((i * 37) % 3000);      /* return it at varying points of that */
		dd_pool_release(x);
		pthread_barrier_wait(&d->bar); /* until the main thread has its answer */
	}
	return NULL;
}

static void
test_park_queue_duel(void)
{
	enum { ROUNDS = 4000 };
	struct dd_pool_config c = cfg_of(1, 0);
	c.maintenance_ms = 60000;
	c.acquire_timeout_ms = 100;
	struct duel d = {.p = mkpool(&c), .rounds = ROUNDS};
	struct dd_pool_stats s;
	struct dd_pooled *x;
	pthread_t th;
	int stranded = 0;

	pthread_barrier_init(&d.bar, NULL, 2);
	pthread_create(&th, NULL, duel_main, &d);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&d.bar);
		if (dd_pool_acquire(d.p, DD_POOL_DEFAULT_DEADLINE, &x, NULL) == DD_POOL_OK)
			dd_pool_release(x);
		else
			stranded++;
		pthread_barrier_wait(&d.bar);
	}
	pthread_join(th, NULL);
	dd_pool_stats(d.p, &s);
	is_int(stranded, 0, "duel: a return as the other thread queues always reaches it");
	ok(s.handoffs > 0, "duel: some returns were handoffs (%llu)",
	    (unsigned long long)s.handoffs);
	pthread_barrier_destroy(&d.bar);
	dd_pool_free(d.p);
}

/*
 * The park/queue handshake, forced: a test hook (pool_int.h) stops one side
 * at its critical point until the other side has done its part. Without
 * the parker's second look at fast_ok, or without the waiter's sweep after
 * it queues, the waiter would sleep beside a parked connection until its
 * timeout (1 s).
 */
static struct {
	enum pool_hook_point at;
	pthread_t target; /* the thread whose hook call acts */
	atomic_bool armed;
	atomic_bool go;   /* the other side may act now */
	atomic_bool done; /* the other side has acted (QUEUE) */
	struct dd_pool *p;
} hs;

static void
handshake_hook(struct dd_pool *p, enum pool_hook_point where)
{
	struct dd_pool_stats s;

	if (where != hs.at || !pthread_equal(pthread_self(), hs.target) ||
	    !atomic_exchange(&hs.armed, false))
		return;
	atomic_store(&hs.go, true);
	for (int i = 0; i < 1000; i++) {
		if (where == POOL_HOOK_PARK) {
			dd_pool_stats(p, &s); /* the parker holds no lock here */
			if (s.waiting == 1)
				return;
		} else if (atomic_load(&hs.done)) {
			return; /* the waiter holds p->mu: only flags */
		}
		sleep_ms(1);
	}
}

struct waiter_arg {
	struct dd_pool *p;
	bool arm_queue; /* stop at POOL_HOOK_QUEUE, else wait for hs.go first */
	int rc;
	int64_t waited_ms;
};

static void *
waiter_main(void *arg)
{
	struct waiter_arg *w = arg;
	struct dd_pooled *x;
	int64_t t0;

	if (w->arm_queue) {
		hs.target = pthread_self();
		atomic_store(&hs.armed, true);
	} else {
		while (!atomic_load(&hs.go))
			sleep_ms(1);
	}
	t0 = dd_now_mono_ns();
	w->rc = dd_pool_acquire(w->p, DD_POOL_DEFAULT_DEADLINE, &x, NULL);
	w->waited_ms = (dd_now_mono_ns() - t0) / MS;
	if (w->rc == DD_POOL_OK)
		dd_pool_release(x);
	return NULL;
}

/* A pool of one whose only connection the calling thread holds, with its affinity entry made. */
static struct dd_pool *
held_pool(struct dd_pooled **held)
{
	struct dd_pool_config c = cfg_of(1, 0);
	c.acquire_timeout_ms = 1000;
	c.maintenance_ms = 60000;
	struct dd_pool *p = mkpool(&c);

	dd_pool_release(must_acquire(p)); /* through the lock: the entry is made */
	*held = must_acquire(p);
	return p;
}

static void
test_handshake(void)
{
	struct waiter_arg w;
	struct dd_pooled *x;
	pthread_t th;

	/* The parker is stopped after its check; a waiter queues meanwhile. */
	memset(&hs, 0, sizeof(hs));
	hs.p = held_pool(&x);
	hs.at = POOL_HOOK_PARK;
	hs.target = pthread_self();
	atomic_store(&hs.armed, true);
	pool_test_hook = handshake_hook;
	w = (struct waiter_arg){hs.p, false, -1, 0};
	pthread_create(&th, NULL, waiter_main, &w);
	dd_pool_release(x);
	pthread_join(th, NULL);
	ok(w.rc == DD_POOL_OK && w.waited_ms < 500,
	    "handshake: a waiter that queued while the return was parking gets it (%s, %lld ms)",
	    dd_pool_err_name(w.rc), (long long)w.waited_ms);
	dd_pool_free(hs.p);

	/* The waiter is stopped just before it queues; the holder parks meanwhile. */
	memset(&hs, 0, sizeof(hs));
	hs.p = held_pool(&x);
	hs.at = POOL_HOOK_QUEUE;
	w = (struct waiter_arg){hs.p, true, -1, 0};
	pthread_create(&th, NULL, waiter_main, &w);
	while (!atomic_load(&hs.go))
		sleep_ms(1);
	dd_pool_release(x); /* the fast path: nobody waits yet */
	atomic_store(&hs.done, true);
	pthread_join(th, NULL);
	ok(w.rc == DD_POOL_OK && w.waited_ms < 500,
	    "handshake: a connection parked just before a waiter queued reaches it (%s, %lld ms)",
	    dd_pool_err_name(w.rc), (long long)w.waited_ms);
	pool_test_hook = NULL;
	dd_pool_free(hs.p);
}

/* Drain closes parked connections like idle ones. */
static void
test_drain_parked(void)
{
	struct dd_pool_config c = cfg_of(4, 0);
	c.maintenance_ms = 60000;
	struct dd_pool *p = mkpool(&c);
	struct hold_arg a[3];
	pthread_t th[3];
	struct dd_pool_stats s;
	int left;

	for (int i = 0; i < 3; i++) {
		a[i] = (struct hold_arg){p, -1, -1};
		pthread_create(&th[i], NULL, cycle_once_main, &a[i]);
		pthread_join(th[i], NULL); /* one after another: each parks the same connection */
	}
	left = dd_pool_drain(p, dd_now_mono_ns() + 1000 * MS);
	dd_pool_stats(p, &s);
	is_int(left, 0, "drain: nothing left");
	ok(s.closed_by[DD_POOL_CLOSE_DRAIN] == s.created && s.idle == 0,
	    "drain: the parked connection closed as drain (%llu of %llu)",
	    (unsigned long long)s.closed_by[DD_POOL_CLOSE_DRAIN], (unsigned long long)s.created);
	dd_pool_free(p);
}

/* Idle retirement reaches a parked connection through the maintenance pass. */
static void
test_idle_retire_parked(void)
{
	struct dd_pool_config c = cfg_of(2, 0);
	c.idle_timeout_ms = 150;
	struct dd_pool *p = mkpool(&c);
	struct hold_arg a = {p, -1, -1};
	struct dd_pool_stats s;
	pthread_t th;

	pthread_create(&th, NULL, cycle_once_main, &a);
	pthread_join(th, NULL);
	dd_pool_stats(p, &s);
	is_int(s.idle, 1, "retire: parked and idle");
	for (int i = 0; i < 100 && s.closed_by[DD_POOL_CLOSE_IDLE] == 0; i++) {
		sleep_ms(20);
		dd_pool_stats(p, &s);
	}
	ok(s.closed_by[DD_POOL_CLOSE_IDLE] == 1 && s.idle == 0,
	    "retire: closed after idle_timeout (closed idle %llu, idle %d)",
	    (unsigned long long)s.closed_by[DD_POOL_CLOSE_IDLE], s.idle);
	dd_pool_free(p);
}

/* A dirty session is reset through the lock, never parked dirty. */
static void
test_dirty_not_parked(void)
{
	struct dd_pool_config c = cfg_of(1, 0);
	c.maintenance_ms = 60000;
	struct dd_pool *p = mkpool(&c);
	struct dd_pool_stats s;
	struct dd_pooled *x;

	for (int i = 0; i < 3; i++) {
		if (dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, NULL) != DD_POOL_OK)
			bail_out("acquire failed");
		dd_pool_exec(x, "dirty", DD_POOL_DEFAULT_DEADLINE, NULL, NULL);
		dd_pool_release(x);
	}
	dd_pool_stats(p, &s);
	ok(s.resets == 3 && atomic_load(&fake.resets) == 3, "dirty: every return reset (%llu)",
	    (unsigned long long)s.resets);
	is_int((long long)s.fast, 0, "dirty: no fast acquire (nothing was parked)");
	dd_pool_free(p);
}

int
main(void)
{
	test_fast_cycles();
	test_parked_serves_others();
	test_park_wait_race();
	test_park_queue_duel();
	test_handshake();
	test_drain_parked();
	test_idle_retire_parked();
	test_dirty_not_parked();
	return tap_done();
}
