/*
 * cli_parse.c: the one getopt loop of the commands (cli.h). Each command
 * describes its syntax in a struct cli_syntax (its own long options, a
 * callback that stores them, how many positional arguments it takes) and
 * calls cli_parse, which adds the common options and --help, runs
 * getopt_long, and gives every usage error the same message and exit code.
 * main() uses cli_common_opt alone for the options before the command.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Common options, --help, a command's own (at most this many) and the end row. */
#define CLI_MAX_OPTS 48

static const struct option common_opts[] = {
    CLI_COMMON_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
};

bool
cli_common_opt(struct cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'c': cli->config_path = arg; return true;
	case CLI_OPT_VAULT: cli->vault_path = arg; return true;
	case CLI_OPT_PASSPHRASE_FILE: cli->passphrase_file = arg; return true;
	case CLI_OPT_READ_ONLY: cli->read_only = true; return true;
	case CLI_OPT_ASCII: cli->ascii = true; return true;
	case CLI_OPT_NO_COLOR: cli->no_color = true; return true;
	case CLI_OPT_ALLOW_CORE_DUMPS: cli->allow_core_dumps = true; return true;
	default: return false;
	}
}

/* Fills all[] with the common rows, then the command's own, then the end row. */
static void
options_of(const struct cli_syntax *syn, struct option *all)
{
	size_t n = sizeof(common_opts) / sizeof(common_opts[0]);

	memcpy(all, common_opts, sizeof(common_opts));
	for (size_t i = 0; syn->opts && syn->opts[i].name && n < CLI_MAX_OPTS - 1; i++)
		all[n++] = syn->opts[i];
	memset(&all[n], 0, sizeof(all[n]));
}

static int
check_args(const struct cli_syntax *syn, int npos)
{
	if (npos >= syn->min_args && (syn->max_args < 0 || npos <= syn->max_args))
		return CLI_GO_ON;
	cli_error("%s takes %s (see dbdeck %s --help)", syn->name,
	    syn->args ? syn->args : "no argument", syn->name);
	return DD_EXIT_USAGE;
}

int
cli_parse(struct cli *cli, int argc, char **argv, const struct cli_syntax *syn, void *ctx,
    char ***pos, int *npos)
{
	struct option all[CLI_MAX_OPTS];
	int opt, rc;

	options_of(syn, all);
	optind = 0; /* a full reset: main() parsed its own options with the same getopt */
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "h", all, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == 'h') {
			syn->usage(stdout);
			return DD_EXIT_OK;
		}
		if (opt == '?' || opt == ':' || !syn->opt) {
			syn->usage(stderr);
			return DD_EXIT_USAGE;
		}
		if ((rc = syn->opt(ctx, opt, optarg)) != DD_EXIT_OK)
			return rc;
	}
	*pos = argv + optind;
	*npos = argc - optind;
	return check_args(syn, *npos);
}
