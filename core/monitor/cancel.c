/*
 * cancel.c: cancelling or terminating a slow statement (monitor.h), over a
 * connection of the node's pool, never the probe's.
 *
 * The target is re-checked on the server first, because a pid (thread id)
 * names a session, not a statement: by the time an operator confirms, the
 * statement may have ended and the session run another one, or the pid may
 * belong to a new session. How each engine checks and acts is its table's
 * cancel (engine_pg.c, engine_my.c); here: the read-only refusal (enforced
 * here, in the core, not only by the UI), the target's validity and the
 * connection.
 */
#include "monitor/monitor_int.h"
#include "util/util.h"

#define DEFAULT_DEADLINE_NS INT64_C(5000000000)

void (*mon_cancel_test_hook)(const struct dd_query_target *t);

int
dd_monitor_cancel_query(struct dd_monitor *m, const struct dd_query_target *t, bool terminate,
    int64_t deadline_ns, char *err, size_t errlen)
{
	struct cancel_ctx x = {
	    .m = m, .t = t, .terminate = terminate, .err = err, .errlen = errlen};
	struct dd_db_error e;
	struct mnode *nd;
	int rc;

	if (m->read_only) {
		dd_seterr(err, errlen,
		    "refused: read-only (--read-only or read_only = true): no query is "
		    "cancelled or terminated");
		return DD_CANCEL_READ_ONLY;
	}
	if (t == NULL || t->node < 0 || t->node >= m->n_nodes || t->pid <= 0 ||
	    m->nodes[t->node].cl->index != t->cluster) {
		dd_seterr(err, errlen, "no such query target");
		return DD_CANCEL_INVALID;
	}
	nd = &m->nodes[t->node];
	if (deadline_ns <= 0)
		deadline_ns = dd_now_mono_ns() + DEFAULT_DEADLINE_NS;
	x.deadline_ns = deadline_ns;
	dd_db_error_clear(&e);
	rc = dd_pool_acquire(nd->pool, deadline_ns, &x.pc, &e);
	if (rc != DD_POOL_OK) {
		dd_seterr(err, errlen, "%s: no connection: %s", nd->name, e.message);
		return DD_CANCEL_FAILED;
	}
	rc = nd->cl->eng->cancel(&x);
	dd_pool_release(x.pc);
	return rc;
}
