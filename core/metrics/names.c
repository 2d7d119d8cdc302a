/*
 * names.c: the metric families of DESIGN.md §10, one table: name, type, help
 * and the label names the pool, router, monitor and backup code feed them
 * with. docs/pool.md "Metrics" documents the same table for operators.
 */
#include "dbdeck/metrics.h"

#include <stddef.h>

static const struct dd_metric_def metric_defs[DD_METRIC_COUNT_] = {
    [DD_METRIC_POOL_SIZE] =
        {
            .name = "db_connection_pool_size",
            .type = DD_PROM_GAUGE,
            .help = "Connections of a node's pool by state (active, idle) and callers waiting for "
                    "one (waiting).",
            .labels = "cluster,node,state",
        },
    [DD_METRIC_POOL_WAIT_TIME] =
        {
            .name = "db_connection_pool_wait_time_seconds",
            .type = DD_PROM_HISTOGRAM,
            .help = "Time callers waited to acquire a pooled connection.",
            .labels = "cluster,node",
        },
    [DD_METRIC_POOL_ERRORS] =
        {
            .name = "db_connection_pool_errors_total",
            .type = DD_PROM_COUNTER,
            .help = "Pool errors by reason (timeout, connect, auth, broken, breaker_open).",
            .labels = "cluster,node,reason",
        },
    [DD_METRIC_REPLICATION_LAG] =
        {
            .name = "db_replication_lag_seconds",
            .type = DD_PROM_GAUGE,
            .help = "Replica lag behind its primary; NaN when unknown.",
            .labels = "cluster,replica",
        },
    [DD_METRIC_REPLICA_HEALTH] =
        {
            .name = "db_replica_health",
            .type = DD_PROM_GAUGE,
            .help =
                "1 when the replica is reachable, replicating and within the lag budget, else 0.",
            .labels = "cluster,replica",
        },
    [DD_METRIC_QUERY_DURATION] =
        {
            .name = "db_query_duration_seconds",
            .type = DD_PROM_HISTOGRAM,
            .help = "Duration of queries run through the router, by query type (read, write).",
            .labels = "cluster,query_type",
        },
    [DD_METRIC_SLOW_QUERIES] =
        {
            .name = "db_slow_queries_total",
            .type = DD_PROM_COUNTER,
            .help = "Queries that took longer than the cluster's slow_query threshold.",
            .labels = "cluster,node",
        },
    [DD_METRIC_BREAKER_STATE] =
        {
            .name = "db_circuit_breaker_state",
            .type = DD_PROM_GAUGE,
            .help = "Circuit breaker of a node: 0 closed, 1 open, 2 half-open.",
            .labels = "cluster,node",
        },
    [DD_METRIC_BACKUP_AGE] =
        {
            .name = "db_backup_age_seconds",
            .type = DD_PROM_GAUGE,
            .help = "Age of the newest good backup of a cluster.",
            .labels = "cluster",
        },
};

const struct dd_metric_def *
dd_metric_def(enum dd_metric m)
{
	if ((int)m < 0 || m >= DD_METRIC_COUNT_)
		return NULL;
	return &metric_defs[m];
}

int
dd_prom_family_def(struct dd_prom *p, enum dd_metric m)
{
	const struct dd_metric_def *d = dd_metric_def(m);
	if (!d)
		return dd_prom_family(p, "", DD_PROM_UNTYPED, NULL); /* records the error */
	return dd_prom_family(p, d->name, d->type, d->help);
}
