/*
 * cmd_console.c: placeholder for the full-screen console.
 */
#include "cli.h"

int
cmd_console(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	cli_error("the console is not built yet (see dbdeck --help)");
	return DD_EXIT_FAILED;
}
