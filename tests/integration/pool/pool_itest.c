/*
 * pool_itest.c: the pool against real servers (run once per engine:
 * `pool_itest pg` / `pool_itest my`): exhaustion and overflow with the
 * server's own session counts, lifetime and idle retirement, a session killed
 * server-side, session state and open transactions not leaking between
 * borrowers, FIFO waiters, the liveness window, the slow-query log, the
 * breaker on an unreachable port, and a threaded stress run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitest.h"
#include "tap.h"
#include "util/util.h"

#define MS INT64_C(1000000)

static void
test_exhaustion(void)
{
	struct dd_pool_config c = pit_config(2, 0);
	char app[64];
	/* Long enough that ±20 % is far above the scheduler's noise. */
	c.acquire_timeout_ms = 1500;
	struct dd_pool *p = pit_pool(&c, "exhaust", app);
	struct dd_pooled *a = pit_acquire(p), *b = pit_acquire(p), *x = NULL;
	struct dd_db_error e;
	int64_t t0 = dd_now_mono_ns();
	int rc = dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e);
	double ms = it_ms_since(t0);

	is_int(rc, DD_POOL_ERR_TIMEOUT, "exhaustion: the third acquire times out");
	ok(ms >= 1200 && ms <= 1800, "exhaustion: after %.0f ms (1500 +- 20 %%)", ms);
	ok(strstr(e.message, E->node) != NULL, "exhaustion: the error names the node: %s",
	    e.message);
	dd_pool_release(a);
	dd_pool_release(b);
	dd_pool_free(p);
}

static void
test_overflow(void)
{
	struct dd_pool_config c = pit_config(2, 2);
	char app[64];
	struct dd_pool *p = pit_pool(&c, "overflow", app);
	struct dd_pooled *h[4], *x = NULL;
	struct dd_pool_stats s;

	for (int i = 0; i < 4; i++)
		h[i] = pit_acquire(p);
	is_int(pit_server_count(app, 4), 4, "overflow: 4 sessions on the server");
	is_int(dd_pool_acquire(p, dd_now_mono_ns() + 300 * MS, &x, NULL), DD_POOL_ERR_TIMEOUT,
	    "overflow: the fifth times out");
	for (int i = 0; i < 4; i++)
		dd_pool_release(h[i]);
	dd_pool_stats(p, &s);
	ok(s.created == 4 && s.closed == 2 && s.closed_by[DD_POOL_CLOSE_OVERFLOW] == 2,
	    "overflow: created 4, closed 2 as overflow");
	ok(s.idle == 2 && pit_consistent(&s), "overflow: 2 regular connections stay");
	is_int(pit_server_count(app, 2), 2, "overflow: the server sees 2 sessions again");
	dd_pool_free(p);
	is_int(pit_server_count(app, 0), 0, "overflow: none after free");
}

static void
test_lifetime(void)
{
	struct dd_pool_config c = pit_config(4, 0);
	char app[64];
	int64_t before[2], after[2];
	struct dd_pool_stats s;
	c.max_lifetime_ms = 1000;
	c.min_idle = 2;
	struct dd_pool *p = pit_pool(&c, "lifetime", app);
	struct dd_pooled *x = pit_acquire(p), *y = pit_acquire(p);

	before[0] = dd_pooled_backend_id(x);
	before[1] = dd_pooled_backend_id(y);
	dd_pool_release(x);
	dd_pool_release(y);
	pit_sleep_ms(2500);
	dd_pool_stats(p, &s);
	ok(s.closed_by[DD_POOL_CLOSE_LIFETIME] >= 2, "lifetime: %llu retired",
	    (unsigned long long)s.closed_by[DD_POOL_CLOSE_LIFETIME]);
	for (int i = 0; i < 40 && s.idle < 2; i++) { /* one may be mid-replacement */
		pit_sleep_ms(50);
		dd_pool_stats(p, &s);
	}
	ok(s.idle >= 2, "lifetime: min_idle kept warm (idle %d)", s.idle);
	x = pit_acquire(p);
	y = pit_acquire(p);
	after[0] = dd_pooled_backend_id(x);
	after[1] = dd_pooled_backend_id(y);
	ok(after[0] != before[0] && after[0] != before[1] && after[1] != before[0] &&
	        after[1] != before[1],
	    "lifetime: backend ids changed");
	dd_pool_release(x);
	dd_pool_release(y);
	dd_pool_free(p);

	c = pit_config(4, 0);
	c.idle_timeout_ms = 1000;
	c.min_idle = 1;
	p = pit_pool(&c, "idle", app);
	struct dd_pooled *h[3];
	for (int i = 0; i < 3; i++)
		h[i] = pit_acquire(p);
	for (int i = 0; i < 3; i++)
		dd_pool_release(h[i]);
	pit_sleep_ms(2500);
	dd_pool_stats(p, &s);
	/* Three or four were opened: while the three are out, idle is below
	 * min_idle and maintenance may warm a fourth (on a slow machine, or
	 * under TSan, it does). Every one but min_idle must go. */
	ok(s.idle == 1 && s.created >= 3 && s.closed_by[DD_POOL_CLOSE_IDLE] == s.created - 1,
	    "idle: retired down to min_idle (idle %d, created %llu, closed idle %llu)", s.idle,
	    (unsigned long long)s.created, (unsigned long long)s.closed_by[DD_POOL_CLOSE_IDLE]);
	is_int(pit_server_count(app, 1), 1, "idle: the server sees 1 session");
	dd_pool_free(p);
}

/* Borrows n connections at once, returns whether any has backend id `dead`. */
static bool
seen_among(struct dd_pool *p, int n, int64_t dead)
{
	struct dd_pooled *h[8];
	bool seen = false;
	char v[32];

	for (int i = 0; i < n; i++) {
		h[i] = pit_acquire(p);
		seen = seen || dd_pooled_backend_id(h[i]) == dead;
		if (!pit_value(h[i], "SELECT 1", v, sizeof(v)))
			seen = true;
	}
	for (int i = 0; i < n; i++)
		dd_pool_release(h[i]);
	return seen;
}

static void
test_killed(void)
{
	struct dd_pool_config c = pit_config(3, 0);
	char app[64], v[32];
	c.liveness_idle_ms = 100;
	struct dd_pool *p = pit_pool(&c, "killed", app);
	struct dd_pooled *x = pit_acquire(p);
	int64_t dead = dd_pooled_backend_id(x);
	struct dd_pool_stats s;
	bool seen = false;

	dd_pool_release(x);
	ok(pit_kill(dead), "killed: session %lld killed server-side", (long long)dead);
	pit_sleep_ms(300);
	x = pit_acquire(p);
	ok(dd_pooled_backend_id(x) != dead, "killed: detected at checkout, replaced");
	ok(pit_value(x, "SELECT 1", v, sizeof(v)) && strcmp(v, "1") == 0, "killed: new one works");
	dd_pool_release(x);
	for (int i = 0; i < 20; i++)
		seen = seen || seen_among(p, 3, dead);
	ok(!seen, "killed: the dead session never reappears");
	dd_pool_stats(p, &s);
	ok(s.closed_by[DD_POOL_CLOSE_BROKEN] == 1 && s.errors[DD_POOL_ERROR_BROKEN] == 1,
	    "killed: closed as broken");
	dd_pool_free(p);

	/* Without liveness pings: the statement finds it dead; a retry runs on a fresh one. */
	c = pit_config(1, 0);
	p = pit_pool(&c, "killed-retry", app);
	x = pit_acquire(p);
	dead = dd_pooled_backend_id(x);
	dd_pool_release(x);
	pit_kill(dead);
	pit_sleep_ms(200);
	struct dd_retry_policy pol;
	dd_retry_policy_default(&pol);
	struct dd_pool_call call = {.retry = &pol, .idempotent = true};
	struct dd_result *r = NULL;
	struct dd_db_error e;
	int attempts = 0;
	is_int(dd_pool_run_query(p, "SELECT 1", &call, &r, &attempts, &e), DD_POOL_OK,
	    "killed: idempotent read retried");
	is_int(attempts, 2, "killed: on the second attempt");
	dd_result_free(r);
	x = pit_acquire(p);
	ok(dd_pooled_backend_id(x) != dead, "killed: the dead one is gone");
	dd_pool_release(x);
	dd_pool_free(p);
}

static void
test_session_state(void)
{
	struct dd_pool_config c = pit_config(1, 0);
	char app[64], v[128], clean_mode[128];
	struct dd_pool *p = pit_pool(&c, "session", app);
	struct dd_pooled *x = pit_acquire(p);
	int64_t id = dd_pooled_backend_id(x);
	struct dd_db_error e;
	struct dd_pool_stats s;

	pit_value(x, E->mode_clean_sql, clean_mode, sizeof(clean_mode));
	dd_pool_exec(x, E->create_table, DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	ok(dd_pool_exec(x, E->set_var, DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0 &&
	        dd_pool_exec(x, E->set_mode, DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0 &&
	        dd_pool_exec(x, E->create_temp, DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0,
	    "session: first borrower changes its session");
	dd_pool_release(x);
	x = pit_acquire(p);
	is_int(dd_pooled_backend_id(x), id, "session: the next borrower gets the same session");
	ok(pit_value(x, E->get_var, v, sizeof(v)) && strcmp(v, E->var_clean) == 0,
	    "session: variable reset (%s)", v);
	ok(pit_value(x, E->get_mode, v, sizeof(v)) && strcmp(v, clean_mode) == 0,
	    "session: setting reset (%s)", v);
	ok(pit_value(x, E->select_temp, v, sizeof(v)) && strcmp(v, "0") == 0,
	    "session: temp table gone");
	ok(dd_pool_exec(x, E->begin, DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0 &&
	        dd_pool_exec(x, E->insert, DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0,
	    "session: a borrower leaves a transaction open");
	dd_pool_release(x);
	x = pit_acquire(p);
	ok(!dd_conn_in_transaction(dd_pooled_conn(x)), "session: next borrower not in it");
	ok(pit_value(x, E->count_rows, v, sizeof(v)) && strcmp(v, "0") == 0,
	    "session: the insert was rolled back");
	dd_pool_release(x);
	dd_pool_stats(p, &s);
	ok(s.resets == 2 && s.created == 1, "session: 2 resets, 1 connection");
	dd_pool_free(p);
}

struct fifo_arg {
	struct dd_pool *p;
	int index;
	int *order, *next;
	pthread_mutex_t *mu;
};

static void *
fifo_waiter(void *arg)
{
	struct fifo_arg *a = arg;
	struct dd_pooled *c = NULL;
	char v[16];

	if (dd_pool_acquire(a->p, dd_now_mono_ns() + 10000 * MS, &c, NULL) != DD_POOL_OK)
		return NULL;
	pthread_mutex_lock(a->mu);
	a->order[(*a->next)++] = a->index;
	pthread_mutex_unlock(a->mu);
	pit_value(c, "SELECT 1", v, sizeof(v));
	dd_pool_release(c);
	return NULL;
}

static void
test_fifo(void)
{
	enum { N = 6 };
	struct dd_pool_config c = pit_config(1, 0);
	char app[64];
	struct dd_pool *p = pit_pool(&c, "fifo", app);
	struct dd_pooled *held = pit_acquire(p);
	pthread_t th[N];
	struct fifo_arg args[N];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int order[N], next = 0;
	struct dd_pool_stats s;
	bool in_order = true;

	for (int i = 0; i < N; i++) {
		args[i] = (struct fifo_arg){p, i, order, &next, &mu};
		pthread_create(&th[i], NULL, fifo_waiter, &args[i]);
		for (int k = 0; k < 2000; k++) { /* staggered: each queued before the next */
			dd_pool_stats(p, &s);
			if (s.waiting == i + 1)
				break;
			pit_sleep_ms(1);
		}
	}
	dd_pool_release(held);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++)
		in_order = in_order && i < next && order[i] == i;
	ok(next == N && in_order, "fifo: %d waiters served in arrival order", N);
	dd_pool_free(p);
}

static void
test_liveness(void)
{
	struct dd_pool_config c = pit_config(2, 0);
	char app[64];
	c.liveness_idle_ms = 300;
	struct dd_pool *p = pit_pool(&c, "liveness", app);
	struct dd_pool_stats s;

	for (int i = 0; i < 10; i++)
		dd_pool_release(pit_acquire(p));
	dd_pool_stats(p, &s);
	is_int((long long)s.pings, 0, "liveness: no ping for checkouts inside the window");
	pit_sleep_ms(400);
	dd_pool_release(pit_acquire(p));
	dd_pool_stats(p, &s);
	is_int((long long)s.pings, 1, "liveness: one ping after the idle window");
	dd_pool_release(pit_acquire(p));
	dd_pool_stats(p, &s);
	is_int((long long)s.pings, 1, "liveness: none right after");
	dd_pool_free(p);
}

static void
test_slow_log(void)
{
	struct dd_pool_config c = pit_config(1, 0);
	char app[64];
	static struct dd_slow_query q[DD_POOL_SLOW_RING + 8];
	c.slow_query_ms = 100;
	struct dd_pool *p = pit_pool(&c, "slow", app);
	struct dd_pooled *x = pit_acquire(p);
	struct dd_result *r = NULL;
	struct dd_db_error e;
	size_t n;

	dd_pool_exec(x, "SELECT 1", DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	ok(dd_pool_query(x, E->sleep_02, DD_POOL_DEFAULT_DEADLINE, &r, &e) == 0,
	    "slow: 0.2 s query");
	dd_result_free(r);
	n = dd_pool_slow_queries(p, q, DD_ARRAY_LEN(q));
	is_int((long long)n, 1, "slow: recorded once");
	is_str(q[0].sql, E->sleep_02_norm, "slow: literals stripped");
	ok(q[0].duration_ns >= 200 * MS && q[0].rows == 1 && strcmp(q[0].node, E->node) == 0,
	    "slow: %.0f ms, %lld row, node %s", (double)q[0].duration_ns / 1e6,
	    (long long)q[0].rows, q[0].node);
	ok(strstr(q[0].sql, "secret") == NULL, "slow: no data in the log");
	dd_pool_release(x);
	dd_pool_free(p);

	c.slow_query_ms = 1;
	p = pit_pool(&c, "slow-ring", app);
	x = pit_acquire(p);
	for (int i = 0; i < DD_POOL_SLOW_RING + 8; i++)
		dd_pool_exec(x, E->sleep_short, DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	n = dd_pool_slow_queries(p, q, DD_ARRAY_LEN(q));
	is_int((long long)n, DD_POOL_SLOW_RING, "slow: the ring keeps the last 256");
	dd_pool_release(x);
	dd_pool_free(p);
}

static void
test_breaker_and_auth(void)
{
	struct dd_pool_config c = pit_config(2, 0);
	struct dd_pooled *x = NULL;
	struct dd_db_error e;
	char err[256];
	c.connect_timeout_ms = 1000;
	c.breaker.threshold = 2;
	c.breaker.recovery_ns = 500 * MS;
	struct dd_pool *p = pit_pool_custom(&c, 1, NULL, err, sizeof(err));

	if (!p)
		bail_out("pool: %s", err);
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_CONNECT,
	    "breaker: unreachable port, connect fails");
	for (char *nl = strchr(e.message, '\n'); nl; nl = strchr(nl, '\n'))
		*nl = ' '; /* libpq's message spans lines; TAP wants one */
	diag("connect error: %s", e.message);
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_CONNECT,
	    "breaker: second failure");
	int64_t t0 = dd_now_mono_ns();
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_BREAKER_OPEN,
	    "breaker: open, fails fast");
	/* No connect attempt: far below any connect, even a refused one under load. */
	ok(it_ms_since(t0) < 100, "breaker: in %.2f ms", it_ms_since(t0));
	pit_sleep_ms(600);
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_CONNECT,
	    "breaker: half-open trial tried the node");
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_BREAKER_OPEN,
	    "breaker: failed trial opened it again");
	dd_pool_free(p);

	c = pit_config(2, 0);
	p = pit_pool_custom(&c, dd_harness_port(&H, E->node), "wrong-password", err, sizeof(err));
	if (!p)
		bail_out("pool: %s", err);
	is_int(dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &x, &e), DD_POOL_ERR_AUTH,
	    "auth: wrong password gives the auth error");
	ok(dd_breaker_state(dd_pool_breaker(p)) == DD_BREAKER_CLOSED, "auth: breaker stays closed");
	dd_pool_free(p);
}

struct stress_arg {
	struct dd_pool *p;
	int n, failures;
};

static void *
stress_main(void *arg)
{
	struct stress_arg *a = arg;
	struct dd_db_error e;

	for (int i = 0; i < a->n; i++) {
		struct dd_pooled *c = NULL;
		if (dd_pool_acquire(a->p, dd_now_mono_ns() + 30000 * MS, &c, &e) != DD_POOL_OK) {
			a->failures++;
			continue;
		}
		if (i % 1000 == 0 &&
		    dd_pool_exec(c, "SELECT 1", DD_POOL_DEFAULT_DEADLINE, NULL, &e))
			a->failures++;
		dd_pool_release(c);
	}
	return NULL;
}

static void
test_stress(void)
{
	enum { T = 8, N = 10000 };
	struct dd_pool_config c = pit_config(4, 2);
	char app[64];
	struct dd_pool *p = pit_pool(&c, "stress", app);
	pthread_t th[T];
	struct stress_arg a[T];
	struct dd_pool_stats s;
	int failures = 0;
	int64_t t0 = dd_now_mono_ns();

	for (int i = 0; i < T; i++) {
		a[i] = (struct stress_arg){p, N, 0};
		pthread_create(&th[i], NULL, stress_main, &a[i]);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		failures += a[i].failures;
	}
	dd_pool_stats(p, &s);
	diag("stress: %d cycles in %.0f ms; created %llu, closed as overflow %llu, handoffs %llu, "
	     "wait p50 %lld ns p99 %lld ns",
	    T * N, it_ms_since(t0), (unsigned long long)s.created,
	    (unsigned long long)s.closed_by[DD_POOL_CLOSE_OVERFLOW], (unsigned long long)s.handoffs,
	    (long long)s.wait_p50_ns, (long long)s.wait_p99_ns);
	is_int(failures, 0, "stress: no acquire or query failed");
	is_int((long long)s.acquires, T * N, "stress: acquire count is 80000");
	ok(s.active == 0 && s.waiting == 0, "stress: nothing active or waiting at the end");
	ok(pit_consistent(&s), "stress: created %llu - closed %llu == idle %d",
	    (unsigned long long)s.created, (unsigned long long)s.closed, s.idle);
	is_int(pit_server_count(app, s.idle), s.idle, "stress: server count equals the pool's");
	dd_pool_free(p);
	is_int(pit_server_count(app, 0), 0, "stress: none left after free");
}

int
main(int argc, char **argv)
{
	pit_init(argc > 1 ? argv[1] : NULL);
	diag("engine %s, node %s", E->name, E->node);
	if (!getenv("PIT_ONLY_STRESS")) {
		test_exhaustion();
		test_overflow();
		test_lifetime();
		test_killed();
		test_session_state();
		test_fifo();
		test_liveness();
		test_slow_log();
		test_breaker_and_auth();
	}
	test_stress();
	pit_done();
	return tap_done();
}
