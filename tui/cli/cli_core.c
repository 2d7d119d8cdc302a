/*
 * cli_core.c: config → vault → dd_core for the commands that talk to the
 * databases (see cli_core.h). The vault stays open for as long as the core
 * lives: the pools read the password from its secure memory at every
 * connect, and it is wiped when cli_core_close closes the vault.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_core.h"
#include "cli_vault.h"
#include "dbdeck/util.h"
#include "dbdeck/failover.h"
#include "dbdeck/vault.h"
#include "sigflags.h"

int
cli_config_load(const struct cli *cli, struct dd_config **out)
{
	struct dd_diags *diags = dd_diags_new();
	char err[256], *path;
	int rc;

	*out = NULL;
	path = dd_config_default_path(cli->config_path, err, sizeof(err));
	if (path == NULL) {
		cli_error("%s", err);
		dd_diags_free(diags);
		return DD_EXIT_CONFIG;
	}
	rc = dd_config_load(path, out, diags);
	dd_diags_print(diags, stderr);
	if (rc != 0 || dd_diags_errors(diags) > 0) {
		dd_config_free(*out);
		*out = NULL;
		rc = DD_EXIT_CONFIG;
	} else {
		rc = DD_EXIT_OK;
	}
	dd_diags_free(diags);
	free(path);
	return rc;
}

static bool
vault_has(void *ctx, const char *name)
{
	return dd_vault_has(ctx, name);
}

int
cli_vault_credential(void *ctx, const char *name, const char **user, const char **password)
{
	const struct dd_credential *c = dd_vault_get(ctx, name);

	if (c == NULL)
		return -1;
	*user = c->user;
	*password = c->password;
	return 0;
}

int
cli_core_open(const struct cli *cli, struct dd_config *cfg, const struct dd_core_options *opts,
    bool interactive, struct cli_core *out)
{
	struct dd_diags *diags;
	const char *vault_path = NULL;
	char err[512];
	sigset_t mask;
	int rc;

	memset(out, 0, sizeof(*out));
	out->cfg = cfg;
	if (dd_config_console_has(cfg, "vault"))
		vault_path = dd_config_console(cfg)->vault;
	rc = cli_vault_open(cli, vault_path, interactive, &out->vault);
	if (rc != DD_EXIT_OK)
		goto fail;
	diags = dd_diags_new();
	if (dd_config_check_credentials(cfg, vault_has, out->vault, diags) > 0) {
		dd_diags_print(diags, stderr);
		dd_diags_free(diags);
		rc = DD_EXIT_CONFIG;
		goto fail;
	}
	dd_diags_free(diags);
	/* The core's threads never take the console's signals (sigflags.h). */
	sigflags_block(&mask);
	out->core = dd_core_new_with(cfg, cli_vault_credential, out->vault, opts, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (out->core == NULL) {
		cli_error("%s", err);
		rc = DD_EXIT_FAILED;
		goto fail;
	}
	/* which primary dbdeck promoted last, for a SPLIT-BRAIN report (MariaDB) */
	dd_fo_note_promotions(out->core, dd_config_console(cfg)->audit_log);
	return DD_EXIT_OK;
fail:
	cli_core_close(out, 0);
	return rc;
}

void
cli_core_close(struct cli_core *cc, int drain_ms)
{
	if (cc->core) {
		dd_core_shutdown(cc->core, dd_now_mono_ns() + (int64_t)drain_ms * 1000000);
		dd_core_free(cc->core);
	}
	dd_vault_close(cc->vault);
	dd_config_free(cc->cfg);
	memset(cc, 0, sizeof(*cc));
}

int
cli_exit_of_outcome(enum dd_job_outcome o)
{
	switch (o) {
	case DD_JOB_DONE: return DD_EXIT_OK;
	case DD_JOB_REFUSED: return DD_EXIT_REFUSED;
	case DD_JOB_INCOMPLETE: return DD_EXIT_INCOMPLETE;
	default: return DD_EXIT_FAILED;
	}
}

bool
cli_confirm_typed(const char *what, const char *cluster)
{
	char line[256];
	FILE *tty = fopen("/dev/tty", "r+");
	bool ok = false;

	if (tty == NULL) {
		cli_error("no terminal to confirm on: add --yes");
		return false;
	}
	fprintf(tty, "%s%sType the cluster name (%s) to proceed: ", what ? what : "",
	    what ? ". " : "", cluster);
	fflush(tty);
	if (fgets(line, sizeof(line), tty)) {
		line[strcspn(line, "\r\n")] = '\0';
		ok = strcmp(line, cluster) == 0;
	}
	fclose(tty);
	if (!ok)
		cli_error("not confirmed; nothing was changed");
	return ok;
}
