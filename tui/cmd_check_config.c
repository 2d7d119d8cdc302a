/*
 * cmd_check_config.c: placeholder until the command is built.
 */
#include "cli.h"

int
cmd_check_config(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	cli_error("'%s' is not built yet", argv[0]);
	return DD_EXIT_FAILED;
}
