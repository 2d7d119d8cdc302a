/*
 * pool_example.c: an application linking libdbdeck routes one write and one read through a
 * cluster and prints which node answered each. docs/pool.md, "The dd_core object", explains it.
 * usage: pool_example CONFIG CLUSTER USER PASSWORD_FILE
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/core.h"

static char *password; /* secure memory, borrowed by the core until dd_core_free */

static int
credential(void *user, const char *name, const char **u, const char **p)
{
	(void)name; /* one credential for every cluster in this example */
	*u = user;
	*p = password;
	return 0;
}

int
main(int argc, char **argv)
{
	struct dd_config *cfg = NULL;
	struct dd_diags *diags = dd_diags_new();
	struct dd_route_decision why;
	struct dd_result *res = NULL;
	struct dd_core *core = NULL;
	struct dd_cluster *cl = NULL;
	char err[256] = "bad arguments or config";
	FILE *f = argc == 5 ? fopen(argv[4], "r") : NULL;
	int rc = 1, read_rc = 1; /* deadlines 0 below: the configured timeouts */

	if (f && sodium_init() >= 0 && (password = sodium_malloc(256)) && fgets(password, 256, f) &&
	    dd_config_load(argv[1], &cfg, diags) == 0) {
		password[strcspn(password, "\n")] = '\0';
		core = dd_core_new(cfg, credential, argv[3], err, sizeof(err));
		cl = core ? dd_core_cluster(core, argv[2]) : NULL;
	}
	if (cl != NULL) {
		rc = dd_router_exec(dd_cluster_router(cl), NULL, DD_INTENT_WRITE,
		    "CREATE TABLE IF NOT EXISTS pool_example (n int)", 0, NULL, &why, NULL);
		printf(
		    "write answered by %s: %s\n", rc == 0 ? why.node_name : "nobody", why.reason);
		read_rc = dd_router_query(dd_cluster_router(cl), NULL, DD_INTENT_READ,
		    "SELECT count(*) FROM information_schema.tables", 0, &res, &why, NULL);
		printf("read answered by %s: %s\n", read_rc == 0 ? why.node_name : "nobody",
		    why.reason);
	} else {
		fprintf(stderr, "pool_example: %s\n", core ? "no such cluster" : err);
	}
	dd_result_free(res);
	dd_core_free(core); /* drains and closes every pool, joins every thread */
	dd_config_free(cfg);
	dd_diags_free(diags);
	if (f)
		fclose(f);
	sodium_free(password);
	return rc == 0 && read_rc == 0 ? 0 : 1;
}
