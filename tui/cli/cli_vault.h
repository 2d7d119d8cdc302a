/*
 * cli_vault.h: the command line's side of the vault: where the vault is,
 * where the passphrase comes from (a file or the terminal, never argv or a
 * plain environment variable), and opening it with one clear error line.
 * Used by `dbdeck vault ...` (cmd_vault.c) and by every command that needs
 * credentials (check-config, later backup and status).
 */
#ifndef DD_CLI_VAULT_H
#define DD_CLI_VAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

struct dd_vault;

/* Longest passphrase, password or field value read from any source. */
#define CLI_SECRET_MAX 4096

/* A secret read by the functions below: buf is sodium_malloc'd, NUL-terminated. */
struct cli_secret {
	char *buf;
	size_t len;
};

/* Wipes and frees s->buf (sodium_free); s may be empty. */
void cli_secret_free(struct cli_secret *s);

/*
 * The vault path: --vault, else `config_vault_path` (the config's vault key;
 * NULL = none), else $DBDECK_VAULT, else ~/.config/dbdeck/vault. A leading
 * "~/" is expanded. Written into buf; returns buf, or NULL (reason printed)
 * when no path can be made (no $HOME, too long).
 */
const char *cli_vault_path(
    const struct cli *cli, const char *config_vault_path, char *buf, size_t buflen);

/*
 * The non-interactive passphrase source: --passphrase-file, else
 * $DBDECK_PASSPHRASE_FILE; NULL when neither is set. Borrowed.
 */
const char *cli_vault_passphrase_file(const struct cli *cli);

/* True when a passphrase can be had without a terminal (the above is set). */
bool cli_vault_passphrase_configured(const struct cli *cli);

/*
 * Gets the vault passphrase: the passphrase file when configured, else the
 * terminal when `interactive` (asked twice and compared when `twice`). Empty
 * passphrases are refused. On failure prints one line and returns false.
 */
bool cli_vault_passphrase(
    const struct cli *cli, bool interactive, bool twice, struct cli_secret *out);

/*
 * Whether a passphrase may be read and the vault unlocked: yes when process
 * hardening worked (cli->harden_error NULL) or --allow-core-dumps was given
 * (then a warning). Otherwise prints why and returns DD_EXIT_REFUSED (5):
 * a crash could write the unlocked secrets to a core file. Call before
 * reading any passphrase.
 */
int cli_vault_guard(const struct cli *cli);

/*
 * Resolves the path, gets the passphrase (file / env file / terminal when
 * interactive) and opens the vault. On failure prints one line to stderr and
 * returns DD_EXIT_VAULT (DD_EXIT_REFUSED from cli_vault_guard); on success *out is the caller's
 * (dd_vault_close) and returns DD_EXIT_OK.
 */
int cli_vault_open(
    const struct cli *cli, const char *config_vault_path, bool interactive, struct dd_vault **out);

/*
 * First line of file `path` (trailing "\n" or "\r\n" stripped). Warns, but
 * goes on, when a regular file has group/other permission bits. On failure
 * prints one line and returns false.
 */
bool cli_secret_from_file(const char *path, const char *what, struct cli_secret *out);

/* One line from descriptor fd (e.g. stdin), read byte by byte. As above. */
bool cli_secret_from_fd(int fd, const char *what, struct cli_secret *out);

/*
 * Asks on /dev/tty with echo off (restored on exit and on SIGINT/SIGTERM/
 * SIGHUP/SIGQUIT; re-asked after a suspend). With `twice`, asks again with
 * "Repeat " + prompt and compares. `hint` ends the error when there is no
 * terminal (e.g. "use --password-stdin"). As above.
 */
bool cli_secret_from_tty(const char *prompt, bool twice, const char *hint, struct cli_secret *out);

#endif
