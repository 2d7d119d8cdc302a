/*
 * schema_test.c: the pure parts of schema health (schema.h): which index is
 * redundant (a leading prefix of another valid index; never a unique one),
 * the sequence and wraparound thresholds, which migration tool a table
 * belongs to (the schema_migrations variants by their columns), and the
 * quoting of identifiers in the fix statements.
 */
#include <string.h>

#include "dbdeck/schema.h"
#include "tap.h"

#define IX(t, n, m, c, e, u, v)                                                                    \
	{                                                                                          \
		.table = t, .name = n, .method = m, .columns = c, .extra = e, .unique = u,         \
		.valid = v                                                                         \
	}

static void
test_redundant(void)
{
	struct dd_schema_index a[] = {
	    IX("public.t", "t_pkey", "btree", "id", "", true, true),
	    IX("public.t", "t_a", "btree", "a", "", false, true),
	    IX("public.t", "t_a_b", "btree", "a,b", "", false, true),
	    IX("public.t", "t_ab", "btree", "ab", "", false, true),
	    IX("public.t", "t_a_hash", "hash", "a", "", false, true),
	    IX("public.t", "t_a_part", "btree", "a", "WHERE (a > 0)", false, true),
	    IX("public.t", "t_id_x", "btree", "id,x", "", false, true),
	    IX("public.u", "u_a_b", "btree", "a,b", "", false, true),
	};
	int n = (int)(sizeof(a) / sizeof(a[0]));

	is_int(dd_schema_redundant_of(a, n, 1), 2, "a is a leading prefix of (a,b)");
	is_int(dd_schema_redundant_of(a, n, 2), -1, "(a,b) is covered by nothing");
	is_int(dd_schema_redundant_of(a, n, 3), -1, "column ab is not a prefix match of a");
	is_int(dd_schema_redundant_of(a, n, 4), -1, "another method does not cover");
	is_int(dd_schema_redundant_of(a, n, 5), -1,
	    "a partial index is judged only against its own predicate");
	is_int(dd_schema_redundant_of(a, n, 0), -1, "a primary key is never the redundant one");
	is_int(dd_schema_redundant_of(a, n, 7), -1, "another table does not cover");

	struct dd_schema_index b[] = {
	    IX("s.t", "x1", "btree", "a,b", "", false, true),
	    IX("s.t", "x2", "btree", "a,b", "", false, true),
	    IX("s.t", "u", "btree", "a", "", true, true),
	    IX("s.t", "x3", "btree", "a", "", false, true),
	    IX("s.t", "bad", "btree", "a,b,c", "", false, false),
	};
	n = (int)(sizeof(b) / sizeof(b[0]));
	is_int(dd_schema_redundant_of(b, n, 0), -1, "of two identical indexes the first stays");
	is_int(dd_schema_redundant_of(b, n, 1), 0, "... and the second is redundant");
	is_int(dd_schema_redundant_of(b, n, 2), -1, "a unique index covered by a longer one stays");
	ok(dd_schema_redundant_of(b, n, 3) >= 0,
	    "a plain index equal to a unique one is redundant");
	is_int(dd_schema_redundant_of(b, n, 4), -1, "an invalid index is never compared");
	b[4].valid = true;
	is_int(dd_schema_redundant_of(b, n, 0), 4, "a valid longer index makes (a,b) redundant");
}

static void
test_thresholds(void)
{
	bool f;

	dd_schema_limit_severity(74.9, &f);
	ok(!f, "sequence at 74.9 %%: no finding");
	is_int(dd_schema_limit_severity(75.0, &f), DD_SEV_WARN, "75 %%: warn");
	ok(f, "75 %%: a finding");
	is_int(dd_schema_limit_severity(89.99, &f), DD_SEV_WARN, "89.99 %%: warn");
	is_int(dd_schema_limit_severity(90.0, &f), DD_SEV_CRIT, "90 %%: critical");
	is_int(dd_schema_limit_severity(100.0, &f), DD_SEV_CRIT, "100 %%: critical");
	dd_schema_wraparound_severity(999999999, &f);
	ok(!f, "XID age just under a billion: no finding");
	is_int(
	    dd_schema_wraparound_severity(1000000000, &f), DD_SEV_WARN, "XID age a billion: warn");
	is_int(dd_schema_wraparound_severity(1600000000, &f), DD_SEV_CRIT, "1.6 billion: critical");
}

static void
test_classify(void)
{
	static const struct {
		const char *schema, *table, *cols;
		const char *want;
	} c[] = {
	    {"public", "flyway_schema_history", "installed_rank,version,success", "flyway"},
	    {"public", "schema_version", "installed_rank,version,success", "flyway"},
	    {"public", "schema_version", "version", "none"},
	    {"public", "DATABASECHANGELOG", "ID,AUTHOR,ORDEREXECUTED,EXECTYPE", "liquibase"},
	    {"public", "alembic_version", "version_num", "alembic"},
	    {"public", "schema_migrations", "version,dirty", "golang-migrate"},
	    {"public", "schema_migrations", "version", "rails"},
	    {"public", "schema_migrations", "version,inserted_at", "ecto"},
	    {"public", "Schema_Migrations", "VERSION,DIRTY", "golang-migrate"},
	    {"public", "goose_db_version", "id,version_id,is_applied,tstamp", "goose"},
	    {"public", "django_migrations", "id,app,name,applied", "django"},
	    {"public", "knex_migrations", "id,name,batch,migration_time", "knex"},
	    {"public", "knex_migrations_lock", "index,is_locked", "knex"},
	    {"public", "_prisma_migrations", "id,migration_name,finished_at", "prisma"},
	    {"sqitch", "changes", "change_id,change,project", "sqitch"},
	    {"public", "changes", "change_id,change,project", "none"},
	    {"public", "orders", "id,version", "none"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		is_str(dd_schema_tool_name(dd_schema_classify(c[i].schema, c[i].table, c[i].cols)),
		    c[i].want, c[i].table);
	is_int(dd_schema_classify("public", "schema_migrations", "version,dirty_flag"),
	    DD_TOOL_RAILS, "a column named like dirty is not dirty");
}

static void
test_quote(void)
{
	char buf[64];

	is_str(dd_schema_quote_ident(DD_ENGINE_POSTGRESQL, "orders", buf, sizeof(buf)), "orders",
	    "PostgreSQL: a plain name stays bare");
	is_str(dd_schema_quote_ident(DD_ENGINE_POSTGRESQL, "Orders", buf, sizeof(buf)),
	    "\"Orders\"", "PostgreSQL: upper case is quoted");
	is_str(dd_schema_quote_ident(DD_ENGINE_POSTGRESQL, "a\"b; DROP", buf, sizeof(buf)),
	    "\"a\"\"b; DROP\"", "PostgreSQL: a quote is doubled");
	is_str(dd_schema_quote_ident(DD_ENGINE_POSTGRESQL, "1st", buf, sizeof(buf)), "\"1st\"",
	    "PostgreSQL: a leading digit is quoted");
	is_str(dd_schema_quote_ident(DD_ENGINE_MARIADB, "orders", buf, sizeof(buf)), "`orders`",
	    "MariaDB: always backquoted");
	is_str(dd_schema_quote_ident(DD_ENGINE_MARIADB, "a`b", buf, sizeof(buf)), "`a``b`",
	    "MariaDB: a backquote is doubled");
	is_str(dd_schema_quote_qualified(DD_ENGINE_POSTGRESQL, "Sales", "t", buf, sizeof(buf)),
	    "\"Sales\".t", "schema.table, each quoted as needed");
	dd_schema_quote_ident(DD_ENGINE_POSTGRESQL,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", buf, 16);
	ok(strlen(buf) < 16 && buf[0] == '"' && buf[strlen(buf) - 1] == '"',
	    "a long name is cut inside its quotes");
}

int
main(void)
{
	test_redundant();
	test_thresholds();
	test_classify();
	test_quote();
	return tap_done();
}
