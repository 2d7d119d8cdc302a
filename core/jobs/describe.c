/*
 * describe.c: the names of job and step states and outcomes, and the
 * sentence a person reads about a job (dd_job_describe): the console's
 * status line, a command's last line, the audit end record's detail. Pure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/jobs.h"

const char *
dd_step_state_name(enum dd_step_state s)
{
	switch (s) {
	case DD_STEP_PENDING: return "pending";
	case DD_STEP_RUNNING: return "running";
	case DD_STEP_DONE: return "done";
	case DD_STEP_FAILED: return "failed";
	case DD_STEP_UNDONE: return "undone";
	case DD_STEP_SKIPPED: return "skipped";
	}
	return "?";
}

const char *
dd_job_state_name(enum dd_job_state s)
{
	switch (s) {
	case DD_JOB_QUEUED: return "queued";
	case DD_JOB_RUNNING: return "running";
	case DD_JOB_FINISHED: return "finished";
	}
	return "?";
}

const char *
dd_job_outcome_name(enum dd_job_outcome o)
{
	switch (o) {
	case DD_JOB_NONE: return "";
	case DD_JOB_DONE: return "done";
	case DD_JOB_FAILED: return "failed";
	case DD_JOB_INCOMPLETE: return "incomplete";
	case DD_JOB_CANCELLED: return "cancelled";
	case DD_JOB_REFUSED: return "refused";
	}
	return "?";
}

/* snprintf-like appending: used counts the full length even past the buffer. */
struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void
put(struct out *o, const char *fmt, ...)
{
	size_t at = o->used < o->len ? o->used : (o->len ? o->len - 1 : 0);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->len ? o->buf + at : NULL, o->len ? o->len - at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* "850ms", "4.2s", "12s", "3m04s", "2h05m". */
static void
put_duration(struct out *o, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		put(o, "%lldms", (long long)ms);
	else if (ms < 10000)
		put(o, "%.1fs", (double)ms / 1000);
	else if (ms < 60000)
		put(o, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		put(o, "%lldm%02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
	else
		put(o, "%lldh%02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}

/* "; LABEL: 3 (title), 2 (title)" for the steps in state `which` (newest first when rev). */
static void
put_steps(struct out *o, const struct dd_job_status *s, enum dd_step_state which, const char *label,
    bool rev)
{
	bool first = true;
	for (size_t k = 0; k < s->n_steps; k++) {
		size_t i = rev ? s->n_steps - 1 - k : k;
		if (s->steps[i].state != which)
			continue;
		put(o, "%s%zu (%s)", first ? label : ", ", i + 1, s->steps[i].title);
		first = false;
	}
}

static size_t
count_steps(const struct dd_job_status *s, enum dd_step_state which)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_steps; i++)
		n += s->steps[i].state == which;
	return n;
}

static void
put_text(struct out *o, const struct dd_job_status *s)
{
	if (s->text[0])
		put(o, ": %s", s->text);
}

static void
describe_running(struct out *o, const struct dd_job_status *s)
{
	if (s->state == DD_JOB_QUEUED) {
		put(o, "queued");
	} else if (s->current_step >= 0) {
		const struct dd_job_step_status *st = &s->steps[s->current_step];
		put(o, "running step %d of %zu: %s", s->current_step + 1, s->n_steps, st->title);
		if (st->has_progress && st->total_bytes > 0)
			put(o, " (%d %%)",
			    (int)(100.0 * (double)st->done_bytes / (double)st->total_bytes));
	} else {
		put(o, "running");
	}
	if (s->cancel_requested)
		put(o, ", cancel asked");
}

/* The step that ran last (steps run in order), or -1. */
static int
last_started(const struct dd_job_status *s)
{
	int last = -1;
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].started_ms != 0)
			last = (int)i;
	return last;
}

static void
describe_cancelled(struct out *o, const struct dd_job_status *s)
{
	int i = last_started(s);
	put(o, "cancelled");
	if (i < 0)
		put(o, " before it started");
	else
		put(o, " %s step %d (%s)", s->steps[i].state == DD_STEP_DONE ? "after" : "during",
		    i + 1, s->steps[i].title);
	put_text(o, s);
	put_steps(o, s, DD_STEP_UNDONE, "; undone: ", true);
	put_steps(o, s, DD_STEP_DONE, "; left done: ", false);
}

size_t
dd_job_describe(const struct dd_job_status *s, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	if (len)
		buf[0] = '\0';
	switch (s->state == DD_JOB_FINISHED ? s->outcome : DD_JOB_NONE) {
	case DD_JOB_NONE: describe_running(&o, s); break;
	case DD_JOB_DONE:
		put(&o, "done in ");
		put_duration(&o, s->duration_ms);
		put_text(&o, s);
		break;
	case DD_JOB_FAILED:
		put(&o, "failed%s", count_steps(s, DD_STEP_UNDONE) ? ", rolled back" : "");
		put_text(&o, s);
		put_steps(&o, s, DD_STEP_UNDONE, "; undone: ", true);
		put_steps(&o, s, DD_STEP_DONE, "; NOT undone: ", false);
		break;
	case DD_JOB_INCOMPLETE:
		put(&o, "incomplete");
		put_text(&o, s);
		put_steps(&o, s, DD_STEP_FAILED, "; failed: ", false);
		put_steps(&o, s, DD_STEP_SKIPPED, "; not done: ", false);
		break;
	case DD_JOB_CANCELLED: describe_cancelled(&o, s); break;
	case DD_JOB_REFUSED:
		put(&o, "refused");
		put_text(&o, s);
		break;
	}
	return o.used;
}
