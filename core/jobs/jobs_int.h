/*
 * jobs_int.h: the job and the runner as the two halves of core/jobs see
 * them (job.c: a job's state, steps, progress and log; runner.c: the
 * queue, the workers, the wake-up descriptor). Lock order: a runner's
 * mutex, then a job's; never the other way round.
 */
#ifndef DD_JOBS_INT_H
#define DD_JOBS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "dbdeck/jobs.h"

struct dd_job {
	atomic_int refs;
	atomic_bool cancel;
	int cancel_fd; /* eventfd, written once by dd_job_cancel */
	const struct dd_clock *clock;

	/* Set at submit, read by the worker; fixed afterwards. */
	dd_job_fn run;
	void *ctx;
	void (*ctx_free)(void *ctx);
	bool exclusive;
	struct dd_audit *audit;
	uint64_t audit_id;
	bool audited; /* a start record was written */

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t done_cv;
	struct dd_jobs *runner; /* NULL once the runner let go of the job */
	struct dd_job_status st;
	int64_t submit_mono, start_mono;
	int64_t step_mono[DD_JOB_MAX_STEPS];   /* when the step started running */
	uint64_t rate_bytes[DD_JOB_MAX_STEPS]; /* progress sample of the rate */
	int64_t rate_mono[DD_JOB_MAX_STEPS];
	bool finish_set; /* dd_job_finish was called */
	enum dd_job_outcome finish_outcome;
	int64_t last_wake_mono; /* of a rate-limited wake-up */
	struct dd_job_log_line log[DD_JOB_LOG_LINES];
	char partial[DD_JOB_LOG_LINE_MAX]; /* dd_job_log_write's unfinished line */
	size_t partial_len;
};

/* ---- job.c ---- */

/* A new job from spec (one reference, the runner's), queued. NULL when spec is invalid. */
struct dd_job *job_new(
    const struct dd_job_spec *spec, const struct dd_clock *clock, char *err, size_t errlen);

/*
 * The job's transition function: moves the job to `to` (queued → running →
 * finished, or queued → finished) with outcome (finished only) and reason,
 * recording the time. Called by the runner with its own mutex held, so that
 * its counts move in the same step. Returns the state it left.
 */
enum dd_job_state job_transition(
    struct dd_job *j, enum dd_job_state to, enum dd_job_outcome outcome, const char *reason);

/*
 * After the run function returned: the outcome it set (or the one that
 * follows from a cancel / nothing), with the plan closed: pending steps
 * become skipped, a running one failed. Fills *final (the state as it will
 * be once finished) for the audit record.
 */
enum dd_job_outcome job_settle(struct dd_job *j, struct dd_job_status *final);

/*
 * Signals the wake-up descriptor of j's runner (if it still has one),
 * rate-limited per job when !urgent. j->mu held (runner.c).
 */
void runner_wake(struct dd_job *j, bool urgent);
/* A reference on the runner (NULL passes through), and its release (runner.c). */
struct dd_jobs *runner_hold(struct dd_jobs *r);
void runner_release(struct dd_jobs *r);
/*
 * A cancel of a queued job: finishes it at once, on the caller's thread,
 * unless a worker has taken it already (runner.c).
 */
void runner_cancel_queued(struct dd_jobs *r, struct dd_job *j);

#endif
