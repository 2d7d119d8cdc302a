/*
 * router_route.c: where a request goes. A plan is made under the router's
 * lock from its current view (read set, primary, breakers, the session's
 * read-your-writes state): an ordered list of nodes to try and the words
 * that explain each choice. The connection is then acquired along the plan
 * without the lock, moving to the next entry when a pool fails fast (open
 * breaker) or times out, and the decision is recorded with its reason.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "router/router_int.h"
#include "util/util.h"

/* Entries: up to every replica plus the primary as the last resort. */
#define PLAN_MAX (DD_ROUTER_MAX_NODES + 1)

struct plan {
	int n;
	int node[PLAN_MAX];
	enum dd_route_kind kind[PLAN_MAX];
	bool tail_fallback;      /* the last entry is the primary after the replicas */
	int err;                 /* n == 0: why nothing can be tried */
	char main[300];          /* "round-robin", "primary: read-your-writes, ..." */
	char notes[360];         /* "; pg3 out: lag 3.2 s > lag_max 1 s" */
	int64_t default_wait_ms; /* acquire_timeout of the first entry's pool */
};

/* Why each replica is not a candidate, for the explanation. */
struct excl {
	int n;
	int node[DD_ROUTER_MAX_NODES];
	char why[DD_ROUTER_MAX_NODES][DD_RL_WHY_MAX];
};

struct ryw {
	bool has;
	struct dd_repl_pos pos;
	int64_t write_ns;
};

static void excl_add(struct excl *x, int node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
excl_add(struct excl *x, int node, const char *fmt, ...)
{
	va_list ap;

	x->node[x->n] = node;
	va_start(ap, fmt);
	vsnprintf(x->why[x->n], sizeof(x->why[0]), fmt, ap);
	va_end(ap);
	x->n++;
}

/* "; a out: why; b out: why" or "a why, b why" (list form). */
static void
excl_format(const struct dd_router *r, const struct excl *x, bool list, char *buf, size_t len)
{
	struct dd_rl_buf b;
	int i;

	dd_rl_buf_init(&b, buf, len);
	for (i = 0; i < x->n; i++) {
		if (list)
			dd_rl_buf_add(
			    &b, "%s%s %s", i ? ", " : "", r->nodes[x->node[i]].name, x->why[i]);
		else
			dd_rl_buf_add(&b, "; %s out: %s", r->nodes[x->node[i]].name, x->why[i]);
	}
}

static void
plan_add(struct plan *p, int node, enum dd_route_kind kind)
{
	p->node[p->n] = node;
	p->kind[p->n] = kind;
	p->n++;
}

/* Splits the replicas into candidates and exclusions; returns the candidate count. */
static int
gather(struct dd_router *r, const struct ryw *ryw, struct dd_rl_cand *c, struct excl *x,
    struct excl *not_replayed, uint64_t exclude)
{
	char pos[96];
	int n = 0;
	size_t i;

	dd_rl_fmt_pos(&ryw->pos, pos, sizeof(pos));
	for (i = 0; i < r->n; i++) {
		struct rnode *nd = &r->nodes[i];
		if ((int)i == r->primary || (nd->probed && nd->info.role == DD_ROLE_PRIMARY))
			continue;
		if (exclude & (UINT64_C(1) << i))
			excl_add(x, (int)i, "%s", "failed just now");
		else if (!nd->in_read_set)
			excl_add(x, (int)i, "%s", nd->why);
		else if (dd_breaker_state(dd_pool_breaker(nd->pool)) == DD_BREAKER_OPEN)
			excl_add(x, (int)i, "%s", "breaker open");
		else if (ryw->has && !dd_rl_ryw_reached(
		                         &nd->info.applied, nd->probe_ns, &ryw->pos, ryw->write_ns))
			excl_add(not_replayed, (int)i, "has not replayed %s yet", pos);
		else
			c[n++] = (struct dd_rl_cand){
			    .node = (int)i, .weight = nd->weight, .lag_ms = nd->lag.ms};
	}
	return n;
}

static void
plan_primary_read(struct dd_router *r, struct plan *p, enum dd_route_kind kind)
{
	if (r->primary < 0) {
		p->err = DD_ROUTER_ERR_NO_PRIMARY;
		return;
	}
	plan_add(p, r->primary, kind);
}

static void
plan_read(struct dd_router *r, const struct ryw *ryw, struct dd_rl_pick *pick, uint64_t exclude,
    struct plan *p)
{
	struct dd_rl_cand c[DD_ROUTER_MAX_NODES];
	struct excl x = {0}, nr = {0};
	int order[DD_ROUTER_MAX_NODES], n, i;
	char list[300], nrlist[300];
	struct dd_rl_buf b;

	n = gather(r, ryw, c, &x, &nr, exclude);
	excl_format(r, &x, false, p->notes, sizeof(p->notes));
	excl_format(r, &nr, true, nrlist, sizeof(nrlist));
	dd_rl_buf_init(&b, p->main, sizeof(p->main));
	if (n > 0) {
		n = dd_rl_order(pick, r->cfg.read_policy, c, n, order);
		for (i = 0; i < n; i++)
			plan_add(p, order[i], DD_ROUTE_REPLICA);
		dd_rl_buf_add(&b, "%s", dd_read_policy_name(r->cfg.read_policy));
		if (nr.n > 0)
			dd_rl_buf_add(&b, "; read-your-writes: %s", nrlist);
		if (r->cfg.no_replica == DD_NO_REPLICA_PRIMARY && r->primary >= 0) {
			plan_add(p, r->primary, DD_ROUTE_FALLBACK);
			p->tail_fallback = true;
		}
		return;
	}
	if (nr.n > 0) {
		dd_rl_buf_add(&b, "primary: read-your-writes, %s", nrlist);
		plan_primary_read(r, p, DD_ROUTE_RYW);
		return;
	}
	excl_format(r, &x, true, list, sizeof(list));
	p->notes[0] = '\0';
	dd_rl_buf_add(&b, "%s: no usable replica: %s",
	    r->cfg.no_replica == DD_NO_REPLICA_PRIMARY ? "fallback" : "no_replica = fail",
	    x.n ? list : "none");
	if (r->cfg.no_replica == DD_NO_REPLICA_FAIL) {
		p->err = DD_ROUTER_ERR_NO_REPLICA;
		return;
	}
	plan_primary_read(r, p, DD_ROUTE_FALLBACK);
}

static void
plan_ryw_window(struct dd_router *r, struct plan *p)
{
	char win[32];

	dd_rl_fmt_ms(r->cfg.ryw_window_ms, win, sizeof(win));
	snprintf(p->main, sizeof(p->main),
	    "primary: read-your-writes, write position unknown, ryw_window %s", win);
	plan_primary_read(r, p, DD_ROUTE_RYW);
}

/* Builds the plan under r->mu. */
static void
plan_make(struct dd_router *r, enum dd_intent intent, const struct ryw *ryw,
    struct dd_rl_pick *pick, uint64_t exclude, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	if (intent != DD_INTENT_READ) {
		if (r->primary < 0) {
			p->err = DD_ROUTER_ERR_NO_PRIMARY;
			snprintf(p->main, sizeof(p->main), "no primary: %s", r->topo_why);
		} else {
			snprintf(p->main, sizeof(p->main), "primary%s%s",
			    r->topo_why[0] ? "; " : "", r->topo_why);
			plan_add(p, r->primary, DD_ROUTE_PRIMARY);
		}
	} else if (ryw->has && ryw->pos.kind == DD_POS_NONE) {
		if (dd_now_mono_ns() - ryw->write_ns < r->cfg.ryw_window_ms * 1000000)
			plan_ryw_window(r, p);
		else
			plan_read(r, &(struct ryw){0}, pick, exclude, p);
	} else {
		plan_read(r, ryw, pick, exclude, p);
	}
	if (p->err == DD_ROUTER_ERR_NO_PRIMARY && intent == DD_INTENT_READ) {
		struct dd_rl_buf b = {p->main, sizeof(p->main), strlen(p->main)};
		dd_rl_buf_add(&b, "; no primary: %s", r->topo_why);
	}
	if (p->n > 0)
		p->default_wait_ms =
		    dd_pool_get_config(r->nodes[p->node[0]].pool)->acquire_timeout_ms;
}

/* "read → pg2 (round-robin; failed: pg1 timeout; pg3 out: ...)" */
static void
reason_format(const struct dd_router *r, enum dd_intent intent, const struct plan *p, int used,
    const char *failures, char *buf, size_t len)
{
	struct dd_rl_buf b;
	bool tail = used >= 0 && p->tail_fallback && used == p->n - 1;

	dd_rl_buf_init(&b, buf, len);
	dd_rl_buf_add(&b, "%s \u2192 %s (", dd_intent_name(intent),
	    used >= 0 ? r->nodes[p->node[used]].name : "none");
	if (tail)
		dd_rl_buf_add(&b, "fallback: no replica could be acquired: %s", failures);
	else if (failures[0])
		dd_rl_buf_add(&b, "%s; failed: %s", p->main, failures);
	else
		dd_rl_buf_add(&b, "%s", p->main);
	dd_rl_buf_add(&b, "%s)", p->notes);
}

static void
record(struct dd_router *r, const struct dd_route_decision *d, const struct plan *p, int used)
{
	struct rnode *nd;

	pthread_mutex_lock(&r->mu);
	if (used >= 0) {
		nd = &r->nodes[p->node[used]];
		nd->routed[d->intent]++;
		if (d->kind == DD_ROUTE_FALLBACK)
			nd->fallback++;
		else if (d->kind == DD_ROUTE_RYW)
			nd->ryw++;
	}
	if (r->ring_n < DD_ROUTER_DECISIONS) {
		r->ring[(r->ring_head + r->ring_n) % DD_ROUTER_DECISIONS] = *d;
		r->ring_n++;
	} else {
		r->ring[r->ring_head] = *d;
		r->ring_head = (r->ring_head + 1) % DD_ROUTER_DECISIONS;
	}
	pthread_mutex_unlock(&r->mu);
}

static void
count_failure(struct dd_router *r, int node)
{
	pthread_mutex_lock(&r->mu);
	r->nodes[node].failed++;
	pthread_mutex_unlock(&r->mu);
}

/* Waits for the first probe round; false on shutdown or deadline. */
static int
wait_first_round(struct dd_router *r, int64_t deadline_ns)
{
	int rc = 0;

	while (r->rounds_done == 0 && rc == 0) {
		if (r->stopping)
			rc = DD_ROUTER_ERR_SHUTDOWN;
		else if (!dd_cond_wait_until(&r->round_cv, &r->mu, deadline_ns))
			rc = r->rounds_done ? 0 : DD_ROUTER_ERR_TIMEOUT;
	}
	if (rc == 0 && r->stopping)
		rc = DD_ROUTER_ERR_SHUTDOWN;
	return rc;
}

/* Waits while writes are held; DD_ROUTER_ERR_HELD at the deadline. */
static int
wait_writes(struct dd_router *r, int64_t deadline_ns)
{
	while (r->held && !r->stopping)
		if (!dd_cond_wait_until(&r->round_cv, &r->mu, deadline_ns))
			return r->held ? DD_ROUTER_ERR_HELD : 0;
	return r->stopping ? DD_ROUTER_ERR_SHUTDOWN : 0;
}

/* Tries the plan's entries in order; returns the entry used or -1 (*rc set). */
static int
acquire_along(struct dd_router *r, const struct plan *p, int64_t deadline_ns,
    struct dd_pooled **out, char *failures, size_t flen, int *tried, int *rc)
{
	struct dd_rl_buf b;
	int64_t now, until;
	int i, prc = DD_POOL_ERR_TIMEOUT;

	dd_rl_buf_init(&b, failures, flen);
	for (i = 0; i < p->n; i++) {
		now = dd_now_mono_ns();
		if (now >= deadline_ns)
			break;
		/* leave time for the entries after this one */
		until = i == p->n - 1 ? deadline_ns : now + (deadline_ns - now) / (p->n - i);
		(*tried)++;
		prc = dd_pool_acquire(r->nodes[p->node[i]].pool, until, out, NULL);
		if (prc == DD_POOL_OK)
			return i;
		count_failure(r, p->node[i]);
		dd_rl_buf_add(&b, "%s%s %s", b.used ? ", " : "", r->nodes[p->node[i]].name,
		    dd_pool_err_name(prc));
	}
	*rc = prc == DD_POOL_ERR_TIMEOUT || dd_now_mono_ns() >= deadline_ns
	          ? DD_ROUTER_ERR_TIMEOUT
	          : DD_ROUTER_ERR_UNAVAILABLE;
	return -1;
}

static void
decision_fill(struct dd_router *r, struct dd_route_decision *d, enum dd_intent intent,
    const struct plan *p, int used, int rc, const char *failures)
{
	memset(d, 0, sizeof(*d));
	d->intent = intent;
	d->result = rc;
	d->wall_ms = dd_now_wall_ms();
	d->node = used >= 0 ? p->node[used] : -1;
	d->kind = used >= 0 ? p->kind[used] : DD_ROUTE_NONE;
	dd_strlcpy(d->node_name, used >= 0 ? r->nodes[d->node].name : "", sizeof(d->node_name));
	reason_format(r, intent, p, used, failures, d->reason, sizeof(d->reason));
}

int
router_acquire_ex(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    int64_t deadline_ns, uint64_t exclude, struct dd_pooled **out, struct dd_route_decision *why)
{
	struct dd_route_decision d;
	char failures[240] = "";
	struct ryw ryw = {0};
	struct plan p;
	int rc, used = -1, tried = 0;

	*out = NULL;
	if ((unsigned)intent > DD_INTENT_TRANSACTION)
		return DD_ROUTER_ERR_INVALID;
	if (s != NULL)
		session_ryw_get(s, r, &ryw.has, &ryw.pos, &ryw.write_ns);
	int64_t wait_until =
	    deadline_ns == DD_POOL_DEFAULT_DEADLINE
	        ? dd_now_mono_ns() +
	              dd_pool_get_config(r->nodes[0].pool)->acquire_timeout_ms * 1000000
	        : deadline_ns;
	char held[sizeof(r->held_why)] = "";
	pthread_mutex_lock(&r->mu);
	rc = wait_first_round(r, wait_until);
	if (rc == 0 && intent != DD_INTENT_READ)
		rc = wait_writes(r, wait_until);
	if (rc == DD_ROUTER_ERR_HELD)
		dd_strlcpy(held, r->held_why, sizeof(held));
	if (rc == 0)
		plan_make(r, intent, &ryw, &r->pick, exclude, &p);
	pthread_mutex_unlock(&r->mu);
	if (rc != 0) {
		memset(&p, 0, sizeof(p));
		snprintf(p.main, sizeof(p.main), "%s%s",
		    rc == DD_ROUTER_ERR_SHUTDOWN ? "the router is stopping"
		    : rc == DD_ROUTER_ERR_HELD   ? "writes held: "
		                                 : "no probe round has finished yet",
		    held);
	} else if (p.n == 0) {
		rc = p.err;
	} else {
		if (deadline_ns == DD_POOL_DEFAULT_DEADLINE)
			deadline_ns = dd_now_mono_ns() + p.default_wait_ms * 1000000;
		used =
		    acquire_along(r, &p, deadline_ns, out, failures, sizeof(failures), &tried, &rc);
		if (used >= 0)
			rc = 0;
	}
	if (intent != DD_INTENT_READ &&
	    (rc == DD_ROUTER_ERR_NO_PRIMARY || rc == DD_ROUTER_ERR_UNAVAILABLE ||
	        rc == DD_ROUTER_ERR_TIMEOUT))
		router_kick(r);
	decision_fill(r, &d, intent, &p, used, rc, failures);
	d.tried = tried;
	record(r, &d, &p, used);
	if (why != NULL)
		*why = d;
	if (used >= 0 && s != NULL)
		session_hold(s, r, *out, intent);
	return rc;
}

int
dd_router_acquire(struct dd_router *r, struct dd_session *s, enum dd_intent intent,
    int64_t deadline_ns, struct dd_pooled **out, struct dd_route_decision *why)
{
	return router_acquire_ex(r, s, intent, deadline_ns, 0, out, why);
}

int
dd_route_explain(
    struct dd_router *r, enum dd_intent intent, struct dd_session *s, char *buf, size_t len)
{
	int64_t swrr[DD_ROUTER_MAX_NODES];
	struct dd_rl_pick pick;
	struct ryw ryw = {0};
	struct plan p;

	if (s != NULL)
		session_ryw_get(s, r, &ryw.has, &ryw.pos, &ryw.write_ns);
	pthread_mutex_lock(&r->mu);
	if (r->rounds_done == 0) {
		pthread_mutex_unlock(&r->mu);
		snprintf(buf, len, "%s \u2192 ? (no probe round has finished yet)",
		    dd_intent_name(intent));
		return -1;
	}
	/* a copy of the policy state, so explaining never moves it */
	memcpy(swrr, r->swrr, sizeof(swrr));
	pick = r->pick;
	pick.swrr = swrr;
	plan_make(r, intent, &ryw, &pick, 0, &p);
	pthread_mutex_unlock(&r->mu);
	reason_format(r, intent, &p, p.n > 0 ? 0 : -1, "", buf, len);
	return p.n > 0 ? p.node[0] : -1;
}
