/*
 * cmd_vault.c: `dbdeck vault init|set|get|list|rm|passwd` (docs/security.md).
 *
 * Every secret (passphrases, passwords, field values) comes from a file, stdin
 * or the terminal with echo off, never from argv; it is held in sodium_malloc
 * memory (struct cli_secret) and handed to the core vault, which copies it into
 * its own secure memory. Exit codes: 0 ok, 1 no such entry, 2 usage, 4 any
 * vault error (one line on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_vault.h"
#include "dbdeck/config.h"
#include "dbdeck/util.h"
#include "dbdeck/vault.h"

#define MAX_FIELDS 32

enum {
	OPT_KDF = 0x200,
	OPT_USER,
	OPT_PASSWORD_STDIN,
	OPT_FIELD,
	OPT_SHOW_PASSWORD,
	OPT_NEW_PASSPHRASE_FILE,
};

/* Bits of the options each subcommand accepts. */
enum {
	ALLOW_KDF = 1 << 0,
	ALLOW_USER = 1 << 1,
	ALLOW_PWSTDIN = 1 << 2,
	ALLOW_FIELD = 1 << 3,
	ALLOW_SHOW = 1 << 4,
	ALLOW_NEWPASS = 1 << 5,
};

struct vopts {
	enum dd_vault_kdf kdf;
	const char *user;
	bool password_stdin, show_password;
	const char *new_pass_file;
	const char *fields[MAX_FIELDS];
	size_t nfields;
	unsigned given; /* ALLOW_* bits of the options present */
	const char *name;
	char path[4096];
};

struct subcommand {
	const char *name;
	bool takes_name;
	unsigned allow;
	int (*run)(struct cli *cli, struct vopts *o);
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck vault init [--kdf interactive|moderate|sensitive]\n"
	    "       dbdeck vault set NAME --user USER [--password-stdin] [--field KEY ...]\n"
	    "       dbdeck vault get NAME [--show-password]\n"
	    "       dbdeck vault list\n"
	    "       dbdeck vault rm NAME\n"
	    "       dbdeck vault passwd [--new-passphrase-file F]\n"
	    "\n"
	    "The passphrase comes from --passphrase-file F or $DBDECK_PASSPHRASE_FILE (first\n"
	    "line), else from the terminal. Passwords and --field values come from stdin\n"
	    "with --password-stdin (one line each: the password, then each field in\n"
	    "order), else from the terminal. Nothing secret is ever taken from argv.\n"
	    "Exit codes: 0 ok, 1 no such entry, 2 usage, 4 vault error.\n");
}

static int
usage_error(const char *msg)
{
	cli_error("%s (see dbdeck vault --help)", msg);
	return DD_EXIT_USAGE;
}

/* Opens the vault at o->path with the usual passphrase source. */
static int
open_vault(struct cli *cli, struct vopts *o, struct dd_vault **v)
{
	struct cli c = *cli;
	c.vault_path = o->path; /* already resolved */
	return cli_vault_open(&c, NULL, true, v);
}

static int
save_or_fail(struct dd_vault *v)
{
	char err[1024];
	if (dd_vault_save(v, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return DD_EXIT_VAULT;
	}
	return DD_EXIT_OK;
}

static int
run_init(struct cli *cli, struct vopts *o)
{
	struct cli_secret pass = {0};
	struct stat st;
	char err[1024];
	if (lstat(o->path, &st) == 0) {
		cli_error("vault %s: already exists; refusing to overwrite it", o->path);
		return DD_EXIT_VAULT;
	}
	int rc = cli_vault_guard(cli);
	if (rc != DD_EXIT_OK)
		return rc;
	if (!cli_vault_passphrase(cli, true, true, &pass))
		return DD_EXIT_VAULT;
	rc = dd_vault_create(o->path, pass.buf, pass.len, o->kdf, err, sizeof(err));
	cli_secret_free(&pass);
	if (rc != 0) {
		cli_error("%s", err);
		return DD_EXIT_VAULT;
	}
	printf("created vault %s (kdf %s)\n", o->path, dd_vault_kdf_name(o->kdf));
	return DD_EXIT_OK;
}

/* One secret: a line of stdin, or the terminal (asked twice) with `prompt`. */
static bool
read_value(const struct vopts *o, const char *what, const char *prompt, struct cli_secret *out)
{
	if (o->password_stdin)
		return cli_secret_from_fd(0, what, out);
	return cli_secret_from_tty(prompt, true, "use --password-stdin", out);
}

/* Reads the password and the field values; false (message printed) on failure. */
static bool
read_set_values(const struct vopts *o, struct cli_secret *pw, struct cli_secret *vals)
{
	char what[128], prompt[160];
	snprintf(prompt, sizeof(prompt), "Password of %s: ", o->name);
	if (!read_value(o, "password", prompt, pw))
		return false;
	if (pw->len == 0) {
		cli_error("empty password refused");
		return false;
	}
	for (size_t i = 0; i < o->nfields; i++) {
		snprintf(what, sizeof(what), "value of %s", o->fields[i]);
		snprintf(prompt, sizeof(prompt), "Value of %s: ", o->fields[i]);
		if (!read_value(o, what, prompt, &vals[i]))
			return false;
	}
	return true;
}

static int
store_entry(struct dd_vault *v, const struct vopts *o, const struct cli_secret *pw,
    const struct cli_secret *vals)
{
	struct dd_vault_field fields[MAX_FIELDS];
	char err[1024];
	for (size_t i = 0; i < o->nfields; i++)
		fields[i] = (struct dd_vault_field){o->fields[i], vals[i].buf};
	struct dd_credential c = {
	    .name = o->name,
	    .user = o->user,
	    .password = pw->buf,
	    .nfields = o->nfields,
	    .fields = fields,
	};
	if (dd_vault_set(v, &c, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return DD_EXIT_USAGE;
	}
	int rc = save_or_fail(v);
	if (rc == DD_EXIT_OK)
		printf("saved %s\n", o->name);
	return rc;
}

static int
run_set(struct cli *cli, struct vopts *o)
{
	struct dd_vault *v = NULL;
	struct cli_secret pw = {0}, vals[MAX_FIELDS];
	int rc;
	if (!o->user)
		return usage_error("vault set needs --user USER");
	memset(vals, 0, sizeof(vals));
	if ((rc = open_vault(cli, o, &v)) != DD_EXIT_OK)
		return rc;
	if (!read_set_values(o, &pw, vals))
		rc = DD_EXIT_FAILED;
	else
		rc = store_entry(v, o, &pw, vals);
	cli_secret_free(&pw);
	for (size_t i = 0; i < o->nfields; i++)
		cli_secret_free(&vals[i]);
	dd_vault_close(v);
	return rc;
}

static void
print_entry(const struct dd_credential *c, bool show)
{
	printf("user: %s\n", c->user);
	if (show)
		printf("password: %s\n", c->password);
	for (size_t i = 0; i < c->nfields; i++)
		printf("%s: %s\n", c->fields[i].key, show ? c->fields[i].value : "(hidden)");
}

static int
run_get(struct cli *cli, struct vopts *o)
{
	struct dd_vault *v = NULL;
	int rc = open_vault(cli, o, &v);
	if (rc != DD_EXIT_OK)
		return rc;
	const struct dd_credential *c = dd_vault_get(v, o->name);
	if (!c) {
		cli_error("no entry %s in vault %s", o->name, o->path);
		rc = DD_EXIT_FAILED;
	} else {
		print_entry(c, o->show_password);
	}
	fflush(stdout);
	dd_vault_close(v);
	return rc;
}

static int
run_list(struct cli *cli, struct vopts *o)
{
	struct dd_vault *v = NULL;
	int rc = open_vault(cli, o, &v);
	if (rc != DD_EXIT_OK)
		return rc;
	for (size_t i = 0; i < dd_vault_count(v); i++) {
		const struct dd_credential *c = dd_vault_entry_at(v, i);
		printf("%s\t%s\n", c->name, c->user);
	}
	dd_vault_close(v);
	return DD_EXIT_OK;
}

static int
run_rm(struct cli *cli, struct vopts *o)
{
	struct dd_vault *v = NULL;
	char err[1024];
	int rc = open_vault(cli, o, &v);
	if (rc != DD_EXIT_OK)
		return rc;
	if (dd_vault_remove(v, o->name, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		rc = DD_EXIT_FAILED;
	} else if ((rc = save_or_fail(v)) == DD_EXIT_OK) {
		printf("removed %s\n", o->name);
	}
	dd_vault_close(v);
	return rc;
}

static bool
read_new_passphrase(const struct vopts *o, struct cli_secret *out)
{
	bool ok = o->new_pass_file ? cli_secret_from_file(o->new_pass_file, "new passphrase", out)
	                           : cli_secret_from_tty("New vault passphrase: ", true,
	                                 "use --new-passphrase-file", out);
	if (ok && out->len == 0) {
		cli_error("empty passphrase refused");
		cli_secret_free(out);
		ok = false;
	}
	return ok;
}

static int
run_passwd(struct cli *cli, struct vopts *o)
{
	struct dd_vault *v = NULL;
	struct cli_secret np = {0};
	char err[1024];
	int rc = open_vault(cli, o, &v);
	if (rc != DD_EXIT_OK)
		return rc;
	if (!read_new_passphrase(o, &np)) {
		rc = DD_EXIT_VAULT;
	} else if (dd_vault_rekey(v, np.buf, np.len, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		rc = DD_EXIT_VAULT;
	} else if ((rc = save_or_fail(v)) == DD_EXIT_OK) {
		printf("passphrase changed for vault %s\n", o->path);
	}
	cli_secret_free(&np);
	dd_vault_close(v);
	return rc;
}

static const struct subcommand subcommands[] = {
    {"init", false, ALLOW_KDF, run_init},
    {"set", true, ALLOW_USER | ALLOW_PWSTDIN | ALLOW_FIELD, run_set},
    {"get", true, ALLOW_SHOW, run_get},
    {"list", false, 0, run_list},
    {"rm", true, 0, run_rm},
    {"passwd", false, ALLOW_NEWPASS, run_passwd},
};

static int
add_field(struct vopts *o, const char *key)
{
	if (strchr(key, '='))
		return usage_error("--field takes a name only (--field sslpassword); the value "
		                   "is read from stdin or the terminal, never from argv");
	if (!dd_vault_name_valid(key))
		return usage_error(
		    "invalid --field name: use 1-64 letters, digits, '.', '_' or '-'");
	if (o->nfields == MAX_FIELDS)
		return usage_error("too many --field options");
	o->fields[o->nfields++] = key;
	return DD_EXIT_OK;
}

/* Handles one of the vault options (cli_syntax.opt); DD_EXIT_OK or a usage exit. */
static int
vault_opt(void *ctx, int opt, const char *arg)
{
	struct vopts *o = ctx;

	switch (opt) {
	case OPT_KDF:
		o->given |= ALLOW_KDF;
		if (!dd_vault_kdf_from_name(arg, &o->kdf))
			return usage_error("--kdf must be interactive, moderate or sensitive");
		return DD_EXIT_OK;
	case OPT_USER:
		o->given |= ALLOW_USER;
		o->user = arg;
		return DD_EXIT_OK;
	case OPT_PASSWORD_STDIN:
		o->given |= ALLOW_PWSTDIN;
		o->password_stdin = true;
		return DD_EXIT_OK;
	case OPT_FIELD: o->given |= ALLOW_FIELD; return add_field(o, arg);
	case OPT_SHOW_PASSWORD:
		o->given |= ALLOW_SHOW;
		o->show_password = true;
		return DD_EXIT_OK;
	case OPT_NEW_PASSPHRASE_FILE:
		o->given |= ALLOW_NEWPASS;
		o->new_pass_file = arg;
		return DD_EXIT_OK;
	default: return DD_EXIT_USAGE; /* not one of cmd_vault's opts */
	}
}

static const struct option vault_opts[] = {
    {"kdf", required_argument, NULL, OPT_KDF},
    {"user", required_argument, NULL, OPT_USER},
    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
    {"field", required_argument, NULL, OPT_FIELD},
    {"show-password", no_argument, NULL, OPT_SHOW_PASSWORD},
    {"new-passphrase-file", required_argument, NULL, OPT_NEW_PASSPHRASE_FILE},
    {NULL, 0, NULL, 0},
};

static const struct cli_syntax vault_syntax = {.name = "vault",
    .usage = usage,
    .opts = vault_opts,
    .opt = vault_opt,
    .min_args = 1,
    .max_args = -1,
    .args = "a subcommand: init, set, get, list, rm or passwd"};

static const struct subcommand *
find_sub(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Checks the positional arguments and options against the subcommand. */
static int
check_args(const struct subcommand *sub, int npos, char **pos, struct vopts *o)
{
	char msg[128];
	if (npos != (sub->takes_name ? 1 : 0)) {
		snprintf(msg, sizeof(msg), "vault %s takes %s", sub->name,
		    sub->takes_name ? "one NAME" : "no argument");
		return usage_error(msg);
	}
	if (o->given & ~sub->allow) {
		snprintf(msg, sizeof(msg), "an option given is not one of vault %s's", sub->name);
		return usage_error(msg);
	}
	if (sub->takes_name && !dd_vault_name_valid(pos[0]))
		return usage_error("invalid entry name: use 1-64 letters, digits, '.', '_' or '-'");
	o->name = sub->takes_name ? pos[0] : NULL;
	return -1;
}

/*
 * The vault path of the config file, for the resolution order of
 * cli_vault_path(): only when --vault is not given, the config file exists
 * (or was named with -c / $DBDECK_CONFIG) and sets `vault` itself. A config
 * with errors stops the command (exit 3): acting on another vault than the
 * one the config names would surprise. Returns DD_EXIT_OK and *out (a new
 * string or NULL), or DD_EXIT_CONFIG.
 */
static int
config_vault_path(const struct cli *cli, char **out)
{
	char err[256];
	struct dd_config *cfg = NULL;
	*out = NULL;
	if (cli->vault_path)
		return DD_EXIT_OK;
	bool named = cli->config_path || (getenv("DBDECK_CONFIG") && *getenv("DBDECK_CONFIG"));
	char *path = dd_config_default_path(cli->config_path, err, sizeof(err));
	if (!path || (!named && access(path, F_OK) != 0)) {
		free(path);
		return DD_EXIT_OK;
	}
	struct dd_diags *diags = dd_diags_new();
	int rc = DD_EXIT_OK;
	if (dd_config_load(path, &cfg, diags) != 0) {
		dd_diags_print(diags, stderr);
		cli_error("%s: fix the configuration or give --vault PATH", path);
		rc = DD_EXIT_CONFIG;
	} else if (dd_config_console_has(cfg, "vault")) {
		*out = xstrdup(dd_config_console(cfg)->vault);
	}
	dd_config_free(cfg);
	dd_diags_free(diags);
	free(path);
	return rc;
}

int
cmd_vault(struct cli *cli, int argc, char **argv)
{
	struct vopts o;
	memset(&o, 0, sizeof(o));
	o.kdf = DD_VAULT_KDF_MODERATE;
	char **pos;
	int npos, rc = cli_parse(cli, argc, argv, &vault_syntax, &o, &pos, &npos);
	if (rc != CLI_GO_ON)
		return rc;
	const struct subcommand *sub = find_sub(pos[0]);
	if (!sub) {
		cli_error("unknown vault subcommand '%s' (see dbdeck vault --help)", pos[0]);
		return DD_EXIT_USAGE;
	}
	rc = check_args(sub, npos - 1, pos + 1, &o);
	if (rc >= 0)
		return rc;
	char *cfg_vault;
	rc = config_vault_path(cli, &cfg_vault);
	if (rc != DD_EXIT_OK)
		return rc;
	const char *resolved = cli_vault_path(cli, cfg_vault, o.path, sizeof(o.path));
	free(cfg_vault);
	if (!resolved)
		return DD_EXIT_VAULT;
	return sub->run(cli, &o);
}
