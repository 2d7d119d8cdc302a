/*
 * pool_int.h: what the pool's files share (pool.c: life cycle, slot states,
 * counters; pool_acquire.c: acquire/release and the FIFO waiters;
 * pool_maint.c: the maintenance thread; pool_park.c: thread affinity and
 * the lock-free fast path; pool_query.c: statements, breaker reports,
 * retries and the slow-query ring). Not installed.
 *
 * Locking. p->mu guards the slot lists, the waiter queue and the counters,
 * except on the fast path of pool_park.c: a thread returns a clean
 * connection into its own affinity entry and takes it back from there with
 * one atomic swap each, without the lock, while nobody waits.
 * p->gate_mu serializes breaker reports with updates of p->gate (see
 * pool_query.c). p->slow_mu guards the slow-query ring. Lock order: mu before
 * gate_mu; slow_mu alone. No network I/O is done holding any of them.
 */
#ifndef DD_POOL_INT_H
#define DD_POOL_INT_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/metrics.h"
#include "dbdeck/pool.h"

/*
 * A slot's states; each has its own counted list. SLOT_NEW and SLOT_GONE are
 * the ends (no list): a slot is born NEW, reserved as CONNECTING, and ends
 * GONE once its connection is being closed (or was never opened).
 */
enum slot_state {
	SLOT_NEW,
	SLOT_CONNECTING, /* a connect is in progress; holds capacity */
	SLOT_IDLE,       /* open, in the pool */
	SLOT_ACTIVE,     /* borrowed */
	SLOT_CHECKING,   /* liveness ping at checkout */
	SLOT_GONE,       /* leaving: closed outside the lock, then freed */
	SLOT__COUNT
};

/* Keeps data written by different threads on different cache lines. */
#define POOL_CACHE_LINE 64

/* Close reasons beyond the public ones: a connect that failed (nothing was open). */
#define POOL_CLOSE_NONE           (-1)
#define POOL_CLOSE_CONNECT_FAILED (-2)

struct dd_pooled {
	/* Its own cache lines: its borrower writes it, no other thread's slot shares them. */
	alignas(POOL_CACHE_LINE) struct dd_pool *pool;
	struct dd_conn *conn; /* NULL while connecting */
	enum slot_state state;
	struct dd_pooled *next; /* chains GONE slots for closing outside the lock */
	int64_t expires_ns;     /* retire at or after this; INT64_MAX = never */
	int64_t idle_since_ns;  /* when it last became idle (or was opened) */
	int64_t backend_id;
	uint64_t id;
	int64_t stmt_end_ns; /* end of the last pooled statement of this loan, or 0 */
	/*
	 * Statements run on this connection. Only its borrower writes it, so the
	 * count costs no write to a line other threads use; dd_pool_stats() adds
	 * up the slots (and p->queries_gone) under p->mu.
	 */
	atomic_uint_fast64_t queries;
	/* Acquires served by the fast path (pool_park.c); only its borrower writes it. */
	atomic_uint_fast64_t fast_acquires;
	atomic_bool parked; /* in an affinity entry: idle, for the stats */
};

/*
 * The slots in one state, oldest first: v[n - 1] is the most recently added
 * (the head). An array in the pool rather than links in the slots, so that
 * moving a slot writes no other slot: the slots of other threads' loans stay
 * in their caches. cap is max_size + max_overflow, which no state can exceed.
 */
struct slot_list {
	struct dd_pooled **v;
	int n, cap;
};

/* The most recently added slot, or NULL. */
static inline struct dd_pooled *
slot_list_head(const struct slot_list *l)
{
	return l->n > 0 ? l->v[l->n - 1] : NULL;
}

/*
 * An acquirer waiting its turn (lives on its stack). It is done when granted
 * a connection (slot, ACTIVE) or refused (err). While it waits it may be
 * given a job: a CONNECTING slot to open on the pool's behalf. It stays in
 * the queue meanwhile, and the new connection goes to the queue's head like
 * any other, so FIFO order holds and a connection returned during the
 * connect is not wasted.
 */
struct pool_waiter {
	pthread_cond_t cond;
	struct dd_pooled *slot; /* granted */
	struct dd_pooled *job;  /* to connect; set until that connect is finished */
	int err;                /* DD_POOL_ERR_DRAINING when refused */
	bool done;
	struct pool_waiter *prev, *next;
};

/*
 * Thread affinity and parking (pool_park.c). Each thread that returns
 * connections to this pool has an entry, found at its token modulo
 * POOL_AFFINITY_N (or up to three entries further on):
 *   last:   the slot it returned last through the lock (a hint; under p->mu;
 *           pool_slot_set_state() clears it when that slot goes);
 *   parked: a connection it returned on the fast path, still counted as
 *           ACTIVE in the lists but idle in the stats. Whoever swaps it out of
 *           the entry owns it: its thread without any lock (the next
 *           acquire), or a thread holding p->mu that needs it for the shared
 *           idle list (a waiter, an empty idle list, the maintenance pass,
 *           drain). A slot is in at most one entry and never GONE there.
 *   owner:  the thread's token (written under p->mu, read without it).
 * An entry per cache line: a thread's fast path writes only its own line.
 */
#define POOL_AFFINITY_N 64
struct pool_affinity {
	alignas(POOL_CACHE_LINE) atomic_uintptr_t owner; /* thread token, 0 = free */
	struct dd_pooled *last;
	_Atomic(struct dd_pooled *) parked;
};

struct dd_pool {
	/*
	 * What every acquire and release writes comes first, so that after the
	 * context switch of a round trip the fast path finds it in few cache
	 * lines.
	 */
	pthread_mutex_t mu;
	int nwait;
	bool draining;
	uint64_t acquires, zero_waits; /* zero_waits: acquires served at once (not in wait_hist) */
	struct slot_list lists[SLOT__COUNT]; /* the idle and active ones share a line */
	struct dd_pooled **list_mem;         /* the lists' arrays, one block */
	struct pool_waiter *wq_head, *wq_tail;
	atomic_int_fast64_t check_before_ns; /* idle slots idle since before this get a ping */

	bool stopping;             /* the maintenance thread must end */
	pthread_cond_t drain_cond; /* a slot went away while draining (CLOCK_MONOTONIC) */
	pthread_cond_t maint_cond; /* wakes the maintenance thread (CLOCK_MONOTONIC) */
	pthread_t maint_thread;
	bool maint_running;
	uint64_t next_id;
	int peak_total;

	/* counters (under mu) */
	uint64_t created, closed;
	uint64_t closed_by[DD_POOL_CLOSE__COUNT];
	uint64_t errors[DD_POOL_ERROR__COUNT];
	uint64_t handoffs, pings, resets;
	uint64_t queries_gone;          /* statements of the slots that are gone */
	uint64_t fast_acquires_gone;    /* and their fast-path acquires */
	struct dd_histogram *wait_hist; /* waits > 0, recorded under mu: snapshots match acquires */

	/*
	 * Read by every statement and acquire; the gate is written only when a
	 * node failure is reported or the breaker closes again, the rest never
	 * after dd_pool_new. A line of their own, so that reading them does not
	 * pull the lines the other threads are writing.
	 */
	alignas(POOL_CACHE_LINE) atomic_bool gate; /* false: the breaker is known to be closed */
	/*
	 * The fast path may park and take connections: nobody waits, the pool
	 * is not draining and holds no overflow. Written under mu by
	 * pool_fast_sync() when one of them changes.
	 */
	atomic_bool fast_ok;
	int64_t liveness_ns; /* cfg.liveness_idle_ms in ns; -1 = never */
	int max_size;        /* cfg.max_size */
	const struct dd_driver *drv;
	enum dd_engine engine;
	int64_t maint_period_ns;
	struct dd_pool_config cfg;
	struct dd_conn_params params; /* strings owned, except password (borrowed) */
	char name[DD_POOL_NAME_MAX];

	struct pool_affinity affinity[POOL_AFFINITY_N];

	/* breaker */
	alignas(POOL_CACHE_LINE) struct dd_breaker *breaker;
	pthread_mutex_t gate_mu;

	/* slow-query ring */
	pthread_mutex_t slow_mu;
	atomic_uint_fast64_t slow_queries;
	struct dd_slow_query *slow; /* DD_POOL_SLOW_RING entries, made on the first slow query */
	size_t slow_next, slow_n;
};

/* ---- pool.c ---- */

/*
 * The one transition function: moves s to state `to`, keeping the per-state
 * lists and counts, counts connections opened (CONNECTING → IDLE/ACTIVE) and
 * closed with their reason (→ GONE; reason is an enum dd_pool_close_reason, or
 * POOL_CLOSE_CONNECT_FAILED for a connect that never succeeded). Aborts on a
 * transition that cannot happen. Caller holds p->mu.
 */
void pool_slot_set_state(struct dd_pool *p, struct dd_pooled *s, enum slot_state to, int reason);

/* A new slot in SLOT_CONNECTING (capacity reserved). Caller holds p->mu. */
struct dd_pooled *pool_slot_reserve(struct dd_pool *p);

/* Forgets s as any thread's last slot. Caller holds p->mu. */
void pool_affinity_forget(struct dd_pool *p, const struct dd_pooled *s);

/* Slots holding capacity: connecting + idle + active + checking. Caller holds p->mu. */
int pool_total(const struct dd_pool *p);

/* Retirement time for a connection opened at now: lifetime minus 0-2.5 % jitter. */
int64_t pool_expiry(const struct dd_pool *p, int64_t now);

/* Closes s's connection (if any) by a short deadline and frees s. No lock held. */
void pool_slot_destroy(struct dd_pool *p, struct dd_pooled *s, bool goodbye);

/* Sets err (may be NULL) to a pool-level error naming the node. */
void pool_seterr(struct dd_pool *p, struct dd_db_error *err, enum dd_err_class cls, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* ---- pool_acquire.c ---- */

/*
 * A slot that has just become usable (returned, or newly opened; ACTIVE or
 * CONNECTING with its connection): handed to the first waiter if any, else
 * made idle, or, when nobody waits and the pool is above max_size, moved to
 * GONE as overflow. Returns false in that last case: the caller destroys s
 * once it has dropped the lock. Caller holds p->mu.
 */
bool pool_slot_available(struct dd_pool *p, struct dd_pooled *s, int64_t now);

/*
 * Capacity may be free: give connect jobs to waiters that have none, while
 * the pool is below max_size + max_overflow. Caller holds p->mu.
 */
void pool_grant_capacity(struct dd_pool *p);

/* Refuses every waiter (draining). Caller holds p->mu. */
void pool_refuse_waiters(struct dd_pool *p);

/*
 * Returns a clean ACTIVE slot through the lock, as a release does: to the
 * first waiter, the idle list, or closed (draining, overflow). No lock held.
 */
void pool_return(struct dd_pool *p, struct dd_pooled *s, int64_t now);

/* Opens the connection of a CONNECTING slot (no lock held). 0 or -1 with *err. */
int pool_slot_connect(struct dd_pool *p, struct dd_pooled *s, int64_t deadline_ns,
    bool *deadline_was_callers, struct dd_db_error *err);

/* ---- pool_park.c ---- */

/* Re-computes p->fast_ok after nwait, draining or the slot count changed. Caller holds p->mu. */
void pool_fast_sync(struct dd_pool *p);

/* The caller's affinity entry, or NULL (no lock needed). */
struct pool_affinity *pool_affinity_find(struct dd_pool *p);

/* Notes, in the caller's entry (made if need be), that it returned s. Caller holds p->mu. */
void pool_affinity_note(struct dd_pool *p, struct dd_pooled *s);

/*
 * The fast return of a clean, unexpired connection: parks it in the
 * caller's entry. Returns false when it must go back through the lock.
 */
bool pool_park(struct dd_pool *p, struct dd_pooled *s, int64_t now);

/*
 * The fast acquire: the connection the caller parked, if it is still there
 * and needs no liveness check. Returns it ACTIVE and counted, or NULL.
 */
struct dd_pooled *pool_take_parked(struct dd_pool *p, int64_t now);

/*
 * Moves every parked connection to the shared idle list, or hands it to the
 * first waiter. Caller holds p->mu.
 */
void pool_unpark_all(struct dd_pool *p);

/* Parked connections (counted among the ACTIVE ones). Caller holds p->mu. */
int pool_parked_count(const struct dd_pool *p);

/*
 * A test hook at the two points of the park/queue handshake (pool_park.c's
 * top comment): POOL_HOOK_PARK after a release found the fast path open and
 * before it publishes the parked slot; POOL_HOOK_QUEUE when an acquire is
 * about to queue (p->mu held). NULL (always, outside the pool's unit tests).
 */
enum pool_hook_point { POOL_HOOK_PARK, POOL_HOOK_QUEUE };
extern void (*pool_test_hook)(struct dd_pool *p, enum pool_hook_point where);

/* Whether an idle slot should be pinged before it is handed out. */
bool pool_needs_check(const struct dd_pool *p, const struct dd_pooled *s, int64_t now, bool probe);

/* ---- pool_maint.c ---- */

void *pool_maint_main(void *arg);

/* ---- pool_query.c ---- */

/* A node failure (if err says so) goes to the breaker and sets the gate. */
void pool_report_failure(struct dd_pool *p, const struct dd_db_error *err);
/* A success goes to the breaker when the gate is set; clears it when closed. */
void pool_report_success(struct dd_pool *p);
/* Re-reads the breaker's state into the gate (maintenance pass). */
void pool_gate_sync(struct dd_pool *p);

#endif
