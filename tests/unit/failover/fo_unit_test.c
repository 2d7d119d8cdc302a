/*
 * fo_unit_test.c: the failover module's pure parts and its hook runner,
 * without a server: dd_fo_hook_split (argv without a shell), conninfo
 * rewriting (only host and port change, secrets kept as they are), SQL
 * quoting, the lock holder text, and fo_hook_run (exit status, the exact
 * environment, no inherited descriptor, the timeout that kills the hook's
 * whole process group). And the runner (fo_run.c) over an engine table of
 * the test's own whose steps succeed or fail on cue (no server is needed
 * for the order of steps, rollback and outcomes): its outcome and its audit
 * end record, which fo_audit_promoted must read as a promotion only when
 * one happened. And --at: dd_fo_parse_at, and a run whose promotion step
 * only schedules (Patroni's scheduled_at) ends done "scheduled" with the
 * later steps skipped and no promotion recorded.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/audit.h"
#include "dbdeck/util.h"
#include "failover/fo_int.h"
#include "tap.h"

static void
split_is(const char *cmd, int want_n, const char *const *want, const char *name)
{
	char **v = NULL, err[128] = "";
	int n = dd_fo_hook_split(cmd, &v, err, sizeof(err));
	bool same = n == want_n;

	for (int i = 0; same && i < n; i++)
		same = strcmp(v[i], want[i]) == 0;
	ok(same && (n < 0 || v[n] == NULL), "split: %s", name);
	if (!same)
		for (int i = 0; i < n; i++)
			diag("  word %d: [%s]", i, v[i]);
	dd_fo_argv_free(v);
}

static void
test_split(void)
{
	split_is("/usr/local/bin/fence --node x", 3,
	    (const char *const[]){"/usr/local/bin/fence", "--node", "x"}, "blanks separate words");
	split_is("  a \t b  ", 2, (const char *const[]){"a", "b"}, "runs of blanks, tabs");
	split_is("ssh 'db host' \"a b\"", 3, (const char *const[]){"ssh", "db host", "a b"},
	    "quotes group words");
	split_is("x $(rm -rf /) `id` ; | && > *", 10,
	    (const char *const[]){"x", "$(rm", "-rf", "/)", "`id`", ";", "|", "&&", ">", "*"},
	    "shell syntax is plain text");
	split_is("a\\ b \"q\\\"uote\\\\\" 'it''s'", 3,
	    (const char *const[]){"a b", "q\"uote\\", "its"}, "backslash and adjacent quotes");
	split_is("'unterminated", -1, NULL, "unterminated quote is an error");
	split_is("   ", -1, NULL, "empty command is an error");
}

static void
test_conninfo(void)
{
	char out[512], host[64];
	int port;

	ok(fo_conninfo_repoint("host=10.0.0.1 port=5432 user=repl passfile=/p application_name=pg3",
	       "10.0.0.2", 5433, out, sizeof(out)) &&
	        strcmp(out, "user='repl' passfile='/p' application_name='pg3' host='10.0.0.2' "
	                    "port='5433'") == 0,
	    "conninfo: host and port replaced, the rest kept (%s)", out);
	ok(fo_conninfo_repoint("hostaddr=1.2.3.4 password='it''s' sslmode = require", "h", 1, out,
	       sizeof(out)) == false,
	    "conninfo: '' inside a quoted value is not libpq syntax: refused");
	ok(fo_conninfo_repoint("hostaddr=1.2.3.4 password='it\\'s \\\\x' sslmode = require", "h", 1,
	       out, sizeof(out)) &&
	        strcmp(out, "password='it\\'s \\\\x' sslmode='require' host='h' port='1'") == 0,
	    "conninfo: escapes kept, hostaddr dropped (%s)", out);
	ok(!fo_conninfo_repoint("postgresql://a:5432/x", "h", 1, out, sizeof(out)),
	    "conninfo: the URI form is not rewritten");
	fo_conninfo_target("user=x host=db1 port=6000", host, sizeof(host), &port);
	ok(strcmp(host, "db1") == 0 && port == 6000, "conninfo: target host and port");
}

static void
test_quote(void)
{
	char buf[64] = "X = ";

	ok(fo_quote(buf, sizeof(buf), "a'b\\c", true) && strcmp(buf, "X = 'a''b\\\\c'") == 0,
	    "quote: MariaDB literal (%s)", buf);
	strcpy(buf, "");
	ok(fo_quote(buf, sizeof(buf), "a'b\\c", false) && strcmp(buf, "'a''b\\c'") == 0,
	    "quote: PostgreSQL literal (%s)", buf);
	char tiny[6] = "";
	ok(!fo_quote(tiny, sizeof(tiny), "abcdef", true), "quote: too long is refused");
}

static void
test_holder(void)
{
	char h[FO_HOLDER_MAX], d[200];

	fo_lock_holder_text(h, sizeof(h));
	ok(strncmp(h, "ddlock h=", 9) == 0 && strlen(h) <= 63, "holder text fits application_name");
	fo_lock_describe("ddlock h=bastion p=4242 u=alice t=1700000000", d, sizeof(d));
	is_str(d, "host bastion, pid 4242, operator alice, since 2023-11-14T22:13:20Z",
	    "holder described");
}

/* ---- fo_hook_run ---- */

static char c_name[] = "orders", n1_name[] = "db1", n2_name[] = "db2";
static char n1_host[] = "10.0.0.1", n2_host[] = "10.0.0.2";
static struct dd_cluster_config cc = {.name = c_name, .hook_timeout_ms = 5000};
static struct dd_node_config n1 = {.name = n1_name, .host = n1_host, .port = 5432};
static struct dd_node_config n2 = {.name = n2_name, .host = n2_host, .port = 5433};

static struct dd_fo_plan *
plan(void)
{
	struct dd_fo_plan *p = calloc(1, sizeof(*p));

	p->cc = &cc;
	p->n = 2;
	p->nodes[0].nc = &n1;
	p->nodes[1].nc = &n2;
	p->action = DD_FO_FAILOVER;
	return p;
}

static int
run(struct dd_fo_plan *p, const char *cmd, char *err, size_t len)
{
	char **argv;

	if (dd_fo_hook_split(cmd, &argv, err, len) < 0)
		return -2;
	p->fence_argv = argv;
	int rc = fo_hook_run(p, argv, 0, 1, err, len);
	p->fence_argv = NULL;
	dd_fo_argv_free(argv);
	return rc;
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static void
test_hook(void)
{
	struct dd_fo_plan *p = plan();
	char err[256], cmd[512], path[] = "/tmp/dd-fo-unit.XXXXXX";
	int fd = mkstemp(path);

	setenv("DD_SECRET_TEST", "hunter2", 1);
	ok(run(p, "/bin/true", err, sizeof(err)) == 0, "hook: exit 0 is done");
	ok(run(p, "/bin/sh -c 'exit 3'", err, sizeof(err)) == -1 && strstr(err, "exited 3"),
	    "hook: exit 3 fails (%s)", err);
	ok(run(p, "no-such-hook-xyz", err, sizeof(err)) == -1 && strstr(err, "not found"),
	    "hook: a missing program (%s)", err);
	snprintf(
	    cmd, sizeof(cmd), "/bin/sh -c 'env | sort > %s; ls /proc/self/fd >> %s'", path, path);
	ok(run(p, cmd, err, sizeof(err)) == 0, "hook: env written");
	const char *got = slurp(path);
	ok(strstr(got, "DBDECK_ACTION=failover\nDBDECK_CLUSTER=orders\nDBDECK_NODE=db1\n"
	               "DBDECK_NODE_HOST=10.0.0.1\nDBDECK_NODE_PORT=5432\nDBDECK_PRIMARY=db2\n"
	               "DBDECK_PRIMARY_HOST=10.0.0.2\nDBDECK_PRIMARY_PORT=5433\n") != NULL,
	    "hook: the DBDECK_* variables");
	ok(strstr(got, "DD_SECRET_TEST") == NULL && strstr(got, "HOME=") == NULL,
	    "hook: nothing else from dbdeck's environment");
	/* sh adds PWD, SHLVL and _; ls lists 0 1 2 and its own directory descriptor */
	ok(strstr(got, "\n0\n1\n2\n3\n") != NULL && strstr(got, "\n4\n") == NULL,
	    "hook: no descriptor beyond stdin, stdout, stderr");
	cc.hook_timeout_ms = 300;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* sleep times unique to this run: pgrep below must not see another test's sleep */
	char nap[32], pg[96];
	snprintf(nap, sizeof(nap), "3%d.%05d", (int)(getpid() % 10), (int)(getpid() % 100000));
	snprintf(
	    cmd, sizeof(cmd), "/bin/sh -c 'sleep %s & sleep %s1; echo late > %s'", nap, nap, path);
	int rc = run(p, cmd, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ok(rc == -1 && strstr(err, "timed out after 0.3 s") && s < 3,
	    "hook: killed at hook_timeout (%s, %.1f s)", err, s);
	snprintf(pg, sizeof(pg), "pgrep -x -f 'sleep %s1?' >/dev/null", nap);
	ok(system(pg) != 0, "hook: its whole process group is gone");
	cc.hook_timeout_ms = 5000;
	close(fd);
	unlink(path);
	free(p);
}

/* ---- the runner, over an engine of the test's own ---- */

static int undo_calls;

static int
step_ok(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)p, (void)s, (void)err, (void)len;
	return 0;
}

static int
step_fail(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)p, (void)s;
	snprintf(err, len, "injected failure");
	return -1;
}

static int
step_promote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)s, (void)err, (void)len;
	p->promoted = true;
	return 0;
}

/* Patroni's scheduled switchover: the step only schedules it. */
static int
step_schedule(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)s, (void)err, (void)len;
	p->scheduled = true;
	return 0;
}

static int
undo_ok(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)p, (void)s, (void)err, (void)len;
	undo_calls++;
	return 0;
}

static int
undo_fail(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	(void)p, (void)s;
	undo_calls++;
	snprintf(err, len, "the old primary does not answer");
	return -1;
}

static int
replicating_yes(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	(void)p, (void)node, (void)err, (void)len;
	return 1;
}

static void
manual_words(const struct dd_fo_plan *p, const struct fo_step *s, char *buf, size_t len)
{
	(void)p, (void)s;
	snprintf(buf, len, "do it by hand");
}

struct ends {
	char outcome[32];
	char detail[600];
};

static int
last_end(const struct dd_audit_record *r, void *ctx)
{
	struct ends *e = ctx;

	if (!r->bad && r->phase && strcmp(r->phase, "end") == 0) {
		snprintf(e->outcome, sizeof(e->outcome), "%s", r->outcome ? r->outcome : "");
		snprintf(e->detail, sizeof(e->detail), "%s", r->detail ? r->detail : "");
		e->outcome[sizeof(e->outcome) - 1] = fo_audit_promoted(r) ? '+' : '\0';
	}
	return 0;
}

/*
 * Runs fence (node 0), catch-up, promote and repoint (node 1 is the
 * candidate) with the engine eng; returns the outcome, *promoted as
 * fo_audit_promoted read the end record.
 */
static const char *run_at = ""; /* the plan's scheduled_at */

static enum dd_job_outcome
run_plan(
    const struct fo_engine *eng, const char *audit_path, bool *promoted, char *text, size_t tlen)
{
	static const enum fo_kind kinds[] = {FO_FENCE, FO_CATCHUP, FO_PROMOTE, FO_REPOINT};
	struct dd_fo_plan *p = plan();
	struct dd_audit *audit = NULL;
	struct dd_jobs *jobs = dd_jobs_new(NULL, text, tlen);
	struct dd_job *job = NULL;
	struct dd_job_status *st = calloc(1, sizeof(*st));
	struct ends e = {{0}, {0}};
	char err[256];

	p->eng = eng;
	p->action = DD_FO_SWITCHOVER;
	p->primary = 0;
	p->candidate = 1;
	snprintf(p->scheduled_at, sizeof(p->scheduled_at), "%s", run_at);
	for (size_t i = 0; i < DD_ARRAY_LEN(kinds); i++) {
		p->steps[i].kind = kinds[i];
		p->steps[i].node = kinds[i] == FO_FENCE ? 0 : 1;
		snprintf(p->steps[i].title, sizeof(p->steps[i].title), "step %zu", i + 1);
	}
	p->n_steps = DD_ARRAY_LEN(kinds);
	if (dd_audit_open(&audit, audit_path, err, sizeof(err)) != 0 ||
	    dd_fo_submit(p, jobs, audit, &job, err, sizeof(err)) != 0)
		bail_out("submit: %s", err);
	dd_job_wait(job, 0);
	dd_job_read(job, st);
	snprintf(text, tlen, "%s", st->text);
	enum dd_job_outcome o = st->outcome;
	dd_job_unref(job);
	dd_jobs_free(jobs);
	dd_audit_close(audit);
	dd_audit_read(audit_path, last_end, &e, err, sizeof(err));
	*promoted = e.outcome[sizeof(e.outcome) - 1] == '+';
	free(st);
	return o;
}

static void
test_runner(void)
{
	struct fo_engine eng = {
	    .engine = DD_ENGINE_POSTGRESQL,
	    .step = {[FO_FENCE] = step_ok,
	        [FO_CATCHUP] = step_fail,
	        [FO_PROMOTE] = step_promote,
	        [FO_REPOINT] = step_ok},
	    .undo = {[FO_FENCE] = undo_ok},
	    .replicating = replicating_yes,
	    .manual = manual_words,
	};
	char dir[] = "/tmp/dd-fo-run.XXXXXX", path[64], text[DD_JOB_TEXT_MAX];
	bool promoted = true;
	enum dd_job_outcome o;

	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	cc.switchover_timeout_ms = 5000;

	undo_calls = 0;
	o = run_plan(&eng, path, &promoted, text, sizeof(text));
	ok(o == DD_JOB_FAILED && undo_calls == 1 && !promoted,
	    "runner: a failed catch-up rolls the fence back, outcome failed, no promotion "
	    "recorded (%s)",
	    text);

	eng.undo[FO_FENCE] = undo_fail;
	undo_calls = 0;
	o = run_plan(&eng, path, &promoted, text, sizeof(text));
	ok(o == DD_JOB_INCOMPLETE && undo_calls == 1 && strstr(text, "by hand"),
	    "runner: an undo that fails ends incomplete and says what to undo (%s)", text);
	ok(!promoted,
	    "runner: that incomplete rollback is not recorded as a promotion (the SPLIT-BRAIN "
	    "rule must not prefer a node that was never promoted)");

	eng.step[FO_CATCHUP] = step_ok;
	eng.step[FO_REPOINT] = step_fail;
	o = run_plan(&eng, path, &promoted, text, sizeof(text));
	ok(o == DD_JOB_INCOMPLETE && promoted && strstr(text, "do it by hand"),
	    "runner: a failure after the promotion ends incomplete, recorded as a promotion (%s)",
	    text);

	eng.step[FO_REPOINT] = step_ok;
	o = run_plan(&eng, path, &promoted, text, sizeof(text));
	ok(o == DD_JOB_DONE && promoted, "runner: all steps done, recorded as a promotion (%s)",
	    text);

	eng.step[FO_PROMOTE] = step_schedule;
	eng.step[FO_REPOINT] = step_fail; /* would fail the run if it were not skipped */
	run_at = "2030-01-01T00:00:00Z";
	o = run_plan(&eng, path, &promoted, text, sizeof(text));
	run_at = "";
	ok(o == DD_JOB_DONE && !promoted && strstr(text, "scheduled") &&
	        strstr(text, "2030-01-01T00:00:00Z"),
	    "runner: --at: the promotion step schedules, the rest is skipped, done "
	    "\"scheduled\", no promotion recorded (%s)",
	    text);
	unlink(path);
	rmdir(dir);
}

static void
test_parse_at(void)
{
	int64_t now = 1796594400; /* 2026-12-06T22:00:00Z */
	int64_t t = 0;
	char err[160];

	ok(dd_fo_parse_at("2026-12-06T23:00:00Z", now, &t, err, sizeof(err)) == 0 &&
	        t == now + 3600,
	    "--at: an hour ahead parses");
	ok(dd_fo_parse_at("2026-12-06T21:00:00Z", now, &t, err, sizeof(err)) == -1 &&
	        strstr(err, "past"),
	    "--at: a past time is refused (%s)", err);
	ok(dd_fo_parse_at("2026-12-06T22:00:00Z", now, &t, err, sizeof(err)) == -1,
	    "--at: now itself is refused");
	ok(dd_fo_parse_at("2027-02-30T00:00:00Z", now, &t, err, sizeof(err)) == -1 &&
	        strstr(err, "real"),
	    "--at: 30 February is refused (%s)", err);
	static const char *const bad[] = {"tomorrow", "2026-12-06 23:00:00Z", "2026-12-06T23:00:00",
	    "2026-12-06T23:00:00+01:00", "2026-12-06T23:00:00Zx", "2026-12-06T23:0:000Z", ""};
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++)
		ok(dd_fo_parse_at(bad[i], now, &t, err, sizeof(err)) == -1,
		    "--at: '%s' is malformed (%s)", bad[i], err);
}

int
main(void)
{
	test_parse_at();
	test_split();
	test_conninfo();
	test_quote();
	test_holder();
	test_hook();
	test_runner();
	return tap_done();
}
