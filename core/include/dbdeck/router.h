/*
 * router.h: the router of one cluster (DESIGN.md §2). It decides which node
 * a connection request goes to: reads to replicas, writes and transactions
 * to the primary, and it can always say why.
 *
 * Roles are discovered, never configured. A prober (one coordinator thread
 * and one worker thread per node, each with its own driver connection) asks
 * every node for its role and replication position every probe interval, all
 * nodes in parallel, each with a short deadline; a node that does not answer
 * by its deadline counts as unreachable for that round and never delays the
 * others. After a switchover the router follows the new primary by itself.
 *
 * Read set. A replica gets reads only while it is reachable, has weight > 0,
 * a known lag and that lag is within lag_max. Unknown lag (probe failed, SQL
 * thread stopped, NULL Seconds_Behind_Master, no replay position) counts as
 * lagging. Hysteresis: a replica leaves the read set when its lag exceeds
 * lag_max and comes back only once its lag is at or below
 * reenter_factor × lag_max (default 0.8). A replica whose breaker is open
 * (the pool's breaker, pool.h) is skipped at routing time; a half-open one is
 * offered, and the pool lets one trial through. Probe failures that count
 * against the node (timeouts, refused or lost connections) are reported to
 * the node's breaker; a successful probe of a half-open node is its trial.
 *
 * Lag. PostgreSQL: 0 when the replica has replayed the primary's newest known
 * WAL position (so an idle primary never makes lag grow), else the smaller of
 * now() − pg_last_xact_replay_timestamp() on the replica and the time since
 * the last probe round at which the primary had not yet written past the
 * replica's replay position. MariaDB/MySQL: 0 when the replica's
 * gtid_slave_pos covers the primary's newest gtid_binlog_pos, else the time
 * since the last round whose primary position it covers (the smaller of that
 * and Seconds_Behind_Master while the SQL thread runs), so a stopped SQL
 * thread shows a growing lag; Seconds_Behind_Master when the primary's
 * positions do not reach back that far.
 *
 * Read-your-writes. A struct dd_session carries, per router, the position of
 * its last write (taken on the primary when a write or transaction
 * connection is released: pg_current_wal_lsn() / @@last_gtid). That session's
 * reads then go only to replicas whose latest probe, taken after the write,
 * shows the position replayed; to the primary while none has. When the
 * position could not be read, its reads stay on the primary for ryw_window.
 *
 * A primary change. A routed write (dd_router_exec/query) that fails with
 * a node failure or a read-only error starts a probe round at once, so the
 * router finds a new primary without waiting for the probe interval.
 *
 * Threads. Every function is thread-safe; a struct dd_session is used by one
 * thread at a time.
 */
#ifndef DBDECK_ROUTER_H
#define DBDECK_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/breaker.h"
#include "dbdeck/config.h"
#include "dbdeck/driver.h"
#include "dbdeck/engine.h"
#include "dbdeck/metrics.h"
#include "dbdeck/pool.h"

struct dd_router;
struct dd_session;

enum dd_intent {
	DD_INTENT_READ,
	DD_INTENT_WRITE,
	DD_INTENT_TRANSACTION,
};

/* "read", "write", "transaction". Static storage. */
const char *dd_intent_name(enum dd_intent intent);

/* Return values of the router functions. */
enum dd_router_err {
	DD_ROUTER_OK = 0,
	DD_ROUTER_ERR_NO_PRIMARY = -1,  /* no primary known (none, or two writable ones) */
	DD_ROUTER_ERR_NO_REPLICA = -2,  /* no usable replica and no_replica = fail */
	DD_ROUTER_ERR_TIMEOUT = -3,     /* the deadline passed before a connection was had */
	DD_ROUTER_ERR_UNAVAILABLE = -4, /* every node tried failed (breaker open, connect) */
	DD_ROUTER_ERR_QUERY = -5,       /* (query helpers) the statement failed */
	DD_ROUTER_ERR_SHUTDOWN = -6,    /* the router is stopping */
	DD_ROUTER_ERR_INVALID = -7,     /* bad argument */
	DD_ROUTER_ERR_HELD = -8,        /* writes held (a switchover) past the deadline: retry */
};

/*
 * "ok", "no_primary", "no_replica", "timeout", "unavailable", "query", "shutdown", "invalid",
 * "held".
 */
const char *dd_router_err_name(int code);

/* ---- settings ---- */

#define DD_ROUTER_NAME_MAX  64
#define DD_ROUTER_MAX_NODES 64

/* One node as the router is given it. */
struct dd_router_node {
	const char *name;     /* copied */
	int weight;           /* 0 = never gets reads */
	struct dd_pool *pool; /* borrowed; must outlive the router */
	/*
	 * For the prober's own connection: copied, except password, which is
	 * borrowed like the pool's (secure memory that stays valid until
	 * dd_router_free returns).
	 */
	struct dd_conn_params params;
};

struct dd_router_config {
	const char *cluster; /* copied */
	enum dd_engine engine;
	enum dd_read_policy read_policy;
	enum dd_no_replica no_replica;
	int64_t lag_max_ms;        /* default 60000 */
	double reenter_factor;     /* 0 < f <= 1; 0 = 0.8 */
	int64_t ryw_window_ms;     /* default 5000; 0 = no window */
	int64_t probe_interval_ms; /* default 1000 */
	int64_t probe_timeout_ms;  /* per node and round, connect included; default 1000 */
	int64_t query_timeout_ms;  /* default deadline of the query helpers; default 10000 */
};

/* Fills cfg with the defaults above (round-robin, fall back to the primary). */
void dd_router_config_default(struct dd_router_config *cfg);

/*
 * Creates the router of a cluster over n nodes (1 <= n <= DD_ROUTER_MAX_NODES;
 * their pools are borrowed) and starts its prober. Returns a new router (dd_router_free), or NULL
 * with the reason in err. Does no network I/O itself.
 */
struct dd_router *dd_router_new(const struct dd_router_config *cfg,
    const struct dd_router_node *nodes, size_t n, char *err, size_t errlen);

/*
 * Stops the prober and joins its threads (each is inside a probe for at most
 * probe_timeout_ms). Later acquires fail with DD_ROUTER_ERR_SHUTDOWN.
 * Connections already handed out are released normally. Idempotent.
 */
void dd_router_stop(struct dd_router *r);
/*
 * Tells the prober to stop without waiting (dd_router_stop then joins): a
 * process with many routers tells them all first, so that their probes in
 * flight end together rather than one router after another.
 */
void dd_router_stop_begin(struct dd_router *r);

/* Stops (if needed) and frees r. NULL is a no-op. The pools are not freed. */
void dd_router_free(struct dd_router *r);

/* The cluster name. Borrowed until dd_router_free. */
const char *dd_router_cluster(const struct dd_router *r);
enum dd_engine dd_router_engine(const struct dd_router *r);
size_t dd_router_node_count(const struct dd_router *r);
/* Borrowed until dd_router_free; NULL when i is out of range. */
const char *dd_router_node_name(const struct dd_router *r, size_t i);
struct dd_pool *dd_router_node_pool(struct dd_router *r, size_t i);

/*
 * Starts a probe round now and waits until a round that began after this
 * call has finished, or until deadline_ns. Returns 0, or
 * DD_ROUTER_ERR_TIMEOUT / DD_ROUTER_ERR_SHUTDOWN.
 */
int dd_router_probe_now(struct dd_router *r, int64_t deadline_ns);

/* Starts a probe round now (or right after the running one) without waiting. */
void dd_router_probe_soon(struct dd_router *r);
/* Probe rounds finished so far (roles, lag and the breakers updated). */
uint64_t dd_router_rounds(struct dd_router *r);
/* Waits until `rounds` rounds have finished or deadline_ns; 0, or -1 at the deadline or stop. */
int dd_router_wait_rounds(struct dd_router *r, uint64_t rounds, int64_t deadline_ns);

/*
 * A rider on the router's probe rounds: another prober of the same nodes
 * (the monitor) that runs its statement in the router's round, on the
 * prober's connection and with the round's deadline, so that a node gets one
 * round per interval, not one per prober. probe() is called on node i's
 * prober thread in place of dd_conn_probe_role and must fill *info as that
 * would (dd_conn_probe_role_with does both in one statement); it returns 0,
 * or -1 with *err. With conn NULL the connection could not be opened (*err
 * says why): the rider notes the failure and returns -1. While a rider is
 * attached the router starts its own rounds only every second interval: the
 * rider asks for rounds with dd_router_probe_soon. timeout_ms (may be NULL):
 * the rider's probe deadline in ms, which shortens the round's when it is
 * shorter, so that a round with a hung node still ends within the rider's
 * interval; such a round then ends at its deadline when another is asked for.
 */
struct dd_router_rider {
	void *ctx;
	int (*probe)(void *ctx, size_t i, struct dd_conn *conn, int64_t deadline_ns,
	    struct dd_role_info *info, struct dd_db_error *err);
	int64_t (*timeout_ms)(void *ctx);
};

/*
 * Attaches rider (copied; ctx borrowed until detached), or detaches it with
 * NULL: rounds started later no longer call it, but a prober thread may
 * still be inside the old rider's probe until dd_router_rider_wait returns.
 */
void dd_router_set_rider(struct dd_router *r, const struct dd_router_rider *rider);
/* Returns once no prober thread of r is inside a rider's probe (after detaching it). */
void dd_router_rider_wait(struct dd_router *r);

/*
 * Holds writes (failover.h: a switchover or failover of this cluster runs in
 * this process) or lets them flow again. While held, write and transaction
 * acquisitions wait until the hold ends or their deadline passes (the
 * default deadline: the pool's acquire_timeout), then fail with
 * DD_ROUTER_ERR_HELD, a transient error: try again. Reads go on. why (may
 * be NULL) is copied into the decisions' reasons. Releasing wakes the
 * waiters, which then plan with the router's current view: release after a
 * probe round has seen the new primary (dd_router_probe_now).
 */
void dd_router_hold_writes(struct dd_router *r, bool hold, const char *why);

/*
 * Records that dbdeck promoted node `name` at wall_ms (failover.h does, in
 * this process; `dbdeck status` and the console from the audit log), so
 * that a SPLIT-BRAIN report can say which primary is newer where the
 * engine cannot tell (MariaDB; PostgreSQL compares timelines). Unknown
 * names are ignored.
 */
void dd_router_note_promotion(struct dd_router *r, const char *name, int64_t wall_ms);

/* ---- sessions ---- */

/* A new session (read-your-writes state of one caller). Free with dd_session_free. */
struct dd_session *dd_session_new(void);
/* NULL is a no-op. Connections acquired through it must have been released. */
void dd_session_free(struct dd_session *s);
/*
 * Records a write position by hand (e.g. a write made outside the router):
 * the session's reads on r then wait for it like for a routed write. pos NULL
 * or DD_POS_NONE = position unknown (ryw_window applies).
 */
void dd_session_note_write(
    struct dd_session *s, struct dd_router *r, const struct dd_repl_pos *pos);

/* ---- routing ---- */

#define DD_ROUTE_REASON_MAX 320
#define DD_ROUTER_DECISIONS 16

enum dd_route_kind {
	DD_ROUTE_NONE,     /* no node: the call failed */
	DD_ROUTE_PRIMARY,  /* a write or transaction, on the primary */
	DD_ROUTE_REPLICA,  /* a read, on a replica */
	DD_ROUTE_RYW,      /* a read, on the primary for read-your-writes */
	DD_ROUTE_FALLBACK, /* a read, on the primary: no usable replica */
};

/* "none", "primary", "replica", "read-your-writes", "fallback". Static. */
const char *dd_route_kind_name(enum dd_route_kind k);

/* Why a request went where it went. Plain data, copyable. */
struct dd_route_decision {
	enum dd_intent intent;
	enum dd_route_kind kind;
	int node; /* index in the router's nodes; -1 = none */
	char node_name[DD_ROUTER_NAME_MAX];
	int tried;       /* nodes tried (acquire attempts) */
	int result;      /* 0 or a dd_router_err */
	int64_t wall_ms; /* when, UTC ms */
	/* e.g. "read → pg2 (round-robin; pg3 out: lag 3.2 s > lag_max 1 s)" */
	char reason[DD_ROUTE_REASON_MAX];
};

/*
 * Borrows a connection for intent through session s (NULL = no
 * read-your-writes), trying the planned nodes in order until one pool hands
 * out a connection or deadline_ns passes (CLOCK_MONOTONIC;
 * DD_POOL_DEFAULT_DEADLINE = now + the first pool's acquire_timeout). A node
 * whose breaker is open fails fast and the next candidate is tried; a read
 * that finds no usable replica follows no_replica. Waits for the first probe
 * round (bounded by the deadline) when none has finished yet.
 * Returns 0 with *out (give it back with dd_router_release), or a negative
 * dd_router_err with *out = NULL. why (may be NULL) gets the decision either
 * way; it is also kept in the router's last decisions.
 */
int dd_router_acquire(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    int64_t deadline_ns, struct dd_pooled **out, struct dd_route_decision *why);

/*
 * Gives back a connection from dd_router_acquire (takes ownership). For a
 * write or transaction acquired through a session, first reads the write
 * position on it (a short query bounded by the pool's connect timeout) for
 * read-your-writes. NULL pc is a no-op.
 */
void dd_router_release(struct dd_router *r, struct dd_session *s, struct dd_pooled *pc);

/*
 * Acquire, run one statement, release. A read whose statement fails with a
 * node failure (timeout, lost connection) is tried once more on the next
 * candidate if time is left (reads are idempotent); writes are never
 * repeated. Statement deadline: deadline_ns, or DD_POOL_DEFAULT_DEADLINE =
 * now + query_timeout_ms (acquire included). The duration of each statement
 * goes into db_query_duration_seconds{query_type="read|write"}.
 * Returns 0, a routing error, or DD_ROUTER_ERR_QUERY with *err filled (err
 * may be NULL). *out (query): a new result the caller frees; affected may be
 * NULL.
 */
int dd_router_query(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    const char *sql, int64_t deadline_ns, struct dd_result **out, struct dd_route_decision *why,
    struct dd_db_error *err);
int dd_router_exec(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    const char *sql, int64_t deadline_ns, int64_t *affected, struct dd_route_decision *why,
    struct dd_db_error *err);

/*
 * What dd_router_acquire would decide now for intent and s, without
 * acquiring anything or moving the round-robin state: the reason text into
 * buf (always terminated). Returns the node index it would try first, or -1.
 */
int dd_route_explain(
    struct dd_router *r, enum dd_intent intent, struct dd_session *s, char *buf, size_t len);

/*
 * Copies up to max of the last DD_ROUTER_DECISIONS decisions, oldest first;
 * returns how many were copied.
 */
size_t dd_router_decisions(struct dd_router *r, struct dd_route_decision *out, size_t max);

/* ---- the router's view of the cluster ---- */

enum dd_topology {
	DD_TOPO_UNKNOWN,       /* no probe round finished yet */
	DD_TOPO_OK,            /* exactly one writable primary */
	DD_TOPO_NO_PRIMARY,    /* no node says it is a writable primary */
	DD_TOPO_MULTI_PRIMARY, /* more than one does (SPLIT-BRAIN): writes refused, reads go on */
};

/* "unknown", "ok", "no_primary", "multiple_primaries". Static. */
const char *dd_topology_name(enum dd_topology t);

struct dd_router_status {
	enum dd_topology topology;
	int primary;            /* node index writes go to; -1 none */
	int writable_primaries; /* reachable nodes that are writable primaries */
	char why[240]; /* e.g. "SPLIT-BRAIN: pg1 and pg2 accept writes (none routed); keep pg2 ..."
	                */
	uint64_t rounds;            /* probe rounds finished */
	int64_t last_round_wall_ms; /* 0 = none yet */
	int64_t last_round_ms;      /* how long the last round took */
	enum dd_read_policy read_policy;
	enum dd_no_replica no_replica;
	int64_t lag_max_ms;
	int64_t reenter_ms; /* lag at or below which a replica comes back */
	bool writes_held;   /* dd_router_hold_writes */
	char held_why[120];
};

void dd_router_status(struct dd_router *r, struct dd_router_status *out);

/* One node as the router sees it (a copy). */
struct dd_router_node_view {
	char name[DD_ROUTER_NAME_MAX];
	enum dd_role role; /* last known role */
	bool reachable;    /* the latest probe succeeded */
	bool read_only;
	bool is_primary; /* writes go here */
	int weight;
	bool lag_known;
	int64_t lag_ms;               /* replicas, when lag_known */
	struct dd_repl_pos applied;   /* the position the latest probe saw */
	char position[128];           /* applied, formatted */
	int64_t probe_wall_ms;        /* last successful probe, UTC ms; 0 = never */
	int64_t probe_ms;             /* how long the latest probe took */
	char last_error[160];         /* "" when the latest probe succeeded */
	bool replay_paused;           /* PG replica */
	bool io_running, sql_running; /* MariaDB/MySQL replica */
	enum dd_breaker_state breaker;
	bool in_read_set;
	char why[160];      /* why it gets no reads ("" when it does) */
	char lag_why[96];   /* why lag is unknown ("" when known) */
	uint64_t routed[3]; /* connections handed out, by enum dd_intent */
	uint64_t fallback;  /* of which reads that fell back to the primary */
	uint64_t ryw;       /* of which reads kept on the primary for read-your-writes */
	uint64_t failed;    /* acquire attempts on this node that failed */
};

/* Copies up to max nodes (router order = config order); returns how many. */
size_t dd_router_nodes(struct dd_router *r, struct dd_router_node_view *out, size_t max);

/*
 * The full result of the latest successful probe of node i (positions,
 * replica threads and errors, timestamps), for the monitor. Returns false
 * (out untouched) when i is out of range or the node never answered.
 */
bool dd_router_node_info(struct dd_router *r, size_t i, struct dd_role_info *out);

/*
 * The histogram of routed statement durations (dd_router_query/exec), by
 * query type: DD_INTENT_READ → "read", WRITE and TRANSACTION → "write".
 */
void dd_router_query_durations(
    struct dd_router *r, enum dd_intent intent, struct dd_histogram_snapshot *out);

#endif
