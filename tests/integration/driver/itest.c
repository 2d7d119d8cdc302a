/*
 * itest.c: shared set-up of the driver integration tests (see itest.h):
 * engine tables, harness endpoints, the password in sodium_malloc memory,
 * and the pause guard that always resumes a SIGSTOPped node.
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/util.h"

static const struct itest_engine pg_engine = {
    .engine = DD_ENGINE_POSTGRESQL,
    .name = "pg",
    .nodes = {"pg1", "pg2", "pg3"},
    .sleep5 = "SELECT pg_sleep(5)",
    .sleep10 = "SELECT pg_sleep(10)",
    .syntax_error = "SELEC 1",
    .want_syntax_state = "42601",
    .want_syntax_code = 0,
    .kill_pre = "SELECT pg_terminate_backend(",
    .kill_post = ", 5000)",
    .set_session = "SET search_path TO pg_catalog",
    .check_session = "SELECT current_setting('search_path')",
    .create_temp = "CREATE TEMP TABLE drv_tmp (a int)",
    .select_temp = "SELECT * FROM drv_tmp",
    .multi_rows = "SELECT generate_series(1, 3) AS n",
    .server_port = "SELECT inet_server_port()",
};

static const struct itest_engine my_engine = {
    .engine = DD_ENGINE_MARIADB,
    .name = "my",
    .nodes = {"my1", "my2", "my3"},
    .sleep5 = "SELECT SLEEP(5)",
    .sleep10 = "SELECT SLEEP(10)",
    .syntax_error = "SELEC 1",
    .want_syntax_state = "42000",
    .want_syntax_code = 1064,
    .kill_pre = "KILL ",
    .kill_post = "",
    .set_session = "SET @x = 'pg_catalog'",
    .check_session = "SELECT @x",
    .create_temp = "CREATE TEMPORARY TABLE drv_tmp (a int)",
    .select_temp = "SELECT * FROM drv_tmp",
    .multi_rows = "SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3",
    .server_port = "SELECT @@port",
};

const struct itest_engine *E;
struct dd_harness H;
static char *password; /* it_password(): sodium_malloc */

/* The pause guard: argv of the resume command, built before pausing. */
static char *resume_argv[6];
static char resume_node[16];
static volatile sig_atomic_t paused;

void
itest_init(const char *engine_name)
{
	E = strcmp(it_engine_arg(engine_name, "driver_itest"), "pg") == 0 ? &pg_engine : &my_engine;
	password = it_harness_init(&H);
}

void
itest_done(void)
{
	itest_resume();
	it_password_free();
	password = NULL;
}

struct dd_conn_params
itest_params(const char *node)
{
	struct dd_conn_params p = {
	    .host = H.host,
	    .port = dd_harness_port(&H, node),
	    .database = H.database,
	    .user = H.user,
	    .password = password,
	    .tls = DD_TLS_DISABLE,
	    .application_name = "dbdeck-driver-itest",
	};
	return p;
}

int
itest_open_with(
    const char *node, const char *pw, int timeout_ms, struct dd_conn **out, struct dd_db_error *err)
{
	struct dd_conn_params p = itest_params(node);

	p.password = pw;
	return dd_conn_open(E->engine, &p, itest_deadline(timeout_ms), out, err);
}

struct dd_conn *
itest_open(const char *node, int timeout_ms)
{
	struct dd_conn *c = NULL;
	struct dd_db_error err;

	if (itest_open_with(node, password, timeout_ms, &c, &err) < 0)
		bail_out("connect to %s: [%s] %s", node, dd_err_class_name(err.cls), err.message);
	return c;
}

int64_t
itest_deadline(int ms)
{
	return dd_now_mono_ns() + (int64_t)ms * 1000000;
}

bool
itest_value(struct dd_conn *c, const char *sql, char *buf, size_t len)
{
	struct dd_result *r = NULL;
	struct dd_db_error err;
	const char *v;

	buf[0] = '\0';
	if (dd_conn_query(c, sql, itest_deadline(5000), &r, &err) < 0) {
		diag("%s: [%s] %s", sql, dd_err_class_name(err.cls), err.message);
		return false;
	}
	v = dd_result_nrows(r) > 0 ? dd_result_value(r, 0, 0) : NULL;
	if (v)
		dd_strlcpy(buf, v, len);
	dd_result_free(r);
	return v != NULL;
}

/* --- the pause guard ---------------------------------------------------- */

/* Async-signal-safe: fork + exec of the harness's resume-node. */
static void
run_resume(void)
{
	pid_t pid;
	int st;

	if (!paused)
		return;
	paused = 0;
	pid = fork();
	if (pid == 0) {
		execvp(resume_argv[0], resume_argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static void
on_fatal_signal(int sig)
{
	run_resume();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_exit_resume(void)
{
	run_resume();
}

int
itest_pause(const char *node)
{
	static bool installed;
	static const int sigs[] = {SIGTERM, SIGINT, SIGABRT, SIGSEGV, SIGBUS, SIGHUP};
	static char bash[] = "bash", cmd[] = "resume-node";

	dd_strlcpy(resume_node, node, sizeof(resume_node));
	resume_argv[0] = bash;
	resume_argv[1] = H.script;
	resume_argv[2] = cmd;
	resume_argv[3] = H.dir;
	resume_argv[4] = resume_node;
	resume_argv[5] = NULL;
	if (!installed) {
		atexit(on_exit_resume);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], on_fatal_signal);
		installed = true;
	}
	paused = 1;
	return dd_harness_run(&H, "pause-node %s", node);
}

int
itest_resume(void)
{
	if (!paused)
		return 0;
	paused = 0;
	return dd_harness_run(&H, "resume-node %s", resume_node);
}
