/*
 * cmd_prune.c: `dbdeck prune CLUSTER [--dry-run]`: applies the cluster's
 * grandfather-father-son retention (a prune job of core, cli_bk_job) and prints, for every
 * backup, whether it is kept and by which rule, or removed. `backup` runs
 * the same after each successful backup. Exit 0, 1 failed, 2 usage or
 * unknown cluster, 3 config, 5 refused (a read-only console).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_backup.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck prune CLUSTER [--dry-run]\n"
	             "Applies the cluster's retention (daily:N weekly:N monthly:N): removes the\n"
	             "backups no rule keeps, never the newest verified one or one being written,\n"
	             "and prints what it keeps and why.\n"
	             "  --dry-run   print what would happen, remove nothing\n"
	             "Exit codes: 0 ok, 1 failed, 2 usage, 3 configuration error, 5 refused.\n");
}

struct report {
	bool dry_run;
	int kept, removed;
};

static void
report(void *ctx, const struct dd_backup_entry *e, bool deleted)
{
	struct report *r = ctx;
	char keep[160], at[32];

	cli_bk_time(e->started_wall_ms, at, sizeof(at));
	if (deleted) {
		r->removed++;
		printf("%-8s  %s  %s\n", e->id, at,
		    r->dry_run ? "would be removed (kept by no rule)"
		               : "removed (kept by no rule)");
		return;
	}
	r->kept++;
	dd_backup_keep_text(e, keep, sizeof(keep));
	if (e->state == DD_BACKUP_DAMAGED)
		printf("%-8s  %s  kept: damaged, left for a person to look at\n", e->id, at);
	else
		printf("%-8s  %s  kept: %s\n", e->id, at, keep[0] ? keep : e->why);
}

int
cmd_prune(struct cli *cli, int argc, char **argv)
{
	enum { OPT_DRY = 0x200 };
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS,
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report r = {0};
	struct cli_bk b;
	char err[1024];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == OPT_DRY) {
			r.dry_run = true;
			continue;
		}
		usage(opt == 'h' ? stdout : stderr);
		return opt == 'h' ? DD_EXIT_OK : DD_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cli_error("prune takes one CLUSTER (see dbdeck prune --help)");
		return DD_EXIT_USAGE;
	}
	rc = cli_bk_open(cli, argv[optind], CLI_BK_AUDIT, r.dry_run ? NULL : "prune", &b);
	if (rc == DD_EXIT_OK) {
		const struct dd_retention *ret = &b.cluster->retention;
		printf("retention of cluster %s: daily:%d weekly:%d monthly:%d%s\n",
		    b.cluster->name, ret->daily, ret->weekly, ret->monthly,
		    r.dry_run ? " (dry run)" : "");
		struct dd_backup_job a = {.action = DD_BACKUP_ACT_PRUNE,
		    .dry_run = r.dry_run,
		    .report = report,
		    .rctx = &r};
		rc = cli_bk_job(&b, &a, err, sizeof(err));
		if (rc != DD_BACKUP_OK)
			cli_error("prune failed: %s", err);
		else
			printf("%d kept, %d %s\n", r.kept, r.removed,
			    r.dry_run ? "to remove" : "removed");
		rc = cli_bk_exit(rc);
	}
	cli_bk_close(&b);
	return rc;
}
