/*
 * fo_hook.c: the site's hooks (fence_command, rejoin_command), run without a
 * shell (failover.h, docs/switchover.md "The hook interface").
 *
 * The command is split into argv once, when the plan is made
 * (dd_fo_hook_split: blanks separate words, '...' and "..." group them,
 * nothing else is special), so a value from the configuration can never
 * become shell syntax, and nothing from a server reaches argv at all. The
 * hook runs in a process group of its own, with stdin /dev/null, stdout and
 * stderr on one pipe read into the job's log, every other descriptor
 * closed, and an environment of exactly the DBDECK_* variables and PATH.
 * At hook_timeout (or a cancel) the group gets SIGTERM, then SIGKILL two
 * seconds later.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failover/fo_int.h"
#include "util/util.h"

#define KILL_GRACE_NS  INT64_C(2000000000)
#define DRAIN_GRACE_NS INT64_C(300000000)
#define DEFAULT_PATH   "/usr/local/bin:/usr/bin:/bin"
#define HOOK_MAX_WORDS 64
#define HOOK_ENV_VARS  9

void
dd_fo_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* Reads one word at *sp into w (cmd-sized); returns 1 word, 0 end, -1 error. */
static int
split_word(const char **sp, char *w, char *err, size_t errlen)
{
	const char *s = *sp;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
	while (*s && *s != ' ' && *s != '\t') {
		char q = *s;
		if (q == '\'' || q == '"') {
			for (s++; *s && *s != q; s++) {
				if (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				w[n++] = *s;
			}
			if (*s != q) {
				dd_seterr(err, errlen, "unterminated %c quote", q);
				return -1;
			}
			s++;
		} else if (q == '\\' && s[1]) {
			w[n++] = s[1];
			s += 2;
		} else {
			w[n++] = *s++;
		}
	}
	w[n] = '\0';
	*sp = s;
	return 1;
}

int
dd_fo_hook_split(const char *cmd, char ***argv, char *err, size_t errlen)
{
	char **v = xcalloc(HOOK_MAX_WORDS + 1, sizeof(*v));
	char *w = xmalloc(strlen(cmd) + 1);
	const char *s = cmd;
	int n = 0, rc;

	*argv = NULL;
	while ((rc = split_word(&s, w, err, errlen)) == 1) {
		if (n == HOOK_MAX_WORDS) {
			dd_seterr(err, errlen, "more than %d words", HOOK_MAX_WORDS);
			rc = -1;
			break;
		}
		v[n++] = xstrdup(w);
	}
	free(w);
	if (rc == 0 && n == 0) {
		dd_seterr(err, errlen, "empty command");
		rc = -1;
	}
	if (rc < 0) {
		dd_fo_argv_free(v);
		return -1;
	}
	*argv = v;
	return n;
}

/* The executable: argv0 when it has a '/', else the first match on PATH. */
static char *
resolve(const char *argv0, const char *path)
{
	const char *p = path, *colon;

	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	while (*p) {
		colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)len, len ? p : ".", argv0);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len + (colon ? 1 : 0);
	}
	return NULL;
}

/* The hook's environment (new strings; free each and the array). */
static char **
hook_env(const struct dd_fo_plan *p, int node, int primary, const char *path)
{
	const struct dd_node_config *n = p->nodes[node].nc;
	const struct dd_node_config *pr = primary >= 0 ? p->nodes[primary].nc : NULL;
	char **env = xcalloc(HOOK_ENV_VARS + 1, sizeof(*env));
	int i = 0;

	env[i++] = xasprintf("DBDECK_ACTION=%s", dd_fo_action_name(p->action));
	env[i++] = xasprintf("DBDECK_CLUSTER=%s", p->cc->name);
	env[i++] = xasprintf("DBDECK_NODE=%s", n->name);
	env[i++] = xasprintf("DBDECK_NODE_HOST=%s", n->host);
	env[i++] = xasprintf("DBDECK_NODE_PORT=%d", n->port);
	env[i++] = xasprintf("DBDECK_PRIMARY=%s", pr ? pr->name : "");
	env[i++] = xasprintf("DBDECK_PRIMARY_HOST=%s", pr ? pr->host : "");
	env[i++] = xasprintf("DBDECK_PRIMARY_PORT=%d", pr ? pr->port : 0);
	env[i++] = xasprintf("PATH=%s", path);
	return env;
}

/* In the child: only async-signal-safe calls from here to execve. */
static void __attribute__((noreturn))
child(const char *exe, char **argv, char **env, int out_fd, int null_fd)
{
	setpgid(0, 0);
	if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	execve(exe, argv, env);
	_exit(127);
}

struct hook_wait {
	pid_t pid;
	int fd;
	int status;
	bool exited, timed_out, cancelled;
};

/* Reads the pipe into the job log until the child is gone (or killed). */
static void
pump(struct dd_fo_plan *p, struct hook_wait *w, int64_t deadline)
{
	char buf[4096];
	int64_t kill_at = 0, drain_until = 0, now;

	for (;;) {
		now = dd_now_mono_ns();
		if (!w->exited && waitpid(w->pid, &w->status, WNOHANG) == w->pid) {
			w->exited = true;
			drain_until = now + DRAIN_GRACE_NS;
		}
		if (w->exited && (w->fd < 0 || now >= drain_until))
			return;
		if (!w->exited && kill_at == 0 &&
		    (now >= deadline || (p->job && dd_job_cancelled(p->job)))) {
			w->timed_out = now >= deadline;
			w->cancelled = !w->timed_out;
			kill(-w->pid, SIGTERM);
			kill_at = now + KILL_GRACE_NS;
		} else if (kill_at && now >= kill_at) {
			kill(-w->pid, SIGKILL);
			kill_at = INT64_MAX;
		}
		if (w->fd < 0) {
			usleep(20000);
			continue;
		}
		struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t r = read(w->fd, buf, sizeof(buf));
			if (r > 0 && p->job)
				dd_job_log_write(p->job, buf, (size_t)r);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				close(w->fd);
				w->fd = -1;
			}
		}
	}
}

static void
describe_end(const struct hook_wait *w, const char *what, int64_t ms, char *err, size_t len)
{
	if (w->timed_out)
		dd_seterr(err, len, "%s timed out after %.1f s (killed)", what, (double)ms / 1000);
	else if (w->cancelled)
		dd_seterr(err, len, "%s cancelled (killed)", what);
	else if (WIFEXITED(w->status) && WEXITSTATUS(w->status) == 127)
		dd_seterr(err, len, "%s could not be started (exit 127)", what);
	else if (WIFEXITED(w->status))
		dd_seterr(err, len, "%s exited %d", what, WEXITSTATUS(w->status));
	else if (WIFSIGNALED(w->status))
		dd_seterr(err, len, "%s killed by signal %d", what, WTERMSIG(w->status));
}

static void
free_env(char **env)
{
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

int
fo_hook_run(struct dd_fo_plan *p, char **argv, int node, int primary, char *err, size_t len)
{
	const char *path = getenv("PATH");
	const char *what = argv == p->fence_argv ? "fence_command" : "rejoin_command";
	struct hook_wait w = {.fd = -1};
	int pipefd[2], null_fd, rc = -1;
	int64_t start = dd_now_mono_ns();
	char *exe;
	char **env;

	if (path == NULL || !path[0])
		path = DEFAULT_PATH;
	exe = resolve(argv[0], path);
	if (exe == NULL) {
		dd_seterr(err, len, "%s: %s not found on PATH", what, argv[0]);
		return -1;
	}
	env = hook_env(p, node, primary, path);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		dd_seterr(err, len, "%s: %s", what, strerror(errno));
		goto out;
	}
	w.pid = fork();
	if (w.pid == 0)
		child(exe, argv, env, pipefd[1], null_fd);
	close(pipefd[1]);
	if (w.pid < 0) {
		dd_seterr(err, len, "%s: fork: %s", what, strerror(errno));
		close(pipefd[0]);
		goto out;
	}
	setpgid(w.pid, w.pid); /* also here, so the group exists before any kill */
	w.fd = pipefd[0];
	fo_log(p, "%s: %s started (pid %d) for %s", what, exe, (int)w.pid, fo_name(p, node));
	pump(p, &w, start + p->cc->hook_timeout_ms * 1000000);
	if (!w.exited)
		waitpid(w.pid, &w.status, 0);
	if (p->job)
		dd_job_log_write(p->job, "", 0);
	if (w.fd >= 0)
		close(w.fd);
	if (!w.timed_out && !w.cancelled && WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0)
		rc = 0;
	else
		describe_end(&w, what, (dd_now_mono_ns() - start) / 1000000, err, len);
	fo_log(p, "%s: %s after %.1f s", what, rc == 0 ? "exit 0" : err,
	    (double)(dd_now_mono_ns() - start) / 1e9);
out:
	if (null_fd >= 0)
		close(null_fd);
	free_env(env);
	free(exe);
	return rc;
}
