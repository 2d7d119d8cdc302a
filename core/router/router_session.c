/*
 * router_session.c: sessions and the router's query helpers.
 *
 * A session is one caller's read-your-writes memory: per router, the
 * position of its last write and when it was made, plus the connections it
 * holds (so that releasing a write connection knows to read the write
 * position first). Routers are keyed by their process-unique id, never by
 * address, so a session outliving a router cannot confuse it with a new one.
 * The query helpers (dd_router_query/exec) acquire, run one statement,
 * release, time it for db_query_duration_seconds, and try a read once more on
 * another node after a node failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router_int.h"
#include "util/util.h"

struct ryw_entry {
	uint64_t router_id;
	bool has;
	struct dd_repl_pos pos;
	int64_t write_ns;
	struct ryw_entry *next;
};

struct held {
	struct dd_pooled *pc;
	uint64_t router_id;
	enum dd_intent intent;
};

struct dd_session {
	struct ryw_entry *ryw;
	struct held *held;
	size_t nheld, cap;
};

struct dd_session *
dd_session_new(void)
{
	return xcalloc(1, sizeof(struct dd_session));
}

void
dd_session_free(struct dd_session *s)
{
	struct ryw_entry *e, *next;

	if (s == NULL)
		return;
	for (e = s->ryw; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(s->held);
	free(s);
}

static struct ryw_entry *
ryw_find(struct dd_session *s, uint64_t router_id, bool create)
{
	struct ryw_entry *e;

	for (e = s->ryw; e != NULL; e = e->next)
		if (e->router_id == router_id)
			return e;
	if (!create)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->router_id = router_id;
	e->next = s->ryw;
	s->ryw = e;
	return e;
}

void
session_ryw_get(struct dd_session *s, const struct dd_router *r, bool *has_write,
    struct dd_repl_pos *pos, int64_t *write_ns)
{
	struct ryw_entry *e = ryw_find(s, r->id, false);

	*has_write = e != NULL && e->has;
	if (*has_write) {
		*pos = e->pos;
		*write_ns = e->write_ns;
	}
}

void
dd_session_note_write(struct dd_session *s, struct dd_router *r, const struct dd_repl_pos *pos)
{
	struct ryw_entry *e;

	if (s == NULL || r == NULL)
		return;
	e = ryw_find(s, r->id, true);
	e->has = true;
	e->write_ns = dd_now_mono_ns();
	memset(&e->pos, 0, sizeof(e->pos));
	if (pos != NULL)
		e->pos = *pos;
}

void
session_hold(struct dd_session *s, struct dd_router *r, struct dd_pooled *pc, enum dd_intent intent)
{
	if (s->nheld == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->held = xrealloc(s->held, s->cap * sizeof(*s->held));
	}
	s->held[s->nheld++] = (struct held){.pc = pc, .router_id = r->id, .intent = intent};
}

/* Forgets pc; returns the intent it was acquired for, or -1 when unknown. */
static int
session_unhold(struct dd_session *s, const struct dd_router *r, struct dd_pooled *pc)
{
	size_t i;
	int intent;

	for (i = 0; i < s->nheld; i++) {
		if (s->held[i].pc != pc || s->held[i].router_id != r->id)
			continue;
		intent = (int)s->held[i].intent;
		s->held[i] = s->held[--s->nheld];
		return intent;
	}
	return -1;
}

/* Reads the write position on pc for read-your-writes (unknown on failure). */
static void
note_write_position(struct dd_router *r, struct dd_session *s, struct dd_pooled *pc)
{
	struct dd_conn *c = dd_pooled_conn(pc);
	struct dd_repl_pos pos;
	struct dd_db_error err;
	int64_t wait_ms = dd_pool_get_config(dd_pooled_pool(pc))->connect_timeout_ms;

	memset(&pos, 0, sizeof(pos));
	if (wait_ms <= 0 || wait_ms > 2000)
		wait_ms = 2000;
	if (c == NULL || dd_conn_is_broken(c) ||
	    dd_conn_write_position(c, dd_now_mono_ns() + wait_ms * 1000000, &pos, &err) != 0)
		pos.kind = DD_POS_NONE;
	dd_session_note_write(s, r, &pos);
}

void
dd_router_release(struct dd_router *r, struct dd_session *s, struct dd_pooled *pc)
{
	int intent;

	if (pc == NULL)
		return;
	if (s != NULL) {
		intent = session_unhold(s, r, pc);
		if (intent == DD_INTENT_WRITE || intent == DD_INTENT_TRANSACTION)
			note_write_position(r, s, pc);
	}
	dd_pool_release(pc);
}

/* ---- query helpers ---- */

static void
route_error(struct dd_db_error *err, int rc, const struct dd_route_decision *d)
{
	dd_db_error_clear(err);
	err->cls = rc == DD_ROUTER_ERR_TIMEOUT ? DD_ERR_TIMEOUT : DD_ERR_TRANSIENT;
	dd_seterr(err->message, sizeof(err->message), "%s: %s", dd_router_err_name(rc), d->reason);
}

/* A write refused as read-only: the primary was fenced or has become a replica. */
static bool
read_only_error(const struct dd_db_error *e)
{
	return strcmp(e->sqlstate, "25006") == 0 || e->code == 1290 || e->code == 1792;
}

static int
run(struct dd_router *r, struct dd_session *s, enum dd_intent intent, const char *sql,
    int64_t deadline_ns, struct dd_result **out, int64_t *affected, struct dd_route_decision *why,
    struct dd_db_error *err)
{
	struct dd_route_decision d;
	struct dd_db_error e;
	struct dd_pooled *pc;
	uint64_t exclude = 0;
	int64_t t0;
	int rc = DD_ROUTER_ERR_INVALID, attempt, qrc;

	memset(&d, 0, sizeof(d));
	dd_db_error_clear(&e);
	if (deadline_ns == DD_POOL_DEFAULT_DEADLINE)
		deadline_ns = dd_now_mono_ns() + r->cfg.query_timeout_ms * 1000000;
	for (attempt = 0; attempt < (intent == DD_INTENT_READ ? 2 : 1); attempt++) {
		rc = router_acquire_ex(r, s, intent, deadline_ns, exclude, &pc, &d);
		if (rc != 0) {
			route_error(&e, rc, &d);
			break;
		}
		t0 = dd_now_mono_ns();
		qrc = out ? dd_pool_query(pc, sql, deadline_ns, out, &e)
		          : dd_pool_exec(pc, sql, deadline_ns, affected, &e);
		dd_histogram_record(
		    r->qdur[intent == DD_INTENT_READ ? 0 : 1], dd_now_mono_ns() - t0);
		dd_router_release(r, s, pc);
		if (qrc == 0) {
			rc = 0;
			break;
		}
		rc = DD_ROUTER_ERR_QUERY;
		if (intent != DD_INTENT_READ &&
		    (dd_db_error_is_node_failure(&e) || read_only_error(&e)))
			router_kick(r);
		if (!dd_db_error_is_node_failure(&e) || dd_now_mono_ns() >= deadline_ns)
			break;
		exclude |= UINT64_C(1) << d.node;
	}
	if (why != NULL)
		*why = d;
	if (err != NULL)
		*err = e;
	return rc;
}

int
dd_router_query(struct dd_router *r, struct dd_session *s, enum dd_intent intent, const char *sql,
    int64_t deadline_ns, struct dd_result **out, struct dd_route_decision *why,
    struct dd_db_error *err)
{
	if (out == NULL || sql == NULL)
		return DD_ROUTER_ERR_INVALID;
	*out = NULL;
	return run(r, s, intent, sql, deadline_ns, out, NULL, why, err);
}

int
dd_router_exec(struct dd_router *r, struct dd_session *s, enum dd_intent intent, const char *sql,
    int64_t deadline_ns, int64_t *affected, struct dd_route_decision *why, struct dd_db_error *err)
{
	if (sql == NULL)
		return DD_ROUTER_ERR_INVALID;
	return run(r, s, intent, sql, deadline_ns, NULL, affected, why, err);
}
