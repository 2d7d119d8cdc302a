/*
 * jobs_test.c: the job runner (core/jobs): the step and job transitions and
 * what they record, outcomes and their texts, cancel in the middle of a
 * step and of a queued job, one exclusive job per cluster, the log ring,
 * readers copying a job while it reports progress (run under TSan too),
 * wake-ups rate-limited, the audit records of a job, and shutdown with a
 * deadline.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/audit.h"
#include "dbdeck/jobs.h"
#include "tap.h"

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
in_ms(int64_t ms)
{
	return now_ns() + ms * 1000000;
}

static struct dd_job_status *
status_of(struct dd_job *j)
{
	static struct dd_job_status s;
	dd_job_read(j, &s);
	return &s;
}

static atomic_int ctx_freed;

static void
count_free(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&ctx_freed, 1);
}

/* Waits (bounded) until the job runs step i. */
static bool
wait_step_running(struct dd_job *j, int i)
{
	int64_t until = in_ms(5000);
	while (now_ns() < until) {
		if (status_of(j)->current_step == i)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- transitions ---- */

struct trans {
	struct dd_manual_clock *mc;
	int rc[16];
	int n;
};

static void
run_transitions(struct dd_job *j, void *ctx)
{
	struct trans *t = ctx;
#define TRY(call) (t->rc[t->n++] = (call))
	TRY(dd_job_step(j, 0, DD_STEP_DONE, "skipping running")); /* -1 */
	TRY(dd_job_step(j, 0, DD_STEP_RUNNING, "go"));            /* 0 */
	dd_manual_clock_advance(t->mc, INT64_C(250000000));
	TRY(dd_job_step(j, 0, DD_STEP_PENDING, NULL));              /* -1 */
	TRY(dd_job_step(j, 0, DD_STEP_DONE, "copied %d files", 3)); /* 0 */
	TRY(dd_job_step(j, 0, DD_STEP_RUNNING, NULL));              /* -1 */
	TRY(dd_job_step(j, 1, DD_STEP_SKIPPED, "not needed"));      /* 0 */
	TRY(dd_job_step(j, 1, DD_STEP_RUNNING, NULL));              /* -1 */
	TRY(dd_job_step(j, 2, DD_STEP_RUNNING, NULL));              /* 0 */
	dd_manual_clock_advance(t->mc, INT64_C(1500000000));
	TRY(dd_job_step(j, 2, DD_STEP_FAILED, "disk full\x1b[2J")); /* 0 */
	TRY(dd_job_step(j, 0, DD_STEP_UNDONE, "removed the copy")); /* 0 */
	TRY(dd_job_step(j, 0, DD_STEP_DONE, NULL));                 /* -1 */
	TRY(dd_job_step(j, 9, DD_STEP_RUNNING, NULL));              /* -1: no such step */
	TRY(dd_job_add_step(j, "report"));                          /* 4 */
	dd_job_finish(j, DD_JOB_FAILED, "the target ran out of space");
#undef TRY
}

static void
test_transitions(void)
{
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, INT64_C(5000000000), INT64_C(1748779200000));
	struct dd_clock clk = dd_clock_manual(&mc);
	struct dd_jobs_options o = {.clock = &clk};
	char err[256];
	struct dd_jobs *r = dd_jobs_new(&o, err, sizeof(err));
	static const char *const plan[] = {"copy", "check", "write", "swap"};
	struct trans t = {.mc = &mc};
	struct dd_job_spec spec = {.kind = "backup",
	    .cluster = "pg",
	    .steps = plan,
	    .n_steps = 4,
	    .run = run_transitions,
	    .ctx = &t};
	struct dd_job *j;
	is_int(dd_jobs_submit(r, &spec, &j, err, sizeof(err)), DD_JOBS_OK, "submit");
	is_int(dd_job_wait(j, in_ms(5000)), 0, "the job finishes");
	static const int want[] = {-1, 0, -1, 0, -1, 0, -1, 0, 0, 0, -1, -1, 4};
	bool all = t.n == 13;
	for (int i = 0; all && i < 13; i++)
		all = t.rc[i] == want[i];
	ok(all, "each step move is allowed or refused as the table says");
	struct dd_job_status *s = status_of(j);
	is_int(s->id, 1, "the first job is job 1");
	is_str(s->kind, "backup", "kind");
	is_str(s->cluster, "pg", "cluster");
	is_int(s->state, DD_JOB_FINISHED, "finished");
	is_int(s->outcome, DD_JOB_FAILED, "outcome failed");
	is_int(s->n_steps, 5, "a step added while running is in the plan");
	is_int(s->steps[0].state, DD_STEP_UNDONE, "step 1 undone");
	is_str(s->steps[0].message, "removed the copy", "the reason of the last move is kept");
	is_int(s->steps[0].duration_ms, 250, "step 1 took 250 ms (its time running)");
	ok(s->steps[0].started_ms == INT64_C(1748779200000), "step 1 start time (wall clock)");
	is_int(s->steps[1].state, DD_STEP_SKIPPED, "step 2 skipped");
	is_int(s->steps[1].duration_ms, -1, "a skipped step never ran");
	is_int(s->steps[2].state, DD_STEP_FAILED, "step 3 failed");
	is_str(s->steps[2].message, "disk full\u241b[2J", "step messages are sanitized");
	is_int(s->steps[2].duration_ms, 1500, "step 3 took 1.5 s");
	is_int(s->steps[3].state, DD_STEP_SKIPPED, "a step never reached is closed as skipped");
	is_str(s->steps[3].message, "not reached", "with the reason");
	is_int(s->steps[4].state, DD_STEP_SKIPPED, "so is the added one");
	is_int(s->duration_ms, 1750, "the job took 1.75 s");
	is_str(s->reason, "the run ended", "the job's last transition has its reason");
	char d[512];
	dd_job_describe(s, d, sizeof(d));
	is_str(d, "failed, rolled back: the target ran out of space; undone: 1 (copy)",
	    "the outcome text names what was undone");
	dd_job_unref(j);
	dd_jobs_free(r);
}

/* ---- outcomes ---- */

static void
run_nothing(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
}

static void
run_incomplete(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
	dd_job_step(j, 0, DD_STEP_DONE, NULL);
	dd_job_finish(j, DD_JOB_INCOMPLETE, "rejoin pg1 by hand: harness.sh rejoin DIR pg1");
}

static struct dd_job_status
run_one(struct dd_jobs *r, dd_job_fn fn)
{
	static const char *const plan[] = {"promote", "rejoin"};
	struct dd_job_spec spec = {.kind = "switchover", .steps = plan, .n_steps = 2, .run = fn};
	struct dd_job *j;
	struct dd_job_status s;
	char err[256];
	dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	dd_job_wait(j, in_ms(5000));
	dd_job_read(j, &s);
	dd_job_unref(j);
	return s;
}

static void
test_outcomes(void)
{
	char err[256], d[512];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	struct dd_job_status s = run_one(r, run_nothing);
	is_int(s.outcome, DD_JOB_FAILED, "a run that says nothing ends failed");
	is_int(s.steps[0].state, DD_STEP_FAILED, "its running step is closed as failed");
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "failed: the job ended without saying how", "and says so");
	s = run_one(r, run_incomplete);
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "incomplete: rejoin pg1 by hand: harness.sh rejoin DIR pg1; not done: 2 (rejoin)",
	    "incomplete says what a person must still do and which steps are left");
	dd_jobs_free(r);
}

/* Outcome texts from hand-made states (pure). */
static void
test_describe(void)
{
	struct dd_job_status s;
	char d[512];
	memset(&s, 0, sizeof(s));
	s.n_steps = 3;
	strcpy(s.steps[0].title, "fence");
	strcpy(s.steps[1].title, "dump");
	strcpy(s.steps[2].title, "rename");
	s.state = DD_JOB_RUNNING;
	s.current_step = 1;
	s.steps[1].has_progress = true;
	s.steps[1].done_bytes = 35;
	s.steps[1].total_bytes = 100;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "running step 2 of 3: dump (35 %)", "running with progress");
	s.cancel_requested = true;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "running step 2 of 3: dump (35 %), cancel asked", "a cancel asked shows");
	s.state = DD_JOB_QUEUED;
	s.cancel_requested = false;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "queued", "queued");

	s.state = DD_JOB_FINISHED;
	s.outcome = DD_JOB_DONE;
	s.duration_ms = 12345;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "done in 12s", "done with its duration");
	s.duration_ms = 184000;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "done in 3m04s", "minutes");

	s.outcome = DD_JOB_CANCELLED;
	s.started_ms = 1;
	s.steps[0].started_ms = 1;
	s.steps[0].state = DD_STEP_UNDONE;
	s.steps[1].started_ms = 2;
	s.steps[1].state = DD_STEP_FAILED;
	s.steps[2].state = DD_STEP_SKIPPED;
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "cancelled during step 2 (dump); undone: 1 (fence)", "cancelled mid-step");
	s.started_ms = 0;
	s.steps[0].started_ms = s.steps[1].started_ms = 0;
	dd_job_describe(&s, d, sizeof(d));
	ok(strncmp(d, "cancelled before it started", 27) == 0, "cancelled while queued (%s)", d);

	s.outcome = DD_JOB_REFUSED;
	strcpy(s.text, "lag 130 s is beyond lag_max 60 s");
	dd_job_describe(&s, d, sizeof(d));
	is_str(d, "refused: lag 130 s is beyond lag_max 60 s", "refused with its reason");

	char small[8];
	size_t full = dd_job_describe(&s, small, sizeof(small));
	ok(full == strlen(d) && strcmp(small, "refused") == 0,
	    "a short buffer is cut and terminated; the full length is returned");
	is_str(dd_job_outcome_name(DD_JOB_INCOMPLETE), "incomplete", "outcome names");
	is_str(dd_step_state_name(DD_STEP_UNDONE), "undone", "step state names");
	ok(dd_audit_outcome_valid(dd_job_outcome_name(DD_JOB_DONE)) &&
	        dd_audit_outcome_valid(dd_job_outcome_name(DD_JOB_FAILED)) &&
	        dd_audit_outcome_valid(dd_job_outcome_name(DD_JOB_INCOMPLETE)) &&
	        dd_audit_outcome_valid(dd_job_outcome_name(DD_JOB_CANCELLED)) &&
	        dd_audit_outcome_valid(dd_job_outcome_name(DD_JOB_REFUSED)),
	    "every outcome name is an audit outcome");
}

/* ---- cancel ---- */

struct blocker {
	atomic_bool ran;
	int64_t noticed_ns;
};

/* Step 1 waits on the cancel descriptor (as a child's pipes would be polled), then rolls back. */
static void
run_until_cancel(struct dd_job *j, void *ctx)
{
	struct blocker *b = ctx;
	atomic_store(&b->ran, true);
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
	dd_job_step(j, 0, DD_STEP_DONE, NULL);
	dd_job_step(j, 1, DD_STEP_RUNNING, NULL);
	struct pollfd p = {.fd = dd_job_cancel_fd(j), .events = POLLIN};
	for (int i = 0; i < 100 && !dd_job_cancelled(j); i++)
		poll(&p, 1, 100);
	b->noticed_ns = now_ns();
	dd_job_step(j, 1, DD_STEP_FAILED, "cancelled");
	dd_job_step(j, 0, DD_STEP_UNDONE, "removed the partial file");
	dd_job_finish(j, DD_JOB_CANCELLED, NULL);
}

static void
test_cancel(void)
{
	char err[256], d[512];
	struct dd_jobs_options o = {.max_running = 1};
	struct dd_jobs *r = dd_jobs_new(&o, err, sizeof(err));
	static const char *const plan[] = {"open", "dump", "close"};
	struct blocker a = {0}, b = {0};
	struct dd_job_spec spec = {.kind = "backup",
	    .cluster = "pg",
	    .steps = plan,
	    .n_steps = 3,
	    .run = run_until_cancel,
	    .ctx = &a,
	    .ctx_free = count_free};
	struct dd_job *ja, *jb;
	atomic_store(&ctx_freed, 0);
	dd_jobs_submit(r, &spec, &ja, err, sizeof(err));
	spec.ctx = &b;
	spec.cluster = "my";
	dd_jobs_submit(r, &spec, &jb, err, sizeof(err));
	ok(wait_step_running(ja, 1), "job A runs its step 2");
	is_int(status_of(jb)->state, DD_JOB_QUEUED, "job B waits (one worker)");

	dd_job_cancel(jb);
	is_int(dd_job_wait(jb, in_ms(2000)), 0, "a queued job that is cancelled finishes at once");
	ok(!atomic_load(&b.ran), "without running");
	dd_job_describe(status_of(jb), d, sizeof(d));
	ok(strncmp(d, "cancelled before it started", 27) == 0, "%s", d);
	is_int(status_of(ja)->state, DD_JOB_RUNNING, "job A still runs");

	int64_t asked = now_ns();
	dd_job_cancel(ja);
	is_int(dd_job_wait(ja, in_ms(5000)), 0, "cancel mid-step: the job ends");
	ok(a.noticed_ns - asked < INT64_C(1000000000), "the step saw the cancel at once (%.0f ms)",
	    (double)(a.noticed_ns - asked) / 1e6);
	struct dd_job_status *s = status_of(ja);
	is_int(s->outcome, DD_JOB_CANCELLED, "outcome cancelled");
	ok(s->cancel_requested, "the status shows the cancel was asked");
	dd_job_describe(s, d, sizeof(d));
	is_str(d, "cancelled during step 2 (dump); undone: 1 (open)", "and what was undone");
	is_int(atomic_load(&ctx_freed), 2, "each context freed once");
	struct dd_jobs_counts c;
	dd_jobs_counts(r, &c);
	ok(c.queued == 0 && c.running == 0 && c.finished[DD_JOB_CANCELLED] == 2,
	    "the runner counted two cancelled jobs");
	dd_job_unref(ja);
	dd_job_unref(jb);
	dd_jobs_free(r);
}

/* ---- one exclusive job per cluster ---- */

static void
test_exclusive(void)
{
	char err[256];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	static const char *const plan[] = {"open", "dump"};
	static struct blocker bl[5];
	struct dd_job_spec spec = {.kind = "backup",
	    .cluster = "pg",
	    .exclusive = true,
	    .steps = plan,
	    .n_steps = 2,
	    .run = run_until_cancel,
	    .ctx = &bl[0]};
	struct dd_job *ja, *jc, *jx, *jn, *jd, *js;
	dd_jobs_submit(r, &spec, &ja, err, sizeof(err));
	wait_step_running(ja, 1);
	atomic_store(&ctx_freed, 0);
	spec.kind = "restore";
	spec.ctx = &bl[1];
	spec.ctx_free = count_free;
	int rc = dd_jobs_submit(r, &spec, &jx, err, sizeof(err));
	ok(rc == DD_JOBS_BUSY && jx == NULL, "a second exclusive job on the cluster is refused");
	ok(strstr(err, "cluster pg is busy: backup (job 1) running since") != NULL,
	    "naming it (%s)", err);
	is_int(atomic_load(&ctx_freed), 1, "the refused job's context is freed");
	struct dd_job_status hs;
	ok(dd_jobs_busy(r, "pg", &hs) && hs.id == 1 && !dd_jobs_busy(r, "my", NULL),
	    "dd_jobs_busy names the holder");
	spec.cluster = "my";
	spec.ctx = &bl[2];
	is_int(dd_jobs_submit(r, &spec, &jc, err, sizeof(err)), DD_JOBS_OK,
	    "an exclusive job on another cluster runs");
	spec.cluster = "pg";
	spec.exclusive = false;
	spec.kind = "cancel";
	spec.ctx = &bl[3];
	is_int(dd_jobs_submit(r, &spec, &jn, err, sizeof(err)), DD_JOBS_OK,
	    "a job that is not exclusive runs beside it");
	ok(wait_step_running(jn, 1) && wait_step_running(jc, 1), "all three run at once");
	dd_job_cancel(ja);
	dd_job_wait(ja, in_ms(5000));
	spec.exclusive = true;
	spec.ctx = &bl[4];
	is_int(dd_jobs_submit(r, &spec, &jd, err, sizeof(err)), DD_JOBS_OK,
	    "once it ended, the cluster takes an exclusive job again");
	is_int(dd_jobs_shutdown(r, in_ms(5000)), 0, "shutdown cancels the rest");
	is_int(dd_jobs_submit(r, &spec, &js, err, sizeof(err)), DD_JOBS_STOPPING,
	    "no job after shutdown");
	size_t left = 0;
	struct dd_job *list[8];
	size_t n = dd_jobs_list(r, list, 8);
	for (size_t i = 0; i < n; i++) {
		left += status_of(list[i])->state != DD_JOB_FINISHED;
		dd_job_unref(list[i]);
	}
	ok(n == 4 && left == 0, "the list holds the 4 jobs, all finished");
	dd_job_unref(ja);
	dd_job_unref(jc);
	dd_job_unref(jn);
	dd_job_unref(jd);
	dd_jobs_free(r);
}

/* ---- the log ---- */

static void
run_logger(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_log_write(j, "line one\nline\x1b[31m tw", 21);
	dd_job_log_write(j, "o\npart", 6);
	dd_job_log_write(j, "ial", 3); /* flushed when the run returns */
	dd_job_log(j, "%d files", 3);
	for (int i = 0; i < 500; i++)
		dd_job_log(j, "n %d", i);
	dd_job_finish(j, DD_JOB_DONE, NULL);
}

static void
test_log(void)
{
	char err[256];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	struct dd_job_spec spec = {.kind = "verify", .run = run_logger};
	struct dd_job *j;
	dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	dd_job_wait(j, in_ms(5000));
	static struct dd_job_log_line l[DD_JOB_LOG_LINES + 10];
	size_t n = dd_job_log_read(j, 0, l, DD_JOB_LOG_LINES + 10);
	is_int(n, DD_JOB_LOG_LINES, "the ring keeps the newest DD_JOB_LOG_LINES lines");
	is_int(status_of(j)->log_next, 504, "504 lines were logged");
	ok(l[0].seq == 504 - DD_JOB_LOG_LINES && l[n - 1].seq == 503, "oldest first, by seq");
	is_str(l[n - 1].text, "partial", "a last line without a newline is flushed at the end");
	n = dd_job_log_read(j, 500, l, 10);
	ok(n == 4 && l[0].seq == 500, "reading from a seq returns what follows it");
	ok(dd_job_log_read(j, 0, l, 3) == 3, "max is respected");
	dd_job_unref(j);

	dd_jobs_free(r);
}

static void
run_split(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_log_write(j, "line one\nline\x1b[31m tw", 21);
	dd_job_log_write(j, "o\r\npart", 7);
	dd_job_log_write(j, "ial", 3);
	dd_job_finish(j, DD_JOB_DONE, NULL);
}

static void
test_log_split(void)
{
	char err[256];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	struct dd_job_spec spec = {.kind = "verify", .run = run_split};
	struct dd_job *j;
	dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	dd_job_wait(j, in_ms(5000));
	struct dd_job_log_line l[8];
	size_t n = dd_job_log_read(j, 0, l, 8);
	ok(n == 3, "bytes become lines at newlines (%zu)", n);
	is_str(l[0].text, "line one", "line 1");
	is_str(l[1].text, "line\u241b[31m two", "a line split across writes, sanitized");
	is_str(l[2].text, "partial", "the last line");
	dd_job_unref(j);
	dd_jobs_free(r);
}

/* ---- readers during progress ---- */

#define PROGRESS_TOTAL 200000

static void
run_progress(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
	for (uint64_t i = 1; i <= PROGRESS_TOTAL && !dd_job_cancelled(j); i++) {
		dd_job_progress(j, 0, i * 10, PROGRESS_TOTAL * 10);
		if (i % 1000 == 0) {
			dd_job_log(j, "at %llu", (unsigned long long)i);
			usleep(2000); /* the run lasts half a second or so */
		}
	}
	dd_job_step(j, 0, DD_STEP_DONE, NULL);
	dd_job_step(j, 1, DD_STEP_RUNNING, NULL);
	dd_job_step(j, 1, DD_STEP_DONE, NULL);
	dd_job_finish(j, DD_JOB_DONE, NULL);
}

struct reader {
	struct dd_job *job;
	int reads;
	bool consistent;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct dd_job_status *s = malloc(sizeof(*s));
	uint64_t last_done = 0, last_version = 0;
	struct dd_job_log_line l[4];
	rd->consistent = true;
	for (;;) {
		dd_job_read(rd->job, s);
		dd_job_log_read(rd->job, s->log_next > 2 ? s->log_next - 2 : 0, l, 4);
		rd->reads++;
		const struct dd_job_step_status *p = &s->steps[0];
		if (p->done_bytes < last_done || p->done_bytes > p->total_bytes ||
		    s->version < last_version || (s->state == DD_JOB_FINISHED) != (s->outcome != 0))
			rd->consistent = false;
		last_done = p->done_bytes;
		last_version = s->version;
		if (s->state == DD_JOB_FINISHED)
			break;
		usleep(100);
	}
	free(s);
	return NULL;
}

static void
test_readers(void)
{
	char err[256];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	static const char *const plan[] = {"dump", "sync"};
	struct dd_job_spec spec = {
	    .kind = "backup", .steps = plan, .n_steps = 2, .run = run_progress};
	struct dd_job *j;
	dd_jobs_ack(r);
	int64_t t0 = now_ns();
	dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	struct reader rd[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		rd[i] = (struct reader){.job = j};
		pthread_create(&th[i], NULL, reader_main, &rd[i]);
	}
	/* Count the wake-ups: an eventfd read returns how many writes it collected. */
	uint64_t wakes = 0, v;
	struct pollfd p = {.fd = dd_jobs_wake_fd(r), .events = POLLIN};
	while (status_of(j)->state != DD_JOB_FINISHED && now_ns() - t0 < INT64_C(60000000000)) {
		if (poll(&p, 1, 50) > 0 && read(p.fd, &v, sizeof(v)) == sizeof(v))
			wakes += v;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	if (read(p.fd, &v, sizeof(v)) == sizeof(v))
		wakes += v;
	bool all = true;
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		all = all && rd[i].consistent && rd[i].reads > 0;
	}
	ok(all, "3 readers copied the job throughout %d progress updates; every copy consistent",
	    PROGRESS_TOTAL);
	struct dd_job_status *s = status_of(j);
	ok(s->outcome == DD_JOB_DONE && s->steps[0].done_bytes == PROGRESS_TOTAL * 10,
	    "the last progress is kept");
	ok(s->steps[0].rate > 0, "a rate was measured (%.0f B/s)", s->steps[0].rate);
	/* Urgent: submit, start, 4 step moves, finish = 7; progress and log: 1 per 100 ms at most.
	 */
	double bound = 7 + secs * 20 + 5; /* twice the limit: no timing flake */
	ok((double)wakes <= bound,
	    "%d updates and 200 log lines woke readers %llu times in %.2f s "
	    "(rate-limited: at most %.0f)",
	    PROGRESS_TOTAL, (unsigned long long)wakes, secs, bound);
	ok(wakes >= 3, "and readers were woken");
	dd_job_unref(j);
	dd_jobs_free(r);
}

/* ---- audit ---- */

static void
run_done(struct dd_job *j, void *ctx)
{
	atomic_store((atomic_bool *)ctx, true);
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
	usleep(20000);
	dd_job_step(j, 0, DD_STEP_DONE, NULL);
	dd_job_finish(j, DD_JOB_DONE, NULL);
}

struct lines {
	int n;
	char phase[4][8], outcome[4][16], detail[4][64], target[4][32];
};

static int
collect(const struct dd_audit_record *rec, void *ctx)
{
	struct lines *l = ctx;
	if (rec->bad || l->n >= 4)
		return 0;
	snprintf(l->phase[l->n], 8, "%s", rec->phase);
	snprintf(l->outcome[l->n], 16, "%s", rec->outcome ? rec->outcome : "");
	snprintf(l->detail[l->n], 64, "%s", rec->detail ? rec->detail : "");
	snprintf(l->target[l->n], 32, "%s", rec->target ? rec->target : "");
	l->n++;
	return 0;
}

static void
test_audit(void)
{
	char err[256], path[256];
	snprintf(path, sizeof(path), "%s/dd-jobs-audit-%d/audit.log",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	struct dd_audit *a;
	if (dd_audit_open(&a, path, err, sizeof(err)) != 0)
		bail_out("audit: %s", err);
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	static const char *const plan[] = {"verify"};
	atomic_bool ran = false;
	struct dd_job_spec spec = {.kind = "verify",
	    .cluster = "pg",
	    .steps = plan,
	    .n_steps = 1,
	    .run = run_done,
	    .ctx = &ran,
	    .audit = a,
	    .audit_target = "20250601-abc",
	    .audit_args = "{\"deep\":false}"};
	struct dd_job *j;
	is_int(dd_jobs_submit(r, &spec, &j, err, sizeof(err)), DD_JOBS_OK, "an audited job");
	dd_job_wait(j, in_ms(5000));
	dd_job_unref(j);
	struct lines l = {0};
	dd_audit_read(path, collect, &l, err, sizeof(err));
	ok(l.n == 2 && strcmp(l.phase[0], "start") == 0 && strcmp(l.phase[1], "end") == 0,
	    "writes a start and an end record");
	is_str(l.target[0], "20250601-abc", "with its target");
	is_str(l.outcome[1], "done", "the end record has the outcome");
	ok(strncmp(l.detail[1], "done in ", 8) == 0 && strcmp(l.detail[1], "done in 0ms") != 0,
	    "and the outcome text with the time it took (%s)", l.detail[1]);

	/* A start record that cannot be written: the job does not start. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	lim.rlim_cur = (rlim_t)ftell(f);
	fclose(f);
	setrlimit(RLIMIT_FSIZE, &lim);
	atomic_store(&ran, false);
	atomic_store(&ctx_freed, 0);
	spec.ctx_free = count_free;
	int rc = dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	setrlimit(RLIMIT_FSIZE, &old);
	ok(rc == DD_JOBS_AUDIT && j == NULL && strstr(err, "audit log"),
	    "a job whose start record cannot be written is refused (%s)", err);
	usleep(100000);
	ok(!atomic_load(&ran), "and never runs");
	is_int(atomic_load(&ctx_freed), 1, "its context is freed");
	struct dd_jobs_counts c;
	dd_jobs_counts(r, &c);
	ok(c.queued == 0 && c.running == 0, "it is in no count");
	dd_jobs_free(r);
	dd_audit_close(a);
	is_int(dd_audit_verify(path, NULL, err, sizeof(err)), 0, "the log verifies");
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

/* ---- shutdown ---- */

static void
run_stubborn(struct dd_job *j, void *ctx)
{
	(void)ctx;
	dd_job_step(j, 0, DD_STEP_RUNNING, NULL);
	usleep(600000); /* ignores the cancel for 0.6 s */
}

static void
test_shutdown(void)
{
	char err[256];
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	static const char *const plan[] = {"wait"};
	struct dd_job_spec spec = {
	    .kind = "verify", .steps = plan, .n_steps = 1, .run = run_stubborn};
	struct dd_job *j;
	dd_jobs_submit(r, &spec, &j, err, sizeof(err));
	wait_step_running(j, 0);
	int64_t t0 = now_ns();
	is_int(dd_jobs_shutdown(r, in_ms(100)), -1, "shutdown gives up at its deadline");
	double took = (double)(now_ns() - t0) / 1e6;
	ok(took >= 90 && took < 500, "after about 100 ms (%.0f ms)", took);
	is_int(dd_job_wait(j, in_ms(5000)), 0, "the stubborn job ends on its own");
	is_int(status_of(j)->outcome, DD_JOB_CANCELLED, "as cancelled (a cancel was asked)");
	dd_job_unref(j);
	dd_jobs_free(r); /* it ended since: a normal free (ASan would see a leak otherwise) */
	ok(true, "the runner is freed once its last job ended");
}

int
main(void)
{
	test_transitions();
	test_outcomes();
	test_describe();
	test_cancel();
	test_exclusive();
	test_log();
	test_log_split();
	test_readers();
	test_audit();
	test_shutdown();
	return tap_done();
}
