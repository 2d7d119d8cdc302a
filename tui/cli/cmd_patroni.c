/*
 * cmd_patroni.c: `dbdeck patroni CLUSTER show|pause|resume|restart
 * NODE|reinit NODE|cancel-switchover` (docs/patroni.md). show prints Patroni's view of the
 * cluster (GET /cluster). The others are actions asked of Patroni, run as a
 * core job with audit records (patroni.h): refused under --read-only,
 * confirmed by typing the cluster name unless --yes. Exit codes: 0 done,
 * 1 failed, 2 usage, 3 config, 4 vault, 5 refused (read-only, not
 * confirmed, or Patroni refused: its reason is printed), 6 incomplete
 * (Patroni accepted but did not finish in switchover_timeout).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_core.h"
#include "cli_patroni.h"
#include "cli_vault.h"
#include "dbdeck/audit.h"
#include "dbdeck/jobs.h"
#include "dbdeck/patroni.h"
#include "dbdeck/text.h"
#include "dbdeck/vault.h"

struct popts {
	const char *cluster, *node;
	int op; /* enum dd_patroni_op, or -1: show */
	bool yes, json;
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck patroni CLUSTER show [--json]\n"
	             "       dbdeck patroni CLUSTER pause|resume [--yes]\n"
	             "       dbdeck patroni CLUSTER restart|reinit NODE [--yes]\n"
	             "       dbdeck patroni CLUSTER cancel-switchover [--yes]\n"
	             "A cluster with manager = patroni (docs/patroni.md):\n"
	             "  show     Patroni's view: leader, members, roles, states, lag, paused,\n"
	             "           a scheduled switchover\n"
	             "  pause    maintenance mode on: Patroni stops managing the cluster\n"
	             "  resume   maintenance mode off\n"
	             "  restart  restart NODE's PostgreSQL through its Patroni agent\n"
	             "  reinit   reinitialise NODE (a replica) from the leader through its agent\n"
	             "  cancel-switchover  drop the switchover scheduled with switchover --at\n"
	             "  --yes    do not ask for the cluster name\n"
	             "  --json   show: print the view as JSON\n"
	             "Exit codes: 0 done, 1 failed, 2 usage, 3 config, 4 vault, 5 refused\n"
	             "(read-only, not confirmed, or Patroni refused), 6 incomplete.\n");
}

enum { O_YES = 0x200, O_JSON };

static int
patroni_opt(void *ctx, int val, const char *arg)
{
	struct popts *o = ctx;

	(void)arg;
	o->yes |= val == O_YES;
	o->json |= val == O_JSON;
	return DD_EXIT_OK;
}

static int
parse(int argc, char **argv, struct cli *cli, struct popts *o)
{
	static const struct option opts[] = {
	    {"yes", no_argument, NULL, O_YES},
	    {"json", no_argument, NULL, O_JSON},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "patroni",
	    .usage = usage,
	    .opts = opts,
	    .opt = patroni_opt,
	    .min_args = 0,
	    .max_args = -1};
	char **pos;
	int n, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, o, &pos, &n)) != CLI_GO_ON)
		return rc;
	if (n < 2 || n > 3) { /* the usage, not cli_parse's message */
		usage(stderr);
		return DD_EXIT_USAGE;
	}
	o->cluster = pos[0];
	o->op = strcmp(pos[1], "show") == 0 ? -1 : dd_patroni_op_parse(pos[1]);
	if (o->op < 0 && strcmp(pos[1], "show") != 0) {
		cli_error("patroni: unknown action '%s' (show, pause, resume, restart, reinit, "
		          "cancel-switchover)",
		    pos[1]);
		return DD_EXIT_USAGE;
	}
	o->node = n == 3 ? pos[2] : NULL;
	if ((o->op == DD_PATRONI_RESTART || o->op == DD_PATRONI_REINIT) != (o->node != NULL)) {
		cli_error("patroni: %s %s", pos[1], o->node ? "takes no NODE" : "needs a NODE");
		return DD_EXIT_USAGE;
	}
	return -1;
}

static void
print_view(const char *cluster, json_t *v)
{
	json_t *m;
	size_t i;

	if (json_is_string(json_object_get(v, "error"))) {
		printf("%s: %s\n", cluster, json_string_value(json_object_get(v, "error")));
		return;
	}
	printf("Patroni's view of %s (%s): leader %s, timeline %lld%s%s\n", cluster,
	    json_string_value(json_object_get(v, "source")),
	    json_is_string(json_object_get(v, "leader"))
	        ? json_string_value(json_object_get(v, "leader"))
	        : "none",
	    (long long)json_integer_value(json_object_get(v, "timeline")),
	    json_is_true(json_object_get(v, "paused")) ? ", PAUSED (maintenance mode)" : "",
	    json_is_object(json_object_get(v, "scheduled_switchover")) ? ", switchover scheduled"
	                                                               : "");
	json_t *sch = json_object_get(v, "scheduled_switchover");
	if (json_is_object(sch))
		printf("  scheduled switchover at %s from %s to %s\n",
		    json_string_value(json_object_get(sch, "at")),
		    json_string_value(json_object_get(sch, "from")),
		    json_string_value(json_object_get(sch, "to")));
	json_array_foreach(json_object_get(v, "members"), i, m)
	{
		json_t *lag = json_object_get(m, "lag");
		char lagtxt[32] = "-";
		if (json_is_integer(lag))
			snprintf(lagtxt, sizeof(lagtxt), "%lld bytes",
			    (long long)json_integer_value(lag));
		printf("  %-12s %-14s %-16s lag %s%s\n",
		    json_string_value(json_object_get(m, "name")),
		    json_string_value(json_object_get(m, "role")),
		    json_string_value(json_object_get(m, "state")), lagtxt,
		    json_is_true(json_object_get(m, "pending_restart")) ? "  pending restart" : "");
	}
}

/* Prints the steps, the job's log and the outcome once the job has finished. */
static void
print_job(struct dd_job *job, const struct dd_job_status *st)
{
	struct dd_job_log_line lines[16];
	size_t n = dd_job_log_read(job, 0, lines, 16);
	char desc[DD_JOB_TEXT_MAX];

	for (size_t i = 0; i < st->n_steps; i++)
		printf("  [%zu/%zu] %-8s %s%s%s\n", i + 1, st->n_steps,
		    dd_step_state_name(st->steps[i].state), st->steps[i].title,
		    st->steps[i].message[0] ? ": " : "", st->steps[i].message);
	for (size_t i = 0; i < n; i++)
		printf("        | %s\n", lines[i].text);
	dd_job_describe(st, desc, sizeof(desc));
	printf("Outcome: %s\n", desc);
}

static int
run_action(const struct popts *o, const struct dd_config *cfg, struct dd_vault *vault)
{
	struct dd_jobs *jobs = NULL;
	struct dd_audit *audit = NULL;
	struct dd_job *job = NULL;
	struct dd_job_status *st = calloc(1, sizeof(*st));
	char err[512];
	int rc = DD_EXIT_FAILED;
	struct dd_patroni_action a = {.cfg = cfg,
	    .cluster = o->cluster,
	    .op = (enum dd_patroni_op)o->op,
	    .node = o->node,
	    .get_credential = cli_vault_credential,
	    .cred_ctx = vault};

	if (st == NULL)
		goto out;
	if (dd_audit_open(&audit, dd_config_console(cfg)->audit_log, err, sizeof(err)) != 0) {
		cli_error("%s: the action does not start without its audit record", err);
		goto out;
	}
	jobs = dd_jobs_new(&(struct dd_jobs_options){.max_running = 1}, err, sizeof(err));
	if (jobs == NULL) {
		cli_error("%s", err);
		goto out;
	}
	rc = dd_patroni_action_submit(&a, jobs, audit, &job, err, sizeof(err));
	if (rc != DD_JOBS_OK) {
		cli_error("%s", err);
		rc = rc == DD_PATRONI_ERR_USAGE        ? DD_EXIT_USAGE
		     : rc == DD_PATRONI_ERR_CREDENTIAL ? DD_EXIT_VAULT
		     : rc == DD_PATRONI_ERR_CONFIG     ? DD_EXIT_CONFIG
		     : rc == DD_JOBS_BUSY              ? DD_EXIT_REFUSED
		                                       : DD_EXIT_FAILED;
		goto out;
	}
	dd_job_wait(job, INT64_MAX);
	dd_job_read(job, st);
	print_job(job, st);
	rc = cli_exit_of_outcome(st->outcome);
out:
	dd_job_unref(job);
	dd_jobs_free(jobs);
	dd_audit_close(audit);
	free(st);
	return rc;
}

static int
action(struct cli *cli, const struct popts *o)
{
	struct dd_config *cfg = NULL;
	struct dd_vault *vault = NULL;
	const struct dd_cluster_config *cc;
	char what[160];
	int rc;

	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	cc = dd_config_find_cluster(cfg, o->cluster);
	if (cc == NULL || cc->manager != DD_MANAGER_PATRONI) {
		cli_error(cc ? "cluster %s is not managed by Patroni (set manager = patroni)"
		             : "no cluster '%s' in the configuration",
		    o->cluster);
		rc = DD_EXIT_USAGE;
		goto out;
	}
	if (o->op >= 0 && (cli->read_only || dd_config_console(cfg)->read_only)) {
		cli_error(
		    "read-only: no action can be started (--read-only / [console] read_only)");
		rc = DD_EXIT_REFUSED;
		goto out;
	}
	if (cc->patroni_credential || o->op >= 0) {
		rc = cli_vault_open(cli,
		    dd_config_console_has(cfg, "vault") ? dd_config_console(cfg)->vault : NULL,
		    isatty(STDIN_FILENO), &vault);
		if (rc != DD_EXIT_OK)
			goto out;
	}
	if (o->op < 0) {
		json_t *v = cli_patroni_json(cc, vault ? cli_vault_credential : NULL, vault);
		if (o->json)
			json_dumpf(v, stdout, JSON_INDENT(2)), putchar('\n');
		else
			print_view(o->cluster, v);
		rc = json_is_string(json_object_get(v, "error")) ? DD_EXIT_FAILED : DD_EXIT_OK;
		json_decref(v);
		goto out;
	}
	snprintf(what, sizeof(what), "Patroni %s of cluster %s%s%s", dd_patroni_op_name(o->op),
	    o->cluster, o->node ? ", member " : "", o->node ? o->node : "");
	printf("%s\n", what);
	if (!o->yes && !cli_confirm_typed(what, o->cluster)) {
		rc = DD_EXIT_REFUSED;
		goto out;
	}
	rc = run_action(o, cfg, vault);
out:
	dd_vault_close(vault);
	dd_config_free(cfg);
	return rc;
}

int
cmd_patroni(struct cli *cli, int argc, char **argv)
{
	struct popts o = {.op = -1};
	int rc = parse(argc, argv, cli, &o);

	return rc >= 0 ? rc : action(cli, &o);
}
