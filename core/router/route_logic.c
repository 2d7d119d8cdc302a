/*
 * route_logic.c: the router's pure decisions (see route_logic.h): lag from
 * positions and timestamps, the read-set rule with hysteresis, the replica
 * choice policies, the read-your-writes check and the strings that explain
 * them. No locks, no clocks, no I/O: the callers pass everything in.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "router/route_logic.h"
#include "util/util.h"

void
dd_rl_buf_init(struct dd_rl_buf *b, char *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->used = 0;
	if (len > 0)
		p[0] = '\0';
}

void
dd_rl_buf_add(struct dd_rl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len == 0 || b->used + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->used += (size_t)n;
	if (b->used >= b->len)
		b->used = b->len - 1;
}

void
dd_rl_fmt_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, len, "%" PRId64 " ms", ms);
	else if (ms % 1000 == 0 || ms >= 100000)
		snprintf(buf, len, "%" PRId64 " s", (ms + 500) / 1000);
	else
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
}

/* ---- lag ---- */

void
dd_rl_lsn_history_clear(struct dd_rl_lsn_history *h)
{
	h->n = 0;
	h->head = 0;
}

void
dd_rl_lsn_history_add(struct dd_rl_lsn_history *h, int64_t mono_ns, uint64_t lsn)
{
	int at;

	if (lsn == 0)
		return;
	if (h->n < DD_RL_LSN_HISTORY) {
		at = (h->head + h->n) % DD_RL_LSN_HISTORY;
		h->n++;
	} else {
		at = h->head;
		h->head = (h->head + 1) % DD_RL_LSN_HISTORY;
	}
	h->s[at].mono_ns = mono_ns;
	h->s[at].lsn = lsn;
}

static void
lag_set(struct dd_rl_lag *out, int64_t ms)
{
	out->known = true;
	out->ms = ms < 0 ? 0 : ms;
	out->why[0] = '\0';
}

static void
lag_unknown(struct dd_rl_lag *out, const char *why)
{
	out->known = false;
	out->ms = -1;
	dd_strlcpy(out->why, why, sizeof(out->why));
}

/*
 * From the primary's history: *upper = time since the newest round at which
 * the primary was at or below replay (writes after it may be missing), or
 * -1; *lower = time since the oldest round when every sample is past replay,
 * or -1. Returns true when the replica is at or past the newest sample.
 */
static bool
history_bounds(const struct dd_rl_lsn_history *h, uint64_t replay, int64_t now_ns,
    int64_t *upper_ms, int64_t *lower_ms)
{
	int i, idx;

	*upper_ms = -1;
	*lower_ms = -1;
	if (h == NULL || h->n == 0)
		return false;
	idx = (h->head + h->n - 1) % DD_RL_LSN_HISTORY;
	if (replay >= h->s[idx].lsn)
		return true;
	for (i = h->n - 2; i >= 0; i--) {
		idx = (h->head + i) % DD_RL_LSN_HISTORY;
		if (h->s[idx].lsn <= replay) {
			*upper_ms = (now_ns - h->s[idx].mono_ns) / 1000000;
			if (*upper_ms < 0)
				*upper_ms = 0;
			return false;
		}
	}
	*lower_ms = (now_ns - h->s[h->head].mono_ns) / 1000000;
	if (*lower_ms < 0)
		*lower_ms = 0;
	return false;
}

void
dd_rl_lag_pg(const struct dd_role_info *replica, int64_t probe_ns,
    const struct dd_rl_lsn_history *hist, struct dd_rl_lag *out)
{
	int64_t upper, lower, by_ts = -1;

	if (replica->replay_lsn == 0) {
		lag_unknown(out, "no replay position");
		return;
	}
	if (history_bounds(hist, replica->replay_lsn, probe_ns, &upper, &lower)) {
		lag_set(out, 0);
		return;
	}
	if (replica->last_replay_ms >= 0 && replica->server_now_ms > 0)
		by_ts = replica->server_now_ms - replica->last_replay_ms;
	if (by_ts >= 0 && upper >= 0)
		lag_set(out, by_ts < upper ? by_ts : upper);
	else if (by_ts >= 0)
		lag_set(out, by_ts);
	else if (upper >= 0)
		lag_set(out, upper);
	else if (lower >= 0)
		lag_unknown(out, "behind every primary position seen, no replay timestamp");
	else
		lag_unknown(out, "no replay timestamp and primary position unknown");
}

void
dd_rl_lag_mysql(const struct dd_role_info *replica, const struct dd_gtid_set *primary_binlog,
    struct dd_rl_lag *out)
{
	if (!replica->has_replica_status) {
		lag_unknown(out, "no replica status");
		return;
	}
	if (!replica->sql_running) {
		lag_unknown(out, "SQL thread stopped");
		return;
	}
	if (primary_binlog != NULL && dd_gtid_set_covers(&replica->slave_set, primary_binlog)) {
		lag_set(out, 0);
		return;
	}
	if (replica->seconds_behind < 0) {
		lag_unknown(out,
		    replica->io_running ? "Seconds_Behind_Master is NULL" : "IO thread stopped");
		return;
	}
	lag_set(out, replica->seconds_behind * 1000);
}

void
dd_rl_gtid_history_clear(struct dd_rl_gtid_history *h)
{
	h->n = 0;
	h->head = 0;
}

void
dd_rl_gtid_history_add(struct dd_rl_gtid_history *h, int64_t mono_ns, const struct dd_gtid_set *set)
{
	int at;

	if (set == NULL || set->n == 0)
		return;
	if (h->n < DD_RL_LSN_HISTORY) {
		at = (h->head + h->n) % DD_RL_LSN_HISTORY;
		h->n++;
	} else {
		at = h->head;
		h->head = (h->head + 1) % DD_RL_LSN_HISTORY;
	}
	h->s[at].mono_ns = mono_ns;
	h->s[at].set = *set;
}

void
dd_rl_lag_mysql_hist(const struct dd_role_info *replica, int64_t probe_ns,
    const struct dd_rl_gtid_history *hist, struct dd_rl_lag *out)
{
	int64_t t;
	int i, idx;

	if (!replica->has_replica_status || hist == NULL || hist->n == 0) {
		dd_rl_lag_mysql(replica, NULL, out);
		return;
	}
	idx = (hist->head + hist->n - 1) % DD_RL_LSN_HISTORY;
	if (dd_gtid_set_covers(&replica->slave_set, &hist->s[idx].set)) {
		lag_set(out, 0);
		return;
	}
	for (i = hist->n - 2; i >= 0; i--) {
		idx = (hist->head + i) % DD_RL_LSN_HISTORY;
		if (!dd_gtid_set_covers(&replica->slave_set, &hist->s[idx].set))
			continue;
		t = (probe_ns - hist->s[idx].mono_ns) / 1000000;
		if (replica->sql_running && replica->seconds_behind >= 0 &&
		    replica->seconds_behind * 1000 < t)
			t = replica->seconds_behind * 1000;
		lag_set(out, t);
		return;
	}
	idx = (hist->head + hist->n - 1) % DD_RL_LSN_HISTORY;
	dd_rl_lag_mysql(replica, &hist->s[idx].set, out);
}

/* ---- read set ---- */

static bool member_out(struct dd_rl_member *m, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
member_out(struct dd_rl_member *m, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (whylen > 0)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	m->in_read_set = false;
	return false;
}

bool
dd_rl_read_set_update(
    struct dd_rl_member *m, int64_t lag_max_ms, double reenter_factor, char *why, size_t whylen)
{
	char lag[32], lim[32];
	int64_t reenter_ms;
	const char *err = m->probe_error && m->probe_error[0] ? m->probe_error : "no answer";

	if (!m->probed && !(m->probe_error && m->probe_error[0]))
		return member_out(m, why, whylen, "%s", "not probed yet");
	if (!m->reachable)
		return member_out(m, why, whylen, "unreachable (%s)", err);
	if (m->role != DD_ROLE_REPLICA)
		return member_out(m, why, whylen, "%s", dd_role_name(m->role));
	if (m->weight <= 0)
		return member_out(m, why, whylen, "%s", "weight 0");
	if (!m->lag.known)
		return member_out(m, why, whylen, "lag unknown (%s)", m->lag.why);
	dd_rl_fmt_ms(m->lag.ms, lag, sizeof(lag));
	if (m->lag.ms > lag_max_ms) {
		dd_rl_fmt_ms(lag_max_ms, lim, sizeof(lim));
		snprintf(why, whylen, "lag %s > lag_max %s", lag, lim);
		m->in_read_set = false;
		return false;
	}
	reenter_ms = (int64_t)((double)lag_max_ms * reenter_factor);
	if (!m->in_read_set && m->lag.ms > reenter_ms) {
		dd_rl_fmt_ms(reenter_ms, lim, sizeof(lim));
		snprintf(why, whylen, "lag %s, back in at <= %s", lag, lim);
		return false;
	}
	if (whylen > 0)
		why[0] = '\0';
	m->in_read_set = true;
	return true;
}

/* ---- replica choice ---- */

/* order[] = the candidates rotated to start at the round-robin position. */
static void
rotate(struct dd_rl_pick *st, const struct dd_rl_cand *c, int n, int *order)
{
	int i, start = (int)(st->rr % (uint64_t)n);

	for (i = 0; i < n; i++)
		order[i] = c[(start + i) % n].node;
	st->rr++;
}

static int
cand_of(const struct dd_rl_cand *c, int n, int node)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].node == node)
			return i;
	return -1;
}

static void
order_weighted(struct dd_rl_pick *st, const struct dd_rl_cand *c, int n, int *order)
{
	int64_t total = 0;
	int i, j, best = 0, tmp;

	for (i = 0; i < st->nodes; i++)
		if (cand_of(c, n, i) < 0)
			st->swrr[i] = 0;
	for (i = 0; i < n; i++) {
		st->swrr[c[i].node] += c[i].weight;
		total += c[i].weight;
		if (st->swrr[c[i].node] > st->swrr[c[best].node])
			best = i;
	}
	st->swrr[c[best].node] -= total;
	order[0] = c[best].node;
	for (i = 0, j = 1; i < n; i++)
		if (i != best)
			order[j++] = c[i].node;
	/* fallbacks: descending weight (insertion sort, stable) */
	for (i = 2; i < n; i++)
		for (j = i; j > 1 && c[cand_of(c, n, order[j])].weight >
		                         c[cand_of(c, n, order[j - 1])].weight;
		     j--) {
			tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
}

static void
order_least_lag(struct dd_rl_pick *st, const struct dd_rl_cand *c, int n, int *order)
{
	int idx[DD_RL_MAX_CANDS], i, j, tmp, ties, start;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && c[idx[j]].lag_ms < c[idx[j - 1]].lag_ms; j--) {
			tmp = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = tmp;
		}
	/* the replicas tied for the least lag take turns */
	for (ties = 1; ties < n && c[idx[ties]].lag_ms == c[idx[0]].lag_ms; ties++)
		;
	start = (int)(st->rr++ % (uint64_t)ties);
	for (i = 0; i < ties; i++)
		order[i] = c[idx[(start + i) % ties]].node;
	for (i = ties; i < n; i++)
		order[i] = c[idx[i]].node;
}

int
dd_rl_order(
    struct dd_rl_pick *st, enum dd_read_policy pol, const struct dd_rl_cand *c, int n, int *order)
{
	if (n <= 0)
		return 0;
	if (n > DD_RL_MAX_CANDS)
		n = DD_RL_MAX_CANDS;
	switch (pol) {
	case DD_READ_POLICY_WEIGHTED: order_weighted(st, c, n, order); break;
	case DD_READ_POLICY_LEAST_LAG: order_least_lag(st, c, n, order); break;
	case DD_READ_POLICY_ROUND_ROBIN:
	default: rotate(st, c, n, order); break;
	}
	return n;
}

/* ---- read-your-writes ---- */

bool
dd_rl_ryw_reached(const struct dd_repl_pos *applied, int64_t probe_ns,
    const struct dd_repl_pos *want, int64_t write_ns)
{
	if (want->kind == DD_POS_NONE)
		return true;
	if (probe_ns <= write_ns)
		return false;
	return dd_repl_pos_reached(applied, want);
}

void
dd_rl_fmt_pos(const struct dd_repl_pos *p, char *buf, size_t len)
{
	switch (p->kind) {
	case DD_POS_LSN: dd_lsn_format(p->lsn, buf, len); break;
	case DD_POS_GTID:
		dd_gtid_set_format(&p->gtids, buf, len);
		if (len > 0 && buf[0] == '\0')
			snprintf(buf, len, "(empty GTID set)");
		break;
	case DD_POS_NONE:
	default: snprintf(buf, len, "unknown"); break;
	}
}
