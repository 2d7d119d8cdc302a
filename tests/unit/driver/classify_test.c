/*
 * classify_test.c: the drivers' error classification tables (PostgreSQL
 * SQLSTATEs, MySQL/MariaDB error numbers, connect-time message mapping), the
 * breaker's node-failure predicate, and the session-dirtiness heuristics.
 */
#include <stdlib.h>
#include <string.h>

#include "dbdeck/driver.h"
#include "driver/driver_int.h"
#include "tap.h"

struct pg_case {
	const char *state;
	bool at_connect;
	enum dd_err_class want;
};

static const struct pg_case pg_cases[] = {
    {"40001", false, DD_ERR_TRANSIENT}, {"40P01", false, DD_ERR_TRANSIENT},
    {"53300", false, DD_ERR_TRANSIENT}, {"53300", true, DD_ERR_TRANSIENT},
    {"55P03", false, DD_ERR_TRANSIENT}, {"57P03", true, DD_ERR_TRANSIENT},
    {"57P01", false, DD_ERR_CONN_LOST}, /* backend terminated on a live conn */
    {"57P01", true, DD_ERR_TRANSIENT},  /* shutting down while connecting */
    {"08006", false, DD_ERR_CONN_LOST}, {"08003", false, DD_ERR_CONN_LOST},
    {"08006", true, DD_ERR_TRANSIENT}, {"08001", true, DD_ERR_TRANSIENT},
    {"08004", true, DD_ERR_TRANSIENT}, {"28P01", true, DD_ERR_AUTH}, {"28000", true, DD_ERR_AUTH},
    {"28P01", false, DD_ERR_AUTH}, {"57014", false, DD_ERR_CANCELED},
    {"42601", false, DD_ERR_PERMANENT}, /* syntax_error */
    {"23505", false, DD_ERR_PERMANENT}, /* unique_violation */
    {"42501", false, DD_ERR_PERMANENT}, /* insufficient_privilege */
    {"25006", false, DD_ERR_PERMANENT}, /* read_only_sql_transaction */
    {"3D000", true, DD_ERR_PERMANENT},  /* database does not exist */
    {"ZZ999", false, DD_ERR_PERMANENT}, /* unknown */
    {"ZZ999", true, DD_ERR_PERMANENT}, {"", false, DD_ERR_PERMANENT}, {"", true, DD_ERR_TRANSIENT},
    {NULL, true, DD_ERR_TRANSIENT}, {"4000", false, DD_ERR_PERMANENT}, /* malformed */
};

struct my_case {
	int code;
	bool at_connect;
	enum dd_err_class want;
};

static const struct my_case my_cases[] = {
    {1040, false, DD_ERR_TRANSIENT},
    {1040, true, DD_ERR_TRANSIENT},
    {1205, false, DD_ERR_TRANSIENT},
    {1213, false, DD_ERR_TRANSIENT},
    {2002, true, DD_ERR_TRANSIENT},
    {2003, true, DD_ERR_TRANSIENT},
    {1045, true, DD_ERR_AUTH},
    {1044, true, DD_ERR_AUTH},
    {1045, false, DD_ERR_AUTH},
    {2006, false, DD_ERR_CONN_LOST},
    {2013, false, DD_ERR_CONN_LOST},
    {2055, false, DD_ERR_CONN_LOST},
    {1927, false, DD_ERR_CONN_LOST}, /* MariaDB: connection was killed */
    {1053, false, DD_ERR_CONN_LOST},
    {2013, true, DD_ERR_TRANSIENT},
    {2055, true, DD_ERR_TRANSIENT},
    {1317, false, DD_ERR_CANCELED},
    {1064, false, DD_ERR_PERMANENT}, /* syntax */
    {1062, false, DD_ERR_PERMANENT}, /* duplicate key */
    {1146, false, DD_ERR_PERMANENT}, /* no such table */
    {1142, false, DD_ERR_PERMANENT}, /* command denied */
    {1290, false, DD_ERR_PERMANENT}, /* --read-only */
    {1049, true, DD_ERR_TRANSIENT},  /* unknown db at connect: unlisted → try later */
    {9999, false, DD_ERR_PERMANENT},
    {9999, true, DD_ERR_TRANSIENT},
    {0, false, DD_ERR_PERMANENT},
};

static void
test_pg_table(void)
{
	for (size_t i = 0; i < sizeof(pg_cases) / sizeof(pg_cases[0]); i++) {
		const struct pg_case *c = &pg_cases[i];
		enum dd_err_class got = dd_pg_classify_sqlstate(c->state, c->at_connect);
		if (!ok(got == c->want, "pg %s%s -> %s", c->state ? c->state : "(null)",
		        c->at_connect ? " at connect" : "", dd_err_class_name(c->want)))
			diag("  got %s", dd_err_class_name(got));
	}
}

static void
test_my_table(void)
{
	for (size_t i = 0; i < sizeof(my_cases) / sizeof(my_cases[0]); i++) {
		const struct my_case *c = &my_cases[i];
		enum dd_err_class got = dd_mysql_classify_errno(c->code, c->at_connect);
		if (!ok(got == c->want, "mysql %d%s -> %s", c->code,
		        c->at_connect ? " at connect" : "", dd_err_class_name(c->want)))
			diag("  got %s", dd_err_class_name(got));
	}
}

static void
test_pg_connect_messages(void)
{
	const char *s;

	s = drv_pg_connect_sqlstate("connection to server at \"127.0.0.1\", port 5432 failed: "
	                            "FATAL:  password authentication failed for user \"dbdeck\"\n");
	is_str(s, "28P01", "connect message: wrong password -> 28P01");
	s = drv_pg_connect_sqlstate("FATAL:  role \"nobody\" does not exist");
	is_str(s, "28000", "connect message: unknown role -> 28000 (not 3D000)");
	s = drv_pg_connect_sqlstate("FATAL:  database \"nodb\" does not exist");
	is_str(s, "3D000", "connect message: unknown database -> 3D000");
	s = drv_pg_connect_sqlstate("FATAL:  sorry, too many clients already");
	is_str(s, "53300", "connect message: too many clients -> 53300");
	s = drv_pg_connect_sqlstate("FATAL:  the database system is starting up");
	is_str(s, "57P03", "connect message: starting up -> 57P03");
	s = drv_pg_connect_sqlstate("connection to server at \"127.0.0.1\", port 5432 failed: SSL "
	                            "error: certificate verify failed");
	is_str(s, "28000", "connect message: refused server certificate -> 28000");
	s = drv_pg_connect_sqlstate("server certificate for \"127.0.0.1\" (and 1 other name) does "
	                            "not match host name \"localhost\"");
	is_str(s, "28000", "connect message: certificate for another host -> 28000");
	s = drv_pg_connect_sqlstate("root certificate file \"/nope.pem\" does not exist");
	is_str(s, "28000", "connect message: missing CA file -> 28000 (not 3D000)");
	s = drv_pg_connect_sqlstate("connection to server at \"127.0.0.1\", port 5432 failed: "
	                            "channel binding required but not supported by server's "
	                            "authentication request");
	is_str(s, "28000", "connect message: channel binding refused -> 28000 (auth = strict)");
	ok(drv_pg_connect_sqlstate("connection refused") == NULL,
	    "connect message: refused -> no SQLSTATE (caller uses 08001)");
	ok(drv_pg_connect_sqlstate(NULL) == NULL, "connect message: NULL -> NULL");
}

static void
test_my_tls_messages(void)
{
	is_int(dd_mysql_classify(
	           2026, "TLS/SSL error: self-signed certificate in certificate chain", true),
	    DD_ERR_AUTH, "my 2026 wrong CA -> auth");
	is_int(dd_mysql_classify(
	           2026, "TLS/SSL error: Validation of SSL server certificate failed", true),
	    DD_ERR_AUTH, "my 2026 wrong host name -> auth");
	is_int(dd_mysql_classify(2026, "TLS/SSL error: unexpected eof while reading", true),
	    DD_ERR_TRANSIENT, "my 2026 handshake cut short -> transient");
	is_int(dd_mysql_classify(5010,
	           "Authentication plugin 'x' couldn't be found in "
	           "restricted_auth plugin list.",
	           true),
	    DD_ERR_AUTH, "my 5010 plugin refused by auth = strict -> auth");
	is_int(dd_mysql_classify(2013, NULL, false), DD_ERR_CONN_LOST,
	    "my: other codes as dd_mysql_classify_errno");
}

static struct dd_db_error
mkerr(enum dd_err_class cls, const char *state, int code)
{
	struct dd_db_error e;

	memset(&e, 0, sizeof(e));
	e.cls = cls;
	strcpy(e.sqlstate, state);
	e.code = code;
	return e;
}

static void
test_node_failure(void)
{
	struct dd_db_error e;

	e = mkerr(DD_ERR_TIMEOUT, "", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: timeout");
	e = mkerr(DD_ERR_CONN_LOST, "08006", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: pg conn lost");
	e = mkerr(DD_ERR_CONN_LOST, "HY000", 2013);
	ok(dd_db_error_is_node_failure(&e), "node failure: mysql 2013");
	e = mkerr(DD_ERR_TRANSIENT, "08001", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: pg cannot connect (08001)");
	e = mkerr(DD_ERR_TRANSIENT, "", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: pg connect failure without state");
	e = mkerr(DD_ERR_TRANSIENT, "53300", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: pg too many connections");
	e = mkerr(DD_ERR_TRANSIENT, "57P03", 0);
	ok(dd_db_error_is_node_failure(&e), "node failure: pg starting up");
	e = mkerr(DD_ERR_TRANSIENT, "HY000", 2003);
	ok(dd_db_error_is_node_failure(&e), "node failure: mysql 2003");
	e = mkerr(DD_ERR_TRANSIENT, "08004", 1040);
	ok(dd_db_error_is_node_failure(&e), "node failure: mysql 1040");
	e = mkerr(DD_ERR_TRANSIENT, "40001", 0);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: serialization");
	e = mkerr(DD_ERR_TRANSIENT, "40P01", 0);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: pg deadlock");
	e = mkerr(DD_ERR_TRANSIENT, "40001", 1213);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: mysql deadlock");
	e = mkerr(DD_ERR_TRANSIENT, "HY000", 1205);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: mysql lock wait");
	e = mkerr(DD_ERR_PERMANENT, "42601", 0);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: syntax");
	e = mkerr(DD_ERR_PERMANENT, "42000", 1064);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: mysql syntax");
	e = mkerr(DD_ERR_AUTH, "28P01", 0);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: auth");
	e = mkerr(DD_ERR_CANCELED, "57014", 0);
	ok(!dd_db_error_is_node_failure(&e), "not a node failure: canceled");
	ok(!dd_db_error_is_node_failure(NULL), "not a node failure: NULL");
}

/* The SQL as a one-line test name (TAP names cannot hold newlines). */
static const char *
oneline(const char *sql)
{
	static char buf[128];
	size_t i;

	for (i = 0; sql[i] && i + 1 < sizeof(buf); i++)
		buf[i] = sql[i] == '\n' ? ' ' : sql[i];
	buf[i] = '\0';
	return buf;
}

static void
test_pg_dirty(void)
{
	static const char *const clean[] = {
	    "SELECT 1",
	    "  select * from t",
	    "INSERT INTO t VALUES (1)",
	    "update t set a = 1",
	    "DELETE FROM t",
	    "WITH x AS (SELECT 1) SELECT * FROM x",
	    "VALUES (1)",
	    "TABLE t",
	    "SHOW search_path",
	    "EXPLAIN SELECT 1",
	    "BEGIN",
	    "START TRANSACTION",
	    "COMMIT",
	    "ROLLBACK",
	    "END",
	    "(SELECT 1)",
	    "-- a comment\nSELECT 1",
	    "/* c */ SELECT 1",
	    "SELECT 'SET x'; SELECT 2",
	    "SELECT pg_advisory_xact_lock(1)",
	    "",
	    "   ",
	    ";",
	    "SELECT $$; SET x = 1$$",
	    "SELECT E'\\'; SET x'",
	    "SELECT 'it''s; SET'",
	    "SELECT 1 -- ; SET x\n",
	    "SELECT \"SET\" FROM t",
	};
	static const char *const dirty[] = {
	    "SET search_path = x",
	    "set statement_timeout = 5",
	    "RESET ALL",
	    "CREATE TEMP TABLE t (a int)",
	    "CREATE TABLE t (a int)",
	    "PREPARE p AS SELECT 1",
	    "DECLARE c CURSOR FOR SELECT 1",
	    "LISTEN ch",
	    "LOCK TABLE t",
	    "DISCARD ALL",
	    "DEALLOCATE p",
	    "SELECT set_config('search_path', 'x', false)",
	    "SELECT pg_advisory_lock(1)",
	    "select pg_try_advisory_lock(1)",
	    "SELECT 1; SET x = 1",
	    "SELECT 1;SET x = 1",
	    "/* c */ SET x = 1",
	    "-- c\nSET x = 1",
	    "SELECT * INTO TEMP t FROM s",
	    "BEGIN; SET LOCAL x = 1; COMMIT",
	    "DO $$ BEGIN END $$",
	    "CALL p()",
	};

	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		ok(!drv_pg_sql_dirties(clean[i]), "pg clean: %s", oneline(clean[i]));
	for (size_t i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		ok(drv_pg_sql_dirties(dirty[i]), "pg dirty: %s", oneline(dirty[i]));
}

static void
test_my_dirty(void)
{
	static const char *const clean[] = {
	    "SELECT 1",
	    "SELECT @@port",
	    "INSERT INTO t VALUES (1)",
	    "REPLACE INTO t VALUES (1)",
	    "SHOW SLAVE STATUS",
	    "BEGIN",
	    "COMMIT",
	    "ROLLBACK",
	    "SELECT '@x'",
	    "# comment\nSELECT 1",
	    "KILL QUERY 5",
	    "DESCRIBE t",
	};
	static const char *const dirty[] = {
	    "SET @x = 1",
	    "SET SESSION sql_mode = ''",
	    "SELECT @x := 1",
	    "SELECT 1 INTO @x",
	    "CREATE TEMPORARY TABLE t (a int)",
	    "USE app",
	    "LOCK TABLES t READ",
	    "PREPARE s FROM 'SELECT 1'",
	    "SELECT GET_LOCK('a', 1)",
	    "SELECT 1; SET @x = 1",
	};

	static const char *const tracked[] = {
	    "SET SESSION sql_mode = ''",
	    "CREATE TEMPORARY TABLE t (a int)",
	    "USE app",
	    "PREPARE s FROM 'SELECT 1'",
	    "SELECT 1",
	    "SELECT @@port",
	    "SET @@session.x = 1",
	};
	static const char *const untracked[] = {
	    "SET @x = 1",
	    "SELECT @x := 1",
	    "SELECT 1 INTO @x",
	    "SELECT GET_LOCK('a', 1)",
	    "LOCK TABLES t READ",
	    "HANDLER t OPEN",
	    "SELECT 1; SELECT @y",
	};

	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		ok(!drv_mysql_sql_dirties(clean[i]), "mysql clean: %s", oneline(clean[i]));
	for (size_t i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		ok(drv_mysql_sql_dirties(dirty[i]), "mysql dirty: %s", oneline(dirty[i]));
	for (size_t i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++)
		ok(!drv_mysql_sql_untracked_state(tracked[i]), "mysql left to the tracker: %s",
		    tracked[i]);
	for (size_t i = 0; i < sizeof(untracked) / sizeof(untracked[0]); i++)
		ok(drv_mysql_sql_untracked_state(untracked[i]), "mysql not tracked: %s",
		    untracked[i]);
}

/* tls.h: loopback hosts, the system trust store, the auth names. */
static void
test_transport(void)
{
	static const char *const loop[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1",
	    "localhost", "/run/postgresql", "/tmp"};
	static const char *const net[] = {"10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1",
	    "db.example.com", "localhost.example.com", "127.0.0.1.example.com", "", "0.0.0.0"};

	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
		ok(dd_host_is_loopback(loop[i]), "loopback: %s", loop[i]);
	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		ok(!dd_host_is_loopback(net[i]), "not loopback: '%s'", net[i]);
	ok(!dd_host_is_loopback(NULL), "not loopback: NULL");
	setenv("SSL_CERT_FILE", "/etc/hostname-does-not-exist.pem", 1);
	ok(dd_tls_system_ca() == NULL, "SSL_CERT_FILE names an unreadable file: no store");
	setenv("SSL_CERT_FILE", "", 1);
	ok(dd_tls_system_ca() == NULL, "SSL_CERT_FILE empty: no store");
	setenv("SSL_CERT_FILE", "/dev/null", 1);
	is_str(dd_tls_system_ca(), "/dev/null", "SSL_CERT_FILE names the store");
	unsetenv("SSL_CERT_FILE");
	ok(dd_tls_verifies(DD_TLS_VERIFY_CA) && dd_tls_verifies(DD_TLS_VERIFY_FULL) &&
	        !dd_tls_verifies(DD_TLS_REQUIRE) && !dd_tls_verifies(DD_TLS_PREFER),
	    "verify-ca and verify-full verify, the others do not");
	is_str(dd_auth_mode_name(DD_AUTH_STRICT), "strict", "auth name strict (the default, 0)");
	is_int(DD_AUTH_STRICT, 0, "DD_AUTH_STRICT is 0: zeroed params are strict");
	is_str(dd_auth_mode_name(DD_AUTH_ANY), "any", "auth name any");
}

static void
test_names(void)
{
	is_str(dd_err_class_name(DD_ERR_CONN_LOST), "conn-lost", "class name conn-lost");
	is_str(dd_err_class_name(DD_ERR_AUTH), "auth", "class name auth");
	is_str(dd_tls_mode_name(DD_TLS_VERIFY_FULL), "verify-full", "tls name verify-full");
	is_str(dd_role_name(DD_ROLE_REPLICA), "replica", "role name replica");
	ok(dd_driver_for(DD_ENGINE_POSTGRESQL) == &dd_driver_pg, "engine postgresql -> pg driver");
	ok(dd_driver_for(DD_ENGINE_MARIADB) == &dd_driver_mysql, "engine mariadb -> mysql driver");
	ok(dd_driver_for(DD_ENGINE_MYSQL) == &dd_driver_mysql, "engine mysql -> mysql driver");
}

int
main(void)
{
	test_pg_table();
	test_my_table();
	test_pg_connect_messages();
	test_my_tls_messages();
	test_node_failure();
	test_pg_dirty();
	test_my_dirty();
	test_names();
	test_transport();
	return tap_done();
}
