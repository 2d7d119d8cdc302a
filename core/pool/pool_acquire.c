/*
 * pool_acquire.c: borrowing and returning connections, and the FIFO queue of
 * waiters.
 *
 * A thread's own returned connection comes back without the lock while
 * nobody waits (pool_park.c). Otherwise the uncontended path is one mutex and
 * a list pop: acquire reads the clock once (for the liveness window), release
 * reuses the end of the last statement (for the lifetime check and the idle
 * timestamp), and the breaker is consulted only while the pool's gate says it
 * may not be settled (pool_query.c).
 *
 * Waiting is strictly first come, first served: each waiter sleeps on its
 * own condition variable in a queue; a thread that returns a connection hands
 * it directly to the first waiter (the slot stays ACTIVE, the waiter owns it
 * when it wakes), and a thread that frees capacity (a close) hands the first
 * waiter a CONNECTING slot to fill itself. A newcomer never overtakes a queue.
 * Network I/O (connect, ping, reset, close) always happens outside p->mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool/pool_int.h"
#include "util/util.h"

#define MS_NS INT64_C(1000000)

/* ------------------------------------------------------------------ */
/* The waiter queue (caller holds p->mu)                              */

static void
wq_push(struct dd_pool *p, struct pool_waiter *w)
{
	w->next = NULL;
	w->prev = p->wq_tail;
	if (p->wq_tail)
		p->wq_tail->next = w;
	else
		p->wq_head = w;
	p->wq_tail = w;
	p->nwait++;
	pool_fast_sync(p);
}

static void
wq_remove(struct dd_pool *p, struct pool_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		p->wq_head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		p->wq_tail = w->prev;
	w->prev = w->next = NULL;
	p->nwait--;
	pool_fast_sync(p);
}

/* Grants w slot s (or an error) and takes it off the queue. */
static void
wq_grant(struct dd_pool *p, struct pool_waiter *w, struct dd_pooled *s, int err)
{
	wq_remove(p, w);
	w->slot = s;
	w->err = err;
	w->done = true;
	pthread_cond_signal(&w->cond);
}

bool
pool_slot_available(struct dd_pool *p, struct dd_pooled *s, int64_t now)
{
	s->idle_since_ns = now;
	if (p->wq_head) {
		if (s->state == SLOT_CONNECTING)
			pool_slot_set_state(p, s, SLOT_ACTIVE, POOL_CLOSE_NONE);
		else
			p->handoffs++;
		wq_grant(p, p->wq_head, s, DD_POOL_OK);
		return true;
	}
	pool_slot_set_state(p, s, SLOT_IDLE, POOL_CLOSE_NONE);
	if (pool_total(p) <= p->max_size)
		return true;
	pool_slot_set_state(p, s, SLOT_GONE, DD_POOL_CLOSE_OVERFLOW);
	return false;
}

void
pool_grant_capacity(struct dd_pool *p)
{
	int cap = p->cfg.max_size + p->cfg.max_overflow;
	struct pool_waiter *w;

	for (w = p->wq_head; w && !p->draining && pool_total(p) < cap; w = w->next) {
		if (w->job)
			continue;
		w->job = pool_slot_reserve(p);
		pthread_cond_signal(&w->cond);
	}
	if (p->cfg.min_idle > 0 && p->lists[SLOT_IDLE].n < p->cfg.min_idle)
		pthread_cond_signal(&p->maint_cond);
}

void
pool_refuse_waiters(struct dd_pool *p)
{
	while (p->wq_head)
		wq_grant(p, p->wq_head, NULL, DD_POOL_ERR_DRAINING);
}

/* ------------------------------------------------------------------ */
/* Connect, check                                                     */

int
pool_slot_connect(struct dd_pool *p, struct dd_pooled *s, int64_t deadline_ns,
    bool *deadline_was_callers, struct dd_db_error *err)
{
	int64_t now = dd_now_mono_ns();
	int64_t dl = now + p->cfg.connect_timeout_ms * MS_NS;
	struct dd_conn *c = NULL;

	*deadline_was_callers = false;
	if (deadline_ns < dl) {
		dl = deadline_ns;
		*deadline_was_callers = true;
	}
	dd_db_error_clear(err);
	if (p->drv->connect(&p->params, p->engine, dl, &c, err) != 0)
		return -1;
	now = dd_now_mono_ns();
	s->conn = c;
	s->backend_id = dd_conn_backend_id(c);
	s->expires_ns = pool_expiry(p, now);
	s->idle_since_ns = now;
	return 0;
}

/* Counts a successful acquire and its wait. Caller holds p->mu. */
static void
acquired(struct dd_pool *p, int64_t waited_ns)
{
	p->acquires++;
	if (waited_ns <= 0)
		p->zero_waits++; /* folded into the histogram's first bucket by dd_pool_stats */
	else
		dd_histogram_record(p->wait_hist, waited_ns);
}

static int
fail_breaker(struct dd_pool *p, struct dd_db_error *err)
{
	pthread_mutex_lock(&p->mu);
	p->errors[DD_POOL_ERROR_BREAKER_OPEN]++;
	pthread_mutex_unlock(&p->mu);
	pool_seterr(p, err, DD_ERR_TRANSIENT, "circuit breaker open");
	return DD_POOL_ERR_BREAKER_OPEN;
}

enum ping_outcome { PING_ALIVE, PING_DEAD, PING_NOT_SENT };

/* Pings a CHECKING slot (no lock held); reports the outcome to the breaker. */
static enum ping_outcome
checkout_ping(struct dd_pool *p, struct dd_pooled *s, int64_t now, int64_t deadline_ns)
{
	int64_t dl = now + p->cfg.connect_timeout_ms * MS_NS;
	struct dd_db_error e;

	if (deadline_ns < dl)
		dl = deadline_ns;
	if (dd_conn_ping(s->conn, dl, &e) == 0) {
		pool_report_success(p);
		return PING_ALIVE;
	}
	if (e.cls == DD_ERR_TIMEOUT && !dd_conn_is_broken(s->conn))
		return PING_NOT_SENT; /* the caller's deadline had passed: nothing was learnt */
	dd_conn_mark_broken(s->conn);
	if (e.cls == DD_ERR_CONN_LOST) {
		/*
		 * The server closed this idle connection (it restarted, or an
		 * idle session was killed): a stale socket says nothing about the
		 * node now, and counting it would open the breaker of a node that
		 * just came back, one stale connection at a time. The other idle
		 * connections from before are suspect too; a new connection
		 * tells whether the node is up (and a failed connect counts).
		 */
		atomic_store_explicit(&p->check_before_ns, dd_now_mono_ns(), memory_order_relaxed);
		return PING_DEAD;
	}
	pool_report_failure(p, &e);
	return PING_DEAD;
}

static int
connect_error_code(struct dd_pool *p, const struct dd_db_error *e, bool callers_deadline)
{
	if (e->cls == DD_ERR_AUTH) {
		p->errors[DD_POOL_ERROR_AUTH]++;
		return DD_POOL_ERR_AUTH;
	}
	if (e->cls == DD_ERR_TIMEOUT && callers_deadline) {
		p->errors[DD_POOL_ERROR_TIMEOUT]++;
		return DD_POOL_ERR_TIMEOUT;
	}
	p->errors[DD_POOL_ERROR_CONNECT]++;
	return DD_POOL_ERR_CONNECT;
}

/*
 * Files the outcome of a connect job (p->mu held). Returns the slot when the
 * caller must destroy it after unlocking (failed, draining, or not needed
 * any more), else NULL; *code gets the acquire error of a failed connect.
 */
static struct dd_pooled *
job_finish(struct dd_pool *p, struct dd_pooled *s, int rc, const struct dd_db_error *e,
    bool callers, int *code)
{
	*code = DD_POOL_OK;
	if (rc != 0) {
		pool_slot_set_state(p, s, SLOT_GONE, POOL_CLOSE_CONNECT_FAILED);
		*code = connect_error_code(p, e, callers);
		pool_grant_capacity(p);
		return s;
	}
	if (p->draining) {
		pool_slot_set_state(p, s, SLOT_IDLE, POOL_CLOSE_NONE);
		pool_slot_set_state(p, s, SLOT_GONE, DD_POOL_CLOSE_DRAIN);
		return s;
	}
	return pool_slot_available(p, s, dd_now_mono_ns()) ? NULL : s;
}

/*
 * Runs w's connect job (p->mu held on entry and exit, dropped meanwhile).
 * Returns DD_POOL_OK, or the error of a failed connect or of the breaker.
 */
static int
job_run(struct dd_pool *p, struct pool_waiter *w, bool probe, int64_t deadline_ns,
    struct dd_db_error *err)
{
	struct dd_pooled *s = w->job, *gone;
	struct dd_db_error e;
	bool callers = false, refused;
	int rc = -1, code;

	pthread_mutex_unlock(&p->mu);
	refused = !probe && atomic_load(&p->gate) && !dd_breaker_allow(p->breaker);
	if (!refused)
		rc = pool_slot_connect(p, s, deadline_ns, &callers, &e);
	pthread_mutex_lock(&p->mu);
	/* w->job stays set until the outcome is filed, so w gets no second job. */
	if (refused) {
		pool_slot_set_state(p, s, SLOT_GONE, POOL_CLOSE_CONNECT_FAILED);
		p->errors[DD_POOL_ERROR_BREAKER_OPEN]++;
		pool_grant_capacity(p);
		pool_seterr(p, &e, DD_ERR_TRANSIENT, "circuit breaker open");
		gone = s;
		code = DD_POOL_ERR_BREAKER_OPEN;
	} else {
		gone = job_finish(p, s, rc, &e, callers, &code);
	}
	w->job = NULL;
	if (gone) {
		pthread_mutex_unlock(&p->mu);
		if (rc != 0 && !refused && !(callers && e.cls == DD_ERR_TIMEOUT))
			pool_report_failure(p, &e);
		pool_slot_destroy(p, gone, true);
		pthread_mutex_lock(&p->mu);
	}
	if (rc == 0)
		pool_report_success(p); /* lock order: mu before gate_mu */
	if (code != DD_POOL_OK && err)
		*err = e;
	return code;
}

/*
 * The caller is queued as w (p->mu held on entry, released on return): runs
 * connect jobs given to it and sleeps until granted, refused or past the
 * deadline. A failed connect of its own ends the wait with that error.
 */
static int
acquire_wait(struct dd_pool *p, struct pool_waiter *w, int64_t start, int64_t deadline_ns,
    bool probe, struct dd_pooled **out, struct dd_db_error *err)
{
	int code = DD_POOL_OK;

	while (!w->done) {
		if (w->job && dd_now_mono_ns() >= deadline_ns)
			break; /* too late to connect */
		if (w->job) {
			code = job_run(p, w, probe, deadline_ns, err);
			probe = false;
			if (code != DD_POOL_OK)
				break;
			continue;
		}
		if (!dd_cond_wait_until(&w->cond, &p->mu, deadline_ns) && !w->job)
			break;
	}
	if (w->job) {
		/* A job never started (served, refused or out of time): give the capacity back. */
		pool_slot_set_state(p, w->job, SLOT_GONE, POOL_CLOSE_CONNECT_FAILED);
		free(w->job);
		w->job = NULL;
		if (w->done)
			pool_grant_capacity(p);
	}
	if (!w->done) {
		wq_remove(p, w);
		if (code == DD_POOL_OK) {
			p->errors[DD_POOL_ERROR_TIMEOUT]++;
			code = DD_POOL_ERR_TIMEOUT;
			pool_seterr(p, err, DD_ERR_TIMEOUT, "no connection within %lld ms",
			    (long long)((deadline_ns - start) / MS_NS));
		}
		pool_grant_capacity(p);
		pthread_mutex_unlock(&p->mu);
		return code;
	}
	if (w->err) {
		pthread_mutex_unlock(&p->mu);
		pool_seterr(p, err, DD_ERR_TRANSIENT, "draining");
		return w->err;
	}
	acquired(p, dd_now_mono_ns() - start);
	pthread_mutex_unlock(&p->mu);
	if (probe)
		pool_report_success(p);
	*out = w->slot;
	return DD_POOL_OK;
}

/*
 * The idle slot for the caller: the one it returned last if that one is
 * idle, else the most recently used. Keeping a thread on the same session,
 * as dedicated connections do, keeps the client/server pairs the scheduler
 * has learnt (it measurably matters on small machines). Caller holds p->mu;
 * the idle list is not empty.
 */
static struct dd_pooled *
pick_idle(struct dd_pool *p)
{
	const struct pool_affinity *a = pool_affinity_find(p);

	if (a && a->last && a->last->state == SLOT_IDLE)
		return a->last;
	return slot_list_head(&p->lists[SLOT_IDLE]);
}

/*
 * Takes an idle slot (pick_idle), pinging it first when due. Returns 1 with *out
 * set; 0 after closing a slot that failed its ping (the caller looks again);
 * -1 when the deadline passed before the ping could be sent (the slot goes
 * back). p->mu held on entry and on exit.
 */
static int
take_idle(struct dd_pool *p, int64_t now, bool probe, int64_t deadline_ns, struct dd_pooled **out)
{
	struct dd_pooled *s = pick_idle(p);
	enum ping_outcome alive;

	if (!pool_needs_check(p, s, now, probe)) {
		pool_slot_set_state(p, s, SLOT_ACTIVE, POOL_CLOSE_NONE);
		acquired(p, 0);
		*out = s;
		return 1;
	}
	pool_slot_set_state(p, s, SLOT_CHECKING, POOL_CLOSE_NONE);
	p->pings++;
	pthread_mutex_unlock(&p->mu);
	alive = checkout_ping(p, s, now, deadline_ns);
	pthread_mutex_lock(&p->mu);
	if (alive == PING_ALIVE) {
		pool_slot_set_state(p, s, SLOT_ACTIVE, POOL_CLOSE_NONE);
		acquired(p, dd_now_mono_ns() - now);
		*out = s;
		return 1;
	}
	if (alive == PING_NOT_SENT) {
		pool_slot_set_state(p, s, SLOT_ACTIVE, POOL_CLOSE_NONE);
		if (!pool_slot_available(p, s, s->idle_since_ns)) {
			pthread_mutex_unlock(&p->mu);
			pool_slot_destroy(p, s, true);
			pthread_mutex_lock(&p->mu);
		}
		p->errors[DD_POOL_ERROR_TIMEOUT]++;
		return -1;
	}
	pool_slot_set_state(p, s, SLOT_GONE, DD_POOL_CLOSE_BROKEN);
	p->errors[DD_POOL_ERROR_BROKEN]++;
	pool_grant_capacity(p);
	pthread_mutex_unlock(&p->mu);
	pool_slot_destroy(p, s, false);
	pthread_mutex_lock(&p->mu);
	return 0;
}

int
dd_pool_acquire(
    struct dd_pool *p, int64_t deadline_ns, struct dd_pooled **out, struct dd_db_error *err)
{
	int64_t now = dd_now_mono_ns();
	bool probe = false;
	struct pool_waiter w;
	int rc;

	*out = NULL;
	/* The fast path: the connection this thread parked, while the breaker is closed. */
	if (!atomic_load_explicit(&p->gate, memory_order_acquire) &&
	    (*out = pool_take_parked(p, now)) != NULL)
		return DD_POOL_OK;
	if (deadline_ns == DD_POOL_DEFAULT_DEADLINE)
		deadline_ns = now + p->cfg.acquire_timeout_ms * MS_NS;
	for (;;) {
		if (atomic_load_explicit(&p->gate, memory_order_acquire)) {
			if (!dd_breaker_allow(p->breaker))
				return fail_breaker(p, err);
			probe = true;
		}
		pthread_mutex_lock(&p->mu);
		if (p->draining) {
			pthread_mutex_unlock(&p->mu);
			pool_seterr(p, err, DD_ERR_TRANSIENT, "draining");
			return DD_POOL_ERR_DRAINING;
		}
		if (p->nwait == 0 && p->lists[SLOT_IDLE].n == 0)
			pool_unpark_all(p); /* other threads' parked connections are idle too */
		if (p->nwait > 0 || p->lists[SLOT_IDLE].n == 0)
			break;
		rc = take_idle(p, now, probe, deadline_ns, out);
		if (rc != 0) {
			pthread_mutex_unlock(&p->mu);
			if (rc > 0)
				return DD_POOL_OK;
			pool_seterr(p, err, DD_ERR_TIMEOUT,
			    "deadline passed before a connection was checked");
			return DD_POOL_ERR_TIMEOUT;
		}
		pthread_mutex_unlock(&p->mu);
		now = dd_now_mono_ns();
		probe = false;
	}
	/* Nothing idle for us: queue, and open a connection if there is room. */
	memset(&w, 0, sizeof(w));
	dd_cond_init_mono(&w.cond);
	if (pool_test_hook)
		pool_test_hook(p, POOL_HOOK_QUEUE);
	wq_push(p, &w);
	pool_unpark_all(p); /* after wq_push stopped the fast path: see pool_park.c */
	pool_grant_capacity(p);
	rc = acquire_wait(p, &w, now, deadline_ns, probe, out, err);
	pthread_cond_destroy(&w.cond);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Release                                                            */

/*
 * Resets a dirty session (no lock held). Returns the close reason the slot
 * has earned, or POOL_CLOSE_NONE.
 */
static int
release_check(struct dd_pool *p, struct dd_pooled *s, bool *reset)
{
	struct dd_conn *c = s->conn;
	struct dd_db_error e;

	if (dd_conn_is_broken(c))
		return DD_POOL_CLOSE_BROKEN;
	if (!dd_conn_in_transaction(c) && !dd_conn_session_dirty(c))
		return POOL_CLOSE_NONE;
	*reset = true;
	if (dd_conn_reset(c, dd_now_mono_ns() + p->cfg.connect_timeout_ms * MS_NS, &e) != 0) {
		dd_conn_mark_broken(c);
		pool_report_failure(p, &e);
		return DD_POOL_CLOSE_RESET_FAILED;
	}
	return POOL_CLOSE_NONE;
}

static void
release_finish(struct dd_pool *p, struct dd_pooled *s, int reason, bool reset, int64_t now)
{
	pthread_mutex_lock(&p->mu);
	if (reset)
		p->resets++;
	if (reason == DD_POOL_CLOSE_BROKEN || reason == DD_POOL_CLOSE_RESET_FAILED)
		p->errors[DD_POOL_ERROR_BROKEN]++;
	if (reason == POOL_CLOSE_NONE && p->draining)
		reason = DD_POOL_CLOSE_DRAIN;
	if (reason == POOL_CLOSE_NONE) {
		bool kept = pool_slot_available(p, s, now);
		if (s->state == SLOT_IDLE)
			pool_affinity_note(p, s);
		pthread_mutex_unlock(&p->mu);
		if (!kept)
			pool_slot_destroy(p, s, true);
		return;
	}
	pool_slot_set_state(p, s, SLOT_GONE, reason);
	pool_grant_capacity(p);
	pthread_mutex_unlock(&p->mu);
	pool_slot_destroy(
	    p, s, reason != DD_POOL_CLOSE_BROKEN && reason != DD_POOL_CLOSE_RESET_FAILED);
}

void
pool_return(struct dd_pool *p, struct dd_pooled *s, int64_t now)
{
	release_finish(p, s, POOL_CLOSE_NONE, false, now);
}

void
dd_pool_release(struct dd_pooled *pc)
{
	bool reset = false;
	int reason;
	int64_t now;

	if (!pc)
		return;
	reason = release_check(pc->pool, pc, &reset);
	/*
	 * The end of the loan's last pooled statement serves as "now" (one clock
	 * read less per loan): the session has been idle on the wire since then,
	 * which is what the liveness and idle timers are about.
	 */
	now = pc->stmt_end_ns && !reset ? pc->stmt_end_ns : dd_now_mono_ns();
	pc->stmt_end_ns = 0;
	if (reason == POOL_CLOSE_NONE && now >= pc->expires_ns)
		reason = DD_POOL_CLOSE_LIFETIME;
	if (reason == POOL_CLOSE_NONE && !reset && pool_park(pc->pool, pc, now))
		return;
	release_finish(pc->pool, pc, reason, reset, now);
}

void
dd_pool_discard(struct dd_pooled *pc)
{
	if (!pc)
		return;
	release_finish(pc->pool, pc, DD_POOL_CLOSE_DISCARDED, false, dd_now_mono_ns());
}

struct dd_conn *
dd_pooled_conn(struct dd_pooled *pc)
{
	return pc->conn;
}

struct dd_pool *
dd_pooled_pool(const struct dd_pooled *pc)
{
	return pc->pool;
}

int64_t
dd_pooled_backend_id(const struct dd_pooled *pc)
{
	return pc->backend_id;
}
