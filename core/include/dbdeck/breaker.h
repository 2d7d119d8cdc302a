/*
 * breaker.h: the circuit breaker of one node.
 *
 *   CLOSED --threshold consecutive node failures--> OPEN
 *   OPEN --recovery time elapsed--> HALF_OPEN (one trial call at a time)
 *   HALF_OPEN --trial succeeded--> CLOSED
 *   HALF_OPEN --trial failed--> OPEN (the recovery timer starts again)
 *
 * Only node failures are reported here (connect failures, timeouts, lost
 * connections): the driver's "counts as node failure" predicate decides, and
 * SQL errors never reach the breaker. Every transition goes through one
 * function that keeps a ring of the last DD_BREAKER_HISTORY transitions with
 * their reason. Pure logic over an injected clock; every function is
 * thread-safe (a mutex inside).
 */
#ifndef DBDECK_BREAKER_H
#define DBDECK_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/clock.h"

/* The values are stable: they are db_circuit_breaker_state's 0, 1, 2. */
enum dd_breaker_state {
	DD_BREAKER_CLOSED = 0,
	DD_BREAKER_OPEN = 1,
	DD_BREAKER_HALF_OPEN = 2,
};

/* An operator's override (dd_breaker_force_open / _force_closed / _reset). */
enum dd_breaker_hold {
	DD_BREAKER_AUTO = 0,    /* the state machine runs by itself */
	DD_BREAKER_HELD_OPEN,   /* OPEN until released; no trial calls */
	DD_BREAKER_HELD_CLOSED, /* CLOSED until released; failures are counted, never trip */
};

#define DD_BREAKER_HISTORY    32
#define DD_BREAKER_REASON_MAX 128

#define DD_BREAKER_DEFAULT_THRESHOLD   3
#define DD_BREAKER_DEFAULT_RECOVERY_NS INT64_C(120000000000)

struct dd_breaker_config {
	int threshold;       /* consecutive failures that open it (>= 1); default 3 */
	int64_t recovery_ns; /* OPEN time before a trial; also the trial's slot lifetime; default
	                        120 s */
};

struct dd_breaker_transition {
	enum dd_breaker_state from, to;
	int64_t mono_ns; /* when, on the monotonic clock */
	int64_t wall_ms; /* when, UTC milliseconds since the epoch */
	char reason[DD_BREAKER_REASON_MAX];
};

struct dd_breaker_stats {
	enum dd_breaker_state state;
	enum dd_breaker_hold hold;
	int64_t since_mono_ns; /* when the current state was entered */
	int64_t since_wall_ms;
	int64_t trial_at_mono_ns; /* OPEN: when a trial becomes possible (0 when held open) */
	int consecutive_failures;
	bool trial_in_flight;  /* HALF_OPEN: a trial call is out */
	uint64_t times_opened; /* transitions into OPEN, including forced ones */
	uint64_t failures_total;
	uint64_t successes_total;
	uint64_t rejected_total;                  /* dd_breaker_allow() calls that returned false */
	char last_reason[DD_BREAKER_REASON_MAX];  /* reason of the last transition */
	char last_failure[DD_BREAKER_REASON_MAX]; /* the last reported failure */
};

/* Fills cfg with the defaults above. */
void dd_breaker_config_default(struct dd_breaker_config *cfg);

/*
 * Returns a new CLOSED breaker; free with dd_breaker_free(). name (the node)
 * and cfg are copied; cfg NULL means the defaults, out-of-range fields are
 * clamped (threshold >= 1, recovery >= 0). clock NULL means the real clock;
 * otherwise it is copied and its ctx borrowed until dd_breaker_free().
 */
struct dd_breaker *dd_breaker_new(
    const char *name, const struct dd_breaker_config *cfg, const struct dd_clock *clock);

/* Frees b (NULL is allowed). No call may be running on b. */
void dd_breaker_free(struct dd_breaker *b);

/* The node name given to dd_breaker_new(). Borrowed until dd_breaker_free(). */
const char *dd_breaker_name(const struct dd_breaker *b);

/*
 * May a call go to the node now? CLOSED: yes. OPEN: no, until the recovery
 * time has passed; then the breaker turns HALF_OPEN and this caller gets the
 * trial. HALF_OPEN: yes for exactly one caller (the trial); others get no
 * until that trial reports through dd_breaker_record_success/_failure. A
 * trial that never reports gives up its slot after recovery_ns, and the next
 * caller becomes the trial. The caller of a true answer must report the
 * outcome if the call ends in success or a node failure.
 */
bool dd_breaker_allow(struct dd_breaker *b);

/*
 * The call succeeded: clears the consecutive-failure count; in HALF_OPEN the
 * breaker closes ("trial succeeded"). A success while OPEN (a call admitted
 * before it opened) is counted but changes nothing.
 */
void dd_breaker_record_success(struct dd_breaker *b);

/*
 * The call failed in a way that counts against the node; reason is a short
 * text without secrets (e.g. "timeout after 500 ms", "connection refused"),
 * copied and truncated to DD_BREAKER_REASON_MAX - 1 bytes; NULL means
 * "failure". CLOSED: opens on the threshold-th consecutive failure with the
 * reason "<n> consecutive failures: <reason>". HALF_OPEN: opens again with
 * "trial failed: <reason>".
 */
void dd_breaker_record_failure(struct dd_breaker *b, const char *reason);

/*
 * The outcome of a health probe of the node (the router's role probe), which
 * is not a call the breaker admitted. A failure that counts against the node
 * (node_failure) is recorded like any other; one that does not (ok false,
 * node_failure false: the node answered, with an error) changes nothing. A
 * good probe ends a run of failures (only consecutive ones open the
 * breaker) and, while the breaker is half-open, is its trial.
 */
void dd_breaker_record_probe(struct dd_breaker *b, bool ok, bool node_failure, const char *reason);

/*
 * CLOSED with no failure counted since the last success: nothing a success
 * would change. (The pool skips reporting successes while this holds.)
 */
bool dd_breaker_settled(struct dd_breaker *b);

/*
 * Operator controls; reason (copied, NULL allowed) goes into the history.
 * force_open: OPEN and held there (no trials) until force_closed or reset.
 * force_closed: CLOSED and held there: failures are counted but never trip.
 * reset: back to automatic operation, CLOSED, consecutive failures 0.
 * Each records a history entry even when the state does not change.
 */
void dd_breaker_force_open(struct dd_breaker *b, const char *reason);
void dd_breaker_force_closed(struct dd_breaker *b, const char *reason);
void dd_breaker_reset(struct dd_breaker *b, const char *reason);

/*
 * The current state. Like dd_breaker_stats(), it first applies a transition
 * that is due (OPEN -> HALF_OPEN once the recovery time has passed), so what
 * is shown follows the clock even without traffic.
 */
enum dd_breaker_state dd_breaker_state(struct dd_breaker *b);

/* Copies the counters and state into *out. */
void dd_breaker_stats(struct dd_breaker *b, struct dd_breaker_stats *out);

/*
 * Copies up to max of the most recent transitions into out, oldest first, and
 * returns how many were copied (at most DD_BREAKER_HISTORY are kept).
 */
size_t dd_breaker_history(struct dd_breaker *b, struct dd_breaker_transition *out, size_t max);

/* "closed", "open", "half_open" (the JSON and metrics vocabulary). Static storage. */
const char *dd_breaker_state_name(enum dd_breaker_state s);
/* The same as people read it on screen: "closed", "open", "half-open". Static storage. */
const char *dd_breaker_state_label(enum dd_breaker_state s);

/* "auto", "held_open", "held_closed". Static storage. */
const char *dd_breaker_hold_name(enum dd_breaker_hold h);

#endif
