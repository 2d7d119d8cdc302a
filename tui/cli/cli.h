/*
 * cli.h: the command line front end. main.c parses the global options and
 * dispatches to one cmd_* function per command of DESIGN.md §5; each command
 * lives in its own cmd_*.c and calls the same core functions the console's keys
 * use. Exit codes are stable and documented in README.md
 * (the exit codes table) and docs/dbdeck.1 (EXIT STATUS).
 */
#ifndef DD_CLI_H
#define DD_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

enum dd_exit {
	DD_EXIT_OK = 0,
	DD_EXIT_FAILED = 1,
	DD_EXIT_USAGE = 2,
	DD_EXIT_CONFIG = 3,
	DD_EXIT_VAULT = 4,
	DD_EXIT_REFUSED = 5,
	DD_EXIT_INCOMPLETE = 6, /* an action stopped half way; its output says what is left */
};

/* Options common to every command; each may be given before or after it. */
struct cli {
	const char *config_path;     /* -c FILE, or NULL for the default search */
	const char *vault_path;      /* --vault PATH, or NULL */
	const char *passphrase_file; /* --passphrase-file F, or NULL */
	bool read_only;              /* --read-only */
	bool ascii;                  /* --ascii */
	bool no_color;               /* --no-color */
	bool allow_core_dumps;       /* --allow-core-dumps: unlock even if hardening failed */
	const char *harden_error;    /* why dd_process_harden failed, or NULL */
};

/* getopt_long values of the common options (above the ASCII range). */
enum {
	CLI_OPT_VAULT = 0x100,
	CLI_OPT_PASSPHRASE_FILE,
	CLI_OPT_READ_ONLY,
	CLI_OPT_ASCII,
	CLI_OPT_NO_COLOR,
	CLI_OPT_ALLOW_CORE_DUMPS,
};

/* Spliced into each command's struct option array, before its own entries. */
#define CLI_COMMON_LONGOPTS                                                                        \
	{"config", required_argument, NULL, 'c'},                                                  \
	    {"vault", required_argument, NULL, CLI_OPT_VAULT},                                     \
	    {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},                 \
	    {"read-only", no_argument, NULL, CLI_OPT_READ_ONLY},                                   \
	    {"ascii", no_argument, NULL, CLI_OPT_ASCII},                                           \
	    {"no-color", no_argument, NULL, CLI_OPT_NO_COLOR},                                     \
	{                                                                                          \
		"allow-core-dumps", no_argument, NULL, CLI_OPT_ALLOW_CORE_DUMPS                    \
	}

/* Short options matching CLI_COMMON_LONGOPTS ("c:"), to prefix a command's own. */
#define CLI_COMMON_SHORTOPTS "c:"

/*
 * Applies a common option returned by getopt_long. Returns true when `opt` was
 * one of them (and stored), false when the command must handle it itself.
 */
bool cli_common_opt(struct cli *cli, int opt, const char *arg);

/* cli_parse's "parsed: go on with the command" (every exit code is >= 0). */
#define CLI_GO_ON (-1)

/*
 * One command's argument syntax, for cli_parse. A command writes it once as
 * a static const; its own options are getopt_long rows (flag NULL, val above
 * 0x200 or a letter, long names only), without the common ones and --help.
 */
struct cli_syntax {
	const char *name;          /* "backups", for the messages */
	void (*usage)(FILE *out);  /* the command's --help text */
	const struct option *opts; /* its own options, ended by a {0} row; NULL: none */
	/* Stores one of opts into ctx: DD_EXIT_OK, or an exit code (having said why). */
	int (*opt)(void *ctx, int val, const char *arg);
	int min_args, max_args; /* positional arguments allowed; max_args -1: any */
	const char *args;       /* what they are, for the message: "one CLUSTER" */
};

/*
 * Parses a command's argv (argv[0] is its name) with getopt_long: common
 * options into cli (before or after the command), -h/--help (usage on stdout,
 * returns DD_EXIT_OK), the command's own options through syn->opt(ctx, val,
 * optarg), an unknown option (getopt said which; usage on stderr,
 * DD_EXIT_USAGE); then checks the number of positional arguments ("dbdeck:
 * NAME takes ARGS (see dbdeck NAME --help)", DD_EXIT_USAGE). Returns
 * CLI_GO_ON with *pos (pointing into argv, borrowed) and *npos set, or the
 * exit code the command returns.
 */
int cli_parse(struct cli *cli, int argc, char **argv, const struct cli_syntax *syn, void *ctx,
    char ***pos, int *npos);
/*
 * Converting a command's own getopt loop to cli_parse:
 *   - its longopts rows other than CLI_COMMON_LONGOPTS and "help" become a
 *     static const struct option opts[] ending with {NULL, 0, NULL, 0};
 *   - the body of its loop that handles them (after cli_common_opt) becomes
 *     the syn.opt callback, storing into a struct of the command's options
 *     passed as ctx (a value check that fails: cli_error, DD_EXIT_USAGE);
 *   - its check of argc - optind becomes min_args / max_args / args, and
 *     argv[optind + k] becomes pos[k];
 *   - `if ((rc = cli_parse(...)) != CLI_GO_ON) return rc;` replaces the loop
 *     (-h is then DD_EXIT_OK, an unknown option DD_EXIT_USAGE with the usage).
 * cmd_backups.c is the smallest example, cmd_audit.c one with a value check.
 */

/* Prints "dbdeck: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands. argv[0] is the command name; getopt state is reset by the caller. */
int cmd_console(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_vault(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_backups(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_prune(struct cli *cli, int argc, char **argv);
int cmd_switchover(struct cli *cli, int argc, char **argv);
int cmd_failover(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_patroni(struct cli *cli, int argc, char **argv);
int cmd_schema(struct cli *cli, int argc, char **argv);

#endif
