/*
 * redact_test.c: passwords that server messages quote are masked before they
 * become an error (dd_text_redact_secrets, through the drivers' drv_seterr),
 * and the error of a statement that carries a secret keeps no quoted text
 * (dd_db_error_withhold_quoted). The messages are the servers' own formats:
 * MariaDB's parse error quotes the statement from the error on, PostgreSQL's
 * the token, replication errors the whole replicated statement.
 */
#include <string.h>

#include "dbdeck/driver.h"
#include "dbdeck/text.h"
#include "driver/driver_int.h"
#include "tap.h"
#include "util/util.h"

#define SECRET "s3cr3t-Pw"

static void
is_redacted(const char *in, const char *want, size_t want_n, const char *name)
{
	char buf[512];
	size_t n;

	dd_strlcpy(buf, in, sizeof(buf));
	n = dd_text_redact_secrets(buf, sizeof(buf));
	ok(strcmp(buf, want) == 0 && n == want_n, "%s", name);
	if (strcmp(buf, want) != 0 || n != want_n)
		diag("  got '%s' (%zu), want '%s' (%zu)", buf, n, want, want_n);
}

static void
test_keywords(void)
{
	is_redacted("You have an error in your SQL syntax; check the manual that corresponds to "
	            "your MariaDB server version for the right syntax to use near "
	            "'MASTER_PASSWORD='" SECRET "', MASTER_USE_GTID=slave_pos' at line 1",
	    "You have an error in your SQL syntax; check the manual that corresponds to your "
	    "MariaDB server version for the right syntax to use near 'MASTER_PASSWORD='***', "
	    "MASTER_USE_GTID=slave_pos' at line 1",
	    1, "MariaDB parse error quoting MASTER_PASSWORD='...'");
	is_redacted("near 'master_password = \"" SECRET "\"' at line 1",
	    "near 'master_password = \"***\"' at line 1", 1, "lower case, blanks, double quotes");
	is_redacted("CREATE USER 'u'@'%' IDENTIFIED BY '" SECRET "'",
	    "CREATE USER 'u'@'%' IDENTIFIED BY '***'", 1, "IDENTIFIED BY '...'");
	is_redacted("identified\n  by '" SECRET "'", "identified\n  by '***'", 1,
	    "IDENTIFIED and BY on two lines");
	is_redacted("ALTER USER u IDENTIFIED BY PASSWORD '*AB12'",
	    "ALTER USER u IDENTIFIED BY PASSWORD '***'", 1, "IDENTIFIED BY PASSWORD '<hash>'");
	is_redacted("SET PASSWORD FOR u = PASSWORD('" SECRET "')",
	    "SET PASSWORD FOR u = PASSWORD('***')", 1, "PASSWORD('...')");
	is_redacted("ALTER ROLE r ENCRYPTED PASSWORD '" SECRET "' VALID UNTIL 'x'",
	    "ALTER ROLE r ENCRYPTED PASSWORD '***' VALID UNTIL 'x'", 1,
	    "PostgreSQL PASSWORD '...'");
	is_redacted("host=h sslpassword=" SECRET " port=1", "host=h sslpassword=*** port=1", 1,
	    "key=value without quotes");
	is_redacted("a PASSWORD='it''s \\' " SECRET "' b", "a PASSWORD='***' b", 1,
	    "doubled and backslashed quotes stay inside the literal");
	is_redacted("x PASSWORD='" SECRET "', y PASSWORD='" SECRET "2'",
	    "x PASSWORD='***', y PASSWORD='***'", 2, "every occurrence");
}

static void
test_left_alone(void)
{
	is_redacted("password authentication failed for user \"dbdeck\"",
	    "password authentication failed for user \"dbdeck\"", 0,
	    "PostgreSQL's auth failure is left alone");
	is_redacted("Access denied for user 'dbdeck'@'localhost' (using password: YES)",
	    "Access denied for user 'dbdeck'@'localhost' (using password: YES)", 0,
	    "MariaDB's auth failure is left alone");
	is_redacted("PASSWORDS 'x' and passworded 'y' and PASSWORD",
	    "PASSWORDS 'x' and passworded 'y' and PASSWORD", 0,
	    "only a word ending in password; nothing after it at the end");
	is_redacted("identified byte 'x'", "identified byte 'x'", 0, "IDENTIFIED BYTE is not BY");
	is_redacted("", "", 0, "empty");
}

static void
test_edges(void)
{
	char small[24];

	is_redacted("near 'MASTER_PASSWORD='" SECRET, "near 'MASTER_PASSWORD='***", 1,
	    "a message cut inside the literal: masked to the end");
	is_redacted("PASSWORD=''", "PASSWORD='***'", 1, "an empty literal");
	dd_strlcpy(small, "1234567 PASSWORD='a' tail", sizeof(small));
	dd_text_redact_secrets(small, sizeof(small));
	is_str(small, "1234567 PASSWORD='***' ", "a short secret grows the text: the end is cut");
	dd_strlcpy(small, "12345678901 PASSWORD='ab", sizeof(small));
	dd_text_redact_secrets(small, sizeof(small));
	ok(strstr(small, "ab") == NULL && strlen(small) < sizeof(small),
	    "a mask at the very end of a full buffer (%s)", small);
}

/* Through the drivers' one error-filling function, with a message longer than the error. */
static void
test_driver_error(void)
{
	struct dd_db_error e;
	char pad[300];

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	drv_seterr(&e, DD_ERR_PERMANENT, "42000", 1064,
	    "You have an error in your SQL syntax; near 'CHANGE MASTER TO MASTER_HOST='h', "
	    "MASTER_PASSWORD='%s', MASTER_USE_GTID=slave_pos%s' at line 1",
	    SECRET, pad);
	ok(strstr(e.message, SECRET) == NULL && strstr(e.message, "MASTER_PASSWORD='***'"),
	    "drv_seterr masks the password a MariaDB message quotes");
	ok(e.code == 1064 && strcmp(e.sqlstate, "42000") == 0, "and keeps code and SQLSTATE");
	drv_seterr(&e, DD_ERR_PERMANENT, "42601", 0, "%s%s PASSWORD '%s'", pad, pad, SECRET);
	ok(strstr(e.message, "s3cr") == NULL,
	    "also when the password lies past the error's length");
}

/* A statement that carries a secret: no quoted text at all. */
static void
test_withhold(void)
{
	struct dd_db_error e;

	drv_seterr(&e, DD_ERR_PERMANENT, "42000", 1064,
	    "You have an error in your SQL syntax; check the manual for the right syntax to use "
	    "near '" SECRET "', MASTER_USE_GTID=slave_pos' at line 1");
	ok(strstr(e.message, SECRET) != NULL,
	    "a quote that starts at the secret itself escapes the keyword rule");
	dd_db_error_withhold_quoted(&e);
	is_str(e.message,
	    "You have an error in your SQL syntax; check the manual for the right syntax to use "
	    "near [rest withheld: it may quote a secret]",
	    "withheld after the first quote for a statement that carries a secret");
	drv_seterr(&e, DD_ERR_PERMANENT, "42601", 0, "syntax error at or near \"%s\"", SECRET);
	dd_db_error_withhold_quoted(&e);
	is_str(e.message, "syntax error at or near [rest withheld: it may quote a secret]",
	    "PostgreSQL's token quote too");
	drv_seterr(&e, DD_ERR_PERMANENT, "HY000", 1227,
	    "Access denied; you need (at least one of) the SUPER privilege(s) for this operation");
	dd_db_error_withhold_quoted(&e);
	is_str(e.message,
	    "Access denied; you need (at least one of) the SUPER privilege(s) for this operation",
	    "a message without quotes stays whole");
}

int
main(void)
{
	test_keywords();
	test_left_alone();
	test_edges();
	test_driver_error();
	test_withhold();
	return tap_done();
}
