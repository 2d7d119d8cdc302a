/*
 * console_jobs.h: the console's side of core/jobs. Actions that talk to a
 * server (cancel or terminate a query; later backups and switchovers) never
 * run on the UI thread: the loop submits them here as jobs of a dd_jobs
 * runner, each with its audit records (an action whose start record cannot
 * be written is refused and never reaches the server). Each result is logged
 * in the monitor's event log (dd_monitor_log_action) and handed back to the
 * loop, which polls the runner's wake-up descriptor.
 */
#ifndef DD_CONSOLE_JOBS_H
#define DD_CONSOLE_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "console.h"
#include "dbdeck/failover.h"
#include "dbdeck/jobs.h"
#include "dbdeck/monitor.h"

struct dd_audit;
struct jobs;

struct job_result {
	bool ok;
	char message[400];       /* for the status line (sanitized) */
	struct dd_fo_plan *plan; /* a plan made by jobs_plan (the taker's), else NULL */
	bool failover;           /* the plan's action */
	char cluster[64];        /* the plan's cluster */
};

/* What switchover and failover need; all borrowed until jobs_stop. */
struct jobs_failover {
	const struct dd_config *cfg;
	dd_credential_fn cred; /* the vault lookup */
	void *cred_ctx;
	struct dd_core *core; /* its routers hold writes during the action */
};

/*
 * Asks Patroni to pause, resume, restart or reinit (node) cluster (op: enum dd_patroni_op) as a
 * job with audit records (dd_patroni_action_submit); its outcome comes
 * back through jobs_take. False with why when it cannot start.
 */
bool jobs_patroni(
    struct jobs *j, const char *cluster, int op, const char *node, char *why, size_t whylen);

/* Enables switchover and failover (without it they are refused). */
void jobs_failover_setup(struct jobs *j, const struct jobs_failover *f);
/*
 * Plans a switchover of cluster to `to`, or a failover (`to` ""), on a
 * worker: the plan comes back through jobs_take (res.plan), for the typed
 * dialog. False with why when it cannot start.
 */
bool jobs_plan(
    struct jobs *j, bool failover, const char *cluster, const char *to, char *why, size_t whylen);
/* Runs a confirmed plan (takes it) as the action job. False with why when refused at once. */
bool jobs_run_plan(struct jobs *j, struct dd_fo_plan *p, char *why, size_t whylen);
/* The current (or last) switchover / failover: true with *out when there is one. */
bool jobs_action_read(struct jobs *j, struct dd_job_status *out);

/* ---- backups (the Backups view) ---- */

/*
 * Starts the backup job of req (REQ_BACKUP: take from req->node_name, why
 * in req->target; verify or restore of req->bk_which, deep, into) with the
 * cluster's backup credential and backup_key from the vault of
 * jobs_failover_setup. False with why when it cannot start (no audit log,
 * no vault, a job of the cluster runs, ...).
 */
bool jobs_backup(struct jobs *j, const struct console_request *req, char *why, size_t whylen);
/* The backup job (queued or running) of cluster: true with *out (caller's). */
bool jobs_backup_busy(struct jobs *j, const char *cluster, struct dd_job_status *out);
/* Whether a backup job of any cluster is queued or running. */
bool jobs_backup_any(struct jobs *j);
/* The config of jobs_failover_setup (NULL when none). */
const struct dd_config *jobs_config(const struct jobs *j);

/*
 * Starts the runner. m and audit are borrowed until jobs_stop; audit may be
 * NULL when the log could not be opened, and audit_err (copied) says why:
 * every action is then refused with that reason. Returns NULL with err on
 * failure.
 */
struct jobs *jobs_start(
    struct dd_monitor *m, struct dd_audit *audit, const char *audit_err, char *err, size_t errlen);
/* Cancels what still runs, waits (bounded by the actions' deadlines), stops and frees. NULL ok. */
void jobs_stop(struct jobs *j);
/* Readable when a result may wait (the runner's wake-up descriptor). */
int jobs_fd(const struct jobs *j);
/*
 * Starts the action of req (copied). False when it was refused (no audit
 * record, too many actions at once); why (sanitized) says so, and the
 * events log has it too.
 */
bool jobs_submit(struct jobs *j, const struct console_request *req, char *why, size_t whylen);
/* The next finished action's result, if any (never blocks). */
bool jobs_take(struct jobs *j, struct job_result *out);

/* The events-log text of a cancel's outcome (pure; unit-tested). */
void jobs_cancel_message(
    const struct console_request *req, int rc, const char *err, char *buf, size_t len);
/* The job outcome of a dd_monitor_cancel_query result (pure). */
enum dd_job_outcome jobs_cancel_outcome(int rc);

#endif
