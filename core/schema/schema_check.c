/*
 * schema_check.c: the pure parts of schema health (schema.h): finding kind
 * names, severity thresholds, the redundant-index rule, the migration-table
 * classification and identifier quoting for fix statements. No I/O: the
 * unit tests drive these directly, and the probes (schema_probe.c) call
 * them on what the catalogs return.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dbdeck/schema.h"
#include "schema/schema_internal.h"
#include "util/util.h"

static const char *const kind_names[DD_SCHEMA_KIND__COUNT] = {
    [DD_SCHEMA_UNUSED_INDEX] = "unused_index",
    [DD_SCHEMA_DUPLICATE_INDEX] = "duplicate_index",
    [DD_SCHEMA_INVALID_INDEX] = "invalid_index",
    [DD_SCHEMA_FK_WITHOUT_INDEX] = "fk_without_index",
    [DD_SCHEMA_SEQ_SCANS] = "seq_scans",
    [DD_SCHEMA_SEQUENCE_LIMIT] = "sequence_limit",
    [DD_SCHEMA_WRAPAROUND] = "xid_wraparound",
    [DD_SCHEMA_MIGRATION_FAILED] = "migration_failed",
    [DD_SCHEMA_MIGRATION_LOCK] = "migration_lock",
    [DD_SCHEMA_DRIFT] = "migration_drift",
};

const char *
dd_schema_kind_name(enum dd_schema_kind k)
{
	return (unsigned)k < DD_SCHEMA_KIND__COUNT ? kind_names[k] : "unknown";
}

enum dd_severity
dd_schema_limit_severity(double pct, bool *finding)
{
	*finding = pct >= SCHEMA_LIMIT_WARN_PCT;
	return pct >= SCHEMA_LIMIT_CRIT_PCT ? DD_SEV_CRIT : DD_SEV_WARN;
}

enum dd_severity
dd_schema_wraparound_severity(int64_t age, bool *finding)
{
	*finding = age >= SCHEMA_XID_WARN_AGE;
	return age >= SCHEMA_XID_CRIT_AGE ? DD_SEV_CRIT : DD_SEV_WARN;
}

/* Whether the column list `cols` starts with every column of `prefix`, in order. */
static bool
columns_lead(const char *cols, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0 || strncmp(cols, prefix, n) != 0)
		return false;
	return cols[n] == '\0' || cols[n] == ',';
}

static bool
same_kind(const struct dd_schema_index *a, const struct dd_schema_index *b)
{
	return strcmp(a->table, b->table) == 0 && strcasecmp(a->method, b->method) == 0 &&
	       strcmp(a->extra ? a->extra : "", b->extra ? b->extra : "") == 0;
}

int
dd_schema_redundant_of(const struct dd_schema_index *idx, int n, int i)
{
	const struct dd_schema_index *me = &idx[i];

	if (!me->valid || me->unique)
		return -1; /* a unique index enforces something: never the redundant one */
	for (int j = 0; j < n; j++) {
		const struct dd_schema_index *o = &idx[j];
		if (j == i || !o->valid || !same_kind(me, o) ||
		    !columns_lead(o->columns, me->columns))
			continue;
		if (strcmp(o->columns, me->columns) == 0 && !o->unique && j > i)
			continue; /* of two identical ones, the later is the redundant one */
		return j;
	}
	return -1;
}

/* ---- migration tables ---- */

/* Whether the comma-separated list has the column `name` (any case). */
static bool
has_col(const char *cols, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = cols; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

struct tool_rule {
	const char *table;   /* lower case */
	const char *schema;  /* NULL: any */
	const char *need;    /* a column it must have; NULL: none */
	const char *without; /* a column it must not have; NULL: none */
	enum dd_schema_tool tool;
};

/* First match wins: the schema_migrations variants are told apart by their columns. */
static const struct tool_rule tool_rules[] = {
    {"flyway_schema_history", NULL, "installed_rank", NULL, DD_TOOL_FLYWAY},
    {"schema_version", NULL, "installed_rank", NULL, DD_TOOL_FLYWAY},
    {"databasechangelog", NULL, "orderexecuted", NULL, DD_TOOL_LIQUIBASE},
    {"databasechangeloglock", NULL, "locked", NULL, DD_TOOL_LIQUIBASE_LOCK},
    {"alembic_version", NULL, "version_num", NULL, DD_TOOL_ALEMBIC},
    {"schema_migrations", NULL, "dirty", NULL, DD_TOOL_GOLANG_MIGRATE},
    {"schema_migrations", NULL, "inserted_at", NULL, DD_TOOL_ECTO},
    {"schema_migrations", NULL, "version", "dirty", DD_TOOL_RAILS},
    {"goose_db_version", NULL, "version_id", NULL, DD_TOOL_GOOSE},
    {"django_migrations", NULL, "app", NULL, DD_TOOL_DJANGO},
    {"knex_migrations", NULL, "batch", NULL, DD_TOOL_KNEX},
    {"knex_migrations_lock", NULL, "is_locked", NULL, DD_TOOL_KNEX_LOCK},
    {"_prisma_migrations", NULL, "migration_name", NULL, DD_TOOL_PRISMA},
    {"changes", "sqitch", "change", NULL, DD_TOOL_SQITCH},
    {"events", "sqitch", "event", NULL, DD_TOOL_SQITCH_EVENTS},
};

enum dd_schema_tool
dd_schema_classify(const char *schema, const char *table, const char *columns)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(tool_rules); i++) {
		const struct tool_rule *r = &tool_rules[i];
		if (strcasecmp(table, r->table) != 0)
			continue;
		if (r->schema && (!schema || strcasecmp(schema, r->schema) != 0))
			continue;
		if (r->need && !has_col(columns, r->need))
			continue;
		if (r->without && has_col(columns, r->without))
			continue;
		return r->tool;
	}
	return DD_TOOL_NONE;
}

static const char *const tool_names[DD_TOOL__COUNT] = {
    [DD_TOOL_NONE] = "none",
    [DD_TOOL_FLYWAY] = "flyway",
    [DD_TOOL_LIQUIBASE] = "liquibase",
    [DD_TOOL_LIQUIBASE_LOCK] = "liquibase",
    [DD_TOOL_ALEMBIC] = "alembic",
    [DD_TOOL_RAILS] = "rails",
    [DD_TOOL_GOLANG_MIGRATE] = "golang-migrate",
    [DD_TOOL_ECTO] = "ecto",
    [DD_TOOL_GOOSE] = "goose",
    [DD_TOOL_DJANGO] = "django",
    [DD_TOOL_KNEX] = "knex",
    [DD_TOOL_KNEX_LOCK] = "knex",
    [DD_TOOL_PRISMA] = "prisma",
    [DD_TOOL_SQITCH] = "sqitch",
    [DD_TOOL_SQITCH_EVENTS] = "sqitch",
};

const char *
dd_schema_tool_name(enum dd_schema_tool t)
{
	return (unsigned)t < DD_TOOL__COUNT ? tool_names[t] : "none";
}

/* ---- identifiers ---- */

static bool
pg_bare(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

char *
dd_schema_quote_ident(enum dd_engine engine, const char *name, char *buf, size_t len)
{
	char q = engine == DD_ENGINE_POSTGRESQL ? '"' : '`';
	size_t o = 0;

	if (len == 0)
		return buf;
	if (engine == DD_ENGINE_POSTGRESQL && pg_bare(name)) {
		dd_strlcpy(buf, name, len);
		return buf;
	}
	if (len < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = q;
	for (const char *p = name; *p && o + 3 < len; p++) {
		if (*p == q)
			buf[o++] = q;
		buf[o++] = *p;
	}
	buf[o++] = q;
	buf[o] = '\0';
	return buf;
}

char *
dd_schema_quote_qualified(
    enum dd_engine engine, const char *schema, const char *name, char *buf, size_t len)
{
	char a[256], b[256];

	dd_schema_quote_ident(engine, schema, a, sizeof(a));
	dd_schema_quote_ident(engine, name, b, sizeof(b));
	snprintf(buf, len, "%s.%s", a, b);
	return buf;
}

/* ---- results ---- */

void
dd_schema_count(const struct dd_schema_cluster *c, int out[3])
{
	out[0] = out[1] = out[2] = 0;
	for (int i = 0; i < c->n_findings; i++)
		out[c->findings[i].severity]++;
}

void
dd_schema_summarize(
    const struct dd_schema_result *r, const char *name, struct dd_schema_summary *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; r && i < r->n_clusters; i++) {
		const struct dd_schema_cluster *c = &r->clusters[i];
		if (strcmp(c->name, name) != 0)
			continue;
		out->known = true;
		out->ok = c->ok;
		dd_schema_count(c, out->counts);
		if (out->counts[DD_SEV_CRIT] > 0)
			dd_seterr(out->worst, sizeof(out->worst), "%s %s: %s",
			    dd_schema_kind_name(c->findings[0].kind), c->findings[0].object,
			    c->findings[0].evidence);
	}
}

const struct dd_schema_result *
dd_schema_ref(const struct dd_schema_result *r)
{
	if (r)
		atomic_fetch_add(&((struct schema_result_box *)(void *)r)->refs, 1);
	return r;
}

void
dd_schema_unref(const struct dd_schema_result *r)
{
	struct schema_result_box *b = (struct schema_result_box *)(void *)r;

	if (!r || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (int i = 0; i < r->n_clusters; i++) {
		free(r->clusters[i].findings);
		free(r->clusters[i].tables);
		free(r->clusters[i].migrations);
	}
	free(r->clusters);
	free(b);
}
