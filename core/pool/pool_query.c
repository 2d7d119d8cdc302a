/*
 * pool_query.c: statements through the pool: the timed query/exec wrappers,
 * the slow-query ring, what the pool reports to its node's circuit breaker,
 * and the acquire-run-release helpers with retries.
 *
 * The gate. Consulting the breaker costs a second mutex and a clock read, too
 * much for the uncontended acquire. So the pool keeps an atomic flag, the
 * gate, that is false only while the breaker is known to be closed with no
 * failure counted (dd_breaker_settled): every node failure reported, by the
 * pool itself or by a probe (dd_pool_report_probe), sets it under gate_mu
 * together with the report; a success clears it once the breaker has
 * settled again; operator controls through dd_pool_breaker_* set or clear
 * it; and the maintenance pass re-reads the breaker into it. While the gate
 * is set every acquire asks dd_breaker_allow() and treats a yes as a probe
 * (it pings or connects, and reports the outcome), which also serves the
 * half-open trial, and every success is reported, so that a failure counted
 * while the breaker stayed closed is cleared by the next success instead of
 * adding up with later, unrelated ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool_int.h"
#include "util/util.h"

#define MS_NS INT64_C(1000000)

/* ------------------------------------------------------------------ */
/* The breaker and the gate                                           */

void
pool_report_failure(struct dd_pool *p, const struct dd_db_error *err)
{
	char why[DD_BREAKER_REASON_MAX];

	if (!err || !dd_db_error_is_node_failure(err))
		return;
	snprintf(why, sizeof(why), "%.12s: %.100s", dd_err_class_name(err->cls), err->message);
	pthread_mutex_lock(&p->gate_mu);
	atomic_store(&p->gate, true);
	dd_breaker_record_failure(p->breaker, why);
	pthread_mutex_unlock(&p->gate_mu);
	/* Idle connections opened before this may be dead too: ping them at checkout. */
	atomic_store_explicit(&p->check_before_ns, dd_now_mono_ns(), memory_order_relaxed);
}

void
pool_report_success(struct dd_pool *p)
{
	if (!atomic_load(&p->gate))
		return;
	pthread_mutex_lock(&p->gate_mu);
	dd_breaker_record_success(p->breaker);
	atomic_store(&p->gate, !dd_breaker_settled(p->breaker));
	pthread_mutex_unlock(&p->gate_mu);
}

void
pool_gate_sync(struct dd_pool *p)
{
	pthread_mutex_lock(&p->gate_mu);
	atomic_store(&p->gate, !dd_breaker_settled(p->breaker));
	pthread_mutex_unlock(&p->gate_mu);
}

void
dd_pool_report_probe(struct dd_pool *p, bool ok, bool node_failure, const char *reason)
{
	pthread_mutex_lock(&p->gate_mu);
	dd_breaker_record_probe(p->breaker, ok, node_failure, reason);
	atomic_store(&p->gate, !dd_breaker_settled(p->breaker));
	pthread_mutex_unlock(&p->gate_mu);
	if (!ok && node_failure) /* idle connections opened before may be dead too */
		atomic_store_explicit(&p->check_before_ns, dd_now_mono_ns(), memory_order_relaxed);
}

void
dd_pool_breaker_force_open(struct dd_pool *p, const char *reason)
{
	pthread_mutex_lock(&p->gate_mu);
	dd_breaker_force_open(p->breaker, reason);
	atomic_store(&p->gate, true);
	pthread_mutex_unlock(&p->gate_mu);
}

void
dd_pool_breaker_force_closed(struct dd_pool *p, const char *reason)
{
	pthread_mutex_lock(&p->gate_mu);
	dd_breaker_force_closed(p->breaker, reason);
	atomic_store(&p->gate, false);
	pthread_mutex_unlock(&p->gate_mu);
}

void
dd_pool_breaker_reset(struct dd_pool *p, const char *reason)
{
	pthread_mutex_lock(&p->gate_mu);
	dd_breaker_reset(p->breaker, reason);
	atomic_store(&p->gate, false);
	pthread_mutex_unlock(&p->gate_mu);
}

/* ------------------------------------------------------------------ */
/* The slow-query ring                                                */

static void
slow_record(struct dd_pool *p, const char *sql, int64_t dur_ns, int64_t rows, bool failed)
{
	struct dd_slow_query q;

	memset(&q, 0, sizeof(q));
	dd_sql_normalize(p->engine, sql, q.sql, sizeof(q.sql));
	q.duration_ns = dur_ns;
	q.rows = rows;
	q.failed = failed;
	q.wall_ms = dd_now_wall_ms();
	dd_strlcpy(q.node, p->name, sizeof(q.node));
	atomic_fetch_add(&p->slow_queries, 1);
	pthread_mutex_lock(&p->slow_mu);
	if (!p->slow) /* on the first slow query: most pools never see one */
		p->slow = xcalloc(DD_POOL_SLOW_RING, sizeof(*p->slow));
	p->slow[p->slow_next] = q;
	p->slow_next = (p->slow_next + 1) % DD_POOL_SLOW_RING;
	if (p->slow_n < DD_POOL_SLOW_RING)
		p->slow_n++;
	pthread_mutex_unlock(&p->slow_mu);
}

size_t
dd_pool_slow_queries(struct dd_pool *p, struct dd_slow_query *out, size_t max)
{
	size_t n, first, i;

	pthread_mutex_lock(&p->slow_mu);
	n = p->slow_n < max ? p->slow_n : max;
	first = (p->slow_next + DD_POOL_SLOW_RING - n) % DD_POOL_SLOW_RING;
	for (i = 0; i < n; i++)
		out[i] = p->slow[(first + i) % DD_POOL_SLOW_RING];
	pthread_mutex_unlock(&p->slow_mu);
	return n;
}

/* ------------------------------------------------------------------ */
/* Statements on a borrowed connection                                */

static int64_t
statement_deadline(const struct dd_pool *p, int64_t deadline_ns, int64_t now)
{
	if (deadline_ns != DD_POOL_DEFAULT_DEADLINE)
		return deadline_ns;
	if (p->cfg.query_timeout_ms <= 0)
		return DD_NO_DEADLINE;
	return now + p->cfg.query_timeout_ms * MS_NS;
}

/* Bookkeeping after a statement: counters, breaker, slow-query ring. */
static void
statement_done(struct dd_pooled *pc, const char *sql, int rc, const struct dd_db_error *err,
    int64_t t0, int64_t rows)
{
	struct dd_pool *p = pc->pool;
	int64_t end = dd_now_mono_ns(), dur = end - t0;

	pc->stmt_end_ns = end; /* release uses it instead of reading the clock again */
	/* Only the borrower writes it: a plain increment, published for dd_pool_stats(). */
	atomic_store_explicit(&pc->queries,
	    atomic_load_explicit(&pc->queries, memory_order_relaxed) + 1, memory_order_relaxed);
	if (rc == 0)
		pool_report_success(p);
	else
		pool_report_failure(p, err);
	if (p->cfg.slow_query_ms > 0 && dur >= p->cfg.slow_query_ms * MS_NS)
		slow_record(p, sql, dur, rc == 0 ? rows : -1, rc != 0);
}

int
dd_pool_query(struct dd_pooled *pc, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	struct dd_pool *p = pc->pool;
	int64_t t0 = dd_now_mono_ns();
	int rc;

	rc = dd_conn_query(pc->conn, sql, statement_deadline(p, deadline_ns, t0), out, err);
	statement_done(pc, sql, rc, err, t0, rc == 0 ? dd_result_nrows(*out) : -1);
	return rc;
}

int
dd_pool_exec(struct dd_pooled *pc, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	struct dd_pool *p = pc->pool;
	int64_t t0 = dd_now_mono_ns();
	int64_t n = 0;
	int rc;

	rc = dd_conn_exec(pc->conn, sql, statement_deadline(p, deadline_ns, t0), &n, err);
	if (affected)
		*affected = n;
	statement_done(pc, sql, rc, err, t0, n);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Acquire, run, release, with retries                                */

struct run_ctx {
	struct dd_pool *p;
	const char *sql;
	const struct dd_pool_call *call;
	struct dd_result **out; /* NULL for exec */
	int64_t *affected;
	struct dd_db_error *err;
	int attempts;
};

static enum dd_retry_class
retry_class_of(const struct dd_db_error *e)
{
	switch (e->cls) {
	case DD_ERR_TRANSIENT: return DD_RETRY_TRANSIENT;
	case DD_ERR_TIMEOUT: return DD_RETRY_TIMEOUT;
	case DD_ERR_CONN_LOST: return DD_RETRY_CONN_LOST;
	case DD_ERR_AUTH: return DD_RETRY_AUTH;
	default: return DD_RETRY_PERMANENT;
	}
}

/* An acquire failure: only a timeout or a failed connect may go away by itself. */
static enum dd_retry_class
acquire_class(int rc, const struct dd_db_error *e)
{
	switch (rc) {
	case DD_POOL_ERR_TIMEOUT: return DD_RETRY_TIMEOUT;
	case DD_POOL_ERR_CONNECT: return retry_class_of(e);
	case DD_POOL_ERR_AUTH: return DD_RETRY_AUTH;
	default: return DD_RETRY_PERMANENT; /* breaker open, draining */
	}
}

/* now + ms (0 = fallback_ms), cut to the retry budget when cap is set. */
static int64_t
attempt_deadline(int64_t now, int64_t ms, int64_t fallback_ms, int64_t budget_ns, bool cap)
{
	int64_t dl;

	if (ms <= 0)
		ms = fallback_ms;
	dl = ms > 0 ? now + ms * MS_NS : DD_NO_DEADLINE;
	if (cap) {
		if (budget_ns < MS_NS)
			budget_ns = MS_NS;
		if (now + budget_ns < dl)
			dl = now + budget_ns;
	}
	return dl;
}

static int
run_attempt(
    void *ctx, int attempt, const struct dd_retry *r, enum dd_retry_class *cls, bool *not_sent)
{
	struct run_ctx *x = ctx;
	const struct dd_pool_config *cfg = &x->p->cfg;
	int64_t now = dd_now_mono_ns();
	struct dd_pooled *pc;
	int rc;

	x->attempts = attempt;
	rc = dd_pool_acquire(x->p,
	    attempt_deadline(now, x->call->acquire_timeout_ms, cfg->acquire_timeout_ms,
	        dd_retry_remaining_ns(r), true),
	    &pc, x->err);
	if (rc != DD_POOL_OK) {
		*not_sent = true;
		*cls = acquire_class(rc, x->err);
		return rc;
	}
	now = dd_now_mono_ns();
	int64_t dl = attempt_deadline(now, x->call->timeout_ms, cfg->query_timeout_ms, 0, false);
	if (x->out) {
		dd_result_free(*x->out);
		*x->out = NULL;
		rc = dd_pool_query(pc, x->sql, dl, x->out, x->err);
	} else {
		rc = dd_pool_exec(pc, x->sql, dl, x->affected, x->err);
	}
	dd_pool_release(pc);
	if (rc == 0)
		return DD_POOL_OK;
	*cls = retry_class_of(x->err);
	return DD_POOL_ERR_QUERY;
}

static int
pool_run(struct dd_pool *p, const char *sql, const struct dd_pool_call *call,
    struct dd_result **out, int64_t *affected, int *attempts, struct dd_db_error *err)
{
	static const struct dd_pool_call once = {0};
	struct dd_retry_policy pol;
	struct dd_db_error local;
	struct run_ctx x = {
	    .p = p,
	    .sql = sql,
	    .call = call ? call : &once,
	    .out = out,
	    .affected = affected,
	    .err = err ? err : &local,
	};
	int rc;

	if (x.call->retry) {
		pol = *x.call->retry;
	} else {
		dd_retry_policy_default(&pol);
		pol.attempts = 1;
	}
	if (out)
		*out = NULL;
	dd_db_error_clear(x.err);
	rc = dd_retry_run(
	    &pol, NULL, NULL, x.call->idempotent ? DD_RETRY_IDEMPOTENT : 0, run_attempt, &x, NULL);
	if (attempts)
		*attempts = x.attempts;
	return rc;
}

int
dd_pool_run_query(struct dd_pool *p, const char *sql, const struct dd_pool_call *call,
    struct dd_result **out, int *attempts, struct dd_db_error *err)
{
	return pool_run(p, sql, call, out, NULL, attempts, err);
}

int
dd_pool_run_exec(struct dd_pool *p, const char *sql, const struct dd_pool_call *call,
    int64_t *affected, int *attempts, struct dd_db_error *err)
{
	return pool_run(p, sql, call, NULL, affected, attempts, err);
}
