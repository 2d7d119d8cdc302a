/*
 * main.c: entry point of the dbdeck binary. Hardens the process (no core
 * dumps; when that fails it says so, and the vault stays locked unless
 * --allow-core-dumps: cli_vault_guard), parses the options common to every
 * command, and dispatches through one table of commands (DESIGN.md §5). A command whose `run` is
 * NULL is listed in --help as "not yet" and refuses to run with a clear message.
 */
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dbdeck/process.h"

#define CLI_HELP_INDENT "                                                     " /* 2 + 50 + 1 */

struct command {
	const char *name;
	const char *usage;
	const char *summary;
	int (*run)(struct cli *cli, int argc, char **argv);
};

static const struct command commands[] = {
    {"status", "status [CLUSTER] [--json]", "one snapshot of every cluster, then exit", cmd_status},
    {"check-config", "check-config [--probe]", "validate the configuration file", cmd_check_config},
    {"vault", "vault init|set|get|list|rm|passwd", "manage the encrypted credentials vault",
        cmd_vault},
    {"audit", "audit [--json] [--since DURATION] | audit verify",
        "print the log of operator actions, or check it", cmd_audit},
    {"backup", "backup CLUSTER [--node NODE] [--verify] [--json]", "take a logical backup",
        cmd_backup},
    {"backups", "backups CLUSTER [--json]", "list a cluster's backups", cmd_backups},
    {"verify", "verify CLUSTER [BACKUP] [--deep]", "re-hash a backup; --deep: restore a copy",
        cmd_verify},
    {"restore", "restore CLUSTER BACKUP --into DATABASE [--replace] [--yes]",
        "restore a backup into a database", cmd_restore},
    {"prune", "prune CLUSTER [--dry-run]", "apply the retention to a cluster's backups", cmd_prune},
    {"switchover",
        "switchover CLUSTER --to NODE [--at TIME] [--dry-run] [--yes] [--force] [--json]",
        "planned change of primary", cmd_switchover},
    {"failover", "failover CLUSTER [--to NODE] [--dry-run] [--yes] [--no-fence] [--force] [--json]",
        "promote a replica when the primary is gone", cmd_failover},
    {"patroni",
        "patroni CLUSTER show|pause|resume|restart NODE|reinit NODE|cancel-switchover [--yes]",
        "Patroni's view of a cluster, and actions asked of Patroni", cmd_patroni},
    {"schema", "schema CLUSTER [--json]", "index health, sizes, sequences, migration version",
        cmd_schema},
    {"serve", "serve [--listen ADDR:PORT]",
        "headless HTTP: /metrics, /health, /status, load-balancer checks", cmd_serve},
};

void
cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("dbdeck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck [OPTIONS] [COMMAND [ARGS]]\n"
	             "\n"
	             "A terminal operations console for PostgreSQL and MariaDB/MySQL clusters.\n"
	             "Without a command, opens the full-screen console.\n"
	             "\n"
	             "Commands:\n");
	/* A usage longer than its column puts the summary on the next line. */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-50s%s%s%s\n", commands[i].usage,
		    strlen(commands[i].usage) < 50 ? " " : "\n" CLI_HELP_INDENT,
		    commands[i].summary, commands[i].run ? "" : " (not yet)");
	fprintf(out, "\n"
	             "Options (before or after the command):\n"
	             "  -c, --config FILE        configuration file (default: $DBDECK_CONFIG,\n"
	             "                           else ~/.config/dbdeck/dbdeck.ini)\n"
	             "      --vault PATH         vault file (default: the config's vault, else\n"
	             "                           $DBDECK_VAULT, else ~/.config/dbdeck/vault)\n"
	             "      --passphrase-file F  read the vault passphrase from F (also\n"
	             "                           $DBDECK_PASSPHRASE_FILE); never from argv\n"
	             "      --read-only          no action can be started from the console\n"
	             "      --ascii              no UTF-8 bars or sparklines\n"
	             "      --no-color           monochrome (also NO_COLOR)\n"
	             "      --allow-core-dumps   unlock the vault even when core dumps could not\n"
	             "                           be turned off (a crash may then write secrets\n"
	             "                           to disk); without it, exit 5\n"
	             "  -h, --help               this help\n"
	             "  -V, --version            print the version\n"
	             "\n"
	             "Exit codes: 0 ok, 1 failed, 2 usage, 3 config error, 4 vault error,\n"
	             "5 refused by a safety check, 6 incomplete (an action stopped half way;\n"
	             "its output says what a person must still do).\n");
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static char harden_err[160];
	struct cli cli = {0};
	int opt;

	if (dd_process_harden(harden_err, sizeof(harden_err)) != 0) {
		cli.harden_error = harden_err;
		cli_error(
		    "warning: process hardening failed: %s; core dumps are possible", harden_err);
	}
	/*
	 * A closed pipe or socket is an error to report (EPIPE), not a silent
	 * death: `dbdeck status | head` then says so and exits 1.
	 */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Blocks of 128 KiB and more are mapped on their own and unmapped when
	 * freed. By default glibc raises that threshold each time such a block
	 * is freed and from then on keeps them in the threads' arenas: every
	 * reconnect of a MariaDB node leaves its 256 KiB coroutine stack there,
	 * and a `serve` of 200 nodes under a reconnect storm grew from 64 to
	 * 85 MB in six minutes, where with this it stays at 74 (docs/performance.md).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* '+': stop at the first non-option, the command name. */
	while (
	    (opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS "hV", longopts, NULL)) != -1) {
		if (cli_common_opt(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h': usage(stdout); return DD_EXIT_OK;
		case 'V': printf("dbdeck %s\n", dd_version()); return DD_EXIT_OK;
		default: usage(stderr); return DD_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_console(&cli, 1, argv);

	const struct command *cmd = find_command(argv[optind]);
	if (!cmd) {
		cli_error("unknown command '%s' (see dbdeck --help)", argv[optind]);
		return DD_EXIT_USAGE;
	}
	if (!cmd->run) {
		cli_error("'%s' is not built yet", cmd->name);
		return DD_EXIT_FAILED;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	optind = 0; /* full reset of getopt for the command's own options */
	return cmd->run(&cli, cargc, cargv);
}
