/*
 * harness.c: reads the test harness's env file and runs harness commands
 * for the C integration tests (see harness.h). The env file is written by
 * tests/harness/harness.sh, one `export NAME=value` per line, values without
 * quotes or spaces; this parser also accepts plain `NAME=value` lines and
 * one pair of surrounding quotes, and ignores names it does not know.
 */
#define _POSIX_C_SOURCE 200809L

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MAX_ARGS 32

/* The string fields of struct dd_harness, by the name that sets them. */
struct str_field {
	const char *name;
	size_t off;
	size_t size;
};

#define STR_FIELD(n, m)                                                                            \
	{                                                                                          \
		n, offsetof(struct dd_harness, m), sizeof(((struct dd_harness *)0)->m)             \
	}

static const struct str_field str_fields[] = {
    STR_FIELD("DD_HARNESS_DIR", dir),
    STR_FIELD("DD_HARNESS", script),
    STR_FIELD("DD_PASSWORD_FILE", password_file),
    STR_FIELD("DD_PG_SOCKET_DIR", pg_socket_dir),
    STR_FIELD("DD_HOST", host),
    STR_FIELD("DD_USER", user),
    STR_FIELD("DD_DATABASE", database),
    STR_FIELD("DD_TLS_CA", tls_ca),
    STR_FIELD("DD_TLS_OTHER_CA", tls_other_ca),
};

#define N_STR_FIELDS (sizeof(str_fields) / sizeof(str_fields[0]))

static const char *const port_names[6] = {
    "DD_PG1_PORT",
    "DD_PG2_PORT",
    "DD_PG3_PORT",
    "DD_MY1_PORT",
    "DD_MY2_PORT",
    "DD_MY3_PORT",
};

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Port slot i (0..5: pg1..pg3, my1..my3) of h. */
static int *
port_slot(struct dd_harness *h, size_t i)
{
	return i < 3 ? &h->pg_port[i] : &h->my_port[i - 3];
}

static int
parse_port(const char *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* Cuts "export NAME=value" in place into name and value; false if not one. */
static bool
split_line(char *line, char **name, char **value)
{
	char *p = line, *eq;
	size_t n;

	line[strcspn(line, "\r\n")] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return false;
	if (strncmp(p, "export ", 7) == 0)
		p += 7;
	eq = strchr(p, '=');
	if (!eq)
		return false;
	*eq = '\0';
	*name = p;
	*value = eq + 1;
	n = strlen(*value);
	if (n >= 2 && ((*value)[0] == '"' || (*value)[0] == '\'') &&
	    (*value)[n - 1] == (*value)[0]) {
		(*value)[n - 1] = '\0';
		(*value)++;
	}
	return true;
}

/*
 * Stores one NAME=value into h and marks it in *seen (bit i: str_fields[i],
 * bit N_STR_FIELDS + j: port j). Returns -1 on a bad value.
 */
static int
store(struct dd_harness *h, const char *name, const char *value, unsigned *seen, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < N_STR_FIELDS; i++) {
		if (strcmp(name, str_fields[i].name) != 0)
			continue;
		if (strlen(value) >= str_fields[i].size) {
			set_err(err, errlen, "%s: value too long", name);
			return -1;
		}
		strcpy((char *)h + str_fields[i].off, value);
		*seen |= 1u << i;
		return 0;
	}
	for (i = 0; i < 6; i++) {
		if (strcmp(name, port_names[i]) != 0)
			continue;
		*port_slot(h, i) = parse_port(value);
		if (*port_slot(h, i) < 0) {
			set_err(err, errlen, "%s: not a port: '%s'", name, value);
			return -1;
		}
		*seen |= 1u << (N_STR_FIELDS + i);
		return 0;
	}
	return 0;
}

/* Names the first required variable missing from *seen; -1 if any is. */
static int
check_seen(unsigned seen, const char *path, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < N_STR_FIELDS + 6; i++) {
		if (seen & (1u << i))
			continue;
		set_err(err, errlen, "%s: no %s", path,
		    i < N_STR_FIELDS ? str_fields[i].name : port_names[i - N_STR_FIELDS]);
		return -1;
	}
	return 0;
}

int
dd_harness_load(struct dd_harness *h, char *err, size_t errlen)
{
	const char *path = getenv("DD_HARNESS_ENV");
	char *line = NULL, *name, *value;
	size_t cap = 0;
	unsigned seen = 0;
	FILE *f;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	if (!path || !*path) {
		set_err(err, errlen, "DD_HARNESS_ENV is not set (start tests/harness/harness.sh)");
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		if (split_line(line, &name, &value) &&
		    store(h, name, value, &seen, err, errlen) < 0)
			goto out;
	}
	rc = check_seen(seen, path, err, errlen);
out:
	free(line);
	fclose(f);
	return rc;
}

int
dd_harness_password(const struct dd_harness *h, char *buf, size_t len, char *err, size_t errlen)
{
	size_t n = 0;
	ssize_t r;
	int fd, rc = -1;

	if (len < 2) {
		set_err(err, errlen, "password buffer too small");
		return -1;
	}
	fd = open(h->password_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "%s: %s", h->password_file, strerror(errno));
		return -1;
	}
	/* Read straight into the caller's buffer: no stdio copy to wipe. */
	while (n < len && (r = read(fd, buf + n, len - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_err(err, errlen, "%s: %s", h->password_file, strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if (n == len) {
		set_err(err, errlen, "%s: password longer than the buffer", h->password_file);
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		set_err(err, errlen, "%s: empty", h->password_file);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		memset(buf, 0, len);
	else
		buf[n] = '\0';
	close(fd);
	return rc;
}

int
dd_harness_port(const struct dd_harness *h, const char *node)
{
	if (!node || strlen(node) != 3 || node[2] < '1' || node[2] > '3')
		return -1;
	if (strncmp(node, "pg", 2) == 0)
		return h->pg_port[node[2] - '1'];
	if (strncmp(node, "my", 2) == 0)
		return h->my_port[node[2] - '1'];
	return -1;
}

/* Waits for pid; its exit status, 128 + signal, or -1. */
static int
wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int
dd_harness_run(const struct dd_harness *h, const char *fmt, ...)
{
	/* execvp wants char *: mutable copies rather than casts. */
	char bash[] = "bash", script[sizeof(h->script)], dir[sizeof(h->dir)];
	char cmd[2048], *argv[RUN_MAX_ARGS + 1], *save = NULL, *tok;
	int argc = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	memcpy(script, h->script, sizeof(script));
	memcpy(dir, h->dir, sizeof(dir));

	argv[argc++] = bash;
	argv[argc++] = script;
	for (tok = strtok_r(cmd, " \t\n", &save); tok && argc < RUN_MAX_ARGS;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		argv[argc++] = tok;
		if (argc == 3) /* after the command word comes DIR */
			argv[argc++] = dir;
	}
	if (argc < 4 || tok)
		return -1; /* empty command, or too many arguments */
	argv[argc] = NULL;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp("bash", argv);
		_exit(127);
	}
	return wait_child(pid);
}
