/*
 * itlib.c: see itlib.h. One process-wide registry (the undos, the load, the
 * children, the harness they run against) that an atexit handler empties;
 * termination signals are turned into exit(1) so that it runs then too.
 */
#define _POSIX_C_SOURCE 200809L

#include "itlib.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbdeck/util.h"
#include "tap.h"

#define MAX_UNDO     16
#define MAX_KIDS     8
#define PASSWORD_MAX 512

struct undo {
	char cmd[32], node[8], extra[16]; /* extra "" for none */
};

static struct {
	struct dd_harness h; /* copied by it_arm: what the undos run against */
	bool armed;
	int n;
	struct undo undo[MAX_UNDO];
	pid_t kids[MAX_KIDS];
	pid_t load;
} reg;
static char *secret; /* the harness password, sodium_malloc */

int64_t
it_now_ms(void)
{
	return dd_now_mono_ns() / 1000000;
}

int64_t
it_wall_ms(void)
{
	return dd_now_wall_ms();
}

double
it_ms_since(int64_t t0)
{
	return (double)(dd_now_mono_ns() - t0) / 1e6;
}

const char *
it_engine_arg(const char *arg, const char *prog)
{
	if (!arg || (strcmp(arg, "pg") != 0 && strcmp(arg, "my") != 0))
		bail_out("usage: %s pg|my", prog);
	return arg;
}

/* --- the registry, emptied at exit ---------------------------------------- */

static int
run_undo(const struct dd_harness *h, const struct undo *u)
{
	if (u->extra[0])
		return dd_harness_run(h, "%s %s %s", u->cmd, u->node, u->extra);
	return dd_harness_run(h, "%s %s", u->cmd, u->node);
}

static void
kill_kids(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (reg.kids[i] > 0) {
			kill(-reg.kids[i], SIGTERM);
			waitpid(reg.kids[i], NULL, 0);
			reg.kids[i] = 0;
		}
}

static void
undo_all(void)
{
	it_load_stop();
	kill_kids();
	while (reg.n > 0)
		run_undo(&reg.h, &reg.undo[--reg.n]);
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

void
it_arm(const struct dd_harness *h)
{
	if (reg.armed)
		return;
	reg.h = *h;
	reg.armed = true;
	atexit(undo_all);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	signal(SIGPIPE, on_signal); /* e.g. output piped into head */
}

void
it_fault(const struct dd_harness *h, const char *cmd, const char *node, const char *extra,
    const char *undo_cmd, const char *undo_extra)
{
	int rc;

	it_arm(h);
	if (reg.n < MAX_UNDO) {
		struct undo *u = &reg.undo[reg.n];

		snprintf(u->cmd, sizeof(u->cmd), "%s", undo_cmd);
		snprintf(u->node, sizeof(u->node), "%s", node);
		snprintf(u->extra, sizeof(u->extra), "%s", undo_extra ? undo_extra : "");
		reg.n++;
	}
	rc = extra ? dd_harness_run(h, "%s %s %s", cmd, node, extra)
	           : dd_harness_run(h, "%s %s", cmd, node);
	if (rc != 0)
		bail_out("harness %s %s failed (%d)", cmd, node, rc);
}

void
it_undo(const struct dd_harness *h, const char *undo_cmd, const char *node)
{
	for (int i = reg.n - 1; i >= 0; i--) {
		if (strcmp(reg.undo[i].cmd, undo_cmd) != 0 || strcmp(reg.undo[i].node, node) != 0)
			continue;
		int rc = run_undo(h, &reg.undo[i]);
		if (rc != 0)
			diag("harness %s %s: exit %d", undo_cmd, node, rc);
		memmove(
		    &reg.undo[i], &reg.undo[i + 1], (size_t)(reg.n - i - 1) * sizeof(reg.undo[0]));
		reg.n--;
		return;
	}
}

/* fork() into a new process group (set on both sides, whichever runs first). */
static pid_t
fork_group(void)
{
	pid_t pid;

	fflush(NULL); /* or the child's stdio would write the parent's buffers again */
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0)
		setpgid(0, 0);
	else
		setpgid(pid, pid);
	return pid;
}

void
it_load_start(const struct dd_harness *h, const char *engine, int seconds, int rate)
{
	pid_t pid;

	it_arm(h);
	pid = fork_group();
	if (pid == 0)
		_exit(dd_harness_run(h, "load %s %d %d", engine, seconds, rate));
	reg.load = pid;
}

void
it_load_stop(void)
{
	if (reg.load <= 0)
		return;
	kill(-reg.load, SIGTERM);
	waitpid(reg.load, NULL, 0);
	reg.load = 0;
}

pid_t
it_spawn(void)
{
	pid_t pid = fork_group();

	for (int i = 0; pid > 0 && i < MAX_KIDS; i++)
		if (reg.kids[i] <= 0) {
			reg.kids[i] = pid;
			break;
		}
	return pid;
}

static void
kid_forget(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (reg.kids[i] == pid)
			reg.kids[i] = 0;
}

int
it_wait_child(pid_t pid, int64_t timeout_ms)
{
	int64_t t0 = it_now_ms();
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
		if (it_now_ms() - t0 > timeout_ms)
			return -1;
		usleep(50000);
	}
}

/* --- the password ----------------------------------------------------------- */

char *
it_password(const struct dd_harness *h)
{
	char err[256];

	if (secret != NULL)
		return secret;
	if (sodium_init() < 0)
		bail_out("libsodium cannot initialise");
	if (!(secret = sodium_malloc(PASSWORD_MAX)))
		bail_out("sodium_malloc failed");
	if (dd_harness_password(h, secret, PASSWORD_MAX, err, sizeof(err)) < 0)
		bail_out("harness password: %s", err);
	return secret;
}

char *
it_harness_init(struct dd_harness *h)
{
	char err[256];

	if (dd_harness_load(h, err, sizeof(err)) < 0)
		bail_out("harness: %s (set DD_HARNESS_ENV)", err);
	return it_password(h);
}

void
it_password_free(void)
{
	if (secret)
		sodium_free(secret); /* wipes it */
	secret = NULL;
}

int
it_credential(void *ctx, const char *name, const char **user, const char **password)
{
	const struct dd_harness *h = ctx;

	if (strcmp(name, "harness") != 0)
		return -1;
	*user = h->user;
	*password = secret;
	return 0;
}
