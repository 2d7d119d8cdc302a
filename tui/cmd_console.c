/*
 * cmd_console.c: a minimal console until the full one lands: it builds the
 * core from the config and vault (tui/cli_core.c) and shows, once a second,
 * every cluster's nodes with the role, reachability, lag and breaker state
 * that the routers discover. `q` quits. Only this file calls curses.
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_core.h"
#include "dbdeck/router.h"
#include "dbdeck/text.h"

#define MAX_NODES 64

static void
draw_cluster(struct dd_cluster *cl, int *row)
{
	struct dd_router_node_view v[MAX_NODES];
	struct dd_router *r = dd_cluster_router(cl);
	size_t n = dd_router_nodes(r, v, MAX_NODES);
	char name[80], err[80];

	dd_text_sanitize(name, sizeof(name), dd_cluster_name(cl), strlen(dd_cluster_name(cl)), 40, 0);
	mvprintw((*row)++, 0, "cluster %s (%s)", name,
	    dd_engine_name(dd_cluster_config(cl)->engine));
	mvprintw((*row)++, 2, "%-16s %-8s %-6s %-10s %-10s %s", "NODE", "ROLE", "STATE", "LAG",
	    "BREAKER", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		char lag[24] = "-";
		if (v[i].role == DD_ROLE_REPLICA && v[i].lag_known)
			snprintf(lag, sizeof(lag), "%.1fs", (double)v[i].lag_ms / 1000.0);
		else if (v[i].role == DD_ROLE_REPLICA)
			snprintf(lag, sizeof(lag), "unknown");
		dd_text_sanitize(name, sizeof(name), v[i].name, strlen(v[i].name), 16, 0);
		dd_text_sanitize(err, sizeof(err), v[i].last_error, strlen(v[i].last_error), 40, 0);
		mvprintw((*row)++, 2, "%-16s %-8s %-6s %-10s %-10s %s", name,
		    dd_role_name(v[i].role), v[i].reachable ? "up" : "down", lag,
		    dd_breaker_state_name(v[i].breaker), err);
	}
	(*row)++;
}

static void
draw(struct dd_core *core)
{
	int row = 0;
	erase();
	mvprintw(row++, 0, "dbdeck %s - topology (the full console is not built yet)   q quits",
	    DD_VERSION);
	row++;
	for (size_t i = 0; i < dd_core_cluster_count(core); i++)
		draw_cluster(dd_core_cluster_at(core, i), &row);
	refresh();
}

int
cmd_console(struct cli *cli, int argc, char **argv)
{
	struct dd_config *cfg;
	struct cli_core cc;
	(void)argc;
	(void)argv;

	int rc = cli_config_load(cli, &cfg);
	if (rc != DD_EXIT_OK)
		return rc;
	rc = cli_core_open(cli, cfg, NULL, true, &cc);
	if (rc != DD_EXIT_OK)
		return rc;
	setlocale(LC_ALL, "");
	initscr();
	cbreak();
	noecho();
	curs_set(0);
	timeout(1000);
	for (;;) {
		draw(cc.core);
		int ch = getch();
		if (ch == 'q' || ch == 'Q')
			break;
	}
	endwin();
	cli_core_close(&cc, 1000);
	return DD_EXIT_OK;
}
