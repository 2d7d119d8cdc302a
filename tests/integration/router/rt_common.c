/*
 * rt_common.c: see rt_common.h. Setup and teardown of a dd_core over the
 * harness, node identification by server port, fault injection with undo at
 * exit (atexit, and SIGTERM/SIGINT turned into exit), background load.
 */
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_common.h"
#include "tap.h"
#include "util/util.h"

#define MAX_UNDO 16

static struct {
	struct dd_harness h;
	bool loaded;
	int n;
	char cmd[MAX_UNDO][32], node[MAX_UNDO][8], extra[MAX_UNDO][16];
} undo;
static pid_t load_pid;
static char *secret; /* the harness password, sodium_malloc */

int64_t
rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
undo_all(void)
{
	rt_load_stop();
	while (undo.n > 0) {
		undo.n--;
		if (undo.extra[undo.n][0])
			dd_harness_run(&undo.h, "%s %s %s", undo.cmd[undo.n], undo.node[undo.n],
			    undo.extra[undo.n]);
		else
			dd_harness_run(&undo.h, "%s %s", undo.cmd[undo.n], undo.node[undo.n]);
	}
}

static void
on_signal(int sig)
{
	static volatile sig_atomic_t exiting;

	(void)sig;
	if (exiting)
		_exit(1);
	exiting = 1;
	signal(SIGPIPE, SIG_IGN); /* a closed stdout must not stop the undo */
	exit(1);                  /* runs undo_all through atexit: the harness must be restored */
}

static int
credential(void *ctx, const char *name, const char **user, const char **password)
{
	struct rt *t = ctx;

	if (strcmp(name, "harness") != 0)
		return -1;
	*user = t->h.user;
	*password = secret;
	return 0;
}

const char *
rt_engine_arg(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "pg") != 0 && strcmp(argv[1], "my") != 0))
		bail_out("usage: %s pg|my", argv[0]);
	return argv[1];
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

static void
load_secret(struct rt *t)
{
	char err[256];

	if (secret != NULL)
		return;
	if (sodium_init() < 0)
		bail_out("sodium_init");
	secret = sodium_malloc(512);
	if (secret == NULL || dd_harness_password(&t->h, secret, 512, err, sizeof(err)) != 0)
		bail_out("harness password: %s", err);
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
	if (!undo.loaded) {
		undo.h = t->h;
		undo.loaded = true;
		atexit(undo_all);
		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		signal(SIGHUP, on_signal);
		signal(SIGQUIT, on_signal);
		signal(SIGPIPE, on_signal); /* e.g. output piped into head */
	}
	t->pg = strcmp(engine, "pg") == 0;
	for (i = 0; i < RT_NODES; i++) {
		snprintf(t->node[i], sizeof(t->node[i]), "%s%d", engine, i + 1);
		t->port[i] = dd_harness_port(&t->h, t->node[i]);
	}
	load_secret(t);
	load_config(t, extra_keys);
	dd_core_options_default(&o);
	o.application_name = "dbdeck-router-test";
	t->core = dd_core_new_with(t->cfg, credential, t, &o, err, sizeof(err));
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
rt_fault(struct rt *t, const char *cmd, const char *node, const char *extra, const char *undo_cmd,
    const char *undo_extra)
{
	int rc;

	if (undo.n < MAX_UNDO) {
		snprintf(undo.cmd[undo.n], sizeof(undo.cmd[0]), "%s", undo_cmd);
		snprintf(undo.node[undo.n], sizeof(undo.node[0]), "%s", node);
		snprintf(
		    undo.extra[undo.n], sizeof(undo.extra[0]), "%s", undo_extra ? undo_extra : "");
		undo.n++;
	}
	rc = extra ? dd_harness_run(&t->h, "%s %s %s", cmd, node, extra)
	           : dd_harness_run(&t->h, "%s %s", cmd, node);
	if (rc != 0)
		bail_out("harness %s %s failed (%d)", cmd, node, rc);
}

void
rt_undo(struct rt *t, const char *undo_cmd, const char *node)
{
	int i, rc;

	for (i = undo.n - 1; i >= 0; i--) {
		if (strcmp(undo.cmd[i], undo_cmd) != 0 || strcmp(undo.node[i], node) != 0)
			continue;
		rc = undo.extra[i][0]
		         ? dd_harness_run(&t->h, "%s %s %s", undo_cmd, node, undo.extra[i])
		         : dd_harness_run(&t->h, "%s %s", undo_cmd, node);
		if (rc != 0)
			diag("harness %s %s: exit %d", undo_cmd, node, rc);
		memmove(
		    &undo.cmd[i], &undo.cmd[i + 1], (size_t)(undo.n - i - 1) * sizeof(undo.cmd[0]));
		memmove(&undo.node[i], &undo.node[i + 1],
		    (size_t)(undo.n - i - 1) * sizeof(undo.node[0]));
		memmove(&undo.extra[i], &undo.extra[i + 1],
		    (size_t)(undo.n - i - 1) * sizeof(undo.extra[0]));
		undo.n--;
		return;
	}
}

void
rt_load_start(struct rt *t, int seconds, int rate)
{
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		setpgid(0, 0);
		_exit(dd_harness_run(&t->h, "load %s %d %d", t->pg ? "pg" : "my", seconds, rate));
	}
	setpgid(pid, pid);
	load_pid = pid;
}

void
rt_load_stop(void)
{
	if (load_pid <= 0)
		return;
	kill(-load_pid, SIGTERM);
	waitpid(load_pid, NULL, 0);
	load_pid = 0;
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
	int64_t t0 = rt_now_ms();

	for (;;) {
		if (pred(t, arg))
			return rt_now_ms() - t0;
		if (rt_now_ms() - t0 > timeout_ms)
			return -1;
		usleep(100000);
	}
}
