/*
 * config_same_test.c: dd_config_cluster_same, which decides the clusters
 * whose pools a reload keeps: the same file, and the same cluster after an
 * unrelated change, are the same; a changed key of the cluster, of one of
 * its nodes, the nodes' order or [console] refresh is not; neither is a
 * cluster missing from one side.
 */
#include <string.h>

#include "dbdeck/config.h"
#include "tap.h"

#define BASE                                                                                       \
	"[console]\nrefresh = 1s\n"                                                                \
	"[cluster a]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"         \
	"[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.2\n"

static struct dd_config *
load(const char *text)
{
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;

	if (dd_config_load_buffer("t.ini", text, strlen(text), &cfg, d) != 0)
		bail_out("config does not load: %s", text);
	dd_diags_free(d);
	return cfg;
}

static void
check(const char *other, bool want, const char *what)
{
	struct dd_config *a = load(BASE), *b = load(other);

	ok(dd_config_cluster_same(a, b, "a") == want, "%s: %s", what,
	    want ? "same" : "not the same");
	dd_config_free(a);
	dd_config_free(b);
}

int
main(void)
{
	check(BASE, true, "the same file");
	check(BASE "[cluster b]\nengine = mariadb\nnodes = m1\ndatabase = d\ncredential = c\n"
	           "[node m1]\nhost = h\n",
	    true, "another cluster added");
	check("[console]\nrefresh = 2s\n"
	      "[cluster a]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"
	      "[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.2\n",
	    false, "refresh changed");
	check("[console]\nrefresh = 1s\n"
	      "[cluster a]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"
	      "pool_size = 7\n[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.2\n",
	    false, "pool_size changed");
	check("[console]\nrefresh = 1s\n"
	      "[cluster a]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"
	      "[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.3\n",
	    false, "a node's host changed");
	check("[console]\nrefresh = 1s\n"
	      "[cluster a]\nengine = postgresql\nnodes = n2, n1\ndatabase = d\ncredential = c\n"
	      "[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.2\n",
	    false, "the nodes' order changed");
	check("[console]\nrefresh = 1s\n"
	      "[cluster b]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"
	      "[node n1]\nhost = 10.0.0.1\n[node n2]\nhost = 10.0.0.2\n",
	    false, "the cluster is gone");
	return tap_done();
}
