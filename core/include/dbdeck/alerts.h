/*
 * alerts.h: the alert rules and the event log (DESIGN.md §2, issue 5).
 *
 * The rules are pure logic over successive snapshots (snapshot.h) and an
 * injected clock (clock.h): dd_alerts_eval() looks at the clusters and nodes
 * of one snapshot (never its alerts or events), keeps, per rule and subject,
 * since when the condition has held, raises an alert once it has held for
 * the rule's duration and clears it as soon as it no longer holds (no clear
 * delay: the pool-wait rule looks back over a window instead, see below).
 * It also reports what changed between two evaluations that is worth an
 * event: a node going down or coming back, a role change, a breaker
 * transition.
 *
 *   rule                subject  severity         condition (thresholds per cluster)
 *   node_down           node     critical         state down in down_probes probes in a
 *                                                 row (or for down_probes + 1 refresh
 *                                                 intervals), and for down_for
 *   breaker_open        node     critical         breaker open or half-open for breaker_for
 *   replica_lag         node     warn / critical  a reachable replica's lag above lag_warn /
 *                                                 lag_crit (or unknown: warn) for lag_for
 *   pool_use            node     warn             pool active > pool_use_pct % of pool_max
 *                                                 for pool_use_for
 *   pool_wait           node     warn             an acquire waited > pool_wait within the
 *                                                 last pool_wait_window
 *   slow_queries        cluster  warn             more than slow_per_min new slow statements
 *                                                 within the last minute
 *   no_primary          cluster  critical         no node is a writable primary, in
 *                                                 down_probes probe rounds in a row (as
 *                                                 node_down), and for down_for
 *   multiple_primaries  cluster  critical         more than one is, for down_for
 *   backup_stale        cluster  warn             the newest good backup is older than
 *                                                 backup_max_age, or the cluster's backup
 *                                                 directory holds no good backup (a cluster
 *                                                 without a backup directory: no alert)
 *   patroni_disagrees   cluster  critical         manager = patroni: a server other than
 *                                                 Patroni's leader is a writable primary,
 *                                                 or the leader answers read-only, for
 *                                                 down_for (at least 3 s: a switchover
 *                                                 Patroni runs passes through it)
 *   schema_critical     cluster  critical         the newest schema health round
 *                                                 (schema.h) has a critical finding
 *                                                 (a round that did not finish
 *                                                 changes nothing)
 *   patroni_dcs_stale   node     warn             manager = patroni: the node's agent
 *                                                 last reached the DCS more than
 *                                                 DD_PATRONI_DCS_STALE_S ago (its
 *                                                 GET /patroni dcs_last_seen)
 *
 * One-shot mode (`dbdeck status`): every duration counts as already elapsed,
 * so a single evaluation reports the current state.
 *
 * Threads: a struct dd_alerts is used by one thread at a time (the monitor's
 * scheduler). The event log is thread-safe (operator actions come from other
 * threads).
 */
#ifndef DBDECK_ALERTS_H
#define DBDECK_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/clock.h"
#include "dbdeck/config.h"
#include "dbdeck/snapshot.h"

enum dd_alert_rule {
	DD_RULE_NODE_DOWN,
	DD_RULE_BREAKER_OPEN,
	DD_RULE_REPLICA_LAG,
	DD_RULE_POOL_USE,
	DD_RULE_POOL_WAIT,
	DD_RULE_SLOW_QUERIES,
	DD_RULE_NO_PRIMARY,
	DD_RULE_MULTIPLE_PRIMARIES,
	DD_RULE_BACKUP_STALE,
	DD_RULE_PATRONI_DISAGREES,
	DD_RULE_SCHEMA_CRITICAL,
	DD_RULE_PATRONI_DCS_STALE,
	DD_RULE__COUNT
};

/* patroni_dcs_stale: 3 x Patroni's default loop_wait (10 s), in seconds. */
#define DD_PATRONI_DCS_STALE_S 30

/* "node_down", "breaker_open", "replica_lag", ... (the table above). Static. */
const char *dd_alert_rule_name(enum dd_alert_rule r);

/* Thresholds of one cluster. Durations in milliseconds. */
struct dd_alert_thresholds {
	int64_t down_for_ms;         /* node_down, no_primary, multiple_primaries; default 0 */
	int64_t breaker_for_ms;      /* default 0 */
	int64_t lag_warn_ms;         /* lag_max; default 60 s */
	int64_t lag_crit_ms;         /* lag_critical; default 120 s */
	int64_t lag_for_ms;          /* default 30 s */
	int pool_use_pct;            /* default 90 */
	int64_t pool_use_for_ms;     /* default 5 min */
	int64_t pool_wait_ms;        /* default 1 s */
	int64_t pool_wait_window_ms; /* default 60 s */
	int slow_per_min;            /* default 20 */
	int down_probes;             /* node_down, no_primary: probes in a row; default 2 */
	int64_t backup_max_age_ms;   /* backup_stale; default 26 h */
};

/* Fills t with the defaults above. */
void dd_alert_thresholds_default(struct dd_alert_thresholds *t);
/* The thresholds of a cluster's config keys (lag_max, lag_critical, alert_*). */
void dd_alert_thresholds_of(const struct dd_cluster_config *cc, struct dd_alert_thresholds *t);

/* What one evaluation found worth an event. */
struct dd_alert_change {
	enum dd_event_kind kind; /* ALERT_RAISED/CLEARED, NODE_DOWN/UP, ROLE_CHANGE, BREAKER */
	enum dd_severity severity;
	int cluster;             /* index into the snapshot's clusters */
	int node;                /* index into its nodes (absolute); -1 cluster-wide */
	enum dd_alert_rule rule; /* alert kinds only */
	char message[240];
};

/* An active alert. */
struct dd_alert_active {
	enum dd_severity severity;
	enum dd_alert_rule rule;
	int cluster;
	int node;              /* -1 cluster-wide */
	int64_t since_wall_ms; /* when it was raised */
	char message[240];
};

struct dd_alerts;

/*
 * A new rule engine. clock NULL = the real clock; else copied, its ctx
 * borrowed until dd_alerts_free. oneshot: durations count as elapsed.
 */
struct dd_alerts *dd_alerts_new(const struct dd_clock *clock, bool oneshot);
void dd_alerts_free(struct dd_alerts *a);

/*
 * Evaluates every rule over snap with th[i] the thresholds of cluster i
 * (th has snap->n_clusters entries). The node and cluster layout must stay
 * the same from one call to the next (a different layout starts afresh).
 * Writes up to max changes into out (those beyond are dropped) and returns
 * how many there were. snap is borrowed for the call only.
 */
size_t dd_alerts_eval(struct dd_alerts *a, const struct dd_snapshot *snap,
    const struct dd_alert_thresholds *th, struct dd_alert_change *out, size_t max);

/* The active alerts, critical first, then oldest first; returns how many were copied. */
size_t dd_alerts_active(const struct dd_alerts *a, struct dd_alert_active *out, size_t max);
/* How many are active. */
size_t dd_alerts_count(const struct dd_alerts *a);

/* ---- the event log ---- */

/* One event, as kept by the log (fixed-size strings; copyable). */
struct dd_event {
	enum dd_event_kind kind;
	enum dd_severity severity;
	int64_t wall_ms;
	char cluster[64]; /* "" process-wide */
	char node[64];    /* "" cluster-wide */
	char message[240];
};

struct dd_event_log;

/* A ring of the newest `capacity` events (>= 1). */
struct dd_event_log *dd_event_log_new(size_t capacity);
void dd_event_log_free(struct dd_event_log *log);
/* Appends an event (strings copied and truncated; NULL = ""). Thread-safe. */
void dd_event_log_add(struct dd_event_log *log, enum dd_event_kind kind, enum dd_severity sev,
    int64_t wall_ms, const char *cluster, const char *node, const char *message);
/* Copies up to max of the newest events, oldest first; returns how many. Thread-safe. */
size_t dd_event_log_copy(struct dd_event_log *log, struct dd_event *out, size_t max);
/* Events added since the log was made (ever increasing; tells a reader something is new). */
uint64_t dd_event_log_added(struct dd_event_log *log);

/* "alert", "cleared", "breaker", "role", "down", "up", "action". Static. */
const char *dd_event_kind_name(enum dd_event_kind k);

#endif
