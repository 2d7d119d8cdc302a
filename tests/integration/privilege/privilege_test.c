/*
 * privilege_test.c: least privilege against the harness (`privilege_test
 * pg|my`). The harness's monitor-only account dbdeck_mon (PostgreSQL:
 * pg_monitor; MariaDB: PROCESS, SLAVE MONITOR and SHOW VIEW on app) is
 * enough for probing: every node up with its role, connection counts, a
 * replica's lag, and the operator's slow statement seen. A cancel through
 * it is refused by the server; with `admin_credential` naming the operator
 * account, the same cancel goes through the actions' own pool and succeeds,
 * while the probes and the pools stay on the monitor account.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/monitor.h"
#include "dbdeck/pool.h"
#include "itlib.h"
#include "tap.h"

static struct dd_harness H;
static const char *engine; /* "pg" or "my" */
static char *password;

/* "harness": the operator account; "harness-monitor": the monitor-only one. */
static int
credential(void *ctx, const char *name, const char **user, const char **pw)
{
	(void)ctx;
	if (strcmp(name, "harness") == 0)
		*user = H.user;
	else if (strcmp(name, "harness-monitor") == 0)
		*user = "dbdeck_mon";
	else
		return -1;
	*pw = password;
	return 0;
}

static struct dd_config *
config(bool admin)
{
	bool pg = strcmp(engine, "pg") == 0;
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[console]\nrefresh = 500ms\n\n[cluster c]\nengine = %s\n",
	    pg ? "postgresql" : "mariadb");
	fprintf(f, "nodes = %s1, %s2, %s3\ndatabase = %s\ncredential = harness-monitor\n", engine,
	    engine, engine, H.database);
	fprintf(f, "%sslow_query = 1s\npool_size = 4\nconnect_timeout = 2s\n",
	    admin ? "admin_credential = harness\n" : "");
	for (int i = 1; i <= 3; i++) {
		char node[8];
		snprintf(node, sizeof(node), "%s%d", engine, i);
		fprintf(f, "\n[node %s]\nhost = %s\nport = %d\n", node, H.host,
		    dd_harness_port(&H, node));
	}
	fclose(f);
	if (dd_config_load_buffer("/tmp/dbdeck-privilege-test.ini", text, len, &cfg, d) != 0) {
		dd_diags_print(d, stdout);
		bail_out("the test config does not load");
	}
	free(text);
	dd_diags_free(d);
	return cfg;
}

/* The current user of a connection of pool p, into buf. */
static void
user_of(struct dd_pool *p, char *buf, size_t len)
{
	struct dd_pooled *pc = NULL;
	struct dd_result *r = NULL;
	struct dd_db_error e;
	const char *v;

	snprintf(buf, len, "?");
	if (dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &pc, &e) != DD_POOL_OK)
		return;
	if (dd_pool_query(pc, "SELECT current_user", DD_POOL_DEFAULT_DEADLINE, &r, &e) == 0 &&
	    (v = dd_result_value(r, 0, 0)))
		snprintf(buf, len, "%s", v);
	dd_result_free(r);
	dd_pool_release(pc);
}

/* Whether current_user `got` is `want` (MariaDB adds "@host"). */
static bool
is_user(const char *got, const char *want)
{
	size_t n = strlen(want);

	return strncmp(got, want, n) == 0 && (got[n] == '\0' || got[n] == '@');
}

/* Waits for a snapshot where the three nodes are up with roles and a replica's lag. */
static bool
probed(struct dd_monitor *m, const struct dd_snapshot **out)
{
	for (int64_t t0 = it_now_ms(); it_now_ms() - t0 < 20000; usleep(200000)) {
		const struct dd_snapshot *s = dd_monitor_current(m);
		bool good = s && s->n_nodes == 3 && s->clusters[0].primary >= 0;
		for (int i = 0; good && i < 3; i++) {
			const struct dd_snap_node *n = &s->nodes[i];
			good = n->state == DD_NODE_UP && n->role != DD_ROLE_UNKNOWN &&
			       n->conn_used > 0 &&
			       (n->role != DD_ROLE_REPLICA || n->lag_s == n->lag_s);
		}
		if (good) {
			*out = s;
			return true;
		}
		dd_snapshot_unref(s);
	}
	return false;
}

/* The operator's sleep, marked with tag, in the background through the harness client. */
static pid_t
sleeper(const char *tag)
{
	bool pg = strcmp(engine, "pg") == 0;
	char node[8], sql[128];
	pid_t pid;

	snprintf(node, sizeof(node), "%s1", engine);
	/* The tag as a value: the mariadb client strips comments. */
	snprintf(
	    sql, sizeof(sql), "%s, '%s'", pg ? "select pg_sleep(20)" : "SELECT SLEEP(20)", tag);
	pid = it_spawn();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp("bash", "bash", H.script, pg ? "psql" : "mariadb", H.dir, node,
		    pg ? "-c" : "-e", sql, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The sleeper's statement as the monitor sees it, within 10 s. */
static bool
find_sleep(struct dd_monitor *m, const char *tag, struct dd_query_target *tg)
{
	for (int64_t t0 = it_now_ms(); it_now_ms() - t0 < 10000; usleep(200000)) {
		const struct dd_snapshot *s = dd_monitor_current(m);
		for (int i = 0; s && i < s->n_queries; i++) {
			if (strstr(s->queries[i].text, tag)) {
				dd_query_target_of(&s->queries[i], tg);
				dd_snapshot_unref(s);
				return true;
			}
		}
		dd_snapshot_unref(s);
	}
	return false;
}

static void
run(bool admin)
{
	const char *how = admin ? "with admin_credential" : "monitor account only";
	struct dd_config *cfg = config(admin);
	struct dd_monitor_options mo;
	const struct dd_snapshot *s = NULL;
	struct dd_query_target tg;
	struct dd_core *core;
	struct dd_monitor *m;
	struct dd_cluster *cl;
	char err[512], u1[64], u2[64];
	pid_t pid;
	int rc;

	if (!(core = dd_core_new(cfg, credential, NULL, err, sizeof(err))))
		bail_out("dd_core_new: %s", err);
	dd_monitor_options_default(&mo);
	if (!(m = dd_monitor_new(core, &mo, err, sizeof(err))))
		bail_out("dd_monitor_new: %s", err);
	ok(probed(m, &s), "%s: probing sees every node up, roles, connections and lag", how);
	dd_snapshot_unref(s);
	cl = dd_core_cluster_at(core, 0);
	user_of(dd_cluster_pool(cl, 0), u1, sizeof(u1));
	user_of(dd_cluster_admin_pool(cl, 0), u2, sizeof(u2));
	ok(is_user(u1, "dbdeck_mon"), "%s: the pools connect as the monitor account (%s)", how, u1);
	ok(dd_cluster_has_admin(cl) == admin && is_user(u2, admin ? H.user : "dbdeck_mon"),
	    "%s: actions connect as %s (%s)", how, admin ? "the operator" : "the monitor account",
	    u2);
	pid = sleeper(admin ? "privtest-admin" : "privtest-monitor");
	if (!ok(find_sleep(m, admin ? "privtest-admin" : "privtest-monitor", &tg),
	        "%s: the operator's slow statement is seen", how))
		bail_out("no slow statement");
	rc = dd_monitor_cancel_query(m, &tg, false, 0, err, sizeof(err));
	if (admin) {
		ok(rc == DD_CANCEL_OK, "%s: the cancel succeeds (%s)", how, rc ? err : "ok");
		rc = it_wait_child(pid, 5000);
		ok(rc >= 0, "%s: and the statement ends (client exit %d)", how, rc);
	} else {
		ok(rc == DD_CANCEL_FAILED, "%s: the cancel is refused by the server (%s)", how,
		    err);
		ok(it_wait_child(pid, 500) < 0, "%s: and the statement still runs", how);
		kill(-pid, SIGTERM);
		it_wait_child(pid, 5000);
	}
	dd_monitor_free(m);
	dd_core_shutdown(core, (it_now_ms() + 5000) * 1000000);
	dd_core_free(core);
	dd_config_free(cfg);
}

int
main(int argc, char **argv)
{
	engine = it_engine_arg(argc > 1 ? argv[1] : NULL, "privilege_test");
	password = it_harness_init(&H);
	it_arm(&H);
	run(false);
	run(true);
	it_password_free();
	return tap_done();
}
