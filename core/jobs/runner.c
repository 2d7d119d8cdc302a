/*
 * runner.c: the job runner (jobs.h). A list of jobs in submit order under
 * one mutex, a few worker threads that take the oldest queued job, run it,
 * settle its outcome (audit end record included) and move it to finished,
 * and an eventfd that wakes readers. The runner is reference-counted only so
 * that a cancel racing with dd_jobs_free never touches freed memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/audit.h"
#include "jobs/jobs_int.h"
#include "util/util.h"

#define DEFAULT_WORKERS     4
#define DEFAULT_PROGRESS_MS 100
#define DEFAULT_KEEP        32

struct dd_jobs {
	atomic_int refs;
	int wake_fd;
	const struct dd_clock *clock;
	int64_t progress_ns;
	int keep_finished;
	pthread_t *threads;
	int n_threads;

	pthread_mutex_t mu;     /* everything below */
	pthread_cond_t work_cv; /* a job to take, or stopping */
	pthread_cond_t idle_cv; /* a job finished (CLOCK_MONOTONIC) */
	struct dd_job **jobs;
	bool *ready; /* parallel to jobs: submitted, not yet taken by a worker */
	size_t n, cap;
	uint64_t next_id;
	bool stopping, stuck;
	struct dd_jobs_counts counts;
};

/* ---- the wake-up descriptor ---- */

void
runner_wake(struct dd_job *j, bool urgent)
{
	struct dd_jobs *r = j->runner;
	if (!r)
		return;
	int64_t now = j->clock->mono_ns(j->clock->ctx);
	if (!urgent && j->last_wake_mono && now - j->last_wake_mono < r->progress_ns)
		return;
	j->last_wake_mono = now;
	uint64_t one = 1;
	if (write(r->wake_fd, &one, sizeof(one)) < 0) { /* EAGAIN: a wake-up is pending anyway */
	}
}

int
dd_jobs_wake_fd(const struct dd_jobs *r)
{
	return r->wake_fd;
}

void
dd_jobs_ack(struct dd_jobs *r)
{
	uint64_t v;
	if (read(r->wake_fd, &v, sizeof(v)) < 0) { /* EAGAIN: nothing pending */
	}
}

struct dd_jobs *
runner_hold(struct dd_jobs *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void
runner_release(struct dd_jobs *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work_cv);
	pthread_cond_destroy(&r->idle_cv);
	close(r->wake_fd);
	free(r->jobs);
	free(r->ready);
	free(r->threads);
	free(r);
}

/* ---- the list ---- */

static void
list_add(struct dd_jobs *r, struct dd_job *j)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->jobs = xrealloc(r->jobs, r->cap * sizeof(*r->jobs));
		r->ready = xrealloc(r->ready, r->cap * sizeof(*r->ready));
	}
	r->jobs[r->n] = j;
	r->ready[r->n++] = false;
}

static void
list_remove(struct dd_jobs *r, size_t i)
{
	memmove(&r->jobs[i], &r->jobs[i + 1], (r->n - i - 1) * sizeof(*r->jobs));
	memmove(&r->ready[i], &r->ready[i + 1], (r->n - i - 1) * sizeof(*r->ready));
	r->n--;
}

static size_t
list_find(const struct dd_jobs *r, const struct dd_job *j)
{
	size_t i = 0;
	while (i < r->n && r->jobs[i] != j)
		i++;
	return i;
}

/* The runner lets go of a job: no more wake-ups through it. r->mu held. */
static void
detach(struct dd_job *j)
{
	pthread_mutex_lock(&j->mu);
	j->runner = NULL;
	pthread_mutex_unlock(&j->mu);
	dd_job_unref(j);
}

/* Drops the oldest finished jobs beyond keep_finished. r->mu held. */
static void
trim_finished(struct dd_jobs *r)
{
	size_t finished = 0;
	for (size_t i = 0; i < r->n; i++)
		finished += r->jobs[i]->st.state == DD_JOB_FINISHED;
	for (size_t i = 0; i < r->n && finished > (size_t)r->keep_finished;) {
		if (r->jobs[i]->st.state != DD_JOB_FINISHED) {
			i++;
			continue;
		}
		detach(r->jobs[i]);
		list_remove(r, i);
		finished--;
	}
}

/* ---- the job's state moves, with the runner's counts (r->mu held) ---- */

static void
move(struct dd_jobs *r, struct dd_job *j, enum dd_job_state to, enum dd_job_outcome o,
    const char *reason)
{
	enum dd_job_state from = job_transition(j, to, o, reason);
	if (from == to)
		return;
	if (from == DD_JOB_QUEUED)
		r->counts.queued--;
	else
		r->counts.running--;
	if (to == DD_JOB_RUNNING)
		r->counts.running++;
	else
		r->counts.finished[o]++;
}

/* ---- workers ---- */

/* Takes the oldest job ready to run (no other worker will see it). r->mu held. */
static struct dd_job *
take_queued(struct dd_jobs *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ready[i] && r->jobs[i]->st.state == DD_JOB_QUEUED) {
			r->ready[i] = false;
			return r->jobs[i];
		}
	return NULL;
}

/* After run returned (or instead of it): outcome, audit end, context, finished. */
static void
finish(struct dd_jobs *r, struct dd_job *j, bool ran)
{
	struct dd_job_status *final = xmalloc(sizeof(*final));
	enum dd_job_outcome o = job_settle(j, final);
	if (j->audited) {
		char detail[DD_JOB_TEXT_MAX], err[256];
		dd_job_describe(final, detail, sizeof(detail));
		if (dd_audit_end(j->audit, j->audit_id, dd_job_outcome_name(o), detail, err,
		        sizeof(err)) != 0)
			dd_job_log(j, "the audit end record was not written: %s", err);
	}
	free(final);
	if (j->ctx_free && j->ctx)
		j->ctx_free(j->ctx);
	j->ctx = NULL;
	pthread_mutex_lock(&r->mu);
	move(r, j, DD_JOB_FINISHED, o, ran ? "the run ended" : "cancelled before it started");
	pthread_mutex_lock(&j->mu);
	runner_wake(j, true);
	pthread_mutex_unlock(&j->mu);
	trim_finished(r);
	pthread_cond_broadcast(&r->idle_cv);
	pthread_mutex_unlock(&r->mu);
}

void
runner_cancel_queued(struct dd_jobs *r, struct dd_job *j)
{
	pthread_mutex_lock(&r->mu);
	size_t i = list_find(r, j);
	bool take = i < r->n && r->ready[i] && j->st.state == DD_JOB_QUEUED;
	if (take)
		r->ready[i] = false; /* no worker will start it now */
	pthread_mutex_unlock(&r->mu);
	if (take)
		finish(r, j, false);
}

static void *
worker(void *arg)
{
	struct dd_jobs *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct dd_job *j = take_queued(r);
		if (!j && r->stopping && r->counts.queued == 0)
			break;
		if (!j) {
			pthread_cond_wait(&r->work_cv, &r->mu);
			continue;
		}
		bool run = !dd_job_cancelled(j);
		if (run) /* else it stays queued until finish() */
			move(r, j, DD_JOB_RUNNING, DD_JOB_NONE, "started");
		dd_job_ref(j);
		pthread_mutex_unlock(&r->mu);
		if (run) {
			pthread_mutex_lock(&j->mu);
			runner_wake(j, true);
			pthread_mutex_unlock(&j->mu);
			j->run(j, j->ctx);
			dd_job_log_write(j, NULL, 0); /* a child's last line without a newline */
		}
		finish(r, j, run);
		dd_job_unref(j);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- the public side ---- */

struct dd_jobs *
dd_jobs_new(const struct dd_jobs_options *opts, char *err, size_t errlen)
{
	struct dd_jobs_options o = opts ? *opts : (struct dd_jobs_options){0};
	struct dd_jobs *r = xcalloc(1, sizeof(*r));
	atomic_init(&r->refs, 1);
	r->clock = o.clock ? o.clock : dd_clock_default();
	r->progress_ns =
	    (o.progress_interval_ms > 0 ? o.progress_interval_ms : DEFAULT_PROGRESS_MS) *
	    INT64_C(1000000);
	r->keep_finished = o.keep_finished > 0 ? o.keep_finished : DEFAULT_KEEP;
	r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wake_fd < 0) {
		dd_seterr(err, errlen, "eventfd: %s", strerror(errno));
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work_cv, NULL);
	dd_cond_init_mono(&r->idle_cv);
	int want = o.max_running > 0 ? o.max_running : DEFAULT_WORKERS;
	r->threads = xcalloc((size_t)want, sizeof(*r->threads));
	for (; r->n_threads < want; r->n_threads++) {
		int rc = pthread_create(&r->threads[r->n_threads], NULL, worker, r);
		if (rc != 0) {
			dd_seterr(err, errlen, "job thread: %s", strerror(rc));
			dd_jobs_free(r);
			return NULL;
		}
	}
	return r;
}

/* An exclusive job on cluster, unfinished; r->mu held. */
static struct dd_job *
holder_locked(struct dd_jobs *r, const char *cluster)
{
	for (size_t i = 0; i < r->n; i++) {
		struct dd_job *h = r->jobs[i];
		if (h->exclusive && h->st.state != DD_JOB_FINISHED &&
		    strcmp(h->st.cluster, cluster) == 0)
			return h;
	}
	return NULL;
}

static void
busy_message(struct dd_job *h, char *err, size_t errlen)
{
	struct dd_job_status *s = xmalloc(sizeof(*s));
	dd_job_read(h, s);
	char when[16] = "";
	time_t t = (time_t)((s->started_ms ? s->started_ms : s->submitted_ms) / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	dd_seterr(err, errlen, "cluster %s is busy: %s (job %llu) %s since %s UTC", s->cluster,
	    s->kind, (unsigned long long)s->id, s->state == DD_JOB_RUNNING ? "running" : "waiting",
	    when);
	free(s);
}

/* Writes the audit start record of j; on failure takes j back off the list. */
static int
audit_begin(
    struct dd_jobs *r, struct dd_job *j, const struct dd_job_spec *spec, char *err, size_t errlen)
{
	struct dd_audit_action act = {.action = spec->kind,
	    .cluster = spec->cluster,
	    .target = spec->audit_target,
	    .args = spec->audit_args};
	if (dd_audit_begin(spec->audit, &act, &j->audit_id, err, errlen) == 0) {
		j->audited = true;
		return 0;
	}
	pthread_mutex_lock(&r->mu);
	list_remove(r, list_find(r, j));
	r->counts.queued--;
	pthread_mutex_unlock(&r->mu);
	detach(j);
	return DD_JOBS_AUDIT;
}

int
dd_jobs_submit(struct dd_jobs *r, const struct dd_job_spec *spec, struct dd_job **out, char *err,
    size_t errlen)
{
	struct dd_job *j = job_new(spec, r->clock, err, errlen);
	if (out)
		*out = NULL;
	if (!j) {
		if (spec && spec->ctx_free && spec->ctx)
			spec->ctx_free(spec->ctx);
		return DD_JOBS_INVALID;
	}
	pthread_mutex_lock(&r->mu);
	struct dd_job *h =
	    j->exclusive && j->st.cluster[0] ? holder_locked(r, j->st.cluster) : NULL;
	if (r->stopping || h) {
		if (h)
			busy_message(h, err, errlen);
		else
			dd_seterr(err, errlen, "no new job: dbdeck is shutting down");
		pthread_mutex_unlock(&r->mu);
		dd_job_unref(j); /* frees ctx */
		return h ? DD_JOBS_BUSY : DD_JOBS_STOPPING;
	}
	j->st.id = ++r->next_id;
	j->runner = r;
	list_add(r, dd_job_ref(j)); /* the runner's reference */
	r->counts.queued++;
	pthread_mutex_unlock(&r->mu);
	if (spec->audit && audit_begin(r, j, spec, err, errlen) != 0) {
		dd_job_unref(j);
		return DD_JOBS_AUDIT;
	}
	pthread_mutex_lock(&r->mu);
	r->ready[list_find(r, j)] = true;
	pthread_cond_signal(&r->work_cv);
	pthread_mutex_unlock(&r->mu);
	pthread_mutex_lock(&j->mu);
	runner_wake(j, true);
	pthread_mutex_unlock(&j->mu);
	if (out)
		*out = j;
	else
		dd_job_unref(j);
	return DD_JOBS_OK;
}

size_t
dd_jobs_list(struct dd_jobs *r, struct dd_job **out, size_t max)
{
	pthread_mutex_lock(&r->mu);
	size_t n = 0;
	for (size_t i = 0; i < r->n && n < max; i++)
		out[n++] = dd_job_ref(r->jobs[i]);
	pthread_mutex_unlock(&r->mu);
	return n;
}

bool
dd_jobs_busy(struct dd_jobs *r, const char *cluster, struct dd_job_status *out)
{
	pthread_mutex_lock(&r->mu);
	struct dd_job *h = cluster ? holder_locked(r, cluster) : NULL;
	if (h && out)
		dd_job_read(h, out);
	pthread_mutex_unlock(&r->mu);
	return h != NULL;
}

void
dd_jobs_counts(struct dd_jobs *r, struct dd_jobs_counts *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->counts;
	pthread_mutex_unlock(&r->mu);
}

/* Cancels every unfinished job (outside r->mu: a cancel may poke the runner). */
static void
cancel_all(struct dd_jobs *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n;
	struct dd_job **js = xcalloc(n ? n : 1, sizeof(*js));
	for (size_t i = 0; i < n; i++)
		js[i] = dd_job_ref(r->jobs[i]);
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < n; i++) {
		dd_job_cancel(js[i]);
		dd_job_unref(js[i]);
	}
	free(js);
}

int
dd_jobs_shutdown(struct dd_jobs *r, int64_t deadline_ns)
{
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_mutex_unlock(&r->mu);
	cancel_all(r);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->work_cv);
	int rc = 0;
	while (rc == 0 && (r->counts.queued > 0 || r->counts.running > 0)) {
		if (deadline_ns == 0) {
			pthread_cond_wait(&r->idle_cv, &r->mu);
			continue;
		}
		if (!dd_cond_wait_until(&r->idle_cv, &r->mu, deadline_ns))
			rc = r->counts.queued > 0 || r->counts.running > 0 ? -1 : 0;
	}
	r->stuck = rc != 0;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void
dd_jobs_free(struct dd_jobs *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->stuck && r->counts.queued == 0 && r->counts.running == 0)
		r->stuck = false; /* the late ones have ended since */
	bool stuck = r->stuck;
	pthread_mutex_unlock(&r->mu);
	if (stuck)
		return; /* a run function ignores its cancel: leave it to the process's exit */
	dd_jobs_shutdown(r, 0);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->work_cv);
	pthread_mutex_unlock(&r->mu);
	for (int i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		detach(r->jobs[i]);
	r->n = 0;
	pthread_mutex_unlock(&r->mu);
	runner_release(r);
}
