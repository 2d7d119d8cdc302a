/*
 * mt_common.c: see mt_common.h. A core and a monitor over both harness
 * clusters, snapshots read through the wake-up descriptor, and clients run
 * in the background; the fault undos, the load and the children killed at
 * exit are tests/lib/itlib.c's.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt_common.h"
#include "tap.h"

#define NS_MS INT64_C(1000000)

static void
cluster_text(
    FILE *f, const struct mt *t, const char *engine, const char *extra, int64_t connect_timeout_ms)
{
	bool pg = strcmp(engine, "pg") == 0;

	fprintf(f, "\n[cluster %s]\nengine = %s\nnodes = %s1, %s2, %s3\n", engine,
	    pg ? "postgresql" : "mariadb", engine, engine, engine);
	fprintf(f, "database = %s\ncredential = harness\n", t->h.database);
	fprintf(f,
	    "pool_size = 4\nmin_idle = 1\nmax_overflow = 2\nacquire_timeout = 2s\n"
	    "connect_timeout = %lldms\nquery_timeout = 5s\nlag_max = 2s\nlag_critical = 30s\n"
	    "alert_lag_for = 3s\nbreaker_threshold = 3\nbreaker_recovery = 2s\n"
	    "liveness_idle = 1s\nslow_query = 1s\n",
	    (long long)connect_timeout_ms);
	if (extra)
		fprintf(f, "%s\n", extra);
	for (int i = 1; i <= 3; i++) {
		char node[8];
		snprintf(node, sizeof(node), "%s%d", engine, i);
		fprintf(f, "\n[node %s]\nhost = %s\nport = %d\n", node, t->h.host,
		    dd_harness_port(&t->h, node));
	}
}

static void
load_config(struct mt *t, int64_t refresh_ms, const char *extra, int64_t connect_timeout_ms)
{
	struct dd_diags *d = dd_diags_new();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[console]\nrefresh = %lldms\n", (long long)refresh_ms);
	cluster_text(f, t, "pg", extra, connect_timeout_ms);
	cluster_text(f, t, "my", extra, connect_timeout_ms);
	fclose(f);
	if (dd_config_load_buffer("/tmp/dbdeck-monitor-test.ini", text, len, &t->cfg, d) != 0) {
		dd_diags_print(d, stdout);
		bail_out("the test config does not load");
	}
	free(text);
	dd_diags_free(d);
}

static bool
all_up(const struct dd_snapshot *s)
{
	for (int i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].state == DD_NODE_DOWN || s->nodes[i].role == DD_ROLE_UNKNOWN ||
		    s->nodes[i].breaker != DD_BREAKER_CLOSED)
			return false;
	return s->n_nodes == 6;
}

void
mt_harness(struct mt *t)
{
	char err[512];

	memset(t, 0, sizeof(*t));
	if (dd_harness_load(&t->h, err, sizeof(err)) != 0)
		bail_out("no harness: %s", err);
	it_arm(&t->h);
	it_password(&t->h);
}

void
mt_start(struct mt *t, int64_t refresh_ms, const char *extra_keys, int64_t down_after_ms)
{
	struct dd_monitor_options mo;
	struct dd_core_options co;
	char err[512];

	/* a first deadline longer than the usual 1 s connect_timeout: so is the connect's */
	load_config(t, refresh_ms, extra_keys, down_after_ms > 1000 ? down_after_ms : 1000);
	dd_core_options_default(&co);
	co.application_name = t->app;
	t->core = dd_core_new_with(t->cfg, it_credential, &t->h, &co, err, sizeof(err));
	if (t->core == NULL)
		bail_out("dd_core_new: %s", err);
	dd_monitor_options_default(&mo);
	mo.retry_optional_ms = 2000;
	mo.statements_every_ms = 2000;
	mo.down_after_ms = down_after_ms;
	mo.oneshot = t->oneshot;
	t->m = dd_monitor_new(t->core, &mo, err, sizeof(err));
	if (t->m == NULL)
		bail_out("dd_monitor_new: %s", err);
}

void
mt_setup(struct mt *t, int64_t refresh_ms, const char *extra_keys)
{
	const struct dd_snapshot *s = NULL;
	int64_t t0;

	mt_harness(t);
	mt_start(t, refresh_ms, extra_keys, 0);
	for (t0 = it_now_ms(); it_now_ms() - t0 < 20000;) {
		dd_snapshot_unref(s);
		s = mt_next(t, 2000);
		if (s && all_up(s))
			break;
	}
	if (!s || !all_up(s))
		bail_out("the six harness nodes are not all up within 20 s");
	dd_snapshot_unref(s);
}

void
mt_teardown(struct mt *t)
{
	dd_monitor_free(t->m);
	dd_core_shutdown(t->core, it_now_ms() * NS_MS + 5000 * NS_MS);
	dd_core_free(t->core);
	dd_config_free(t->cfg);
	memset(t, 0, sizeof(*t));
}

const struct dd_snapshot *
mt_next(struct mt *t, int64_t timeout_ms)
{
	struct pollfd p = {.fd = dd_monitor_wake_fd(t->m), .events = POLLIN};

	if (poll(&p, 1, (int)timeout_ms) <= 0)
		return NULL;
	dd_monitor_ack(t->m);
	return dd_monitor_current(t->m);
}

int
mt_node(const struct dd_snapshot *s, const char *name)
{
	for (int i = 0; s && i < s->n_nodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return i;
	return -1;
}

const struct dd_snap_alert *
mt_alert(const struct dd_snapshot *s, const char *rule, const char *node)
{
	for (int i = 0; s && i < s->n_alerts; i++)
		if (strcmp(s->alerts[i].rule, rule) == 0 && strcmp(s->alerts[i].node, node) == 0)
			return &s->alerts[i];
	return NULL;
}

pid_t
mt_client_start(struct mt *t, const char *client, const char *node, const char *sql,
    const char *sql2, const char *errfile)
{
	bool pg = strcmp(client, "psql") == 0;
	pid_t pid;
	int fd;

	pid = it_spawn();
	if (pid == 0) {
		fd = open(errfile ? errfile : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		if (sql2)
			execlp("bash", "bash", t->h.script, client, t->h.dir, node,
			    pg ? "-c" : "-e", sql, pg ? "-c" : "-e", sql2, (char *)NULL);
		else
			execlp("bash", "bash", t->h.script, client, t->h.dir, node,
			    pg ? "-c" : "-e", sql, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int
mt_sql(struct mt *t, const char *client, const char *node, const char *sql)
{
	return it_wait_child(mt_client_start(t, client, node, sql, NULL, NULL), 30000);
}
