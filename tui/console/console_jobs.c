/*
 * console_jobs.c: the console's actions as core jobs (console_jobs.h). A
 * cancel or terminate is a job of one step ("cancel pid N on NODE") run by
 * a dd_jobs runner; the adapter keeps the jobs it started until the loop
 * has taken their results.
 */
#include "console_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbdeck/audit.h"
#include "dbdeck/backup.h"
#include "dbdeck/patroni.h"
#include "dbdeck/text.h"
#include "dbdeck/util.h"

#define JOBS_MAX         8
#define STOP_DEADLINE_NS INT64_C(6000000000) /* a cancel's own deadline is 5 s */

struct plan_ctx;

struct jobs {
	struct dd_monitor *mon;
	struct dd_audit *audit;
	char audit_err[300];
	struct dd_jobs *runner;
	struct dd_job *started[JOBS_MAX]; /* results not yet taken */
	struct plan_ctx *plans[JOBS_MAX]; /* started[i]'s plan context, or NULL */
	int n;
	struct jobs_failover fo; /* cfg NULL: switchover and failover are off */
	struct dd_job *action;   /* the current or last switchover / failover */
};

/* A planning job's context; the loop takes the plan from it (jobs_take). */
struct plan_ctx {
	struct jobs_failover fo;
	bool failover;
	char cluster[64], to[64];
	struct dd_fo_plan *plan;
	char err[400];
};

/* What a cancel job needs on its thread (owned by the job). */
struct cancel_ctx {
	struct dd_monitor *mon;
	struct console_request req;
};

void
jobs_cancel_message(
    const struct console_request *req, int rc, const char *err, char *buf, size_t len)
{
	char why[200];
	const char *verb = req->terminate ? "terminate" : "cancel";
	if (rc == DD_CANCEL_OK) {
		snprintf(buf, len, "%s %s: done", verb, req->target);
		return;
	}
	dd_text_sanitize(
	    why, sizeof(why), err ? err : "", err ? strlen(err) : 0, 120, DD_TEXT_UTF8);
	snprintf(buf, len, "%s %s: %s (%s)", verb, req->target,
	    rc == DD_CANCEL_GONE        ? "refused, the session is gone"
	    : rc == DD_CANCEL_CHANGED   ? "refused, it runs another statement now"
	    : rc == DD_CANCEL_INVALID   ? "refused, no such node"
	    : rc == DD_CANCEL_READ_ONLY ? "refused, read-only"
	                                : "failed",
	    why[0] ? why : "no detail");
}

enum dd_job_outcome
jobs_cancel_outcome(int rc)
{
	switch (rc) {
	case DD_CANCEL_OK: return DD_JOB_DONE;
	case DD_CANCEL_GONE:
	case DD_CANCEL_CHANGED:
	case DD_CANCEL_INVALID: return DD_JOB_REFUSED;
	default: return DD_JOB_FAILED;
	}
}

static void
run_cancel(struct dd_job *job, void *arg)
{
	struct cancel_ctx *c = arg;
	const struct console_request *req = &c->req;
	struct dd_query_target t = {
	    .cluster = req->cluster,
	    .node = req->node,
	    .pid = req->pid,
	    .started_us = req->started_us,
	    .text_hash = req->text_hash,
	};
	char err[256] = "", msg[400];
	dd_job_step(job, 0, DD_STEP_RUNNING, NULL);
	int rc = dd_monitor_cancel_query(c->mon, &t, req->terminate, 0, err, sizeof(err));
	jobs_cancel_message(req, rc, err, msg, sizeof(msg));
	dd_job_step(job, 0, rc == DD_CANCEL_OK ? DD_STEP_DONE : DD_STEP_FAILED, "%s", msg);
	dd_monitor_log_action(c->mon, req->cluster_name, req->node_name, msg,
	    rc == DD_CANCEL_OK ? DD_SEV_INFO : DD_SEV_WARN);
	dd_job_finish(job, jobs_cancel_outcome(rc), "%s", msg);
}

struct jobs *
jobs_start(
    struct dd_monitor *m, struct dd_audit *audit, const char *audit_err, char *err, size_t errlen)
{
	struct dd_jobs_options o = {.max_running = 2};
	struct dd_jobs *runner = dd_jobs_new(&o, err, errlen);
	if (!runner)
		return NULL;
	struct jobs *j = xcalloc(1, sizeof(*j));
	j->mon = m;
	j->audit = audit;
	dd_strlcpy(j->audit_err, audit_err ? audit_err : "no audit log", sizeof(j->audit_err));
	j->runner = runner;
	return j;
}

void
jobs_stop(struct jobs *j)
{
	if (!j)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	dd_jobs_shutdown(
	    j->runner, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + STOP_DEADLINE_NS);
	for (int i = 0; i < j->n; i++) {
		dd_job_unref(j->started[i]);
		if (j->plans[i])
			dd_fo_plan_free(j->plans[i]->plan);
		free(j->plans[i]);
	}
	dd_job_unref(j->action);
	dd_jobs_free(j->runner);
	free(j);
}

int
jobs_fd(const struct jobs *j)
{
	return dd_jobs_wake_fd(j->runner);
}

/* A refusal: the status line's text, and the events log's. */
static bool
refuse(
    struct jobs *j, const struct console_request *req, const char *reason, char *why, size_t whylen)
{
	char clean[300];
	dd_text_sanitize(clean, sizeof(clean), reason, strlen(reason), 200, DD_TEXT_UTF8);
	snprintf(why, whylen, "%s refused: %s", req->terminate ? "terminate" : "cancel", clean);
	dd_monitor_log_action(j->mon, req->cluster_name, req->node_name, why, DD_SEV_WARN);
	return false;
}

static void
free_ctx(void *ctx)
{
	free(ctx);
}

bool
jobs_submit(struct jobs *j, const struct console_request *req, char *why, size_t whylen)
{
	if (!j->audit)
		return refuse(j, req, j->audit_err, why, whylen);
	if (j->n == JOBS_MAX)
		return refuse(j, req, "too many actions in progress; try again", why, whylen);
	static const char *const plan[] = {"send the cancel"};
	struct cancel_ctx *c = xcalloc(1, sizeof(*c));
	c->mon = j->mon;
	c->req = *req;
	char args[200], err[400];
	snprintf(args, sizeof(args), "{\"node\":\"%s\",\"pid\":%lld,\"query_start_us\":%lld}",
	    req->node_name, (long long)req->pid, (long long)req->started_us);
	struct dd_job_spec spec = {.kind = req->terminate ? "terminate" : "cancel",
	    .cluster = req->cluster_name,
	    .steps = plan,
	    .n_steps = 1,
	    .run = run_cancel,
	    .ctx = c,
	    .ctx_free = free_ctx,
	    .audit = j->audit,
	    .audit_target = req->target,
	    .audit_args = args};
	struct dd_job *job;
	if (dd_jobs_submit(j->runner, &spec, &job, err, sizeof(err)) != DD_JOBS_OK)
		return refuse(j, req, err, why, whylen);
	j->plans[j->n] = NULL;
	j->started[j->n++] = job;
	return true;
}

/* ---- switchover and failover ---- */

void
jobs_failover_setup(struct jobs *j, const struct jobs_failover *f)
{
	j->fo = *f;
}

static void
run_plan(struct dd_job *job, void *arg)
{
	struct plan_ctx *p = arg;
	struct dd_router *r = NULL;
	struct dd_cluster *cl = dd_core_cluster(p->fo.core, p->cluster);
	if (cl)
		r = dd_cluster_router(cl);
	struct dd_fo_request req = {.action = p->failover ? DD_FO_FAILOVER : DD_FO_SWITCHOVER,
	    .cfg = p->fo.cfg,
	    .cluster = p->cluster,
	    .to = p->to[0] ? p->to : NULL,
	    .get_credential = p->fo.cred,
	    .cred_ctx = p->fo.cred_ctx,
	    .routers = r ? &r : NULL,
	    .n_routers = r ? 1 : 0};
	dd_job_step(job, 0, DD_STEP_RUNNING, NULL);
	if (dd_fo_plan_new(&req, &p->plan, p->err, sizeof(p->err)) != DD_FO_OK) {
		dd_job_step(job, 0, DD_STEP_FAILED, "%s", p->err);
		dd_job_finish(job, DD_JOB_FAILED, "%s", p->err);
		return;
	}
	dd_job_step(job, 0, DD_STEP_DONE, NULL);
	dd_job_finish(job, DD_JOB_DONE, NULL);
}

/* The planning job ended: its plan (or its error) goes to the loop. */
static void
take_plan(struct plan_ctx *p, struct job_result *out)
{
	out->plan = p->plan;
	out->failover = p->failover;
	dd_strlcpy(out->cluster, p->cluster, sizeof(out->cluster));
	if (!p->plan)
		snprintf(out->message, sizeof(out->message), "%s of %s: %.300s",
		    p->failover ? "failover" : "switchover", p->cluster, p->err);
	p->plan = NULL;
}

/* The action ended: its outcome in the events log. */
static void
action_logged(struct jobs *j, const struct dd_job_status *s, struct job_result *out)
{
	char msg[sizeof(out->message)];
	snprintf(msg, sizeof(msg), "%s: %.360s", s->kind, out->message);
	dd_strlcpy(out->message, msg, sizeof(out->message));
	dd_monitor_log_action(
	    j->mon, s->cluster, "", msg, s->outcome == DD_JOB_DONE ? DD_SEV_INFO : DD_SEV_WARN);
}

bool
jobs_plan(
    struct jobs *j, bool failover, const char *cluster, const char *to, char *why, size_t whylen)
{
	static const char *const plan_steps[] = {"plan"};
	if (!j->fo.cfg) {
		snprintf(why, whylen, "switchover and failover are not available here");
		return false;
	}
	if (j->n == JOBS_MAX) {
		snprintf(why, whylen, "too many actions in progress; try again");
		return false;
	}
	struct plan_ctx *p = xcalloc(1, sizeof(*p));
	p->fo = j->fo;
	p->failover = failover;
	dd_strlcpy(p->cluster, cluster, sizeof(p->cluster));
	dd_strlcpy(p->to, to ? to : "", sizeof(p->to));
	struct dd_job_spec spec = {.kind = "plan",
	    .cluster = cluster,
	    .steps = plan_steps,
	    .n_steps = 1,
	    .run = run_plan,
	    .ctx = p};
	struct dd_job *job;
	char err[400];
	if (dd_jobs_submit(j->runner, &spec, &job, err, sizeof(err)) != DD_JOBS_OK) {
		snprintf(why, whylen, "%s", err);
		free(p);
		return false;
	}
	j->plans[j->n] = p;
	j->started[j->n++] = job;
	return true;
}

bool
jobs_run_plan(struct jobs *j, struct dd_fo_plan *p, char *why, size_t whylen)
{
	struct dd_job *job;
	char err[400];
	if (!j->audit) {
		snprintf(why, whylen, "refused: %s", j->audit_err);
		dd_fo_plan_free(p);
		return false;
	}
	if (j->n == JOBS_MAX) {
		snprintf(why, whylen, "too many actions in progress; try again");
		dd_fo_plan_free(p);
		return false;
	}
	if (dd_fo_submit(p, j->runner, j->audit, &job, err, sizeof(err)) != DD_JOBS_OK) {
		dd_text_sanitize(why, whylen, err, strlen(err), 200, DD_TEXT_UTF8);
		return false;
	}
	dd_job_unref(j->action);
	j->action = dd_job_ref(job);
	j->plans[j->n] = NULL;
	j->started[j->n++] = job;
	return true;
}

bool
jobs_patroni(
    struct jobs *j, const char *cluster, int op, const char *node, char *why, size_t whylen)
{
	struct dd_job *job;
	char err[400];
	struct dd_patroni_action a = {.cfg = j->fo.cfg,
	    .cluster = cluster,
	    .op = (enum dd_patroni_op)op,
	    .node = node,
	    .get_credential = j->fo.cred,
	    .cred_ctx = j->fo.cred_ctx};

	if (!j->fo.cfg || !j->audit) {
		snprintf(why, whylen, "refused: %s",
		    j->audit ? "actions are not available here" : j->audit_err);
		return false;
	}
	if (j->n == JOBS_MAX) {
		snprintf(why, whylen, "too many actions in progress; try again");
		return false;
	}
	if (dd_patroni_action_submit(&a, j->runner, j->audit, &job, err, sizeof(err)) != 0) {
		dd_text_sanitize(why, whylen, err, strlen(err), 200, DD_TEXT_UTF8);
		return false;
	}
	j->plans[j->n] = NULL;
	j->started[j->n++] = job;
	return true;
}

bool
jobs_action_read(struct jobs *j, struct dd_job_status *out)
{
	if (!j->action)
		return false;
	dd_job_read(j->action, out);
	return true;
}

/* ---- backups ---- */

static bool
is_backup_kind(const char *kind)
{
	return strcmp(kind, "backup") == 0 || strcmp(kind, "verify") == 0 ||
	       strcmp(kind, "restore") == 0;
}

const struct dd_config *
jobs_config(const struct jobs *j)
{
	return j->fo.cfg;
}

/* The cluster's credential and backup key into a->ctx (borrowed from the vault). */
static bool
bk_secrets(struct jobs *j, struct dd_backup_job *a, char *why, size_t whylen)
{
	const struct dd_cluster_config *cc = a->ctx.cluster;
	const char *cred = dd_backup_credential_name(cc), *ku, *kp;

	if (j->fo.cred(j->fo.cred_ctx, cred, &a->ctx.user, &a->ctx.password) != 0) {
		snprintf(why, whylen, "credential '%s' is not in the vault", cred);
		return false;
	}
	if (!cc->backup_key)
		return true;
	if (j->fo.cred(j->fo.cred_ctx, cc->backup_key, &ku, &kp) != 0 || !kp[0]) {
		snprintf(why, whylen, "backup_key '%s' is not in the vault", cc->backup_key);
		return false;
	}
	a->ctx.key_secret = kp;
	a->ctx.key_len = strlen(kp);
	return true;
}

/* The job of req, or false with why. */
static bool
bk_job_of(struct jobs *j, const struct console_request *req, struct dd_backup_job *a, char *why,
    size_t whylen)
{
	static const enum dd_backup_action acts[] = {
	    [REQ_BK_TAKE] = DD_BACKUP_ACT_TAKE,
	    [REQ_BK_VERIFY] = DD_BACKUP_ACT_VERIFY,
	    [REQ_BK_RESTORE] = DD_BACKUP_ACT_RESTORE,
	};
	memset(a, 0, sizeof(*a));
	a->action = acts[req->bk_action];
	if (!(a->ctx.cluster = dd_config_find_cluster(j->fo.cfg, req->cluster_name))) {
		snprintf(why, whylen, "no cluster named %s in the config", req->cluster_name);
		return false;
	}
	if (!bk_secrets(j, a, why, whylen))
		return false;
	if (a->action == DD_BACKUP_ACT_TAKE &&
	    !(a->node = dd_config_find_node(j->fo.cfg, req->node_name))) {
		snprintf(why, whylen, "no node named %s in the config", req->node_name);
		return false;
	}
	dd_strlcpy(a->why, req->target, sizeof(a->why));
	a->prune_after = a->action == DD_BACKUP_ACT_TAKE;
	dd_strlcpy(a->which, req->bk_which, sizeof(a->which));
	a->deep = req->bk_deep;
	dd_strlcpy(a->into, req->bk_into, sizeof(a->into));
	return true;
}

bool
jobs_backup(struct jobs *j, const struct console_request *req, char *why, size_t whylen)
{
	static const char *const names[] = {"backup", "verify", "restore"};
	struct dd_backup_job a;
	struct dd_job *job;
	char err[400] = "";

	if (!j->audit)
		snprintf(err, sizeof(err), "%s", j->audit_err);
	else if (!j->fo.cfg || !j->fo.cred)
		snprintf(err, sizeof(err), "backups are not available here (no vault)");
	else if (j->n == JOBS_MAX)
		snprintf(err, sizeof(err), "too many actions in progress; try again");
	else if (bk_job_of(j, req, &a, err, sizeof(err)) &&
	         dd_backup_submit(j->runner, &a, j->audit, &job, err, sizeof(err)) == DD_JOBS_OK) {
		j->plans[j->n] = NULL;
		j->started[j->n++] = job;
		return true;
	}
	char clean[300];
	dd_text_sanitize(clean, sizeof(clean), err, strlen(err), 200, DD_TEXT_UTF8);
	snprintf(
	    why, whylen, "%s of %s refused: %s", names[req->bk_action], req->cluster_name, clean);
	dd_monitor_log_action(j->mon, req->cluster_name, "", why, DD_SEV_WARN);
	return false;
}

bool
jobs_backup_busy(struct jobs *j, const char *cluster, struct dd_job_status *out)
{
	return dd_jobs_busy(j->runner, cluster, out) && is_backup_kind(out->kind);
}

bool
jobs_backup_any(struct jobs *j)
{
	struct dd_job_status *s = xmalloc(sizeof(*s));
	bool any = false;
	for (int i = 0; i < j->n && !any; i++) {
		dd_job_read(j->started[i], s);
		any = s->state != DD_JOB_FINISHED && is_backup_kind(s->kind);
	}
	free(s);
	return any;
}

bool
jobs_take(struct jobs *j, struct job_result *out)
{
	dd_jobs_ack(j->runner);
	struct dd_job_status *s = xmalloc(sizeof(*s));
	bool found = false;
	for (int i = 0; i < j->n && !found; i++) {
		dd_job_read(j->started[i], s);
		if (s->state != DD_JOB_FINISHED)
			continue;
		memset(out, 0, sizeof(*out));
		out->ok = s->outcome == DD_JOB_DONE;
		if (s->text[0] && !j->plans[i])
			dd_strlcpy(out->message, s->text, sizeof(out->message));
		else
			dd_job_describe(s, out->message, sizeof(out->message));
		if (j->plans[i])
			take_plan(j->plans[i], out);
		if (j->started[i] == j->action || is_backup_kind(s->kind))
			action_logged(j, s, out);
		dd_job_unref(j->started[i]);
		j->started[i] = j->started[j->n - 1];
		j->plans[i] = j->plans[j->n - 1];
		j->n--;
		found = true;
	}
	free(s);
	return found;
}
