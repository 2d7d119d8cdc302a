/*
 * fo_run.c: a plan run as a core/jobs job (failover.h).
 *
 * The steps move through core/jobs' one transition function (dd_job_step:
 * pending → running → done | failed, done | failed → undone, pending →
 * skipped), driven here in the plan's order. What a step does comes from the
 * engine's table (fo_pg.c, fo_my.c) or, for the steps both engines share
 * (the lock, holding writes, the hooks, the routers following, the final
 * verification), from this file.
 *
 * The promotion is the point of no return. A step that fails before it
 * rolls back: the steps done so far are undone in reverse order (the fence
 * lifted, writes released) and the outcome is failed. A step that fails
 * after it cannot be undone (there is a new primary): the remaining steps
 * still run, each failure adds the commands a person must run instead, and
 * the outcome is incomplete. A refusal of the lock ends the job refused.
 * Whatever happens, the routers' hold and the lock are released at the end.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/router.h"
#include "failover/fo_int.h"
#include "util/util.h"

#define FOLLOW_WAIT_NS INT64_C(3000000000)

void
fo_log(struct dd_fo_plan *p, const char *fmt, ...)
{
	char line[DD_JOB_LOG_LINE_MAX];
	va_list ap;

	if (p->job == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dd_job_log(p->job, "%s", line);
}

void
fo_manual(struct dd_fo_plan *p, const char *fmt, ...)
{
	size_t used = strlen(p->manual);
	va_list ap;

	if (used + 2 >= sizeof(p->manual))
		return;
	va_start(ap, fmt);
	vsnprintf(p->manual + used, sizeof(p->manual) - used, fmt, ap);
	va_end(ap);
}

bool
fo_nap(struct dd_fo_plan *p, int ms)
{
	struct pollfd pfd = {.fd = p->job ? dd_job_cancel_fd(p->job) : -1, .events = POLLIN};

	poll(&pfd, pfd.fd >= 0 ? 1 : 0, ms);
	return p->job && dd_job_cancelled(p->job);
}

/* ---- the steps both engines share ---- */

static void
hold(struct dd_fo_plan *p, bool on)
{
	char why[120];

	snprintf(
	    why, sizeof(why), "%s of %s in progress", dd_fo_action_name(p->action), p->cc->name);
	for (size_t i = 0; i < p->n_routers; i++)
		dd_router_hold_writes(p->routers[i], on, why);
	p->held = on;
}

static int
step_hold(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)s, (void)err, (void)len;
	hold(p, true);
	fo_log(p, "writes held in %zu router(s) of this process", p->n_routers);
	return 0;
}

static int
undo_hold(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)s, (void)err, (void)len;
	hold(p, false);
	return 0;
}

static int
step_fence_hook(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	int rc = fo_hook_run(p, p->fence_argv, s->node, p->candidate, err, len);

	/* its session died with it, or is about to */
	if (p->nodes[s->node].conn)
		dd_conn_mark_broken(p->nodes[s->node].conn);
	return rc;
}

static int
step_follow(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)s, (void)err, (void)len;
	for (size_t i = 0; i < p->n_routers; i++) {
		dd_router_note_promotion(p->routers[i], fo_name(p, p->candidate), dd_now_wall_ms());
		dd_router_probe_now(p->routers[i], dd_now_mono_ns() + FOLLOW_WAIT_NS);
	}
	hold(p, false);
	fo_log(p, "%s takes writes", fo_name(p, p->candidate));
	return 0;
}

static int
step_rejoin(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	const char *sql = p->eng->before_rejoin_sql;
	struct dd_conn *c;
	int rc;

	if (sql && (c = fo_conn(p, p->candidate, err, len)) != NULL &&
	    fo_exec(c, sql, fo_deadline(p), err, len) != 0)
		return -1;
	rc = fo_hook_run(p, p->rejoin_argv, s->node, p->candidate, err, len);
	if (p->nodes[s->node].conn)
		dd_conn_mark_broken(p->nodes[s->node].conn); /* restarted: reconnect */
	p->nodes[s->node].repointed = rc == 0;
	return rc;
}

static int
step_verify(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	int64_t deadline = fo_deadline(p);
	char why[160] = "", late[300];
	bool all;

	(void)s;
	do {
		all = true;
		late[0] = '\0';
		for (size_t i = 0; i < p->n; i++) {
			if (!p->nodes[i].repointed ||
			    p->eng->replicating(p, (int)i, why, sizeof(why)) == 1)
				continue;
			all = false;
			size_t used = strlen(late);
			snprintf(late + used, sizeof(late) - used, "%s%s (%.80s)", used ? ", " : "",
			    fo_name(p, (int)i), why);
		}
	} while (!all && !fo_nap(p, 50) && dd_now_mono_ns() < deadline);
	if (!all) {
		dd_seterr(err, len, "not replicating from %s within switchover_timeout: %s",
		    fo_name(p, p->candidate), late);
		return -1;
	}
	return 0;
}

/* ---- driving the plan ---- */

enum step_result { STEP_DONE, STEP_FAILED, STEP_REFUSED };

static enum step_result
run_step(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	int rc;

	switch (s->kind) {
	case FO_LOCK:
		rc = fo_lock_take(p, err, len);
		return rc == 0 ? STEP_DONE : rc == 1 ? STEP_REFUSED : STEP_FAILED;
	case FO_HOLD: rc = step_hold(p, s, err, len); break;
	case FO_FENCE_HOOK: rc = step_fence_hook(p, s, err, len); break;
	case FO_FOLLOW: rc = step_follow(p, s, err, len); break;
	case FO_REJOIN: rc = step_rejoin(p, s, err, len); break;
	case FO_VERIFY: rc = step_verify(p, s, err, len); break;
	default: rc = p->eng->step[s->kind] ? p->eng->step[s->kind](p, s, err, len) : 0; break;
	}
	if (rc == FO_STEP_REFUSED)
		return STEP_REFUSED;
	return rc == 0 ? STEP_DONE : STEP_FAILED;
}

/* Undoes the steps up to and including `upto`, newest first. Returns false when one could not be.
 */
static bool
roll_back(struct dd_fo_plan *p, size_t upto)
{
	struct dd_job_status *st = xmalloc(sizeof(*st));
	char err[DD_FO_MSG_MAX];
	bool clean = true;

	dd_job_read(p->job, st);
	for (size_t i = upto + 1; i-- > 0;) {
		const struct fo_step *s = &p->steps[i];
		enum dd_step_state was = st->steps[i].state;
		int (*undo)(struct dd_fo_plan *, const struct fo_step *, char *, size_t) =
		    s->kind == FO_HOLD ? undo_hold : p->eng->undo[s->kind];
		if (undo == NULL || (was != DD_STEP_DONE && was != DD_STEP_FAILED))
			continue;
		err[0] = '\0';
		if (undo(p, s, err, sizeof(err)) == 0) {
			dd_job_step(p->job, i, DD_STEP_UNDONE, "undone");
			continue;
		}
		clean = false;
		fo_log(p, "undo of step %zu failed: %s", i + 1, err);
		fo_manual(p, "%sundo step %zu (%s) by hand: it failed: %s",
		    p->manual[0] ? "; " : "", i + 1, s->title, err);
	}
	free(st);
	return clean;
}

/* After the promotion: what a person runs instead of step s. */
static void
add_manual(struct dd_fo_plan *p, const struct fo_step *s, const char *why)
{
	char how[700];

	p->eng->manual(p, s, how, sizeof(how));
	if (why)
		fo_manual(p, "%s%s failed (%s): %s", p->manual[0] ? " | " : "", s->title, why, how);
	else
		fo_manual(p, "%s%s: %s", p->manual[0] ? " | " : "", s->title, how);
}

static void
finish_refused(struct dd_fo_plan *p)
{
	char why[DD_JOB_TEXT_MAX];

	dd_fo_plan_refused(p, why, sizeof(why));
	dd_job_finish(p->job, DD_JOB_REFUSED, "%s", why);
}

static void
finish(struct dd_fo_plan *p, bool failed_after, const char *first_err)
{
	const char *c = fo_name(p, p->candidate);

	if (!failed_after && !p->manual[0]) {
		dd_job_finish(p->job, DD_JOB_DONE,
		    "%s is the primary of %s; the other nodes replicate "
		    "from it",
		    c, p->cc->name);
		return;
	}
	dd_job_finish(p->job, DD_JOB_INCOMPLETE, "%s is the primary of %s%s%s; still to do: %s", c,
	    p->cc->name, first_err ? ", but " : "", first_err ? first_err : "", p->manual);
}

/* Runs steps from i on; returns the index of a step that failed before the promotion, or -1. */
static long
run_steps(struct dd_fo_plan *p, bool *after, char *first, size_t flen)
{
	char err[DD_FO_MSG_MAX];

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct fo_step *s = &p->steps[i];
		if (s->kind == FO_HOLD && p->eng->prepare && !dd_job_cancelled(p->job))
			p->eng->prepare(p);
		if (s->kind == FO_REJOIN && !p->rejoin_argv) {
			dd_job_step(p->job, i, DD_STEP_SKIPPED, "no rejoin_command");
			add_manual(p, s, NULL);
			continue;
		}
		if (p->scheduled || (s->kind == FO_HOLD && p->scheduled_at[0])) {
			dd_job_step(p->job, i, DD_STEP_SKIPPED, "scheduled: Patroni runs it at %s",
			    p->scheduled_at);
			continue;
		}
		if (s->kind == FO_HOLD && p->n_routers == 0) {
			dd_job_step(p->job, i, DD_STEP_SKIPPED,
			    "no router in this process (others follow by probing)");
			continue;
		}
		if (dd_job_cancelled(p->job) && !p->promoted)
			return (long)i - 1;
		dd_job_step(p->job, i, DD_STEP_RUNNING, NULL);
		err[0] = '\0';
		enum step_result r = run_step(p, s, err, sizeof(err));
		if (r == STEP_DONE) {
			dd_job_step(p->job, i, DD_STEP_DONE, NULL);
			continue;
		}
		dd_job_step(p->job, i, DD_STEP_FAILED, "%s", err);
		fo_log(p, "step %zu failed: %s", i + 1, err);
		if (r == STEP_REFUSED) {
			dd_job_finish(p->job, DD_JOB_REFUSED, "%s", err);
			return -2;
		}
		if (!p->promoted) {
			snprintf(first, flen, "%s: %s", s->title, err);
			return (long)i;
		}
		if (!*after)
			snprintf(first, flen, "%s failed: %s", s->title, err);
		*after = true;
		add_manual(p, s, err);
	}
	return -1;
}

static void
fo_job(struct dd_job *job, void *ctx)
{
	struct dd_fo_plan *p = ctx;
	char first[DD_FO_MSG_MAX] = "";
	bool after = false;
	long failed;

	p->job = job;
	if (dd_fo_plan_refused(p, NULL, 0)) {
		finish_refused(p);
		return;
	}
	failed = run_steps(p, &after, first, sizeof(first));
	if (failed >= 0 || (failed == -1 && dd_job_cancelled(job) && !p->promoted)) {
		bool clean = roll_back(p, failed >= 0 ? (size_t)failed : p->n_steps - 1);
		if (!clean)
			dd_job_finish(job, DD_JOB_INCOMPLETE, "%s; " FO_NOTHING_PROMOTED ", but %s",
			    first[0] ? first : "cancelled", p->manual);
		else if (failed >= 0 && !dd_job_cancelled(job))
			dd_job_finish(job, DD_JOB_FAILED, "%s; " FO_NOTHING_PROMOTED, first);
	} else if (failed == -1 && p->scheduled) {
		dd_job_finish(job, DD_JOB_DONE, FO_SCHEDULED "%s over to %s at %s", p->cc->name,
		    fo_name(p, p->candidate), p->scheduled_at);
	} else if (failed == -1) {
		finish(p, after, first[0] ? first : NULL);
	}
	if (p->held)
		hold(p, false);
	fo_lock_release(p);
}

static void
plan_free(void *ctx)
{
	dd_fo_plan_free(ctx);
}

int
dd_fo_submit(struct dd_fo_plan *p, struct dd_jobs *jobs, struct dd_audit *audit,
    struct dd_job **out, char *err, size_t errlen)
{
	const char *titles[DD_JOB_MAX_STEPS];
	char args[300];

	for (size_t i = 0; i < p->n_steps; i++)
		titles[i] = p->steps[i].title;
	snprintf(args, sizeof(args),
	    "{\"old_primary\":\"%s\",\"to\":\"%s\",\"force\":%s,\"no_fence\":%s%s%s%s}",
	    dd_fo_plan_old_primary(p), dd_fo_plan_candidate(p), p->force ? "true" : "false",
	    p->no_fence ? "true" : "false", p->scheduled_at[0] ? ",\"scheduled_at\":\"" : "",
	    p->scheduled_at, p->scheduled_at[0] ? "\"" : "");
	struct dd_job_spec spec = {
	    .kind = dd_fo_action_name(p->action),
	    .cluster = p->cc->name,
	    .exclusive = true,
	    .steps = titles,
	    .n_steps = p->n_steps,
	    .run = fo_job,
	    .ctx = p,
	    .ctx_free = plan_free,
	    .audit = audit,
	    .audit_target = dd_fo_plan_candidate(p),
	    .audit_args = args,
	};
	if (audit == NULL) {
		dd_seterr(err, errlen, "no audit log: an action must write its audit records");
		plan_free(p);
		return DD_JOBS_AUDIT;
	}
	return dd_jobs_submit(jobs, &spec, out, err, errlen);
}
