/*
 * cli_backup.h: what the backup commands (backup, backups, verify, restore,
 * prune; one cmd_*.c each) share: loading the config and the cluster,
 * opening the vault for the credential and the backup key, the audit log,
 * one monitor round to choose the source node, signals that cancel cleanly, the
 * progress bar on a terminal, and the mapping of results to exit codes.
 * Every backup operation itself runs as a core job (dd_backup_submit), the
 * same path as the console's.
 */
#ifndef DD_CLI_BACKUP_H
#define DD_CLI_BACKUP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cli.h"
#include "dbdeck/backup.h"
#include "dbdeck/config.h"

struct dd_vault;
struct dd_jobs;

/* What a command needs opened (flags of cli_bk_open). */
#define CLI_BK_VAULT 0x1u /* the credential (and the backup key when the cluster has one) */
#define CLI_BK_AUDIT 0x2u /* the audit log: an action */

struct cli_bk {
	const struct cli *cli;
	struct dd_config *cfg;
	const struct dd_cluster_config *cluster;
	struct dd_vault *vault;
	struct dd_audit *audit;
	struct dd_backup_ctx ctx;
	atomic_int cancel;
	bool tty;               /* stderr is a terminal: progress bar */
	bool bar_shown;         /* a progress line is on the screen */
	const char *what;       /* the progress bar's label */
	struct dd_jobs *runner; /* the job runner every operation runs on (made on first use) */
};

/*
 * Loads the config, finds `cluster`, and opens what `needs` says. Prints the
 * reason and returns the exit code (2 unknown cluster, 3 config, 4 vault, 1
 * audit log) on failure; DD_EXIT_OK with *b ready (cli_bk_close it).
 * `action` (not NULL) makes a read-only console refuse (exit 5).
 */
int cli_bk_open(const struct cli *cli, const char *cluster, unsigned needs, const char *action,
    struct cli_bk *b);
void cli_bk_close(struct cli_bk *b);

/* SIGINT, SIGTERM and SIGHUP raise b->cancel (the signal number); SIGPIPE and SIGXFSZ ignored. */
void cli_bk_signals(struct cli_bk *b);

/*
 * One monitor round of the cluster (a core built for it and freed again):
 * the node to back up from (dd_backup_choose_source). Returns the node, or
 * NULL with the reason printed. why gets the reason of the choice.
 */
const struct dd_node_config *cli_bk_pick_node(struct cli_bk *b, char *why, size_t whylen);

/*
 * Runs a backup operation as a core job (dd_backup_submit), the console's
 * path: a->ctx becomes b->ctx (credential, key, audit, the progress bar and
 * stderr hooks, the signal flag), the command waits for the job and returns
 * its dd_backup_rc; err gets the job's outcome text (the operation's reason
 * of a failure or refusal).
 */
int cli_bk_job(struct cli_bk *b, struct dd_backup_job *a, char *err, size_t errlen);

/*
 * The one lookup of a backup of b's cluster by `which` (an id, a directory
 * name or latest) before an action is audited: its id into id, so that
 * "latest" keeps meaning this one whatever is taken meanwhile. Prints the
 * reason and returns 2 (no such backup) or 1 (the catalog cannot be read);
 * DD_EXIT_OK with id.
 */
int cli_bk_find(const struct cli_bk *b, const char *which, char id[16]);

/* The exit code of a dd_backup_rc. */
int cli_bk_exit(int rc);

/* Clears the progress line when one is shown. */
void cli_bk_clear_bar(struct cli_bk *b);

/* "2026-05-23 13:45:00" (UTC) into buf. */
const char *cli_bk_time(int64_t wall_ms, char *buf, size_t len);
/* For JSON: "2026-05-23T13:45:00.250Z", or null when wall_ms <= 0. New reference. */
json_t *cli_bk_json_time(int64_t wall_ms);
/* json_dumpf flags of the backup commands: indented, in order, 6 significant digits. */
#define CLI_BK_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

#endif
