/*
 * pool.c: the life cycle of a node's connection pool (new, drain, free), its
 * settings, the one slot-state transition function and the counters.
 *
 * Every connection lives in a slot, and every slot is in exactly one state
 * with its own counted list (PgBouncer's change_server_state model):
 * pool_slot_set_state() is the only code that moves slots, counts opens and
 * closes (with their reason), and checks that the move is legal. The stats
 * snapshot therefore reads the lists' counts under the lock and needs no
 * bookkeeping of its own, but for the fast path's parked connections
 * (pool_park.c): listed ACTIVE, flagged in the slot, counted idle. Acquire/release live in
 * pool_acquire.c, the maintenance thread in pool_maint.c, statements in pool_query.c.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_int.h"
#include "util/util.h"

/* Lifetime jitter: up to 25/1000 (2.5 %) shorter. */
#define POOL_JITTER_PERMILLE 25
/* Bound of max_size and of max_overflow (the config file allows 1000). */
#define POOL_SLOTS_MAX 100000
/* Goodbye on close: at most this long. */
#define POOL_CLOSE_NS INT64_C(1000000000)

void
dd_pool_config_default(struct dd_pool_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->min_idle = 1;
	cfg->max_size = 20;
	cfg->max_overflow = 10;
	cfg->acquire_timeout_ms = 5000;
	cfg->max_lifetime_ms = 3600000;
	cfg->idle_timeout_ms = 600000;
	cfg->liveness_idle_ms = 30000;
	cfg->connect_timeout_ms = 3000;
	cfg->query_timeout_ms = 10000;
	cfg->slow_query_ms = 100;
	cfg->maintenance_ms = 0;
	dd_breaker_config_default(&cfg->breaker);
}

const char *
dd_pool_err_name(int code)
{
	switch (code) {
	case DD_POOL_OK: return "ok";
	case DD_POOL_ERR_TIMEOUT: return "timeout";
	case DD_POOL_ERR_CONNECT: return "connect";
	case DD_POOL_ERR_AUTH: return "auth";
	case DD_POOL_ERR_BREAKER_OPEN: return "breaker_open";
	case DD_POOL_ERR_DRAINING: return "draining";
	case DD_POOL_ERR_QUERY: return "query";
	}
	return "unknown";
}

const char *
dd_pool_close_reason_name(enum dd_pool_close_reason r)
{
	static const char *const names[DD_POOL_CLOSE__COUNT] = {
	    [DD_POOL_CLOSE_LIFETIME] = "lifetime",
	    [DD_POOL_CLOSE_IDLE] = "idle",
	    [DD_POOL_CLOSE_BROKEN] = "broken",
	    [DD_POOL_CLOSE_OVERFLOW] = "overflow",
	    [DD_POOL_CLOSE_DRAIN] = "drain",
	    [DD_POOL_CLOSE_RESET_FAILED] = "reset_failed",
	    [DD_POOL_CLOSE_DISCARDED] = "discarded",
	};
	if ((unsigned)r >= DD_POOL_CLOSE__COUNT)
		return "unknown";
	return names[r];
}

const char *
dd_pool_error_reason_name(enum dd_pool_error_reason r)
{
	static const char *const names[DD_POOL_ERROR__COUNT] = {
	    [DD_POOL_ERROR_TIMEOUT] = "timeout",
	    [DD_POOL_ERROR_CONNECT] = "connect",
	    [DD_POOL_ERROR_AUTH] = "auth",
	    [DD_POOL_ERROR_BROKEN] = "broken",
	    [DD_POOL_ERROR_BREAKER_OPEN] = "breaker_open",
	};
	if ((unsigned)r >= DD_POOL_ERROR__COUNT)
		return "unknown";
	return names[r];
}

/* ------------------------------------------------------------------ */
/* Slot states                                                        */

static const char *const slot_state_names[SLOT__COUNT] = {
    "new",
    "connecting",
    "idle",
    "active",
    "checking",
    "gone",
};

/* Which moves are legal: legal[from] has bit `to` set. */
static const unsigned slot_legal[SLOT__COUNT] = {
    [SLOT_NEW] = 1u << SLOT_CONNECTING,
    [SLOT_CONNECTING] = 1u << SLOT_IDLE | 1u << SLOT_ACTIVE | 1u << SLOT_GONE,
    [SLOT_IDLE] = 1u << SLOT_ACTIVE | 1u << SLOT_CHECKING | 1u << SLOT_GONE,
    [SLOT_ACTIVE] = 1u << SLOT_IDLE | 1u << SLOT_GONE,
    [SLOT_CHECKING] = 1u << SLOT_ACTIVE | 1u << SLOT_GONE,
    [SLOT_GONE] = 0,
};

static bool
slot_listed(enum slot_state st)
{
	return st != SLOT_NEW && st != SLOT_GONE;
}

static void
list_remove(struct slot_list *l, struct dd_pooled *s)
{
	int i = l->n - 1;

	while (i >= 0 && l->v[i] != s) /* from the head: the slot moved is usually recent */
		i--;
	if (i < 0) {
		fprintf(stderr, "dbdeck: pool: slot not in its state's list\n");
		abort();
	}
	memmove(&l->v[i], &l->v[i + 1], (size_t)(l->n - 1 - i) * sizeof(l->v[0]));
	l->n--;
}

/* Idle slots go to the head (most recently used first out); others too. */
static void
list_push_head(struct slot_list *l, struct dd_pooled *s)
{
	if (l->n == l->cap) {
		fprintf(stderr, "dbdeck: pool: more slots than max_size + max_overflow\n");
		abort();
	}
	l->v[l->n++] = s;
}

static void
slot_count_transition(struct dd_pool *p, enum slot_state from, enum slot_state to, int reason)
{
	if (from == SLOT_CONNECTING && (to == SLOT_IDLE || to == SLOT_ACTIVE))
		p->created++;
	if (to != SLOT_GONE || from == SLOT_CONNECTING)
		return;
	if (reason < 0 || reason >= DD_POOL_CLOSE__COUNT) {
		fprintf(stderr, "dbdeck: pool %s: close without a reason\n", p->name);
		abort();
	}
	p->closed++;
	p->closed_by[reason]++;
}

void
pool_slot_set_state(struct dd_pool *p, struct dd_pooled *s, enum slot_state to, int reason)
{
	enum slot_state from = s->state;

	if (!(slot_legal[from] & (1u << to))) {
		fprintf(stderr, "dbdeck: pool %s: illegal slot move %s -> %s\n", p->name,
		    slot_state_names[from], slot_state_names[to]);
		abort();
	}
	if (slot_listed(from))
		list_remove(&p->lists[from], s);
	if (slot_listed(to))
		list_push_head(&p->lists[to], s);
	s->state = to;
	slot_count_transition(p, from, to, reason);
	if (to == SLOT_GONE) {
		p->queries_gone += atomic_load_explicit(&s->queries, memory_order_relaxed);
		p->fast_acquires_gone +=
		    atomic_load_explicit(&s->fast_acquires, memory_order_relaxed);
		pool_affinity_forget(p, s);
	}
	pool_fast_sync(p);
	if (to == SLOT_GONE && p->draining)
		pthread_cond_broadcast(&p->drain_cond);
}

void
pool_affinity_forget(struct dd_pool *p, const struct dd_pooled *s)
{
	for (int i = 0; i < POOL_AFFINITY_N; i++)
		if (p->affinity[i].last == s)
			p->affinity[i].last = NULL;
}

/*
 * Starts the maintenance thread (p->mu held): 0 or an errno. The thread
 * takes no signals, whichever thread starts it.
 */
static int
maint_start(struct dd_pool *p)
{
	sigset_t all, old;
	int rc;

	if (p->maint_running || p->stopping)
		return 0;
	p->maint_running = true; /* before the thread can look */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->maint_thread, NULL, pool_maint_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		p->maint_running = false;
	return rc;
}

struct dd_pooled *
pool_slot_reserve(struct dd_pool *p)
{
	struct dd_pooled *s = xcalloc_aligned(alignof(struct dd_pooled), sizeof(*s));

	s->pool = p;
	s->state = SLOT_NEW;
	s->id = ++p->next_id;
	s->expires_ns = INT64_MAX;
	/* a connection needs the thread that retires it; on failure the next one tries again */
	maint_start(p);
	pool_slot_set_state(p, s, SLOT_CONNECTING, POOL_CLOSE_NONE);
	if (pool_total(p) > p->peak_total)
		p->peak_total = pool_total(p);
	return s;
}

int
pool_total(const struct dd_pool *p)
{
	return p->lists[SLOT_CONNECTING].n + p->lists[SLOT_IDLE].n + p->lists[SLOT_ACTIVE].n +
	       p->lists[SLOT_CHECKING].n;
}

int64_t
pool_expiry(const struct dd_pool *p, int64_t now)
{
	if (p->cfg.max_lifetime_ms <= 0)
		return INT64_MAX;
	int64_t life = p->cfg.max_lifetime_ms * INT64_C(1000000);
	uint64_t span = (uint64_t)(life / 1000 * POOL_JITTER_PERMILLE) + 1;
	return now + life - (int64_t)(dd_rand_next(NULL) % span);
}

void
pool_slot_destroy(struct dd_pool *p, struct dd_pooled *s, bool goodbye)
{
	(void)p;
	if (s->conn) {
		int64_t now = dd_now_mono_ns();
		bool bye = goodbye && !dd_conn_is_broken(s->conn);
		dd_conn_close(s->conn, bye ? now + POOL_CLOSE_NS : now);
	}
	free(s);
}

void
pool_seterr(struct dd_pool *p, struct dd_db_error *err, enum dd_err_class cls, const char *fmt, ...)
{
	va_list ap;
	char msg[180];

	if (!err)
		return;
	dd_db_error_clear(err);
	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err->message, sizeof(err->message), "pool %.63s: %.179s", p->name, msg);
}

/* ------------------------------------------------------------------ */
/* Creation                                                           */

static void
config_clamp(struct dd_pool_config *c)
{
	struct dd_pool_config d;

	dd_pool_config_default(&d);
	if (c->max_size < 1)
		c->max_size = 1;
	if (c->max_size > POOL_SLOTS_MAX)
		c->max_size = POOL_SLOTS_MAX;
	if (c->max_overflow < 0)
		c->max_overflow = 0;
	if (c->max_overflow > POOL_SLOTS_MAX)
		c->max_overflow = POOL_SLOTS_MAX;
	if (c->min_idle < 0)
		c->min_idle = 0;
	if (c->min_idle > c->max_size)
		c->min_idle = c->max_size;
	if (c->acquire_timeout_ms < 0)
		c->acquire_timeout_ms = 0;
	if (c->connect_timeout_ms <= 0)
		c->connect_timeout_ms = d.connect_timeout_ms;
	if (c->max_lifetime_ms < 0)
		c->max_lifetime_ms = 0;
	if (c->idle_timeout_ms < 0)
		c->idle_timeout_ms = 0;
	if (c->liveness_idle_ms < 0)
		c->liveness_idle_ms = -1;
	if (c->query_timeout_ms < 0)
		c->query_timeout_ms = 0;
	if (c->slow_query_ms < 0)
		c->slow_query_ms = 0;
	if (c->maintenance_ms < 0)
		c->maintenance_ms = 0;
	c->application_name[sizeof(c->application_name) - 1] = '\0';
}

/* The maintenance period: as set, else 1 s or a quarter of the shortest timeout. */
static int64_t
maint_period_ms(const struct dd_pool_config *c)
{
	int64_t ms = 1000;

	if (c->maintenance_ms > 0)
		return c->maintenance_ms;
	if (c->idle_timeout_ms > 0 && c->idle_timeout_ms / 4 < ms)
		ms = c->idle_timeout_ms / 4;
	if (c->max_lifetime_ms > 0 && c->max_lifetime_ms / 4 < ms)
		ms = c->max_lifetime_ms / 4;
	return ms < 10 ? 10 : ms;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
params_copy(struct dd_pool *p, const struct dd_conn_params *src)
{
	struct dd_conn_params *d = &p->params;
	const char *app = p->cfg.application_name[0] ? p->cfg.application_name
	                  : src->application_name    ? src->application_name
	                                             : "dbdeck";

	*d = *src; /* the password pointer stays borrowed */
	d->host = dup_or_null(src->host);
	d->database = dup_or_null(src->database);
	d->user = dup_or_null(src->user);
	d->tls_ca = dup_or_null(src->tls_ca);
	d->tls_cert = dup_or_null(src->tls_cert);
	d->tls_key = dup_or_null(src->tls_key);
	d->application_name = xstrdup(app);
	d->connect_timeout_ms =
	    (int)(p->cfg.connect_timeout_ms > INT32_MAX ? INT32_MAX : p->cfg.connect_timeout_ms);
}

static void
params_free(struct dd_conn_params *d)
{
	free((char *)d->host);
	free((char *)d->database);
	free((char *)d->user);
	free((char *)d->tls_ca);
	free((char *)d->tls_cert);
	free((char *)d->tls_key);
	free((char *)d->application_name);
	d->password = NULL;
}

static void
pool_sync_init(struct dd_pool *p)
{
	pthread_mutexattr_t ma;

	/* Adaptive: spin briefly before sleeping; the critical sections are a few list ops. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&p->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_init(&p->gate_mu, NULL);
	pthread_mutex_init(&p->slow_mu, NULL);
	dd_cond_init_mono(&p->drain_cond);
	dd_cond_init_mono(&p->maint_cond);
}

/*
 * One block for the lists' arrays, each with room for every slot the pool
 * may hold (so that moving a slot never allocates). Idle and active come
 * first and side by side: a checkout or a return then writes one line of
 * it, in a small pool.
 */
static void
lists_init(struct dd_pool *p)
{
	static const enum slot_state order[] = {
	    SLOT_IDLE, SLOT_ACTIVE, SLOT_CONNECTING, SLOT_CHECKING};
	size_t cap = (size_t)(p->cfg.max_size + p->cfg.max_overflow);
	size_t n = DD_ARRAY_LEN(order) * cap;

	p->list_mem = xcalloc_aligned(POOL_CACHE_LINE, n * sizeof(p->list_mem[0]));
	for (size_t i = 0; i < DD_ARRAY_LEN(order); i++) {
		p->lists[order[i]].v = p->list_mem + i * cap;
		p->lists[order[i]].cap = (int)cap;
	}
}

static void
pool_release_memory(struct dd_pool *p)
{
	pthread_cond_destroy(&p->drain_cond);
	pthread_cond_destroy(&p->maint_cond);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->gate_mu);
	pthread_mutex_destroy(&p->slow_mu);
	dd_breaker_free(p->breaker);
	dd_histogram_free(p->wait_hist);
	params_free(&p->params);
	free(p->list_mem);
	free(p->slow);
	free(p);
}

struct dd_pool *
dd_pool_new(const struct dd_driver *drv, enum dd_engine engine, const struct dd_conn_params *params,
    const struct dd_pool_config *cfg, const char *node_name, char *err, size_t errlen)
{
	struct dd_pool *p;
	int rc;

	if (!params || !node_name || !node_name[0]) {
		dd_seterr(err, errlen, "pool: connection parameters and a node name are required");
		return NULL;
	}
	if (!drv)
		drv = dd_driver_for(engine);
	if (!drv) {
		dd_seterr(err, errlen, "pool %s: no driver for engine %s", node_name,
		    dd_engine_name(engine));
		return NULL;
	}
	p = xcalloc_aligned(alignof(struct dd_pool), sizeof(*p));
	if (cfg)
		p->cfg = *cfg;
	else
		dd_pool_config_default(&p->cfg);
	config_clamp(&p->cfg);
	p->maint_period_ns = maint_period_ms(&p->cfg) * INT64_C(1000000);
	p->liveness_ns =
	    p->cfg.liveness_idle_ms < 0 ? -1 : p->cfg.liveness_idle_ms * INT64_C(1000000);
	p->max_size = p->cfg.max_size;
	lists_init(p);
	atomic_init(&p->fast_ok, true); /* nobody waits, nothing open yet */
	p->drv = drv;
	p->engine = engine;
	dd_strlcpy(p->name, node_name, sizeof(p->name));
	params_copy(p, params);
	pool_sync_init(p);
	p->wait_hist = dd_histogram_new();
	p->breaker = dd_breaker_new(p->name, &p->cfg.breaker, NULL);
	/* Without min_idle the thread starts with the first connection (pool_slot_reserve). */
	pthread_mutex_lock(&p->mu);
	rc = p->cfg.min_idle > 0 ? maint_start(p) : 0;
	pthread_mutex_unlock(&p->mu);
	if (rc != 0) {
		dd_seterr(
		    err, errlen, "pool %s: cannot start its thread: %s", p->name, strerror(rc));
		pool_release_memory(p);
		return NULL;
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Drain and free                                                     */

/* Moves every idle slot to GONE (reason drain) onto *out. Caller holds p->mu. */
static struct dd_pooled *
take_idle_for_drain(struct dd_pool *p)
{
	struct dd_pooled *out = NULL, *s;

	while ((s = slot_list_head(&p->lists[SLOT_IDLE])) != NULL) {
		pool_slot_set_state(p, s, SLOT_GONE, DD_POOL_CLOSE_DRAIN);
		s->next = out;
		out = s;
	}
	return out;
}

int
dd_pool_drain(struct dd_pool *p, int64_t deadline_ns)
{
	struct dd_pooled *gone, *next;
	int left;

	pthread_mutex_lock(&p->mu);
	p->draining = true;
	pool_fast_sync(p);
	pool_refuse_waiters(p);
	pool_unpark_all(p);
	gone = take_idle_for_drain(p);
	pthread_mutex_unlock(&p->mu);
	for (; gone; gone = next) {
		next = gone->next;
		pool_slot_destroy(p, gone, true);
	}
	pthread_mutex_lock(&p->mu);
	while (pool_total(p) > 0 && dd_cond_wait_until(&p->drain_cond, &p->mu, deadline_ns))
		;
	left = pool_total(p);
	pthread_mutex_unlock(&p->mu);
	return left;
}

static void
maint_stop(struct dd_pool *p)
{
	bool running;

	pthread_mutex_lock(&p->mu);
	p->stopping = true; /* no thread starts after this */
	running = p->maint_running;
	pthread_cond_signal(&p->maint_cond);
	pthread_mutex_unlock(&p->mu);
	if (running)
		pthread_join(p->maint_thread, NULL);
	p->maint_running = false;
}

void
dd_pool_free(struct dd_pool *p)
{
	int left;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->draining = true;
	pool_fast_sync(p);
	pthread_mutex_unlock(&p->mu);
	maint_stop(p);
	left = dd_pool_drain(p, dd_now_mono_ns());
	if (left > 0) {
		fprintf(stderr, "dbdeck: pool %s freed with %d connection(s) still borrowed\n",
		    p->name, left);
		abort();
	}
	pool_release_memory(p);
}

/* ------------------------------------------------------------------ */
/* Accessors and counters                                             */

int64_t
dd_pool_deadline_in(int64_t ms)
{
	return dd_now_mono_ns() + ms * INT64_C(1000000);
}

const char *
dd_pool_name(const struct dd_pool *p)
{
	return p->name;
}

enum dd_engine
dd_pool_engine(const struct dd_pool *p)
{
	return p->engine;
}

const struct dd_pool_config *
dd_pool_get_config(const struct dd_pool *p)
{
	return &p->cfg;
}

struct dd_breaker *
dd_pool_breaker(struct dd_pool *p)
{
	return p->breaker;
}

static int64_t
quantile_ns(const struct dd_histogram_snapshot *h, double q)
{
	double v = dd_histogram_quantile(h, q);
	return isnan(v) ? 0 : (int64_t)v;
}

static void
stats_waits(struct dd_pool_stats *out, const struct dd_histogram_snapshot *h)
{
	out->wait_count = h->count;
	out->wait_sum_ns = (int64_t)h->sum_ns;
	out->wait_max_ns = (int64_t)h->max_ns;
	out->wait_p50_ns = quantile_ns(h, 0.50);
	out->wait_p95_ns = quantile_ns(h, 0.95);
	out->wait_p99_ns = quantile_ns(h, 0.99);
}

/*
 * What the slots count themselves, plus what the gone ones had: statements,
 * and acquires served by the fast path. Caller holds p->mu.
 */
static void
slot_counts(const struct dd_pool *p, uint64_t *queries, uint64_t *fast_acquires)
{
	*queries = p->queries_gone;
	*fast_acquires = p->fast_acquires_gone;
	for (int st = 0; st < SLOT__COUNT; st++)
		for (int i = 0; i < p->lists[st].n; i++) {
			const struct dd_pooled *s = p->lists[st].v[i];
			*queries += atomic_load_explicit(&s->queries, memory_order_relaxed);
			*fast_acquires +=
			    atomic_load_explicit(&s->fast_acquires, memory_order_relaxed);
		}
}

void
dd_pool_stats(struct dd_pool *p, struct dd_pool_stats *out)
{
	uint64_t fast;
	int parked;

	memset(out, 0, sizeof(*out));
	out->breaker = dd_breaker_state(p->breaker);
	pthread_mutex_lock(&p->mu);
	out->max_size = p->cfg.max_size;
	out->max_overflow = p->cfg.max_overflow;
	out->min_idle = p->cfg.min_idle;
	parked = pool_parked_count(p); /* listed as active, idle in fact */
	out->active = p->lists[SLOT_ACTIVE].n - parked;
	out->idle = p->lists[SLOT_IDLE].n + parked;
	out->connecting = p->lists[SLOT_CONNECTING].n;
	out->checking = p->lists[SLOT_CHECKING].n;
	out->waiting = p->nwait;
	out->total = pool_total(p);
	out->overflow_in_use = out->total > p->cfg.max_size ? out->total - p->cfg.max_size : 0;
	out->peak_total = p->peak_total;
	out->draining = p->draining;
	out->created = p->created;
	out->closed = p->closed;
	memcpy(out->closed_by, p->closed_by, sizeof(out->closed_by));
	memcpy(out->errors, p->errors, sizeof(out->errors));
	slot_counts(p, &out->queries, &fast);
	out->acquires = p->acquires + fast;
	out->fast = fast;
	out->handoffs = p->handoffs;
	out->pings = p->pings;
	out->resets = p->resets;
	dd_histogram_snapshot(p->wait_hist, &out->wait_hist);
	/* Acquires that did not wait (fast ones never do) go in bucket 0, [0, 1024] ns. */
	out->wait_hist.buckets[0] += p->zero_waits + fast;
	out->wait_hist.count += p->zero_waits + fast;
	pthread_mutex_unlock(&p->mu);
	out->slow_queries = atomic_load(&p->slow_queries);
	stats_waits(out, &out->wait_hist);
}
