/*
 * classify.c: the error classification tables, one per engine, the breaker's
 * "is this a node failure" predicate, and the session-dirtiness heuristics
 * (which statements may leave state behind that reset must clear).
 *
 * Everything here is pure and unit-tested (tests/unit/driver/). The drivers
 * call the tables with at_connect set while a connection is being
 * established: then "lost" and "shutting down" mean "try later".
 */
#include "driver/driver_int.h"

#include <ctype.h>
#include <string.h>

#include "util/util.h"

/* --- PostgreSQL: SQLSTATE → class ------------------------------------------ */

struct pg_rule {
	const char *state; /* 5 chars, or 2 chars = a whole class */
	enum dd_err_class cls;
	enum dd_err_class at_connect;
};

static const struct pg_rule pg_rules[] = {
    {"28P01", DD_ERR_AUTH, DD_ERR_AUTH},           /* invalid_password */
    {"28000", DD_ERR_AUTH, DD_ERR_AUTH},           /* invalid_authorization_specification */
    {"40001", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* serialization_failure */
    {"40P01", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* deadlock_detected */
    {"55P03", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* lock_not_available */
    {"53300", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* too_many_connections */
    {"53200", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* out_of_memory */
    {"57P03", DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* cannot_connect_now */
    {"57P01", DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* admin_shutdown / terminated */
    {"57P02", DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* crash_shutdown */
    {"57P04", DD_ERR_CONN_LOST, DD_ERR_PERMANENT}, /* database_dropped */
    {"57P05", DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* idle_session_timeout */
    {"25P03", DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* idle_in_transaction_session_timeout */
    {"57014", DD_ERR_CANCELED, DD_ERR_CANCELED},   /* query_canceled */
    {"08", DD_ERR_CONN_LOST, DD_ERR_TRANSIENT},    /* connection_exception class */
};

enum dd_err_class
dd_pg_classify_sqlstate(const char *sqlstate, bool at_connect)
{
	if (!sqlstate || strlen(sqlstate) != 5)
		return at_connect ? DD_ERR_TRANSIENT : DD_ERR_PERMANENT;
	for (size_t i = 0; i < DD_ARRAY_LEN(pg_rules); i++) {
		const struct pg_rule *r = &pg_rules[i];
		if (strncmp(sqlstate, r->state, strlen(r->state)) == 0)
			return at_connect ? r->at_connect : r->cls;
	}
	return DD_ERR_PERMANENT;
}

/*
 * libpq reports connect failures as text only. These are the server's
 * messages for the cases that need a class other than "try again later".
 */
static const struct {
	const char *needle;
	const char *state;
} pg_connect_msgs[] = {
    /* The server's certificate was refused (first: "... file does not exist" too). */
    {"certificate verify failed", "28000"},
    {"does not match host name", "28000"},
    {"root certificate file", "28000"},
    /* channel_binding=require refused what the server asked (auth = strict). */
    {"channel binding", "28000"},
    {"password authentication failed", "28P01"},
    {"no password supplied", "28P01"},
    {"fe_sendauth", "28P01"},
    {"SCRAM authentication", "28P01"},
    {"no pg_hba.conf entry", "28000"},
    {"pg_hba.conf rejects", "28000"},
    {"authentication failed", "28000"},
    {"role \"", "28000"},        /* role "x" does not exist */
    {"does not exist", "3D000"}, /* database "x" does not exist */
    {"too many clients", "53300"},
    {"remaining connection slots are reserved", "53300"},
    {"the database system is starting up", "57P03"},
    {"the database system is shutting down", "57P03"},
    {"the database system is in recovery mode", "57P03"},
    {"server does not support SSL", "08P01"},
};

const char *
drv_pg_connect_sqlstate(const char *message)
{
	if (!message)
		return NULL;
	for (size_t i = 0; i < DD_ARRAY_LEN(pg_connect_msgs); i++)
		if (strstr(message, pg_connect_msgs[i].needle))
			return pg_connect_msgs[i].state;
	return NULL;
}

/* --- MySQL / MariaDB: error number → class ---------------------------------- */

struct my_rule {
	int code;
	enum dd_err_class cls;
	enum dd_err_class at_connect;
};

static const struct my_rule my_rules[] = {
    {1044, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_DBACCESS_DENIED_ERROR */
    {1045, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_ACCESS_DENIED_ERROR */
    {1130, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_HOST_NOT_PRIVILEGED */
    {1251, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_NOT_SUPPORTED_AUTH_MODE */
    {1698, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
    {1862, DD_ERR_AUTH, DD_ERR_AUTH},           /* ER_MUST_CHANGE_PASSWORD_LOGIN */
    {2059, DD_ERR_AUTH, DD_ERR_AUTH},           /* CR_AUTH_PLUGIN_CANNOT_LOAD */
    {5010, DD_ERR_AUTH, DD_ERR_AUTH},           /* CR_PLUGIN_NOT_ALLOWED (auth = strict) */
    {1040, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_CON_COUNT_ERROR */
    {1203, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_TOO_MANY_USER_CONNECTIONS */
    {1205, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_LOCK_WAIT_TIMEOUT */
    {1213, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_LOCK_DEADLOCK */
    {1226, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_USER_LIMIT_REACHED */
    {1614, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* ER_XA_RBDEADLOCK */
    {2002, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* CR_CONNECTION_ERROR (socket) */
    {2003, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* CR_CONN_HOST_ERROR */
    {2005, DD_ERR_TRANSIENT, DD_ERR_TRANSIENT}, /* CR_UNKNOWN_HOST */
    {1317, DD_ERR_CANCELED, DD_ERR_CANCELED},   /* ER_QUERY_INTERRUPTED */
    {1053, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_SERVER_SHUTDOWN */
    {1152, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_ABORTING_CONNECTION */
    {1158, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_NET_READ_ERROR */
    {1159, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_NET_READ_INTERRUPTED */
    {1160, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_NET_ERROR_ON_WRITE */
    {1161, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_NET_WRITE_INTERRUPTED */
    {1927, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_CONNECTION_KILLED (MariaDB) */
    {4031, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8) */
    {2006, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* CR_SERVER_GONE_ERROR */
    {2013, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* CR_SERVER_LOST */
    {2055, DD_ERR_CONN_LOST, DD_ERR_TRANSIENT}, /* CR_SERVER_LOST_EXTENDED */
    {2014, DD_ERR_CONN_LOST, DD_ERR_CONN_LOST}, /* CR_COMMANDS_OUT_OF_SYNC: discard */
};

enum dd_err_class
dd_mysql_classify_errno(int code, bool at_connect)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(my_rules); i++)
		if (my_rules[i].code == code)
			return at_connect ? my_rules[i].at_connect : my_rules[i].cls;
	return at_connect ? DD_ERR_TRANSIENT : DD_ERR_PERMANENT;
}

enum dd_err_class
dd_mysql_classify(int code, const char *message, bool at_connect)
{
	/*
	 * CR_SSL_CONNECTION_ERROR is both a refused certificate (wrong CA, wrong
	 * host name: no retry helps) and a handshake cut short (it may): the
	 * message tells them apart.
	 */
	if (code == 2026 && message && strstr(message, "certificate"))
		return DD_ERR_AUTH;
	return dd_mysql_classify_errno(code, at_connect);
}

/* --- the breaker predicate ------------------------------------------------ */

static const int my_node_failure_codes[] = {
    1040,
    1053,
    1152,
    1158,
    1159,
    1160,
    1161,
    1203,
    1927,
    2002,
    2003,
    2005,
    2006,
    2013,
    2055,
    4031,
};

static bool
pg_state_is_node_failure(const char *s)
{
	if (s[0] == '\0')
		return true; /* a client-side connect failure with no SQLSTATE */
	return strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0 || strcmp(s, "53300") == 0 ||
	       strcmp(s, "53200") == 0;
}

bool
dd_db_error_is_node_failure(const struct dd_db_error *err)
{
	if (!err)
		return false;
	switch (err->cls) {
	case DD_ERR_TIMEOUT:
	case DD_ERR_CONN_LOST: return true;
	case DD_ERR_TRANSIENT: break;
	default: return false;
	}
	if (err->code == 0)
		return pg_state_is_node_failure(err->sqlstate);
	for (size_t i = 0; i < DD_ARRAY_LEN(my_node_failure_codes); i++)
		if (my_node_failure_codes[i] == err->code)
			return true;
	return false;
}

/* --- a small SQL scanner for the dirtiness heuristics ----------------------- */

/* Skips blanks, comments and opening parentheses: the start of a token. */
static const char *
sql_skip_space(const char *s, bool hash_comments)
{
	for (;;) {
		while (*s && (isspace((unsigned char)*s) || *s == '('))
			s++;
		if ((s[0] == '-' && s[1] == '-') || (hash_comments && s[0] == '#')) {
			while (*s && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
		} else {
			return s;
		}
	}
}

/* Copies the leading word of s, upper-cased, into buf. */
static void
sql_first_word(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len && (isalpha((unsigned char)s[n]) || s[n] == '_')) {
		buf[n] = (char)toupper((unsigned char)s[n]);
		n++;
	}
	buf[n] = '\0';
}

/* Skips a quoted run starting at s (s[0] is the quote); returns the char after. */
static const char *
sql_skip_quoted(const char *s, bool backslash)
{
	char q = *s++;

	while (*s) {
		if (backslash && *s == '\\' && s[1]) {
			s += 2;
			continue;
		}
		if (*s == q) {
			if (s[1] == q) { /* doubled quote */
				s += 2;
				continue;
			}
			return s + 1;
		}
		s++;
	}
	return s;
}

/* PostgreSQL dollar quoting: $tag$ ... $tag$. Returns NULL if s is no tag. */
static const char *
sql_skip_dollar(const char *s)
{
	const char *t = s + 1, *end;
	size_t taglen;

	while (*t == '_' || isalnum((unsigned char)*t))
		t++;
	if (*t != '$' || (t > s + 1 && isdigit((unsigned char)s[1])))
		return NULL;
	taglen = (size_t)(t - s) + 1;
	for (end = t + 1; *end; end++)
		if (*end == '$' && strncmp(end, s, taglen) == 0)
			return end + taglen;
	return end;
}

/*
 * The end of the statement starting at s: the next ';' outside quotes and
 * comments, or the terminating NUL. mysql: backslash escapes, # comments,
 * backquotes; else PostgreSQL: E'' escapes, dollar quotes.
 */
static const char *
sql_stmt_end(const char *start, bool mysql)
{
	const char *s = start;

	while (*s && *s != ';') {
		const char *d;
		if (*s == '\'' || *s == '"' || (mysql && *s == '`')) {
			bool bs =
			    mysql || (*s == '\'' && s > start && (s[-1] == 'E' || s[-1] == 'e'));
			s = sql_skip_quoted(s, bs);
		} else if ((s[0] == '-' && s[1] == '-') || (mysql && s[0] == '#')) {
			while (*s && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
		} else if (!mysql && *s == '$' && (d = sql_skip_dollar(s)) != NULL) {
			s = d;
		} else {
			s++;
		}
	}
	return s;
}

/* Case-insensitive search for needle within [s, end). */
static bool
sql_contains(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; s + n <= end; s++)
		if (strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

static bool
word_in(const char *word, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(word, list[i]) == 0)
			return true;
	return false;
}

static const char *const pg_clean_words[] = {
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "WITH",
    "VALUES",
    "TABLE",
    "SHOW",
    "EXPLAIN",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "END",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
    "MERGE",
};

/* One PostgreSQL statement [s, end): may it leave session state behind? */
static bool
pg_stmt_dirties(const char *s, const char *end)
{
	char word[16];

	s = sql_skip_space(s, false);
	if (s >= end)
		return false;
	sql_first_word(s, word, sizeof(word));
	if (!word_in(word, pg_clean_words, DD_ARRAY_LEN(pg_clean_words)))
		return true;
	if (sql_contains(s, end, "set_config") || sql_contains(s, end, "_advisory_lock") ||
	    sql_contains(s, end, "_advisory_unlock"))
		return true;
	/* SELECT ... INTO TEMP t creates a temporary table. */
	return strcmp(word, "SELECT") == 0 && sql_contains(s, end, "into temp");
}

bool
drv_pg_sql_dirties(const char *sql)
{
	const char *s = sql, *end;

	while (*s) {
		end = sql_stmt_end(s, false);
		if (pg_stmt_dirties(s, end))
			return true;
		s = *end ? end + 1 : end;
	}
	return false;
}

static const char *const my_clean_words[] = {
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "WITH",
    "VALUES",
    "TABLE",
    "SHOW",
    "EXPLAIN",
    "DESCRIBE",
    "DESC",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "KILL",
};

/* True when [s, end) names a user variable (@x, not @@x) outside quotes. */
static bool
my_has_user_var(const char *s, const char *end)
{
	while (s < end) {
		if (*s == '\'' || *s == '"' || *s == '`') {
			s = sql_skip_quoted(s, true);
			continue;
		}
		if (*s == '@') {
			if (s[1] == '@') {
				s += 2;
				continue;
			}
			return true;
		}
		s++;
	}
	return false;
}

static bool
my_stmt_dirties(const char *s, const char *end)
{
	char word[16];

	s = sql_skip_space(s, true);
	if (s >= end)
		return false;
	sql_first_word(s, word, sizeof(word));
	if (!word_in(word, my_clean_words, DD_ARRAY_LEN(my_clean_words)))
		return true;
	return my_has_user_var(s, end) || sql_contains(s, end, "get_lock");
}

static bool
my_stmt_untracked(const char *s, const char *end)
{
	char word[16];

	s = sql_skip_space(s, true);
	if (s >= end)
		return false;
	sql_first_word(s, word, sizeof(word));
	if (strcmp(word, "LOCK") == 0 || strcmp(word, "HANDLER") == 0)
		return true;
	return my_has_user_var(s, end) || sql_contains(s, end, "get_lock");
}

bool
drv_mysql_sql_untracked_state(const char *sql)
{
	const char *s = sql, *end;

	while (*s) {
		end = sql_stmt_end(s, true);
		if (my_stmt_untracked(s, end))
			return true;
		s = *end ? end + 1 : end;
	}
	return false;
}

bool
drv_mysql_sql_dirties(const char *sql)
{
	const char *s = sql, *end;

	while (*s) {
		end = sql_stmt_end(s, true);
		if (my_stmt_dirties(s, end))
			return true;
		s = *end ? end + 1 : end;
	}
	return false;
}
