/*
 * cmd_console.c: `dbdeck [-c FILE] [--read-only] [--ascii] [--no-color]`, the
 * full-screen console. Loads the config, opens the vault, builds the core
 * and its monitor (cli_core.h) and opens the audit log (unless read-only)
 * while the terminal is still a plain one, so that any error is printed
 * normally; then hands the terminal to crt.c and runs the loop (console.c).
 * On the way out the terminal is given back first, then the monitor and the
 * core are shut down.
 *
 * Colours: none with --no-color, with NO_COLOR set (no-color.org: present and
 * not empty), or on a terminal without colours: the mono theme. Glyphs:
 * UTF-8 when the locale's codeset is UTF-8 (setlocale + nl_langinfo) and
 * --ascii was not given.
 */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_core.h"
#include "console.h"
#include "console_jobs.h"
#include "console_loop.h"
#include "dbdeck/util.h"
#include "crt.h"
#include "dbdeck/audit.h"
#include "dbdeck/monitor.h"
#include "dbdeck/schema.h"
#include "sigflags.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck [-c FILE] [--read-only] [--ascii] [--no-color] [--passphrase-file F]\n"
	    "Opens the full-screen console: every cluster and node, slow queries, alerts\n"
	    "and events, live. '?' in the console lists every key (docs/console.md).\n");
}

static bool
no_color_env(void)
{
	const char *v = getenv("NO_COLOR");
	return v && v[0];
}

static bool
locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* The config's looks of each cluster (theme, accent) for the console's styles. */
static void
cluster_looks(struct console *c, const struct dd_config *cfg)
{
	size_t n = dd_config_cluster_count(cfg);
	for (size_t i = 0; i < n && c->n_looks < CONSOLE_MAX_LOOKS; i++) {
		const struct dd_cluster_config *cl = dd_config_cluster(cfg, i);
		struct console_cluster_look *lk = &c->looks[c->n_looks++];
		dd_strlcpy(lk->name, cl->name, sizeof(lk->name));
		dd_strlcpy(lk->theme, cl->theme ? cl->theme : "", sizeof(lk->theme));
		dd_strlcpy(lk->accent,
		    cl->accent != DD_COLOUR_NONE ? dd_colour_name(cl->accent) : "",
		    sizeof(lk->accent));
	}
}

static void
config_name(struct console *c, const struct dd_config *cfg)
{
	const char *p = dd_config_path(cfg), *slash = strrchr(p, '/');
	const char *base = slash ? slash + 1 : p;
	dd_text_sanitize(c->config_name, sizeof(c->config_name), base, strlen(base), 40,
	    c->gl->utf8 ? DD_TEXT_UTF8 : 0);
}

static void
console_setup(struct console *c, const struct cli *cli, const struct dd_config *cfg, bool color)
{
	const struct dd_console_config *cc = dd_config_console(cfg);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	console_init(c, glyphs_pick(locale_utf8(), cli->ascii), color,
	    cli->read_only || cc->read_only, cc->refresh_ms);
	c->now_wall_ms = dd_now_wall_ms(); /* for the expiry of a startup message */
	config_name(c, cfg);
	cluster_looks(c, cfg);
	console_theme_dirs(c, exe);
	console_theme_use(c, color ? (cc->theme ? cc->theme : "default") : "mono");
}

static int
run(const struct cli *cli, struct cli_core *cc)
{
	char err[256];
	struct dd_monitor_options mo;
	sigset_t mask;
	dd_monitor_options_default(&mo);
	/* the core refuses actions too (it reads [console] read_only itself) */
	mo.read_only = cli->read_only;
	/*
	 * The monitor's and the jobs' threads start with the console's signals
	 * blocked; console_loop unblocks them in this thread only (sigflags.h).
	 */
	sigflags_block(&mask);
	/* schema health: its own thread, NULL when every cluster has schema_refresh = 0 */
	struct dd_schema_prober *schema =
	    dd_schema_prober_new(cc->cfg, cli_vault_credential, cc->vault, err, sizeof(err));
	mo.schema = schema;
	struct dd_monitor *mon = dd_monitor_new(cc->core, &mo, err, sizeof(err));
	if (!mon) {
		dd_schema_prober_free(schema);
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		cli_error("monitor: %s", err);
		return DD_EXIT_FAILED;
	}
	const struct dd_console_config *conf = dd_config_console(cc->cfg);
	int rc = DD_EXIT_OK;
	/* Actions need the audit log; without it the console still monitors. */
	struct dd_audit *audit = NULL;
	char audit_err[300] = "the console is read-only";
	if (!cli->read_only && !conf->read_only &&
	    dd_audit_open(&audit, conf->audit_log, audit_err, sizeof(audit_err)) != 0)
		audit = NULL;
	if (crt_open(conf->log_file, !cli->no_color && !no_color_env(), err, sizeof(err)) != 0) {
		cli_error("%s", err);
		rc = DD_EXIT_FAILED;
		goto out;
	}
	struct console c;
	console_setup(&c, cli, cc->cfg, crt_colors());
	struct jobs_failover fo = {
	    .cfg = cc->cfg, .cred = cli_vault_credential, .cred_ctx = cc->vault, .core = cc->core};
	if (console_loop(&c, mon, audit, audit_err, &fo, err, sizeof(err)) != 0)
		rc = DD_EXIT_FAILED;
	crt_close();
	console_free(&c);
	if (rc != DD_EXIT_OK)
		cli_error("%s", err);
out:
	dd_monitor_free(mon);
	dd_schema_prober_free(schema);
	dd_audit_close(audit);
	sigflags_discard_pending(); /* the console has ended: a late SIGHUP must not kill it */
	pthread_sigmask(SIG_SETMASK, &mask, NULL); /* after crt_close put the old actions back */
	return rc;
}

int
cmd_console(struct cli *cli, int argc, char **argv)
{
	static const struct cli_syntax syn = {.name = "console", .usage = usage};
	struct dd_config *cfg = NULL;
	struct cli_core cc;
	char **pos;
	int npos;

	/* main() parsed the common options already and passes argc 1. */
	int rc = cli_parse(cli, argc, argv, &syn, NULL, &pos, &npos);
	if (rc != CLI_GO_ON)
		return rc;
	setlocale(LC_ALL, "");
	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	rc = cli_core_open(cli, cfg, NULL, isatty(STDIN_FILENO), &cc);
	if (rc != DD_EXIT_OK)
		return rc;
	rc = run(cli, &cc);
	cli_core_close(&cc, 2000);
	return rc;
}
