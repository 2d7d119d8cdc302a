/*
 * cmd_status.c: `dbdeck status [CLUSTER] [--json]`. Builds the core (config,
 * vault, pools, routers), runs one monitor round in one-shot mode (every
 * node probed in parallel, each with a deadline), prints the snapshot as a
 * table per cluster or as JSON (docs/monitoring.md has the schema), and
 * (the document's builder is in core, dbdeck/serve.h, shared with GET /status), and
 * exits 0 when everything is healthy, 1 when degraded or unhealthy, 2 for a
 * usage error or an unknown cluster, 3 for a config error, 4 for a vault
 * error; 1 also when the output could not be written. Alerts are evaluated in one-shot mode: their
 * durations count as elapsed, so the current state shows at once. Every server-provided string goes
 * through the sanitizer, for the terminal and for JSON alike.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_core.h"
#include "dbdeck/monitor.h"
#include "dbdeck/serve.h"
#include "dbdeck/text.h"
#include "dbdeck/util.h"

#define ROUND_BUDGET_NS INT64_C(8000000000) /* routers' round + ours, with margin */
#define TEXT_MAX        1024

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck status [CLUSTER] [--json] [-c FILE] [--passphrase-file F]\n"
	    "Probes every node of every cluster (or of CLUSTER) once and prints roles,\n"
	    "states, lag, breakers, pool and connection use, and the active alerts.\n"
	    "  --json   machine-readable output (schema in docs/monitoring.md)\n"
	    "Exit codes: 0 healthy, 1 degraded or unhealthy (or the output could not be\n"
	    "written), 2 usage or unknown cluster, 3 configuration error, 4 vault error.\n");
}

/* Server text made safe: valid UTF-8 (or ASCII), one line, no control characters. */
static const char *
clean(const char *s, bool ascii, char *buf, size_t len)
{
	dd_text_sanitize(
	    buf, len, s ? s : "", s ? strlen(s) : 0, (int)len - 1, ascii ? 0 : DD_TEXT_UTF8);
	return buf;
}

/* ---- JSON: the one builder of the status document (dbdeck/serve.h) ---- */

static int
print_json(const struct dd_config *cfg, const struct dd_snapshot *s)
{
	struct dd_status_backup *b = xcalloc(s->n_clusters ? (size_t)s->n_clusters : 1, sizeof(*b));
	char *text;

	dd_status_backups_read(cfg, s, b);
	text = dd_status_json_text(s, b);
	fputs(text, stdout);
	free(text);
	free(b);
	return 0;
}

/* ---- text ---- */

static void
fmt_lag(const struct dd_snap_node *n, char *buf, size_t len)
{
	if (n->role != DD_ROLE_REPLICA)
		snprintf(buf, len, "-");
	else if (isnan(n->lag_s))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%.1f s", n->lag_s);
}

static void
fmt_count(int used, int max, char *buf, size_t len)
{
	if (used < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d/%d", used, max);
}

static void
print_node(const struct dd_snap_node *n, bool ascii)
{
	char name[80], ver[48], lag[24], pool[48], conn[32], err[160];

	fmt_lag(n, lag, sizeof(lag));
	snprintf(pool, sizeof(pool), "%d/%d/%d/%d", n->pool_active, n->pool_idle, n->pool_waiting,
	    n->pool_max);
	fmt_count(n->conn_used, n->conn_max, conn, sizeof(conn));
	printf("  %-12s %-8s %-8s %-9s %-10s %-14s %-10s %s\n", clean(n->name, ascii, name, 13),
	    dd_role_name(n->role), dd_node_state_name(n->state), lag,
	    dd_breaker_state_name(n->breaker), pool, conn, clean(n->version, ascii, ver, 40));
	if (n->state == DD_NODE_DOWN && n->last_error[0])
		printf("  %-12s %s\n", "", clean(n->last_error, ascii, err, 120));
}

static void
print_text(const struct dd_snapshot *s, bool ascii)
{
	char a[160], b[80], c[80], when[40];

	for (int i = 0; i < s->n_clusters; i++) {
		const struct dd_snap_cluster *cl = &s->clusters[i];
		printf("cluster %s (%s): %s, primary %s\n", clean(cl->name, ascii, a, 64),
		    dd_engine_name(cl->engine), dd_health_name(cl->health),
		    cl->primary >= 0 ? clean(s->nodes[cl->primary].name, ascii, b, 64) : "none");
		printf("  %-12s %-8s %-8s %-9s %-10s %-14s %-10s %s\n", "NODE", "ROLE", "STATE",
		    "LAG", "BREAKER", "POOL a/i/w/max", "CONN", "VERSION");
		for (int j = cl->first_node; j < cl->first_node + cl->n_nodes; j++)
			print_node(&s->nodes[j], ascii);
		if (cl->patroni && cl->patroni_ok)
			printf("  patroni: leader %s%s\n",
			    cl->patroni_leader[0] ? clean(cl->patroni_leader, ascii, c, 64)
			                          : "none",
			    cl->patroni_paused ? ", PAUSED (maintenance mode)" : "");
		else if (cl->patroni)
			printf("  patroni: %s\n", clean(cl->patroni_error, ascii, c, 78));
		if (cl->patroni && cl->patroni_scheduled_at && cl->patroni_scheduled_at[0]) {
			printf("  patroni: switchover scheduled at %s",
			    clean(cl->patroni_scheduled_at, ascii, c, 48));
			printf(" to %s\n", clean(cl->patroni_scheduled_to, ascii, c, 64));
		}
		if (cl->patroni_undeclared && cl->patroni_undeclared[0])
			printf("  warning: a Patroni agent answers at %s: say manager = patroni or "
			       "none (docs/patroni.md)\n",
			    clean(cl->patroni_undeclared, ascii, c, 78));
		printf("\n");
	}
	printf("alerts: %d\n", s->n_alerts);
	for (int i = 0; i < s->n_alerts; i++) {
		const struct dd_snap_alert *al = &s->alerts[i];
		dd_iso_time_ms(al->since_wall_ms, when, sizeof(when));
		printf("  %-8s %-18s %s/%s  %s\n", dd_severity_name(al->severity), al->rule,
		    clean(al->cluster, ascii, b, 64), clean(al->node, ascii, c, 64),
		    clean(al->message, ascii, a, 150));
	}
	dd_iso_time_ms(s->generated_wall_ms, when, sizeof(when));
	printf("status: %s (%s)\n", dd_health_name(s->health), when);
}

/* ---- the command ---- */

/*
 * Whether everything printed reached stdout: a full disk or a closed pipe
 * (SIGPIPE is ignored) must not pass for a healthy status with truncated
 * output. Says why on stderr when not.
 */
static bool
output_written(void)
{
	int e = fflush(stdout) == 0 ? 0 : errno;

	if (e == 0 && !ferror(stdout))
		return true;
	cli_error("writing the status failed: %s", e ? strerror(e) : "write error");
	return false;
}

/* Probes once and prints; returns the exit code of the health (1 when the output failed). */
static int
status_run(struct cli_core *cc, bool json, bool ascii)
{
	struct dd_monitor_options mo;
	struct dd_monitor *m;
	const struct dd_snapshot *s;
	char err[256];
	int rc;

	dd_monitor_options_default(&mo);
	mo.oneshot = true;
	m = dd_monitor_new(cc->core, &mo, err, sizeof(err));
	if (m == NULL) {
		cli_error("%s", err);
		return DD_EXIT_FAILED;
	}
	dd_monitor_refresh_now(m, dd_now_mono_ns() + ROUND_BUDGET_NS);
	s = dd_monitor_current(m);
	if (s == NULL) {
		cli_error("no snapshot could be taken");
		rc = DD_EXIT_FAILED;
	} else {
		if (json)
			print_json(cc->cfg, s);
		else
			print_text(s, ascii);
		rc = s->health == DD_HEALTH_HEALTHY ? DD_EXIT_OK : DD_EXIT_FAILED;
		if (!output_written())
			rc = DD_EXIT_FAILED;
	}
	dd_snapshot_unref(s);
	dd_monitor_free(m);
	return rc;
}

enum { OPT_JSON = 0x200 };

static int
status_opt(void *ctx, int val, const char *arg)
{
	(void)arg;
	*(bool *)ctx |= val == OPT_JSON;
	return DD_EXIT_OK;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "status",
	    .usage = usage,
	    .opts = opts,
	    .opt = status_opt,
	    .min_args = 0,
	    .max_args = -1};
	struct dd_core_options co;
	struct dd_config *cfg = NULL;
	struct cli_core cc;
	const char *cluster = NULL;
	bool json = false;
	char **pos;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, &json, &pos, &npos)) != CLI_GO_ON)
		return rc;
	if (npos > 1) { /* its own message, without the (see --help) of cli_parse */
		cli_error("status takes at most one CLUSTER");
		return DD_EXIT_USAGE;
	}
	if (npos == 1)
		cluster = pos[0];
	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	if (cluster && dd_config_find_cluster(cfg, cluster) == NULL) {
		cli_error("no cluster named '%s' in %s", cluster, dd_config_path(cfg));
		dd_config_free(cfg);
		return DD_EXIT_USAGE;
	}
	dd_core_options_default(&co);
	co.only_cluster = cluster;
	if ((rc = cli_core_open(cli, cfg, &co, true, &cc)) != DD_EXIT_OK)
		return rc;
	rc = status_run(&cc, json, cli->ascii);
	cli_core_close(&cc, 2000);
	return rc;
}
