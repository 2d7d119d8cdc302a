/*
 * serve_prom.c: the Prometheus families that come from a snapshot, written
 * after the core's counters (dd_core_write_prometheus) into the same
 * builder: per node db_up, db_node_is_primary, db_server_connections,
 * db_replication_running and the probe figures; per cluster
 * db_cluster_health and db_backup_age_seconds; the active alerts. A series
 * is written for every node and replica whatever its state, so none
 * vanishes when a node goes down or replication stops (the value says so:
 * 0, NaN). docs/serve.md lists every family.
 */
#include <math.h>
#include <string.h>

#include "dbdeck/metrics.h"
#include "dbdeck/serve.h"
#include "serve/serve_int.h"

/* A per-node gauge: its name, help, and how to read it from a node (NaN: unknown). */
struct node_gauge {
	const char *name, *help;
	bool replicas_only; /* label "replica" instead of "node", replicas only */
	double (*get)(const struct dd_snapshot *s, const struct dd_snap_node *n);
};

static double
get_up(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->reachable ? 1 : 0;
}

static double
get_primary(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	return dd_serve_is_primary(s, n) ? 1 : 0;
}

static double
get_conn_used(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->conn_used < 0 ? NAN : n->conn_used;
}

static double
get_conn_max(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->conn_max < 0 ? NAN : n->conn_max;
}

static double
get_pool_max(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->pool_max;
}

static double
get_probe(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->probe_ms < 0 ? NAN : (double)n->probe_ms / 1000.0;
}

static double
get_stale(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->stale ? 1 : 0;
}

static double
get_running(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return dd_serve_repl_running(n) ? 1 : 0;
}

static double
get_lag_bytes(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->lag_bytes < 0 ? NAN : (double)n->lag_bytes;
}

static double
get_overflow(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->pool_overflow;
}

static double
get_uptime(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->uptime_s < 0 ? NAN : (double)n->uptime_s;
}

static double
get_qps(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->qps;
}

static double
get_tps(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->tps;
}

static double
get_cache_hit(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->cache_hit;
}

static double
get_lag_trx(const struct dd_snapshot *s, const struct dd_snap_node *n)
{
	(void)s;
	return n->lag_trx < 0 ? NAN : (double)n->lag_trx;
}

static const struct node_gauge node_gauges[] = {
    {"db_up", "1 when the node answered its last probe, 0 when not", false, get_up},
    {"db_node_is_primary", "1 when the node is its cluster's writable primary", false, get_primary},
    {"db_server_connections", "connections the server has open (NaN unknown)", false,
        get_conn_used},
    {"db_server_max_connections", "the server's max_connections (NaN unknown)", false,
        get_conn_max},
    {"db_connection_pool_max", "the most connections dbdeck's pool opens to the node", false,
        get_pool_max},
    {"dbdeck_probe_duration_seconds", "how long the node's last monitor probe took", false,
        get_probe},
    {"dbdeck_probe_stale", "1 when this round's probe has not answered yet (older data)", false,
        get_stale},
    {"db_replication_running",
        "1 when the replica's replication runs (lag known, not paused, threads running)", true,
        get_running},
    {"db_replication_lag_bytes", "PostgreSQL WAL bytes the replica is behind (NaN unknown)", true,
        get_lag_bytes},
    {"db_replication_lag_transactions",
        "MariaDB GTID sequence numbers the replica is behind (NaN unknown)", true, get_lag_trx},
    {"db_connection_pool_overflow", "overflow connections of the pool in use", false, get_overflow},
    {"db_server_uptime_seconds", "the server's uptime (NaN unknown)", false, get_uptime},
    {"db_server_queries_per_second", "statements per second since the last probe (NaN unknown)",
        false, get_qps},
    {"db_server_transactions_per_second",
        "transactions per second since the last probe (NaN unknown)", false, get_tps},
    {"db_server_cache_hit_ratio", "buffer cache hit ratio, 0..1 (NaN unknown)", false,
        get_cache_hit},
};

/* Server sessions by state (dbdeck's own left out); NaN when unknown. */
static int
write_sessions(struct dd_prom *p, const struct dd_snapshot *s)
{
	static const char *const states[] = {"active", "idle", "idle_in_transaction", "waiting"};
	int rc = dd_prom_family(p, "db_server_sessions", DD_PROM_GAUGE,
	    "the server's sessions by state, dbdeck's own left out (NaN unknown)");

	for (int i = 0; i < s->n_nodes && rc == 0; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		int v[4] = {n->conn_active, n->conn_idle, n->conn_idle_in_txn, n->conn_waiting};
		for (int k = 0; k < 4 && rc == 0; k++) {
			struct dd_prom_label l[3] = {{"cluster", s->clusters[n->cluster].name},
			    {"node", n->name}, {"state", states[k]}};
			rc = dd_prom_sample(p, l, 3, v[k] < 0 ? NAN : v[k]);
		}
	}
	return rc;
}

/* Statements the router sent to each node, by type. */
static int
write_routed(struct dd_prom *p, const struct dd_snapshot *s)
{
	int rc = dd_prom_family(p, "db_routed_queries_total", DD_PROM_COUNTER,
	    "statements the cluster's router sent to the node, by query_type (read, write)");

	for (int i = 0; i < s->n_nodes && rc == 0; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		int64_t v[2] = {n->routed_reads, n->routed_writes};
		for (int k = 0; k < 2 && rc == 0; k++) {
			struct dd_prom_label l[3] = {{"cluster", s->clusters[n->cluster].name},
			    {"node", n->name}, {"query_type", k ? "write" : "read"}};
			rc = dd_prom_sample(p, l, 3, v[k] < 0 ? 0 : (double)v[k]);
		}
	}
	return rc;
}

/* Slow statements running now, per cluster. */
static int
write_slow_running(struct dd_prom *p, const struct dd_snapshot *s)
{
	int rc = dd_prom_family(p, "db_slow_queries_running", DD_PROM_GAUGE,
	    "statements running longer than slow_query right now");

	for (int c = 0; c < s->n_clusters && rc == 0; c++) {
		int count = 0;
		for (int q = 0; q < s->n_queries; q++)
			count += s->queries[q].cluster == c;
		struct dd_prom_label l = {"cluster", s->clusters[c].name};
		rc = dd_prom_sample(p, &l, 1, count);
	}
	return rc;
}

static int
write_node_gauge(struct dd_prom *p, const struct dd_snapshot *s, const struct node_gauge *g)
{
	int rc = dd_prom_family(p, g->name, DD_PROM_GAUGE, g->help);

	for (int i = 0; i < s->n_nodes && rc == 0; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		if (g->replicas_only && n->role != DD_ROLE_REPLICA)
			continue;
		struct dd_prom_label l[2] = {
		    {"cluster", s->clusters[n->cluster].name},
		    {g->replicas_only ? "replica" : "node", n->name},
		};
		rc = dd_prom_sample(p, l, 2, g->get(s, n));
	}
	return rc;
}

static int
write_clusters(struct dd_prom *p, const struct dd_snapshot *s, const struct dd_status_backup *b)
{
	int rc = dd_prom_family(p, "db_cluster_health", DD_PROM_GAUGE,
	    "0 healthy, 1 degraded, 2 unhealthy (the status document's status)");

	for (int i = 0; i < s->n_clusters && rc == 0; i++) {
		struct dd_prom_label l = {"cluster", s->clusters[i].name};
		rc = dd_prom_sample(p, &l, 1, (double)s->clusters[i].health);
	}
	if (rc == 0)
		rc = dd_prom_family_def(p, DD_METRIC_BACKUP_AGE);
	for (int i = 0; i < s->n_clusters && rc == 0; i++) {
		struct dd_prom_label l = {"cluster", s->clusters[i].name};
		double age = INFINITY;
		if (b && b[i].have)
			age = fmax(0, (double)(s->generated_wall_ms - b[i].taken_wall_ms) / 1000.0);
		rc = dd_prom_sample(p, &l, 1, age);
	}
	return rc;
}

/* Whether alert i repeats the labels of an earlier one (the builder refuses duplicates). */
static bool
alert_repeats(const struct dd_snapshot *s, int i)
{
	const struct dd_snap_alert *a = &s->alerts[i];

	for (int j = 0; j < i; j++) {
		const struct dd_snap_alert *o = &s->alerts[j];
		if (o->severity == a->severity && strcmp(o->rule, a->rule) == 0 &&
		    strcmp(o->cluster, a->cluster) == 0 && strcmp(o->node, a->node) == 0)
			return true;
	}
	return false;
}

static int
write_alerts(struct dd_prom *p, const struct dd_snapshot *s)
{
	int counts[3] = {0, 0, 0};
	int rc = dd_prom_family(p, "dbdeck_alert_active", DD_PROM_GAUGE,
	    "1 per active alert (rule, severity; cluster and node empty when process-wide)");

	for (int i = 0; i < s->n_alerts && rc == 0; i++) {
		const struct dd_snap_alert *a = &s->alerts[i];
		counts[a->severity]++;
		if (alert_repeats(s, i))
			continue;
		struct dd_prom_label l[4] = {{"cluster", a->cluster}, {"node", a->node},
		    {"rule", a->rule}, {"severity", dd_severity_name(a->severity)}};
		rc = dd_prom_sample(p, l, 4, 1);
	}
	if (rc == 0)
		rc = dd_prom_family(p, "dbdeck_alerts", DD_PROM_GAUGE, "active alerts by severity");
	for (int k = 0; k < 3 && rc == 0; k++) {
		struct dd_prom_label l = {"severity", dd_severity_name((enum dd_severity)k)};
		rc = dd_prom_sample(p, &l, 1, counts[k]);
	}
	return rc;
}

static int
write_monitor(struct dd_prom *p, const struct dd_snapshot *s)
{
	int rc = dd_prom_family(p, "dbdeck_monitor_refresh_seconds", DD_PROM_GAUGE,
	    "the monitor's interval between probe rounds");

	if (rc == 0)
		rc = dd_prom_sample(p, NULL, 0, (double)s->refresh_ms / 1000.0);
	if (rc == 0)
		rc = dd_prom_family(p, "dbdeck_snapshot_timestamp_seconds", DD_PROM_GAUGE,
		    "when the snapshot these figures come from was taken (Unix time)");
	if (rc == 0)
		rc = dd_prom_sample(p, NULL, 0, (double)s->generated_wall_ms / 1000.0);
	if (rc == 0)
		rc = dd_prom_family(p, "dbdeck_snapshots_total", DD_PROM_COUNTER,
		    "snapshots the monitor has published");
	if (rc == 0)
		rc = dd_prom_sample(p, NULL, 0, (double)s->seq);
	return rc;
}

int
dd_serve_write_prometheus(
    struct dd_prom *p, const struct dd_snapshot *s, const struct dd_status_backup *backups)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(node_gauges) / sizeof(node_gauges[0]) && rc == 0; i++)
		rc = write_node_gauge(p, s, &node_gauges[i]);
	if (rc == 0)
		rc = write_sessions(p, s);
	if (rc == 0)
		rc = write_routed(p, s);
	if (rc == 0)
		rc = write_slow_running(p, s);
	if (rc == 0)
		rc = write_clusters(p, s, backups);
	if (rc == 0)
		rc = write_alerts(p, s);
	if (rc == 0)
		rc = write_monitor(p, s);
	return rc;
}
