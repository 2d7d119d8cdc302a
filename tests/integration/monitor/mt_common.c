/*
 * mt_common.c: see mt_common.h. A core and a monitor over both harness
 * clusters, snapshots read through the wake-up descriptor, fault injection
 * with undo at exit (atexit, and termination signals turned into exit), and
 * background children (write load, clients) killed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mt_common.h"
#include "tap.h"

#define MAX_UNDO 16
#define MAX_KIDS 8
#define NS_MS    INT64_C(1000000)

static struct {
	struct dd_harness h;
	bool armed;
	int n;
	char cmd[MAX_UNDO][32], node[MAX_UNDO][8], extra[MAX_UNDO][16];
	pid_t kids[MAX_KIDS];
	pid_t load;
} undo;
static char *secret; /* the harness password, sodium_malloc */

int64_t
mt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mt_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
kill_kids(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (undo.kids[i] > 0) {
			kill(-undo.kids[i], SIGTERM);
			waitpid(undo.kids[i], NULL, 0);
			undo.kids[i] = 0;
		}
}

static void
undo_all(void)
{
	mt_load_stop();
	kill_kids();
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
	signal(SIGPIPE, SIG_IGN);
	exit(1); /* atexit restores the harness */
}

static void
arm(const struct dd_harness *h)
{
	if (undo.armed)
		return;
	undo.h = *h;
	undo.armed = true;
	atexit(undo_all);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	signal(SIGPIPE, on_signal);
}

static int
credential(void *ctx, const char *name, const char **user, const char **password)
{
	struct mt *t = ctx;

	if (strcmp(name, "harness") != 0)
		return -1;
	*user = t->h.user;
	*password = secret;
	return 0;
}

static void
cluster_text(FILE *f, const struct mt *t, const char *engine, const char *extra)
{
	bool pg = strcmp(engine, "pg") == 0;

	fprintf(f, "\n[cluster %s]\nengine = %s\nnodes = %s1, %s2, %s3\n", engine,
	    pg ? "postgresql" : "mariadb", engine, engine, engine);
	fprintf(f, "database = %s\ncredential = harness\n", t->h.database);
	fprintf(f, "pool_size = 4\nmin_idle = 1\nmax_overflow = 2\nacquire_timeout = 2s\n"
	           "connect_timeout = 1s\nquery_timeout = 5s\nlag_max = 2s\nlag_critical = 30s\n"
	           "alert_lag_for = 3s\nbreaker_threshold = 3\nbreaker_recovery = 2s\n"
	           "liveness_idle = 1s\nslow_query = 1s\n");
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
load_config(struct mt *t, int64_t refresh_ms, const char *extra)
{
	struct dd_diags *d = dd_diags_new();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[console]\nrefresh = %lldms\n", (long long)refresh_ms);
	cluster_text(f, t, "pg", extra);
	cluster_text(f, t, "my", extra);
	fclose(f);
	if (dd_config_load_buffer("/tmp/dbdeck-monitor-test.ini", text, len, &t->cfg, d) != 0) {
		dd_diags_print(d, stdout);
		bail_out("the test config does not load");
	}
	free(text);
	dd_diags_free(d);
}

static void
load_secret(struct mt *t)
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
mt_setup(struct mt *t, int64_t refresh_ms, const char *extra_keys)
{
	struct dd_monitor_options mo;
	const struct dd_snapshot *s = NULL;
	int64_t t0;
	char err[512];

	memset(t, 0, sizeof(*t));
	if (dd_harness_load(&t->h, err, sizeof(err)) != 0)
		bail_out("no harness: %s", err);
	arm(&t->h);
	load_secret(t);
	load_config(t, refresh_ms, extra_keys);
	t->core = dd_core_new(t->cfg, credential, t, err, sizeof(err));
	if (t->core == NULL)
		bail_out("dd_core_new: %s", err);
	dd_monitor_options_default(&mo);
	mo.retry_optional_ms = 2000;
	mo.statements_every_ms = 2000;
	t->m = dd_monitor_new(t->core, &mo, err, sizeof(err));
	if (t->m == NULL)
		bail_out("dd_monitor_new: %s", err);
	for (t0 = mt_now_ms(); mt_now_ms() - t0 < 20000;) {
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
	dd_core_shutdown(t->core, mt_now_ms() * NS_MS + 5000 * NS_MS);
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

void
mt_fault(struct mt *t, const char *cmd, const char *node, const char *extra, const char *undo_cmd,
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
mt_undo(struct mt *t, const char *undo_cmd, const char *node)
{
	for (int i = undo.n - 1; i >= 0; i--) {
		if (strcmp(undo.cmd[i], undo_cmd) != 0 || strcmp(undo.node[i], node) != 0)
			continue;
		int rc = undo.extra[i][0]
		             ? dd_harness_run(&t->h, "%s %s %s", undo_cmd, node, undo.extra[i])
		             : dd_harness_run(&t->h, "%s %s", undo_cmd, node);
		if (rc != 0)
			diag("harness %s %s: exit %d", undo_cmd, node, rc);
		for (int j = i; j < undo.n - 1; j++) {
			memcpy(undo.cmd[j], undo.cmd[j + 1], sizeof(undo.cmd[0]));
			memcpy(undo.node[j], undo.node[j + 1], sizeof(undo.node[0]));
			memcpy(undo.extra[j], undo.extra[j + 1], sizeof(undo.extra[0]));
		}
		undo.n--;
		return;
	}
}

void
mt_load_start(struct mt *t, const char *engine, int seconds, int rate)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		setpgid(0, 0);
		_exit(dd_harness_run(&t->h, "load %s %d %d", engine, seconds, rate));
	}
	setpgid(pid, pid);
	undo.load = pid;
}

void
mt_load_stop(void)
{
	if (undo.load <= 0)
		return;
	kill(-undo.load, SIGTERM);
	waitpid(undo.load, NULL, 0);
	undo.load = 0;
}

static void
kid_add(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (undo.kids[i] <= 0) {
			undo.kids[i] = pid;
			return;
		}
}

static void
kid_forget(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (undo.kids[i] == pid)
			undo.kids[i] = 0;
}

pid_t
mt_client_start(struct mt *t, const char *client, const char *node, const char *sql,
    const char *sql2, const char *errfile)
{
	bool pg = strcmp(client, "psql") == 0;
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		setpgid(0, 0);
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
	setpgid(pid, pid);
	kid_add(pid);
	return pid;
}

int
mt_wait_child(pid_t pid, int64_t timeout_ms)
{
	int64_t t0 = mt_now_ms();
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			kid_forget(pid);
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (mt_now_ms() - t0 > timeout_ms)
			return -1;
		usleep(50000);
	}
}

int
mt_sql(struct mt *t, const char *client, const char *node, const char *sql)
{
	return mt_wait_child(mt_client_start(t, client, node, sql, NULL, NULL), 30000);
}
