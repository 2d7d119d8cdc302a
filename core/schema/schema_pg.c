/*
 * schema_pg.c: the PostgreSQL 15 catalog queries of schema health
 * (schema_internal.h's struct schema_engine). Every query looks only at
 * the {N} largest relations (by relpages, a catalog figure that costs no
 * I/O), so a schema of 50 000 tables costs a bounded time; sizes come from
 * pg_*_size, which takes an ACCESS SHARE lock and therefore waits on DDL:
 * the session's lock_timeout ends that wait. docs/schema.md lists what
 * each query reads.
 */
#include "schema/schema_internal.h"

/* The relations looked at: the {N} largest ordinary, partitioned and materialized tables. */
#define PG_TOP                                                                                     \
	"WITH top AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
	"WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', "                  \
	"'information_schema') AND n.nspname !~ '^pg_toast' "                                      \
	"ORDER BY c.relpages DESC, c.oid LIMIT {N}) "

#define PG_SYS "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"

/* 1-based key columns of an index (int2vector is 0-based). */
#define PG_INDKEY "(string_to_array(i.indkey::text, ' ')::int2[])"

static const char pg_indexes[] = PG_TOP
    "SELECT n.nspname, t.relname, ic.relname, am.amname, i.indisunique OR i.indisprimary, "
    "i.indisvalid AND i.indisready, "
    "EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid), "
    "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN "
    "('p', 'u', 'x')), "
    "(SELECT string_agg(CASE WHEN k.attnum = 0 THEN 'expr' ELSE quote_ident(a.attname) END || "
    "CASE WHEN o.opcdefault THEN '' ELSE ' ' || o.opcname END, ',' ORDER BY k.ord) "
    "FROM unnest(" PG_INDKEY ") WITH ORDINALITY k(attnum, ord) "
    "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "LEFT JOIN pg_opclass o ON o.oid = (string_to_array(i.indclass::text, ' ')::oid[])[k.ord] "
    "WHERE k.ord <= i.indnkeyatts), "
    "concat_ws(' ', pg_get_expr(i.indexprs, i.indrelid), 'WHERE ' || pg_get_expr(i.indpred, "
    "i.indrelid), (SELECT 'INCLUDE ' || string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) "
    "FROM unnest(" PG_INDKEY ") WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON "
    "a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE k.ord > i.indnkeyatts)), "
    "pg_relation_size(i.indexrelid), ic.relkind = 'I' "
    "FROM pg_index i JOIN top ON top.oid = i.indrelid JOIN pg_class ic ON ic.oid = "
    "i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = "
    "t.relnamespace JOIN pg_am am ON am.oid = ic.relam ORDER BY 1, 2, 3";

static const char pg_index_usage[] =
    "SELECT schemaname || '.' || relname, indexrelname, idx_scan FROM pg_stat_user_indexes";

static const char pg_table_reads[] =
    "SELECT schemaname || '.' || relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) "
    "FROM pg_stat_user_tables";

static const char pg_fk_columns[] =
    "SELECT n.nspname || '.' || t.relname, (SELECT string_agg(quote_ident(a.attname), ',' "
    "ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a "
    "ON a.attrelid = k.conrelid AND a.attnum = u.attnum) FROM pg_constraint k JOIN pg_class t "
    "ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE k.contype = 'f'";

static const char pg_fk_missing[] = PG_TOP
    "SELECT n.nspname, t.relname, k.conname, (SELECT string_agg(quote_ident(a.attname), ', ' "
    "ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a "
    "ON a.attrelid = k.conrelid AND a.attnum = u.attnum), rn.nspname || '.' || r.relname, "
    "t.reltuples::bigint FROM pg_constraint k JOIN top ON top.oid = k.conrelid "
    "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace "
    "WHERE k.contype = 'f' AND k.conparentid = 0 AND NOT EXISTS (SELECT 1 FROM pg_index i "
    "WHERE i.indrelid = k.conrelid AND i.indisvalid AND i.indpred IS NULL AND "
    "(" PG_INDKEY ")[1:cardinality(k.conkey)] @> k.conkey) ORDER BY 1, 2, 3";

static const char pg_seq_scans[] =
    PG_TOP "SELECT s.schemaname, s.relname, s.seq_scan, coalesce(s.idx_scan, 0), s.n_live_tup, "
           "s.seq_tup_read, 100.0 * coalesce(s.idx_scan, 0) / greatest(s.seq_scan + "
           "coalesce(s.idx_scan, 0), 1) FROM pg_stat_user_tables s JOIN top ON top.oid = s.relid "
           "ORDER BY 1, 2";

#define PG_COLMAX                                                                                  \
	"CASE a.atttypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 "    \
	"ELSE 9223372036854775807 END"

static const char pg_sequences[] =
    "SELECT s.schemaname, s.sequencename, coalesce(tn.nspname, ''), coalesce(t.relname, ''), "
    "coalesce(a.attname, ''), s.last_value, least(s.max_value, " PG_COLMAX "), "
    "coalesce(format_type(a.atttypid, a.atttypmod), ''), s.max_value, " PG_COLMAX " "
    "FROM pg_sequences s JOIN pg_namespace sn ON sn.nspname = s.schemaname JOIN pg_class sc "
    "ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename LEFT JOIN pg_depend d ON "
    "d.classid = 'pg_class'::regclass AND d.objid = sc.oid AND d.refclassid = "
    "'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') "
    "LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = "
    "t.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = "
    "d.refobjsubid WHERE s.last_value IS NOT NULL AND s.increment_by > 0 "
    "ORDER BY s.last_value::numeric / least(s.max_value, " PG_COLMAX ") DESC LIMIT {N}";

static const char pg_wraparound[] =
    "SELECT datname, age(datfrozenxid) FROM pg_database WHERE datallowconn ORDER BY 2 DESC";

#define PG_PARTS "(SELECT h.inhrelid FROM pg_inherits h WHERE h.inhparent = c.oid)"

static const char pg_tables[] =
    "WITH top AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND " PG_SYS " "
    "ORDER BY c.relpages + coalesce((SELECT sum(p.relpages) FROM pg_class p WHERE p.oid "
    "IN " PG_PARTS "), 0) DESC, c.oid LIMIT {N}), "
    "sz AS (SELECT n.nspname, c.relname, c.relkind, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(p)), 0) "
    "FROM " PG_PARTS " x(p)) ELSE pg_total_relation_size(c.oid) END AS total, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_relation_size(p)), 0) FROM " PG_PARTS
    " x(p)) ELSE pg_relation_size(c.oid) END AS tab, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_indexes_size(p)), 0) FROM " PG_PARTS
    " x(p)) ELSE pg_indexes_size(c.oid) END AS idx, "
    "CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END AS "
    "toast, CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(p.reltuples, 0))::bigint FROM "
    "pg_class p WHERE p.oid IN " PG_PARTS ") ELSE c.reltuples::bigint END AS rows, "
    "(SELECT count(*) FROM pg_inherits h WHERE h.inhparent = c.oid) AS parts, "
    "(SELECT p.relname FROM pg_class p WHERE p.oid IN " PG_PARTS " ORDER BY "
    "pg_total_relation_size(p.oid) DESC LIMIT 1) AS big, (SELECT max(pg_total_relation_size(p)) "
    "FROM " PG_PARTS " x(p)) AS bigsz "
    "FROM top JOIN pg_class c ON c.oid = top.oid JOIN pg_namespace n ON n.oid = c.relnamespace) "
    "SELECT nspname, relname, total, tab, idx, toast, rows, parts, big, bigsz FROM sz "
    "ORDER BY total DESC, 1, 2 LIMIT 20";

static const char pg_migration_tables[] =
    "SELECT n.nspname, c.relname, string_agg(a.attname, ',' ORDER BY a.attnum) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON "
    "a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE c.relkind IN ('r', 'p', "
    "'v') AND " PG_SYS " AND (lower(c.relname) IN ('flyway_schema_history', 'schema_version', "
    "'databasechangelog', 'databasechangeloglock', 'alembic_version', 'schema_migrations', "
    "'goose_db_version', 'django_migrations', 'knex_migrations', 'knex_migrations_lock', "
    "'_prisma_migrations') OR (n.nspname = 'sqitch' AND c.relname IN ('changes', 'events'))) "
    "GROUP BY 1, 2 ORDER BY 1, 2";

static const char pg_stats_since[] =
    "SELECT to_char(coalesce(stats_reset, pg_postmaster_start_time()) AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pg_stat_database WHERE datname = current_database()";

const struct schema_engine schema_engine_pg = {
    .session = "SET statement_timeout = {S}; SET lock_timeout = {L}",
    .indexes = pg_indexes,
    .index_usage = pg_index_usage,
    .table_reads = pg_table_reads,
    .fk_columns = pg_fk_columns,
    .fk_missing = pg_fk_missing,
    .seq_scans = pg_seq_scans,
    .sequences = pg_sequences,
    .wraparound = pg_wraparound,
    .tables = pg_tables,
    .migration_tables = pg_migration_tables,
    .stats_since = pg_stats_since,
    .usage_available = NULL,
    .drop_index = "DROP INDEX CONCURRENTLY {T};",
    .widen_column = "ALTER TABLE {T} ALTER COLUMN {C} TYPE bigint; ALTER SEQUENCE {Q} AS bigint;",
    .widen_sequence = "ALTER SEQUENCE {Q} AS bigint;",
    .add_index = "CREATE INDEX CONCURRENTLY ON {T} ({C});",
};
