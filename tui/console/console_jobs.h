/*
 * console_jobs.h: the console's job thread. Actions that talk to a server
 * (cancel or terminate a query; later backups and switchovers) never run on
 * the UI thread: the loop submits them here, one worker thread carries them
 * out in order (each bounded by a deadline), logs every result in the
 * monitor's event log (dd_monitor_log_action), and hands the result back
 * through a pipe that the loop polls.
 */
#ifndef DD_CONSOLE_JOBS_H
#define DD_CONSOLE_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "console.h"
#include "dbdeck/monitor.h"

struct jobs;

struct job_result {
	bool ok;
	char message[400]; /* for the status line (sanitized) */
};

/* Starts the worker. m is borrowed until jobs_stop. Returns NULL with err on failure. */
struct jobs *jobs_start(struct dd_monitor *m, char *err, size_t errlen);
/* Waits for the job in progress (bounded by its deadline), stops and frees. NULL is a no-op. */
void jobs_stop(struct jobs *j);
/* Readable when a result waits. */
int jobs_fd(const struct jobs *j);
/* Queues a request (copied). False when the queue is full. */
bool jobs_submit(struct jobs *j, const struct console_request *req);
/* The next result, if any (never blocks). */
bool jobs_take(struct jobs *j, struct job_result *out);

/* The events-log text of a cancel's outcome (pure; unit-tested). */
void jobs_cancel_message(
    const struct console_request *req, int rc, const char *err, char *buf, size_t len);

#endif
