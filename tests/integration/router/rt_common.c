/*
 * rt_common.c: see rt_common.h. Setup and teardown of a dd_core over the
 * harness and node identification by server port; the fault undos and the
 * load stopped at exit are tests/lib/itlib.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_common.h"
#include "tap.h"
#include "util/util.h"

const char *
rt_engine_arg(int argc, char **argv)
{
	return it_engine_arg(argc < 2 ? NULL : argv[1], argv[0]);
}

static char *
config_text(struct rt *t, const char *extra)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fprintf(f, "[console]\nrefresh = 500ms\n\n[cluster c]\n");
	fprintf(f, "engine = %s\n", t->pg ? "postgresql" : "mariadb");
	fprintf(f, "nodes = %s, %s, %s\n", t->node[0], t->node[1], t->node[2]);
	fprintf(f, "database = %s\ncredential = harness\n", t->h.database);
	fprintf(f, "pool_size = 4\nmin_idle = 0\nmax_overflow = 2\nacquire_timeout = 2s\n"
	           "connect_timeout = 1s\nquery_timeout = 3s\nlag_max = 2s\nlag_critical = 4s\n"
	           "breaker_threshold = 3\nbreaker_recovery = 2s\nliveness_idle = 1s\n");
	if (extra)
		fprintf(f, "%s\n", extra);
	for (i = 0; i < RT_NODES; i++)
		fprintf(
		    f, "\n[node %s]\nhost = %s\nport = %d\n", t->node[i], t->h.host, t->port[i]);
	fclose(f);
	return buf;
}

static void
load_config(struct rt *t, const char *extra)
{
	struct dd_diags *d = dd_diags_new();
	char *text = config_text(t, extra);

	if (dd_config_load_buffer("/tmp/dbdeck-router-test.ini", text, strlen(text), &t->cfg, d) !=
	    0) {
		dd_diags_print(d, stdout);
		bail_out("the test config does not load");
	}
	free(text);
	dd_diags_free(d);
}

/* Precondition of every test: both replicas in the read set, breakers closed. */
static bool
replicas_usable(struct rt *t, int unused)
{
	struct dd_router_node_view v[RT_NODES];

	(void)unused;
	dd_router_nodes(t->r, v, RT_NODES);
	return v[1].in_read_set && v[2].in_read_set && v[1].breaker == DD_BREAKER_CLOSED &&
	       v[2].breaker == DD_BREAKER_CLOSED;
}

void
rt_setup(struct rt *t, const char *engine, const char *extra_keys)
{
	rt_setup_ex(t, engine, extra_keys, true);
}

void
rt_setup_ex(struct rt *t, const char *engine, const char *extra_keys, bool wait_replicas)
{
	struct dd_core_options o;
	char err[512];
	int i;

	memset(t, 0, sizeof(*t));
	if (dd_harness_load(&t->h, err, sizeof(err)) != 0)
		bail_out("no harness: %s", err);
	it_arm(&t->h);
	t->pg = strcmp(engine, "pg") == 0;
	for (i = 0; i < RT_NODES; i++) {
		snprintf(t->node[i], sizeof(t->node[i]), "%s%d", engine, i + 1);
		t->port[i] = dd_harness_port(&t->h, t->node[i]);
	}
	it_password(&t->h);
	load_config(t, extra_keys);
	dd_core_options_default(&o);
	o.application_name = "dbdeck-router-test";
	t->core = dd_core_new_with(t->cfg, it_credential, &t->h, &o, err, sizeof(err));
	if (t->core == NULL)
		bail_out("dd_core_new: %s", err);
	t->r = dd_cluster_router(dd_core_cluster(t->core, "c"));
	if (dd_router_probe_now(t->r, dd_now_mono_ns() + 5000 * RT_MS) != 0)
		bail_out("no probe round within 5 s");
	if (wait_replicas && rt_wait(t, replicas_usable, 0, 15000) < 0)
		bail_out("the harness replicas are not both usable within 15 s");
}

int
rt_teardown(struct rt *t)
{
	int left = dd_core_shutdown(t->core, dd_now_mono_ns() + 5000 * RT_MS);

	dd_core_free(t->core);
	dd_config_free(t->cfg);
	t->core = NULL;
	return left;
}

const char *
rt_port_sql(const struct rt *t)
{
	return t->pg ? "SELECT inet_server_port()" : "SELECT @@port";
}

int
rt_node_of_port(const struct rt *t, int port)
{
	int i;

	for (i = 0; i < RT_NODES; i++)
		if (t->port[i] == port)
			return i;
	return -1;
}

int
rt_index(const struct rt *t, const char *name)
{
	int i;

	for (i = 0; i < RT_NODES; i++)
		if (strcmp(t->node[i], name) == 0)
			return i;
	return -1;
}

static int
result_node(struct rt *t, struct dd_result *res)
{
	const char *v = res && dd_result_nrows(res) == 1 ? dd_result_value(res, 0, 0) : NULL;

	return v ? rt_node_of_port(t, atoi(v)) : -1;
}

int
rt_conn_node(struct rt *t, struct dd_pooled *pc)
{
	struct dd_result *res = NULL;
	struct dd_db_error e;
	int n = -1;

	if (dd_pool_query(pc, rt_port_sql(t), DD_POOL_DEFAULT_DEADLINE, &res, &e) == 0)
		n = result_node(t, res);
	else
		diag("port query failed: %s", e.message);
	dd_result_free(res);
	return n;
}

int
rt_read_node(struct rt *t, struct dd_session *s, int64_t timeout_ms, struct dd_route_decision *why)
{
	struct dd_result *res = NULL;
	struct dd_db_error e;
	int n = -1;

	if (dd_router_query(t->r, s, DD_INTENT_READ, rt_port_sql(t),
	        dd_now_mono_ns() + timeout_ms * RT_MS, &res, why, &e) == 0)
		n = result_node(t, res);
	dd_result_free(res);
	return n;
}

void
rt_view(struct rt *t, int i, struct dd_router_node_view *v)
{
	struct dd_router_node_view all[RT_NODES];

	dd_router_nodes(t->r, all, RT_NODES);
	*v = all[i];
}

int64_t
rt_wait(struct rt *t, bool (*pred)(struct rt *, int), int arg, int64_t timeout_ms)
{
	int64_t t0 = it_now_ms();

	for (;;) {
		if (pred(t, arg))
			return it_now_ms() - t0;
		if (it_now_ms() - t0 > timeout_ms)
			return -1;
		usleep(100000);
	}
}
