/*
 * console_jobs_test.c: the console's actions as core jobs (console_jobs.c)
 * without a server: the texts of a cancel's outcomes, an action refused when
 * there is no audit log (nothing runs, the events log says why), and a
 * cancel of a node that does not exist going through the runner with its
 * start and end records. The real cancel against the harness is in
 * tests/tui/queries_test.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console_jobs.h"
#include "dbdeck/audit.h"
#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "tap.h"

static int64_t
in_ms(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + ms * 1000000;
}

static int
no_credential(void *ctx, const char *name, const char **user, const char **password)
{
	(void)ctx, (void)name, (void)user, (void)password;
	return -1;
}

static struct console_request
request(bool terminate)
{
	struct console_request r = {.kind = REQ_CANCEL_QUERY,
	    .cluster = 7, /* no such cluster: refused by the monitor without a network */
	    .node = 0,
	    .pid = 4242,
	    .started_us = 1,
	    .terminate = terminate};
	strcpy(r.cluster_name, "pg");
	strcpy(r.node_name, "pg1");
	strcpy(r.target, "pid 4242 on pg1 (pg), user app");
	return r;
}

static void
test_messages(void)
{
	struct console_request r = request(false);
	char buf[400];
	jobs_cancel_message(&r, DD_CANCEL_OK, NULL, buf, sizeof(buf));
	is_str(buf, "cancel pid 4242 on pg1 (pg), user app: done", "done");
	r.terminate = true;
	jobs_cancel_message(&r, DD_CANCEL_CHANGED, "now\x1b[2J other", buf, sizeof(buf));
	is_str(buf,
	    "terminate pid 4242 on pg1 (pg), user app: refused, it runs another statement now "
	    "(now\u241b[2J other)",
	    "refused, with the server's reason sanitized");
	jobs_cancel_message(&r, DD_CANCEL_FAILED, "", buf, sizeof(buf));
	is_str(buf, "terminate pid 4242 on pg1 (pg), user app: failed (no detail)", "failed");
	ok(jobs_cancel_outcome(DD_CANCEL_OK) == DD_JOB_DONE &&
	        jobs_cancel_outcome(DD_CANCEL_GONE) == DD_JOB_REFUSED &&
	        jobs_cancel_outcome(DD_CANCEL_CHANGED) == DD_JOB_REFUSED &&
	        jobs_cancel_outcome(DD_CANCEL_INVALID) == DD_JOB_REFUSED &&
	        jobs_cancel_outcome(DD_CANCEL_FAILED) == DD_JOB_FAILED,
	    "cancel results map to job outcomes");
}

/* The newest action event of the monitor's next snapshot, or "". */
static const char *
last_action(struct dd_monitor *m, char *buf, size_t len)
{
	dd_monitor_refresh_now(m, in_ms(5000));
	const struct dd_snapshot *s = dd_monitor_current(m);
	buf[0] = '\0';
	for (int i = 0; s && i < s->n_events; i++)
		if (s->events[i].kind == DD_EVENT_ACTION)
			snprintf(buf, len, "%s", s->events[i].message);
	dd_snapshot_unref(s);
	return buf;
}

struct lines {
	int n;
	char text[4][160];
};

static int
collect(const struct dd_audit_record *r, void *ctx)
{
	struct lines *l = ctx;
	if (!r->bad && l->n < 4)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s %s %s %s", r->phase, r->action,
		    r->cluster ? r->cluster : "-", r->outcome ? r->outcome : "-");
	return 0;
}

static void
test_through_the_runner(struct dd_monitor *m)
{
	char err[300], why[400], ev[400];
	struct console_request r = request(false);

	struct jobs *j = jobs_start(
	    m, NULL, "audit log /x: mode 0644 allows group/other access", err, sizeof(err));
	ok(j != NULL, "the adapter starts without an audit log");
	ok(!jobs_submit(j, &r, why, sizeof(why)), "but refuses every action");
	is_str(
	    why, "cancel refused: audit log /x: mode 0644 allows group/other access", "saying why");
	is_str(last_action(m, ev, sizeof(ev)), why, "the events log has the refusal");
	jobs_stop(j);

	char dir[] = "/tmp/dd-console-jobs-XXXXXX", path[64];
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	struct dd_audit *a;
	if (dd_audit_open(&a, path, err, sizeof(err)) != 0)
		bail_out("%s", err);
	j = jobs_start(m, a, NULL, err, sizeof(err));
	ok(jobs_submit(j, &r, why, sizeof(why)), "with the audit log the cancel starts");
	struct job_result res = {0};
	int64_t until = in_ms(5000);
	bool got = false;
	while (!got && in_ms(0) < until) {
		usleep(2000);
		got = jobs_take(j, &res);
	}
	ok(got && !res.ok, "its result comes back: not ok");
	is_str(res.message,
	    "cancel pid 4242 on pg1 (pg), user app: refused, no such node (no such query target)",
	    "with the monitor's reason");
	is_str(last_action(m, ev, sizeof(ev)), res.message, "and is in the events log");
	jobs_stop(j);
	dd_audit_close(a);
	struct lines l = {0};
	dd_audit_read(path, collect, &l, err, sizeof(err));
	ok(l.n == 2, "two audit records");
	is_str(l.text[0], "start cancel pg -", "the start record");
	is_str(l.text[1], "end cancel pg refused", "the end record, with the outcome");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	static const char ini[] = "[console]\nrefresh = 1s\n";
	struct dd_config *cfg = NULL;
	struct dd_diags *d = dd_diags_new();
	char err[300];
	if (dd_config_load_buffer("t.ini", ini, sizeof(ini) - 1, &cfg, d) != 0)
		bail_out("config");
	dd_diags_free(d);
	struct dd_core *core = dd_core_new(cfg, no_credential, NULL, err, sizeof(err));
	if (!core)
		bail_out("core: %s", err);
	struct dd_monitor_options mo;
	dd_monitor_options_default(&mo);
	mo.oneshot = true;
	struct dd_monitor *m = dd_monitor_new(core, &mo, err, sizeof(err));
	if (!m)
		bail_out("monitor: %s", err);

	test_messages();
	test_through_the_runner(m);

	dd_monitor_free(m);
	dd_core_free(core);
	dd_config_free(cfg);
	return tap_done();
}
