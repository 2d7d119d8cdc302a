/*
 * router.c: the router's life cycle, its accessors and the copies of its view
 * that the console and the monitor read (dd_router_nodes, dd_router_status,
 * dd_router_decisions). Routing itself is in router_route.c, probing in
 * router_probe.c; router_int.h explains the locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router_int.h"
#include "util/util.h"

static atomic_uint_fast64_t next_router_id = 1;

const char *
dd_intent_name(enum dd_intent intent)
{
	switch (intent) {
	case DD_INTENT_READ: return "read";
	case DD_INTENT_WRITE: return "write";
	case DD_INTENT_TRANSACTION: return "transaction";
	}
	return "unknown";
}

const char *
dd_router_err_name(int code)
{
	switch (code) {
	case DD_ROUTER_OK: return "ok";
	case DD_ROUTER_ERR_NO_PRIMARY: return "no_primary";
	case DD_ROUTER_ERR_NO_REPLICA: return "no_replica";
	case DD_ROUTER_ERR_TIMEOUT: return "timeout";
	case DD_ROUTER_ERR_UNAVAILABLE: return "unavailable";
	case DD_ROUTER_ERR_QUERY: return "query";
	case DD_ROUTER_ERR_SHUTDOWN: return "shutdown";
	case DD_ROUTER_ERR_INVALID: return "invalid";
	case DD_ROUTER_ERR_HELD: return "held";
	}
	return "unknown";
}

const char *
dd_route_kind_name(enum dd_route_kind k)
{
	switch (k) {
	case DD_ROUTE_NONE: return "none";
	case DD_ROUTE_PRIMARY: return "primary";
	case DD_ROUTE_REPLICA: return "replica";
	case DD_ROUTE_RYW: return "read-your-writes";
	case DD_ROUTE_FALLBACK: return "fallback";
	}
	return "unknown";
}

const char *
dd_topology_name(enum dd_topology t)
{
	switch (t) {
	case DD_TOPO_UNKNOWN: return "unknown";
	case DD_TOPO_OK: return "ok";
	case DD_TOPO_NO_PRIMARY: return "no_primary";
	case DD_TOPO_MULTI_PRIMARY: return "multiple_primaries";
	}
	return "unknown";
}

void
dd_router_config_default(struct dd_router_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cluster = "";
	cfg->engine = DD_ENGINE_POSTGRESQL;
	cfg->read_policy = DD_READ_POLICY_ROUND_ROBIN;
	cfg->no_replica = DD_NO_REPLICA_PRIMARY;
	cfg->lag_max_ms = 60000;
	cfg->reenter_factor = DD_RL_REENTER_FACTOR;
	cfg->ryw_window_ms = 5000;
	cfg->probe_interval_ms = 1000;
	cfg->probe_timeout_ms = 1000;
	cfg->query_timeout_ms = 10000;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
node_init(struct rnode *nd, const struct dd_router_node *src)
{
	const struct dd_conn_params *p = &src->params;

	dd_strlcpy(nd->name, src->name ? src->name : "?", sizeof(nd->name));
	nd->weight = src->weight;
	nd->pool = src->pool;
	nd->host = dup_or_null(p->host);
	nd->database = dup_or_null(p->database);
	nd->user = dup_or_null(p->user);
	nd->tls_ca = dup_or_null(p->tls_ca);
	nd->tls_cert = dup_or_null(p->tls_cert);
	nd->tls_key = dup_or_null(p->tls_key);
	nd->app_name = xstrdup(p->application_name ? p->application_name : "dbdeck-probe");
	nd->params = *p;
	nd->params.host = nd->host;
	nd->params.database = nd->database;
	nd->params.user = nd->user;
	nd->params.tls_ca = nd->tls_ca;
	nd->params.tls_cert = nd->tls_cert;
	nd->params.tls_key = nd->tls_key;
	nd->params.application_name = nd->app_name;
	dd_strlcpy(nd->why, "not probed yet", sizeof(nd->why));
	nd->lag.known = false;
	nd->lag.ms = -1;
	dd_strlcpy(nd->lag.why, "not probed yet", sizeof(nd->lag.why));
}

static void
node_fini(struct rnode *nd)
{
	free(nd->host);
	free(nd->database);
	free(nd->user);
	free(nd->tls_ca);
	free(nd->tls_cert);
	free(nd->tls_key);
	free(nd->app_name);
}

static void
config_fix(struct dd_router_config *c, const struct dd_router_config *in)
{
	*c = *in;
	if (c->lag_max_ms < 0)
		c->lag_max_ms = 0;
	if (!(c->reenter_factor > 0.0 && c->reenter_factor <= 1.0))
		c->reenter_factor = DD_RL_REENTER_FACTOR;
	if (c->ryw_window_ms < 0)
		c->ryw_window_ms = 0;
	if (c->probe_interval_ms <= 0)
		c->probe_interval_ms = 1000;
	if (c->probe_timeout_ms <= 0)
		c->probe_timeout_ms = 1000;
	if (c->query_timeout_ms <= 0)
		c->query_timeout_ms = 10000;
}

static bool
check_args(const struct dd_router_config *cfg, const struct dd_router_node *nodes, size_t n,
    char *err, size_t errlen)
{
	size_t i;

	if (cfg == NULL || nodes == NULL || n == 0 || n > DD_ROUTER_MAX_NODES) {
		dd_seterr(err, errlen, "router: need 1 to %d nodes", DD_ROUTER_MAX_NODES);
		return false;
	}
	for (i = 0; i < n; i++)
		if (nodes[i].pool == NULL || nodes[i].name == NULL) {
			dd_seterr(err, errlen, "router: node %zu has no name or pool", i);
			return false;
		}
	return true;
}

struct dd_router *
dd_router_new(const struct dd_router_config *cfg, const struct dd_router_node *nodes, size_t n,
    char *err, size_t errlen)
{
	return router_new(cfg, nodes, n, true, err, errlen);
}

struct dd_router *
router_new(const struct dd_router_config *cfg, const struct dd_router_node *nodes, size_t n,
    bool start_prober, char *err, size_t errlen)
{
	struct dd_router *r;
	size_t i;

	if (!check_args(cfg, nodes, n, err, errlen))
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->id = atomic_fetch_add(&next_router_id, 1);
	config_fix(&r->cfg, cfg);
	dd_strlcpy(r->cluster, cfg->cluster ? cfg->cluster : "", sizeof(r->cluster));
	r->cfg.cluster = r->cluster;
	r->n = n;
	r->nodes = xcalloc(n, sizeof(*r->nodes));
	for (i = 0; i < n; i++)
		node_init(&r->nodes[i], &nodes[i]);
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->pmu, NULL);
	dd_cond_init_mono(&r->round_cv);
	dd_cond_init_mono(&r->job_cv);
	dd_cond_init_mono(&r->done_cv);
	r->primary = -1;
	r->hist_primary = -1;
	r->topo = DD_TOPO_UNKNOWN;
	r->pick.nodes = (int)n;
	r->pick.swrr = r->swrr;
	r->qdur[0] = dd_histogram_new();
	r->qdur[1] = dd_histogram_new();
	if (start_prober && router_prober_start(r, err, errlen) != 0) {
		dd_router_free(r);
		return NULL;
	}
	return r;
}

void
dd_router_stop_begin(struct dd_router *r)
{
	pthread_mutex_lock(&r->pmu);
	r->pstop = true;
	pthread_cond_broadcast(&r->job_cv);
	pthread_cond_broadcast(&r->done_cv);
	pthread_mutex_unlock(&r->pmu);
}

void
dd_router_stop(struct dd_router *r)
{
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_broadcast(&r->round_cv);
	pthread_mutex_unlock(&r->mu);
	router_prober_stop(r);
}

void
dd_router_free(struct dd_router *r)
{
	size_t i;

	if (r == NULL)
		return;
	dd_router_stop(r);
	for (i = 0; i < r->n; i++)
		node_fini(&r->nodes[i]);
	free(r->nodes);
	dd_histogram_free(r->qdur[0]);
	dd_histogram_free(r->qdur[1]);
	pthread_cond_destroy(&r->round_cv);
	pthread_cond_destroy(&r->job_cv);
	pthread_cond_destroy(&r->done_cv);
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->pmu);
	free(r);
}

const char *
dd_router_cluster(const struct dd_router *r)
{
	return r->cluster;
}

enum dd_engine
dd_router_engine(const struct dd_router *r)
{
	return r->cfg.engine;
}

size_t
dd_router_node_count(const struct dd_router *r)
{
	return r->n;
}

const char *
dd_router_node_name(const struct dd_router *r, size_t i)
{
	return i < r->n ? r->nodes[i].name : NULL;
}

struct dd_pool *
dd_router_node_pool(struct dd_router *r, size_t i)
{
	return i < r->n ? r->nodes[i].pool : NULL;
}

int
dd_router_probe_now(struct dd_router *r, int64_t deadline_ns)
{
	uint64_t want;
	int rc = 0;

	pthread_mutex_lock(&r->pmu);
	want = r->round + 1;
	r->kicks++;
	pthread_cond_broadcast(&r->done_cv);
	pthread_mutex_unlock(&r->pmu);
	pthread_mutex_lock(&r->mu);
	while (rc == 0 && r->rounds_done < want) {
		if (r->stopping)
			rc = DD_ROUTER_ERR_SHUTDOWN;
		else if (!dd_cond_wait_until(&r->round_cv, &r->mu, deadline_ns))
			rc = r->rounds_done < want ? DD_ROUTER_ERR_TIMEOUT : 0;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void
dd_router_probe_soon(struct dd_router *r)
{
	pthread_mutex_lock(&r->pmu);
	r->kicks++;
	pthread_cond_broadcast(&r->done_cv);
	pthread_mutex_unlock(&r->pmu);
}

uint64_t
dd_router_rounds(struct dd_router *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->mu);
	n = r->rounds_done;
	pthread_mutex_unlock(&r->mu);
	return n;
}

int
dd_router_wait_rounds(struct dd_router *r, uint64_t rounds, int64_t deadline_ns)
{
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	while (rc == 0 && r->rounds_done < rounds)
		if (r->stopping || !dd_cond_wait_until(&r->round_cv, &r->mu, deadline_ns))
			rc = r->rounds_done < rounds ? -1 : 0;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void
dd_router_set_rider(struct dd_router *r, const struct dd_router_rider *rider)
{
	pthread_mutex_lock(&r->pmu);
	if (rider)
		r->rider = *rider;
	else
		memset(&r->rider, 0, sizeof(r->rider));
	pthread_mutex_unlock(&r->pmu);
}

void
dd_router_rider_wait(struct dd_router *r)
{
	pthread_mutex_lock(&r->pmu);
	while (r->rider_busy > 0)
		pthread_cond_wait(&r->done_cv, &r->pmu);
	pthread_mutex_unlock(&r->pmu);
}

/* ---- views ---- */

void
dd_router_status(struct dd_router *r, struct dd_router_status *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->mu);
	out->topology = r->topo;
	out->primary = r->primary;
	out->writable_primaries = r->writable;
	dd_strlcpy(out->why, r->topo_why, sizeof(out->why));
	out->rounds = r->rounds_done;
	out->last_round_wall_ms = r->last_round_wall_ms;
	out->last_round_ms = r->last_round_ms;
	out->read_policy = r->cfg.read_policy;
	out->no_replica = r->cfg.no_replica;
	out->lag_max_ms = r->cfg.lag_max_ms;
	out->reenter_ms = (int64_t)((double)r->cfg.lag_max_ms * r->cfg.reenter_factor);
	out->writes_held = r->held;
	dd_strlcpy(out->held_why, r->held_why, sizeof(out->held_why));
	pthread_mutex_unlock(&r->mu);
}

void
dd_router_hold_writes(struct dd_router *r, bool hold, const char *why)
{
	pthread_mutex_lock(&r->mu);
	r->held = hold;
	dd_strlcpy(r->held_why, hold && why ? why : "", sizeof(r->held_why));
	if (!hold)
		pthread_cond_broadcast(&r->round_cv);
	pthread_mutex_unlock(&r->mu);
}

void
dd_router_note_promotion(struct dd_router *r, const char *name, int64_t wall_ms)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->nodes[i].name, name) == 0 && wall_ms > r->nodes[i].promoted_ms)
			r->nodes[i].promoted_ms = wall_ms;
	pthread_mutex_unlock(&r->mu);
}

void
router_kick(struct dd_router *r)
{
	int64_t now = dd_now_mono_ns(), last = atomic_load(&r->last_kick_ns);

	if (now - last < INT64_C(50000000) ||
	    !atomic_compare_exchange_strong(&r->last_kick_ns, &last, now))
		return;
	pthread_mutex_lock(&r->pmu);
	r->kicks++;
	pthread_cond_broadcast(&r->done_cv);
	pthread_mutex_unlock(&r->pmu);
}

static void
node_view(struct dd_router *r, size_t i, struct dd_router_node_view *v)
{
	const struct rnode *nd = &r->nodes[i];

	memset(v, 0, sizeof(*v));
	dd_strlcpy(v->name, nd->name, sizeof(v->name));
	v->role = nd->probed ? nd->info.role : DD_ROLE_UNKNOWN;
	v->reachable = nd->reachable;
	v->read_only = nd->info.read_only;
	v->is_primary = r->primary == (int)i;
	v->weight = nd->weight;
	v->lag_known = nd->lag.known;
	v->lag_ms = nd->lag.known ? nd->lag.ms : -1;
	v->applied = nd->info.applied;
	dd_rl_fmt_pos(&nd->info.applied, v->position, sizeof(v->position));
	v->probe_wall_ms = nd->probe_wall_ms;
	v->probe_ms = nd->probe_ms;
	dd_strlcpy(v->last_error, nd->last_error, sizeof(v->last_error));
	v->replay_paused = nd->info.replay_paused;
	v->io_running = nd->info.io_running;
	v->sql_running = nd->info.sql_running;
	v->in_read_set = nd->in_read_set;
	dd_strlcpy(v->why, nd->why, sizeof(v->why));
	dd_strlcpy(v->lag_why, nd->lag.known ? "" : nd->lag.why, sizeof(v->lag_why));
	memcpy(v->routed, nd->routed, sizeof(v->routed));
	v->fallback = nd->fallback;
	v->ryw = nd->ryw;
	v->failed = nd->failed;
}

size_t
dd_router_nodes(struct dd_router *r, struct dd_router_node_view *out, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&r->mu);
	n = r->n < max ? r->n : max;
	for (i = 0; i < n; i++)
		node_view(r, i, &out[i]);
	pthread_mutex_unlock(&r->mu);
	/* the breaker has its own lock; read it outside ours */
	for (i = 0; i < n; i++)
		out[i].breaker = dd_breaker_state(dd_pool_breaker(r->nodes[i].pool));
	return n;
}

bool
dd_router_node_info(struct dd_router *r, size_t i, struct dd_role_info *out)
{
	bool have;

	pthread_mutex_lock(&r->mu);
	have = i < r->n && r->nodes[i].probed;
	if (have)
		*out = r->nodes[i].info;
	pthread_mutex_unlock(&r->mu);
	return have;
}

size_t
dd_router_decisions(struct dd_router *r, struct dd_route_decision *out, size_t max)
{
	size_t i, n, skip;

	pthread_mutex_lock(&r->mu);
	n = (size_t)r->ring_n;
	skip = n > max ? n - max : 0;
	for (i = skip; i < n; i++)
		out[i - skip] = r->ring[(r->ring_head + (int)i) % DD_ROUTER_DECISIONS];
	pthread_mutex_unlock(&r->mu);
	return n - skip;
}

void
dd_router_query_durations(
    struct dd_router *r, enum dd_intent intent, struct dd_histogram_snapshot *out)
{
	dd_histogram_snapshot(r->qdur[intent == DD_INTENT_READ ? 0 : 1], out);
}
