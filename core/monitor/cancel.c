/*
 * cancel.c: cancelling or terminating a slow statement (monitor.h), over a
 * connection of the node's pool, never the probe's.
 *
 * The target is re-checked on the server first, because a pid (thread id)
 * names a session, not a statement: by the time an operator confirms, the
 * statement may have ended and the session run another one, or the pid may
 * belong to a new session. PostgreSQL: one statement reads the session's
 * state and query_start and calls pg_cancel_backend / pg_terminate_backend
 * only when it is still active with the same start, to the microsecond (a
 * CASE, so the check and the act see the same row). MariaDB: the thread's
 * TIME_MS and INFO are read, its statement's start (now - TIME_MS) must be
 * within 1.5 s of the target's and its text must hash the same; then KILL
 * QUERY / KILL CONNECTION is sent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

#define DEFAULT_DEADLINE_NS INT64_C(5000000000)
#define MY_START_SLACK_US   INT64_C(1500000)

static int
pg_check_and_cancel(struct dd_pooled *pc, const struct dd_query_target *t, bool terminate,
    int64_t deadline, char *err, size_t errlen)
{
	struct dd_db_error e;
	struct dd_result *res = NULL;
	const char *state, *start, *done;
	char sql[512];
	int rc = DD_CANCEL_FAILED;

	snprintf(sql, sizeof(sql),
	    MON_COMMENT
	    " SELECT state, (extract(epoch FROM query_start) * 1000000)::bigint,"
	    " CASE WHEN state = 'active' AND (extract(epoch FROM query_start) * 1000000)::bigint"
	    " = %" PRId64 " THEN %s(pid) END FROM pg_stat_activity WHERE pid = %" PRId64,
	    t->started_us, terminate ? "pg_terminate_backend" : "pg_cancel_backend", t->pid);
	dd_db_error_clear(&e);
	if (dd_pool_query(pc, sql, deadline, &res, &e) < 0) {
		dd_seterr(
		    err, errlen, "could not check session %" PRId64 ": %s", t->pid, e.message);
		return DD_CANCEL_FAILED;
	}
	if (dd_result_nrows(res) != 1) {
		dd_seterr(err, errlen,
		    "refused: session %" PRId64 " is gone (the statement ended "
		    "and the session closed)",
		    t->pid);
		rc = DD_CANCEL_GONE;
		goto out;
	}
	state = dd_result_value(res, 0, 0);
	start = dd_result_value(res, 0, 1);
	done = dd_result_value(res, 0, 2);
	if (!state || strcmp(state, "active") != 0) {
		dd_seterr(err, errlen,
		    "refused: the statement has ended (session %" PRId64 " is %s now)", t->pid,
		    state ? state : "in an unknown state");
		rc = DD_CANCEL_CHANGED;
	} else if (!start || strtoll(start, NULL, 10) != t->started_us) {
		dd_seterr(err, errlen,
		    "refused: session %" PRId64 " runs another statement now "
		    "(started at a different time)",
		    t->pid);
		rc = DD_CANCEL_CHANGED;
	} else if (!done || strcmp(done, "t") != 0) {
		dd_seterr(err, errlen,
		    "the server did not signal session %" PRId64
		    " (no permission, or it just ended)",
		    t->pid);
	} else {
		rc = DD_CANCEL_OK;
	}
out:
	dd_result_free(res);
	return rc;
}

static int
my_check(struct dd_pooled *pc, const struct dd_query_target *t, int64_t now_us, int64_t deadline,
    char *err, size_t errlen)
{
	struct dd_db_error e;
	struct dd_result *res = NULL;
	const char *ms, *cmd;
	char sql[256];
	int64_t start_us, diff;
	int rc = DD_CANCEL_CHANGED;

	snprintf(sql, sizeof(sql),
	    MON_COMMENT " SELECT TIME_MS, INFO, COMMAND FROM "
	                "information_schema.PROCESSLIST WHERE ID = %" PRId64,
	    t->pid);
	dd_db_error_clear(&e);
	if (dd_pool_query(pc, sql, deadline, &res, &e) < 0) {
		dd_seterr(err, errlen, "could not check thread %" PRId64 ": %s", t->pid, e.message);
		return DD_CANCEL_FAILED;
	}
	if (dd_result_nrows(res) != 1) {
		dd_seterr(err, errlen, "refused: thread %" PRId64 " is gone", t->pid);
		rc = DD_CANCEL_GONE;
		goto out;
	}
	ms = dd_result_value(res, 0, 0);
	cmd = dd_result_value(res, 0, 2);
	start_us = now_us - (int64_t)(ms ? strtod(ms, NULL) * 1000.0 : 0);
	diff = start_us > t->started_us ? start_us - t->started_us : t->started_us - start_us;
	if (cmd && strcmp(cmd, "Sleep") == 0)
		dd_seterr(err, errlen,
		    "refused: the statement has ended (thread %" PRId64 " is idle)", t->pid);
	else if (diff > MY_START_SLACK_US || mon_text_hash(dd_result_value(res, 0, 1),
	                                         dd_result_length(res, 0, 1)) != t->text_hash)
		dd_seterr(
		    err, errlen, "refused: thread %" PRId64 " runs another statement now", t->pid);
	else
		rc = DD_CANCEL_OK;
out:
	dd_result_free(res);
	return rc;
}

static int
my_check_and_kill(struct dd_monitor *m, struct dd_pooled *pc, const struct dd_query_target *t,
    bool terminate, int64_t deadline, char *err, size_t errlen)
{
	struct dd_db_error e;
	char sql[128];
	int rc;

	rc = my_check(pc, t, m->clock.wall_ms(m->clock.ctx) * 1000, deadline, err, errlen);
	if (rc != DD_CANCEL_OK)
		return rc;
	snprintf(sql, sizeof(sql), MON_COMMENT " KILL %s %" PRId64,
	    terminate ? "CONNECTION" : "QUERY", t->pid);
	dd_db_error_clear(&e);
	if (dd_pool_exec(pc, sql, deadline, NULL, &e) < 0) {
		if (e.code == 1094) { /* unknown thread id: it ended in between */
			dd_seterr(err, errlen, "refused: thread %" PRId64 " is gone", t->pid);
			return DD_CANCEL_GONE;
		}
		dd_seterr(err, errlen, "KILL failed: %s", e.message);
		return DD_CANCEL_FAILED;
	}
	return DD_CANCEL_OK;
}

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
	struct dd_pooled *pc = NULL;
	struct dd_db_error e;
	struct mnode *nd;
	int rc;

	if (t == NULL || t->node < 0 || t->node >= m->n_nodes || t->pid <= 0 ||
	    m->nodes[t->node].cl->index != t->cluster) {
		dd_seterr(err, errlen, "no such query target");
		return DD_CANCEL_INVALID;
	}
	nd = &m->nodes[t->node];
	if (deadline_ns <= 0)
		deadline_ns = dd_now_mono_ns() + DEFAULT_DEADLINE_NS;
	dd_db_error_clear(&e);
	rc = dd_pool_acquire(action_pool(m, nd), deadline_ns, &pc, &e);
	if (rc != DD_POOL_OK) {
		dd_seterr(err, errlen, "%s: no connection: %s", nd->name, e.message);
		return DD_CANCEL_FAILED;
	}
	if (nd->cl->engine == DD_ENGINE_POSTGRESQL)
		rc = pg_check_and_cancel(pc, t, terminate, deadline_ns, err, errlen);
	else
		rc = my_check_and_kill(m, pc, t, terminate, deadline_ns, err, errlen);
	dd_pool_release(pc);
	return rc;
}
