/*
 * fo_plan.c: making a plan (failover.h). Opens one session per node with
 * the action credential, reads each node's role and positions
 * (dd_conn_probe_role) and the engine's extra facts, works out which node
 * is the primary (switchover: the one writable primary; failover: the node
 * the replicas name as their upstream), takes or chooses the candidate,
 * runs the pre-checks and lays out the steps from the engine's table. It
 * changes nothing on any server.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

#define PLAN_CONNECT_CAP_MS 3000

const char *
dd_fo_action_name(enum dd_fo_action a)
{
	return a == DD_FO_FAILOVER ? "failover" : "switchover";
}

const char *
dd_fo_check_state_name(enum dd_fo_check_state s)
{
	switch (s) {
	case DD_FO_CHECK_OK: return "ok";
	case DD_FO_CHECK_WARN: return "warn";
	case DD_FO_CHECK_FAIL: return "FAIL";
	case DD_FO_CHECK_FORCED: return "forced";
	}
	return "?";
}

const char *
dd_fo_action_credential(const struct dd_cluster_config *cc)
{
	return cc->admin_credential ? cc->admin_credential : cc->credential;
}

const char *
fo_name(const struct dd_fo_plan *p, int node)
{
	return node >= 0 && (size_t)node < p->n ? p->nodes[node].nc->name : "?";
}

int64_t
fo_deadline(const struct dd_fo_plan *p)
{
	return dd_now_mono_ns() + p->cc->switchover_timeout_ms * 1000000;
}

void
fo_params(const struct dd_fo_plan *p, int i, const char *app, struct dd_conn_params *out)
{
	const struct dd_node_config *nc = p->nodes[i].nc;

	memset(out, 0, sizeof(*out));
	out->host = nc->host;
	out->port = nc->port;
	out->database = p->cc->database;
	out->user = p->user;
	out->password = p->password;
	out->tls = nc->tls;
	out->tls_ca = nc->tls_ca;
	out->tls_cert = nc->tls_cert;
	out->tls_key = nc->tls_key;
	out->application_name = app;
	out->connect_timeout_ms =
	    (int)(p->cc->connect_timeout_ms < PLAN_CONNECT_CAP_MS ? p->cc->connect_timeout_ms
	                                                          : PLAN_CONNECT_CAP_MS);
}

struct dd_conn *
fo_conn(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	struct fo_node *n = &p->nodes[node];
	struct dd_conn_params cp;
	struct dd_db_error e;

	if (n->conn && !dd_conn_is_broken(n->conn))
		return n->conn;
	if (n->conn)
		dd_conn_close(n->conn, dd_now_mono_ns() + 100000000);
	n->conn = NULL;
	fo_params(
	    p, node, p->action == DD_FO_FAILOVER ? "dbdeck-failover" : "dbdeck-switchover", &cp);
	dd_db_error_clear(&e);
	if (dd_conn_open(p->cc->engine, &cp,
	        dd_now_mono_ns() + cp.connect_timeout_ms * INT64_C(1000000), &n->conn, &e) != 0) {
		dd_seterr(err, len, "%s: %s", n->nc->name, e.message);
		n->conn = NULL;
	}
	return n->conn;
}

/* Connects to node i and reads its facts; unreachable nodes keep the reason. */
static void
inspect_node(struct dd_fo_plan *p, int i)
{
	struct fo_node *n = &p->nodes[i];
	struct dd_db_error e;
	int64_t deadline;

	n->upstream = -1;
	if (fo_conn(p, i, n->error, sizeof(n->error)) == NULL)
		return;
	deadline = dd_now_mono_ns() + p->cc->query_timeout_ms * 1000000;
	dd_db_error_clear(&e);
	if (dd_conn_probe_role(n->conn, deadline, &n->info, &e) != 0 ||
	    p->eng->inspect(p, n, deadline) != 0) {
		if (!n->error[0])
			dd_seterr(n->error, sizeof(n->error), "%s", e.message);
		return;
	}
	n->reachable = true;
}

/* The node whose host and port a replica's settings name. */
static void
map_upstreams(struct dd_fo_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct fo_node *n = &p->nodes[i];
		for (size_t j = 0; j < p->n && n->up_port; j++)
			if (j != i && p->nodes[j].nc->port == n->up_port &&
			    strcmp(p->nodes[j].nc->host, n->up_host) == 0)
				n->upstream = (int)j;
	}
}

/* Switchover: the one writable primary. Failover: the replicas' upstream, by vote. */
static void
find_primary(struct dd_fo_plan *p)
{
	int votes[FO_MAX_NODES] = {0}, writable = 0, best = -1;

	for (size_t i = 0; i < p->n; i++) {
		const struct fo_node *n = &p->nodes[i];
		if (n->reachable && n->info.role == DD_ROLE_PRIMARY && !n->info.read_only) {
			writable++;
			p->primary = (int)i;
		}
		if (n->reachable && n->info.role == DD_ROLE_REPLICA && n->upstream >= 0)
			votes[n->upstream]++;
	}
	if (writable == 1)
		return;
	p->primary = -1;
	if (p->action == DD_FO_SWITCHOVER && writable > 1)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (votes[i] > 0 && (best < 0 || votes[i] > votes[best]))
			best = (int)i;
	p->primary = best;
}

static void add_step(struct dd_fo_plan *p, enum fo_kind k, int node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_step(struct dd_fo_plan *p, enum fo_kind k, int node, const char *fmt, ...)
{
	va_list ap;
	struct fo_step *s;

	if (p->n_steps == DD_JOB_MAX_STEPS)
		return;
	s = &p->steps[p->n_steps++];
	s->kind = k;
	s->node = node;
	va_start(ap, fmt);
	vsnprintf(s->title, sizeof(s->title), fmt, ap);
	va_end(ap);
}

/* The replicas a new primary must take over (not the candidate, not the old primary). */
static void
add_repoints(struct dd_fo_plan *p)
{
	const char *c = fo_name(p, p->candidate);

	for (size_t i = 0; i < p->n; i++)
		if ((int)i != p->candidate && (int)i != p->primary)
			add_step(p, FO_REPOINT, (int)i, "%s follows %s (%s)", fo_name(p, (int)i), c,
			    p->eng->how[FO_REPOINT]);
}

static void
add_one(struct dd_fo_plan *p, enum fo_kind k)
{
	const char *old = fo_name(p, p->primary), *c = fo_name(p, p->candidate);
	const char *how = p->eng->how[k] ? p->eng->how[k] : "";

	switch (k) {
	case FO_LOCK: add_step(p, k, -1, "lock the cluster (a majority of %zu nodes)", p->n); break;
	case FO_HOLD: add_step(p, k, -1, "hold writes in this process's routers"); break;
	case FO_FENCE: add_step(p, k, p->primary, "fence %s (%s)", old, how); break;
	case FO_FENCE_HOOK:
		if (p->fence_argv)
			add_step(p, k, p->primary, "fence_command stops %s", old);
		break;
	case FO_CATCHUP: add_step(p, k, p->candidate, "%s catches up (%s)", c, how); break;
	case FO_PROMOTE: add_step(p, k, p->candidate, "promote %s (%s)", c, how); break;
	case FO_SLOTS: add_step(p, k, p->candidate, "replication slots on %s (%s)", c, how); break;
	case FO_REPOINT: add_repoints(p); break;
	case FO_FOLLOW: add_step(p, k, p->candidate, "routers follow %s; writes resume", c); break;
	case FO_DEMOTE: add_step(p, k, p->primary, "%s follows %s (%s)", old, c, how); break;
	case FO_REJOIN:
		add_step(p, k, p->primary, "%s rejoins as a replica of %s (%s)", old, c,
		    p->rejoin_argv ? "rejoin_command" : "no rejoin_command: by hand");
		break;
	case FO_VERIFY: add_step(p, k, p->candidate, "every replica replicates from %s", c); break;
	case FO_KINDS: break;
	}
}

static void
lay_out(struct dd_fo_plan *p)
{
	int a = p->action == DD_FO_FAILOVER;

	for (size_t i = 0; i < p->eng->nseq[a]; i++)
		add_one(p, p->eng->seq[a][i]);
}

static int
credentials(struct dd_fo_plan *p, const struct dd_fo_request *req, char *err, size_t errlen)
{
	const char *name = dd_fo_action_credential(p->cc);

	if (req->get_credential(req->cred_ctx, name, &p->user, &p->password) != 0) {
		dd_seterr(err, errlen, "credential '%s' is not in the vault", name);
		return DD_FO_ERR_CREDENTIAL;
	}
	name = p->cc->replication_credential;
	if (name &&
	    req->get_credential(req->cred_ctx, name, &p->repl_user, &p->repl_password) != 0) {
		dd_seterr(err, errlen, "replication_credential '%s' is not in the vault", name);
		return DD_FO_ERR_CREDENTIAL;
	}
	return DD_FO_OK;
}

static int
hooks(struct dd_fo_plan *p, char *err, size_t errlen)
{
	char why[160];

	if (p->cc->fence_command &&
	    dd_fo_hook_split(p->cc->fence_command, &p->fence_argv, why, sizeof(why)) < 0) {
		dd_seterr(err, errlen, "cluster %s: fence_command: %s", p->cc->name, why);
		return DD_FO_ERR_CONFIG;
	}
	if (p->cc->rejoin_command &&
	    dd_fo_hook_split(p->cc->rejoin_command, &p->rejoin_argv, why, sizeof(why)) < 0) {
		dd_seterr(err, errlen, "cluster %s: rejoin_command: %s", p->cc->name, why);
		return DD_FO_ERR_CONFIG;
	}
	return DD_FO_OK;
}

/* Finds the cluster, its engine and the candidate named by `to`. */
static int
setup(struct dd_fo_plan *p, const struct dd_fo_request *req, char *err, size_t errlen)
{
	p->cc = dd_config_find_cluster(req->cfg, req->cluster);
	if (p->cc == NULL) {
		dd_seterr(err, errlen, "no cluster '%s' in the configuration", req->cluster);
		return DD_FO_ERR_USAGE;
	}
	if (p->cc->engine == DD_ENGINE_MYSQL) {
		dd_seterr(err, errlen,
		    "cluster %s: switchover and failover support PostgreSQL and "
		    "MariaDB, not MySQL (its GTIDs differ)",
		    p->cc->name);
		return DD_FO_ERR_USAGE;
	}
	p->eng = p->cc->engine == DD_ENGINE_POSTGRESQL ? &fo_engine_pg : &fo_engine_my;
	if (p->cc->manager == DD_MANAGER_PATRONI) /* Patroni acts; dbdeck asks it (fo_patroni.c) */
		p->eng = &fo_engine_patroni;
	p->n = p->cc->n_nodes < FO_MAX_NODES ? p->cc->n_nodes : FO_MAX_NODES;
	for (size_t i = 0; i < p->n; i++) {
		p->nodes[i].nc = p->cc->nodes[i];
		if (req->to && strcmp(req->to, p->cc->nodes[i]->name) == 0)
			p->candidate = (int)i;
	}
	if (req->to && p->candidate < 0) {
		dd_seterr(err, errlen, "'%s' is not a node of cluster %s", req->to, p->cc->name);
		return DD_FO_ERR_USAGE;
	}
	if (!req->to && req->action == DD_FO_SWITCHOVER) {
		dd_seterr(err, errlen, "a switchover needs --to NODE");
		return DD_FO_ERR_USAGE;
	}
	return DD_FO_OK;
}

int
dd_fo_plan_new(const struct dd_fo_request *req, struct dd_fo_plan **out, char *err, size_t errlen)
{
	struct dd_fo_plan *p = xcalloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	p->action = req->action;
	p->cfg = req->cfg;
	p->force = req->force;
	p->no_fence = req->no_fence;
	dd_strlcpy(
	    p->scheduled_at, req->scheduled_at ? req->scheduled_at : "", sizeof(p->scheduled_at));
	p->primary = p->candidate = -1;
	for (size_t i = 0; i < req->n_routers && i < DD_ARRAY_LEN(p->routers); i++)
		p->routers[p->n_routers++] = req->routers[i];
	rc = setup(p, req, err, errlen);
	if (rc == DD_FO_OK)
		rc = credentials(p, req, err, errlen);
	if (rc == DD_FO_OK)
		rc = hooks(p, err, errlen);
	if (rc == DD_FO_OK && p->cc->manager == DD_MANAGER_PATRONI)
		rc = fo_patroni_open(p, req, err, errlen);
	if (rc != DD_FO_OK) {
		dd_fo_plan_free(p);
		return rc;
	}
	for (size_t i = 0; i < p->n; i++)
		inspect_node(p, (int)i);
	map_upstreams(p);
	find_primary(p);
	if (!req->to)
		p->candidate = fo_most_advanced(p);
	fo_checks_common(p);
	p->eng->checks(p);
	if (p->scheduled_at[0])
		fo_patroni_check_scheduled(p);
	lay_out(p);
	*out = p;
	return DD_FO_OK;
}

void
dd_fo_plan_free(struct dd_fo_plan *p)
{
	if (p == NULL)
		return;
	fo_lock_release(p);
	fo_patroni_close(p);
	for (size_t i = 0; i < p->n; i++)
		if (p->nodes[i].conn)
			dd_conn_close(p->nodes[i].conn, dd_now_mono_ns() + 500000000);
	dd_fo_argv_free(p->fence_argv);
	dd_fo_argv_free(p->rejoin_argv);
	free(p);
}

bool
dd_fo_plan_refused(const struct dd_fo_plan *p, char *why, size_t len)
{
	size_t used = 0;
	bool refused = false;

	if (why && len)
		why[0] = '\0';
	for (size_t i = 0; i < p->n_checks; i++) {
		if (p->checks[i].state != DD_FO_CHECK_FAIL)
			continue;
		refused = true;
		if (why && used < len)
			used += (size_t)snprintf(why + used, len - used, "%s%s: %s",
			    used ? "; " : "", p->checks[i].name, p->checks[i].message);
	}
	return refused;
}

size_t
dd_fo_plan_checks(const struct dd_fo_plan *p, const struct dd_fo_check **out)
{
	*out = p->checks;
	return p->n_checks;
}

size_t
dd_fo_plan_step_count(const struct dd_fo_plan *p)
{
	return p->n_steps;
}

const char *
dd_fo_plan_step(const struct dd_fo_plan *p, size_t i)
{
	return i < p->n_steps ? p->steps[i].title : NULL;
}

const char *
dd_fo_plan_candidate(const struct dd_fo_plan *p)
{
	return p->candidate >= 0 ? fo_name(p, p->candidate) : "";
}

const char *
dd_fo_plan_old_primary(const struct dd_fo_plan *p)
{
	return p->primary >= 0 ? fo_name(p, p->primary) : "";
}

enum dd_fo_action
dd_fo_plan_action(const struct dd_fo_plan *p)
{
	return p->action;
}
