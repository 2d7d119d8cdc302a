/*
 * wire_auth_test.c: the password on the wire (docs/security.md,
 * "Credentials on the wire"), through the driver API, against a hostile fake
 * server (fake_server.py) that asks for the password in a form that reveals
 * it, with and without TLS, and against the harness's real servers.
 *
 * usage: wire_auth_test pg|my PYTHON FAKE_SERVER_PY
 * (DD_WIRE_KEEP=1 keeps the fake servers' records and prints where.)
 *
 * For each scenario the fake server records every byte it receives (after
 * TLS, in hex). With auth = strict (the default, 0 in dd_conn_params) the
 * connect must fail with DD_ERR_AUTH, the password must be absent from the
 * record, and the client must send nothing after the request. With
 * auth = any the same server must get the password (or an md5 answer): the
 * control that proves the checks can fail. Then, on the real servers,
 * neither client library may hold a readable copy of the password once
 * connected, and (MariaDB) a connect abandoned at its deadline leaves
 * Connector/C's copy wiped before the library frees it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbdeck/driver.h"
#include "driver/driver_int.h"
#include "harness.h"
#include "itlib.h"
#include "tap.h"
#include "util/util.h"

struct scenario {
	const char *ask;        /* fake_server.py --ask */
	enum dd_tls_mode tls;   /* the client's tls */
	bool fake_tls;          /* the fake server offers TLS (the harness's certificate) */
	bool with_ca;           /* tls_ca = the harness CA */
	enum dd_auth_mode auth; /* the client's auth */
	const char *after;      /* the record line after which the client must stay silent */
};

static const struct scenario pg_scenarios[] = {
    {"cleartext", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, "asked"},
    {"cleartext", DD_TLS_DISABLE, false, false, DD_AUTH_STRICT, "asked"},
    {"md5", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, "asked"},
    {"md5", DD_TLS_DISABLE, false, false, DD_AUTH_STRICT, "asked"},
    {"sasl-cleartext", DD_TLS_DISABLE, false, false, DD_AUTH_STRICT, NULL},
    {"sasl-cleartext", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, NULL},
    {"cleartext", DD_TLS_PREFER, true, false, DD_AUTH_STRICT, "asked"},
    {"cleartext", DD_TLS_REQUIRE, true, false, DD_AUTH_STRICT, "asked"},
    {"md5", DD_TLS_REQUIRE, true, false, DD_AUTH_STRICT, "asked"},
    {"cleartext", DD_TLS_VERIFY_FULL, true, true, DD_AUTH_STRICT, "asked"},
    /* Controls: the same servers get the password when auth = any. */
    {"cleartext", DD_TLS_PREFER, false, false, DD_AUTH_ANY, NULL},
    {"md5", DD_TLS_PREFER, false, false, DD_AUTH_ANY, NULL},
    {"sasl-cleartext", DD_TLS_DISABLE, false, false, DD_AUTH_ANY, NULL},
    {"cleartext", DD_TLS_REQUIRE, true, false, DD_AUTH_ANY, NULL},
};

static const struct scenario my_scenarios[] = {
    {"clear", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, "greeting"},
    {"clear", DD_TLS_DISABLE, false, false, DD_AUTH_STRICT, "greeting"},
    {"switch-clear", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, "asked"},
    {"switch-clear", DD_TLS_DISABLE, false, false, DD_AUTH_STRICT, "asked"},
    {"switch-dialog", DD_TLS_PREFER, false, false, DD_AUTH_STRICT, "asked"},
    {"switch-clear", DD_TLS_REQUIRE, true, false, DD_AUTH_STRICT, "asked"},
    {"switch-dialog", DD_TLS_VERIFY_FULL, true, true, DD_AUTH_STRICT, "asked"},
    /* Controls. */
    {"clear", DD_TLS_PREFER, false, false, DD_AUTH_ANY, NULL},
    {"switch-clear", DD_TLS_PREFER, false, false, DD_AUTH_ANY, NULL},
    {"switch-dialog", DD_TLS_PREFER, false, false, DD_AUTH_ANY, NULL},
    {"switch-clear", DD_TLS_REQUIRE, true, false, DD_AUTH_ANY, NULL},
};

static struct dd_harness H;
static enum dd_engine engine;
static const char *engine_arg, *python, *fake_py;
static char tmpdir[] = "/tmp/dd-wire-XXXXXX";
static char *secret; /* the fake servers' password, sodium_malloc */
static char secret_hex[128];
static int nrecords;

struct fake {
	pid_t pid;
	int port;
	char record[600];
};

/* Starts fake_server.py; its first line of output is the port. */
static void
fake_start(struct fake *f, const char *ask, bool tls)
{
	char cert[DD_HARNESS_PATH_MAX + 32], key[DD_HARNESS_PATH_MAX + 32], line[32] = "";
	char upstream[16];
	int fds[2];
	struct pollfd pfd;
	ssize_t n;

	snprintf(f->record, sizeof(f->record), "%s/record.%d", tmpdir, ++nrecords);
	snprintf(cert, sizeof(cert), "%s/tls/server.pem", H.dir);
	snprintf(key, sizeof(key), "%s/tls/server.key", H.dir);
	snprintf(upstream, sizeof(upstream), "%d", dd_harness_port(&H, "pg1"));
	if (pipe(fds) < 0)
		bail_out("pipe: %s", strerror(errno));
	if ((f->pid = it_spawn()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(python, python, fake_py, "--engine", engine_arg, "--ask", ask, "--tls",
		    tls ? "offer" : "none", "--cert", cert, "--key", key, "--record", f->record,
		    "--lifetime", "30", "--upstream", upstream, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	for (size_t len = 0; !strchr(line, '\n'); len += (size_t)n) {
		if (len + 1 >= sizeof(line) || poll(&pfd, 1, 10000) != 1 ||
		    (n = read(fds[0], line + len, sizeof(line) - 1 - len)) <= 0)
			bail_out("fake_server.py did not start (%s)", ask);
		line[len + (size_t)n] = '\0';
	}
	close(fds[0]);
	f->port = atoi(line);
	if (f->port <= 0)
		bail_out("fake_server.py printed no port");
}

static void
fake_stop(struct fake *f)
{
	kill(f->pid, SIGTERM);
	it_wait_child(f->pid, 5000);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s = NULL;
	size_t len = 0;

	if (!fp)
		return xstrdup("");
	if (getdelim(&s, &len, '\0', fp) < 0) {
		free(s);
		s = xstrdup("");
	}
	fclose(fp);
	return s;
}

/* All bytes connection conn sent, in hex, concatenated (borrowed static buffer). */
static const char *
conn_bytes(const char *record, int conn)
{
	static char buf[1 << 16];
	char prefix[32];
	const char *p = record;
	size_t len = 0, n;

	buf[0] = '\0';
	snprintf(prefix, sizeof(prefix), "conn %d: got ", conn);
	while ((p = strstr(p, prefix))) {
		p += strlen(prefix);
		n = strcspn(p, "\n");
		if (len + n < sizeof(buf)) {
			memcpy(buf + len, p, n);
			len += n;
			buf[len] = '\0';
		}
	}
	return buf;
}

/* True when some connection sent the password, as one run of bytes. */
static bool
record_has_secret(const char *record)
{
	for (int conn = 1; conn <= 8; conn++)
		if (strstr(conn_bytes(record, conn), secret_hex))
			return true;
	return false;
}

/* True when some connection sent bytes after a line starting with `after`. */
static bool
record_sent_after(const char *record, const char *after)
{
	char key[64];
	const char *p;

	for (int conn = 1; conn <= 8; conn++) {
		snprintf(key, sizeof(key), "conn %d: %s", conn, after);
		if (!(p = strstr(record, key)))
			continue;
		snprintf(key, sizeof(key), "conn %d: got ", conn);
		if (strstr(p, key))
			return true;
	}
	return false;
}

static void
run_scenario(const struct scenario *s)
{
	char ca[DD_HARNESS_PATH_MAX + 1], what[160];
	struct dd_conn_params p = {0};
	struct dd_db_error err = {0};
	struct dd_conn *c = NULL;
	struct fake f;
	char *record;
	int rc;

	fake_start(&f, s->ask, s->fake_tls);
	dd_strlcpy(ca, H.tls_ca, sizeof(ca));
	p.host = "127.0.0.1";
	p.port = f.port;
	p.database = "app";
	p.user = "dbdeck";
	p.password = secret;
	p.tls = s->tls;
	p.tls_ca = s->with_ca ? ca : NULL;
	if (s->auth == DD_AUTH_ANY)
		p.auth = DD_AUTH_ANY; /* else the default: 0, strict */
	rc = dd_conn_open(engine, &p, dd_now_mono_ns() + INT64_C(8000000000), &c, &err);
	if (rc == 0)
		dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	fake_stop(&f);
	record = slurp(f.record);
	snprintf(what, sizeof(what), "%s --ask %s, tls = %s%s, auth = %s", engine_arg, s->ask,
	    dd_tls_mode_name(s->tls), s->fake_tls ? " (the server has TLS)" : "",
	    dd_auth_mode_name(s->auth));
	ok(rc != 0 && err.cls == DD_ERR_AUTH, "%s: an auth error: %s (%s)", what,
	    dd_err_class_name(err.cls), err.message);
	if (s->auth == DD_AUTH_STRICT) {
		ok(!record_has_secret(record), "%s: the server never got the password", what);
		if (s->after)
			ok(!record_sent_after(record, s->after),
			    "%s: the client sent nothing after the request", what);
	} else {
		ok(record_has_secret(record) || record_sent_after(record, "asked"),
		    "%s (control): the server got the password, or an answer derived from it",
		    what);
	}
	free(record);
}

/* --- the libraries' copies, on the real servers ------------------------------------ */

static void
copy_wiped(const char *node, enum dd_tls_mode tls, enum dd_auth_mode auth)
{
	struct dd_conn_params p = {0};
	struct dd_db_error err = {0};
	struct dd_conn *c = NULL;
	bool holds;

	p.host = H.host;
	p.port = dd_harness_port(&H, node);
	p.database = H.database;
	p.user = H.user;
	p.password = it_password(&H);
	p.tls = tls;
	p.auth = auth;
	if (dd_conn_open(engine, &p, dd_now_mono_ns() + INT64_C(8000000000), &c, &err) != 0) {
		ok(false, "%s, tls = %s, auth = %s: connect: %s", node, dd_tls_mode_name(tls),
		    dd_auth_mode_name(auth), err.message);
		return;
	}
	holds =
	    engine == DD_ENGINE_POSTGRESQL ? drv_pg_holds_password(c) : drv_my_holds_password(c);
	ok(!holds, "%s, tls = %s, auth = %s: the client library's copy of the password is wiped",
	    node, dd_tls_mode_name(tls), dd_auth_mode_name(auth));
	dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
}

/*
 * PostgreSQL: SCRAM without TLS still works under auth = strict, through
 * the guard: the fake server answers the SSLRequest with 'N' and relays to
 * pg1 (a server without TLS, to the client). prefer falls back to it.
 */
static void
scram_without_tls(enum dd_tls_mode tls)
{
	struct dd_conn_params p = {0};
	struct dd_db_error err = {0};
	struct dd_conn *c = NULL;
	char v[32] = "";
	struct dd_result *r = NULL;
	struct fake f;
	char *record;
	int rc;

	fake_start(&f, "proxy", false);
	p.host = "127.0.0.1";
	p.port = f.port;
	p.database = H.database;
	p.user = H.user;
	p.password = it_password(&H);
	p.tls = tls;
	rc = dd_conn_open(engine, &p, dd_now_mono_ns() + INT64_C(8000000000), &c, &err);
	ok(rc == 0, "SCRAM through a server without TLS, tls = %s, auth = strict: connected%s%s",
	    dd_tls_mode_name(tls), rc ? ": " : "", rc ? err.message : "");
	if (rc == 0) {
		if (dd_conn_query(c, "SELECT 40 + 2", dd_now_mono_ns() + INT64_C(3000000000), &r,
		        &err) == 0 &&
		    dd_result_value(r, 0, 0))
			dd_strlcpy(v, dd_result_value(r, 0, 0), sizeof(v));
		dd_result_free(r);
		is_str(v, "42", "  and a statement runs once the guard has stepped aside");
		ok(!drv_pg_holds_password(c), "  libpq's copy of the password is wiped");
		dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	}
	fake_stop(&f);
	record = slurp(f.record);
	ok(strstr(record, "relaying") &&
	        (tls != DD_TLS_PREFER || strstr(record, "ssl/gss request: N")),
	    "  through the relay%s",
	    tls == DD_TLS_PREFER ? ", after the SSLRequest was refused" : "");
	free(record);
}

static int hook_calls;
static bool hook_saw_secret, hook_saw_copy;

static void
abandon_hook(const char *copy)
{
	hook_calls++;
	if (copy) {
		hook_saw_copy = true;
		hook_saw_secret = hook_saw_secret || strcmp(copy, secret) == 0;
	}
}

/* MariaDB: a connect abandoned at its deadline wipes Connector/C's copy first. */
static void
abandoned_connect(void)
{
	struct dd_conn_params p = {0};
	struct dd_db_error err = {0};
	struct dd_conn *c = NULL;
	struct fake f;
	int rc;

	fake_start(&f, "stall", false);
	p.host = "127.0.0.1";
	p.port = f.port;
	p.database = "app";
	p.user = "dbdeck";
	p.password = secret;
	p.tls = DD_TLS_DISABLE;
	drv_my_abandon_hook = abandon_hook;
	rc = dd_conn_open(engine, &p, dd_now_mono_ns() + INT64_C(700000000), &c, &err);
	drv_my_abandon_hook = NULL;
	if (rc == 0)
		dd_conn_close(c, dd_now_mono_ns());
	fake_stop(&f);
	ok(rc != 0 && err.cls == DD_ERR_TIMEOUT, "a stalled connect times out (%s)",
	    dd_err_class_name(err.cls));
	ok(hook_calls > 0 && hook_saw_copy, "the abandon point saw Connector/C's copy (%d calls)",
	    hook_calls);
	ok(!hook_saw_secret, "Connector/C's copy was wiped before the library frees it");
}

static void
cleanup(void)
{
	if (getenv("DD_WIRE_KEEP")) { /* debugging: keep the records */
		fprintf(stderr, "records kept in %s\n", tmpdir);
		return;
	}
	for (int i = 1; i <= nrecords; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/record.%d", tmpdir, i);
		unlink(path);
	}
	rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	const struct scenario *sc;
	size_t n;
	unsigned char rnd[12];

	if (argc != 4)
		bail_out("usage: wire_auth_test pg|my PYTHON FAKE_SERVER_PY");
	engine_arg = it_engine_arg(argv[1], "wire_auth_test");
	engine = strcmp(engine_arg, "pg") == 0 ? DD_ENGINE_POSTGRESQL : DD_ENGINE_MARIADB;
	python = argv[2];
	fake_py = argv[3];
	it_harness_init(&H);
	if (sodium_init() < 0 || !mkdtemp(tmpdir))
		bail_out("setup: %s", strerror(errno));
	atexit(cleanup);
	secret = sodium_malloc(64);
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(secret, "wire-", 5);
	sodium_bin2hex(secret + 5, 59, rnd, sizeof(rnd));
	sodium_bin2hex(secret_hex, sizeof(secret_hex), (unsigned char *)secret, strlen(secret));

	sc = engine == DD_ENGINE_POSTGRESQL ? pg_scenarios : my_scenarios;
	n = engine == DD_ENGINE_POSTGRESQL ? DD_ARRAY_LEN(pg_scenarios)
	                                   : DD_ARRAY_LEN(my_scenarios);
	for (size_t i = 0; i < n; i++)
		run_scenario(&sc[i]);

	const char *node = engine == DD_ENGINE_POSTGRESQL ? "pg1" : "my1";
	copy_wiped(node, DD_TLS_PREFER, DD_AUTH_STRICT);
	copy_wiped(node, DD_TLS_DISABLE, DD_AUTH_STRICT);
	copy_wiped(node, DD_TLS_REQUIRE, DD_AUTH_ANY);
	if (engine == DD_ENGINE_POSTGRESQL) {
		scram_without_tls(DD_TLS_PREFER);
		scram_without_tls(DD_TLS_DISABLE);
	} else {
		abandoned_connect();
	}
	sodium_free(secret);
	it_password_free();
	return tap_done();
}
