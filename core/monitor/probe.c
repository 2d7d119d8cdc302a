/*
 * probe.c: one probe of one node, run by the node's worker thread every
 * round (monitor.c). It borrows a connection from the node's pool with the
 * round's deadline, runs the engine's round (cl->eng: engine_pg.c,
 * engine_my.c), gives the connection back, and turns cumulative counters
 * into per-second rates and slow statements into a running count. The
 * optional probe (pg_stat_statements, performance_schema digests) runs only
 * every statements_every_ms, and after a failure only after a back-off, so
 * a missing extension costs one failed statement a minute, not one a second.
 *
 * Everything written here lives in the node's spare result buffer, which
 * the worker owns until it hands it over (monitor.c); its storage is reused
 * from round to round.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

/* ---- string pool ---- */

uint32_t
sp_add(struct strpool *sp, const char *s, size_t n)
{
	uint32_t off;

	if (s == NULL)
		n = 0;
	if (sp->len + n + 1 > sp->cap) {
		size_t cap = sp->cap ? sp->cap : 1024;
		while (cap < sp->len + n + 1)
			cap *= 2;
		sp->p = xrealloc(sp->p, cap);
		sp->cap = cap;
	}
	off = (uint32_t)sp->len;
	if (n)
		memcpy(sp->p + sp->len, s, n);
	sp->p[sp->len + n] = '\0';
	sp->len += n + 1;
	return off;
}

uint32_t
sp_adds(struct strpool *sp, const char *s)
{
	return sp_add(sp, s, s ? strlen(s) : 0);
}

void
sp_reset(struct strpool *sp)
{
	sp->len = 0;
	/* offset 0 is always "" */
	sp_add(sp, "", 0);
}

void
sp_free(struct strpool *sp)
{
	free(sp->p);
	memset(sp, 0, sizeof(*sp));
}

/* FNV-1a, 64 bits: the identity of a statement's text (not a secret). */
uint64_t
mon_text_hash(const char *s, size_t n)
{
	return s ? dd_fnv1a(DD_FNV1A_INIT, s, n) : DD_FNV1A_INIT;
}

struct pquery *
mon_result_add_query(struct probe_result *r)
{
	if (r->nq == r->capq) {
		r->capq = r->capq ? r->capq * 2 : 8;
		r->q = xrealloc(r->q, (size_t)r->capq * sizeof(*r->q));
	}
	memset(&r->q[r->nq], 0, sizeof(r->q[0]));
	return &r->q[r->nq++];
}

void
mon_result_free(struct probe_result *r)
{
	sp_free(&r->sp);
	free(r->q);
	r->q = NULL;
	r->nq = r->capq = 0;
}

void
mon_stmts_free(struct stmt_set *s)
{
	sp_free(&s->sp);
	s->n = 0;
}

/* ---- statements and values ---- */

int
mon_run(struct probe_ctx *c, const char *sql, int ncols, struct dd_result **out,
    struct dd_db_error *err)
{
	int rc = c->conn ? dd_conn_query(c->conn, sql, c->deadline_ns, out, err)
	                 : dd_pool_query(c->pc, sql, c->deadline_ns, out, err);

	if (rc < 0)
		return -1;
	if (dd_result_ncols(*out) != ncols) {
		dd_result_free(*out);
		*out = NULL;
		err->cls = DD_ERR_PERMANENT;
		dd_strlcpy(err->message, "unexpected result shape", sizeof(err->message));
		return -1;
	}
	return 0;
}

int64_t
mon_v_i64(const struct dd_result *res, int row, int col)
{
	const char *v = dd_result_value(res, row, col);
	return v ? strtoll(v, NULL, 10) : -1;
}

double
mon_v_dbl(const struct dd_result *res, int row, int col)
{
	const char *v = dd_result_value(res, row, col);
	return v ? strtod(v, NULL) : NAN;
}

uint32_t
mon_v_str(struct strpool *sp, const struct dd_result *res, int row, int col)
{
	return sp_add(sp, dd_result_value(res, row, col), dd_result_length(res, row, col));
}

int
mon_round(struct probe_ctx *c, const char *sql, struct dd_db_error *err)
{
	const struct mon_engine *eng = c->nd->cl->eng;
	struct dd_monitor *m = c->nd->m;
	struct dd_result *res = NULL;
	bool stats = false;
	int64_t now_us;
	int i, n;

	if (c->conn && c->info && !c->role_done) {
		/* the router's role probe in the same statement */
		if (dd_conn_probe_role_with(
		        c->conn, sql, eng->round_cols, c->deadline_ns, c->info, &res, err) < 0)
			return -1;
		c->role_done = true;
	} else if (mon_run(c, sql, eng->round_cols, &res, err) < 0) {
		return -1;
	}
	now_us = m->clock.wall_ms(m->clock.ctx) * 1000;
	n = dd_result_nrows(res);
	for (i = 0; i < n; i++)
		if (dd_result_value(res, i, 0) != NULL && eng->read_row(c, res, i, now_us))
			stats = true;
	dd_result_free(res);
	if (!stats) {
		err->cls = DD_ERR_PERMANENT;
		dd_strlcpy(err->message, "no stats row", sizeof(err->message));
		return -1;
	}
	return 0;
}

/* The top statements (the engine's statement, 5 columns) into out. */
static int
read_statements(struct probe_ctx *c, struct stmt_set *out, struct dd_db_error *err)
{
	struct dd_result *res = NULL;
	char *owned = NULL;
	const char *sql = c->nd->cl->eng->statements_sql(c, &owned);
	int i, n, rc;

	rc = mon_run(c, sql, 5, &res, err);
	free(owned);
	if (rc < 0)
		return -1;
	sp_reset(&out->sp);
	out->n = 0;
	n = dd_result_nrows(res);
	for (i = 0; i < n && out->n < 2 * MON_TOP_STATEMENTS; i++) {
		struct pstmt *s = &out->s[out->n++];
		s->text = mon_v_str(&out->sp, res, i, 0);
		s->calls = mon_v_i64(res, i, 1);
		s->total_ms = mon_v_dbl(res, i, 2);
		s->mean_ms = mon_v_dbl(res, i, 3);
		s->rows = mon_v_i64(res, i, 4);
	}
	dd_result_free(res);
	return 0;
}

/* ---- rates and counts ---- */

static double
rate(int64_t now, int64_t prev, double dt_s)
{
	if (now < 0 || prev < 0 || now < prev || dt_s <= 0)
		return NAN;
	return (double)(now - prev) / dt_s;
}

static void
compute_rates(struct mnode *nd, struct probe_result *r, const struct pcounters *now, int64_t at_ns)
{
	double dt = nd->prev_ns > 0 ? (double)(at_ns - nd->prev_ns) / 1e9 : 0;
	int64_t dh = now->hits - nd->prev.hits, dr = now->reads - nd->prev.reads;

	r->qps = rate(now->queries, nd->prev.queries, dt);
	r->tps = rate(now->xacts, nd->prev.xacts, dt);
	if (nd->prev_ns > 0 && now->hits >= 0 && now->reads >= 0 && nd->prev.hits >= 0 && dh >= 0 &&
	    dr >= 0 && dh + dr > 0)
		nd->last_cache_hit = (double)dh / (double)(dh + dr);
	r->cache_hit = nd->last_cache_hit;
	nd->prev = *now;
	nd->prev_ns = at_ns;
}

/*
 * How far apart two rounds may place the start of one statement. MariaDB
 * gives a running statement's age (TIME_MS), not its start: the start is
 * worked out from this host's clock at each probe, so it moves by a few
 * milliseconds from round to round, and an exact match counted one long
 * statement again in every round it was seen. PostgreSQL's query_start is
 * exact. Two slow statements of one session start at least a slow_query
 * apart, so this only merges them under a slow_query below 50 ms.
 */
#define SLOW_SAME_START_US INT64_C(50000)

static bool
same_statement(const struct mnode *nd, int j, const struct pquery *q)
{
	int64_t d = nd->seen_start[j] - q->started_us;

	return nd->seen_pid[j] == q->pid && d <= SLOW_SAME_START_US && d >= -SLOW_SAME_START_US;
}

/* Counts the slow statements not seen in the previous round, then remembers this round's. */
static void
count_slow(struct mnode *nd, struct probe_result *r)
{
	int i, j;

	for (i = 0; i < r->nq; i++) {
		for (j = 0; j < nd->n_seen; j++)
			if (same_statement(nd, j, &r->q[i]))
				break;
		if (j == nd->n_seen)
			nd->slow_total++;
	}
	nd->seen_pid = xrealloc(nd->seen_pid, (size_t)(r->nq + 1) * sizeof(int64_t));
	nd->seen_start = xrealloc(nd->seen_start, (size_t)(r->nq + 1) * sizeof(int64_t));
	for (i = 0; i < r->nq; i++) {
		nd->seen_pid[i] = r->q[i].pid;
		nd->seen_start[i] = r->q[i].started_us;
	}
	nd->n_seen = r->nq;
	r->slow_total = nd->slow_total;
}

/* ---- the probe ---- */

static void
result_reset(struct probe_result *r)
{
	sp_reset(&r->sp);
	r->ran = r->ok = r->node_failure = r->ps_off = false;
	r->error[0] = '\0';
	r->version[0] = r->receive_pos[0] = '\0';
	r->uptime_s = -1;
	r->conn_used = r->conn_max = r->conn_active = r->conn_idle = -1;
	r->conn_idle_in_txn = r->conn_waiting = -1;
	r->qps = r->tps = r->cache_hit = NAN;
	r->nq = 0;
	r->n_peers = 0;
	r->activity.ok = false;
	r->activity.why[0] = '\0';
}

void
mon_result_clear_rows(struct probe_result *r)
{
	r->nq = 0;
	r->n_peers = 0;
}

static void
fail(struct probe_result *r, bool node_failure, const char *what, const struct dd_db_error *err)
{
	r->ok = false;
	r->node_failure = node_failure;
	snprintf(r->error, sizeof(r->error), "%s: %.180s", what, err->message);
	snprintf(r->activity.why, sizeof(r->activity.why), "%s: %.140s", what, err->message);
}

bool
mon_optional_missing(const struct dd_db_error *err)
{
	return err->cls == DD_ERR_PERMANENT;
}

void
mon_stmts_store(struct mnode *nd, bool ok, const char *why)
{
	nd->stmt_w.ok = ok;
	dd_strlcpy(nd->stmt_w.why, why ? why : "", sizeof(nd->stmt_w.why));
}

void
mon_stmts_unavailable(struct mnode *nd, const char *why, int64_t now_ns)
{
	mon_stmts_store(nd, false, why);
	nd->stmts_available = false;
	nd->optional_retry_ns = now_ns + nd->m->retry_optional_ms * 1000000;
}

void
mon_fetch_statements(struct probe_ctx *c, int64_t now_ns)
{
	struct mnode *nd = c->nd;
	struct dd_monitor *m = nd->m;
	struct stmt_set *spare = &nd->stmts[!nd->stmt_fresh];
	struct dd_db_error err;
	char why[160];

	dd_db_error_clear(&err);
	if (read_statements(c, spare, &err) < 0) {
		nd->cl->eng->statements_why(nd->cl, &err, why, sizeof(why));
		mon_stmts_unavailable(nd, why, now_ns);
		return;
	}
	mon_stmts_store(nd, true, "");
	nd->stmts_next_ns = now_ns + m->statements_every_ms * 1000000;
	pthread_mutex_lock(&m->mu);
	nd->stmt_fresh = !nd->stmt_fresh;
	pthread_mutex_unlock(&m->mu);
}

/* Acquire failed: is the node down, or only the pool busy / the breaker open? */
static void
acquire_failed(struct probe_result *r, int rc, const struct dd_db_error *err)
{
	const char *what = dd_pool_err_name(rc);

	fail(r, rc == DD_POOL_ERR_CONNECT, "pool", err);
	if (rc == DD_POOL_ERR_BREAKER_OPEN)
		dd_strlcpy(
		    r->activity.why, "circuit breaker open: not probed", sizeof(r->activity.why));
	else if (rc == DD_POOL_ERR_TIMEOUT)
		snprintf(r->activity.why, sizeof(r->activity.why),
		    "no pool connection before the deadline (%s)", what);
}

/* The common start of a probe: a fresh spare buffer, the times, c set up. */
static struct probe_result *
probe_begin(struct mnode *nd, struct probe_ctx *c, int64_t deadline_ns, bool is_primary)
{
	struct dd_monitor *m = nd->m;
	struct probe_result *r = &nd->res[!nd->fresh];

	result_reset(r);
	r->ran = true;
	r->start_ns = m->clock.mono_ns(m->clock.ctx);
	r->wall_ms = m->clock.wall_ms(m->clock.ctx);
	memset(c, 0, sizeof(*c));
	c->nd = nd;
	c->deadline_ns = deadline_ns;
	c->is_primary = is_primary;
	c->r = r;
	c->now = (struct pcounters){-1, -1, -1, -1};
	return r;
}

/* The engine's round on c's connection; the result filled either way. */
static int
probe_round(struct mnode *nd, struct probe_ctx *c, struct dd_db_error *err)
{
	struct probe_result *r = c->r;
	int rc = nd->cl->eng->round(c, r->start_ns, err);

	if (rc < 0) {
		fail(r, dd_db_error_is_node_failure(err) || err->cls == DD_ERR_TIMEOUT, "probe",
		    err);
		return -1;
	}
	r->ok = true;
	r->activity.ok = true;
	compute_rates(nd, r, &c->now, r->start_ns);
	count_slow(nd, r);
	return 0;
}

static void
probe_end(struct mnode *nd, struct probe_result *r)
{
	r->slow_total = nd->slow_total;
	r->statements = nd->stmt_w;
	r->end_ns = nd->m->clock.mono_ns(nd->m->clock.ctx);
}

void
mon_probe_node(struct mnode *nd, int64_t deadline_ns, bool is_primary)
{
	struct probe_ctx c;
	struct probe_result *r = probe_begin(nd, &c, deadline_ns, is_primary);
	struct dd_db_error err;
	int rc;

	dd_db_error_clear(&err);
	rc = dd_pool_acquire(nd->pool, deadline_ns, &c.pc, &err);
	if (rc != DD_POOL_OK) {
		acquire_failed(r, rc, &err);
	} else {
		probe_round(nd, &c, &err);
		dd_pool_release(c.pc);
	}
	probe_end(nd, r);
}

int
mon_probe_node_on(struct mnode *nd, struct dd_conn *conn, int64_t deadline_ns, bool is_primary,
    struct dd_role_info *info, struct dd_db_error *err)
{
	struct probe_ctx c;
	struct probe_result *r = probe_begin(nd, &c, deadline_ns, is_primary);
	int rc = -1;

	if (conn == NULL) {
		fail(r, dd_db_error_is_node_failure(err) || err->cls == DD_ERR_TIMEOUT, "connect",
		    err);
		goto out;
	}
	c.conn = conn;
	c.info = info;
	rc = probe_round(nd, &c, err);
	if (rc == 0 && !c.role_done)
		rc = dd_conn_probe_role(conn, deadline_ns, info, err);
out:
	probe_end(nd, r);
	return rc;
}
