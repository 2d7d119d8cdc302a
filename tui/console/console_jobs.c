/*
 * console_jobs.c: the job thread of the console (console_jobs.h). One worker,
 * a small queue under a mutex, results through a non-blocking pipe.
 */
#include "console_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/text.h"
#include "dbdeck/util.h"

#define JOBS_QUEUE      8
#define JOB_DEADLINE_NS INT64_C(5000000000)

struct jobs {
	struct dd_monitor *mon;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct console_request queue[JOBS_QUEUE];
	int head, count;
	int pipe[2];
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

static void
run_cancel(struct jobs *j, const struct console_request *req, struct job_result *res)
{
	struct dd_query_target t = {
	    .cluster = req->cluster,
	    .node = req->node,
	    .pid = req->pid,
	    .started_us = req->started_us,
	    .text_hash = req->text_hash,
	};
	char err[256] = "";
	int rc = dd_monitor_cancel_query(
	    j->mon, &t, req->terminate, dd_now_mono_ns() + JOB_DEADLINE_NS, err, sizeof(err));
	res->ok = rc == DD_CANCEL_OK;
	jobs_cancel_message(req, rc, err, res->message, sizeof(res->message));
	dd_monitor_log_action(j->mon, req->cluster_name, req->node_name, res->message,
	    res->ok ? DD_SEV_INFO : DD_SEV_WARN);
}

static void *
worker(void *arg)
{
	struct jobs *j = arg;
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->stop && j->count == 0)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->stop)
			break;
		struct console_request req = j->queue[j->head];
		j->head = (j->head + 1) % JOBS_QUEUE;
		j->count--;
		pthread_mutex_unlock(&j->mu);
		struct job_result res = {0};
		if (req.kind == REQ_CANCEL_QUERY)
			run_cancel(j, &req, &res);
		ssize_t w = write(j->pipe[1], &res, sizeof(res)); /* < PIPE_BUF: atomic */
		(void)w;
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct jobs *
jobs_start(struct dd_monitor *m, char *err, size_t errlen)
{
	struct jobs *j = xcalloc(1, sizeof(*j));
	j->mon = m;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pipe2(j->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	int rc = pthread_create(&j->thread, NULL, worker, j);
	if (rc != 0) {
		snprintf(err, errlen, "job thread: %s", strerror(rc));
		close(j->pipe[0]);
		close(j->pipe[1]);
		goto fail;
	}
	return j;
fail:
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
	return NULL;
}

void
jobs_stop(struct jobs *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	close(j->pipe[0]);
	close(j->pipe[1]);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

int
jobs_fd(const struct jobs *j)
{
	return j->pipe[0];
}

bool
jobs_submit(struct jobs *j, const struct console_request *req)
{
	bool ok = false;
	pthread_mutex_lock(&j->mu);
	if (j->count < JOBS_QUEUE) {
		j->queue[(j->head + j->count) % JOBS_QUEUE] = *req;
		j->count++;
		ok = true;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
	return ok;
}

bool
jobs_take(struct jobs *j, struct job_result *out)
{
	return read(j->pipe[0], out, sizeof(*out)) == (ssize_t)sizeof(*out);
}
