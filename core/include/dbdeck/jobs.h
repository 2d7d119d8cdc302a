/*
 * jobs.h: long operations off the UI thread (DESIGN.md §3 and §8).
 *
 * What it is for. Everything an operator starts that talks to a server or
 * runs a tool (cancel a query, backup, verify, restore, switchover,
 * failover) runs as a job: a kind name, a cluster, and a plan of numbered
 * steps, each with a state (pending, running, done, failed, undone,
 * skipped), a duration, an optional message and optional progress (bytes
 * done of a total, and a rate). A job ends with one outcome: done; failed
 * (what was done has been rolled back); incomplete (with the text of what a
 * person must still do); cancelled; or refused. The console and the command
 * line start jobs the same way and render the same step list.
 *
 * Threads. A runner (struct dd_jobs) owns a few worker threads (options:
 * max_running, default 4). dd_jobs_submit queues a job with its run function
 * and context; a worker calls run(job, ctx) on its own thread. Jobs marked
 * exclusive are one per cluster: a second one is refused while the first
 * runs or waits (DD_JOBS_BUSY), so a cancel never queues behind a backup
 * but two backups of one cluster never run at once. The run function drives
 * the plan with dd_job_step (the one transition function of a step: it
 * checks the move is allowed and records the reason and the time), reports
 * progress with dd_job_progress, checks dd_job_cancelled (or polls
 * dd_job_cancel_fd) at every wait, and sets the outcome with dd_job_finish.
 * When it returns, the runner closes the plan (steps never reached become
 * skipped), writes the audit end record when the job has one, and moves the
 * job to finished (the job's own transition function, which records the
 * reason and time, and keeps the runner's counts).
 *
 * Readers (the console's UI thread, a command's progress printer) never
 * block on a job: dd_job_read copies the job's state under its mutex into a
 * caller's struct dd_job_status (plain data, consistent), and
 * dd_job_log_read copies log lines. They sleep in poll() on
 * dd_jobs_wake_fd, which becomes readable when any job changes state or a
 * step moves, and for progress and log lines at most once per
 * progress_interval_ms per job (default 100 ms): readers that draw progress
 * also re-read on their own timer.
 *
 * The log. Each job has a bounded ring of sanitized lines
 * (DD_JOB_LOG_LINES, each at most DD_JOB_LOG_LINE_MAX bytes): the run
 * function's own lines and a child tool's stderr (dd_job_log_write takes
 * raw bytes and splits them into lines).
 *
 * Ownership. The runner holds a reference to every job until it has
 * finished and is older than the keep_finished newest finished ones;
 * dd_jobs_submit and dd_jobs_list give the caller references of its own
 * (dd_job_unref). A job's context belongs to the job from dd_jobs_submit on,
 * even when the submit fails: ctx_free(ctx) runs once, after run returned
 * or when the job never runs. dd_jobs_shutdown cancels every job and waits
 * for them with a deadline; dd_jobs_free then joins the workers.
 */
#ifndef DBDECK_JOBS_H
#define DBDECK_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/clock.h"

struct dd_audit;
struct dd_job;
struct dd_jobs;

#define DD_JOB_MAX_STEPS    32
#define DD_JOB_TITLE_MAX    96
#define DD_JOB_MSG_MAX      256
#define DD_JOB_TEXT_MAX     2048
#define DD_JOB_LOG_LINES    200
#define DD_JOB_LOG_LINE_MAX 240
#define DD_JOB_KIND_MAX     32
#define DD_JOB_CLUSTER_MAX  64

enum dd_step_state {
	DD_STEP_PENDING,
	DD_STEP_RUNNING,
	DD_STEP_DONE,
	DD_STEP_FAILED,
	DD_STEP_UNDONE,  /* was done (or half done), then rolled back */
	DD_STEP_SKIPPED, /* not needed, or not reached */
};

enum dd_job_state {
	DD_JOB_QUEUED,
	DD_JOB_RUNNING,
	DD_JOB_FINISHED,
};

enum dd_job_outcome {
	DD_JOB_NONE,       /* not finished */
	DD_JOB_DONE,       /* every step done */
	DD_JOB_FAILED,     /* failed; what was done has been rolled back */
	DD_JOB_INCOMPLETE, /* stopped half way: text says what a person must still do */
	DD_JOB_CANCELLED,  /* cancelled by the operator (or a shutdown) */
	DD_JOB_REFUSED,    /* a check refused it before it changed anything */
};
#define DD_JOB_OUTCOMES 6

/* One step as a reader sees it. */
struct dd_job_step_status {
	char title[DD_JOB_TITLE_MAX];
	enum dd_step_state state;
	char message[DD_JOB_MSG_MAX]; /* the reason given with its last transition ("" none) */
	int64_t started_ms, ended_ms; /* wall clock, ms since the epoch; 0 = not yet */
	int64_t duration_ms;          /* running: so far; -1 = never ran */
	bool has_progress;
	uint64_t done_bytes, total_bytes; /* total 0 = unknown */
	double rate;                      /* bytes per second, recent; 0 = unknown */
};

/* A job as a reader sees it: a copy, consistent, plain data. */
struct dd_job_status {
	uint64_t id; /* 1, 2, ... per runner */
	char kind[DD_JOB_KIND_MAX];
	char cluster[DD_JOB_CLUSTER_MAX]; /* "" = none */
	enum dd_job_state state;
	enum dd_job_outcome outcome; /* DD_JOB_NONE until finished */
	char reason[DD_JOB_MSG_MAX]; /* why the job is in its state (its last transition) */
	char text[DD_JOB_TEXT_MAX];  /* the run function's outcome text (dd_job_finish) */
	bool cancel_requested;
	int64_t submitted_ms, started_ms, ended_ms; /* wall clock; 0 = not yet */
	int64_t duration_ms;                        /* since it started (so far while running) */
	int current_step;                           /* the running step, else -1 */
	size_t n_steps;
	struct dd_job_step_status steps[DD_JOB_MAX_STEPS];
	uint64_t version;  /* changes with every change of the job */
	uint64_t log_next; /* sequence number the next log line will get */
};

struct dd_job_log_line {
	uint64_t seq; /* 0, 1, 2, ... per job */
	int64_t wall_ms;
	char text[DD_JOB_LOG_LINE_MAX]; /* sanitized, one line */
};

/* The function a worker runs; job is borrowed for the call. */
typedef void (*dd_job_fn)(struct dd_job *job, void *ctx);

struct dd_job_spec {
	const char *kind;         /* "cancel", "backup", ... (copied; required) */
	const char *cluster;      /* may be NULL */
	bool exclusive;           /* at most one exclusive job per cluster at a time */
	const char *const *steps; /* the plan: n_steps titles (copied); more with dd_job_add_step */
	size_t n_steps;
	dd_job_fn run; /* required */
	void *ctx;
	void (*ctx_free)(void *ctx); /* may be NULL */
	/*
	 * Optional: the audit log (borrowed; must outlive the job). The start
	 * record (action = kind, cluster, audit_target, audit_args) is written
	 * by dd_jobs_submit, which fails when it cannot be; the end record when
	 * the job finishes (outcome name, dd_job_describe as the detail).
	 */
	struct dd_audit *audit;
	const char *audit_target, *audit_args;
};

struct dd_jobs_options {
	int max_running;              /* worker threads; 0 = 4 */
	int64_t progress_interval_ms; /* wake-ups for progress and log lines, per job; 0 = 100 */
	int keep_finished;            /* finished jobs kept for dd_jobs_list; 0 = 32 */
	const struct dd_clock *clock; /* timestamps and durations; NULL = the real one */
};

/* Results of dd_jobs_submit. */
enum dd_jobs_result {
	DD_JOBS_OK = 0,
	DD_JOBS_INVALID = -1,  /* a bad spec (no kind or run, too many steps) */
	DD_JOBS_BUSY = -2,     /* an exclusive job runs or waits on the cluster */
	DD_JOBS_AUDIT = -3,    /* the audit start record could not be written */
	DD_JOBS_STOPPING = -4, /* the runner is shutting down */
};

/* ---- the runner ---- */

/*
 * Starts a runner and its worker threads (opts NULL = defaults). Returns a
 * new runner (dd_jobs_free), or NULL with the reason in err.
 */
struct dd_jobs *dd_jobs_new(const struct dd_jobs_options *opts, char *err, size_t errlen);

/*
 * Queues a job (spec and its strings are copied; ctx is the job's from now
 * on, see the top). On success *out (may be NULL) gets a new reference.
 * Returns DD_JOBS_OK, or a negative dd_jobs_result with the reason in err
 * (DD_JOBS_BUSY names the job that holds the cluster).
 */
int dd_jobs_submit(struct dd_jobs *r, const struct dd_job_spec *spec, struct dd_job **out,
    char *err, size_t errlen);

/* Readable when a job changed (see the top). Owned by the runner. */
int dd_jobs_wake_fd(const struct dd_jobs *r);
/* Drains the wake-up descriptor (never blocks). */
void dd_jobs_ack(struct dd_jobs *r);

/*
 * The runner's jobs in submit order: unfinished ones and the newest
 * finished ones. Fills at most max new references into out (dd_job_unref
 * each) and returns how many.
 */
size_t dd_jobs_list(struct dd_jobs *r, struct dd_job **out, size_t max);

/*
 * Whether an exclusive job runs or waits on cluster; when one does and out
 * is not NULL, its state is copied there.
 */
bool dd_jobs_busy(struct dd_jobs *r, const char *cluster, struct dd_job_status *out);

/* How many jobs wait, run, and finished with each outcome (since the runner started). */
struct dd_jobs_counts {
	unsigned queued, running;
	unsigned long finished[DD_JOB_OUTCOMES]; /* indexed by enum dd_job_outcome */
};
void dd_jobs_counts(struct dd_jobs *r, struct dd_jobs_counts *out);

/*
 * Refuses new jobs, cancels every job (queued ones finish as cancelled
 * without running, at once) and waits until every job has finished or deadline_ns
 * (CLOCK_MONOTONIC) passed. Returns 0, or -1 at the deadline.
 */
int dd_jobs_shutdown(struct dd_jobs *r, int64_t deadline_ns);

/*
 * Shuts down (without a deadline), joins the workers and frees the runner.
 * When an earlier dd_jobs_shutdown ran out of time and a job still runs,
 * the runner and its threads are left to the process's exit instead (a
 * deliberate leak rather than a hang). Job references held elsewhere stay
 * valid. NULL is a no-op.
 */
void dd_jobs_free(struct dd_jobs *r);

/* ---- reading a job (any thread) ---- */

struct dd_job *dd_job_ref(struct dd_job *j);
void dd_job_unref(struct dd_job *j); /* NULL is a no-op */
uint64_t dd_job_id(const struct dd_job *j);

/* Copies the job's state into out (caller's). */
void dd_job_read(struct dd_job *j, struct dd_job_status *out);

/*
 * Copies the log lines with seq >= from (oldest first; lines that left the
 * ring are gone) into out, at most max. Returns how many.
 */
size_t dd_job_log_read(struct dd_job *j, uint64_t from, struct dd_job_log_line *out, size_t max);

/*
 * Asks the job to stop (any thread; idempotent). A running job stops when
 * its run function sees it; a queued one is finished as cancelled at once,
 * on the caller's thread (with its audit end record, when it has one).
 */
void dd_job_cancel(struct dd_job *j);

/* Waits until the job finished or deadline_ns (CLOCK_MONOTONIC; 0 = forever). 0 or -1. */
int dd_job_wait(struct dd_job *j, int64_t deadline_ns);

/* ---- for the run function (the job's thread) ---- */

/*
 * Moves step i to state `to`, with a reason (printf format; NULL = none)
 * recorded as the step's message, and the time. Allowed: pending → running
 * or skipped; running → done or failed; done or failed → undone. Returns 0,
 * or -1 (nothing changed) for a move that is not allowed, a bad index, or a
 * finished job.
 */
int dd_job_step(struct dd_job *j, size_t i, enum dd_step_state to, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a pending step at the end of the plan; returns its index, or -1 when the plan is full. */
int dd_job_add_step(struct dd_job *j, const char *title);

/* Progress of running step i: done of total bytes (total 0 = unknown). Cheap; call often. */
void dd_job_progress(struct dd_job *j, size_t i, uint64_t done, uint64_t total);

/*
 * Sets the outcome and its text (printf format; NULL = none): failed: what
 * went wrong; incomplete: what a person must still do, with the commands;
 * refused: why. The job ends when the run function returns. A run function
 * that returns without it ends cancelled when a cancel was asked, else
 * failed.
 */
void dd_job_finish(struct dd_job *j, enum dd_job_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True once a cancel was asked (atomic read; any thread). */
bool dd_job_cancelled(const struct dd_job *j);
/* A descriptor that becomes readable when a cancel is asked (for poll with a child's pipes). */
int dd_job_cancel_fd(const struct dd_job *j);

/* Appends one line to the job's log (sanitized; cut at DD_JOB_LOG_LINE_MAX). */
void dd_job_log(struct dd_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Appends raw bytes (a child's stderr): split at newlines, each line
 * sanitized; a last line without a newline waits for more (len 0 flushes it).
 */
void dd_job_log_write(struct dd_job *j, const char *buf, size_t len);

/* ---- names and texts (pure) ---- */

/* "pending", "running", "done", "failed", "undone", "skipped". Static. */
const char *dd_step_state_name(enum dd_step_state s);
/* "queued", "running", "finished". Static. */
const char *dd_job_state_name(enum dd_job_state s);
/* "", "done", "failed", "incomplete", "cancelled", "refused" (the audit log's words). Static. */
const char *dd_job_outcome_name(enum dd_job_outcome o);

/*
 * What a person reads about the job, into buf (always terminated): while it
 * runs, "running step 2 of 5: dump (35 %)"; at the end a sentence per
 * outcome: "done in 12.3s[: TEXT]", "failed, rolled back: WHY; undone: 3 (...), 2
 * (...)", "incomplete: WHAT IS LEFT; not done: 4 (...)", "cancelled during
 * step 2 (dump); undone: ...", "refused: WHY". Returns strlen of the full
 * text (like snprintf).
 */
size_t dd_job_describe(const struct dd_job_status *s, char *buf, size_t len);

#endif
