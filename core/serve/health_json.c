/*
 * health_json.c: the health document of GET /health (seed 004; fields in
 * docs/serve.md). Its overall and per-cluster `status` are the snapshot's
 * own health, the same figures as the status document, so the two never
 * disagree; this builder adds the checks behind them, each with its value,
 * its limit where there is one, and the reason when it does not pass.
 * Also the predicates of the load-balancer checks, which read the same
 * snapshot fields.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/serve.h"
#include "serve/serve_int.h"
#include "util/util.h"

/* Check results, as the IETF health-check draft names them. */
static const char *const check_names[] = {"pass", "warn", "fail"};
enum { PASS, WARN, FAIL };

static json_t *
check(const char *name, int result, json_t *value, const char *reason)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "status", json_string(check_names[result]));
	json_object_set_new(o, "value", value ? value : json_null());
	json_object_set_new(o, "reason", reason && reason[0] ? dd_serve_jstr(reason) : json_null());
	return o;
}

bool
dd_serve_repl_running(const struct dd_snap_node *n)
{
	if (n->role != DD_ROLE_REPLICA || !n->reachable || isnan(n->lag_s))
		return false;
	if (n->io_thread && n->io_thread[0])
		return strcmp(n->io_thread, "Yes") == 0 && n->sql_thread &&
		       strcmp(n->sql_thread, "Yes") == 0;
	return !n->replay_paused;
}

bool
dd_serve_is_primary(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *c = &s->clusters[n->cluster];

	return c->primary >= 0 && &s->nodes[c->primary] == n && n->reachable &&
	       n->state == DD_NODE_UP && !n->read_only;
}

bool
dd_serve_is_good_replica(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *c = &s->clusters[n->cluster];

	return dd_serve_repl_running(n) && n->state == DD_NODE_UP && n->lag_s <= c->lag_max_s;
}

static json_t *
lag_check(const struct dd_snap_cluster *c, const struct dd_snap_node *n)
{
	char why[200];
	int r = PASS;

	why[0] = '\0';
	if (isnan(n->lag_s)) {
		snprintf(why, sizeof(why), "lag unknown: %s", n->lag_note ? n->lag_note : "");
		return check("replication_lag", FAIL, NULL, why);
	}
	if (n->lag_s > c->lag_critical_s) {
		r = FAIL;
		snprintf(why, sizeof(why), "%.1f s behind, above lag_critical %.0f s", n->lag_s,
		    c->lag_critical_s);
	} else if (n->lag_s > c->lag_max_s) {
		r = WARN;
		snprintf(why, sizeof(why), "%.1f s behind, above lag_max %.0f s", n->lag_s,
		    c->lag_max_s);
	}
	json_t *o = check("replication_lag", r, json_real(n->lag_s), why);
	json_object_set_new(o, "limit", json_real(c->lag_max_s));
	return o;
}

static json_t *
node_checks(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	const struct dd_snap_cluster *c = &s->clusters[n->cluster];
	json_t *a = json_array();
	int br = n->breaker == DD_BREAKER_CLOSED ? PASS
	         : n->breaker == DD_BREAKER_OPEN ? FAIL
	                                         : WARN;
	double use = n->pool_max > 0 ? (double)(n->pool_active) / n->pool_max : 0;

	json_array_append_new(a, check("reachable", n->reachable ? PASS : FAIL,
	                             json_boolean(n->reachable), n->last_error));
	if (n->role == DD_ROLE_REPLICA) {
		json_array_append_new(a, lag_check(c, n));
		json_array_append_new(
		    a, check("replication_running", dd_serve_repl_running(n) ? PASS : FAIL,
		           json_boolean(dd_serve_repl_running(n)), n->repl_error));
	}
	json_array_append_new(
	    a, check("breaker", br, json_string(dd_breaker_state_name(n->breaker)),
	           br == PASS ? "" : "the circuit breaker is not closed"));
	json_array_append_new(a,
	    check("pool_waiting", n->pool_waiting > 0 ? WARN : PASS, json_integer(n->pool_waiting),
	        n->pool_waiting > 0 ? "callers wait for a connection" : ""));
	json_array_append_new(a, check("pool_use", use >= 0.9 ? WARN : PASS, json_real(use),
	                             use >= 0.9 ? "the pool is at 90 % or more" : ""));
	return a;
}

static const char *
node_status(const struct dd_snap_node *n)
{
	switch (n->state) {
	case DD_NODE_UP: return n->breaker == DD_BREAKER_CLOSED ? "healthy" : "degraded";
	case DD_NODE_LAGGING: return "degraded";
	case DD_NODE_UNKNOWN: return "unknown";
	case DD_NODE_DOWN: break;
	}
	return "unhealthy";
}

static json_t *
health_node(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:o}", "name", dd_serve_jstr(n->name), "role",
	    dd_role_name(n->role), "state", dd_node_state_name(n->state), "status", node_status(n),
	    "checks", node_checks(s, n));
}

static json_t *
health_cluster(const struct dd_snapshot *s, const struct dd_snap_cluster *c)
{
	json_t *nodes = json_array(), *checks = json_array();

	json_array_append_new(
	    checks, check("primary", c->primary >= 0 ? PASS : FAIL,
	                c->primary >= 0 ? dd_serve_jstr(s->nodes[c->primary].name) : NULL,
	                c->topology_note));
	json_array_append_new(
	    checks, check("alerts", c->n_alerts ? WARN : PASS, json_integer(c->n_alerts),
	                c->n_alerts ? "alerts are active (see /status)" : ""));
	for (int i = c->first_node; i < c->first_node + c->n_nodes; i++)
		json_array_append_new(nodes, health_node(s, &s->nodes[i]));
	return json_pack("{s:o, s:s, s:o, s:o}", "name", dd_serve_jstr(c->name), "status",
	    dd_health_name(c->health), "checks", checks, "nodes", nodes);
}

char *
dd_health_json_text(const struct dd_snapshot *s)
{
	json_t *root = json_object(), *clusters = json_array();
	char at[40];

	dd_iso_time_ms(s->generated_wall_ms, at, sizeof(at));
	json_object_set_new(root, "status", json_string(dd_health_name(s->health)));
	json_object_set_new(root, "generated_at", json_string(at));
	for (int i = 0; i < s->n_clusters; i++)
		json_array_append_new(clusters, health_cluster(s, &s->clusters[i]));
	json_object_set_new(root, "clusters", clusters);
	return dd_serve_json_text(root);
}
