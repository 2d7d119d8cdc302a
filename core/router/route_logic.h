/*
 * route_logic.h: the pure decisions of the router (internal, not installed).
 *
 * Everything here is a function of plain data: how far behind a replica is
 * (from positions and timestamps its probe and the primary's probe saw),
 * whether it belongs in the read set (lag budget with hysteresis), which
 * usable replica a read goes to (round-robin, weighted, least-lag), whether a
 * replica has replayed a session's write (read-your-writes), and the reason
 * strings. router.c and router_probe.c feed it under the router's lock; the
 * unit tests in tests/unit/router/ drive it directly. Nothing here locks,
 * allocates, reads a clock or does I/O.
 */
#ifndef DD_ROUTE_LOGIC_H
#define DD_ROUTE_LOGIC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/breaker.h"
#include "dbdeck/config.h"
#include "dbdeck/driver.h"

/* A replica comes back into the read set at or below this share of lag_max. */
#define DD_RL_REENTER_FACTOR 0.8

#define DD_RL_WHY_MAX 160

/* ---- a bounded string builder (always terminated, truncates) ---- */

struct dd_rl_buf {
	char *p;
	size_t len;  /* size of p */
	size_t used; /* strlen(p), at most len - 1 */
};

void dd_rl_buf_init(struct dd_rl_buf *b, char *p, size_t len);
void dd_rl_buf_add(struct dd_rl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A duration for people: "250 ms", "1 s", "3.2 s", "75 s". */
void dd_rl_fmt_ms(int64_t ms, char *buf, size_t len);

/* ---- lag ---- */

#define DD_RL_LSN_HISTORY 64

/*
 * The primary's WAL position at each probe round (PostgreSQL), oldest first
 * in a ring. It turns "the replica has replayed up to X" into time: the
 * replica is behind by at most the time since the last round at which the
 * primary had not yet written past X.
 */
struct dd_rl_lsn_history {
	int n;    /* samples held, <= DD_RL_LSN_HISTORY */
	int head; /* index of the oldest */
	struct {
		int64_t mono_ns;
		uint64_t lsn;
	} s[DD_RL_LSN_HISTORY];
};

void dd_rl_lsn_history_clear(struct dd_rl_lsn_history *h);
/* Appends a sample (the oldest is dropped when full). lsn 0 is ignored. */
void dd_rl_lsn_history_add(struct dd_rl_lsn_history *h, int64_t mono_ns, uint64_t lsn);

/* A computed lag: known (ms >= 0) or unknown with the reason. */
struct dd_rl_lag {
	bool known;
	int64_t ms;
	char why[96]; /* unknown: why ("probe failed", "SQL thread stopped", ...) */
};

/*
 * PostgreSQL replica lag. replica: its latest probe, taken at probe_ns on
 * the monotonic clock. hist: the primary's positions (may be empty when the
 * primary is unknown). Rules, in order:
 *   no replay position → unknown;
 *   replay position >= the primary's newest known position → 0;
 *   else the smaller of (replica now() − pg_last_xact_replay_timestamp()) and
 *   (probe_ns − the last round at which the primary was still at or below
 *   the replay position); either alone when only one is known; else unknown
 *   (a lower bound alone, when the history does not reach back far enough,
 *   is not enough to let a replica in).
 * An idle primary therefore never makes lag grow: the replica's replay
 * position equals the primary's.
 */
void dd_rl_lag_pg(const struct dd_role_info *replica, int64_t probe_ns,
    const struct dd_rl_lsn_history *hist, struct dd_rl_lag *out);

/*
 * MariaDB/MySQL replica lag. primary_binlog: the primary's gtid_binlog_pos
 * from the same round, or NULL when unknown. Rules, in order: no replica
 * status → unknown; SQL thread stopped → unknown; gtid_slave_pos covers the
 * primary's gtid_binlog_pos → 0; Seconds_Behind_Master NULL → unknown; else
 * Seconds_Behind_Master.
 */
void dd_rl_lag_mysql(const struct dd_role_info *replica, const struct dd_gtid_set *primary_binlog,
    struct dd_rl_lag *out);

/*
 * The primary's gtid_binlog_pos at each probe round (MariaDB), oldest first in
 * a ring: the GTID counterpart of dd_rl_lsn_history.
 */
struct dd_rl_gtid_history {
	int n;    /* samples held, <= DD_RL_LSN_HISTORY */
	int head; /* index of the oldest */
	struct {
		int64_t mono_ns;
		struct dd_gtid_set set;
	} s[DD_RL_LSN_HISTORY];
};

void dd_rl_gtid_history_clear(struct dd_rl_gtid_history *h);
/* Appends a sample (the oldest is dropped when full). An empty set is ignored. */
void dd_rl_gtid_history_add(
    struct dd_rl_gtid_history *h, int64_t mono_ns, const struct dd_gtid_set *set);

/*
 * MariaDB/MySQL replica lag from positions, so that it is known (and grows)
 * while the SQL thread is stopped and stays 0 while the primary is idle.
 * replica: its latest probe, taken at probe_ns. hist: the primary's binlog
 * positions (may be NULL or empty). Rules, in order:
 *   no replica status → unknown;
 *   no history → dd_rl_lag_mysql(replica, NULL);
 *   gtid_slave_pos covers the primary's newest position → 0;
 *   else t = probe_ns − the newest round whose position gtid_slave_pos
 *   covers: the smaller of t and Seconds_Behind_Master when the SQL thread
 *   runs and SBM is known, else t;
 *   no round covered (behind every position held) →
 *   dd_rl_lag_mysql(replica, the newest position).
 */
void dd_rl_lag_mysql_hist(const struct dd_role_info *replica, int64_t probe_ns,
    const struct dd_rl_gtid_history *hist, struct dd_rl_lag *out);

/* ---- read set ---- */

/* What the read-set rule looks at for one node. */
struct dd_rl_member {
	bool probed;    /* at least one probe ever succeeded */
	bool reachable; /* the latest probe succeeded */
	enum dd_role role;
	int weight;
	struct dd_rl_lag lag;
	const char *probe_error; /* the latest probe's error when !reachable */
	bool in_read_set;        /* in: the previous state; out: the new one */
};

/*
 * Applies the read-set rule to m (updating m->in_read_set) and writes why
 * the node is out into why ("" when it is in). The rule: only a reachable
 * replica with weight > 0 and a known lag can be in; a member leaves when
 * its lag exceeds lag_max_ms and comes back only when its lag is at or below
 * reenter_factor × lag_max_ms (hysteresis, so a replica hovering around the
 * budget does not flap); a new member enters under the same, stricter,
 * re-entry rule. Returns the new state.
 */
bool dd_rl_read_set_update(
    struct dd_rl_member *m, int64_t lag_max_ms, double reenter_factor, char *why, size_t whylen);

/* ---- replica choice ---- */

/* At most this many candidates per pick (the router's node limit). */
#define DD_RL_MAX_CANDS 64

/* A usable replica offered to the policy. */
struct dd_rl_cand {
	int node;   /* node index in the router, 0 <= node < nodes of dd_rl_pick */
	int weight; /* > 0 */
	int64_t lag_ms;
};

/* The policy's state across picks, one per router. */
struct dd_rl_pick {
	uint64_t rr;   /* round-robin counter */
	int nodes;     /* size of swrr */
	int64_t *swrr; /* smooth weighted round-robin: current weight per node */
};

/*
 * Orders the n candidates for a read into order[] (node indexes): order[0]
 * is the choice, the rest the fallbacks to try when acquiring from it fails.
 * round-robin: rotates over the candidates in node order. weighted: smooth
 * weighted round-robin over the weights (over any run of picks with a fixed
 * candidate set each node gets its share within one pick); fallbacks by
 * descending weight. least-lag: the smallest lag first, ties rotated
 * round-robin. Candidates absent from a pick lose their weighted credit.
 * Returns n (0 when n is 0; n <= DD_RL_MAX_CANDS). Updates st.
 */
int dd_rl_order(
    struct dd_rl_pick *st, enum dd_read_policy pol, const struct dd_rl_cand *c, int n, int *order);

/* ---- read-your-writes ---- */

/*
 * Has a node whose probe at probe_ns saw position `applied` replayed a write
 * made at write_ns to position `want`? Only a probe taken after the write
 * counts, and the position must have reached want (dd_repl_pos_reached).
 */
bool dd_rl_ryw_reached(const struct dd_repl_pos *applied, int64_t probe_ns,
    const struct dd_repl_pos *want, int64_t write_ns);

/* A position for people: "0/3000060", "0-1-42,1-2-7", "unknown". */
void dd_rl_fmt_pos(const struct dd_repl_pos *p, char *buf, size_t len);

#endif
