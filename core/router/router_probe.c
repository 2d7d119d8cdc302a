/*
 * router_probe.c: the router's prober, and what a probe round changes.
 *
 * One coordinator thread per router starts a round every probe interval (or
 * at once when dd_router_probe_now asks): it hands the round to one worker
 * thread per node, each of which probes its node over its own driver
 * connection (reconnecting when needed) with the round's deadline. The
 * coordinator waits for every worker or for the deadline plus a small grace,
 * whichever comes first: a node that has not answered by then counts as
 * unreachable for the round, so a hung node never delays the others. The
 * results are then applied under the router's lock (router_apply_round):
 * roles and the topology, lag, and the read set with its hysteresis. Probe
 * failures that count against a node go to its breaker afterwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "router/router_int.h"
#include "util/util.h"

/* Extra wait for workers past the round deadline (the drivers overrun by a few ms). */
#define PROBE_GRACE_NS INT64_C(250000000)

/* ---- the worker: one probe of one node ---- */

/* Server messages may span lines; the reasons built from them are one line. */
static void
one_line(char *s)
{
	char *w = s, *rd, c;

	for (rd = s; *rd; rd++) {
		c = (*rd == '\n' || *rd == '\r' || *rd == '\t') ? ' ' : *rd;
		if (c == ' ' && w > s && w[-1] == ' ')
			continue;
		*w++ = c;
	}
	*w = '\0';
}

/* A few words for the routing reasons; the full message stays in last_error. */
static void
brief_of(bool at_connect, enum dd_err_class cls, char *out, size_t len)
{
	const char *what;

	switch (cls) {
	case DD_ERR_TIMEOUT: what = "timed out"; break;
	case DD_ERR_AUTH: what = "refused the credentials"; break;
	case DD_ERR_CONN_LOST: what = "lost the connection"; break;
	default: what = "failed"; break;
	}
	snprintf(out, len, "%s %s", at_connect ? "connect" : "probe", what);
}

/* Opens the node's probe connection; false (res filled) when it cannot. */
static bool
probe_connect(struct rnode *nd, enum dd_engine engine, int64_t deadline_ns,
    struct rnode_result *res, struct dd_db_error *err)
{
	if (dd_conn_open(engine, &nd->params, deadline_ns, &nd->conn, err) == 0)
		return true;
	dd_seterr(res->error, sizeof(res->error), "connect: %s: %s", dd_err_class_name(err->cls),
	    err->message);
	brief_of(true, err->cls, res->brief, sizeof(res->brief));
	return false;
}

static void
probe_close(struct rnode *nd)
{
	dd_conn_close(nd->conn, dd_now_mono_ns() + 100000000);
	nd->conn = NULL;
}

/* The role probe, through the rider when one is attached (conn NULL: tell it the connect failed).
 */
static int
role_probe(const struct dd_router_rider *rider, size_t i, struct dd_conn *conn, int64_t deadline_ns,
    struct dd_role_info *info, struct dd_db_error *err)
{
	if (rider->probe)
		return rider->probe(rider->ctx, i, conn, deadline_ns, info, err);
	return conn ? dd_conn_probe_role(conn, deadline_ns, info, err) : -1;
}

static void
probe_node(struct rnode *nd, const struct dd_router_rider *rider, size_t i, enum dd_engine engine,
    int64_t deadline_ns, struct rnode_result *res)
{
	struct dd_db_error err;
	int rc;

	memset(res, 0, sizeof(*res));
	res->start_ns = dd_now_mono_ns();
	res->wall_ms = dd_now_wall_ms();
	dd_db_error_clear(&err);
	if (nd->conn == NULL && !probe_connect(nd, engine, deadline_ns, res, &err))
		goto fail_connect;
	rc = role_probe(rider, i, nd->conn, deadline_ns, &res->info, &err);
	if (rc != 0 && err.cls == DD_ERR_CONN_LOST) {
		/* the server ended the session (a KILL, a fence, a restart): once more, afresh */
		probe_close(nd);
		dd_db_error_clear(&err);
		if (!probe_connect(nd, engine, deadline_ns, res, &err))
			goto fail_connect;
		rc = role_probe(rider, i, nd->conn, deadline_ns, &res->info, &err);
	}
	if (rc != 0) {
		dd_seterr(res->error, sizeof(res->error), "probe: %s: %s",
		    dd_err_class_name(err.cls), err.message);
		brief_of(false, err.cls, res->brief, sizeof(res->brief));
		probe_close(nd);
		goto fail;
	}
	res->ok = true;
	res->end_ns = dd_now_mono_ns();
	return;
fail_connect:
	role_probe(rider, i, NULL, deadline_ns, &res->info, &err);
fail:
	res->ok = false;
	one_line(res->error);
	res->node_failure = dd_db_error_is_node_failure(&err) || err.cls == DD_ERR_TIMEOUT;
	res->end_ns = dd_now_mono_ns();
}

struct worker_arg {
	struct dd_router *r;
	struct rnode *nd;
};

static void *
worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct dd_router *r = wa->r;
	struct rnode *nd = wa->nd;
	struct rnode_result res;
	struct dd_router_rider rider;
	uint64_t round;
	int64_t deadline;

	free(wa);
	pthread_mutex_lock(&r->pmu);
	while (!r->pstop) {
		if (nd->job_round <= nd->done_round) {
			pthread_cond_wait(&r->job_cv, &r->pmu);
			continue;
		}
		round = nd->job_round;
		deadline = nd->job_deadline_ns;
		rider = r->rider;
		r->rider_busy += rider.probe != NULL;
		pthread_mutex_unlock(&r->pmu);
		probe_node(nd, &rider, (size_t)(nd - r->nodes), r->cfg.engine, deadline, &res);
		pthread_mutex_lock(&r->pmu);
		r->rider_busy -= rider.probe != NULL;
		nd->has_conn = nd->conn != NULL;
		nd->res = res;
		nd->done_round = round;
		pthread_cond_broadcast(&r->done_cv);
	}
	pthread_mutex_unlock(&r->pmu);
	if (nd->conn != NULL)
		dd_conn_close(nd->conn, dd_now_mono_ns() + 200000000);
	nd->conn = NULL;
	return NULL;
}

/* ---- the coordinator ---- */

static bool
round_finished(struct dd_router *r, uint64_t round, const bool *posted)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (posted[i] && r->nodes[i].done_round < round)
			return false;
	return true;
}

/*
 * The first round opens every connection at once (TCP, TLS, login) while the
 * pools and the monitor do the same: its probes get the node's whole
 * connect_timeout when that is longer than the probe deadline, so that a slow
 * first connect on a busy machine is not taken for a node that is down (no
 * false "no primary" or breaker failure at start). Later rounds keep the
 * probe deadline, so a node that stops answering is still seen within it.
 */
static int64_t
first_deadline(const struct rnode *nd, uint64_t round, int64_t start_ns, int64_t deadline)
{
	int64_t connect = start_ns + (int64_t)nd->params.connect_timeout_ms * 1000000;

	return round == 1 && connect > deadline ? connect : deadline;
}

/*
 * The round's probe timeout for a node that holds its connection (r->pmu
 * held): the router's, or the rider's when shorter. A node that must connect
 * first keeps the router's (a TLS handshake on a busy machine).
 */
static int64_t
round_timeout_ms(const struct dd_router *r)
{
	int64_t t = r->cfg.probe_timeout_ms, rt;

	if (r->rider.probe && r->rider.timeout_ms) {
		rt = r->rider.timeout_ms(r->rider.ctx);
		if (rt > 0 && rt < t)
			t = rt;
	}
	return t;
}

/* Posts the round to every idle worker (r->pmu held); returns the latest deadline. */
static int64_t
post_round(struct dd_router *r, uint64_t round, int64_t start_ns, int64_t deadline, bool *posted)
{
	int64_t wait_until = deadline, full = start_ns + r->cfg.probe_timeout_ms * 1000000;

	for (size_t i = 0; i < r->n; i++) {
		struct rnode *nd = &r->nodes[i];
		/* a worker still inside an earlier probe is not given this round */
		posted[i] = nd->job_round <= nd->done_round;
		if (posted[i]) {
			nd->job_round = round;
			nd->job_deadline_ns =
			    first_deadline(nd, round, start_ns, nd->has_conn ? deadline : full);
			if (nd->job_deadline_ns > wait_until)
				wait_until = nd->job_deadline_ns;
		}
	}
	pthread_cond_broadcast(&r->job_cv);
	return wait_until;
}

/* Runs one round; res[i].ok / error filled for every node. Called without locks. */
static void
run_round(struct dd_router *r, struct rnode_result *res, int64_t *start_ns)
{
	bool posted[DD_ROUTER_MAX_NODES];
	int64_t timeout_ms, wait_until;
	uint64_t round, kicks;
	size_t i;

	*start_ns = dd_now_mono_ns();
	pthread_mutex_lock(&r->pmu);
	timeout_ms = round_timeout_ms(r);
	round = ++r->round;
	kicks = r->kicks;
	wait_until = post_round(r, round, *start_ns, *start_ns + timeout_ms * 1000000, posted);
	/* the grace past the deadline, unless another round is already asked for */
	while (!r->pstop && !round_finished(r, round, posted))
		if (!dd_cond_wait_until(&r->done_cv, &r->pmu,
		        wait_until + (r->kicks == kicks ? PROBE_GRACE_NS : 0)))
			break;
	for (i = 0; i < r->n; i++) {
		if (posted[i] && r->nodes[i].done_round == round) {
			res[i] = r->nodes[i].res;
			continue;
		}
		memset(&res[i], 0, sizeof(res[i]));
		res[i].node_failure = true;
		res[i].start_ns = *start_ns;
		res[i].end_ns = dd_now_mono_ns();
		res[i].wall_ms = dd_now_wall_ms();
		snprintf(res[i].error, sizeof(res[i].error),
		    "probe: no answer within %" PRId64 " ms", timeout_ms);
		snprintf(res[i].brief, sizeof(res[i].brief), "no answer within %" PRId64 " ms",
		    timeout_ms);
	}
	pthread_mutex_unlock(&r->pmu);
}

/*
 * Probe failures count against the node; a good probe ends a run of them and
 * is the trial of a half-open node. Through the pool, so that its acquires
 * follow the breaker at once (dd_pool_report_probe).
 */
static void
feed_breakers(struct dd_router *r, const struct rnode_result *res)
{
	for (size_t i = 0; i < r->n; i++)
		dd_pool_report_probe(
		    r->nodes[i].pool, res[i].ok, res[i].node_failure, res[i].error);
}

static void *
coord_main(void *arg)
{
	struct dd_router *r = arg;
	struct rnode_result res[DD_ROUTER_MAX_NODES];
	int64_t start, next;
	uint64_t kicks;

	for (;;) {
		pthread_mutex_lock(&r->pmu);
		kicks = r->kicks;
		if (r->pstop) {
			pthread_mutex_unlock(&r->pmu);
			break;
		}
		pthread_mutex_unlock(&r->pmu);
		run_round(r, res, &start);
		/* the breakers first: a round seen finished has fed them (dd_router_wait_rounds) */
		feed_breakers(r, res);
		router_apply_round(r, res, start, dd_now_mono_ns());
		pthread_mutex_lock(&r->pmu);
		/* a rider asks for rounds (dd_router_probe_soon); the timer is the fallback */
		next = start + r->cfg.probe_interval_ms * (r->rider.probe ? 2 : 1) * 1000000;
		while (!r->pstop && r->kicks == kicks)
			if (!dd_cond_wait_until(&r->done_cv, &r->pmu, next))
				break;
		pthread_mutex_unlock(&r->pmu);
	}
	return NULL;
}

int
router_prober_start(struct dd_router *r, char *err, size_t errlen)
{
	struct worker_arg *wa;
	size_t i;
	int rc;

	for (i = 0; i < r->n; i++) {
		wa = xmalloc(sizeof(*wa));
		wa->r = r;
		wa->nd = &r->nodes[i];
		rc = pthread_create(&r->nodes[i].thread, NULL, worker_main, wa);
		if (rc != 0) {
			free(wa);
			dd_seterr(err, errlen, "cannot start the prober of %s: %s",
			    r->nodes[i].name, strerror(rc));
			return -1;
		}
		r->nodes[i].thread_started = true;
	}
	rc = pthread_create(&r->coord, NULL, coord_main, r);
	if (rc != 0) {
		dd_seterr(err, errlen, "cannot start the prober: %s", strerror(rc));
		return -1;
	}
	r->coord_started = true;
	return 0;
}

void
router_prober_stop(struct dd_router *r)
{
	size_t i;

	pthread_mutex_lock(&r->pmu);
	r->pstop = true;
	pthread_cond_broadcast(&r->job_cv);
	pthread_cond_broadcast(&r->done_cv);
	pthread_mutex_unlock(&r->pmu);
	if (r->coord_started)
		pthread_join(r->coord, NULL);
	r->coord_started = false;
	for (i = 0; i < r->n; i++) {
		if (r->nodes[i].thread_started)
			pthread_join(r->nodes[i].thread, NULL);
		r->nodes[i].thread_started = false;
	}
}

/* ---- applying a round (r->mu held) ---- */

static bool
writable_primary(const struct rnode *nd)
{
	return nd->probed && nd->info.role == DD_ROLE_PRIMARY && !nd->info.read_only;
}

/* Which of two writable primaries is newer: a, b, or -1 when it cannot be told. */
static int
newer_of(const struct dd_router *r, int a, int b, char *how, size_t len)
{
	const struct rnode *x = &r->nodes[a], *y = &r->nodes[b];
	uint32_t ta = x->info.timeline, tb = y->info.timeline;

	if (ta && tb && ta != tb) {
		snprintf(how, len, "timeline %u > %u", ta > tb ? ta : tb, ta > tb ? tb : ta);
		return ta > tb ? a : b;
	}
	if (x->promoted_ms != y->promoted_ms) {
		int n = x->promoted_ms > y->promoted_ms ? a : b;
		time_t t = (time_t)(r->nodes[n].promoted_ms / 1000);
		struct tm tm;
		char when[32] = "?";
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(how, len, "promoted by dbdeck at %s", when);
		return n;
	}
	return -1;
}

/* The SPLIT-BRAIN text: both names, writes refused, and which one to keep. */
static void
split_brain_text(struct dd_router *r, int fresh, int f1, int f2)
{
	char how[64], more[24] = "";
	int keep = newer_of(r, f1, f2, how, sizeof(how));

	if (fresh > 2)
		snprintf(more, sizeof(more), " and %d more", fresh - 2);
	if (keep < 0)
		dd_seterr(r->topo_why, sizeof(r->topo_why),
		    "SPLIT-BRAIN: %s and %s%s accept writes (none routed); which is newer is "
		    "unknown: compare their data, keep one, fence and rejoin the other",
		    r->nodes[f1].name, r->nodes[f2].name, more);
	else
		dd_seterr(r->topo_why, sizeof(r->topo_why),
		    "SPLIT-BRAIN: %s and %s%s accept writes (none routed); keep %s (%s), fence "
		    "and rejoin %s",
		    r->nodes[f1].name, r->nodes[f2].name, more, r->nodes[keep].name, how,
		    r->nodes[keep == f1 ? f2 : f1].name);
}

/*
 * One writable primary among the reachable nodes → it. None reachable → the
 * one last known, if exactly one. Several → none: writes are refused until
 * only one says so.
 */
static void
update_topology(struct dd_router *r)
{
	int fresh = 0, stale = 0, f1 = -1, f2 = -1, s1 = -1;
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (!writable_primary(&r->nodes[i]))
			continue;
		if (r->nodes[i].reachable) {
			if (fresh++ == 0)
				f1 = (int)i;
			else if (f2 < 0)
				f2 = (int)i;
		} else if (stale++ == 0) {
			s1 = (int)i;
		}
	}
	r->writable = fresh;
	r->topo_why[0] = '\0';
	if (fresh == 1 || (fresh == 0 && stale == 1)) {
		r->topo = DD_TOPO_OK;
		r->primary = fresh == 1 ? f1 : s1;
		if (fresh == 0)
			dd_seterr(r->topo_why, sizeof(r->topo_why),
			    "primary %s does not answer probes", r->nodes[s1].name);
	} else if (fresh > 1) {
		r->topo = DD_TOPO_MULTI_PRIMARY;
		r->primary = -1;
		split_brain_text(r, fresh, f1, f2);
	} else {
		r->topo = stale > 1 ? DD_TOPO_MULTI_PRIMARY : DD_TOPO_NO_PRIMARY;
		r->primary = -1;
		dd_seterr(r->topo_why, sizeof(r->topo_why), "%s",
		    stale > 1 ? "several unreachable nodes were last seen as primary"
		              : "no node is a writable primary");
	}
}

/* Feeds the primary's position of this round to the lag computations. */
static void
update_primary_position(struct dd_router *r)
{
	struct rnode *p;

	if (r->primary < 0)
		return;
	if (r->primary != r->hist_primary) {
		dd_rl_lsn_history_clear(&r->hist);
		dd_rl_gtid_history_clear(&r->ghist);
		r->hist_primary = r->primary;
	}
	p = &r->nodes[r->primary];
	if (!p->reachable)
		return;
	if (r->cfg.engine == DD_ENGINE_POSTGRESQL)
		dd_rl_lsn_history_add(&r->hist, p->probe_ns, p->info.current_lsn);
	else
		dd_rl_gtid_history_add(&r->ghist, p->probe_ns, &p->info.binlog_set);
}

static void
update_lag_and_read_set(struct dd_router *r, struct rnode *nd)
{
	struct dd_rl_member m;

	if (!nd->reachable || nd->info.role != DD_ROLE_REPLICA) {
		nd->lag.known = false;
		nd->lag.ms = -1;
		dd_strlcpy(nd->lag.why, nd->reachable ? "not a replica" : "probe failed",
		    sizeof(nd->lag.why));
	} else if (r->cfg.engine == DD_ENGINE_POSTGRESQL) {
		dd_rl_lag_pg(&nd->info, nd->probe_ns, &r->hist, &nd->lag);
	} else {
		dd_rl_lag_mysql_hist(&nd->info, nd->probe_ns, &r->ghist, &nd->lag);
	}
	memset(&m, 0, sizeof(m));
	m.probed = nd->probed;
	m.reachable = nd->reachable;
	m.role = nd->info.role;
	m.weight = nd->weight;
	m.lag = nd->lag;
	/* a stopped SQL thread applies nothing more: no reads, whatever its lag says now */
	if (r->cfg.engine != DD_ENGINE_POSTGRESQL && nd->reachable && nd->info.has_replica_status &&
	    !nd->info.sql_running) {
		m.lag.known = false;
		dd_strlcpy(m.lag.why, "SQL thread stopped", sizeof(m.lag.why));
	}
	m.probe_error = nd->last_brief;
	m.in_read_set = nd->in_read_set;
	dd_rl_read_set_update(
	    &m, r->cfg.lag_max_ms, r->cfg.reenter_factor, nd->why, sizeof(nd->why));
	nd->in_read_set = m.in_read_set;
}

void
router_apply_round(
    struct dd_router *r, const struct rnode_result *res, int64_t start_ns, int64_t end_ns)
{
	struct rnode *nd;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->n; i++) {
		nd = &r->nodes[i];
		nd->reachable = res[i].ok;
		nd->probe_ms = (res[i].end_ns - res[i].start_ns) / 1000000;
		dd_strlcpy(nd->last_error, res[i].ok ? "" : res[i].error, sizeof(nd->last_error));
		dd_strlcpy(nd->last_brief,
		    res[i].ok         ? ""
		    : res[i].brief[0] ? res[i].brief
		                      : res[i].error,
		    sizeof(nd->last_brief));
		if (!res[i].ok)
			continue;
		nd->probed = true;
		nd->info = res[i].info;
		nd->probe_ns = res[i].start_ns;
		nd->probe_wall_ms = res[i].wall_ms;
	}
	update_topology(r);
	update_primary_position(r);
	for (i = 0; i < r->n; i++)
		update_lag_and_read_set(r, &r->nodes[i]);
	r->rounds_done++;
	r->last_round_wall_ms = dd_now_wall_ms();
	r->last_round_ms = (end_ns - start_ns) / 1000000;
	pthread_cond_broadcast(&r->round_cv);
	pthread_mutex_unlock(&r->mu);
}
