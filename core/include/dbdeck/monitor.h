/*
 * monitor.h: the live monitor of every cluster of a dd_core (DESIGN.md §2-3,
 * issue 5). It probes each node every refresh, on worker threads, several
 * nodes in parallel, each probe with a deadline, and publishes immutable,
 * reference-counted snapshots (snapshot.h) by pointer swap. A descriptor
 * (an eventfd) becomes readable whenever a new snapshot is out, so a UI can
 * sleep in poll() on it and on the terminal.
 *
 * What it reads. Role, reachability, positions and lag come from each
 * cluster's router (router.h): the router's prober already asks every node
 * for them every interval, and one lag computation serves both routing and
 * display. The monitor adds, per node and refresh, over a connection of the
 * node's pool (the core's application_name, "dbdeck" by default; MariaDB
 * statements carry a dbdeck comment): server version, uptime, connections
 * by state against max_connections, QPS/TPS and cache hit ratio (deltas
 * between refreshes), the replicas a primary sees, and statements running
 * longer than the cluster's slow_query; every minute or so, the top
 * statements by total and mean time. dbdeck's own sessions are left out of the counts by state and
 * of the slow queries. Optional probes that cannot run (missing extension or privilege) say why in
 * the snapshot and are retried only after a back-off. docs/monitoring.md lists every figure and its
 * source on each engine.
 *
 * Timing. A round starts every refresh interval; each node's probe has a
 * deadline of min(refresh, 2 s) minus a margin. A snapshot is published once
 * every node has answered, or after a short wait with the late nodes
 * showing their previous data (stale), and again when they answer or time
 * out. A node that gives no data for longer than down_after is down. Until
 * a node has answered once its probe may take down_after (it has to open a
 * connection first), and the node is unknown, not down, meanwhile.
 *
 * Threads. Every function is thread-safe. Snapshots may be read from any
 * thread for as long as a reference is held. dd_monitor_free must not run
 * while other threads still call into the monitor.
 */
#ifndef DBDECK_MONITOR_H
#define DBDECK_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/clock.h"
#include "dbdeck/core.h"
#include "dbdeck/snapshot.h"

struct dd_monitor;
struct dd_schema_prober;

struct dd_monitor_options {
	/* Interval between rounds; 0 = [console] refresh. */
	int64_t refresh_ms;
	/* Deadline of one node's probe; 0 = min(refresh, 2 s) * 0.8. */
	int64_t probe_timeout_ms;
	/* A node with no fresh data for this long is down; 0 = max(2 * refresh, 2 s). */
	int64_t down_after_ms;
	/* How often the top statements are read; 0 = 30 s. */
	int64_t statements_every_ms;
	/* Back-off of an optional probe that failed (missing extension...); 0 = 60 s. */
	int64_t retry_optional_ms;
	/* The clock of the alert rules (durations) and timestamps; NULL = the real one. */
	const struct dd_clock *clock;
	/*
	 * One-shot (`dbdeck status`): no background rounds; dd_monitor_refresh_now
	 * drives them, and alert durations count as elapsed.
	 */
	bool oneshot;
	/*
	 * Read-only (`--read-only`): every action (dd_monitor_cancel_query) is
	 * refused. The config's [console] read_only makes the monitor read-only
	 * too, whatever this says.
	 */
	bool read_only;
	/*
	 * Schema health (schema.h): the prober whose newest result each snapshot
	 * summarises per cluster (dd_snap_cluster.schema_*, alert
	 * schema_critical); borrowed, it must outlive the monitor. NULL = none.
	 */
	struct dd_schema_prober *schema;
};

/* Fills o with the defaults above (all 0 / NULL / false). */
void dd_monitor_options_default(struct dd_monitor_options *o);

/*
 * Creates the monitor of every cluster of core (borrowed: it must outlive the
 * monitor) and starts its threads (one scheduler, one worker per node),
 * unless opts->oneshot. Returns a new monitor (dd_monitor_free), or NULL
 * with the reason in err. opts NULL = defaults.
 */
struct dd_monitor *dd_monitor_new(
    struct dd_core *core, const struct dd_monitor_options *opts, char *err, size_t errlen);

/* Stops and joins every thread (each is inside a probe for at most its deadline) and frees. */
void dd_monitor_free(struct dd_monitor *m);

/* The schema prober given in the options (borrowed), or NULL. */
struct dd_schema_prober *dd_monitor_schema(struct dd_monitor *m);

/*
 * The wake-up descriptor: readable after each new snapshot (and after an
 * event was logged). Owned by the monitor; read it with dd_monitor_ack.
 */
int dd_monitor_wake_fd(const struct dd_monitor *m);
/* Drains the wake-up descriptor (never blocks). */
void dd_monitor_ack(struct dd_monitor *m);

/*
 * The newest snapshot: a new reference (dd_snapshot_unref), or NULL before
 * the first one.
 */
const struct dd_snapshot *dd_monitor_current(struct dd_monitor *m);

/*
 * Runs a round now and waits until its snapshot is published (every node
 * answered or timed out), or until deadline_ns (CLOCK_MONOTONIC). The
 * routers are asked for a fresh probe round first. Returns 0, or -1 when the
 * deadline passed first.
 */
int dd_monitor_refresh_now(struct dd_monitor *m, int64_t deadline_ns);

/* Changes the interval (clamped to 100 ms .. 1 h); takes effect at the next round. */
void dd_monitor_set_refresh(struct dd_monitor *m, int64_t refresh_ms);
int64_t dd_monitor_refresh(const struct dd_monitor *m);

/* Paused: no round runs (snapshots keep the last data, marked paused). */
void dd_monitor_pause(struct dd_monitor *m, bool paused);
bool dd_monitor_paused(const struct dd_monitor *m);

/*
 * Logs an operator action and its result in the event log (cluster, node
 * may be NULL; copied). Shown in the next snapshot; wakes the UI.
 */
void dd_monitor_log_action(struct dd_monitor *m, const char *cluster, const char *node,
    const char *message, enum dd_severity severity);

/* ---- acting on a query ---- */

/* What identifies a running statement for dd_monitor_cancel_query (plain data). */
struct dd_query_target {
	int cluster, node;  /* indexes of the snapshot (node: absolute) */
	int64_t pid;        /* PG backend pid / MariaDB thread id */
	int64_t started_us; /* dd_snap_query.started_us */
	uint64_t text_hash; /* dd_snap_query.text_hash (MariaDB check) */
};

/* The target of a slow query of a snapshot. */
void dd_query_target_of(const struct dd_snap_query *q, struct dd_query_target *out);

/*
 * Cancels (terminate false: pg_cancel_backend / KILL QUERY ID) or ends the
 * session of (terminate true: pg_terminate_backend / KILL CONNECTION) the
 * statement t, on its node, over a connection of the node's pool. First
 * checks that the target is still the same statement: the same pid with the
 * same start (PostgreSQL: query_start to the microsecond, and still
 * active, in the same statement as the signal; MariaDB: the thread's
 * current statement started now − TIME_MS within 1.5 s of t's and its text
 * hashes the same, and the KILL names that statement's QUERY_ID, so one
 * started after the check is not touched). Refuses otherwise, and always
 * when the monitor is read-only (before any connection is made).
 * Blocks for at most deadline_ns (CLOCK_MONOTONIC; 0 = now + 5 s): call it
 * from a job thread, never the UI thread. Returns 0 when the server accepted
 * the request, DD_EXIT-like negative codes below with the reason in err.
 */
enum dd_cancel_result {
	DD_CANCEL_OK = 0,
	DD_CANCEL_GONE = -1,      /* no such session any more */
	DD_CANCEL_CHANGED = -2,   /* the session runs another statement now (refused) */
	DD_CANCEL_FAILED = -3,    /* the node could not be reached, or refused */
	DD_CANCEL_INVALID = -4,   /* bad cluster/node index */
	DD_CANCEL_READ_ONLY = -5, /* the monitor is read-only: no action (refused) */
};
int dd_monitor_cancel_query(struct dd_monitor *m, const struct dd_query_target *t, bool terminate,
    int64_t deadline_ns, char *err, size_t errlen);

#endif
