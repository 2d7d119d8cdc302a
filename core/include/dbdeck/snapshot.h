/*
 * snapshot.h: what the monitor publishes and the console and `dbdeck status`
 * read (DESIGN.md §3). A snapshot is immutable once published and
 * reference-counted: the monitor builds a new one every refresh and swaps a
 * pointer; readers take a reference, read without locks, and drop it. Every
 * string inside is owned by the snapshot and is raw server text: the reader
 * sanitizes it (dbdeck/text.h) before it reaches a terminal.
 *
 * Indexes (cluster, node) refer to the arrays of the same snapshot; nodes keep
 * the config's order, so a node has the same index in every snapshot of a
 * process.
 *
 * Units: durations in seconds are doubles (NAN when unknown), timestamps are
 * UTC milliseconds since the epoch (_wall_ms) or microseconds (_us), counts
 * are -1 when unknown. Where each figure comes from on each engine is in
 * docs/monitoring.md. The monitor (monitor.h) builds snapshots; the alert
 * rules (alerts.h) read them.
 */
#ifndef DBDECK_SNAPSHOT_H
#define DBDECK_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/breaker.h"
#include "dbdeck/driver.h"
#include "dbdeck/engine.h"

#define DD_SNAP_LAG_SAMPLES     60 /* per node, one per refresh, oldest first */
#define DD_SNAP_BREAKER_HISTORY 8
#define DD_SNAP_ROUTE_REASONS   8
#define DD_SNAP_MAX_REPL        16  /* replicas a primary reports */
#define DD_SNAP_EVENTS          500 /* events a snapshot carries at most (the log's size) */

enum dd_health {
	DD_HEALTH_HEALTHY,
	DD_HEALTH_DEGRADED,
	DD_HEALTH_UNHEALTHY,
};

enum dd_node_state {
	DD_NODE_UP,
	DD_NODE_DOWN,
	DD_NODE_LAGGING,
	DD_NODE_UNKNOWN, /* no probe has answered yet, and its deadline has not passed */
};

enum dd_severity {
	DD_SEV_INFO,
	DD_SEV_WARN,
	DD_SEV_CRIT,
};

/* "healthy"/"degraded"/"unhealthy", "up"/"down"/"lagging"/"unknown", "info"/"warn"/"critical". */
const char *dd_health_name(enum dd_health h);
const char *dd_node_state_name(enum dd_node_state s);
const char *dd_severity_name(enum dd_severity s);
/* "info"/"warn"/"crit": at most 5 characters, for columns on screen. */
const char *dd_severity_short_name(enum dd_severity s);

/* What dd_snap_node.load_per_s counts. */
enum dd_rate_kind {
	DD_RATE_QUERIES,      /* statements per second (qps) */
	DD_RATE_TRANSACTIONS, /* transactions per second (tps): the server counts no statements */
};

/* A probe that could not run, and why (missing extension, privilege, timeout). */
struct dd_snap_probe_status {
	bool ok;
	char why[160];
};

/* A replica as its primary sees it (pg_stat_replication / SHOW SLAVE HOSTS). */
struct dd_snap_repl_peer {
	char name[64];                                 /* application_name, or host:port */
	char client[64];                               /* client address */
	char state[32];                                /* streaming, catchup, ... */
	double write_lag_s, flush_lag_s, replay_lag_s; /* NAN when unknown */
	int64_t lag_bytes;                             /* primary LSN − replay LSN; -1 unknown */
};

struct dd_snap_node {
	const char *name;
	const char *host;
	int port;
	int cluster;       /* index into dd_snapshot.clusters */
	enum dd_role role; /* last known role (kept while the node is down) */
	enum dd_node_state state;
	bool reachable;
	bool stale;     /* this round's probe has not answered (yet): older data */
	bool read_only; /* PG: in recovery or default_transaction_read_only; MariaDB @@read_only */
	const char *last_error; /* "" when the last probe succeeded */
	const char *version;    /* server version string */
	int64_t uptime_s;       /* -1 unknown */
	int64_t probed_wall_ms; /* when this node's data was last refreshed */
	int64_t probe_ms;       /* how long the last probe took */

	/* Server connections (pg_stat_activity / processlist). -1 unknown. */
	int conn_used, conn_max;
	int conn_active, conn_idle, conn_idle_in_txn,
	    conn_waiting; /* dbdeck's own sessions excluded */
	double qps, tps;  /* per second since the last refresh; NAN unknown */
	/*
	 * The node's load in one figure: qps when known, else tps (PostgreSQL
	 * counts statements only through pg_stat_statements); NAN when neither is.
	 */
	double load_per_s;
	enum dd_rate_kind load_kind;
	double cache_hit; /* 0..1; NAN unknown */

	/* Replication, on a replica. */
	double lag_s;         /* NAN unknown (router.h: one computation for routing and display) */
	const char *lag_note; /* why lag_s is unknown; "" when known */
	int64_t lag_bytes;    /* PG WAL bytes behind; -1 unknown */
	int64_t lag_trx;      /* MariaDB GTID seq distance; -1 unknown */
	const char *receive_pos; /* LSN or GTID text; "" unknown */
	const char *replay_pos;
	bool replay_paused;    /* PostgreSQL */
	const char *io_thread; /* MariaDB: "Yes", "No", "Connecting"; "" n/a */
	const char *sql_thread;
	const char *repl_error;                 /* last IO/SQL error; "" none */
	float lag_history[DD_SNAP_LAG_SAMPLES]; /* seconds; NAN for unknown samples */
	int lag_history_len;

	/* Replication, on a primary. */
	int n_peers;
	struct dd_snap_repl_peer peers[DD_SNAP_MAX_REPL];

	/* dbdeck's own pool for this node. */
	int pool_active, pool_idle, pool_waiting;
	int pool_max;      /* pool_size + max_overflow: the most it will ever open */
	int pool_overflow; /* overflow connections in use */
	int64_t pool_wait_p50_ns, pool_wait_p95_ns, pool_wait_p99_ns; /* since the pool started */
	int64_t pool_wait_max_interval_ns; /* longest acquire wait since the previous snapshot; 0
	                                      none */
	int64_t pool_err_timeout, pool_err_connect, pool_err_auth, pool_err_broken;

	/* The node's circuit breaker. */
	enum dd_breaker_state breaker;
	int64_t breaker_since_wall_ms;
	int n_breaker_history; /* newest last */
	struct dd_breaker_transition breaker_history[DD_SNAP_BREAKER_HISTORY];

	/* Routing. */
	bool in_read_set;
	const char *route_note; /* why out of the read set; "" when in */
	int64_t routed_reads, routed_writes;

	struct dd_snap_probe_status statements_probe; /* pg_stat_statements / digests */
	struct dd_snap_probe_status activity_probe;
	/* Patroni's word on this node (manager = patroni): "" when not a member or not read. */
	const char *patroni_role;  /* "leader", "replica", "sync_standby", ... */
	const char *patroni_state; /* "running", "streaming", "stopped", ... */
	int64_t patroni_lag;       /* bytes behind Patroni's leader; -1 unknown */
	bool patroni_pending_restart;
	/* when this node's Patroni agent last reached the DCS (GET /patroni's
	 * dcs_last_seen), seconds since the epoch; -1 unknown */
	int64_t patroni_dcs_last_seen;

	/* Statements seen running longer than slow_query since the monitor started (each once). */
	int64_t slow_total;
};

struct dd_snap_cluster {
	const char *name;
	enum dd_engine engine;
	enum dd_health health;
	int primary;               /* node index (absolute), -1 when none (or two) */
	int n_primaries;           /* reachable nodes that say they are a writable primary */
	bool topology_known;       /* a probe round of the router has finished */
	const char *topology_note; /* why there is no primary; "" when there is one */
	int first_node, n_nodes;   /* nodes[first_node .. first_node + n_nodes) */
	int n_alerts;              /* active alerts of this cluster */
	double lag_max_s, lag_critical_s;
	int64_t slow_query_ms;
	/* Patroni's view (manager = patroni, docs/patroni.md), read each round. */
	bool patroni;               /* manager = patroni */
	bool patroni_ok;            /* GET /cluster answered this round */
	const char *patroni_error;  /* why not; "" */
	const char *patroni_leader; /* "" none */
	bool patroni_paused;        /* maintenance mode */
	int64_t patroni_timeline;   /* the leader's; -1 unknown */
	/* a switchover Patroni will run (switchover --at): its time, from, to; "" none */
	const char *patroni_scheduled_at, *patroni_scheduled_from, *patroni_scheduled_to;
	/* manager = auto: a Patroni agent answers beside a node (its URL); "" none */
	const char *patroni_undeclared;
	int n_route_reasons; /* newest last */
	const char *route_reasons[DD_SNAP_ROUTE_REASONS];
	/*
	 * Backups (backup_stale): backup_known is false when the cluster's
	 * backup directory (<backup_dir>/<cluster>) does not exist or was not
	 * read; else backup_newest_ms is the start of the newest good backup
	 * (wall ms), 0 when there is none.
	 */
	bool backup_known;
	int64_t backup_newest_ms;
	int64_t backup_max_age_ms;
	/*
	 * Schema health (schema.h): the newest round of the schema prober the
	 * monitor was given; schema_known false when there is none (yet).
	 */
	bool schema_known;
	bool schema_ok;               /* that round read everything */
	int schema_crit, schema_warn; /* findings by severity */
	const char *schema_worst;     /* the first critical finding, one line; "" none */
};

/* A statement running longer than the cluster's slow_query. */
struct dd_snap_query {
	int cluster, node;
	int64_t pid; /* PG backend pid / MariaDB thread id */
	const char *user, *database, *client, *application;
	const char *state, *wait_event;
	const char *text; /* as the server gave it (may be long, any bytes) */
	size_t text_len;
	int64_t started_wall_ms; /* query start */
	int64_t started_us;      /* the same in microseconds: the identity check uses it */
	uint64_t text_hash;      /* FNV-1a of text: the identity check uses it (MariaDB) */
	double duration_s;
};

/* Top statements by total and mean time (pg_stat_statements / digests). */
struct dd_snap_statement {
	int cluster, node;
	const char *text;
	int64_t calls;
	double total_ms, mean_ms;
	int64_t rows;
};

struct dd_snap_alert {
	enum dd_severity severity;
	const char *cluster; /* "" for process-wide */
	const char *node;    /* "" for cluster-wide */
	const char *rule;    /* alerts.h: "node_down", "replica_lag", ... */
	const char *message;
	int64_t since_wall_ms;
};

enum dd_event_kind {
	DD_EVENT_ALERT_RAISED,
	DD_EVENT_ALERT_CLEARED,
	DD_EVENT_BREAKER,
	DD_EVENT_ROLE_CHANGE,
	DD_EVENT_NODE_DOWN,
	DD_EVENT_NODE_UP,
	DD_EVENT_ACTION, /* an operator action and its result */
};

struct dd_snap_event {
	enum dd_event_kind kind;
	enum dd_severity severity;
	int64_t wall_ms;
	const char *cluster, *node;
	const char *message;
};

struct dd_snapshot {
	uint64_t seq; /* increases by one per published snapshot */
	int64_t generated_wall_ms;
	int64_t refresh_ms;    /* the interval in force */
	bool paused;           /* dd_monitor_pause: nothing is probed, data gets older */
	enum dd_health health; /* worst of the clusters */
	int n_clusters;
	const struct dd_snap_cluster *clusters;
	int n_nodes;
	const struct dd_snap_node *nodes;
	int n_queries;
	const struct dd_snap_query *queries; /* slow queries, longest first */
	int n_statements;
	const struct dd_snap_statement *statements;
	int n_alerts;
	const struct dd_snap_alert *alerts; /* active, most severe first */
	int n_events;
	const struct dd_snap_event *events; /* recent, newest last (bounded) */
};

/* Takes a new reference (returns s). Thread-safe. */
const struct dd_snapshot *dd_snapshot_ref(const struct dd_snapshot *s);
/* Drops a reference; the last one frees the snapshot. NULL is a no-op. */
void dd_snapshot_unref(const struct dd_snapshot *s);

#endif
