/*
 * spawn.c: the child tools of the backup module (pg_dump, pg_restore,
 * mariadb-dump, mariadb). Each runs without a shell (fork + execve of an
 * absolute path found on $PATH beforehand), in its own session with no
 * terminal (stdin /dev/null or dbdeck's pipe), with an environment built by
 * the engine table (nothing of dbdeck's own), every descriptor closed but its
 * three streams and the password file, and it dies with dbdeck
 * (PR_SET_PDEATHSIG). The password file is a 0600 memfd: the tool opens
 * /proc/self/fd/3, so the password is in no argv, no environment and no file
 * on any disk, and it is gone when the last descriptor closes. stderr is read
 * as it comes, one sanitized line at a time, into the log hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "dbdeck/text.h"
#include "util/util.h"

#define KILL_GRACE_NS INT64_C(2000000000)
#define PIPE_BYTES    (1024 * 1024)

void
bk_argv_add(struct bk_argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
bk_argv_addf(struct bk_argv *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	bk_argv_add(a, s);
	free(s);
}

void
bk_argv_free(struct bk_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int
bk_pwfile(const char *text, size_t len, char *err, size_t errlen)
{
	int fd = memfd_create("dbdeck-password", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		dd_seterr(
		    err, errlen, "cannot make the in-memory password file: %s", strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		dd_seterr(
		    err, errlen, "cannot write the in-memory password file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

bool
bk_find_tool(const char *tool, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	bool found = false;

	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		if (*d != '/')
			continue; /* a relative PATH entry is never trusted */
		if ((size_t)snprintf(out, len, "%s/%s", d, tool) < len && access(out, X_OK) == 0)
			found = true;
	}
	free(dirs);
	return found;
}

/* ---- the child side: only async-signal-safe calls until execve ---------- */

static void
child_close_rest(void)
{
	if (syscall(SYS_close_range, BK_PWFD + 1, ~0U, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (int fd = BK_PWFD + 1; fd < (max > 0 ? max : 1024); fd++)
		close(fd);
}

static void
child_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL); /* SIGPIPE and SIGXFSZ must not stay ignored */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static __attribute__((noreturn)) void
child_exec(const char *path, char *const argv[], char *const envp[], const int fds[3], int pwfd,
    pid_t parent)
{
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(127);
	if (pwfd >= 0 && pwfd != BK_PWFD && dup2(pwfd, BK_PWFD) < 0)
		_exit(127);
	if (pwfd == BK_PWFD)
		fcntl(BK_PWFD, F_SETFD, 0);
	child_close_rest();
	child_signals();
	execve(path, argv, envp);
	_exit(127);
}

/* ---- the parent side ------------------------------------------------------ */

static int
make_pipes(int data[2], int errp[2], int *devnull, char *err, size_t errlen)
{
	data[0] = data[1] = errp[0] = errp[1] = -1;
	*devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (*devnull < 0 || pipe2(data, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		dd_seterr(err, errlen, "cannot make pipes for the tool: %s", strerror(errno));
		return -1;
	}
	fcntl(data[0], F_SETPIPE_SZ, PIPE_BYTES); /* fewer wake-ups; best effort */
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
bk_spawn(const char *path, char *const argv[], char *const envp[], int pwfd, enum bk_io io,
    const struct dd_backup_hooks *hooks, struct bk_child *c, char *err, size_t errlen)
{
	int data[2], errp[2], devnull, fds[3];
	pid_t parent = getpid();

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->data_fd = c->err_fd = -1;
	c->hooks = hooks;
	const char *base = strrchr(path, '/');
	dd_strlcpy(c->name, base ? base + 1 : path, sizeof(c->name));
	if (make_pipes(data, errp, &devnull, err, errlen) != 0)
		goto fail;
	fds[0] = io == BK_IO_WRITE ? data[0] : devnull;
	fds[1] = io == BK_IO_WRITE ? errp[1] : data[1];
	fds[2] = errp[1];
	c->pid = fork();
	if (c->pid == 0)
		child_exec(path, argv, envp, fds, pwfd, parent);
	if (c->pid < 0) {
		dd_seterr(err, errlen, "cannot start %s: %s", c->name, strerror(errno));
		goto fail;
	}
	c->data_fd = io == BK_IO_WRITE ? data[1] : data[0];
	c->err_fd = errp[0];
	close_fd(io == BK_IO_WRITE ? &data[0] : &data[1]);
	close_fd(&errp[1]);
	close_fd(&devnull);
	fcntl(c->data_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&data[i]);
		close_fd(&errp[i]);
	}
	close_fd(&devnull);
	return -1;
}

/* One complete stderr line: sanitized, logged, remembered when not blank. */
static void
err_line(struct bk_child *c, const char *line, size_t len)
{
	char clean[300];

	dd_text_sanitize(clean, sizeof(clean), line, len, 240, DD_TEXT_UTF8);
	if (!clean[0])
		return;
	dd_strlcpy(c->last_err, clean, sizeof(c->last_err));
	bk_log(c->hooks, "[%s] %s", c->name, clean);
}

static void
err_feed(struct bk_child *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || c->errlen == sizeof(c->errbuf)) {
			err_line(c, c->errbuf, c->errlen);
			c->errlen = 0;
			if (buf[i] == '\n')
				continue;
		}
		c->errbuf[c->errlen++] = buf[i];
	}
}

int
bk_child_drain_err(struct bk_child *c)
{
	char buf[4096];

	if (c->err_fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(c->err_fd, buf, sizeof(buf));
		if (n > 0) {
			err_feed(c, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (c->errlen)
			err_line(c, c->errbuf, c->errlen);
		c->errlen = 0;
		close_fd(&c->err_fd);
		return -1;
	}
}

static void
status_message(const struct bk_child *c, int status, char *err, size_t errlen)
{
	if (WIFSIGNALED(status))
		dd_seterr(err, errlen, "%s was killed by signal %d (%s)", c->name, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 127 && !c->last_err[0])
		dd_seterr(err, errlen, "%s could not be started", c->name);
	else
		dd_seterr(err, errlen, "%s exited with status %d%s%s", c->name, WEXITSTATUS(status),
		    c->last_err[0] ? ": " : "", c->last_err);
}

/* waitpid with WNOHANG, retried on EINTR: 1 reaped, 0 still running. */
static int
reap(struct bk_child *c, int *status)
{
	pid_t r;

	do
		r = waitpid(c->pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->pid = -1;
		return 1;
	}
	return 0;
}

/*
 * A descriptor that becomes readable when the child exits (pidfd_open), or
 * -1 (an old kernel): then the wait below polls in short steps. Without it a
 * child whose stderr was already at EOF cost a whole poll period (100 ms)
 * after every dump.
 */
static int
exit_fd(const struct bk_child *c)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, c->pid, 0);
#else
	(void)c;
	return -1;
#endif
}

int
bk_child_finish(struct bk_child *c, char *err, size_t errlen)
{
	int status = 0, xfd = c->pid > 0 ? exit_fd(c) : -1;

	close_fd(&c->data_fd);
	while (c->pid > 0) {
		bk_child_drain_err(c);
		if (reap(c, &status))
			break;
		if (bk_cancelled(c->hooks)) {
			close_fd(&xfd);
			bk_child_kill(c);
			bk_cancel_message(c->hooks, err, errlen);
			return DD_BACKUP_CANCELLED;
		}
		struct pollfd p[2] = {
		    {.fd = c->err_fd, .events = POLLIN}, {.fd = xfd, .events = POLLIN}};
		poll(p, 2, xfd >= 0 || c->err_fd >= 0 ? 100 : 5); /* a negative fd is ignored */
	}
	close_fd(&xfd);
	bk_child_drain_err(c);
	close_fd(&c->err_fd);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	status_message(c, status, err, errlen);
	return -1;
}

void
bk_child_kill(struct bk_child *c)
{
	int status;
	int64_t until = dd_now_mono_ns() + KILL_GRACE_NS;

	close_fd(&c->data_fd);
	if (c->pid > 0) {
		kill(-c->pid, SIGTERM);
		kill(c->pid, SIGTERM);
		while (!reap(c, &status) && dd_now_mono_ns() < until) {
			bk_child_drain_err(c);
			nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
		}
	}
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
	}
	close_fd(&c->err_fd);
}

int
bk_tool_version_start(const char *path, struct bk_child *c)
{
	char *argv[] = {(char *)path, (char *)"--version", NULL};
	char *envp[] = {(char *)"LC_ALL=C", (char *)"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
	static const struct dd_backup_hooks quiet = {0};
	char err[128];

	return bk_spawn(path, argv, envp, -1, BK_IO_READ, &quiet, c, err, sizeof(err));
}

void
bk_tool_version_finish(struct bk_child *c, char *out, size_t len)
{
	char buf[512], err[128];
	size_t got = 0;

	out[0] = '\0';
	fcntl(c->data_fd, F_SETFL, 0); /* blocking: a few bytes, then EOF */
	for (ssize_t n; got < sizeof(buf) - 1; got += (size_t)n) {
		n = read(c->data_fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (bk_child_finish(c, err, sizeof(err)) == 0)
		dd_text_sanitize(out, len, buf, strlen(buf), (int)len - 1, 0);
}

int
bk_cancelled(const struct dd_backup_hooks *h)
{
	int v = h && h->cancel ? atomic_load(h->cancel) : 0;

	if (!v && h && h->cancelled && h->cancelled(h->ctx))
		v = -1; /* not a signal: "cancelled" */
	return v;
}

void
bk_cancel_message(const struct dd_backup_hooks *h, char *err, size_t errlen)
{
	int sig = bk_cancelled(h);

	if (sig > 0 && sig < NSIG && sigabbrev_np(sig))
		dd_seterr(err, errlen, "interrupted by SIG%s", sigabbrev_np(sig));
	else
		dd_seterr(err, errlen, "cancelled");
}

void
bk_log(const struct dd_backup_hooks *h, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!h || !h->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->log(h->ctx, line);
}
