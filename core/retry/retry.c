/*
 * retry.c: exponential backoff with full jitter and the rules that decide
 * whether a failed call may be tried again (see retry.h for the contract and
 * docs/pool.md "Retry" for the operator's view).
 *
 * The rules are checked in a fixed order so the stop reason names the first
 * one that applies: error class, then idempotency, then attempts, then time.
 */
#include "dbdeck/retry.h"

#include <stddef.h>

void
dd_retry_policy_default(struct dd_retry_policy *p)
{
	p->attempts = DD_RETRY_DEFAULT_ATTEMPTS;
	p->base_ns = DD_RETRY_DEFAULT_BASE_NS;
	p->cap_ns = DD_RETRY_DEFAULT_CAP_NS;
	p->max_time_ns = DD_RETRY_DEFAULT_MAX_TIME_NS;
}

static void
policy_clamp(struct dd_retry_policy *p)
{
	if (p->attempts < 1)
		p->attempts = 1;
	if (p->base_ns < 0)
		p->base_ns = 0;
	if (p->cap_ns < p->base_ns)
		p->cap_ns = p->base_ns;
	if (p->max_time_ns < 0)
		p->max_time_ns = 0;
}

static int64_t
now_ns(const struct dd_retry *r)
{
	return r->clock.mono_ns(r->clock.ctx);
}

void
dd_retry_begin(struct dd_retry *r, const struct dd_retry_policy *p, const struct dd_clock *clock,
    const struct dd_rand *rand)
{
	r->policy = *p;
	policy_clamp(&r->policy);
	r->clock = clock ? *clock : *dd_clock_default();
	r->rand = rand ? *rand : *dd_rand_default();
	r->start_ns = now_ns(r);
	r->slept_ns = 0;
	r->attempts = 0;
	r->stop_reason = NULL;
}

int64_t
dd_retry_window_ns(const struct dd_retry_policy *p, int k)
{
	int64_t cap = p->cap_ns > p->base_ns ? p->cap_ns : p->base_ns;
	int64_t w = p->base_ns > 0 ? p->base_ns : 0;
	/* Double k-1 times, stopping at the cap (which also prevents overflow). */
	for (int i = 1; i < k && w < cap; i++)
		w = w > cap / 2 ? cap : w * 2;
	return w < cap ? w : cap;
}

int64_t
dd_retry_backoff_ns(const struct dd_retry_policy *p, int k, uint64_t rnd)
{
	uint64_t w = (uint64_t)dd_retry_window_ns(p, k);
	/* Multiply-high maps [0, 2^64) onto [0, w] without modulo bias. */
	__extension__ unsigned __int128 prod = (unsigned __int128)rnd * (w + 1);
	return (int64_t)(prod >> 64);
}

/* The rules that do not depend on time; returns the stop reason or NULL. */
static const char *
refusal(const struct dd_retry *r, enum dd_retry_class cls, unsigned flags)
{
	switch (cls) {
	case DD_RETRY_PERMANENT: return "permanent error: not retried";
	case DD_RETRY_AUTH: return "authentication or privilege error: not retried";
	case DD_RETRY_TRANSIENT:
	case DD_RETRY_TIMEOUT:
	case DD_RETRY_CONN_LOST: break;
	default: return "unknown error class: not retried";
	}
	if (!(flags & DD_RETRY_IDEMPOTENT) && !(flags & DD_RETRY_NOT_SENT))
		return "statement may have reached the server and is not marked safe to repeat";
	if (r->attempts >= r->policy.attempts)
		return "attempts used up";
	return NULL;
}

bool
dd_retry_next(struct dd_retry *r, enum dd_retry_class cls, unsigned flags, int64_t *sleep_ns)
{
	r->attempts++;
	if (sleep_ns)
		*sleep_ns = 0;
	r->stop_reason = refusal(r, cls, flags);
	if (r->stop_reason)
		return false;
	int64_t remaining = dd_retry_remaining_ns(r);
	int64_t delay = dd_retry_backoff_ns(&r->policy, r->attempts, dd_rand_next(&r->rand));
	if (remaining <= 0 || delay >= remaining) {
		r->stop_reason = "retry time budget used up";
		return false;
	}
	r->slept_ns += delay;
	if (sleep_ns)
		*sleep_ns = delay;
	return true;
}

const char *
dd_retry_stop_reason(const struct dd_retry *r)
{
	return r->stop_reason;
}

int64_t
dd_retry_remaining_ns(const struct dd_retry *r)
{
	return r->policy.max_time_ns - (now_ns(r) - r->start_ns);
}

int
dd_retry_attempts(const struct dd_retry *r)
{
	return r->attempts;
}

int64_t
dd_retry_slept_ns(const struct dd_retry *r)
{
	return r->slept_ns;
}

const char *
dd_retry_class_name(enum dd_retry_class cls)
{
	switch (cls) {
	case DD_RETRY_TRANSIENT: return "transient";
	case DD_RETRY_TIMEOUT: return "timeout";
	case DD_RETRY_CONN_LOST: return "conn_lost";
	case DD_RETRY_PERMANENT: return "permanent";
	case DD_RETRY_AUTH: return "auth";
	}
	return "unknown";
}

int
dd_retry_run(const struct dd_retry_policy *p, const struct dd_clock *clock,
    const struct dd_rand *rand, unsigned flags, dd_retry_fn fn, void *ctx, const char **why)
{
	struct dd_retry r;
	int rc;

	dd_retry_begin(&r, p, clock, rand);
	for (int attempt = 1;; attempt++) {
		enum dd_retry_class cls = DD_RETRY_PERMANENT;
		bool not_sent = false;
		int64_t delay;

		rc = fn(ctx, attempt, &r, &cls, &not_sent);
		if (rc == 0)
			break;
		unsigned f = (flags & DD_RETRY_IDEMPOTENT) | (not_sent ? DD_RETRY_NOT_SENT : 0);
		if (!dd_retry_next(&r, cls, f, &delay))
			break;
		r.clock.sleep_ns(r.clock.ctx, delay);
	}
	if (why)
		*why = rc == 0 ? NULL : r.stop_reason;
	return rc;
}
