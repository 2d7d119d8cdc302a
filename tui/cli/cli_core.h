/*
 * cli_core.h: the command line's way to a running dd_core: load the config
 * file (errors printed as FILE:LINE), open the vault (passphrase from
 * --passphrase-file / $DBDECK_PASSPHRASE_FILE / the terminal), check that
 * every cluster's credential is in it, and build the core with the vault as
 * the credential source. Used by `dbdeck status` and the console.
 */
#ifndef DD_CLI_CORE_H
#define DD_CLI_CORE_H

#include <stdbool.h>

#include "cli.h"
#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/jobs.h"

struct dd_vault;

/* What cli_core_open made; cli_core_close frees it in the right order. */
struct cli_core {
	struct dd_config *cfg;
	struct dd_vault *vault;
	struct dd_core *core;
};

/*
 * Loads the config file (-c, $DBDECK_CONFIG, ~/.config/dbdeck/dbdeck.ini).
 * Prints every error and warning on stderr. Returns DD_EXIT_OK with *out
 * (the caller's, dd_config_free), or DD_EXIT_CONFIG.
 */
int cli_config_load(const struct cli *cli, struct dd_config **out);

/*
 * Opens the vault (interactive: the terminal may be asked), checks the
 * credentials and builds the core with opts (NULL = defaults). Takes
 * ownership of cfg in every case. Returns DD_EXIT_OK with *out filled, or
 * DD_EXIT_VAULT / DD_EXIT_CONFIG / DD_EXIT_FAILED with one line printed.
 */
int cli_core_open(const struct cli *cli, struct dd_config *cfg, const struct dd_core_options *opts,
    bool interactive, struct cli_core *out);

/*
 * dd_credential_fn over an open vault (ctx: the struct dd_vault): user and
 * password stay in its secure memory, borrowed until it is closed.
 */
int cli_vault_credential(void *ctx, const char *name, const char **user, const char **password);

/*
 * Shuts the core down (waiting for borrowed connections until now +
 * drain_ms), frees it, closes the vault (wiping it) and frees the config.
 */
void cli_core_close(struct cli_core *cc, int drain_ms);

/* The exit code of a finished job's outcome: done 0, refused 5, incomplete 6, else 1. */
int cli_exit_of_outcome(enum dd_job_outcome o);

/*
 * Asks on /dev/tty for the cluster's name to be typed (after `what`, when
 * not NULL); true when it was. Without a terminal, or on a mismatch, says so
 * and returns false: nothing is to be changed.
 */
bool cli_confirm_typed(const char *what, const char *cluster);

#endif
