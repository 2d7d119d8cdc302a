/*
 * serve_docs_test.c: the serve module's documents over a synthetic snapshot
 * (no network): the status document's backup field and its age at the
 * snapshot's time; the health document's statuses, checks and reasons
 * (a down replica, a lagging one, hostile server text sanitized); the
 * snapshot's Prometheus families through the strict parser (every node's
 * db_up present, the down replica's lag NaN and db_replication_running 0,
 * db_backup_age_seconds +Inf without a backup, a repeated alert written
 * once); and the load-balancer predicates.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/metrics.h"
#include "dbdeck/serve.h"
#include "prom_parse.h"
#include "serve/serve_int.h"
#include "tap.h"

#define T0 INT64_C(1796500000000) /* the snapshot's time, UTC ms */

static struct dd_snap_cluster clusters[1];
static struct dd_snap_node nodes[3];
static struct dd_snap_alert alerts[2];
static struct dd_snapshot snap;

static void
node(int i, const char *name, enum dd_role role, enum dd_node_state st, double lag)
{
	struct dd_snap_node *n = &nodes[i];

	memset(n, 0, sizeof(*n));
	n->name = name;
	n->host = "10.0.0.1";
	n->port = 5432;
	n->role = role;
	n->state = st;
	n->reachable = st != DD_NODE_DOWN;
	n->last_error = st == DD_NODE_DOWN ? "timeout \x1b]0;pwned\x07 here" : "";
	n->version = "15.4";
	n->lag_s = lag;
	n->lag_note = isnan(lag) ? "no answer" : "";
	n->lag_bytes = -1;
	n->lag_trx = -1;
	n->io_thread = n->sql_thread = n->repl_error = "";
	n->conn_used = n->conn_max = n->conn_active = n->conn_idle = -1;
	n->conn_idle_in_txn = n->conn_waiting = -1;
	n->uptime_s = -1;
	n->qps = n->tps = n->cache_hit = NAN;
	n->pool_max = 30;
	n->pool_active = 1;
}

static void
build(void)
{
	node(0, "pg1", DD_ROLE_PRIMARY, DD_NODE_UP, NAN);
	node(1, "pg2", DD_ROLE_REPLICA, DD_NODE_LAGGING, 90.0);
	node(2, "pg3", DD_ROLE_REPLICA, DD_NODE_DOWN, NAN);
	clusters[0] = (struct dd_snap_cluster){.name = "pg",
	    .engine = DD_ENGINE_POSTGRESQL,
	    .health = DD_HEALTH_DEGRADED,
	    .primary = 0,
	    .n_primaries = 1,
	    .topology_known = true,
	    .topology_note = "",
	    .first_node = 0,
	    .n_nodes = 3,
	    .n_alerts = 2,
	    .lag_max_s = 60,
	    .lag_critical_s = 120};
	alerts[0] = (struct dd_snap_alert){DD_SEV_CRIT, "pg", "pg3", "node_down", "down", T0};
	alerts[1] = alerts[0]; /* the same labels twice: written once */
	snap = (struct dd_snapshot){.seq = 7,
	    .generated_wall_ms = T0,
	    .refresh_ms = 1000,
	    .health = DD_HEALTH_DEGRADED,
	    .n_clusters = 1,
	    .clusters = clusters,
	    .n_nodes = 3,
	    .nodes = nodes,
	    .n_alerts = 2,
	    .alerts = alerts};
}

static void
test_status(void)
{
	struct dd_status_backup b = {.have = true, .id = "abc123", .taken_wall_ms = T0 - 3600500};
	char *text = dd_status_json_text(&snap, &b);
	json_t *d = json_loads(text, 0, NULL), *bk;

	ok(text[strlen(text) - 1] == '\n',
	    "status: ends with a newline, as status --json prints it");
	bk = json_object_get(json_array_get(json_object_get(d, "clusters"), 0), "backup");
	ok(bk && json_integer_value(json_object_get(bk, "age_seconds")) == 3600,
	    "status: backup age in whole seconds at the snapshot's time");
	is_str(json_string_value(json_object_get(bk, "id")), "abc123", "status: backup id");
	is_str(json_string_value(json_object_get(bk, "taken_at")), "2026-12-05T18:46:39.500Z",
	    "status: backup taken_at");
	json_decref(d);
	free(text);
	text = dd_status_json_text(&snap, NULL);
	d = json_loads(text, 0, NULL);
	bk = json_object_get(json_array_get(json_object_get(d, "clusters"), 0), "backup");
	ok(bk && json_is_null(bk), "status: backup null without one");
	json_decref(d);
	free(text);
}

/* The check `name` of node i of the health document. */
static json_t *
hcheck(json_t *h, int i, const char *name)
{
	json_t *n = json_array_get(
	    json_object_get(json_array_get(json_object_get(h, "clusters"), 0), "nodes"), (size_t)i);
	size_t k;
	json_t *c;

	json_array_foreach(json_object_get(n, "checks"), k,
	    c) if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0) return c;
	return NULL;
}

static const char *
jstatus(json_t *o)
{
	return o ? json_string_value(json_object_get(o, "status")) : "(none)";
}

static void
test_health(void)
{
	char *text = dd_health_json_text(&snap);
	json_t *h = json_loads(text, 0, NULL);
	const char *why;

	is_str(
	    json_string_value(json_object_get(h, "status")), "degraded", "health: overall status");
	is_str(jstatus(hcheck(h, 1, "replication_lag")), "warn", "health: lag above lag_max warns");
	is_str(jstatus(hcheck(h, 2, "reachable")), "fail", "health: a down node fails reachable");
	why = json_string_value(json_object_get(hcheck(h, 2, "reachable"), "reason"));
	ok(why && strstr(why, "timeout") && !strchr(why, '\x1b') && !strchr(why, '\x07'),
	    "health: the reason is the server's error, sanitized (%s)", why ? why : "null");
	is_str(jstatus(hcheck(h, 2, "replication_running")), "fail",
	    "health: a down replica's replication is not running");
	ok(hcheck(h, 0, "replication_lag") == NULL, "health: a primary has no lag check");
	json_decref(h);
	free(text);
}

static void
test_metrics(void)
{
	struct dd_prom *p = dd_prom_new();
	struct prom_doc *d;
	const struct prom_sample *x;
	char err[256];
	size_t len;
	int rc = dd_serve_write_prometheus(p, &snap, NULL);

	ok(rc == 0, "metrics: written (%s)", rc ? dd_prom_error(p) : "ok");
	const char *text = dd_prom_text(p, &len);

	d = prom_parse(text, len, err, sizeof(err));
	ok(d != NULL, "metrics: the strict parser accepts them (%s)", d ? "ok" : err);
	if (d == NULL)
		bail_out("no document");
	x = prom_find(d, "db_up", "cluster=pg,node=pg3");
	ok(x && x->value == 0, "metrics: a down node keeps db_up, 0");
	x = prom_find(d, "db_replication_running", "cluster=pg,replica=pg3");
	ok(x && x->value == 0, "metrics: db_replication_running 0 for the down replica");
	x = prom_find(d, "db_replication_running", "cluster=pg,replica=pg2");
	ok(x && x->value == 1, "metrics: 1 for the running one");
	x = prom_find(d, "db_backup_age_seconds", "cluster=pg");
	ok(x && isinf(x->value) && x->value > 0, "metrics: no backup is +Inf");
	x = prom_find(d, "dbdeck_alerts", "severity=critical");
	ok(x && x->value == 2, "metrics: both alerts counted");
	ok(prom_family(d, "dbdeck_alert_active") &&
	        prom_family(d, "dbdeck_alert_active")->nsamples == 1,
	    "metrics: the repeated alert is one series");
	prom_doc_free(d);
	dd_prom_free(p);
}

static void
test_lb(void)
{
	ok(dd_serve_is_primary(&snap, &nodes[0]), "lb: pg1 is the primary");
	ok(!dd_serve_is_primary(&snap, &nodes[1]), "lb: pg2 is not");
	ok(!dd_serve_is_good_replica(&snap, &nodes[1]), "lb: a replica past lag_max is not good");
	nodes[1].lag_s = 1.0;
	nodes[1].state = DD_NODE_UP;
	ok(dd_serve_is_good_replica(&snap, &nodes[1]), "lb: within lag_max it is");
	nodes[1].replay_paused = true;
	ok(!dd_serve_is_good_replica(&snap, &nodes[1]), "lb: not with replay paused");
	ok(!dd_serve_is_good_replica(&snap, &nodes[2]), "lb: a down replica is not");
	nodes[0].read_only = true;
	ok(!dd_serve_is_primary(&snap, &nodes[0]), "lb: a read-only primary is not writable");
}

int
main(void)
{
	build();
	test_status();
	test_health();
	test_metrics();
	test_lb();
	return tap_done();
}
