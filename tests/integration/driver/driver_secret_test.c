/*
 * driver_secret_test.c: a server that refuses a statement carrying a password
 * never gets that password into a struct dd_db_error (issue 11). Against the
 * harness's primaries: MariaDB's parse errors quote the statement from the
 * error on, PostgreSQL's the token. The keyword rule masks a password after
 * MASTER_PASSWORD / PASSWORD in any error; a statement sent with
 * dd_conn_exec_secret keeps no quoted text at all, also when the quote starts
 * at the password itself.
 */
#include <string.h>

#include "itest.h"
#include "tap.h"

#define SECRET "zq7secretpw"

/* Runs sql (plain or as a secret statement); the error it gave. */
static struct dd_db_error
fail_of(struct dd_conn *c, const char *sql, bool secret)
{
	struct dd_db_error e;
	int rc = secret ? dd_conn_exec_secret(c, sql, itest_deadline(5000), NULL, &e)
	                : dd_conn_exec(c, sql, itest_deadline(5000), NULL, &e);

	if (rc == 0)
		bail_out("the server accepted: %s", secret ? "(a secret statement)" : sql);
	return e;
}

static void
test_my(struct dd_conn *c)
{
	struct dd_db_error e;

	/* A missing comma: the server quotes from MASTER_PASSWORD on. */
	e = fail_of(c, "CHANGE MASTER TO MASTER_USER='u' MASTER_PASSWORD='" SECRET "'", false);
	ok(e.code == 1064 && strstr(e.message, "MASTER_PASSWORD='***") &&
	        !strstr(e.message, SECRET),
	    "MariaDB quoting MASTER_PASSWORD='...': masked in a plain error (%s)", e.message);
	/* A missing '=': the quote starts at the password, no keyword before it. */
	e = fail_of(c, "CHANGE MASTER TO MASTER_PASSWORD '" SECRET "'", false);
	ok(strstr(e.message, SECRET) != NULL, "(a plain error quoting the password alone would "
	                                      "show it: why secret statements exist)");
	e = fail_of(c, "CHANGE MASTER TO MASTER_PASSWORD '" SECRET "'", true);
	ok(e.code == 1064 && !strstr(e.message, SECRET) && strstr(e.message, "withheld"),
	    "dd_conn_exec_secret keeps no quoted text (%s)", e.message);
	e = fail_of(c, "ALTER USER nobody_here@'%' IDENTIFIED BY '" SECRET "'", true);
	ok(e.code != 0 && !strstr(e.message, SECRET), "an ALTER USER refused: %d %s (%s)", e.code,
	    e.sqlstate, e.message);
}

static void
test_pg(struct dd_conn *c)
{
	struct dd_db_error e;

	/* An unquoted password: the server quotes the token. */
	e = fail_of(c, "ALTER ROLE dbdeck PASSWORD " SECRET, false);
	ok(strcmp(e.sqlstate, "42601") == 0 && strstr(e.message, SECRET) != NULL,
	    "(PostgreSQL quotes the token in a plain error)");
	e = fail_of(c, "ALTER ROLE dbdeck PASSWORD " SECRET, true);
	ok(strcmp(e.sqlstate, "42601") == 0 && !strstr(e.message, SECRET) &&
	        strstr(e.message, "withheld"),
	    "dd_conn_exec_secret keeps no quoted text (%s)", e.message);
	e = fail_of(c, "ALTER ROLE no_such_role_here PASSWORD '" SECRET "'", true);
	ok(strcmp(e.sqlstate, "42704") == 0 && !strstr(e.message, SECRET),
	    "a refused ALTER ROLE: %s (%s)", e.sqlstate, e.message);
}

int
main(int argc, char **argv)
{
	struct dd_conn *c;

	itest_init(argc > 1 ? argv[1] : NULL);
	c = itest_open(E->nodes[0], 5000);
	if (E->engine == DD_ENGINE_POSTGRESQL)
		test_pg(c);
	else
		test_my(c);
	dd_conn_close(c, itest_deadline(1000));
	itest_done();
	return tap_done();
}
