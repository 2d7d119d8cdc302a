/*
 * breaker.c: the per-node circuit breaker of breaker.h.
 *
 * All state sits behind one mutex and changes only through breaker_move(),
 * which records the transition (from, to, both clocks, reason) in a ring of
 * DD_BREAKER_HISTORY entries and keeps the counters right. Time-driven moves
 * (OPEN -> HALF_OPEN) are applied lazily by breaker_tick() whenever someone
 * asks (allow, state, stats), so no timer thread is needed.
 */
#include "dbdeck/breaker.h"

#include "util/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dd_breaker {
	pthread_mutex_t mu;
	char *name;
	struct dd_breaker_config cfg;
	struct dd_clock clock;

	enum dd_breaker_state state;
	enum dd_breaker_hold hold;
	int64_t since_mono_ns;
	int64_t since_wall_ms;
	bool trial_in_flight;
	int64_t trial_start_ns;

	int consecutive_failures;
	uint64_t times_opened;
	uint64_t failures_total;
	uint64_t successes_total;
	uint64_t rejected_total;
	char last_failure[DD_BREAKER_REASON_MAX];

	struct dd_breaker_transition ring[DD_BREAKER_HISTORY];
	size_t ring_next; /* slot the next transition goes to */
	size_t ring_len;  /* entries in use, <= DD_BREAKER_HISTORY */
};

void
dd_breaker_config_default(struct dd_breaker_config *cfg)
{
	cfg->threshold = DD_BREAKER_DEFAULT_THRESHOLD;
	cfg->recovery_ns = DD_BREAKER_DEFAULT_RECOVERY_NS;
}

struct dd_breaker *
dd_breaker_new(const char *name, const struct dd_breaker_config *cfg, const struct dd_clock *clock)
{
	struct dd_breaker *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->name = xstrdup(name ? name : "");
	if (cfg)
		b->cfg = *cfg;
	else
		dd_breaker_config_default(&b->cfg);
	if (b->cfg.threshold < 1)
		b->cfg.threshold = 1;
	if (b->cfg.recovery_ns < 0)
		b->cfg.recovery_ns = 0;
	b->clock = clock ? *clock : *dd_clock_default();
	b->state = DD_BREAKER_CLOSED;
	b->hold = DD_BREAKER_AUTO;
	b->since_mono_ns = b->clock.mono_ns(b->clock.ctx);
	b->since_wall_ms = b->clock.wall_ms(b->clock.ctx);
	return b;
}

void
dd_breaker_free(struct dd_breaker *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b->name);
	free(b);
}

const char *
dd_breaker_name(const struct dd_breaker *b)
{
	return b->name;
}

static int64_t
now_ns(const struct dd_breaker *b)
{
	return b->clock.mono_ns(b->clock.ctx);
}

/*
 * The one transition function: moves b to `to` at time now, records the
 * transition with its reason and updates the counters. Caller holds b->mu.
 */
__attribute__((format(printf, 4, 5))) static void
breaker_move(struct dd_breaker *b, enum dd_breaker_state to, int64_t now, const char *fmt, ...)
{
	struct dd_breaker_transition *t = &b->ring[b->ring_next];
	va_list ap;

	t->from = b->state;
	t->to = to;
	t->mono_ns = now;
	t->wall_ms = b->clock.wall_ms(b->clock.ctx);
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
	b->ring_next = (b->ring_next + 1) % DD_BREAKER_HISTORY;
	if (b->ring_len < DD_BREAKER_HISTORY)
		b->ring_len++;

	if (to == DD_BREAKER_OPEN && b->state != DD_BREAKER_OPEN)
		b->times_opened++;
	if (to == DD_BREAKER_CLOSED)
		b->consecutive_failures = 0;
	b->trial_in_flight = false;
	b->state = to;
	b->since_mono_ns = t->mono_ns;
	b->since_wall_ms = t->wall_ms;
}

/* Applies the time-driven transition if it is due. Caller holds b->mu. */
static void
breaker_tick(struct dd_breaker *b, int64_t now)
{
	if (b->state == DD_BREAKER_OPEN && b->hold == DD_BREAKER_AUTO &&
	    now - b->since_mono_ns >= b->cfg.recovery_ns)
		breaker_move(b, DD_BREAKER_HALF_OPEN, now, "recovery time elapsed");
}

/* HALF_OPEN: grants the trial slot if it is free or its holder went silent. */
static bool
breaker_take_trial(struct dd_breaker *b, int64_t now)
{
	if (b->trial_in_flight && now - b->trial_start_ns < b->cfg.recovery_ns)
		return false;
	b->trial_in_flight = true;
	b->trial_start_ns = now;
	return true;
}

bool
dd_breaker_allow(struct dd_breaker *b)
{
	bool ok = false;

	pthread_mutex_lock(&b->mu);
	int64_t now = now_ns(b);
	breaker_tick(b, now);
	switch (b->state) {
	case DD_BREAKER_CLOSED: ok = true; break;
	case DD_BREAKER_OPEN: ok = false; break;
	case DD_BREAKER_HALF_OPEN: ok = breaker_take_trial(b, now); break;
	}
	if (!ok)
		b->rejected_total++;
	pthread_mutex_unlock(&b->mu);
	return ok;
}

void
dd_breaker_record_success(struct dd_breaker *b)
{
	pthread_mutex_lock(&b->mu);
	b->successes_total++;
	b->consecutive_failures = 0;
	if (b->state == DD_BREAKER_HALF_OPEN)
		breaker_move(b, DD_BREAKER_CLOSED, now_ns(b), "trial succeeded");
	pthread_mutex_unlock(&b->mu);
}

void
dd_breaker_record_failure(struct dd_breaker *b, const char *reason)
{
	if (!reason || !*reason)
		reason = "failure";
	pthread_mutex_lock(&b->mu);
	b->failures_total++;
	b->consecutive_failures++;
	dd_strlcpy(b->last_failure, reason, sizeof(b->last_failure));
	if (b->state == DD_BREAKER_HALF_OPEN) {
		breaker_move(b, DD_BREAKER_OPEN, now_ns(b), "trial failed: %s", b->last_failure);
	} else if (b->state == DD_BREAKER_CLOSED && b->hold == DD_BREAKER_AUTO &&
	           b->consecutive_failures >= b->cfg.threshold) {
		breaker_move(b, DD_BREAKER_OPEN, now_ns(b), "%d consecutive failures: %s",
		    b->consecutive_failures, b->last_failure);
	}
	pthread_mutex_unlock(&b->mu);
}

void
dd_breaker_record_probe(struct dd_breaker *b, bool ok, bool node_failure, const char *reason)
{
	bool trial;

	if (!ok) {
		if (node_failure)
			dd_breaker_record_failure(b, reason);
		return;
	}
	pthread_mutex_lock(&b->mu);
	int64_t now = now_ns(b);
	breaker_tick(b, now);
	trial = b->state == DD_BREAKER_HALF_OPEN && breaker_take_trial(b, now);
	if (trial || (b->state == DD_BREAKER_CLOSED && b->consecutive_failures > 0)) {
		b->successes_total++;
		b->consecutive_failures = 0;
		if (trial)
			breaker_move(b, DD_BREAKER_CLOSED, now, "trial succeeded");
	}
	pthread_mutex_unlock(&b->mu);
}

bool
dd_breaker_settled(struct dd_breaker *b)
{
	bool settled;

	pthread_mutex_lock(&b->mu);
	breaker_tick(b, now_ns(b));
	settled = b->state == DD_BREAKER_CLOSED && b->consecutive_failures == 0;
	pthread_mutex_unlock(&b->mu);
	return settled;
}

/* Shared body of the three operator controls. */
static void
breaker_operator(struct dd_breaker *b, enum dd_breaker_state to, enum dd_breaker_hold hold,
    const char *what, const char *reason)
{
	bool has = reason && *reason;

	pthread_mutex_lock(&b->mu);
	b->hold = hold;
	if (to == DD_BREAKER_CLOSED)
		b->consecutive_failures = 0;
	breaker_move(b, to, now_ns(b), "%s%s%s", what, has ? ": " : "", has ? reason : "");
	pthread_mutex_unlock(&b->mu);
}

void
dd_breaker_force_open(struct dd_breaker *b, const char *reason)
{
	breaker_operator(b, DD_BREAKER_OPEN, DD_BREAKER_HELD_OPEN, "forced open", reason);
}

void
dd_breaker_force_closed(struct dd_breaker *b, const char *reason)
{
	breaker_operator(b, DD_BREAKER_CLOSED, DD_BREAKER_HELD_CLOSED, "forced closed", reason);
}

void
dd_breaker_reset(struct dd_breaker *b, const char *reason)
{
	breaker_operator(b, DD_BREAKER_CLOSED, DD_BREAKER_AUTO, "reset", reason);
}

enum dd_breaker_state
dd_breaker_state(struct dd_breaker *b)
{
	pthread_mutex_lock(&b->mu);
	breaker_tick(b, now_ns(b));
	enum dd_breaker_state s = b->state;
	pthread_mutex_unlock(&b->mu);
	return s;
}

void
dd_breaker_stats(struct dd_breaker *b, struct dd_breaker_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&b->mu);
	breaker_tick(b, now_ns(b));
	out->state = b->state;
	out->hold = b->hold;
	out->since_mono_ns = b->since_mono_ns;
	out->since_wall_ms = b->since_wall_ms;
	if (b->state == DD_BREAKER_OPEN && b->hold == DD_BREAKER_AUTO)
		out->trial_at_mono_ns = b->since_mono_ns + b->cfg.recovery_ns;
	out->consecutive_failures = b->consecutive_failures;
	out->trial_in_flight = b->trial_in_flight;
	out->times_opened = b->times_opened;
	out->failures_total = b->failures_total;
	out->successes_total = b->successes_total;
	out->rejected_total = b->rejected_total;
	if (b->ring_len > 0) {
		size_t last = (b->ring_next + DD_BREAKER_HISTORY - 1) % DD_BREAKER_HISTORY;
		memcpy(out->last_reason, b->ring[last].reason, sizeof(out->last_reason));
	}
	memcpy(out->last_failure, b->last_failure, sizeof(out->last_failure));
	pthread_mutex_unlock(&b->mu);
}

size_t
dd_breaker_history(struct dd_breaker *b, struct dd_breaker_transition *out, size_t max)
{
	pthread_mutex_lock(&b->mu);
	size_t n = b->ring_len < max ? b->ring_len : max;
	/* The oldest of the n most recent entries sits n slots behind ring_next. */
	size_t first = (b->ring_next + DD_BREAKER_HISTORY - n) % DD_BREAKER_HISTORY;
	for (size_t i = 0; i < n; i++)
		out[i] = b->ring[(first + i) % DD_BREAKER_HISTORY];
	pthread_mutex_unlock(&b->mu);
	return n;
}

const char *
dd_breaker_state_name(enum dd_breaker_state s)
{
	switch (s) {
	case DD_BREAKER_CLOSED: return "closed";
	case DD_BREAKER_OPEN: return "open";
	case DD_BREAKER_HALF_OPEN: return "half_open";
	}
	return "unknown";
}

const char *
dd_breaker_state_label(enum dd_breaker_state s)
{
	return s == DD_BREAKER_HALF_OPEN ? "half-open" : dd_breaker_state_name(s);
}

const char *
dd_breaker_hold_name(enum dd_breaker_hold h)
{
	switch (h) {
	case DD_BREAKER_AUTO: return "auto";
	case DD_BREAKER_HELD_OPEN: return "held_open";
	case DD_BREAKER_HELD_CLOSED: return "held_closed";
	}
	return "unknown";
}
