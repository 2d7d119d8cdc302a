/*
 * bench_bouncer.c: a private PgBouncer for the benchmark (bench_bouncer.h).
 *
 * Everything lives in a fresh 0700 temp directory owned by the account that
 * runs pgbouncer: the ini, the userlist (0600; the only place the password is
 * written, wiped with the directory at the end) and the log. PgBouncer
 * refuses to run as root, so as root it is started through runuser as the
 * harness's unprivileged account. The child leads its own process group so
 * that stopping it reaches pgbouncer behind runuser too.
 */
#include "bench_bouncer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static const char *const dir_files[] = {"pgbouncer.ini", "userlist.txt", "pgbouncer.log"};
_Static_assert(DD_ARRAY_LEN(dir_files) == DD_ARRAY_LEN(((struct bouncer *)0)->files),
    "struct bouncer has a path per file");

static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool
port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool up;

	if (fd < 0)
		return false;
	up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return up;
}

/* Opens dir/name for writing, mode 0600, owned by uid/gid when we are root. */
static int
open_owned(const struct bouncer *b, const char *name, uid_t uid, gid_t gid)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && geteuid() == 0 && fchown(fd, uid, gid) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Writes `"user" "password"` with '"' doubled, straight from the caller's buffer. */
static bool
write_userlist(int fd, const char *user, const char *password)
{
	bool ok = write_all(fd, "\"", 1) && write_all(fd, user, strlen(user)) &&
	          write_all(fd, "\" \"", 3);

	for (const char *p = password; ok && *p; p++)
		ok = write_all(fd, p, 1) && (*p != '"' || write_all(fd, "\"", 1));
	return ok && write_all(fd, "\"\n", 2);
}

static bool
write_ini(int fd, const struct bouncer *b, int pg_port, const char *database, const int *sizes,
    size_t nsizes)
{
	char *s = xasprintf("[databases]\n");
	bool ok = write_all(fd, s, strlen(s));

	free(s);
	for (size_t i = 0; ok && i < nsizes; i++) {
		s = xasprintf("%s_t%d = host=127.0.0.1 port=%d dbname=%s pool_size=%d\n", database,
		    sizes[i], pg_port, database, sizes[i]);
		ok = write_all(fd, s, strlen(s));
		free(s);
	}
	if (!ok)
		return false;
	s = xasprintf("[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = %d\n"
	              "unix_socket_dir =\nauth_type = scram-sha-256\nauth_file = %s/userlist.txt\n"
	              "pool_mode = transaction\ndefault_pool_size = %d\nmax_client_conn = 200\n"
	              "logfile = %s/pgbouncer.log\nlog_connections = 0\nlog_disconnections = 0\n"
	              "ignore_startup_parameters = extra_float_digits\n",
	    b->port, b->dir, sizes[nsizes - 1], b->dir);
	ok = write_all(fd, s, strlen(s));
	free(s);
	return ok;
}

static pid_t
spawn(const struct bouncer *b, const char *runas)
{
	char ini[512];
	pid_t pid;

	snprintf(ini, sizeof(ini), "%s/pgbouncer.ini", b->dir);
	pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
	}
	if (geteuid() == 0)
		execlp(
		    "runuser", "runuser", "-u", runas, "--", "pgbouncer", "-q", ini, (char *)NULL);
	else
		execlp("pgbouncer", "pgbouncer", "-q", ini, (char *)NULL);
	_exit(127);
}

__attribute__((format(printf, 4, 5))) static int
fail(struct bouncer *b, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	bouncer_stop(b);
	return -1;
}

static int
wait_up(struct bouncer *b, char *err, size_t errlen)
{
	for (int i = 0; i < 100; i++) {
		int status;
		if (port_open(b->port))
			return 0;
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			b->pid = 0;
			return fail(b, err, errlen, "pgbouncer exited at start (see its log)");
		}
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
	}
	return fail(b, err, errlen, "pgbouncer did not listen within 5 s");
}

int
bouncer_start(struct bouncer *b, int pg_port, const char *database, const char *user,
    const char *password, const int *sizes, size_t nsizes, const char *runas, char *err,
    size_t errlen)
{
	struct passwd *pw = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	int fd;
	bool ok;

	memset(b, 0, sizeof(*b));
	if (geteuid() == 0) {
		if (!(pw = getpwnam(runas)))
			return fail(b, err, errlen, "no account %s to run pgbouncer", runas);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	dd_strlcpy(b->dir, "/tmp/dbdeck-bouncer.XXXXXX", sizeof(b->dir));
	if (!mkdtemp(b->dir))
		return fail(b, err, errlen, "mkdtemp: %s", strerror(errno));
	for (size_t i = 0; i < DD_ARRAY_LEN(dir_files); i++)
		snprintf(b->files[i], sizeof(b->files[i]), "%s/%s", b->dir, dir_files[i]);
	if (geteuid() == 0 && chown(b->dir, uid, gid) != 0)
		return fail(b, err, errlen, "chown %s: %s", b->dir, strerror(errno));
	if ((b->port = free_port()) < 0)
		return fail(b, err, errlen, "no free port");
	if ((fd = open_owned(b, "userlist.txt", uid, gid)) < 0)
		return fail(b, err, errlen, "userlist: %s", strerror(errno));
	ok = write_userlist(fd, user, password);
	close(fd);
	if (!ok || (fd = open_owned(b, "pgbouncer.ini", uid, gid)) < 0)
		return fail(b, err, errlen, "writing the config failed");
	ok = write_ini(fd, b, pg_port, database, sizes, nsizes);
	close(fd);
	if (!ok || (fd = open_owned(b, "pgbouncer.log", uid, gid)) < 0)
		return fail(b, err, errlen, "writing the config failed");
	close(fd);
	if ((b->pid = spawn(b, runas)) < 0) {
		b->pid = 0;
		return fail(b, err, errlen, "fork: %s", strerror(errno));
	}
	return wait_up(b, err, errlen);
}

static void
reap(pid_t pid, int sig)
{
	for (int i = 0; i < 40; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		if (i == 0)
			kill(-pid, sig);
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Overwrites the userlist with zeros before it is unlinked. */
static void
wipe_userlist(const struct bouncer *b)
{
	char path[512], zero[256] = {0};
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/userlist.txt", b->dir);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	if (fstat(fd, &st) == 0)
		for (off_t left = st.st_size; left > 0; left -= (off_t)sizeof(zero))
			if (!write_all(
			        fd, zero, left < (off_t)sizeof(zero) ? (size_t)left : sizeof(zero)))
				break;
	fsync(fd);
	close(fd);
}

void
bouncer_stop(struct bouncer *b)
{
	char path[512];

	if (b->pid > 0) {
		reap(b->pid, SIGTERM);
		b->pid = 0;
	}
	if (!b->dir[0])
		return;
	wipe_userlist(b);
	for (size_t i = 0; i < DD_ARRAY_LEN(dir_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", b->dir, dir_files[i]);
		unlink(path);
	}
	rmdir(b->dir);
	b->dir[0] = '\0';
}

void
bouncer_stop_on_signal(struct bouncer *b)
{
	if (b->pid > 0)
		reap(b->pid, SIGTERM);
	if (!b->dir[0])
		return;
	for (size_t i = 0; i < DD_ARRAY_LEN(dir_files); i++)
		unlink(b->files[i]);
	rmdir(b->dir);
}
