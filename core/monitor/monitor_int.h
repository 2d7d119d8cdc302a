/*
 * monitor_int.h: the monitor's internals (not installed), shared by
 * monitor.c (threads, scheduling, public calls), probe.c (one node's probe:
 * pool, deltas, slow-query counting), engine_pg.c / engine_my.c (what
 * differs between the engines, one const struct mon_engine each), build.c
 * (snapshot building and alerts), snapshot.c (the refcounted arena a
 * snapshot lives in) and cancel.c.
 *
 * Locks. m->mu guards the round bookkeeping, each node's job fields and
 * which of its two result buffers is the fresh one. A worker fills its
 * node's other buffer without the lock and swaps under it; the builder
 * copies fresh buffers under it. m->snap_mu guards the current snapshot
 * pointer only; m->build_mu makes one builder at a time (and guards the
 * builder's scratch); m->round_mu one round at a time (and run_round's
 * scratch), which matters in one-shot mode, where any thread that calls
 * dd_monitor_refresh_now runs the round. refresh_ms and paused are atomics:
 * written under m->mu (with a kick of the scheduler, which reads them under
 * it), read anywhere through mon_refresh_ms() / mon_paused(). Everything
 * else is set before the threads start and never changes. Nothing does
 * network I/O under m->mu or m->snap_mu.
 */
#ifndef DD_MONITOR_INT_H
#define DD_MONITOR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/alerts.h"
#include "dbdeck/monitor.h"
#include "dbdeck/pool.h"
#include "dbdeck/router.h"
#include "dbdeck/snapshot.h"

#define MON_MAX_SLOW       200 /* slow statements kept per node and round */
#define MON_TOP_STATEMENTS 10  /* by total and by mean time, per node */
#define MON_COMMENT        "/* dbdeck */"

/* ---- reusable string storage: offsets into one growing buffer ---- */

struct strpool {
	char *p;
	size_t len, cap;
};

/* Appends n bytes of s (NULL = "") and a NUL; returns the offset. */
uint32_t sp_add(struct strpool *sp, const char *s, size_t n);
uint32_t sp_adds(struct strpool *sp, const char *s);
static inline const char *
sp_get(const struct strpool *sp, uint32_t off)
{
	return sp->p + off;
}
void sp_reset(struct strpool *sp);
void sp_free(struct strpool *sp);

/* ---- one node's probe result ---- */

struct pquery {
	int64_t pid, started_us;
	double duration_s;
	uint32_t user, database, client, application, state, wait_event, text;
	size_t text_len;
	uint64_t hash;
};

struct ppeer {
	uint32_t name, client, state;
	double write_lag_s, flush_lag_s, replay_lag_s;
	int64_t lag_bytes;
};

struct pstmt {
	uint32_t text;
	int64_t calls, rows;
	double total_ms, mean_ms;
};

/* Cumulative server counters, for the per-second rates. -1 = unknown. */
struct pcounters {
	int64_t queries; /* PG: pg_stat_statements calls; MariaDB: Questions */
	int64_t xacts;   /* PG: xact_commit + xact_rollback; MariaDB: Com_commit + Com_rollback */
	int64_t hits, reads; /* PG: blks_hit, blks_read; MariaDB: read_requests, reads */
};

struct probe_result {
	bool ran;          /* a probe of this node finished (ok or not) */
	bool ok;           /* the server answered the activity probe */
	bool node_failure; /* the failure says the node is down (else: busy pool, breaker) */
	char error[200];
	int64_t wall_ms, start_ns, end_ns;
	char version[96];
	char receive_pos[64]; /* PG replica: pg_last_wal_receive_lsn() */
	int64_t uptime_s;
	int conn_used, conn_max, conn_active, conn_idle, conn_idle_in_txn, conn_waiting;
	double qps, tps, cache_hit;
	int64_t slow_total;
	bool ps_off; /* MariaDB: @@performance_schema = 0 */
	struct strpool sp;
	struct pquery *q;
	int nq, capq;
	struct ppeer peers[DD_SNAP_MAX_REPL];
	int n_peers;
	struct dd_snap_probe_status activity;
	struct dd_snap_probe_status statements;
};

/* The top statements of a node (read every statements_every_ms). */
struct stmt_set {
	struct strpool sp;
	struct pstmt s[2 * MON_TOP_STATEMENTS];
	int n;
};

struct dd_monitor;
struct mcluster;
struct outside;
struct mon_engine;

struct mnode {
	struct dd_monitor *m;
	struct mcluster *cl;
	int index;         /* absolute */
	size_t in_cluster; /* index in the cluster and its router */
	const char *name, *host;
	int port;
	struct dd_pool *pool;
	pthread_t thread;
	bool thread_started;

	/* under m->mu */
	uint64_t job_round, done_round;
	int64_t job_deadline_ns; /* dd_now_mono_ns() time */
	bool job_is_primary;
	bool running;  /* a router worker runs the job (ride.c) */
	bool answered; /* a probe of this node has succeeded (its first deadline is past) */
	int fresh;     /* res[fresh] is the newest finished result */
	int stmt_fresh;
	struct probe_result res[2];
	struct stmt_set stmts[2];

	/* worker only */
	struct pcounters prev;
	int64_t prev_ns;
	double last_cache_hit;
	int64_t slow_total;
	int64_t *seen_pid, *seen_start; /* the slow statements of the previous round */
	int n_seen;
	struct dd_snap_probe_status stmt_w; /* the statements probe's status */
	bool stmts_available; /* the optional probe worked last time (PG: in the stats query) */
	int64_t optional_retry_ns;
	int64_t stmts_next_ns;

	/* builder only */
	int64_t last_ok_ns; /* mono time of the last successful probe; 0 never */
	float lag_hist[DD_SNAP_LAG_SAMPLES];
	int lag_hist_n;
	struct dd_histogram_snapshot prev_wait;
	bool have_prev_wait;
	int wait_settle; /* final builds before waits count (pool_wait_interval) */
	int64_t wait_max_interval_ns;
};

struct dd_patroni;
struct dd_patroni_view;

struct mcluster {
	struct dd_monitor *m;
	int index;
	const char *name;
	enum dd_engine engine;
	const struct mon_engine *eng; /* engine_pg.c / engine_my.c */
	const struct dd_cluster_config *cc;
	struct dd_router *router;
	int first_node, n_nodes;
	struct dd_alert_thresholds th;
	/* application_name of the core's pools and of its probers (core.h): dbdeck's own sessions
	 */
	char app[DD_POOL_NAME_MAX], probe_app[DD_POOL_NAME_MAX + 8];
	/* SQL texts, made once: a round's statement (PG: with pg_stat_statements' calls, or not) */
	char *sql_round, *sql_round_stmts, *sql_statements;
	/* the newest good backup (backup_stale), read at most every MON_BACKUP_EVERY_NS */
	int64_t backup_read_ns; /* 0 = never */
	bool backup_known;
	int64_t backup_newest_ms;
	/* manager = patroni (mon_patroni.c): the client (scheduler thread), the last view (under
	 * build_mu) */
	struct dd_patroni *pt;
	struct dd_patroni_view *pt_view;
	bool pt_ok;
	char pt_err[200];
	/* manager = auto: a Patroni agent found beside a node (its URL; "" none), looked for once
	 */
	bool pt_looked;
	char pt_undeclared[300];
};

struct dd_monitor {
	struct dd_core *core;
	struct dd_clock clock;
	bool oneshot;
	bool read_only; /* options or [console] read_only: actions are refused (cancel.c) */
	struct dd_schema_prober *schema; /* options: summarised into each snapshot, or NULL */
	int64_t started_ns;              /* dd_now_mono_ns() at dd_monitor_new */
	int64_t down_after_opt_ms, statements_every_ms, retry_optional_ms, probe_timeout_ms;
	_Atomic int64_t refresh_ms; /* mon_refresh_ms() */
	_Atomic bool paused;        /* mon_paused() */
	int wake_fd;

	struct mcluster *clusters;
	int n_clusters;
	struct mnode *nodes;
	int n_nodes;

	pthread_mutex_t mu;
	pthread_cond_t job_cv, done_cv, sched_cv;
	bool stop;
	uint64_t round;            /* rounds started */
	int pending;               /* workers of the current round still probing */
	uint64_t rounds_published; /* rounds whose final snapshot is out */
	uint64_t kicks;            /* refresh_now requests */
	pthread_t sched;
	bool sched_started;
	bool riding; /* the routers run the probes (ride.c); else own workers (one-shot) */
	uint64_t *want_rounds; /* n_clusters: the router round each waits for (ride.c) */

	pthread_mutex_t snap_mu;
	const struct dd_snapshot *current;
	uint64_t seq;

	/* builder only (the scheduler thread, or refresh_now in one-shot mode) */
	struct dd_alerts *alerts;
	struct dd_event_log *events;
	struct dd_alert_thresholds *th;    /* n_clusters */
	struct dd_router_node_view *views; /* n_nodes, by absolute index */
	struct dd_role_info *infos;        /* n_nodes */
	bool *have_info;
	struct dd_router_status *rstatus; /* n_clusters */
	struct outside *outside;          /* build.c's scratch */
	bool *posted, *is_primary;        /* run_round's scratch (n_nodes), under round_mu */
	pthread_mutex_t build_mu;         /* one builder at a time */
	pthread_mutex_t round_mu;         /* one round at a time */
};

/* The interval in force and the pause flag, from any thread. */
static inline int64_t
mon_refresh_ms(const struct dd_monitor *m)
{
	return atomic_load_explicit(&m->refresh_ms, memory_order_relaxed);
}

static inline bool
mon_paused(const struct dd_monitor *m)
{
	return atomic_load_explicit(&m->paused, memory_order_relaxed);
}

/* ---- mon_patroni.c: Patroni's view of manager = patroni clusters ---- */
struct snap_build;
void mon_patroni_setup(struct mcluster *mc);
void mon_patroni_free(struct mcluster *mc);
/* GET /cluster of every Patroni cluster (network; not under m->mu), kept under build_mu. */
void mon_patroni_refresh(struct dd_monitor *m);
/* Copies the kept views into the snapshot being built (builder, under build_mu). */
void mon_patroni_fill(struct dd_monitor *m, struct snap_build *b, struct dd_snap_cluster *cls,
    struct dd_snap_node *nodes);
/* A probe's timeout in ms: the option, else 80 % of the interval, at most 2 s (monitor.c). */
int64_t mon_probe_timeout_ms(const struct dd_monitor *m);

/* ---- ride.c: the monitor's rounds ride the routers' (one probe round per node) ---- */
void mon_ride_attach(struct dd_monitor *m);
/* Returns once no router worker is inside the monitor's probe. */
void mon_ride_detach(struct dd_monitor *m);
/* Asks every router for a round now (the monitor's jobs are posted). */
void mon_ride_kick(struct dd_monitor *m);
/* Waits (until deadline_ns) for the rounds asked for: their breakers are fed. */
void mon_ride_wait(struct dd_monitor *m, int64_t deadline_ns);

/* ---- probe.c ---- */
/* One probe of nd into its spare result buffer (the worker thread, without locks). */
void mon_probe_node(struct mnode *nd, int64_t deadline_ns, bool is_primary);
/*
 * The same on conn, the router prober's connection (ride.c), which also fills
 * *info for the router in the same statement (dd_conn_probe_role_with).
 * conn NULL: the prober could not connect (*err). 0, or -1 with *err (also
 * written, as a failure, into the result).
 */
int mon_probe_node_on(struct mnode *nd, struct dd_conn *conn, int64_t deadline_ns, bool is_primary,
    struct dd_role_info *info, struct dd_db_error *err);
uint64_t mon_text_hash(const char *s, size_t n);
void mon_result_free(struct probe_result *r);
void mon_stmts_free(struct stmt_set *s);
/* Adds a slow query row to r (grows r->q). */
struct pquery *mon_result_add_query(struct probe_result *r);

struct probe_ctx {
	struct mnode *nd;
	struct dd_pooled *pc;
	int64_t deadline_ns;
	bool is_primary;
	struct probe_result *r;
	struct pcounters now; /* filled by the stats row */
	/* riding the router's round (ride.c): its connection, and the role it wants */
	struct dd_conn *conn; /* NULL: pc, a connection of the node's pool (one-shot mode) */
	struct dd_role_info *info;
	bool role_done; /* info was filled by the round statement */
};
/*
 * Runs a round statement (sql, eng->round_cols columns) and hands every row
 * to the engine's row reader. 0, or -1 with err when it fails or has no
 * stats row.
 */
int mon_round(struct probe_ctx *c, const char *sql, struct dd_db_error *err);
/* Forgets the rows read by a failed attempt. */
void mon_result_clear_rows(struct probe_result *r);
/* The statements probe's status (why: NULL or "" when ok), shown in the snapshot. */
void mon_stmts_store(struct mnode *nd, bool ok, const char *why);
/* The statements probe cannot run (why): say so, and try again after the back-off. */
void mon_stmts_unavailable(struct mnode *nd, const char *why, int64_t now_ns);
/* Reads the top statements into the spare set and hands it over, or says why not. */
void mon_fetch_statements(struct probe_ctx *c, int64_t now_ns);
/* Whether an optional probe's failure is about the probe (extension, privilege), not the node. */
bool mon_optional_missing(const struct dd_db_error *err);
/* Runs sql on c's connection; -1 with err when it fails or has not ncols columns. */
int mon_run(struct probe_ctx *c, const char *sql, int ncols, struct dd_result **out,
    struct dd_db_error *err);
/* A value of res: -1 / NAN / "" for SQL NULL. */
int64_t mon_v_i64(const struct dd_result *res, int row, int col);
double mon_v_dbl(const struct dd_result *res, int row, int col);
uint32_t mon_v_str(struct strpool *sp, const struct dd_result *res, int row, int col);

/* ---- cancel.c ---- */
/* One cancel or terminate request, for the engine's cancel (all borrowed). */
struct cancel_ctx {
	struct dd_monitor *m;
	struct dd_pooled *pc; /* a connection of the target node's pool */
	const struct dd_query_target *t;
	bool terminate;
	int64_t deadline_ns;
	char *err;
	size_t errlen;
};

/*
 * A test hook between a cancel's re-check of its target and the act (the
 * MariaDB KILL; PostgreSQL checks and acts in one statement). NULL (always,
 * outside the monitor's integration tests).
 */
extern void (*mon_cancel_test_hook)(const struct dd_query_target *t);

/* ---- the engines: engine_pg.c, engine_my.c ---- */
struct snap_build;
struct dd_role_info;

/*
 * What differs between the engines, for the monitor: one const table per
 * engine, filled with designated initializers, as the drivers do
 * (dd_driver_pg, dd_driver_mysql). The rest of the monitor never asks which
 * engine a cluster runs; it calls cl->eng. Every function returns 0, or -1
 * with err filled, unless said otherwise.
 */
struct mon_engine {
	const char *name;
	/* Makes the cluster's SQL texts once (cl->sql_*; monitor.c frees them). */
	void (*make_sql)(struct mcluster *cl);
	/* Columns of the round statement (every row has them all). */
	int round_cols;
	/* One round: the round statement, the optional probe's bookkeeping (probe.c helpers). */
	int (*round)(struct probe_ctx *c, int64_t now_ns, struct dd_db_error *err);
	/* Reads row i of the round statement (now_us: the wall clock); true for the stats row. */
	bool (*read_row)(struct probe_ctx *c, const struct dd_result *res, int i, int64_t now_us);
	/*
	 * The statement reading the top statements (5 columns: text, calls,
	 * total ms, mean ms, rows): cl->sql_statements, or one made for this
	 * server's version into *owned (freed by the caller).
	 */
	const char *(*statements_sql)(struct probe_ctx *c, char **owned);
	/* Why the top statements cannot be read, from the error the server gave. */
	void (*statements_why)(
	    const struct mcluster *cl, const struct dd_db_error *err, char *why, size_t len);
	/* A replica's positions and lag in the snapshot, from the router (primary may be NULL). */
	void (*replication)(struct snap_build *b, struct dd_snap_node *sn,
	    const struct dd_role_info *in, const struct dd_role_info *primary);
	/* Re-checks x->t on the server and cancels or terminates it: enum dd_cancel_result. */
	int (*cancel)(const struct cancel_ctx *x);
};

extern const struct mon_engine mon_engine_pg; /* engine_pg.c */
extern const struct mon_engine mon_engine_my; /* engine_my.c: MariaDB (and MySQL) */

/* ---- build.c ---- */
/* Builds and publishes a snapshot; final: the round is complete (history advances). */
void mon_build_publish(struct dd_monitor *m, bool final);
/* A node with no fresh data for this long is down. */
int64_t mon_down_after_ms(const struct dd_monitor *m);
void mon_build_init(struct dd_monitor *m);
void mon_build_free(struct dd_monitor *m);
void mon_wake(struct dd_monitor *m);

/* ---- snapshot.c: the arena of a snapshot under construction ---- */
struct snap_build;
struct snap_build *snap_build_new(void);
void *snap_alloc(struct snap_build *b, size_t n);
const char *snap_str(struct snap_build *b, const char *s);
const char *snap_strn(struct snap_build *b, const char *s, size_t n);
/* The snapshot being built (write access until snap_build_finish). */
struct dd_snapshot *snap_build_snapshot(struct snap_build *b);
/* Ends building: the snapshot with one reference. */
const struct dd_snapshot *snap_build_finish(struct snap_build *b);

#endif
