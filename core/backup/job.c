/*
 * job.c: the backup actions as jobs of the runner (jobs.h), the one path of
 * the console and the command line: dd_backup_submit queues a take, verify,
 * restore or prune with a plan of steps, exclusive per cluster, audited by
 * the runner (or by the operation itself when the runner has no audit log).
 * The run function (on a worker thread) calls the core operation with hooks
 * that write the job's log, move its steps as the operation goes from one
 * phase to the next (hash → restore), report progress, and read the job's
 * cancel flag, and that pass the same on to the caller's own hooks (the
 * command line's progress bar and stderr lines); the outcome follows the
 * result (done, failed, refused, cancelled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "dbdeck/jobs.h"
#include "util/util.h"

struct run {
	struct dd_backup_job a;        /* a copy */
	struct dd_backup_hooks caller; /* a.ctx's own hooks: they get everything too */
	struct dd_job *job;
	size_t step;  /* the running step */
	size_t steps; /* the plan's length */
};

static void
job_log(void *ctx, const char *line)
{
	struct run *r = ctx;

	dd_job_log(r->job, "%s", line);
	if (r->caller.log)
		r->caller.log(r->caller.ctx, line);
}

static bool
job_cancelled(void *ctx)
{
	const struct run *r = ctx;

	return dd_job_cancelled(r->job) ||
	       (r->caller.cancelled && r->caller.cancelled(r->caller.ctx));
}

/* The step a phase belongs to: re-reading is the first, a restore the last. */
static size_t
step_of(const struct run *r, enum dd_backup_phase p)
{
	return p == DD_BACKUP_PHASE_RESTORE ? r->steps - 1 : 0;
}

static void
advance(struct run *r, size_t to)
{
	while (r->step < to) {
		dd_job_step(r->job, r->step, DD_STEP_DONE, NULL);
		dd_job_step(r->job, ++r->step, DD_STEP_RUNNING, NULL);
	}
}

static void
job_progress(void *ctx, const struct dd_backup_progress *p)
{
	struct run *r = ctx;

	advance(r, step_of(r, p->phase));
	dd_job_progress(r->job, r->step, p->done, p->total);
	if (r->caller.progress)
		r->caller.progress(r->caller.ctx, p);
}

int
dd_backup_job_rc(enum dd_job_outcome o)
{
	switch (o) {
	case DD_JOB_DONE: return DD_BACKUP_OK;
	case DD_JOB_REFUSED: return DD_BACKUP_REFUSED;
	case DD_JOB_CANCELLED: return DD_BACKUP_CANCELLED;
	default: return DD_BACKUP_FAILED;
	}
}

static int
do_take(struct run *r, char *msg, size_t len)
{
	struct dd_backup_result res;
	char err[BK_ERR_MAX];
	int rc = dd_backup_take(&r->a.ctx, r->a.node, r->a.why, &res, msg, len);

	if (rc == DD_BACKUP_OK && r->a.result)
		*r->a.result = res;
	if (rc == DD_BACKUP_OK)
		snprintf(msg, len, "backup %s from %s", res.id, res.node);
	if (rc != DD_BACKUP_OK || r->steps < 2)
		return rc;
	advance(r, 1);
	if (dd_backup_prune(&r->a.ctx, false, NULL, NULL, err, sizeof(err)) != DD_BACKUP_OK)
		dd_job_log(r->job, "retention: %s", err); /* the backup itself is fine */
	return rc;
}

static int
do_action(struct run *r, char *msg, size_t len)
{
	struct dd_restore_opts ro = {.which = r->a.which,
	    .into = r->a.into,
	    .replace = r->a.replace,
	    .primary = r->a.node,
	    .confirm = r->a.confirm,
	    .confirm_ctx = r->a.confirm_ctx};
	int rc;

	switch (r->a.action) {
	case DD_BACKUP_ACT_TAKE: return do_take(r, msg, len);
	case DD_BACKUP_ACT_VERIFY:
		rc = dd_backup_verify(&r->a.ctx, r->a.which, r->a.deep, msg, len);
		if (rc == DD_BACKUP_OK)
			snprintf(msg, len, "backup %s verified%s", r->a.which,
			    r->a.deep ? " (deep)" : "");
		return rc;
	case DD_BACKUP_ACT_RESTORE:
		if (!ro.primary && !(ro.primary = dd_backup_find_primary(&r->a.ctx, msg, len)))
			return DD_BACKUP_FAILED;
		rc = dd_backup_restore(&r->a.ctx, &ro, msg, len);
		if (rc == DD_BACKUP_OK)
			snprintf(msg, len, "backup %s restored into %s on %s", r->a.which,
			    r->a.into, ro.primary->name);
		return rc;
	case DD_BACKUP_ACT_PRUNE:
		rc = dd_backup_prune(&r->a.ctx, r->a.dry_run, r->a.report, r->a.rctx, msg, len);
		if (rc == DD_BACKUP_OK)
			snprintf(msg, len, "retention applied%s", r->a.dry_run ? " (dry run)" : "");
		return rc;
	}
	return DD_BACKUP_FAILED;
}

static void
run_job(struct dd_job *job, void *ctx)
{
	struct run *r = ctx;
	char msg[BK_ERR_MAX] = "";

	r->job = job;
	r->a.ctx.hooks = (struct dd_backup_hooks){.log = job_log,
	    .progress = job_progress,
	    .cancelled = job_cancelled,
	    .ctx = r,
	    .cancel = r->caller.cancel};
	dd_job_step(job, 0, DD_STEP_RUNNING, NULL);
	int rc = do_action(r, msg, sizeof(msg));
	if (rc == DD_BACKUP_OK) {
		advance(r, r->steps - 1);
		dd_job_step(job, r->step, DD_STEP_DONE, NULL);
		dd_job_finish(job, DD_JOB_DONE, "%s", msg);
		return;
	}
	dd_job_step(job, r->step, DD_STEP_FAILED, "%s", msg);
	dd_job_finish(job,
	    rc == DD_BACKUP_REFUSED     ? DD_JOB_REFUSED
	    : rc == DD_BACKUP_CANCELLED ? DD_JOB_CANCELLED
	                                : DD_JOB_FAILED,
	    "%s", msg);
}

/* The plan's titles into titles[], returning how many. */
static size_t
plan(const struct dd_backup_job *a, char titles[][DD_JOB_TITLE_MAX])
{
	size_t n = 0;

	switch (a->action) {
	case DD_BACKUP_ACT_TAKE:
		snprintf(titles[n++], DD_JOB_TITLE_MAX, "dump %s", a->node->name);
		if (a->prune_after)
			snprintf(titles[n++], DD_JOB_TITLE_MAX, "apply the retention");
		break;
	case DD_BACKUP_ACT_VERIFY:
		snprintf(
		    titles[n++], DD_JOB_TITLE_MAX, "re-read %s against its manifest", a->which);
		if (a->deep)
			snprintf(
			    titles[n++], DD_JOB_TITLE_MAX, "restore a scratch copy, count rows");
		break;
	case DD_BACKUP_ACT_RESTORE:
		snprintf(titles[n++], DD_JOB_TITLE_MAX, "check %s", a->which);
		snprintf(titles[n++], DD_JOB_TITLE_MAX, "restore into %s on %s", a->into,
		    a->node ? a->node->name : "the primary");
		break;
	case DD_BACKUP_ACT_PRUNE:
		snprintf(titles[n++], DD_JOB_TITLE_MAX, "apply the retention%s",
		    a->dry_run ? " (dry run)" : "");
		break;
	}
	return n;
}

static const char *const kinds[] = {
    [DD_BACKUP_ACT_TAKE] = "backup",
    [DD_BACKUP_ACT_VERIFY] = "verify",
    [DD_BACKUP_ACT_RESTORE] = "restore",
    [DD_BACKUP_ACT_PRUNE] = "prune",
};

int
dd_backup_submit(struct dd_jobs *runner, const struct dd_backup_job *a, struct dd_audit *audit,
    struct dd_job **out, char *err, size_t errlen)
{
	char titles[2][DD_JOB_TITLE_MAX], target[128], args[160];
	const char *steps[2] = {titles[0], titles[1]};
	struct run *r = xcalloc(1, sizeof(*r));

	r->a = *a;
	r->caller = a->ctx.hooks;
	if (audit)
		r->a.ctx.audit = NULL; /* the runner writes the records */
	r->steps = plan(a, titles);
	snprintf(target, sizeof(target), "%s",
	    a->action == DD_BACKUP_ACT_TAKE      ? a->node->name
	    : a->action == DD_BACKUP_ACT_RESTORE ? a->into
	    : a->action == DD_BACKUP_ACT_PRUNE   ? a->ctx.cluster->name
	                                         : a->which);
	snprintf(args, sizeof(args), "{\"backup\": \"%s\", \"deep\": %s, \"replace\": %s}",
	    a->which, a->deep ? "true" : "false", a->replace ? "true" : "false");
	struct dd_job_spec spec = {.kind = kinds[a->action],
	    .cluster = a->ctx.cluster->name,
	    .exclusive = true,
	    .steps = steps,
	    .n_steps = r->steps,
	    .run = run_job,
	    .ctx = r,
	    .ctx_free = free,
	    .audit = audit,
	    .audit_target = target,
	    .audit_args = args};
	return dd_jobs_submit(runner, &spec, out, err, errlen);
}
