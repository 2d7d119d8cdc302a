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

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	enum { OPT_DEEP = 0x200 };
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS,
	    {"deep", no_argument, NULL, OPT_DEEP},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool deep = false;
	int opt;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == OPT_DEEP) {
			deep = true;
			continue;
		}
		usage(opt == 'h' ? stdout : stderr);
		return opt == 'h' ? DD_EXIT_OK : DD_EXIT_USAGE;
	}
	if (argc - optind < 1 || argc - optind > 2) {
		cli_error("verify takes CLUSTER and at most one BACKUP (see dbdeck verify --help)");
		return DD_EXIT_USAGE;
	}
	return run(cli, argv[optind], argc - optind == 2 ? argv[optind + 1] : "latest", deep);
}
