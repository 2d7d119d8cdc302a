/*
 * cmd_verify.c: `dbdeck verify CLUSTER [BACKUP] [--deep]` (BACKUP: an id, a
 * directory name or `latest`, the default). Re-reads the backup and checks
 * it against its manifest; --deep also restores it into a scratch database
 * on the cluster's verify_target, compares row counts and drops the scratch
 * database (a verify job of core, cli_bk_job). The result is recorded beside the backup and
 * shown by `dbdeck backups`. Exit 0 verified, 1 failed (the message names the
 * file), 2 usage or unknown backup, 3 config, 4 vault, 5 refused (--deep
 * without verify_target).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_backup.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck verify CLUSTER [BACKUP] [--deep]\n"
	    "Re-reads a backup (an id, or latest: the default) and checks its size and SHA-256\n"
	    "against its manifest.\n"
	    "  --deep   also restore it into a scratch database on the cluster's verify_target,\n"
	    "           compare each table's row count with the manifest, drop the scratch copy\n"
	    "Exit codes: 0 verified, 1 failed, 2 usage, 3 configuration error, 4 vault error,\n"
	    "5 refused (--deep without verify_target).\n");
}

static int
run(const struct cli *cli, const char *cluster, const char *which, bool deep)
{
	struct cli_bk b;
	char err[1024], id[16];
	int rc;

	rc = cli_bk_open(cli, cluster, (deep ? CLI_BK_VAULT : 0) | CLI_BK_AUDIT,
	    deep ? "a deep verify" : NULL, &b);
	if (rc == DD_EXIT_OK)
		rc = cli_bk_find(&b, which, id);
	if (rc == DD_EXIT_OK) {
		cli_bk_signals(&b);
		struct dd_backup_job a = {.action = DD_BACKUP_ACT_VERIFY, .deep = deep};
		snprintf(a.which, sizeof(a.which), "%s", id);
		b.what = "verifying";
		rc = cli_bk_job(&b, &a, err, sizeof(err));
		cli_bk_clear_bar(&b);
		if (rc == DD_BACKUP_OK)
			printf("backup %s of cluster %s: verified%s\n", id, cluster,
			    deep ? " (restored into a scratch database; row counts match)"
			         : " (size and SHA-256 match the manifest)");
		else
			cli_error(
			    "verify %s: %s", rc == DD_BACKUP_REFUSED ? "refused" : "failed", err);
		rc = cli_bk_exit(rc);
	}
	cli_bk_close(&b);
	return rc;
}

enum { OPT_DEEP = 0x200 };

static int
verify_opt(void *ctx, int val, const char *arg)
{
	(void)arg;
	*(bool *)ctx |= val == OPT_DEEP;
	return DD_EXIT_OK;
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"deep", no_argument, NULL, OPT_DEEP},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "verify",
	    .usage = usage,
	    .opts = opts,
	    .opt = verify_opt,
	    .min_args = 1,
	    .max_args = 2,
	    .args = "CLUSTER and at most one BACKUP"};
	bool deep = false;
	char **pos;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, &deep, &pos, &npos)) != CLI_GO_ON)
		return rc;
	return run(cli, pos[0], npos == 2 ? pos[1] : "latest", deep);
}
