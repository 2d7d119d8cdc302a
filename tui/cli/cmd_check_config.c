/*
 * cmd_check_config.c: `dbdeck check-config`. Loads the config file (-c,
 * $DBDECK_CONFIG, ~/.config/dbdeck/dbdeck.ini), prints every error and
 * warning as FILE:LINE on stderr, warns about a theme the console would not
 * find (looked up as the console does, so an installed binary shows whether
 * it finds the installed themes) and, when a passphrase file makes the vault
 * openable without a terminal, checks that each cluster's credential is in
 * it. With --probe (and only then: without it nothing goes on the network)
 * a PostgreSQL cluster without `manager` whose nodes have a Patroni agent
 * answering on port 8008 gets a warning. Exit 0 with a one-line summary on
 * stdout, or 3 on any config error.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_vault.h"
#include "dbdeck/config.h"
#include "dbdeck/patroni.h"
#include "dbdeck/vault.h"
#include "theme.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck check-config [-c FILE] [--passphrase-file F] [--probe]\n"
	             "Reports every mistake of the configuration file as FILE:LINE, warns about a\n"
	             "theme the console would not find, and checks the clusters' credentials when\n"
	             "the vault can be opened without a terminal. It reads files only.\n"
	             "  --probe  also asks each PostgreSQL node's host (port 8008) whether a\n"
	             "           Patroni agent answers for a cluster without `manager`\n"
	             "Exit codes: 0 ok, 2 usage, 3 configuration error, 4 vault error.\n");
}

static bool
vault_has(void *ctx, const char *name)
{
	return dd_vault_has(ctx, name);
}

/*
 * Checks the credentials against the vault when a passphrase file is
 * configured (*checked tells whether it was). Returns DD_EXIT_OK, or
 * DD_EXIT_VAULT when the vault would not open (cli_vault_open printed why).
 */
static int
check_credentials(
    const struct cli *cli, const struct dd_config *cfg, struct dd_diags *diags, bool *checked)
{
	struct dd_vault *vault = NULL;
	const char *vault_path = NULL;

	*checked = false;
	if (dd_config_cluster_count(cfg) == 0 || !cli_vault_passphrase_configured(cli))
		return DD_EXIT_OK;
	/* Only a vault set in the file: else cli_vault_path's own order applies. */
	if (dd_config_console_has(cfg, "vault"))
		vault_path = dd_config_console(cfg)->vault;
	int rc = cli_vault_open(cli, vault_path, false, &vault);
	if (rc != DD_EXIT_OK)
		return rc;
	dd_config_check_credentials(cfg, vault_has, vault, diags);
	dd_vault_close(vault);
	*checked = true;
	return DD_EXIT_OK;
}

/* Warns when theme `name` (of `where`) is not found or does not load. */
static void
check_theme(const struct dd_theme_path *tp, const char *name, const char *where, const char *file,
    struct dd_diags *diags)
{
	char path[PATH_MAX], err[256], msgs[512];
	struct dd_theme t;

	/* the built-in ones the console falls back to anyway */
	if (!name || strcmp(name, "default") == 0 || strcmp(name, "mono") == 0)
		return;
	if (dd_theme_find(name, tp->dirs, path, sizeof(path), err, sizeof(err)) != 0) {
		dd_diags_add(diags, DD_DIAG_WARNING, file, 0,
		    "%s theme: %s; the console would use the default theme", where, err);
	} else if (dd_theme_load(path, &t, msgs, sizeof(msgs)) != 0) {
		msgs[strcspn(msgs, "\n")] = '\0';
		dd_diags_add(diags, DD_DIAG_WARNING, file, 0,
		    "%s theme: %s; the console would use the default theme", where, msgs);
	}
}

/* The themes the config names, looked up as the console does (theme.h). */
static void
check_themes(const struct dd_config *cfg, struct dd_diags *diags)
{
	struct dd_theme_path tp;
	char exe[PATH_MAX], where[96];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	dd_theme_path_init(&tp, exe);
	check_theme(&tp, dd_config_console(cfg)->theme, "[console]", dd_config_path(cfg), diags);
	for (size_t i = 0; i < dd_config_cluster_count(cfg); i++) {
		const struct dd_cluster_config *c = dd_config_cluster(cfg, i);
		snprintf(where, sizeof(where), "[cluster %s]", c->name);
		check_theme(&tp, c->theme, where, dd_config_path(cfg), diags);
	}
}

/*
 * A PostgreSQL cluster that does not say what manages it (manager = auto)
 * while a Patroni agent answers beside one of its nodes: a warning (its
 * switchover refuses until the file says manager = patroni or none).
 */
static void
check_managers(const struct dd_config *cfg, struct dd_diags *diags)
{
	char where[300];

	for (size_t i = 0; i < dd_config_cluster_count(cfg); i++) {
		const struct dd_cluster_config *c = dd_config_cluster(cfg, i);
		if (dd_patroni_detect(c, 1000, where, sizeof(where)))
			dd_diags_add(diags, DD_DIAG_WARNING, dd_config_path(cfg), c->line,
			    "cluster %s: a Patroni agent answers at %s: say manager = patroni "
			    "(dbdeck "
			    "then acts through Patroni) or manager = none; until then dbdeck's own "
			    "switchover and failover refuse it (docs/patroni.md)",
			    c->name, where);
	}
}

static void
print_summary(const struct cli *cli, const struct dd_config *cfg, size_t warnings)
{
	size_t nc = dd_config_cluster_count(cfg), nn = dd_config_node_count(cfg);

	printf("%s: ok %s ", dd_config_path(cfg), cli->ascii ? "--" : "\u2014");
	if (nc == 0)
		printf("no clusters");
	else
		printf("%zu cluster%s (", nc, nc == 1 ? "" : "s");
	for (size_t i = 0; i < nc; i++) {
		const struct dd_cluster_config *c = dd_config_cluster(cfg, i);
		printf("%s%s: %s, %zu node%s", i ? "; " : "", c->name, dd_engine_name(c->engine),
		    c->n_nodes, c->n_nodes == 1 ? "" : "s");
	}
	if (nc > 0)
		printf("), %zu node%s", nn, nn == 1 ? "" : "s");
	if (warnings > 0)
		printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
	printf("\n");
}

enum { OPT_PROBE = 0x200 };

static int
probe_opt(void *ctx, int val, const char *arg)
{
	(void)arg;
	if (val == OPT_PROBE)
		*(bool *)ctx = true;
	return DD_EXIT_OK;
}

int
cmd_check_config(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"probe", no_argument, NULL, OPT_PROBE},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "check-config",
	    .usage = usage,
	    .opts = opts,
	    .opt = probe_opt,
	    .args = "no argument (-c FILE names the file)"};
	bool probe = false;
	struct dd_config *cfg = NULL;
	struct dd_diags *diags = NULL;
	char err[256], *path = NULL, **pos;
	int npos, rc = DD_EXIT_CONFIG;

	if ((rc = cli_parse(cli, argc, argv, &syn, &probe, &pos, &npos)) != CLI_GO_ON)
		return rc;
	if (!(path = dd_config_default_path(cli->config_path, err, sizeof(err)))) {
		cli_error("%s", err);
		return DD_EXIT_CONFIG;
	}
	diags = dd_diags_new();
	int loaded = dd_config_load(path, &cfg, diags);
	if (cfg && loaded == 0)
		check_themes(cfg, diags);
	bool checked = false;
	int vault_rc = cfg ? check_credentials(cli, cfg, diags, &checked) : DD_EXIT_OK;
	if (cfg && loaded == 0 && probe)
		check_managers(cfg, diags);
	fflush(stdout);
	dd_diags_print(diags, stderr);
	if (dd_diags_errors(diags) > 0 || loaded != 0)
		rc = DD_EXIT_CONFIG;
	else if (vault_rc != DD_EXIT_OK)
		rc = vault_rc;
	else
		rc = DD_EXIT_OK;
	if (rc == DD_EXIT_OK) {
		print_summary(cli, cfg, dd_diags_warnings(diags));
		if (dd_config_cluster_count(cfg) > 0)
			printf(checked ? "credentials: every cluster's credential is in the vault\n"
			               : "credentials not checked (no passphrase file given)\n");
	}
	dd_config_free(cfg);
	dd_diags_free(diags);
	free(path);
	return rc;
}
