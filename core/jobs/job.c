/*
 * job.c: one job (jobs.h): its state and the one transition function that
 * moves it, the plan's steps and theirs, progress with a recent rate, the
 * log ring, and the copies readers take. Every field a reader sees lives in
 * j->st and changes under j->mu, so dd_job_read is one memcpy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dbdeck/text.h"
#include "jobs/jobs_int.h"
#include "util/util.h"

#define RATE_SAMPLE_NS INT64_C(1000000000) /* the rate is recomputed every second */

static int64_t
mono(const struct dd_job *j)
{
	return j->clock->mono_ns(j->clock->ctx);
}

static int64_t
wall(const struct dd_job *j)
{
	return j->clock->wall_ms(j->clock->ctx);
}

static void
clean(char *out, size_t outlen, const char *in)
{
	dd_text_sanitize(
	    out, outlen, in ? in : "", in ? strlen(in) : 0, (int)outlen - 1, DD_TEXT_UTF8);
}

static void __attribute__((format(printf, 3, 0)))
vclean(char *out, size_t outlen, const char *fmt, va_list ap)
{
	if (!fmt) {
		out[0] = '\0';
		return;
	}
	char *s = xvasprintf(fmt, ap);
	clean(out, outlen, s);
	free(s);
}

struct dd_job *
job_new(const struct dd_job_spec *spec, const struct dd_clock *clock, char *err, size_t errlen)
{
	if (!spec || !spec->kind || !*spec->kind || !spec->run) {
		dd_seterr(err, errlen, "a job needs a kind and a run function");
		return NULL;
	}
	if (spec->n_steps > DD_JOB_MAX_STEPS) {
		dd_seterr(err, errlen, "a plan has at most %d steps", DD_JOB_MAX_STEPS);
		return NULL;
	}
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		dd_seterr(err, errlen, "eventfd: %s", strerror(errno));
		return NULL;
	}
	struct dd_job *j = xcalloc(1, sizeof(*j));
	atomic_init(&j->refs, 1);
	atomic_init(&j->cancel, false);
	j->cancel_fd = fd;
	j->clock = clock;
	j->run = spec->run;
	j->ctx = spec->ctx;
	j->ctx_free = spec->ctx_free;
	j->exclusive = spec->exclusive;
	j->audit = spec->audit;
	pthread_mutex_init(&j->mu, NULL);
	dd_cond_init_mono(&j->done_cv);
	clean(j->st.kind, sizeof(j->st.kind), spec->kind);
	clean(j->st.cluster, sizeof(j->st.cluster), spec->cluster);
	j->st.state = DD_JOB_QUEUED;
	j->st.current_step = -1;
	j->st.submitted_ms = wall(j);
	j->submit_mono = mono(j);
	dd_strlcpy(j->st.reason, "submitted", sizeof(j->st.reason));
	for (size_t i = 0; i < spec->n_steps; i++) {
		clean(j->st.steps[i].title, DD_JOB_TITLE_MAX, spec->steps[i]);
		j->st.steps[i].duration_ms = -1;
	}
	j->st.n_steps = spec->n_steps;
	return j;
}

struct dd_job *
dd_job_ref(struct dd_job *j)
{
	atomic_fetch_add(&j->refs, 1);
	return j;
}

void
dd_job_unref(struct dd_job *j)
{
	if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	if (j->ctx_free && j->ctx) /* a job that was never submitted to a worker */
		j->ctx_free(j->ctx);
	close(j->cancel_fd);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->done_cv);
	free(j);
}

uint64_t
dd_job_id(const struct dd_job *j)
{
	return j->st.id; /* set before the job is shared, never changed */
}

/* ---- the job's transition function ---- */

static bool
job_move_allowed(enum dd_job_state from, enum dd_job_state to)
{
	return (from == DD_JOB_QUEUED && (to == DD_JOB_RUNNING || to == DD_JOB_FINISHED)) ||
	       (from == DD_JOB_RUNNING && to == DD_JOB_FINISHED);
}

enum dd_job_state
job_transition(
    struct dd_job *j, enum dd_job_state to, enum dd_job_outcome outcome, const char *reason)
{
	pthread_mutex_lock(&j->mu);
	enum dd_job_state from = j->st.state;
	if (!job_move_allowed(from, to)) {
		pthread_mutex_unlock(&j->mu);
		return from;
	}
	j->st.state = to;
	clean(j->st.reason, sizeof(j->st.reason), reason);
	if (to == DD_JOB_RUNNING) {
		j->st.started_ms = wall(j);
		j->start_mono = mono(j);
	} else {
		j->st.outcome = outcome;
		j->st.ended_ms = wall(j);
		j->st.duration_ms = j->start_mono ? (mono(j) - j->start_mono) / 1000000 : 0;
		j->st.current_step = -1;
		pthread_cond_broadcast(&j->done_cv);
	}
	j->st.version++;
	pthread_mutex_unlock(&j->mu);
	return from;
}

/* ---- steps: their one transition function ---- */

static bool
step_move_allowed(enum dd_step_state from, enum dd_step_state to)
{
	switch (from) {
	case DD_STEP_PENDING: return to == DD_STEP_RUNNING || to == DD_STEP_SKIPPED;
	case DD_STEP_RUNNING: return to == DD_STEP_DONE || to == DD_STEP_FAILED;
	case DD_STEP_DONE:
	case DD_STEP_FAILED: return to == DD_STEP_UNDONE;
	case DD_STEP_UNDONE:
	case DD_STEP_SKIPPED: return false;
	}
	return false;
}

/* Moves step i; j->mu held. reason is sanitized text. Returns 0 or -1. */
static int
step_set_locked(struct dd_job *j, size_t i, enum dd_step_state to, const char *reason)
{
	if (i >= j->st.n_steps || j->st.state == DD_JOB_FINISHED)
		return -1;
	struct dd_job_step_status *s = &j->st.steps[i];
	if (!step_move_allowed(s->state, to))
		return -1;
	int64_t now = mono(j);
	if (to == DD_STEP_RUNNING) {
		s->started_ms = wall(j);
		j->step_mono[i] = now;
		j->rate_mono[i] = now;
		j->rate_bytes[i] = 0;
		s->duration_ms = 0;
		j->st.current_step = (int)i;
	} else if (s->state == DD_STEP_RUNNING) {
		s->ended_ms = wall(j);
		s->duration_ms = (now - j->step_mono[i]) / 1000000;
		if (j->st.current_step == (int)i)
			j->st.current_step = -1;
	}
	s->state = to;
	dd_strlcpy(s->message, reason ? reason : "", sizeof(s->message));
	j->st.version++;
	return 0;
}

int
dd_job_step(struct dd_job *j, size_t i, enum dd_step_state to, const char *fmt, ...)
{
	char reason[DD_JOB_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vclean(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&j->mu);
	int rc = step_set_locked(j, i, to, reason);
	if (rc == 0)
		runner_wake(j, true);
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int
dd_job_add_step(struct dd_job *j, const char *title)
{
	pthread_mutex_lock(&j->mu);
	int i = -1;
	if (j->st.n_steps < DD_JOB_MAX_STEPS && j->st.state != DD_JOB_FINISHED) {
		i = (int)j->st.n_steps++;
		clean(j->st.steps[i].title, DD_JOB_TITLE_MAX, title);
		j->st.steps[i].duration_ms = -1;
		j->st.version++;
	}
	pthread_mutex_unlock(&j->mu);
	return i;
}

/* The recent rate: recomputed once a second from the bytes since the last sample. */
static void
update_rate(struct dd_job *j, size_t i, uint64_t done, int64_t now)
{
	struct dd_job_step_status *s = &j->st.steps[i];
	int64_t dt = now - j->rate_mono[i];
	if (dt < RATE_SAMPLE_NS && s->rate > 0)
		return;
	if (dt <= 0 || done < j->rate_bytes[i])
		return;
	double r = (double)(done - j->rate_bytes[i]) * 1e9 / (double)dt;
	s->rate = s->rate > 0 && dt >= RATE_SAMPLE_NS ? 0.5 * s->rate + 0.5 * r : r;
	if (dt >= RATE_SAMPLE_NS) {
		j->rate_mono[i] = now;
		j->rate_bytes[i] = done;
	}
}

void
dd_job_progress(struct dd_job *j, size_t i, uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&j->mu);
	if (i < j->st.n_steps && j->st.steps[i].state == DD_STEP_RUNNING) {
		struct dd_job_step_status *s = &j->st.steps[i];
		s->has_progress = true;
		s->done_bytes = done;
		s->total_bytes = total;
		update_rate(j, i, done, mono(j));
		j->st.version++;
		runner_wake(j, false);
	}
	pthread_mutex_unlock(&j->mu);
}

void
dd_job_finish(struct dd_job *j, enum dd_job_outcome o, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	if (fmt) {
		va_start(ap, fmt);
		text = xvasprintf(fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&j->mu);
	if (j->st.state != DD_JOB_FINISHED && o != DD_JOB_NONE) {
		j->finish_set = true;
		j->finish_outcome = o;
		dd_text_sanitize(j->st.text, sizeof(j->st.text), text ? text : "",
		    text ? strlen(text) : 0, (int)sizeof(j->st.text) - 1,
		    DD_TEXT_UTF8 | DD_TEXT_KEEP_NEWLINES);
		j->st.version++;
	}
	pthread_mutex_unlock(&j->mu);
	free(text);
}

/* Closes the plan (j->mu held): a running step failed, pending ones skipped. */
static void
close_plan_locked(struct dd_job *j, bool cancelled)
{
	for (size_t i = 0; i < j->st.n_steps; i++) {
		enum dd_step_state s = j->st.steps[i].state;
		if (s == DD_STEP_RUNNING)
			step_set_locked(j, i, DD_STEP_FAILED,
			    cancelled ? "cancelled while it ran" : "the job ended while it ran");
		else if (s == DD_STEP_PENDING)
			step_set_locked(j, i, DD_STEP_SKIPPED, "not reached");
	}
}

enum dd_job_outcome
job_settle(struct dd_job *j, struct dd_job_status *final)
{
	bool cancelled = dd_job_cancelled(j);
	pthread_mutex_lock(&j->mu);
	enum dd_job_outcome o = j->finish_set ? j->finish_outcome
	                        : cancelled   ? DD_JOB_CANCELLED
	                                      : DD_JOB_FAILED;
	if (!j->finish_set && !cancelled)
		dd_strlcpy(j->st.text, "the job ended without saying how", sizeof(j->st.text));
	close_plan_locked(j, cancelled);
	*final = j->st;
	final->duration_ms = j->start_mono ? (mono(j) - j->start_mono) / 1000000 : 0;
	pthread_mutex_unlock(&j->mu);
	final->state = DD_JOB_FINISHED;
	final->outcome = o;
	return o;
}

/* ---- cancel ---- */

bool
dd_job_cancelled(const struct dd_job *j)
{
	return atomic_load(&j->cancel);
}

int
dd_job_cancel_fd(const struct dd_job *j)
{
	return j->cancel_fd;
}

void
dd_job_cancel(struct dd_job *j)
{
	if (atomic_exchange(&j->cancel, true))
		return;
	uint64_t one = 1;
	if (write(j->cancel_fd, &one, sizeof(one)) < 0) { /* an eventfd does not fail here */
	}
	pthread_mutex_lock(&j->mu);
	j->st.cancel_requested = true;
	j->st.version++;
	runner_wake(j, true);
	/* A queued job ends now, not when a worker is free: hold the runner meanwhile. */
	struct dd_jobs *r = j->st.state == DD_JOB_QUEUED ? runner_hold(j->runner) : NULL;
	pthread_mutex_unlock(&j->mu);
	if (r) {
		runner_cancel_queued(r, j);
		runner_release(r);
	}
}

/* ---- the log ---- */

/* Appends raw text (len bytes) as one sanitized line; j->mu held. */
static void
log_append_locked(struct dd_job *j, const char *text, size_t len)
{
	struct dd_job_log_line *l = &j->log[j->st.log_next % DD_JOB_LOG_LINES];
	l->seq = j->st.log_next++;
	l->wall_ms = wall(j);
	dd_text_sanitize(
	    l->text, sizeof(l->text), text, len, (int)sizeof(l->text) - 1, DD_TEXT_UTF8);
	j->st.version++;
	runner_wake(j, false);
}

void
dd_job_log(struct dd_job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&j->mu);
	log_append_locked(j, s, strlen(s));
	pthread_mutex_unlock(&j->mu);
	free(s);
}

void
dd_job_log_write(struct dd_job *j, const char *buf, size_t len)
{
	pthread_mutex_lock(&j->mu);
	if (len == 0 && j->partial_len > 0) {
		log_append_locked(j, j->partial, j->partial_len);
		j->partial_len = 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			j->partial[j->partial_len++] = buf[i];
		if (buf[i] == '\n' || j->partial_len == sizeof(j->partial) - 1) {
			log_append_locked(j, j->partial, j->partial_len);
			j->partial_len = 0;
		}
	}
	pthread_mutex_unlock(&j->mu);
}

size_t
dd_job_log_read(struct dd_job *j, uint64_t from, struct dd_job_log_line *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&j->mu);
	uint64_t next = j->st.log_next;
	uint64_t oldest = next > DD_JOB_LOG_LINES ? next - DD_JOB_LOG_LINES : 0;
	for (uint64_t s = from > oldest ? from : oldest; s < next && n < max; s++)
		out[n++] = j->log[s % DD_JOB_LOG_LINES];
	pthread_mutex_unlock(&j->mu);
	return n;
}

/* ---- readers ---- */

void
dd_job_read(struct dd_job *j, struct dd_job_status *out)
{
	pthread_mutex_lock(&j->mu);
	*out = j->st;
	int64_t now = mono(j);
	if (j->st.state == DD_JOB_RUNNING)
		out->duration_ms = (now - j->start_mono) / 1000000;
	if (out->current_step >= 0)
		out->steps[out->current_step].duration_ms =
		    (now - j->step_mono[out->current_step]) / 1000000;
	pthread_mutex_unlock(&j->mu);
}

int
dd_job_wait(struct dd_job *j, int64_t deadline_ns)
{
	pthread_mutex_lock(&j->mu);
	while (j->st.state != DD_JOB_FINISHED) {
		if (deadline_ns == 0) {
			pthread_cond_wait(&j->done_cv, &j->mu);
			continue;
		}
		if (!dd_cond_wait_until(&j->done_cv, &j->mu, deadline_ns))
			break;
	}
	int rc = j->st.state == DD_JOB_FINISHED ? 0 : -1;
	pthread_mutex_unlock(&j->mu);
	return rc;
}
