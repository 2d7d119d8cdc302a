/*
 * schema_migrate.c: the migration version of a database. The candidate
 * tables come from the engine's catalog query; dd_schema_classify() names
 * the tool (the schema_migrations variants by their columns); the table
 * below says, per tool, how to read the current version and when it was
 * applied, and what a failed, dirty or unfinished migration or a stale lock
 * looks like. The same SQL serves both engines (booleans as WHERE col, no
 * casts: every value comes back as text). Drift compares each replica's
 * versions with the primary's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_internal.h"
#include "util/util.h"

struct tool_sql {
	/* version, applied: the current one (every row, for Alembic's heads) */
	const char *current;
	/* name, detail: a failed/dirty/unfinished migration, or a held lock */
	const char *bad;
	enum dd_schema_kind bad_kind;
	const char *fix; /* for a person: the tool's own repair step */
};

#define STALE " < now() - INTERVAL '10' MINUTE"

static const struct tool_sql tool_sql[DD_TOOL__COUNT] = {
    [DD_TOOL_FLYWAY] = {"SELECT version, installed_on FROM {T} WHERE success AND type <> 'DELETE' "
                        "AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1",
        "SELECT version, description FROM {T} WHERE NOT success ORDER BY installed_rank DESC "
        "LIMIT 1",
        DD_SCHEMA_MIGRATION_FAILED,
        "-- undo what the failed migration changed, then: flyway repair"},
    [DD_TOOL_LIQUIBASE] = {"SELECT id, dateexecuted FROM {T} WHERE exectype <> 'FAILED' ORDER BY "
                           "orderexecuted DESC LIMIT 1",
        "SELECT id, exectype FROM {T} WHERE exectype = 'FAILED' ORDER BY orderexecuted DESC "
        "LIMIT 1",
        DD_SCHEMA_MIGRATION_FAILED, "-- fix the changeset, then: liquibase update"},
    [DD_TOOL_LIQUIBASE_LOCK] = {NULL,
        "SELECT lockedby, lockgranted FROM {T} WHERE locked AND lockgranted" STALE,
        DD_SCHEMA_MIGRATION_LOCK, "-- when no Liquibase is running: liquibase releaseLocks"},
    [DD_TOOL_ALEMBIC] = {"SELECT version_num, NULL FROM {T} ORDER BY version_num", NULL, 0, NULL},
    [DD_TOOL_RAILS] = {"SELECT max(version), NULL FROM {T}", NULL, 0, NULL},
    [DD_TOOL_GOLANG_MIGRATE] = {"SELECT version, NULL FROM {T} LIMIT 1",
        "SELECT version, 'dirty' FROM {T} WHERE dirty LIMIT 1", DD_SCHEMA_MIGRATION_FAILED,
        "-- repair the schema by hand, then: migrate force VERSION"},
    [DD_TOOL_ECTO] = {"SELECT max(version), max(inserted_at) FROM {T}", NULL, 0, NULL},
    [DD_TOOL_GOOSE] = {"SELECT version_id, tstamp FROM {T} WHERE is_applied ORDER BY id DESC "
                       "LIMIT 1",
        NULL, 0, NULL},
    [DD_TOOL_DJANGO] = {"SELECT CONCAT(app, '.', name), applied FROM {T} ORDER BY applied DESC, "
                        "id DESC LIMIT 1",
        NULL, 0, NULL},
    [DD_TOOL_KNEX] = {"SELECT name, migration_time FROM {T} ORDER BY id DESC LIMIT 1", NULL, 0,
        NULL},
    [DD_TOOL_KNEX_LOCK] = {NULL, "SELECT 'is_locked', is_locked FROM {T} WHERE is_locked = 1",
        DD_SCHEMA_MIGRATION_LOCK, "-- when no Knex migration is running: knex migrate:unlock"},
    [DD_TOOL_PRISMA] = {"SELECT migration_name, finished_at FROM {T} WHERE finished_at IS NOT NULL "
                        "AND rolled_back_at IS NULL ORDER BY finished_at DESC LIMIT 1",
        "SELECT migration_name, started_at FROM {T} WHERE finished_at IS NULL AND "
        "rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1",
        DD_SCHEMA_MIGRATION_FAILED,
        "-- after repairing: prisma migrate resolve --rolled-back NAME"},
    [DD_TOOL_SQITCH] = {"SELECT change, committed_at FROM {T} ORDER BY committed_at DESC LIMIT 1",
        NULL, 0, NULL},
    [DD_TOOL_SQITCH_EVENTS] = {NULL,
        "SELECT change, event FROM {T} WHERE event = 'fail' AND committed_at = (SELECT "
        "max(committed_at) FROM {T})",
        DD_SCHEMA_MIGRATION_FAILED, "-- fix the change, then: sqitch deploy"},
};

/*
 * Runs tmpl on table. Returns 0; 1 when the statement itself failed (no
 * privilege on the table, a column of another type): the caller notes it
 * and goes on; -1 when the session failed (timeout, lost): the round ends.
 */
static int
run(struct dd_conn *c, const char *tmpl, const char *table, int64_t deadline,
    struct dd_result **out, char *err, size_t errlen)
{
	struct dd_db_error e;
	char *sql = schema_sql(tmpl, 0, 0, 0, table, NULL, NULL, NULL);
	int rc;

	dd_db_error_clear(&e);
	rc = dd_conn_query(c, sql, deadline, out, &e);
	free(sql);
	if (rc == 0)
		return 0;
	dd_seterr(err, errlen, "%s: %s", table, e.message);
	return e.cls == DD_ERR_PERMANENT ? 1 : -1;
}

static const char *
val(const struct dd_result *r, int row, int col)
{
	const char *v = dd_result_value(r, row, col);
	return v ? v : "";
}

/* The current version of one table: every row joined with ',' (Alembic heads). */
static void
read_current(struct dd_schema_migration *m, const struct dd_result *r)
{
	size_t o = 0;

	for (int i = 0; i < dd_result_nrows(r) && o + 2 < sizeof(m->version); i++) {
		o += (size_t)snprintf(
		    m->version + o, sizeof(m->version) - o, "%s%s", i ? "," : "", val(r, i, 0));
		if (o >= sizeof(m->version))
			o = sizeof(m->version) - 1;
	}
	if (dd_result_nrows(r) > 0 && dd_result_ncols(r) > 1)
		dd_strlcpy(m->applied, val(r, 0, 1), sizeof(m->applied));
}

static void
bad_finding(struct schema_acc *a, const struct tool_sql *t, enum dd_schema_tool tool,
    const char *object, const struct dd_result *r)
{
	if (t->bad_kind == DD_SCHEMA_MIGRATION_LOCK)
		schema_add_finding(a, t->bad_kind, DD_SEV_WARN, object, t->fix,
		    "%s lock held since %s (over %d minutes): a migration that died holding it",
		    dd_schema_tool_name(tool), val(r, 0, 1), SCHEMA_LOCK_STALE_MIN);
	else
		schema_add_finding(a, t->bad_kind, DD_SEV_CRIT, object, t->fix,
		    "%s migration %s is %s", dd_schema_tool_name(tool), val(r, 0, 0),
		    tool == DD_TOOL_GOLANG_MIGRATE ? "dirty (it failed half-way)"
		    : tool == DD_TOOL_PRISMA ? "unfinished (started, never finished or rolled back)"
		                             : "failed");
}

/* One table of one tool on one node. report: add findings (the primary only). */
static int
read_table(struct schema_acc *a, struct dd_conn *c, const char *node, enum dd_schema_tool tool,
    const char *schema, const char *table, bool report, int64_t deadline, char *err, size_t errlen)
{
	const struct tool_sql *t = &tool_sql[tool];
	struct dd_result *r = NULL;
	char q[300], object[256];
	struct dd_schema_migration *m;
	int rc;

	dd_schema_quote_qualified(a->engine, schema, table, q, sizeof(q));
	snprintf(object, sizeof(object), "%s.%s", schema, table);
	if (t->current) {
		if ((rc = run(c, t->current, q, deadline, &r, err, errlen)) != 0)
			return rc;
		m = schema_add_migration(a);
		dd_strlcpy(m->node, node, sizeof(m->node));
		dd_strlcpy(m->tool, dd_schema_tool_name(tool), sizeof(m->tool));
		dd_strlcpy(m->table, object, sizeof(m->table));
		read_current(m, r);
		dd_result_free(r);
		r = NULL;
	}
	if (!t->bad)
		return 0;
	if ((rc = run(c, t->bad, q, deadline, &r, err, errlen)) != 0)
		return rc;
	if (dd_result_nrows(r) > 0 && report)
		bad_finding(a, t, tool, object, r);
	for (int i = a->cl->n_migrations - 1; i >= 0 && dd_result_nrows(r) > 0; i--) {
		struct dd_schema_migration *x = &a->cl->migrations[i];
		if (strcmp(x->node, node) == 0 && strcmp(x->database, a->db) == 0 &&
		    strcmp(x->tool, dd_schema_tool_name(tool)) == 0)
			x->failed = true;
	}
	dd_result_free(r);
	return 0;
}

static int
read_custom(struct schema_acc *a, struct dd_conn *c, const char *node, const char *query,
    int64_t deadline, char *err, size_t errlen)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	struct dd_schema_migration *m;

	dd_db_error_clear(&e);
	if (dd_conn_query(c, query, deadline, &r, &e) != 0) {
		dd_seterr(err, errlen, "schema_version_query: %s", e.message);
		return -1;
	}
	m = schema_add_migration(a);
	dd_strlcpy(m->node, node, sizeof(m->node));
	dd_strlcpy(m->tool, "custom", sizeof(m->tool));
	dd_strlcpy(m->table, "schema_version_query", sizeof(m->table));
	if (dd_result_nrows(r) > 0) {
		dd_strlcpy(m->version, val(r, 0, 0), sizeof(m->version));
		if (dd_result_ncols(r) > 1)
			dd_strlcpy(m->applied, val(r, 0, 1), sizeof(m->applied));
	}
	dd_result_free(r);
	return 0;
}

int
schema_read_migrations(struct schema_acc *a, struct dd_conn *c, const char *node,
    const char *custom_query, bool primary, int64_t deadline_ns, char *err, size_t errlen)
{
	const struct schema_engine *e =
	    a->engine == DD_ENGINE_POSTGRESQL ? &schema_engine_pg : &schema_engine_my;
	struct dd_result *r = NULL;
	struct dd_db_error de;
	int rc = 0;

	if (custom_query)
		return read_custom(a, c, node, custom_query, deadline_ns, err, errlen);
	dd_db_error_clear(&de);
	if (dd_conn_query(c, e->migration_tables, deadline_ns, &r, &de) != 0) {
		dd_seterr(err, errlen, "%s", de.message);
		return -1;
	}
	for (int i = 0; i < dd_result_nrows(r) && rc >= 0; i++) {
		enum dd_schema_tool t =
		    dd_schema_classify(val(r, i, 0), val(r, i, 1), val(r, i, 2));
		if (t == DD_TOOL_NONE)
			continue;
		rc = read_table(
		    a, c, node, t, val(r, i, 0), val(r, i, 1), primary, deadline_ns, err, errlen);
		if (rc > 0)
			schema_note(a, "migration version on %s unknown: %s", node, err);
	}
	dd_result_free(r);
	return rc < 0 ? -1 : 0;
}

/* The primary's row for the same database and table as m, or NULL. */
static const struct dd_schema_migration *
primary_row(
    const struct dd_schema_cluster *cl, const char *primary, const struct dd_schema_migration *m)
{
	for (int i = 0; i < cl->n_migrations; i++) {
		const struct dd_schema_migration *p = &cl->migrations[i];
		if (strcmp(p->node, primary) == 0 && strcmp(p->database, m->database) == 0 &&
		    strcmp(p->table, m->table) == 0)
			return p;
	}
	return NULL;
}

void
schema_check_drift(struct schema_acc *a, const char *primary)
{
	struct dd_schema_cluster *cl = a->cl;
	int n = cl->n_migrations;

	for (int i = 0; i < n; i++) {
		const struct dd_schema_migration *m = &cl->migrations[i], *p;
		char object[256];
		if (strcmp(m->node, primary) == 0)
			continue;
		p = primary_row(cl, primary, m);
		if (p && strcmp(p->version, m->version) == 0)
			continue;
		snprintf(object, sizeof(object), "%s %s", m->table, m->node);
		a->db = m->database;
		schema_add_finding(a, DD_SCHEMA_DRIFT, DD_SEV_CRIT, object,
		    "-- none: the replica has not applied the primary's migration; check its "
		    "replication (dbdeck status)",
		    "%s version on replica %s is %s, on the primary %s it is %s", m->tool, m->node,
		    m->version[0] ? m->version : "(empty)", primary,
		    p ? (p->version[0] ? p->version : "(empty)") : "(no table)");
	}
}
