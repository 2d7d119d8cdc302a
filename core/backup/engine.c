/*
 * engine.c: what differs between PostgreSQL and MariaDB/MySQL in a backup,
 * as one const table per engine (STYLE.md: engine differences in tables):
 * the tools and their arguments, the password file's syntax, the child's
 * environment, and the SQL dbdeck runs itself (database size, tables and
 * row estimates, creation options, create/drop/exists/count of a database).
 * Also dbdeck's own connections for those statements.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define APP_NAME "dbdeck-backup"

/* ---- password files -------------------------------------------------------- */

/* Appends s with each character of `special` preceded by a backslash. */
static size_t
escape_into(char *out, const char *s, const char *special)
{
	size_t n = 0;

	for (; *s; s++) {
		if (strchr(special, *s))
			out[n++] = '\\';
		out[n++] = *s;
	}
	return n;
}

static char *
secure_text(size_t cap)
{
	char *t = sodium_malloc(cap);

	if (!t)
		abort(); /* out of locked memory: as fatal as any out-of-memory */
	return t;
}

/* libpq's pgpass line: *:*:*:user:password, ':' and '\' escaped. */
static char *
pg_pwfile_text(const char *user, const char *password, size_t *len)
{
	if (strpbrk(user, "\n\r") || strpbrk(password, "\n\r"))
		return NULL; /* a pgpass line cannot hold a line break */
	char *t = secure_text(2 * (strlen(user) + strlen(password)) + 16);
	size_t n = 0;

	memcpy(t, "*:*:*:", 6);
	n = 6 + escape_into(t + 6, user, ":\\");
	t[n++] = ':';
	n += escape_into(t + n, password, ":\\");
	t[n++] = '\n';
	t[n] = '\0';
	*len = n;
	return t;
}

/* An option file's [client] group with quoted values ('"' and '\' escaped). */
static char *
my_pwfile_text(const char *user, const char *password, size_t *len)
{
	if (strpbrk(user, "\n\r") || strpbrk(password, "\n\r"))
		return NULL;
	char *t = secure_text(2 * (strlen(user) + strlen(password)) + 48);
	size_t n = (size_t)sprintf(t, "[client]\nuser=\"");

	n += escape_into(t + n, user, "\"\\");
	n += (size_t)sprintf(t + n, "\"\npassword=\"");
	n += escape_into(t + n, password, "\"\\");
	n += (size_t)sprintf(t + n, "\"\n");
	*len = n;
	return t;
}

/* ---- tool arguments ------------------------------------------------------- */

/* A libpq conninfo value: quoted, with '\' and '\'' escaped. */
static void
conninfo_kv(char **ci, const char *k, const char *v)
{
	char *q = xmalloc(2 * strlen(v) + 3), *old = *ci;
	size_t n = 0;

	q[n++] = '\'';
	n += escape_into(q + n, v, "'\\");
	q[n++] = '\'';
	q[n] = '\0';
	*ci = xasprintf("%s%s%s=%s", old ? old : "", old ? " " : "", k, q);
	free(old);
	free(q);
}

static char *
pg_conninfo(const struct bk_target *t)
{
	const struct dd_node_config *nd = t->node;
	char *ci = NULL, port[16];

	snprintf(port, sizeof(port), "%d", nd->port);
	conninfo_kv(&ci, "host", nd->host);
	conninfo_kv(&ci, "port", port);
	conninfo_kv(&ci, "dbname", t->database);
	conninfo_kv(&ci, "user", t->user);
	conninfo_kv(&ci, "sslmode", dd_tls_mode_name(nd->tls));
	if (nd->tls_ca)
		conninfo_kv(&ci, "sslrootcert", nd->tls_ca);
	if (nd->tls_cert)
		conninfo_kv(&ci, "sslcert", nd->tls_cert);
	if (nd->tls_key)
		conninfo_kv(&ci, "sslkey", nd->tls_key);
	conninfo_kv(&ci, "application_name", APP_NAME);
	return ci;
}

static void
pg_dump_argv(struct bk_argv *a, const struct bk_target *t)
{
	char *ci = pg_conninfo(t);

	bk_argv_add(a, "--format=custom");
	bk_argv_add(a, "--no-password");
	bk_argv_addf(a, "--dbname=%s", ci);
	free(ci);
}

static void
pg_restore_argv(struct bk_argv *a, const struct bk_target *t)
{
	char *ci = pg_conninfo(t);

	bk_argv_add(a, "--no-password");
	bk_argv_add(a, "--exit-on-error");
	bk_argv_add(a, "--single-transaction");
	bk_argv_addf(a, "--dbname=%s", ci);
	free(ci);
}

static void
pg_env(struct bk_argv *env)
{
	bk_argv_add(env, "PATH=/usr/local/bin:/usr/bin:/bin");
	bk_argv_add(env, "LC_ALL=C");
	bk_argv_add(env, "PGPASSFILE=" BK_PWFD_PATH);
	bk_argv_add(env, "PGCONNECT_TIMEOUT=10");
}

/* The client options every MariaDB tool gets first: the password file, then where. */
static void
my_common_argv(struct bk_argv *a, const struct bk_target *t)
{
	const struct dd_node_config *nd = t->node;

	bk_argv_add(a, "--defaults-extra-file=" BK_PWFD_PATH);
	if (nd->host[0] == '/') {
		bk_argv_add(a, "--protocol=SOCKET");
		bk_argv_addf(a, "--socket=%s", nd->host);
	} else {
		bk_argv_add(a, "--protocol=TCP");
		bk_argv_addf(a, "--host=%s", nd->host);
		bk_argv_addf(a, "--port=%d", nd->port);
	}
	if (nd->tls == DD_TLS_DISABLE)
		bk_argv_add(a, "--skip-ssl");
	else if (nd->tls != DD_TLS_PREFER)
		bk_argv_add(a, "--ssl");
	if (nd->tls == DD_TLS_VERIFY_CA || nd->tls == DD_TLS_VERIFY_FULL)
		bk_argv_add(a, "--ssl-verify-server-cert");
	if (nd->tls_ca)
		bk_argv_addf(a, "--ssl-ca=%s", nd->tls_ca);
	if (nd->tls_cert)
		bk_argv_addf(a, "--ssl-cert=%s", nd->tls_cert);
	if (nd->tls_key)
		bk_argv_addf(a, "--ssl-key=%s", nd->tls_key);
	bk_argv_add(a, "--default-character-set=utf8mb4");
}

static void
my_dump_argv(struct bk_argv *a, const struct bk_target *t)
{
	my_common_argv(a, t);
	bk_argv_add(a, "--single-transaction");
	bk_argv_add(a, "--routines");
	bk_argv_add(a, "--triggers");
	bk_argv_add(a, "--events");
	bk_argv_add(a, "--hex-blob");
	if (t->binlog) {
		bk_argv_add(a, "--master-data=2");
		bk_argv_add(a, "--gtid");
	}
	bk_argv_add(a, "--");
	bk_argv_add(a, t->database);
}

static void
my_restore_argv(struct bk_argv *a, const struct bk_target *t)
{
	my_common_argv(a, t);
	bk_argv_add(a, "--batch");
	bk_argv_add(a, "--binary-mode");
	if (t->no_binlog)
		bk_argv_add(a, "--init-command=SET SESSION sql_log_bin=0");
	bk_argv_add(a, "--");
	bk_argv_add(a, t->database);
}

static void
my_env(struct bk_argv *env)
{
	bk_argv_add(env, "PATH=/usr/local/bin:/usr/bin:/bin");
	bk_argv_add(env, "LC_ALL=C");
}

/* ---- SQL ------------------------------------------------------------------ */

static void
quote_with(const char *s, char q, char *buf, size_t len)
{
	size_t n = 0;

	if (len < 3) {
		buf[0] = '\0';
		return;
	}
	buf[n++] = q;
	for (; *s && n + 3 < len; s++) {
		if (*s == q)
			buf[n++] = q;
		buf[n++] = *s;
	}
	buf[n++] = q;
	buf[n] = '\0';
}

static void
pg_quote(const char *s, char *buf, size_t len)
{
	quote_with(s, '"', buf, len);
}

static void
my_quote(const char *s, char *buf, size_t len)
{
	quote_with(s, '`', buf, len);
}

/* A literal from a manifest value: only [A-Za-z0-9_.@-] survive (encodings, collations). */
static void
safe_literal(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		if (strchr("_.@-", *s) || (*s >= '0' && *s <= '9') ||
		    ((*s | 32) >= 'a' && (*s | 32) <= 'z'))
			buf[n++] = *s;
	buf[n] = '\0';
}

static void
pg_exists(const char *db, char *buf, size_t len)
{
	snprintf(buf, len, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = '%s'", db);
}

static void
pg_create(const char *db, const struct bk_dbopts *o, char *buf, size_t len)
{
	char enc[64], col[128], ct[128];

	safe_literal(o->encoding, enc, sizeof(enc));
	safe_literal(o->collate, col, sizeof(col));
	safe_literal(o->ctype, ct, sizeof(ct));
	if (enc[0] && col[0] && ct[0])
		snprintf(buf, len,
		    "CREATE DATABASE \"%s\" TEMPLATE template0 ENCODING '%s' LC_COLLATE '%s' "
		    "LC_CTYPE '%s'",
		    db, enc, col, ct);
	else
		snprintf(buf, len, "CREATE DATABASE \"%s\"", db);
}

static void
pg_drop(const char *db, bool force, char *buf, size_t len)
{
	snprintf(buf, len, "DROP DATABASE IF EXISTS \"%s\"%s", db, force ? " WITH (FORCE)" : "");
}

static void
pg_count(const char *db, const struct bk_table *t, char *buf, size_t len)
{
	char s[160], n[160];

	(void)db;
	pg_quote(t->schema ? t->schema : "public", s, sizeof(s));
	pg_quote(t->table, n, sizeof(n));
	snprintf(buf, len, "SELECT count(*) FROM %s.%s", s, n);
}

static void
my_exists(const char *db, char *buf, size_t len)
{
	snprintf(
	    buf, len, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '%s'", db);
}

static void
my_create(const char *db, const struct bk_dbopts *o, char *buf, size_t len)
{
	char cs[64], col[128];

	safe_literal(o->encoding, cs, sizeof(cs));
	safe_literal(o->collate, col, sizeof(col));
	if (cs[0] && col[0])
		snprintf(buf, len, "CREATE DATABASE `%s` CHARACTER SET %s COLLATE %s", db, cs, col);
	else
		snprintf(buf, len, "CREATE DATABASE `%s`", db);
}

static void
my_drop(const char *db, bool force, char *buf, size_t len)
{
	(void)force;
	snprintf(buf, len, "DROP DATABASE IF EXISTS `%s`", db);
}

static void
my_count(const char *db, const struct bk_table *t, char *buf, size_t len)
{
	char d[160], n[160];

	my_quote(db, d, sizeof(d));
	my_quote(t->table, n, sizeof(n));
	snprintf(buf, len, "SELECT COUNT(*) FROM %s.%s", d, n);
}

/* ---- the tables ------------------------------------------------------------ */

static const struct bk_engine engine_pg = {
    .dump_tool = "pg_dump",
    .restore_tool = "pg_restore",
    .file_name = "dump.pgdump",
    .format = "pg_dump custom",
    .zstd = false,
    .pwfile_text = pg_pwfile_text,
    .dump_argv = pg_dump_argv,
    .restore_argv = pg_restore_argv,
    .child_env = pg_env,
    .sql_db_size = "SELECT pg_catalog.pg_database_size(pg_catalog.current_database())",
    .sql_binlog = NULL,
    .sql_tables = "SELECT n.nspname, c.relname, c.reltuples::bigint "
                  "FROM pg_catalog.pg_class c "
                  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' "
                  "AND n.nspname !~ '^pg_' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
                  "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid "
                  "AND d.deptype = 'e') ORDER BY 1, 2",
    .sql_dbopts = "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype "
                  "FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()",
    .quote_ident = pg_quote,
    .sql_exists = pg_exists,
    .sql_create = pg_create,
    .sql_drop = pg_drop,
    .sql_count = pg_count,
    .count_in_db = true,
    .admin_db = "postgres",
};

static const struct bk_engine engine_my = {
    .dump_tool = "mariadb-dump",
    .restore_tool = "mariadb",
    .file_name = "dump.sql.zst",
    .format = "mariadb-dump sql",
    .zstd = true,
    .pwfile_text = my_pwfile_text,
    .dump_argv = my_dump_argv,
    .restore_argv = my_restore_argv,
    .child_env = my_env,
    .sql_db_size = "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) "
                   "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    .sql_binlog = "SELECT @@GLOBAL.log_bin",
    .sql_scratch_session = "SET SESSION sql_log_bin = 0",
    .sql_tables = "SELECT NULL, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 2",
    .sql_dbopts = "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, '' "
                  "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
    .quote_ident = my_quote,
    .sql_exists = my_exists,
    .sql_create = my_create,
    .sql_drop = my_drop,
    .sql_count = my_count,
    .count_in_db = false,
    .admin_db = "information_schema",
};

const struct bk_engine *
bk_engine_for(enum dd_engine e)
{
	return e == DD_ENGINE_POSTGRESQL ? &engine_pg : &engine_my;
}

/* ---- dbdeck's own connections ---------------------------------------------- */

int
bk_connect(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *database,
    struct dd_conn **out, char *err, size_t errlen)
{
	const struct dd_cluster_config *cl = ctx->cluster;
	struct dd_conn_params p = {
	    .host = node->host,
	    .port = node->port,
	    .database = database,
	    .user = ctx->user,
	    .password = ctx->password,
	    .tls = node->tls,
	    .tls_ca = node->tls_ca,
	    .tls_cert = node->tls_cert,
	    .tls_key = node->tls_key,
	    .application_name = APP_NAME,
	    .connect_timeout_ms = (int)cl->connect_timeout_ms,
	};
	struct dd_db_error e;

	if (dd_conn_open(
	        cl->engine, &p, dd_now_mono_ns() + cl->connect_timeout_ms * 1000000, out, &e) == 0)
		return 0;
	dd_seterr(
	    err, errlen, "cannot connect to %s (database %s): %s", node->name, database, e.message);
	return -1;
}

int
bk_query_value(struct dd_conn *c, const char *sql, int64_t timeout_ms, char *out, size_t len,
    char *err, size_t errlen)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;

	out[0] = '\0';
	if (dd_conn_query(c, sql, dd_now_mono_ns() + timeout_ms * 1000000, &r, &e) != 0) {
		dd_seterr(err, errlen, "%s", e.message);
		return -1;
	}
	if (dd_result_nrows(r) > 0 && dd_result_value(r, 0, 0))
		dd_strlcpy(out, dd_result_value(r, 0, 0), len);
	dd_result_free(r);
	return 0;
}

int
bk_exec(struct dd_conn *c, const char *sql, int64_t timeout_ms, char *err, size_t errlen)
{
	struct dd_db_error e;

	if (dd_conn_exec(c, sql, dd_now_mono_ns() + timeout_ms * 1000000, NULL, &e) == 0)
		return 0;
	dd_seterr(err, errlen, "%s", e.message);
	return -1;
}

int
bk_read_tables(const struct bk_engine *eng, struct dd_conn *c, struct bk_table **out, size_t *n,
    char *err, size_t errlen)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;

	*out = NULL;
	*n = 0;
	if (dd_conn_query(c, eng->sql_tables, dd_now_mono_ns() + INT64_C(60000000000), &r, &e) !=
	    0) {
		dd_seterr(err, errlen, "cannot list the tables: %s", e.message);
		return -1;
	}
	int rows = dd_result_nrows(r);
	*out = xcalloc((size_t)rows + 1, sizeof(**out));
	for (int i = 0; i < rows; i++) {
		struct bk_table *t = &(*out)[i];
		const char *s = dd_result_value(r, i, 0), *tb = dd_result_value(r, i, 1);
		const char *est = dd_result_value(r, i, 2);
		t->schema = s ? xstrdup(s) : NULL;
		t->table = xstrdup(tb ? tb : "");
		t->name = s ? xasprintf("%s.%s", s, t->table) : xstrdup(t->table);
		t->rows = est ? strtoll(est, NULL, 10) : -1;
	}
	*n = (size_t)rows;
	dd_result_free(r);
	return 0;
}

void
bk_tables_free(struct bk_table *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		free(t[i].name);
		free(t[i].schema);
		free(t[i].table);
	}
	free(t);
}
