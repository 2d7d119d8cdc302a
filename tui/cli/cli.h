/*
 * cli.h: the command line front end. main.c parses the global options and
 * dispatches to one cmd_* function per command of DESIGN.md §5; each command
 * lives in its own cmd_*.c and calls the same core functions the console's keys
 * use. Exit codes are stable and documented in docs/cli.md.
 */
#ifndef DD_CLI_H
#define DD_CLI_H

#include <getopt.h>
#include <stdbool.h>

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
int cmd_schema(struct cli *cli, int argc, char **argv);

#endif
