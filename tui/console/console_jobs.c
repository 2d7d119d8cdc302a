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

#include "console_util.h"
#include "dbdeck/audit.h"
#include "dbdeck/text.h"

#define JOBS_MAX         8
#define STOP_DEADLINE_NS INT64_C(6000000000) /* a cancel's own deadline is 5 s */

struct jobs {
	struct dd_monitor *mon;
	struct dd_audit *audit;
	char audit_err[300];
	struct dd_jobs *runner;
	struct dd_job *started[JOBS_MAX]; /* results not yet taken */
	int n;
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
	    rc == DD_CANCEL_GONE      ? "refused, the session is gone"
	    : rc == DD_CANCEL_CHANGED ? "refused, it runs another statement now"
	    : rc == DD_CANCEL_INVALID ? "refused, no such node"
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
	struct jobs *j = tui_xcalloc(1, sizeof(*j));
	j->mon = m;
	j->audit = audit;
	tui_strlcpy(j->audit_err, audit_err ? audit_err : "no audit log", sizeof(j->audit_err));
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
	for (int i = 0; i < j->n; i++)
		dd_job_unref(j->started[i]);
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
	struct cancel_ctx *c = tui_xcalloc(1, sizeof(*c));
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
	j->started[j->n++] = job;
	return true;
}

bool
jobs_take(struct jobs *j, struct job_result *out)
{
	dd_jobs_ack(j->runner);
	struct dd_job_status *s = tui_xmalloc(sizeof(*s));
	bool found = false;
	for (int i = 0; i < j->n && !found; i++) {
		dd_job_read(j->started[i], s);
		if (s->state != DD_JOB_FINISHED)
			continue;
		out->ok = s->outcome == DD_JOB_DONE;
		if (s->text[0])
			tui_strlcpy(out->message, s->text, sizeof(out->message));
		else
			dd_job_describe(s, out->message, sizeof(out->message));
		dd_job_unref(j->started[i]);
		j->started[i] = j->started[--j->n];
		found = true;
	}
	free(s);
	return found;
}
