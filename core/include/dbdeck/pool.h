/*
 * pool.h: the connection pool of libdbdeck, one pool per database node.
 *
 * A pool keeps up to max_size regular connections to one node and opens up
 * to max_overflow more under load (closed again when they come back and
 * nobody waits). Callers borrow a connection with dd_pool_acquire() and give
 * it back with dd_pool_release(). On the way back a connection is reset only
 * when its session is dirty (open transaction → ROLLBACK; changed session
 * state → DISCARD ALL / mysql_reset_connection), through the driver. A broken
 * connection (the driver says so, or the reset failed) is closed and never
 * handed out again.
 *
 * Reuse. Idle connections are handed out most recently used first, and a
 * thread gets back the connection it returned last when that one is idle
 * (as with a dedicated connection, the session stays with its thread), so
 * unneeded connections age out through idle_timeout.
 *
 * Waiting. When every connection is out and no more may be opened, acquirers
 * wait in a FIFO queue, each on its own condition variable: a returned
 * connection goes straight to the first waiter. Nobody waits past its
 * deadline (CLOCK_MONOTONIC). No network I/O (connect, ping, reset, close)
 * ever happens under the pool's mutex.
 *
 * Liveness. A connection idle for at least liveness_idle_ms is pinged when
 * it is checked out (so a busy connection is never pinged); a failed ping
 * closes it and the acquire goes on with another one. After any node failure
 * the idle connections opened before it are pinged at their next checkout.
 *
 * Retirement. Connections older than max_lifetime_ms (minus a random 0-2.5 %,
 * so they do not all retire at once) are closed when they come back or when
 * the maintenance thread finds them idle; idle ones past idle_timeout_ms are
 * closed down to min_idle. The maintenance thread (one per pool) keeps
 * min_idle connections open.
 *
 * Circuit breaker. Each pool owns its node's breaker (breaker.h):
 *   - connect failures, failed liveness pings, and timeouts / lost
 *     connections during the pooled query helpers (dd_pool_query/exec/run_*)
 *     are reported as failures; SQL errors, auth failures and cancels are not
 *     (dd_db_error_is_node_failure() decides);
 *   - while the breaker is OPEN, dd_pool_acquire() fails at once with
 *     DD_POOL_ERR_BREAKER_OPEN without touching the network;
 *   - in HALF_OPEN exactly one acquire is let through as the trial: it opens a
 *     new connection or pings an idle one, and that outcome closes or re-opens
 *     the breaker before the acquire returns.
 * Outcomes learnt outside the pool (the router's role probes) go through
 * dd_pool_report_probe, and operator controls through
 * dd_pool_breaker_force_open/_force_closed/_reset: the next acquire obeys
 * both. (So that the uncontended acquire stays lock-free, the pool consults
 * the breaker only while it is not known to be closed and clear of failures;
 * controls applied directly to dd_pool_breaker() are noticed by the
 * maintenance thread within one maintenance period.)
 *
 * Threads. Every function is thread-safe except that one struct dd_pooled is
 * used by one thread at a time (its borrower).
 */
#ifndef DBDECK_POOL_H
#define DBDECK_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/breaker.h"
#include "dbdeck/driver.h"
#include "dbdeck/engine.h"
#include "dbdeck/metrics.h"
#include "dbdeck/retry.h"
#include "dbdeck/text.h"

struct dd_pool;
/* A borrowed connection: from dd_pool_acquire() until dd_pool_release(). */
struct dd_pooled;

/* ------------------------------------------------------------------ */
/* Settings                                                           */

#define DD_POOL_NAME_MAX 64

/*
 * The pool's settings (durations in milliseconds, like the config file).
 * 0 disables a duration where noted. dd_pool_config_default() fills the
 * defaults given here (those of the config file's [cluster] keys);
 * dd_pool_new() clamps out-of-range values.
 */
struct dd_pool_config {
	int min_idle;               /* kept open by the maintenance thread; default 1 */
	int max_size;               /* regular connections (pool_size); default 20, 1..100000 */
	int max_overflow;           /* extra connections under load; default 10, 0..100000 */
	int64_t acquire_timeout_ms; /* default wait of dd_pool_acquire; default 5000 */
	int64_t max_lifetime_ms;    /* 0 = unlimited; default 3600000 (1 h) */
	int64_t idle_timeout_ms;    /* 0 = never; default 600000 (10 min) */
	/* Ping at checkout when idle at least this long; 0 = every checkout, < 0 = never. */
	int64_t liveness_idle_ms;   /* default 30000 */
	int64_t connect_timeout_ms; /* default 3000 */
	/* Default deadline of the statement helpers; 0 = none. */
	int64_t query_timeout_ms; /* default 10000 */
	/* Slower statements go to the slow-query ring; 0 = off. */
	int64_t slow_query_ms; /* default 100 */
	/* Maintenance period; 0 = automatic (1 s, shorter for short timeouts). */
	int64_t maintenance_ms;
	/* "" = the params' application_name, else "dbdeck". */
	char application_name[DD_POOL_NAME_MAX];
	/* The node's circuit breaker: threshold, recovery_ns (breaker.h defaults). */
	struct dd_breaker_config breaker;
};

/* Fills cfg with the defaults above. */
void dd_pool_config_default(struct dd_pool_config *cfg);

/* ------------------------------------------------------------------ */
/* Errors                                                             */

/* Return values of dd_pool_acquire() and the pooled query helpers. */
enum dd_pool_err {
	DD_POOL_OK = 0,
	DD_POOL_ERR_TIMEOUT = -1,      /* no connection before the acquire deadline */
	DD_POOL_ERR_CONNECT = -2,      /* a new connection could not be opened */
	DD_POOL_ERR_AUTH = -3,         /* the server refused the credentials */
	DD_POOL_ERR_BREAKER_OPEN = -4, /* the node's circuit breaker is open: fail fast */
	DD_POOL_ERR_DRAINING = -5,     /* the pool is draining or freed: no new borrowers */
	DD_POOL_ERR_QUERY = -6, /* (query helpers) the statement failed; see the dd_db_error */
};

/* "ok", "timeout", "connect", "auth", "breaker_open", "draining", "query". Static. */
const char *dd_pool_err_name(int code);

/* Why a connection was closed; counted in dd_pool_stats.closed_by. */
enum dd_pool_close_reason {
	DD_POOL_CLOSE_LIFETIME,     /* older than max_lifetime */
	DD_POOL_CLOSE_IDLE,         /* idle longer than idle_timeout, above min_idle */
	DD_POOL_CLOSE_BROKEN,       /* the driver marked it broken, or a liveness ping failed */
	DD_POOL_CLOSE_OVERFLOW,     /* an overflow connection came back and nobody waited */
	DD_POOL_CLOSE_DRAIN,        /* dd_pool_drain / dd_pool_free */
	DD_POOL_CLOSE_RESET_FAILED, /* the reset on return failed */
	DD_POOL_CLOSE_DISCARDED,    /* the borrower asked for it (dd_pool_discard) */
	DD_POOL_CLOSE__COUNT
};

/* "lifetime", "idle", "broken", "overflow", "drain", "reset_failed", "discarded". */
const char *dd_pool_close_reason_name(enum dd_pool_close_reason r);

/* Error counters (dd_pool_stats.errors), the `reason` label of db_connection_pool_errors_total. */
enum dd_pool_error_reason {
	DD_POOL_ERROR_TIMEOUT,      /* an acquire timed out */
	DD_POOL_ERROR_CONNECT,      /* a connect failed (not auth) */
	DD_POOL_ERROR_AUTH,         /* a connect was refused for the credentials */
	DD_POOL_ERROR_BROKEN,       /* a connection turned out broken (query, ping or reset) */
	DD_POOL_ERROR_BREAKER_OPEN, /* an acquire failed fast on the open breaker */
	DD_POOL_ERROR__COUNT
};

/* "timeout", "connect", "auth", "broken", "breaker_open". Static. */
const char *dd_pool_error_reason_name(enum dd_pool_error_reason r);

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */

/*
 * Creates a pool for one node and starts its maintenance thread (which opens
 * min_idle connections in the background; dd_pool_new itself does no network
 * I/O). Returns a new pool (free with dd_pool_free), or NULL with the reason
 * in err.
 *   drv: the engine's driver table (static storage); NULL = dd_driver_for(engine).
 *   engine: passed to the driver's connect (the mysql table serves MariaDB and MySQL).
 *   params: copied, EXCEPT params->password: the pool keeps that pointer
 *     (borrowed) and reads it at every connect, from any of its threads. It
 *     points into the vault's secure (sodium_malloc) memory, which must stay
 *     valid and unchanged until dd_pool_free() returns. The pool never copies it.
 *   cfg: copied; NULL = defaults.
 *   node_name: copied (truncated to DD_POOL_NAME_MAX - 1); names the breaker too.
 */
struct dd_pool *dd_pool_new(const struct dd_driver *drv, enum dd_engine engine,
    const struct dd_conn_params *params, const struct dd_pool_config *cfg, const char *node_name,
    char *err, size_t errlen);

/*
 * Stops handing out connections (later acquires and current waiters fail with
 * DD_POOL_ERR_DRAINING), closes the idle ones, and waits until every borrowed
 * connection came back (each is closed as it returns) or until deadline_ns
 * (CLOCK_MONOTONIC; DD_NO_DEADLINE = wait forever). Returns 0 when no
 * connection is left, or the number still borrowed. Idempotent.
 */
int dd_pool_drain(struct dd_pool *p, int64_t deadline_ns);

/*
 * Drains (without waiting), stops the maintenance thread and frees the pool.
 * Every connection must have been released before: one still borrowed is a
 * bug in the caller, reported on stderr, and aborts. NULL is a no-op.
 */
void dd_pool_free(struct dd_pool *p);

/* The node name given to dd_pool_new. Borrowed until dd_pool_free. */
const char *dd_pool_name(const struct dd_pool *p);
enum dd_engine dd_pool_engine(const struct dd_pool *p);
/* The settings in use (after clamping). Borrowed until dd_pool_free. */
const struct dd_pool_config *dd_pool_get_config(const struct dd_pool *p);

/*
 * The node's circuit breaker, owned by the pool: borrowed until dd_pool_free.
 * Callers may read it and apply operator controls to it.
 */
struct dd_breaker *dd_pool_breaker(struct dd_pool *p);

/*
 * A health probe of the node made outside the pool (the router's): its
 * outcome goes to the node's breaker as dd_breaker_record_probe() says, and
 * the pool's acquires follow at once (a breaker it opens refuses the next
 * acquire; a failure it counts is cleared by the pool's next success).
 * reason: a short text without secrets, copied; may be NULL.
 */
void dd_pool_report_probe(struct dd_pool *p, bool ok, bool node_failure, const char *reason);

/* Operator controls on the node's breaker (breaker.h); reason copied, may be NULL. */
void dd_pool_breaker_force_open(struct dd_pool *p, const char *reason);
void dd_pool_breaker_force_closed(struct dd_pool *p, const char *reason);
void dd_pool_breaker_reset(struct dd_pool *p, const char *reason);

/* ------------------------------------------------------------------ */
/* Borrowing                                                          */

/* Pass as deadline_ns to use the configured acquire_timeout_ms / query_timeout_ms. */
#define DD_POOL_DEFAULT_DEADLINE INT64_C(0)

/* An absolute deadline ms milliseconds from now (CLOCK_MONOTONIC ns), for the calls here. */
int64_t dd_pool_deadline_in(int64_t ms);

/*
 * Borrows a connection, waiting in FIFO order until deadline_ns at most
 * (CLOCK_MONOTONIC; DD_POOL_DEFAULT_DEADLINE = now + acquire_timeout_ms).
 * Returns DD_POOL_OK with *out set (give it back with dd_pool_release or
 * dd_pool_discard), or a negative enum dd_pool_err with *out = NULL. err may
 * be NULL; on failure it gets the driver's error for CONNECT/AUTH, and for the
 * pool's own errors cls DD_ERR_TIMEOUT (timeout) or DD_ERR_TRANSIENT
 * (breaker open, draining) with a message naming the node.
 */
int dd_pool_acquire(
    struct dd_pool *p, int64_t deadline_ns, struct dd_pooled **out, struct dd_db_error *err);

/*
 * Gives pc back (takes ownership; pc must not be used afterwards). A dirty
 * session is reset first, a broken, expired or overflow connection closed.
 * May do network I/O (the reset, a close) on the caller's thread, bounded by
 * connect_timeout_ms. NULL is a no-op.
 */
void dd_pool_release(struct dd_pooled *pc);

/* Gives pc back and closes it (reason "discarded"). NULL is a no-op. */
void dd_pool_discard(struct dd_pooled *pc);

/* The driver connection of pc: borrowed until pc is released. */
struct dd_conn *dd_pooled_conn(struct dd_pooled *pc);
/* The pool pc came from: borrowed until dd_pool_free. */
struct dd_pool *dd_pooled_pool(const struct dd_pooled *pc);
/* The server's id of the session (PG backend pid, MySQL thread id). */
int64_t dd_pooled_backend_id(const struct dd_pooled *pc);

/* ------------------------------------------------------------------ */
/* Statements on a borrowed connection                                */

/*
 * dd_conn_query / dd_conn_exec on pc's connection, timed: a statement slower
 * than slow_query_ms goes into the slow-query ring (normalized, see below),
 * and a node failure (timeout, lost connection) is reported to the breaker,
 * a success as a success. deadline_ns: absolute (CLOCK_MONOTONIC), or
 * DD_POOL_DEFAULT_DEADLINE = now + query_timeout_ms (none when 0).
 * Return 0, or -1 with *err filled (err must not be NULL). A failed statement
 * may leave pc broken: release it anyway, the pool closes it.
 * *out: a new result the caller frees (dd_result_free). affected may be NULL.
 */
int dd_pool_query(struct dd_pooled *pc, const char *sql, int64_t deadline_ns,
    struct dd_result **out, struct dd_db_error *err);
int dd_pool_exec(struct dd_pooled *pc, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err);

/* How dd_pool_run_query / dd_pool_run_exec may retry. */
struct dd_pool_call {
	/* Retry policy (copied); NULL = one attempt only. */
	const struct dd_retry_policy *retry;
	/*
	 * Running the statement twice does no harm (a read, or a write the
	 * caller knows is safe). A statement that is not idempotent is retried
	 * only when it certainly never reached the server (acquire or connect
	 * failed).
	 */
	bool idempotent;
	/* Per-attempt statement deadline; 0 = query_timeout_ms. */
	int64_t timeout_ms;
	/* Per-attempt acquire wait; 0 = acquire_timeout_ms. */
	int64_t acquire_timeout_ms;
};

/*
 * Acquire, run one statement, release, as one call. Transient errors,
 * timeouts and lost connections are retried with backoff and full jitter
 * (retry.h) on a fresh connection, within call->retry's budget; permanent and
 * auth errors, an open breaker and draining are not. call NULL = one attempt.
 * Returns DD_POOL_OK, an acquire error, or DD_POOL_ERR_QUERY; *err describes
 * the last failure. *out (run_query): a new result the caller frees.
 * *attempts (may be NULL): how many attempts were made.
 */
int dd_pool_run_query(struct dd_pool *p, const char *sql, const struct dd_pool_call *call,
    struct dd_result **out, int *attempts, struct dd_db_error *err);
int dd_pool_run_exec(struct dd_pool *p, const char *sql, const struct dd_pool_call *call,
    int64_t *affected, int *attempts, struct dd_db_error *err);

/* ------------------------------------------------------------------ */
/* Counters                                                           */

/*
 * One consistent snapshot, taken under the pool's lock. The identity
 *     created - closed == idle + active + checking
 * always holds; connecting slots hold capacity but are not yet created.
 */
struct dd_pool_stats {
	int max_size, max_overflow, min_idle;
	int active;          /* borrowed */
	int idle;            /* ready in the pool (parked ones included) */
	int waiting;         /* acquirers in the FIFO queue */
	int connecting;      /* connects in progress */
	int checking;        /* liveness ping at checkout in progress */
	int total;           /* active + idle + connecting + checking */
	int overflow_in_use; /* max(0, total - max_size) */
	int peak_total;      /* the highest total so far (never above max_size + max_overflow;
	                      * connections being closed are no longer counted) */
	bool draining;
	uint64_t created; /* connections opened */
	uint64_t closed;  /* connections closed, any reason */
	uint64_t closed_by[DD_POOL_CLOSE__COUNT];
	uint64_t errors[DD_POOL_ERROR__COUNT];
	uint64_t acquires;     /* successful acquires */
	uint64_t handoffs;     /* acquires served directly by a releasing thread */
	uint64_t fast;         /* acquires served lock-free: the connection the thread parked */
	uint64_t pings;        /* liveness pings sent at checkout */
	uint64_t resets;       /* resets on return (dirty sessions) */
	uint64_t queries;      /* statements run through the query helpers */
	uint64_t slow_queries; /* of which slower than slow_query_ms */
	/* Wait time of successful acquires (0 when served without waiting). */
	uint64_t wait_count; /* == acquires */
	int64_t wait_sum_ns, wait_max_ns;
	int64_t wait_p50_ns, wait_p95_ns, wait_p99_ns; /* interpolated from the histogram */
	struct dd_histogram_snapshot wait_hist; /* for db_connection_pool_wait_time_seconds */
	enum dd_breaker_state breaker;
};

/* Fills *out (see above). */
void dd_pool_stats(struct dd_pool *p, struct dd_pool_stats *out);

/* ------------------------------------------------------------------ */
/* Slow-query log                                                     */

#define DD_POOL_SLOW_RING 256
#define DD_POOL_SQL_MAX   512

/*
 * A statement slower than slow_query_ms. sql is normalized: literals replaced
 * by '?' and comments removed (dd_sql_normalize, text.h), so no data leaks.
 */
struct dd_slow_query {
	char sql[DD_POOL_SQL_MAX];
	int64_t duration_ns;
	int64_t rows;    /* rows returned (query) or affected (exec); -1 on failure */
	int64_t wall_ms; /* when it finished, UTC ms */
	char node[DD_POOL_NAME_MAX];
	bool failed;
};

/*
 * Copies up to max of the most recent slow queries (at most DD_POOL_SLOW_RING
 * are kept; older ones are overwritten) into out, oldest first; returns how
 * many were copied.
 */
size_t dd_pool_slow_queries(struct dd_pool *p, struct dd_slow_query *out, size_t max);

#endif
