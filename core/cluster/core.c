/*
 * core.c: the dd_core object (core.h). It maps the config file's cluster and
 * node keys onto pools (struct dd_pool_config, struct dd_conn_params) and a
 * router per cluster (and, with admin_credential, the actions' small pools),
 * owns them, and shuts them down in order: routers first (their probers hold
 * their own connections), then the pools are drained and freed. The Prometheus exposition of all of
 * it is in core_prom.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/core.h"
#include "cluster/core_int.h"
#include "util/util.h"

#define PROBE_TIMEOUT_CAP_MS 1000
#define ADMIN_POOL_MAX       2     /* an action and a backup at once */
#define ADMIN_IDLE_MS        30000 /* no privileged session left open long */

void
dd_core_options_default(struct dd_core_options *o)
{
	memset(o, 0, sizeof(*o));
}

static void
pool_config_of(const struct dd_cluster_config *cc, const char *app, struct dd_pool_config *pc)
{
	dd_pool_config_default(pc);
	pc->min_idle = cc->min_idle;
	pc->max_size = cc->pool_size;
	pc->max_overflow = cc->max_overflow;
	pc->acquire_timeout_ms = cc->acquire_timeout_ms;
	pc->max_lifetime_ms = cc->max_lifetime_ms;
	pc->idle_timeout_ms = cc->idle_timeout_ms;
	pc->liveness_idle_ms = cc->liveness_idle_ms;
	pc->connect_timeout_ms = cc->connect_timeout_ms;
	pc->query_timeout_ms = cc->query_timeout_ms;
	pc->slow_query_ms = cc->slow_query_ms;
	dd_strlcpy(pc->application_name, app, sizeof(pc->application_name));
	pc->breaker.threshold = cc->breaker_threshold;
	pc->breaker.recovery_ns = cc->breaker_recovery_ms * 1000000;
}

static void
params_of(const struct dd_cluster_config *cc, const struct dd_node_config *nc, const char *user,
    const char *password, const char *app, struct dd_conn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = nc->host;
	p->port = nc->port;
	p->database = cc->database;
	p->user = user;
	p->password = password;
	p->tls = nc->tls;
	p->auth = nc->auth;
	p->tls_ca = nc->tls_ca;
	p->tls_cert = nc->tls_cert;
	p->tls_key = nc->tls_key;
	p->application_name = app;
	p->connect_timeout_ms = (int)cc->connect_timeout_ms;
}

static void
router_config_of(
    const struct dd_core *core, const struct dd_cluster_config *cc, struct dd_router_config *rc)
{
	dd_router_config_default(rc);
	rc->cluster = cc->name;
	rc->engine = cc->engine;
	rc->read_policy = cc->read_policy;
	rc->no_replica = cc->no_replica;
	rc->lag_max_ms = cc->lag_max_ms;
	rc->ryw_window_ms = cc->ryw_window_ms;
	rc->query_timeout_ms = cc->query_timeout_ms;
	rc->probe_interval_ms = core->probe_interval_ms;
	rc->probe_timeout_ms = core->probe_timeout_ms;
	if (rc->probe_timeout_ms <= 0) {
		rc->probe_timeout_ms = cc->connect_timeout_ms;
		if (rc->probe_timeout_ms <= 0 || rc->probe_timeout_ms > PROBE_TIMEOUT_CAP_MS)
			rc->probe_timeout_ms = PROBE_TIMEOUT_CAP_MS;
	}
}

/* The pools of one cluster; false (err set) when one cannot be made. */
static bool
cluster_pools(struct dd_core *core, struct dd_cluster *cl, const char *user, const char *password,
    struct dd_router_node *rn, char *err, size_t errlen)
{
	const struct dd_cluster_config *cc = cl->cc;
	struct dd_pool_config pc;
	struct dd_conn_params p;
	char perr[256];
	size_t i;

	pool_config_of(cc, core->app, &pc);
	if (core->pools_cold)
		pc.min_idle = 0;
	for (i = 0; i < cl->n; i++) {
		const struct dd_node_config *nc = cc->nodes[i];
		params_of(cc, nc, user, password, core->app, &p);
		cl->pools[i] = dd_pool_new(NULL, cc->engine, &p, &pc, nc->name, perr, sizeof(perr));
		if (cl->pools[i] == NULL) {
			dd_seterr(err, errlen, "cluster %s, node %s: %s", cc->name, nc->name, perr);
			return false;
		}
		memset(&rn[i], 0, sizeof(rn[i]));
		rn[i].name = nc->name;
		rn[i].weight = nc->weight;
		rn[i].pool = cl->pools[i];
		rn[i].params = p;
		rn[i].params.application_name = core->probe_app;
	}
	return true;
}

/*
 * The actions' pools of a cluster that names an admin_credential: a small
 * pool per node (at most 2 connections, none kept open, idle ones closed
 * after 30 s), so that the privileged account has no session on the
 * servers between actions, costs no thread or connection while unused
 * beyond the pool's maintenance, and gets the pools' deadlines, TLS,
 * breaker and reset for free. Probing and the application's statements
 * never use it. Returns false (err set) when a pool cannot be made.
 */
static bool
cluster_admin_pools(struct dd_core *core, struct dd_cluster *cl, dd_credential_fn get, void *ctx,
    char *err, size_t errlen)
{
	const struct dd_cluster_config *cc = cl->cc;
	const char *user = NULL, *password = NULL;
	struct dd_pool_config pc;
	struct dd_conn_params p;
	char perr[256];

	if (cc->admin_credential == NULL)
		return true;
	if (get(ctx, cc->admin_credential, &user, &password) != 0 || user == NULL) {
		dd_seterr(err, errlen, "cluster %s: no credential named '%s' (admin_credential)",
		    cc->name, cc->admin_credential);
		return false;
	}
	pool_config_of(cc, core->admin_app, &pc);
	pc.min_idle = 0;
	pc.max_size = ADMIN_POOL_MAX;
	pc.max_overflow = 0;
	pc.idle_timeout_ms = ADMIN_IDLE_MS;
	cl->admin_pools = xcalloc(cl->n, sizeof(*cl->admin_pools));
	for (size_t i = 0; i < cl->n; i++) {
		params_of(cc, cc->nodes[i], user, password ? password : "", core->admin_app, &p);
		cl->admin_pools[i] =
		    dd_pool_new(NULL, cc->engine, &p, &pc, cc->nodes[i]->name, perr, sizeof(perr));
		if (cl->admin_pools[i] == NULL) {
			dd_seterr(err, errlen, "cluster %s, node %s (admin): %s", cc->name,
			    cc->nodes[i]->name, perr);
			return false;
		}
	}
	return true;
}

static bool
cluster_build(struct dd_core *core, struct dd_cluster *cl, dd_credential_fn get, void *ctx,
    char *err, size_t errlen)
{
	struct dd_router_node rn[DD_ROUTER_MAX_NODES];
	struct dd_router_config rc;
	const char *user = NULL, *password = NULL;
	char rerr[256];

	cl->n = cl->cc->n_nodes;
	if (cl->n == 0 || cl->n > DD_ROUTER_MAX_NODES) {
		dd_seterr(err, errlen, "cluster %s: needs 1 to %d nodes", cl->cc->name,
		    DD_ROUTER_MAX_NODES);
		return false;
	}
	if (get == NULL || cl->cc->credential == NULL ||
	    get(ctx, cl->cc->credential, &user, &password) != 0 || user == NULL) {
		dd_seterr(err, errlen, "cluster %s: no credential named '%s'", cl->cc->name,
		    cl->cc->credential ? cl->cc->credential : "");
		return false;
	}
	cl->pools = xcalloc(cl->n, sizeof(*cl->pools));
	if (!cluster_pools(core, cl, user, password ? password : "", rn, err, errlen) ||
	    !cluster_admin_pools(core, cl, get, ctx, err, errlen))
		return false;
	router_config_of(core, cl->cc, &rc);
	cl->router = dd_router_new(&rc, rn, cl->n, rerr, sizeof(rerr));
	if (cl->router == NULL) {
		dd_seterr(err, errlen, "cluster %s: %s", cl->cc->name, rerr);
		return false;
	}
	return true;
}

static void
core_setup(struct dd_core *core, const struct dd_config *cfg, const struct dd_core_options *o)
{
	core->cfg = cfg;
	core->probe_interval_ms = o->probe_interval_ms;
	if (core->probe_interval_ms <= 0)
		core->probe_interval_ms = dd_config_console(cfg)->refresh_ms;
	if (core->probe_interval_ms <= 0)
		core->probe_interval_ms = 1000;
	core->probe_timeout_ms = o->probe_timeout_ms;
	core->pools_cold = o->pools_cold;
	dd_strlcpy(
	    core->app, o->application_name ? o->application_name : "dbdeck", sizeof(core->app));
	snprintf(core->probe_app, sizeof(core->probe_app), "%.50s-probe", core->app);
	snprintf(core->admin_app, sizeof(core->admin_app), "%.50s-admin", core->app);
}

struct dd_core *
dd_core_new_with(const struct dd_config *cfg, dd_credential_fn get_credential, void *ctx,
    const struct dd_core_options *opts, char *err, size_t errlen)
{
	struct dd_core_options defaults;
	struct dd_core *core;
	size_t i, n;

	if (cfg == NULL) {
		dd_seterr(err, errlen, "no configuration");
		return NULL;
	}
	dd_core_options_default(&defaults);
	if (opts == NULL)
		opts = &defaults;
	if (opts->only_cluster && dd_config_find_cluster(cfg, opts->only_cluster) == NULL) {
		dd_seterr(err, errlen, "no cluster named '%s'", opts->only_cluster);
		return NULL;
	}
	core = xcalloc(1, sizeof(*core));
	core_setup(core, cfg, opts);
	n = dd_config_cluster_count(cfg);
	core->clusters = xcalloc(n ? n : 1, sizeof(*core->clusters));
	for (i = 0; i < n; i++) {
		const struct dd_cluster_config *cc = dd_config_cluster(cfg, i);
		if (opts->only_cluster && strcmp(cc->name, opts->only_cluster) != 0)
			continue;
		core->clusters[core->n] = xcalloc(1, sizeof(struct dd_cluster));
		core->clusters[core->n]->cc = cc;
		if (!cluster_build(
		        core, core->clusters[core->n++], get_credential, ctx, err, errlen)) {
			dd_core_shutdown(core, dd_now_mono_ns());
			dd_core_free(core);
			return NULL;
		}
	}
	return core;
}

/* The index in old of a cluster configured the same as cc in cfg, or -1. */
static long
adoptable(const struct dd_core *old, const struct dd_config *cfg, const char *name)
{
	for (size_t j = 0; old && j < old->n; j++)
		if (strcmp(old->clusters[j]->cc->name, name) == 0)
			return dd_config_cluster_same(old->cfg, cfg, name) ? (long)j : -1;
	return -1;
}

/* Removes cluster j from old and returns it, pointed at its config cc of the new file. */
static struct dd_cluster *
take_cluster(struct dd_core *old, size_t j, const struct dd_cluster_config *cc)
{
	struct dd_cluster *cl = old->clusters[j];

	memmove(
	    &old->clusters[j], &old->clusters[j + 1], (old->n - j - 1) * sizeof(*old->clusters));
	old->n--;
	cl->cc = cc;
	return cl;
}

struct dd_core *
dd_core_new_adopting(const struct dd_config *cfg, struct dd_core *old,
    dd_credential_fn get_credential, void *ctx, const struct dd_core_options *opts, char *err,
    size_t errlen)
{
	size_t n = cfg ? dd_config_cluster_count(cfg) : 0, i, built = 0;
	struct dd_core_options o;
	struct dd_core *core;
	struct dd_cluster **all;
	long *from;

	if (cfg == NULL) {
		dd_seterr(err, errlen, "no configuration");
		return NULL;
	}
	if (opts)
		o = *opts;
	else
		dd_core_options_default(&o);
	o.only_cluster = NULL;
	/* first the clusters that change, so that a failure takes nothing from old */
	from = xcalloc(n ? n : 1, sizeof(*from));
	for (i = 0; i < n; i++)
		from[i] = adoptable(old, cfg, dd_config_cluster(cfg, i)->name);
	core = xcalloc(1, sizeof(*core));
	core_setup(core, cfg, &o);
	core->clusters = xcalloc(n ? n : 1, sizeof(*core->clusters));
	for (i = 0; i < n; i++) {
		if (from[i] >= 0)
			continue;
		core->clusters[core->n] = xcalloc(1, sizeof(struct dd_cluster));
		core->clusters[core->n]->cc = dd_config_cluster(cfg, i);
		if (!cluster_build(
		        core, core->clusters[core->n++], get_credential, ctx, err, errlen)) {
			free(from);
			dd_core_shutdown(core, dd_now_mono_ns());
			dd_core_free(core);
			return NULL;
		}
	}
	/* then the config's order, the unchanged ones taken from old (highest index first) */
	all = xcalloc(n ? n : 1, sizeof(*all));
	for (i = 0; i < n; i++)
		if (from[i] < 0)
			all[i] = core->clusters[built++];
	for (long j = old ? (long)old->n - 1 : -1; j >= 0; j--)
		for (i = 0; i < n; i++)
			if (from[i] == j)
				all[i] = take_cluster(old, (size_t)j, dd_config_cluster(cfg, i));
	free(core->clusters);
	core->clusters = all;
	core->n = n;
	free(from);
	return core;
}

struct dd_core *
dd_core_new(const struct dd_config *cfg, dd_credential_fn get_credential, void *ctx, char *err,
    size_t errlen)
{
	return dd_core_new_with(cfg, get_credential, ctx, NULL, err, errlen);
}

int
dd_core_shutdown(struct dd_core *core, int64_t deadline_ns)
{
	size_t i, j;
	int left = 0;

	/* every prober told first: their probes in flight end together */
	for (i = 0; i < core->n; i++)
		if (core->clusters[i]->router)
			dd_router_stop_begin(core->clusters[i]->router);
	for (i = 0; i < core->n; i++)
		if (core->clusters[i]->router)
			dd_router_stop(core->clusters[i]->router);
	for (i = 0; i < core->n; i++)
		for (j = 0; core->clusters[i]->pools && j < core->clusters[i]->n; j++)
			if (core->clusters[i]->pools[j])
				left += dd_pool_drain(core->clusters[i]->pools[j], deadline_ns);
	for (i = 0; i < core->n; i++)
		for (j = 0; core->clusters[i]->admin_pools && j < core->clusters[i]->n; j++)
			if (core->clusters[i]->admin_pools[j])
				left +=
				    dd_pool_drain(core->clusters[i]->admin_pools[j], deadline_ns);
	core->shut_down = true;
	return left;
}

static void
cluster_free(struct dd_cluster *cl)
{
	size_t j;

	dd_router_free(cl->router);
	for (j = 0; j < cl->n && cl->pools; j++)
		dd_pool_free(cl->pools[j]);
	for (j = 0; j < cl->n && cl->admin_pools; j++)
		dd_pool_free(cl->admin_pools[j]);
	free(cl->pools);
	free(cl->admin_pools);
	free(cl);
}

void
dd_core_free(struct dd_core *core)
{
	size_t i;

	if (core == NULL)
		return;
	if (!core->shut_down)
		dd_core_shutdown(core, dd_now_mono_ns() + INT64_C(5000000000));
	for (i = 0; i < core->n; i++)
		cluster_free(core->clusters[i]);
	free(core->clusters);
	free(core);
}

const struct dd_config *
dd_core_config(const struct dd_core *core)
{
	return core->cfg;
}

size_t
dd_core_cluster_count(const struct dd_core *core)
{
	return core->n;
}

struct dd_cluster *
dd_core_cluster_at(struct dd_core *core, size_t i)
{
	return i < core->n ? core->clusters[i] : NULL;
}

struct dd_cluster *
dd_core_cluster(struct dd_core *core, const char *name)
{
	size_t i;

	for (i = 0; name && i < core->n; i++)
		if (strcmp(core->clusters[i]->cc->name, name) == 0)
			return core->clusters[i];
	return NULL;
}

const char *
dd_cluster_name(const struct dd_cluster *cl)
{
	return cl->cc->name;
}

const struct dd_cluster_config *
dd_cluster_config(const struct dd_cluster *cl)
{
	return cl->cc;
}

struct dd_router *
dd_cluster_router(struct dd_cluster *cl)
{
	return cl->router;
}

size_t
dd_cluster_node_count(const struct dd_cluster *cl)
{
	return cl->n;
}

struct dd_pool *
dd_cluster_pool(struct dd_cluster *cl, size_t i)
{
	return i < cl->n ? cl->pools[i] : NULL;
}

bool
dd_cluster_has_admin(const struct dd_cluster *cl)
{
	return cl->admin_pools != NULL;
}

struct dd_pool *
dd_cluster_admin_pool(struct dd_cluster *cl, size_t i)
{
	if (i >= cl->n)
		return NULL;
	return cl->admin_pools ? cl->admin_pools[i] : cl->pools[i];
}
