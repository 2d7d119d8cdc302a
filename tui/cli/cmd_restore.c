/*
 * cmd_restore.c: `dbdeck restore CLUSTER BACKUP --into DATABASE [--replace]
 * [--yes]`. Restores a backup (an id or `latest`) into a new database on
 * the cluster's primary (found by one monitor round), after checking the
 * backup's checksum and key, under the cluster lock (a restore job of core,
 * cli_bk_job). Without --yes it asks on
 * the terminal, naming the cluster, the backup's time and the target; with
 * --replace over an existing database the target's name must be typed.
 * Exit 0 restored, 1 failed, 2 usage (an invalid --into, an unknown backup),
 * 3 config, 4 vault, 5 refused (a damaged backup, a wrong key, an existing
 * database without --replace, not confirmed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_backup.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck restore CLUSTER BACKUP --into DATABASE [--replace] [--yes]\n"
	    "Restores a backup (an id, or latest) into a new database on the primary. The\n"
	    "backup's checksum (and key, when encrypted) is checked before anything is done.\n"
	    "  --into DATABASE  the target: 1-63 letters, digits or _, not starting with a digit\n"
	    "  --replace        drop an existing DATABASE first and restore over it\n"
	    "  --yes            do not ask for confirmation\n"
	    "Exit codes: 0 restored, 1 failed, 2 usage, 3 configuration error, 4 vault error,\n"
	    "5 refused by a safety check.\n");
}

struct opts {
	const char *cluster, *which, *into;
	bool replace, yes;
};

static int
parse(struct cli *cli, int argc, char **argv, struct opts *o)
{
	enum { OPT_INTO = 0x200, OPT_REPLACE, OPT_YES };
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS,
	    {"into", required_argument, NULL, OPT_INTO},
	    {"replace", no_argument, NULL, OPT_REPLACE},
	    {"yes", no_argument, NULL, OPT_YES},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == OPT_INTO || opt == OPT_REPLACE || opt == OPT_YES) {
			o->into = opt == OPT_INTO ? optarg : o->into;
			o->replace |= opt == OPT_REPLACE;
			o->yes |= opt == OPT_YES;
			continue;
		}
		usage(opt == 'h' ? stdout : stderr);
		return opt == 'h' ? -1 : DD_EXIT_USAGE;
	}
	if (argc - optind != 2 || !o->into) {
		cli_error(
		    "restore takes CLUSTER BACKUP --into DATABASE (see dbdeck restore --help)");
		return DD_EXIT_USAGE;
	}
	o->cluster = argv[optind];
	o->which = argv[optind + 1];
	if (!dd_backup_db_name_valid(o->into)) {
		cli_error(
		    "--into '%.64s' is not a valid database name (1-63 letters, digits or _, not "
		    "starting with a digit)",
		    o->into);
		return DD_EXIT_USAGE;
	}
	return DD_EXIT_OK;
}

/* One line from /dev/tty (no echo change: nothing secret). */
static bool
ask(const char *prompt, char *buf, size_t len)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	size_t n = 0;
	char c;

	if (fd < 0)
		return false;
	if (write(fd, prompt, strlen(prompt)) < 0) {
		close(fd);
		return false;
	}
	while (n + 1 < len && read(fd, &c, 1) == 1 && c != '\n')
		buf[n++] = c;
	buf[n] = '\0';
	close(fd);
	return true;
}

struct confirm {
	const struct cli_bk *b;
	bool yes;
};

static bool
confirm(void *ctx, const struct dd_backup_entry *e, const char *into, bool exists)
{
	const struct confirm *c = ctx;
	char prompt[768], at[32], answer[128];

	if (c->yes)
		return true;
	snprintf(prompt, sizeof(prompt),
	    "Restore cluster %s's backup %s (taken %s UTC on %s) into database %s%s?\n%s",
	    c->b->cluster->name, e->id, cli_bk_time(e->started_wall_ms, at, sizeof(at)), e->node,
	    into, exists ? ", DROPPING the existing database of that name" : "",
	    exists ? "Type the database name to confirm: " : "Type yes to confirm: ");
	if (!ask(prompt, answer, sizeof(answer))) {
		cli_error("no terminal to confirm on: give --yes");
		return false;
	}
	return strcmp(answer, exists ? into : "yes") == 0;
}

static int
run(struct cli_bk *b, const struct opts *o)
{
	struct confirm c = {.b = b, .yes = o->yes};
	struct dd_restore_opts ro = {.which = o->which,
	    .into = o->into,
	    .replace = o->replace,
	    .confirm = confirm,
	    .confirm_ctx = &c};
	char why[1024], err[1024], id[16];
	int rc;

	if ((rc = cli_bk_find(b, o->which, id)) != DD_EXIT_OK)
		return rc;
	ro.which = id; /* "latest" now means this one, whatever is taken meanwhile */
	if (!(ro.primary = dd_backup_find_primary(&b->ctx, why, sizeof(why)))) {
		cli_error("restore failed: %s", why);
		return DD_EXIT_FAILED;
	}
	struct dd_backup_job a = {.action = DD_BACKUP_ACT_RESTORE,
	    .node = ro.primary,
	    .replace = ro.replace,
	    .confirm = ro.confirm,
	    .confirm_ctx = ro.confirm_ctx};
	snprintf(a.which, sizeof(a.which), "%s", id);
	snprintf(a.into, sizeof(a.into), "%s", o->into);
	b->what = "restoring";
	rc = cli_bk_job(b, &a, err, sizeof(err));
	cli_bk_clear_bar(b);
	if (rc == DD_BACKUP_OK)
		printf("restored backup %s of cluster %s into database %s on %s\n", id,
		    b->cluster->name, o->into, ro.primary->name);
	else
		cli_error("restore %s: %s", rc == DD_BACKUP_REFUSED ? "refused" : "failed", err);
	return cli_bk_exit(rc);
}

int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	struct cli_bk b;
	int rc = parse(cli, argc, argv, &o);

	if (rc != DD_EXIT_OK)
		return rc < 0 ? DD_EXIT_OK : rc;
	rc = cli_bk_open(cli, o.cluster, CLI_BK_VAULT | CLI_BK_AUDIT, "restore", &b);
	if (rc == DD_EXIT_OK) {
		cli_bk_signals(&b);
		rc = run(&b, &o);
	}
	cli_bk_close(&b);
	return rc;
}
