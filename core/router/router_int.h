/*
 * router_int.h: the router's private state, shared by its files (internal).
 *
 *   router.c        life cycle, accessors, the view copies
 *   router_probe.c  the prober: a coordinator and one worker per node, and
 *                   how a finished round updates roles, lag and the read set
 *   router_route.c  planning a route, acquiring along the plan, explaining
 *   router_session.c sessions (read-your-writes) and the query helpers
 *   route_logic.c   the pure decisions, unit-tested on their own
 *
 * Locks. r->mu guards the view (everything under "view" below), the pick
 * state, the decision ring and the counters; it is held only for short
 * computations, never across network I/O. r->pmu guards the prober's job
 * and result slots. The two are never held together. Breakers (their own
 * mutex) may be read while r->mu is held.
 */
#ifndef DD_ROUTER_INT_H
#define DD_ROUTER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "dbdeck/router.h"
#include "router/route_logic.h"

/* What a worker found in one round (under r->pmu). */
struct rnode_result {
	bool ok;
	bool node_failure; /* counts against the node's breaker */
	struct dd_role_info info;
	char error[160]; /* the full message */
	char brief[64];  /* a few words for reasons: "connect timed out" */
	int64_t start_ns, end_ns;
	int64_t wall_ms;
};

struct rnode {
	char name[DD_ROUTER_NAME_MAX];
	int weight;
	struct dd_pool *pool;

	/* The prober's connection parameters: owned copies, password borrowed. */
	struct dd_conn_params params;
	char *host, *database, *user, *tls_ca, *tls_cert, *tls_key, *app_name;

	/* view (r->mu) */
	bool probed;              /* a probe ever succeeded */
	bool reachable;           /* the latest probe succeeded */
	struct dd_role_info info; /* from the latest successful probe */
	int64_t probe_ns;         /* its start, monotonic */
	int64_t probe_wall_ms;
	int64_t probe_ms; /* duration of the latest probe */
	char last_error[160];
	char last_brief[64];
	struct dd_rl_lag lag;
	bool in_read_set;
	char why[DD_RL_WHY_MAX];
	uint64_t routed[3], fallback, ryw, failed;
	int64_t promoted_ms; /* dd_router_note_promotion: when dbdeck promoted it; 0 never */

	/* prober (r->pmu) */
	pthread_t thread;
	bool thread_started;
	uint64_t job_round;  /* the round it is asked to run */
	uint64_t done_round; /* the last round it finished */
	int64_t job_deadline_ns;
	bool has_conn; /* the worker kept a connection after its last probe */
	struct rnode_result res;

	/* worker thread only */
	struct dd_conn *conn;
};

struct dd_router {
	uint64_t id; /* unique per process: the sessions' key */
	struct dd_router_config cfg;
	char cluster[DD_ROUTER_NAME_MAX];
	size_t n;
	struct rnode *nodes;

	pthread_mutex_t mu;
	pthread_cond_t round_cv; /* a round finished (monotonic clock) */
	bool stopping;
	/* view (mu) */
	uint64_t rounds_done;
	int64_t last_round_wall_ms, last_round_ms;
	enum dd_topology topo;
	int primary; /* -1 none */
	int writable;
	char topo_why[240];
	bool held;                    /* dd_router_hold_writes */
	_Atomic int64_t last_kick_ns; /* router_kick's rate limit */
	char held_why[120];
	struct dd_rl_lsn_history hist;   /* PG: the primary's positions */
	int hist_primary;                /* the node hist and ghist belong to */
	struct dd_rl_gtid_history ghist; /* MariaDB: the primary's binlog positions */
	struct dd_rl_pick pick;
	int64_t swrr[DD_ROUTER_MAX_NODES];
	struct dd_route_decision ring[DD_ROUTER_DECISIONS];
	int ring_n, ring_head;

	struct dd_histogram *qdur[2]; /* 0 read, 1 write */

	/* prober (pmu) */
	pthread_mutex_t pmu;
	pthread_cond_t job_cv;  /* workers wait for a round */
	pthread_cond_t done_cv; /* the coordinator waits for results / kicks */
	uint64_t round;         /* the latest round started */
	uint64_t kicks;         /* dd_router_probe_now requests */
	bool pstop;
	struct dd_router_rider rider; /* probe NULL: none */
	int rider_busy;               /* workers inside rider.probe */
	pthread_t coord;
	bool coord_started;
};

/* router.c: dd_router_new, optionally without the prober (unit tests feed rounds). */
struct dd_router *router_new(const struct dd_router_config *cfg, const struct dd_router_node *nodes,
    size_t n, bool start_prober, char *err, size_t errlen);

/* router_probe.c */
int router_prober_start(struct dd_router *r, char *err, size_t errlen);
void router_prober_stop(struct dd_router *r);
/* Applies one finished round (res[i] per node, NULL = not run) under r->mu. */
void router_apply_round(
    struct dd_router *r, const struct rnode_result *res, int64_t start_ns, int64_t end_ns);

/*
 * Starts a probe round now without waiting for it (router.c), at most once
 * per 50 ms: writes that fail because the primary changed call it.
 */
void router_kick(struct dd_router *r);

/* router_route.c */
/* Acquire skipping nodes in exclude (bit i = node i). */
int router_acquire_ex(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    int64_t deadline_ns, uint64_t exclude, struct dd_pooled **out, struct dd_route_decision *why);

/* router_session.c */
/* The session's read-your-writes state for r: copies into the out params. */
void session_ryw_get(struct dd_session *s, const struct dd_router *r, bool *has_write,
    struct dd_repl_pos *pos, int64_t *write_ns);
/* Remembers that pc was acquired through s for intent. */
void session_hold(
    struct dd_session *s, struct dd_router *r, struct dd_pooled *pc, enum dd_intent intent);

#endif
