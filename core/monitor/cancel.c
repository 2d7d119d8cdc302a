/*
 * cancel.c: cancelling or terminating a slow statement (monitor.h), over a
 * connection of the node's actions pool (the admin_credential's, else the
 * node's own pool: action_pool), never the probe's.
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

/*
 * The pool a cancel or terminate uses: the cluster's admin_credential pool
 * when it names one (core.h dd_cluster_admin_pool), else the node's own. The
 * probes never use it, so the probing account needs no right to signal.
 */
static struct dd_pool *
action_pool(struct dd_monitor *m, const struct mnode *nd)
{
	struct dd_cluster *cl = dd_core_cluster(m->core, nd->cl->name);
	struct dd_pool *p = cl ? dd_cluster_admin_pool(cl, nd->in_cluster) : NULL;

	return p ? p : nd->pool;
}

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
	rc = dd_pool_acquire(action_pool(m, nd), deadline_ns, &x.pc, &e);
	if (rc != DD_POOL_OK) {
		dd_seterr(err, errlen, "%s: no connection: %s", nd->name, e.message);
		return DD_CANCEL_FAILED;
	}
	rc = nd->cl->eng->cancel(&x);
	dd_pool_release(x.pc);
	return rc;
}
