/*
 * pool_maint.c: the pool's maintenance thread (one per pool, started with the
 * pool when it keeps min_idle connections, else with its first connection).
 *
 * Every period (maint_period_ns, or sooner when woken because the pool fell
 * below min_idle) it moves parked connections to the idle list
 * (pool_park.c), then
 *   1. retires idle connections past their lifetime, and idle connections
 *      idle longer than idle_timeout while more than min_idle are idle
 *      (longest idle first);
 *   2. re-reads the breaker into the pool's gate (operator controls applied
 *      directly to the breaker are noticed here);
 *   3. opens connections, one at a time, until min_idle are idle (never
 *      beyond max_size); an open breaker stops it, a half-open one lets it
 *      make the trial connect.
 * The lock is held only to pick slots; closes and connects run without it.
 */
#include <stdlib.h>
#include <time.h>

#include "pool/pool_int.h"
#include "util/util.h"

#define MS_NS INT64_C(1000000)

/* Moves retirable idle slots to GONE and returns them as a list. Caller holds p->mu. */
static struct dd_pooled *
retire_idle(struct dd_pool *p, int64_t now)
{
	struct slot_list *idle = &p->lists[SLOT_IDLE];
	struct dd_pooled *gone = NULL, *s;
	int64_t idle_ns = p->cfg.idle_timeout_ms * MS_NS;
	int reason;

	/* Oldest first; a slot that goes leaves the array, so i then stays. */
	for (int i = 0; i < idle->n;) {
		s = idle->v[i];
		if (now >= s->expires_ns)
			reason = DD_POOL_CLOSE_LIFETIME;
		else if (idle_ns > 0 && now - s->idle_since_ns >= idle_ns &&
		         idle->n > p->cfg.min_idle)
			reason = DD_POOL_CLOSE_IDLE;
		else {
			i++;
			continue;
		}
		pool_slot_set_state(p, s, SLOT_GONE, reason);
		s->next = gone;
		gone = s;
	}
	return gone;
}

/* A slot to warm, or NULL when min_idle is met or nothing may be opened. */
static struct dd_pooled *
warm_reserve(struct dd_pool *p)
{
	struct dd_pooled *s = NULL;

	pthread_mutex_lock(&p->mu);
	if (!p->stopping && !p->draining && !p->wq_head &&
	    p->lists[SLOT_IDLE].n < p->cfg.min_idle && pool_total(p) < p->cfg.max_size)
		s = pool_slot_reserve(p);
	pthread_mutex_unlock(&p->mu);
	return s;
}

/* Opens one warm connection for s. Returns false when warming should stop. */
static bool
warm_one(struct dd_pool *p, struct dd_pooled *s)
{
	struct dd_db_error e;
	bool callers;
	int rc;

	if (atomic_load(&p->gate) && !dd_breaker_allow(p->breaker)) {
		pthread_mutex_lock(&p->mu);
		pool_slot_set_state(p, s, SLOT_GONE, POOL_CLOSE_CONNECT_FAILED);
		pool_grant_capacity(p);
		pthread_mutex_unlock(&p->mu);
		free(s);
		return false;
	}
	rc = pool_slot_connect(p, s, DD_NO_DEADLINE, &callers, &e);
	pthread_mutex_lock(&p->mu);
	if (rc == 0 && !p->draining && pool_slot_available(p, s, dd_now_mono_ns())) {
		pthread_mutex_unlock(&p->mu);
		pool_report_success(p);
		return true;
	}
	if (rc == 0 && s->state == SLOT_CONNECTING) {
		pool_slot_set_state(p, s, SLOT_IDLE, POOL_CLOSE_NONE);
		pool_slot_set_state(p, s, SLOT_GONE, DD_POOL_CLOSE_DRAIN);
	} else if (rc != 0) {
		pool_slot_set_state(p, s, SLOT_GONE, POOL_CLOSE_CONNECT_FAILED);
		p->errors[e.cls == DD_ERR_AUTH ? DD_POOL_ERROR_AUTH : DD_POOL_ERROR_CONNECT]++;
		pool_grant_capacity(p);
	}
	pthread_mutex_unlock(&p->mu);
	if (rc != 0)
		pool_report_failure(p, &e);
	pool_slot_destroy(p, s, true);
	return false;
}

/* One maintenance pass. p->mu held on entry and on exit. */
static void
maint_pass(struct dd_pool *p)
{
	struct dd_pooled *gone, *next, *s;

	pool_unpark_all(p); /* parked connections retire like the other idle ones */
	gone = retire_idle(p, dd_now_mono_ns());

	pthread_mutex_unlock(&p->mu);
	for (; gone; gone = next) {
		next = gone->next;
		pool_slot_destroy(p, gone, true);
	}
	pool_gate_sync(p);
	while ((s = warm_reserve(p)) != NULL)
		if (!warm_one(p, s))
			break;
	pthread_mutex_lock(&p->mu);
}

void *
pool_maint_main(void *arg)
{
	struct dd_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		maint_pass(p);
		if (p->stopping)
			break;
		dd_cond_wait_until(&p->maint_cond, &p->mu, dd_now_mono_ns() + p->maint_period_ns);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}
