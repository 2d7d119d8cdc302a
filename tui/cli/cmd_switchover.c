/*
 * cmd_switchover.c: `dbdeck switchover CLUSTER --to NODE` and `dbdeck
 * failover CLUSTER [--to NODE]` (docs/switchover.md). Both make a plan in
 * core (failover.h), print it as numbered steps with the pre-check results,
 * stop there with --dry-run, ask for the cluster name unless --yes, and run
 * it as a core job: each step is printed as it starts and ends (with its
 * duration), the job's log lines (a hook's output) as they come, and the
 * outcome at the end with what a person must still do. Exit codes: 0 done,
 * 1 failed (rolled back), 5 refused, 6 incomplete; 2 usage, 3 config, 4
 * vault. Ctrl-C asks the job to stop: before the promotion it rolls back.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_core.h"
#include "cli_vault.h"
#include "dbdeck/audit.h"
#include "dbdeck/failover.h"
#include "dbdeck/jobs.h"
#include "dbdeck/text.h"
#include "dbdeck/vault.h"

#define TEXT_MAX 1024

struct opts {
	enum dd_fo_action action;
	const char *cluster, *to, *at;
	bool dry_run, yes, json, force, no_fence;
};

static void
usage(FILE *out, enum dd_fo_action a)
{
	if (a == DD_FO_SWITCHOVER)
		fprintf(out,
		    "usage: dbdeck switchover CLUSTER --to NODE [--at TIME] [--dry-run] [--yes]\n"
		    "                         [--force] [--json]\n"
		    "Makes NODE, a healthy replica, the primary while the old primary is up:\n"
		    "fence the old primary, wait until NODE has everything, promote it, repoint\n"
		    "the other replicas, rejoin the old primary (docs/switchover.md).\n"
		    "  --at TIME  manager = patroni only: Patroni switches over at TIME, an ISO\n"
		    "             8601 UTC time (2026-12-06T23:00:00Z); done once Patroni shows\n"
		    "             it scheduled (cancel: dbdeck patroni CLUSTER "
		    "cancel-switchover)\n");
	else
		fprintf(out,
		    "usage: dbdeck failover CLUSTER [--to NODE] [--dry-run] [--yes] [--no-fence]\n"
		    "                       [--force] [--json]\n"
		    "Promotes a replica when the primary is gone: the most advanced one, or NODE\n"
		    "if it is not behind another. fence_command stops the old primary first;\n"
		    "without it, --no-fence --yes is needed: an old primary that comes back\n"
		    "accepts writes beside the new one (SPLIT-BRAIN) until it is rejoined.\n");
	fprintf(out,
	    "  --dry-run  print the plan and the pre-checks, change nothing\n"
	    "  --yes      do not ask for the cluster name\n"
	    "  --force    override the pre-checks marked overridable (lag, paused replay,\n"
	    "             a replica ahead of --to, a lock on a majority of the nodes that\n"
	    "             answer); each one overridden is named\n"
	    "  --json     print the plan and the outcome as one JSON document\n"
	    "Exit codes: 0 done, 1 failed (rolled back), 2 usage, 3 config, 4 vault,\n"
	    "5 refused (a pre-check, or another dbdeck holds the cluster), 6 incomplete\n"
	    "(the new primary runs; the output lists what a person must still do).\n");
}

static void
usage_switchover(FILE *out)
{
	usage(out, DD_FO_SWITCHOVER);
}

static void
usage_failover(FILE *out)
{
	usage(out, DD_FO_FAILOVER);
}

enum { O_DRY = 0x200, O_YES, O_JSON, O_FORCE, O_NOFENCE, O_TO, O_AT };

/* Stores one of the command's own options into the struct opts at ctx. */
static int
fo_opt(void *ctx, int val, const char *arg)
{
	struct opts *o = ctx;

	switch (val) {
	case O_TO: o->to = arg; break;
	case O_AT:
		if (o->action == DD_FO_SWITCHOVER) {
			o->at = arg;
			break;
		}
		cli_error("failover has no --at: it runs now");
		return DD_EXIT_USAGE;
	case O_DRY: o->dry_run = true; break;
	case O_YES: o->yes = true; break;
	case O_JSON: o->json = true; break;
	case O_FORCE: o->force = true; break;
	case O_NOFENCE:
		if (o->action == DD_FO_FAILOVER) {
			o->no_fence = true;
			break;
		}
		cli_error("switchover has no --no-fence: it fences the old primary over SQL");
		return DD_EXIT_USAGE;
	}
	return DD_EXIT_OK;
}

static int
parse(int argc, char **argv, struct cli *cli, struct opts *o)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, O_TO},
	    {"at", required_argument, NULL, O_AT},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"yes", no_argument, NULL, O_YES},
	    {"json", no_argument, NULL, O_JSON},
	    {"force", no_argument, NULL, O_FORCE},
	    {"no-fence", no_argument, NULL, O_NOFENCE},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn_switchover = {.name = "switchover",
	    .usage = usage_switchover,
	    .opts = opts,
	    .opt = fo_opt,
	    .min_args = 0,
	    .max_args = -1};
	static const struct cli_syntax syn_failover = {.name = "failover",
	    .usage = usage_failover,
	    .opts = opts,
	    .opt = fo_opt,
	    .min_args = 0,
	    .max_args = -1};
	char **pos;
	int npos, rc;

	rc = cli_parse(cli, argc, argv,
	    o->action == DD_FO_SWITCHOVER ? &syn_switchover : &syn_failover, o, &pos, &npos);
	if (rc != CLI_GO_ON)
		return rc;
	if (npos != 1) { /* the usage, not cli_parse's message */
		usage(stderr, o->action);
		return DD_EXIT_USAGE;
	}
	o->cluster = pos[0];
	if (o->action == DD_FO_SWITCHOVER && o->to == NULL) {
		cli_error("switchover: --to NODE is required");
		return DD_EXIT_USAGE;
	}
	if (o->at) {
		char why[160];
		int64_t t;
		if (dd_fo_parse_at(o->at, (int64_t)time(NULL), &t, why, sizeof(why)) != 0) {
			cli_error("switchover --at: %s", why);
			return DD_EXIT_USAGE;
		}
	}
	if (o->no_fence && !o->yes && !o->dry_run) {
		cli_error(
		    "failover --no-fence also needs --yes: without a fence the old primary is "
		    "not stopped, and if it comes back it accepts writes beside the new one "
		    "(SPLIT-BRAIN) until it is rejoined");
		return DD_EXIT_USAGE;
	}
	return -1;
}

/* ---- printing ---- */

static const char *
clean(const char *s, char *buf, size_t len)
{
	dd_text_sanitize(buf, len, s ? s : "", s ? strlen(s) : 0, (int)len - 1, DD_TEXT_UTF8);
	return buf;
}

static void
print_plan(const struct dd_fo_plan *p, const char *cluster)
{
	const struct dd_fo_check *c;
	size_t n = dd_fo_plan_checks(p, &c), steps = dd_fo_plan_step_count(p);
	char b1[TEXT_MAX];

	printf("%s of cluster %s: %s -> %s\n",
	    dd_fo_plan_action(p) == DD_FO_FAILOVER ? "Failover" : "Switchover", cluster,
	    dd_fo_plan_old_primary(p)[0] ? dd_fo_plan_old_primary(p) : "?",
	    dd_fo_plan_candidate(p)[0] ? dd_fo_plan_candidate(p) : "?");
	printf("Pre-checks:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-6s %-11s %s%s\n", dd_fo_check_state_name(c[i].state), c[i].name,
		    clean(c[i].message, b1, sizeof(b1)),
		    c[i].state == DD_FO_CHECK_FORCED ? " (overridden by --force)" : "");
	printf("Plan:\n");
	for (size_t i = 0; i < steps; i++)
		printf("  %2zu. %s\n", i + 1, dd_fo_plan_step(p, i));
	fflush(stdout);
}

static json_t *
plan_json(const struct dd_fo_plan *p, const char *cluster)
{
	const struct dd_fo_check *c;
	size_t n = dd_fo_plan_checks(p, &c);
	json_t *doc = json_object(), *checks = json_array();
	char b[TEXT_MAX];

	json_object_set_new(doc, "action", json_string(dd_fo_action_name(dd_fo_plan_action(p))));
	json_object_set_new(doc, "cluster", json_string(cluster));
	json_object_set_new(doc, "old_primary", json_string(dd_fo_plan_old_primary(p)));
	json_object_set_new(doc, "candidate", json_string(dd_fo_plan_candidate(p)));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    checks, json_pack("{s:s, s:s, s:b, s:s}", "name", c[i].name, "state",
		                dd_fo_check_state_name(c[i].state), "overridable", c[i].overridable,
		                "message", clean(c[i].message, b, sizeof(b))));
	json_object_set_new(doc, "checks", checks);
	return doc;
}

/* The steps (plan titles, or the job's states when it ran) into doc. */
static void
steps_json(json_t *doc, const struct dd_fo_plan *p, const struct dd_job_status *st)
{
	json_t *steps = json_array();
	char b[TEXT_MAX];
	size_t n = st ? st->n_steps : dd_fo_plan_step_count(p);

	for (size_t i = 0; i < n; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "n", json_integer((json_int_t)i + 1));
		json_object_set_new(
		    s, "title", json_string(st ? st->steps[i].title : dd_fo_plan_step(p, i)));
		json_object_set_new(s, "state",
		    json_string(st ? dd_step_state_name(st->steps[i].state) : "pending"));
		if (st) {
			json_object_set_new(
			    s, "message", json_string(clean(st->steps[i].message, b, sizeof(b))));
			json_object_set_new(s, "duration_ms",
			    st->steps[i].duration_ms >= 0 ? json_integer(st->steps[i].duration_ms)
			                                  : json_null());
		}
		json_array_append_new(steps, s);
	}
	json_object_set_new(doc, "steps", steps);
}

static void
print_json(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
}

/* ---- running ---- */

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct watch {
	enum dd_step_state shown[DD_JOB_MAX_STEPS];
	bool started[DD_JOB_MAX_STEPS];
	uint64_t log_next;
	bool quiet;
};

static void
show_progress(struct dd_job *job, const struct dd_job_status *st, struct watch *w)
{
	struct dd_job_log_line lines[32];
	char b[TEXT_MAX];
	size_t n;

	while (!w->quiet && (n = dd_job_log_read(job, w->log_next, lines, 32)) > 0) {
		for (size_t i = 0; i < n; i++)
			printf("        | %s\n", clean(lines[i].text, b, sizeof(b)));
		w->log_next = lines[n - 1].seq + 1;
	}
	for (size_t i = 0; i < st->n_steps && !w->quiet; i++) {
		const struct dd_job_step_status *s = &st->steps[i];
		if (s->state == w->shown[i])
			continue;
		char dur[32] = "";
		if ((s->state == DD_STEP_DONE || s->state == DD_STEP_FAILED) && s->duration_ms >= 0)
			snprintf(dur, sizeof(dur), " (%.3f s)", (double)s->duration_ms / 1000);
		printf("  [%2zu/%zu] %-8s %s%s%s%s\n", i + 1, st->n_steps,
		    dd_step_state_name(s->state), s->title, dur, s->message[0] ? ": " : "",
		    clean(s->message, b, sizeof(b)));
		w->shown[i] = s->state;
	}
	fflush(stdout);
}

/* Waits for the job, printing as it goes; fills st at the end. */
static void
follow(struct dd_jobs *jobs, struct dd_job *job, struct dd_job_status *st, bool quiet)
{
	struct watch w = {.quiet = quiet};
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	bool asked = false;

	sigaction(SIGINT, &sa, &old);
	for (;;) {
		dd_jobs_ack(jobs);
		dd_job_read(job, st);
		show_progress(job, st, &w);
		if (st->state == DD_JOB_FINISHED)
			break;
		if (interrupted && !asked) {
			asked = true;
			fprintf(stderr, "dbdeck: stopping: before the promotion the steps done are "
			                "undone; after it the remaining steps still run\n");
			dd_job_cancel(job);
		}
		struct pollfd pfd = {.fd = dd_jobs_wake_fd(jobs), .events = POLLIN};
		poll(&pfd, 1, 200);
	}
	sigaction(SIGINT, &old, NULL);
}

/* "A; still to do: X | Y" → the sentence, then numbered lines. */
static void
print_outcome(const struct dd_job_status *st)
{
	char text[DD_JOB_TEXT_MAX * 2], *todo, *item, *save = NULL;
	char desc[DD_JOB_TEXT_MAX];
	int k = 0;

	clean(st->text, text, sizeof(text));
	todo = strstr(text, "; still to do: ");
	if (todo)
		*todo = '\0';
	if (st->outcome == DD_JOB_FAILED || st->outcome == DD_JOB_CANCELLED) {
		dd_job_describe(st, desc, sizeof(desc));
		printf("Outcome: %s\n", clean(desc, desc, sizeof(desc)));
	} else {
		printf("Outcome: %s%s%s\n",
		    st->outcome == DD_JOB_INCOMPLETE ? "incomplete"
		                                     : dd_job_outcome_name(st->outcome),
		    text[0] ? ": " : "", text);
	}
	if (!todo)
		return;
	printf("A person must still:\n");
	for (item = strtok_r(todo + 15, "|", &save); item; item = strtok_r(NULL, "|", &save))
		printf("  %d. %s\n", ++k, item + (item[0] == ' '));
}

static int
run_job(struct dd_fo_plan *p, const struct dd_config *cfg, const struct opts *o, json_t *doc)
{
	struct dd_jobs *jobs = NULL;
	struct dd_audit *audit = NULL;
	struct dd_job *job = NULL;
	struct dd_job_status *st = calloc(1, sizeof(*st));
	char err[512];
	int rc = DD_EXIT_FAILED;

	if (dd_audit_open(&audit, dd_config_console(cfg)->audit_log, err, sizeof(err)) != 0) {
		cli_error("%s: the action does not start without its audit record", err);
		dd_fo_plan_free(p);
		goto out;
	}
	jobs = dd_jobs_new(&(struct dd_jobs_options){.max_running = 1}, err, sizeof(err));
	if (jobs == NULL) {
		cli_error("%s", err);
		dd_fo_plan_free(p);
		goto out;
	}
	if (dd_fo_submit(p, jobs, audit, &job, err, sizeof(err)) != DD_JOBS_OK) {
		cli_error("%s", err);
		goto out;
	}
	follow(jobs, job, st, o->json);
	rc = cli_exit_of_outcome(st->outcome);
	if (doc) {
		steps_json(doc, NULL, st);
		json_object_set_new(doc, "outcome", json_string(dd_job_outcome_name(st->outcome)));
		json_object_set_new(doc, "text", json_string(clean(st->text, err, sizeof(err))));
		json_object_set_new(doc, "exit", json_integer(rc));
	} else {
		print_outcome(st);
	}
out:
	dd_job_unref(job);
	dd_jobs_free(jobs);
	dd_audit_close(audit);
	free(st);
	return rc;
}

static int
plan_error(int rc, const char *err)
{
	cli_error("%s", err);
	return rc == DD_FO_ERR_USAGE        ? DD_EXIT_USAGE
	       : rc == DD_FO_ERR_CREDENTIAL ? DD_EXIT_VAULT
	                                    : DD_EXIT_CONFIG;
}

static int
action(struct cli *cli, const struct opts *o)
{
	struct dd_config *cfg = NULL;
	struct dd_vault *vault = NULL;
	struct dd_fo_plan *p = NULL;
	json_t *doc = NULL;
	char err[512];
	int rc;

	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	if (cli->read_only || dd_config_console(cfg)->read_only) {
		cli_error(
		    "read-only: no action can be started (--read-only / [console] read_only)");
		rc = DD_EXIT_REFUSED;
		goto out;
	}
	rc = cli_vault_open(cli,
	    dd_config_console_has(cfg, "vault") ? dd_config_console(cfg)->vault : NULL,
	    isatty(STDIN_FILENO), &vault);
	if (rc != DD_EXIT_OK)
		goto out;
	struct dd_fo_request req = {.action = o->action,
	    .cfg = cfg,
	    .cluster = o->cluster,
	    .to = o->to,
	    .force = o->force,
	    .no_fence = o->no_fence,
	    .scheduled_at = o->at,
	    .get_credential = cli_vault_credential,
	    .cred_ctx = vault};
	if ((rc = dd_fo_plan_new(&req, &p, err, sizeof(err))) != DD_FO_OK) {
		rc = plan_error(rc, err);
		goto out;
	}
	bool refused = dd_fo_plan_refused(p, err, sizeof(err));
	if (o->json)
		doc = plan_json(p, o->cluster);
	else
		print_plan(p, o->cluster);
	if (o->dry_run || (!o->yes && !refused && !cli_confirm_typed(NULL, o->cluster))) {
		rc = refused ? DD_EXIT_REFUSED : o->dry_run ? DD_EXIT_OK : DD_EXIT_REFUSED;
		if (doc) {
			steps_json(doc, p, NULL);
			/* not confirmed is refused too (exit 5), not a dry run */
			json_object_set_new(
			    doc, "outcome", json_string(rc == DD_EXIT_OK ? "dry-run" : "refused"));
			json_object_set_new(doc, "exit", json_integer(rc));
		} else if (refused) {
			printf("Refused: %s\n", clean(err, err, sizeof(err)));
		}
		dd_fo_plan_free(p);
		goto out;
	}
	rc = run_job(p, cfg, o, doc); /* a refused plan runs too: its attempt is audited */
out:
	if (doc)
		print_json(doc);
	dd_vault_close(vault);
	dd_config_free(cfg);
	return rc;
}

static int
command(struct cli *cli, int argc, char **argv, enum dd_fo_action a)
{
	struct opts o = {.action = a};
	int rc = parse(argc, argv, cli, &o);

	return rc >= 0 ? rc : action(cli, &o);
}

int
cmd_switchover(struct cli *cli, int argc, char **argv)
{
	return command(cli, argc, argv, DD_FO_SWITCHOVER);
}

int
cmd_failover(struct cli *cli, int argc, char **argv)
{
	return command(cli, argc, argv, DD_FO_FAILOVER);
}
