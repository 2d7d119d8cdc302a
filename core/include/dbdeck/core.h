/*
 * core.h: the dd_core object, one per process (DESIGN.md §2, "the singleton
 * manager"). It is built once from the configuration: per cluster, one pool
 * per node (pool.h) and one router (router.h), each router probing its
 * nodes in the background. The console, `dbdeck serve` and applications that
 * link libdbdeck all reach the databases through it, and it shuts everything
 * down gracefully: stop the probers, drain the pools (wait for borrowed
 * connections up to a deadline), close, join every thread.
 *
 * Credentials come through a callback so that the core does not depend on
 * the vault: the CLI passes the vault's accessor, an application its own.
 * The user and password it returns are borrowed by the core until
 * dd_core_free() returns (the pools reconnect with them at any time): they
 * must live in secure memory that stays valid and unchanged that long (the
 * vault's entries do while the vault stays open).
 *
 * Threads: every function is thread-safe, except that dd_core_shutdown and
 * dd_core_free must not run while other threads still use the core.
 */
#ifndef DBDECK_CORE_H
#define DBDECK_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/metrics.h"
#include "dbdeck/pool.h"
#include "dbdeck/router.h"

struct dd_core;
struct dd_cluster;

/*
 * Looks up credential `name` (a cluster's `credential` key). Returns 0 with
 * *user and *password set (borrowed, see above), or -1 when there is no such
 * credential.
 */
typedef int (*dd_credential_fn)(
    void *ctx, const char *name, const char **user, const char **password);

struct dd_core_options {
	/* Probe every node this often; 0 = [console] refresh (default 1 s). */
	int64_t probe_interval_ms;
	/* Deadline of one probe, connect included; 0 = min(connect_timeout, 1 s). */
	int64_t probe_timeout_ms;
	/* application_name of the pools' connections (the probes add "-probe"); NULL = "dbdeck". */
	const char *application_name;
	/* NULL = every cluster; else only this one is built (an error when it is unknown). */
	const char *only_cluster;
	/*
	 * The pools keep no idle connection (min_idle taken as 0), for a process
	 * that runs no statements of its own through them (`dbdeck serve`: its
	 * one connection per node is the prober's). A pool then costs no
	 * connection and no thread until something borrows from it.
	 */
	bool pools_cold;
};

/* Fills o with the defaults above. */
void dd_core_options_default(struct dd_core_options *o);

/*
 * Builds the core for every cluster of cfg (borrowed until dd_core_free; it
 * must have loaded without errors). get_credential(ctx, ...) is called once
 * per cluster for `credential`, and once more for `admin_credential` when
 * set, here. Starts the pools' maintenance threads and the routers'
 * probers; does no network I/O on the caller's thread. Returns a new core
 * (dd_core_free), or NULL with the reason in err (unknown credential, a pool
 * or thread that cannot be created). opts NULL = defaults.
 */
struct dd_core *dd_core_new(const struct dd_config *cfg, dd_credential_fn get_credential, void *ctx,
    char *err, size_t errlen);
struct dd_core *dd_core_new_with(const struct dd_config *cfg, dd_credential_fn get_credential,
    void *ctx, const struct dd_core_options *opts, char *err, size_t errlen);

/*
 * A core for cfg that takes over from old every cluster configured the same
 * in both (dd_config_cluster_same): its pools, connections, breakers and
 * router move to the new core as they are, and old loses them; the other
 * clusters are built anew as by dd_core_new_with (opts likewise, with
 * only_cluster ignored). old keeps the clusters that changed or went away:
 * shut it down and free it afterwards. Nothing may use old's clusters
 * while this runs (stop its monitor first). On failure (reason in err)
 * nothing is taken from old. cfg is borrowed as by dd_core_new; old's
 * config must stay loaded until this returns. The credentials of the
 * clusters taken over stay borrowed from old's callback: use the same one.
 */
struct dd_core *dd_core_new_adopting(const struct dd_config *cfg, struct dd_core *old,
    dd_credential_fn get_credential, void *ctx, const struct dd_core_options *opts, char *err,
    size_t errlen);

/*
 * Graceful shutdown: stops every router's prober (joining its threads), then
 * drains every pool: no new borrowers, idle connections closed, borrowed ones
 * closed as they come back, waiting until deadline_ns (CLOCK_MONOTONIC) at
 * most. Returns the number of connections still borrowed at the deadline (0 =
 * clean). Idempotent; the core can only be freed afterwards.
 */
int dd_core_shutdown(struct dd_core *core, int64_t deadline_ns);

/*
 * Shuts down (if not done, with a 5 s deadline) and frees everything. Every
 * connection must have been released. NULL is a no-op.
 */
void dd_core_free(struct dd_core *core);

/* The config given to dd_core_new. Borrowed. */
const struct dd_config *dd_core_config(const struct dd_core *core);

/* Clusters in config order (only the one of only_cluster when set). Borrowed until dd_core_free. */
size_t dd_core_cluster_count(const struct dd_core *core);
struct dd_cluster *dd_core_cluster_at(struct dd_core *core, size_t i);
/* NULL when there is no such cluster. */
struct dd_cluster *dd_core_cluster(struct dd_core *core, const char *name);

/* All borrowed until dd_core_free. */
const char *dd_cluster_name(const struct dd_cluster *cl);
const struct dd_cluster_config *dd_cluster_config(const struct dd_cluster *cl);
struct dd_router *dd_cluster_router(struct dd_cluster *cl);
/* Nodes in the cluster's `nodes` order; the same indexes as the router's. */
size_t dd_cluster_node_count(const struct dd_cluster *cl);
struct dd_pool *dd_cluster_pool(struct dd_cluster *cl, size_t i);

/*
 * The pool that actions use on node i (cancel, terminate; backup, restore,
 * switchover and failover as they come): with the cluster's
 * admin_credential, a small pool of that account's connections (at most 2,
 * none kept idle past 30 s, application_name "<app>-admin"); without it,
 * the node's own pool (dd_cluster_pool), i.e. the credential. Probing and
 * routed statements never use the admin pool. Borrowed until dd_core_free;
 * NULL when i is out of range.
 */
struct dd_pool *dd_cluster_admin_pool(struct dd_cluster *cl, size_t i);
/* Whether the cluster names an admin_credential (its actions have pools of their own). */
bool dd_cluster_has_admin(const struct dd_cluster *cl);

/*
 * Appends every counter of the core to p in the Prometheus text format, with
 * the names of DESIGN.md §10 (metrics.h dd_metric_def):
 *   db_connection_pool_size{cluster,node,state="active|idle|waiting"}
 *   db_connection_pool_wait_time_seconds{cluster,node}        histogram
 *   db_connection_pool_errors_total{cluster,node,reason}
 *   db_replication_lag_seconds{cluster,replica}               NaN when unknown
 *   db_replica_health{cluster,replica}                        1 in the read set, else 0
 *   db_query_duration_seconds{cluster,query_type="read|write"} histogram (router helpers)
 *   db_slow_queries_total{cluster,node}
 *   db_circuit_breaker_state{cluster,node}                    0 closed, 1 open, 2 half-open
 * db_backup_age_seconds is not written here: dbdeck serve adds it with the
 * snapshot's families (serve.h dd_serve_write_prometheus). Replicas are the
 * nodes whose last known role is replica. Returns 0, or -1 with the reason
 * in dd_prom_error(p).
 */
int dd_core_write_prometheus(struct dd_core *core, struct dd_prom *p);

/*
 * The same in two steps: the figures copied now (cheap: counters and
 * histograms, no text), then written, on any thread, whatever became of the
 * core in between (`dbdeck serve` copies at each snapshot and writes only
 * when /metrics is asked for). dd_core_scrape_write returns as
 * dd_core_write_prometheus.
 */
struct dd_core_scrape;
struct dd_core_scrape *dd_core_scrape_take(struct dd_core *core);
int dd_core_scrape_write(const struct dd_core_scrape *cs, struct dd_prom *p);
void dd_core_scrape_free(struct dd_core_scrape *cs);

#endif
