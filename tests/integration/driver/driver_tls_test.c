/*
 * driver_tls_test.c: the drivers' TLS modes against the harness, whose
 * servers offer TLS with a certificate for IP 127.0.0.1 signed by the
 * harness CA ($DD_TLS_CA); $DD_TLS_OTHER_CA signed nothing. Run once per
 * engine (argument pg or my) on the primary. For each mode it checks
 * whether the connection is made and whether the session is encrypted, as
 * the server itself reports it (pg_stat_ssl; Ssl_version): disable stays in
 * clear, prefer and require encrypt, verify-ca and verify-full accept the
 * right CA and refuse another one, and verify-full refuses a host name the
 * certificate does not name ("localhost") that verify-ca lets through.
 * Without tls_ca, verify-ca and verify-full use the system trust store.
 * Statements then run over TLS with the driver's deadlines as over TCP.
 * A require connection costs under 0.7 MB held open: Connector/C no
 * longer loads the system trust store into connections that do not verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "tap.h"
#include "util/util.h"

static const char *ca, *other_ca;

/* The server's view of the session's encryption: "on", "off", or NULL on error. */
static const char *
session_tls(struct dd_conn *c)
{
	char v[64];
	const char *sql = E->engine == DD_ENGINE_POSTGRESQL
	                      ? "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	                      : "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
	                        "WHERE VARIABLE_NAME = 'SSL_VERSION'";

	if (!itest_value(c, sql, v, sizeof(v)))
		return NULL;
	if (E->engine == DD_ENGINE_POSTGRESQL)
		return strcmp(v, "t") == 0 ? "on" : "off";
	return v[0] ? "on" : "off";
}

/*
 * Connects to the primary with mode and CA (may be NULL) to host; returns
 * the session's encryption ("on"/"off"), or "refused" with the error in err.
 */
static const char *
try_mode(enum dd_tls_mode mode, const char *cafile, const char *host, struct dd_db_error *err)
{
	struct dd_conn_params p = itest_params(E->nodes[0]);
	struct dd_conn *c = NULL;
	const char *tls;

	p.tls = mode;
	p.tls_ca = cafile;
	if (host)
		p.host = host;
	memset(err, 0, sizeof(*err));
	if (dd_conn_open(E->engine, &p, itest_deadline(5000), &c, err) != 0)
		return "refused";
	tls = session_tls(c);
	dd_conn_close(c, itest_deadline(1000));
	return tls ? tls : "no answer";
}

static void
expect(
    enum dd_tls_mode mode, const char *cafile, const char *host, const char *want, const char *what)
{
	struct dd_db_error e;
	const char *got = try_mode(mode, cafile, host, &e);
	bool same = strcmp(got, want) == 0;

	/* got ?: GCC's -Wformat-overflow under ASan cannot see that try_mode never returns NULL. */
	ok(same, "%s %s: %s (want %s)", E->name, what, got ? got : "?", want);
	if (strcmp(got, "refused") == 0) /* why, whether wanted or not */
		diag("  %s", e.message);
}

/* A refusal says what was wrong and is not a retryable or node failure. */
static void
refusal_is_clear(void)
{
	struct dd_db_error e;

	try_mode(DD_TLS_VERIFY_CA, other_ca, NULL, &e);
	ok(e.message[0] != '\0' && e.cls != DD_ERR_TRANSIENT && e.cls != DD_ERR_TIMEOUT,
	    "%s: a certificate refusal is %s, not retryable: %s", E->name, dd_err_class_name(e.cls),
	    e.message);
	ok(strstr(e.message, "set tls_ca") && strstr(e.message, "weaker tls mode on purpose"),
	    "%s: and says how to set tls_ca or choose a weaker mode on purpose", E->name);
}

/*
 * verify-ca/verify-full without tls_ca use the system trust store, which
 * does not hold the harness CA: refused, never "verifies nothing". With
 * SSL_CERT_FILE naming the harness CA, the store is that file.
 */
static void
system_trust_store(void)
{
	expect(DD_TLS_VERIFY_CA, NULL, NULL, "refused",
	    "verify-ca without tls_ca: the system trust store lacks the harness CA");
	expect(DD_TLS_VERIFY_FULL, NULL, NULL, "refused",
	    "verify-full without tls_ca: the system trust store lacks the harness CA");
	setenv("SSL_CERT_FILE", ca, 1);
	expect(
	    DD_TLS_VERIFY_CA, NULL, NULL, "on", "verify-ca without tls_ca, SSL_CERT_FILE = the CA");
	expect(DD_TLS_VERIFY_FULL, NULL, NULL, "on",
	    "verify-full without tls_ca, SSL_CERT_FILE = the CA");
	setenv("SSL_CERT_FILE", other_ca, 1);
	expect(DD_TLS_VERIFY_CA, NULL, NULL, "refused",
	    "verify-ca without tls_ca, SSL_CERT_FILE = another CA");
	unsetenv("SSL_CERT_FILE");
}

/* This process's resident memory in bytes (0 when /proc cannot tell). */
static double
rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (double)rss * (double)sysconf(_SC_PAGESIZE);
}

/*
 * What a require connection without tls_ca costs in memory, held open:
 * 0.1 MB with libpq, 0.36 MB with Connector/C, which used to load the whole
 * system trust store into each one (1.15 MB then) though it verifies
 * nothing with it (core/driver/my_trust.c).
 */
#define MEM_CONNS 8
static void
memory_per_connection(void)
{
	struct dd_conn_params p = itest_params(E->nodes[0]);
	struct dd_conn *c[MEM_CONNS + 1] = {0};
	struct dd_db_error e;
	double before = 0, per;
	const char *tls;
	int n = 0;

	p.tls = DD_TLS_REQUIRE;
	for (int i = 0; i <= MEM_CONNS; i++) {
		if (i == 1) /* the first connect also loads the libraries' tables */
			before = rss_bytes();
		if (dd_conn_open(E->engine, &p, itest_deadline(5000), &c[i], &e) != 0) {
			diag("  connect %d: %s", i, e.message);
			break;
		}
		n++;
	}
	per = (rss_bytes() - before) / MEM_CONNS / 1048576.0;
	ok(n == MEM_CONNS + 1 && per < 0.7,
	    "%s: %d require connections without tls_ca held open cost %.2f MB each (< 0.7)",
	    E->name, MEM_CONNS, per);
	tls = c[0] ? session_tls(c[0]) : NULL;
	ok(tls && strcmp(tls, "on") == 0, "%s: and they are encrypted", E->name);
	for (int i = 0; i < n; i++)
		dd_conn_close(c[i], itest_deadline(1000));
}

/* Statements, a deadline and a cancel-free timeout over a verified TLS session. */
static void
statements_over_tls(void)
{
	struct dd_conn_params p = itest_params(E->nodes[0]);
	struct dd_result *r = NULL;
	struct dd_db_error e;
	struct dd_conn *c = NULL;
	int64_t t0;
	int rc;

	p.tls = DD_TLS_VERIFY_FULL;
	p.tls_ca = ca;
	if (dd_conn_open(E->engine, &p, itest_deadline(5000), &c, &e) != 0) {
		ok(false, "%s: verify-full connect for statements: %s", E->name, e.message);
		return;
	}
	rc = dd_conn_query(c, E->multi_rows, itest_deadline(3000), &r, &e);
	ok(rc == 0 && dd_result_nrows(r) == 3, "%s over TLS: three rows back", E->name);
	dd_result_free(r);
	r = NULL;
	t0 = dd_now_mono_ns();
	rc = dd_conn_query(c, E->sleep5, itest_deadline(300), &r, &e);
	ok(rc != 0 && e.cls == DD_ERR_TIMEOUT && dd_now_mono_ns() - t0 < 1500 * INT64_C(1000000),
	    "%s over TLS: a 5 s statement ends at its 300 ms deadline (%.0f ms, %s)", E->name,
	    (double)(dd_now_mono_ns() - t0) / 1e6, dd_err_class_name(e.cls));
	dd_result_free(r);
	dd_conn_close(c, itest_deadline(1000));
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		bail_out("usage: driver_tls_test pg|my");
	itest_init(argv[1]);
	ca = H.tls_ca;
	other_ca = H.tls_other_ca;

	expect(DD_TLS_DISABLE, NULL, NULL, "off", "disable");
	expect(DD_TLS_PREFER, NULL, NULL, "on", "prefer");
	expect(DD_TLS_REQUIRE, NULL, NULL, "on", "require");
	expect(DD_TLS_VERIFY_CA, ca, NULL, "on", "verify-ca, the harness CA");
	expect(DD_TLS_VERIFY_FULL, ca, NULL, "on", "verify-full, the harness CA, 127.0.0.1");
	expect(DD_TLS_VERIFY_CA, other_ca, NULL, "refused", "verify-ca, another CA");
	expect(DD_TLS_VERIFY_FULL, other_ca, NULL, "refused", "verify-full, another CA");
	expect(DD_TLS_VERIFY_CA, ca, "localhost", "on", "verify-ca to localhost (no host check)");
	expect(DD_TLS_VERIFY_FULL, ca, "localhost", "refused",
	    "verify-full to localhost (the certificate names 127.0.0.1 only)");
	refusal_is_clear();
	memory_per_connection();
	system_trust_store();
	statements_over_tls();
	itest_done();
	return tap_done();
}
