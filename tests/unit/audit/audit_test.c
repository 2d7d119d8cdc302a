/*
 * audit_test.c: the audit log (core/audit): records and their fields, the
 * hash chain and what breaks it (an edited line, a deleted line, a cut last
 * line, each named by line number), the file rules (0600, parent dirs 0700,
 * a symlink or a group-readable file refused), a write that fails leaving
 * nothing behind, two writers on one file, and log rotation.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "dbdeck/audit.h"
#include "tap.h"

static char dir[256];

/* The whole file as a new string (*len bytes). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
}

/* Pointer to the start of 1-based line n of buf (or NULL). */
static char *
line_at(char *buf, int n)
{
	char *p = buf;
	for (int i = 1; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return p;
}

static json_t *
parse_line_n(const char *path, int n)
{
	size_t len;
	char *buf = slurp(path, &len);
	char *l = line_at(buf, n);
	json_t *j = l ? json_loadb(l, strcspn(l, "\n"), 0, NULL) : NULL;
	free(buf);
	return j;
}

/* Writes n actions (start and end each) to path with a manual clock. */
static void
write_actions(const char *path, int n, struct dd_manual_clock *mc)
{
	struct dd_audit *a;
	char err[300];
	if (dd_audit_open(&a, path, err, sizeof(err)) != 0)
		bail_out("open %s: %s", path, err);
	struct dd_clock clk = dd_clock_manual(mc);
	audit_set_clock(a, &clk);
	for (int i = 0; i < n; i++) {
		struct dd_audit_action act = {
		    .action = "cancel", .cluster = "pg", .target = "pid 42"};
		uint64_t id;
		if (dd_audit_begin(a, &act, &id, err, sizeof(err)) != 0)
			bail_out("begin: %s", err);
		dd_manual_clock_advance(mc, INT64_C(250000000));
		if (dd_audit_end(a, id, "done", "ok", err, sizeof(err)) != 0)
			bail_out("end: %s", err);
	}
	audit_set_clock(a, NULL);
	dd_audit_close(a);
}

static void
test_create_and_fields(void)
{
	char path[300], err[300];
	snprintf(path, sizeof(path), "%s/new/sub/audit.log", dir);
	struct dd_audit *a;
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, INT64_C(1000000000), INT64_C(1748779203250)); /* 2025-06-01 */
	struct dd_clock clk = dd_clock_manual(&mc);

	setenv("SUDO_USER", "alice\x1b[31m", 1);
	setenv("SSH_CONNECTION", "192.0.2.7 51000 192.0.2.1 22", 1);
	is_int(dd_audit_open(&a, path, err, sizeof(err)), 0, "open creates the file and its dirs");
	unsetenv("SUDO_USER");
	unsetenv("SSH_CONNECTION");
	struct stat st = {0};
	int src = stat(path, &st);
	ok(src == 0 && (st.st_mode & 0777) == 0600, "the log is created mode 0600 (%o)",
	    (unsigned)(st.st_mode & 0777));
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/new/sub", dir);
	ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "parent directories are 0700");

	audit_set_clock(a, &clk);
	struct dd_audit_action act = {.action = "terminate",
	    .cluster = "pg",
	    .target = "pid 7\x1b]0;owned\x07 on pg1",
	    .args = "{\"node\":\"pg1\",\"pid\":7,\"note\":\"a\\u001bb\"}"};
	uint64_t id = 0;
	is_int(dd_audit_begin(a, &act, &id, err, sizeof(err)), 0, "begin writes the start record");
	dd_manual_clock_advance(&mc, INT64_C(1500000000));
	is_int(dd_audit_end(a, id, "refused", "the session is gone", err, sizeof(err)), 0,
	    "end writes the end record");
	ok(dd_audit_end(a, id, "done", NULL, err, sizeof(err)) == -1 && strstr(err, "no action"),
	    "a second end of the same id is refused (%s)", err);
	ok(dd_audit_end(a, 1, "maybe", NULL, err, sizeof(err)) == -1 && strstr(err, "outcome"),
	    "an unknown outcome is refused (%s)", err);
	dd_audit_close(a);

	json_t *s = parse_line_n(path, 1), *e = parse_line_n(path, 2);
	ok(s && e, "both records are JSON lines");
	is_str(json_string_value(json_object_get(s, "time")), "2025-06-01T12:00:03.250Z",
	    "time is UTC ISO 8601 with milliseconds");
	is_str(json_string_value(json_object_get(s, "phase")), "start", "phase start");
	is_str(json_string_value(json_object_get(e, "phase")), "end", "phase end");
	ok(json_integer_value(json_object_get(s, "id")) == (json_int_t)id &&
	        json_integer_value(json_object_get(e, "id")) == (json_int_t)id,
	    "both records carry the action's id");
	ok(json_string_value(json_object_get(s, "operator")) != NULL, "operator is there");
	is_str(json_string_value(json_object_get(s, "sudo_user")), "alice\u241b[31m",
	    "sudo_user is $SUDO_USER, sanitized");
	is_str(json_string_value(json_object_get(s, "ssh_client")), "192.0.2.7",
	    "ssh_client is the client address of $SSH_CONNECTION");
	ok(json_integer_value(json_object_get(s, "pid")) == getpid(), "pid");
	ok(json_string_value(json_object_get(s, "host")) != NULL, "host");
	is_str(json_string_value(json_object_get(s, "action")), "terminate", "action");
	is_str(json_string_value(json_object_get(s, "target")), "pid 7\u241b]0;owned\u2407 on pg1",
	    "control characters of the target are replaced");
	json_t *args = json_object_get(s, "args");
	ok(json_is_object(args) && json_integer_value(json_object_get(args, "pid")) == 7,
	    "JSON args are kept as a JSON object");
	is_str(json_string_value(json_object_get(args, "note")), "a\u241bb",
	    "strings inside JSON args are sanitized");
	is_str(json_string_value(json_object_get(e, "outcome")), "refused", "outcome");
	is_int(json_integer_value(json_object_get(e, "duration_ms")), 1500,
	    "duration_ms measured since begin");
	is_str(json_string_value(json_object_get(e, "target")), "pid 7\u241b]0;owned\u2407 on pg1",
	    "the end record repeats the target");
	is_str(json_string_value(json_object_get(s, "prev")),
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "the first record's prev is 64 zeros");

	size_t len;
	char *buf = slurp(path, &len), hex[AUDIT_HASH_HEX];
	audit_hash_hex(buf, strcspn(buf, "\n"), hex);
	is_str(json_string_value(json_object_get(e, "prev")), hex,
	    "the second record's prev is the SHA-256 of the first line");
	ok(memchr(buf, 0x1b, len) == NULL && memchr(buf, 0x07, len) == NULL,
	    "no control character reaches the file");
	free(buf);
	json_decref(s);
	json_decref(e);

	long n = 0;
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 0, "verify: the chain holds");
	is_int(n, 2, "verify counts 2 records");
}

/* A fresh log of 5 lines (2 actions and a half) at path. */
static void
five_lines(const char *path)
{
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 1, INT64_C(1748779203250));
	unlink(path);
	write_actions(path, 2, &mc);
	struct dd_audit *a;
	char err[300];
	dd_audit_open(&a, path, err, sizeof(err));
	struct dd_audit_action act = {.action = "backup", .cluster = "my"};
	uint64_t id;
	dd_audit_begin(a, &act, &id, err, sizeof(err));
	dd_audit_close(a);
}

static void
test_chain_breaks(void)
{
	char path[300], err[300];
	size_t len;
	long n;
	snprintf(path, sizeof(path), "%s/chain.log", dir);

	five_lines(path);
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 0, "five records verify");
	is_int(n, 5, "five records counted");

	char *buf = slurp(path, &len);
	char *l2 = line_at(buf, 2), *d = strstr(l2, "\"done\"");
	d[2] = 'u'; /* "done" -> "dune" on line 2 */
	spit(path, buf, len);
	free(buf);
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 1, "an edited line breaks the chain");
	ok(strncmp(err, "line 3: chain broken", 20) == 0 && strstr(err, "line 2 was changed"),
	    "the edit of line 2 is reported at line 3, naming line 2 (%s)", err);
	is_int(n, 2, "the records before the break are counted");

	five_lines(path);
	buf = slurp(path, &len);
	char *l3 = line_at(buf, 3), *l4 = line_at(buf, 4);
	memmove(l3, l4, (size_t)(buf + len - l4));
	spit(path, buf, len - (size_t)(l4 - l3));
	free(buf);
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 1, "a deleted line breaks the chain");
	ok(strncmp(err, "line 3: chain broken", 20) == 0,
	    "the deletion of line 3 is reported at line 3 (%s)", err);

	five_lines(path);
	buf = slurp(path, &len);
	char *first = line_at(buf, 2);
	spit(path, first, len - (size_t)(first - buf));
	free(buf);
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 1, "a deleted first line is found");
	ok(strncmp(err, "line 1:", 7) == 0, "at line 1 (%s)", err);

	five_lines(path);
	buf = slurp(path, &len);
	spit(path, buf, len - 20);
	free(buf);
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 1, "a cut last line is found");
	ok(strncmp(err, "line 5: incomplete record", 25) == 0, "at line 5 (%s)", err);
	is_int(n, 4, "the four whole records before it are counted");

	/* The writer carries on after the cut line, on a new line, chained to it. */
	write_actions(path, 1, &(struct dd_manual_clock){0});
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 1, "the cut line is still reported");
	ok(strncmp(err, "line 5: not a JSON record", 25) == 0, "as line 5 (%s)", err);
	buf = slurp(path, &len);
	char *l6 = line_at(buf, 6), hex[AUDIT_HASH_HEX];
	audit_hash_hex(line_at(buf, 5), (size_t)(l6 - line_at(buf, 5) - 1), hex);
	ok(l6 && strstr(l6, hex) != NULL, "the next record starts a new line and chains to it");
	free(buf);

	unlink(path);
	ok(dd_audit_verify(path, &n, err, sizeof(err)) == -1 && strstr(err, "No such file"),
	    "a missing file is unreadable, not broken (%s)", err);
}

static void
test_file_rules(void)
{
	char path[300], link[300], err[300];
	struct dd_audit *a = NULL;
	snprintf(path, sizeof(path), "%s/real.log", dir);
	snprintf(link, sizeof(link), "%s/link.log", dir);
	write_actions(path, 1, &(struct dd_manual_clock){0});
	if (symlink(path, link) != 0)
		bail_out("symlink: %s", strerror(errno));
	ok(dd_audit_open(&a, link, err, sizeof(err)) == -1 && a == NULL &&
	        strstr(err, "symbolic link"),
	    "a symlink is refused (%s)", err);
	chmod(path, 0640);
	ok(dd_audit_open(&a, path, err, sizeof(err)) == -1 && strstr(err, "chmod 600"),
	    "a group-readable log is refused, naming the fix (%s)", err);
	chmod(path, 0600);
	ok(dd_audit_open(&a, path, err, sizeof(err)) == 0, "mode 0600 opens");
	dd_audit_close(a);
	ok(dd_audit_open(&a, dir, err, sizeof(err)) == -1, "a directory is refused (%s)", err);
}

/* A start record that cannot be written fails the call and leaves the file as it was. */
static void
test_write_fails(void)
{
	char path[300], err[300];
	struct dd_audit *a;
	size_t before, after;
	snprintf(path, sizeof(path), "%s/full.log", dir);
	write_actions(path, 1, &(struct dd_manual_clock){0});
	free(slurp(path, &before));
	if (dd_audit_open(&a, path, err, sizeof(err)) != 0)
		bail_out("open: %s", err);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 40; /* room for part of a record only */
	setrlimit(RLIMIT_FSIZE, &lim);
	struct dd_audit_action act = {.action = "restore", .cluster = "pg", .target = "db1"};
	uint64_t id;
	int rc = dd_audit_begin(a, &act, &id, err, sizeof(err));
	setrlimit(RLIMIT_FSIZE, &old);
	ok(rc == -1 && strstr(err, "cannot write"), "a start record that does not fit fails (%s)",
	    err);
	free(slurp(path, &after));
	is_int((long long)after, (long long)before, "and leaves no half record in the file");
	is_int(dd_audit_begin(a, &act, &id, err, sizeof(err)), 0, "with room again it writes");
	dd_audit_close(a);
	is_int(dd_audit_verify(path, NULL, err, sizeof(err)), 0, "and the chain holds");
}

struct writer {
	const char *path;
	int n;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct dd_audit *a;
	char err[300];
	if (dd_audit_open(&a, w->path, err, sizeof(err)) != 0)
		return (void *)1;
	for (int i = 0; i < w->n; i++) {
		struct dd_audit_action act = {.action = "verify", .cluster = "pg"};
		uint64_t id;
		if (dd_audit_begin(a, &act, &id, err, sizeof(err)) != 0 ||
		    dd_audit_end(a, id, "done", NULL, err, sizeof(err)) != 0)
			return (void *)1;
	}
	dd_audit_close(a);
	return NULL;
}

/* Two opens of one file (as two processes would have) appending at once. */
static void
test_two_writers(void)
{
	char path[300], err[300];
	snprintf(path, sizeof(path), "%s/two.log", dir);
	struct writer w = {.path = path, .n = 100};
	pthread_t t[2];
	void *r0, *r1;
	pthread_create(&t[0], NULL, writer_main, &w);
	pthread_create(&t[1], NULL, writer_main, &w);
	pthread_join(t[0], &r0);
	pthread_join(t[1], &r1);
	ok(r0 == NULL && r1 == NULL, "two writers wrote 200 actions each way");
	long n = 0;
	is_int(dd_audit_verify(path, &n, err, sizeof(err)), 0, "their records form one chain");
	is_int(n, 400, "400 records");
}

static void
test_rotation(void)
{
	char path[300], old[300], err[300];
	struct dd_audit *a;
	snprintf(path, sizeof(path), "%s/rot.log", dir);
	snprintf(old, sizeof(old), "%s/rot.log.1", dir);
	dd_audit_open(&a, path, err, sizeof(err));
	struct dd_audit_action act = {.action = "prune", .cluster = "pg"};
	uint64_t id;
	dd_audit_begin(a, &act, &id, err, sizeof(err));
	rename(path, old);
	is_int(dd_audit_end(a, id, "done", NULL, err, sizeof(err)), 0, "end after a rotation");
	dd_audit_close(a);
	json_t *e = parse_line_n(path, 1);
	ok(e && strcmp(json_string_value(json_object_get(e, "phase")), "end") == 0,
	    "the record went to the new file");
	is_str(json_string_value(json_object_get(e, "prev")),
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "which starts its own chain");
	json_decref(e);
	ok(dd_audit_verify(path, NULL, err, sizeof(err)) == 0 &&
	        dd_audit_verify(old, NULL, err, sizeof(err)) == 0,
	    "both files verify");
}

struct collect {
	int n, bad;
	char actions[256];
};

static int
collect(const struct dd_audit_record *r, void *ctx)
{
	struct collect *c = ctx;
	c->n++;
	if (r->bad) {
		c->bad++;
		return 0;
	}
	strncat(c->actions, r->phase, sizeof(c->actions) - strlen(c->actions) - 1);
	strncat(c->actions, " ", sizeof(c->actions) - strlen(c->actions) - 1);
	return 0;
}

static void
test_read(void)
{
	char path[300], err[300];
	snprintf(path, sizeof(path), "%s/chain.log", dir);
	five_lines(path);
	struct collect c = {0};
	is_int(dd_audit_read(path, collect, &c, err, sizeof(err)), 0, "read the log");
	is_str(c.actions, "start end start end start ", "records in file order");
	FILE *f = fopen(path, "a");
	fputs("garbage\n", f);
	fclose(f);
	memset(&c, 0, sizeof(c));
	dd_audit_read(path, collect, &c, err, sizeof(err));
	ok(c.n == 6 && c.bad == 1, "a line that is no record comes with its reason");
}

int
main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init");
	snprintf(
	    dir, sizeof(dir), "%s/dd-audit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	umask(022);
	test_create_and_fields();
	test_chain_breaks();
	test_file_rules();
	test_write_fails();
	test_two_writers();
	test_rotation();
	test_read();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
