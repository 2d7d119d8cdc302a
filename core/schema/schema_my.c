/*
 * schema_my.c: the MariaDB 10.11 catalog queries of schema health
 * (schema_internal.h's struct schema_engine), over information_schema and
 * performance_schema in the connection's own database (a MariaDB
 * "database" is a schema). Index usage comes from performance_schema's
 * table_io_waits_summary_by_index_usage (counted since the server started)
 * and is unknown when performance_schema is off. InnoDB makes an index for
 * every foreign key, so there is no foreign-key check; there is no
 * transaction ID wraparound and no invalid index either.
 */
#include "schema/schema_internal.h"

/* The {N} largest base tables of the database. */
#define MY_TOP                                                                                     \
	"(SELECT table_schema, table_name, table_rows FROM information_schema.TABLES WHERE "       \
	"table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY data_length + "          \
	"index_length DESC, table_name LIMIT {N})"

#define MY_IDXUSE "performance_schema.table_io_waits_summary_by_index_usage"

static const char my_indexes[] =
    "SELECT s.table_schema, s.table_name, s.index_name, s.index_type, MAX(s.non_unique) = 0, 1, "
    "0, s.index_name = 'PRIMARY' OR MAX(s.non_unique) = 0, GROUP_CONCAT(CONCAT(s.column_name, "
    "IF(s.sub_part IS NULL, '', CONCAT('(', s.sub_part, ')')), IF(s.collation = 'D', ' DESC', "
    "'')) ORDER BY s.seq_in_index SEPARATOR ','), '', -1, 0 "
    "FROM information_schema.STATISTICS s JOIN " MY_TOP " t ON t.table_name = s.table_name "
    "WHERE s.table_schema = DATABASE() GROUP BY s.table_schema, s.table_name, s.index_name, "
    "s.index_type ORDER BY 1, 2, 3";

static const char my_index_usage[] =
    "SELECT CONCAT(object_schema, '.', object_name), index_name, count_star FROM " MY_IDXUSE
    " WHERE object_schema = DATABASE() AND index_name IS NOT NULL";

static const char my_table_reads[] =
    "SELECT CONCAT(object_schema, '.', object_name), SUM(count_read) FROM " MY_IDXUSE
    " WHERE object_schema = DATABASE() GROUP BY object_schema, object_name";

static const char my_fk_columns[] =
    "SELECT CONCAT(table_schema, '.', table_name), GROUP_CONCAT(column_name ORDER BY "
    "ordinal_position SEPARATOR ',') FROM information_schema.KEY_COLUMN_USAGE WHERE "
    "table_schema = DATABASE() AND referenced_table_name IS NOT NULL GROUP BY table_schema, "
    "table_name, constraint_name";

/* Full scans are the rows read without an index (index_name NULL); scans ≈ rows / table rows. */
static const char my_seq_scans[] =
    "SELECT t.table_schema, t.table_name, FLOOR(COALESCE(f.full_rows, 0) / GREATEST(t.table_rows, "
    "1)), COALESCE(x.idx_rows, 0), t.table_rows, COALESCE(f.full_rows, 0), 100.0 * "
    "COALESCE(x.idx_rows, 0) / GREATEST(COALESCE(x.idx_rows, 0) + COALESCE(f.full_rows, 0), 1) "
    "FROM " MY_TOP " t LEFT JOIN (SELECT object_name, count_read AS full_rows FROM " MY_IDXUSE
    " WHERE object_schema = DATABASE() AND index_name IS NULL) f ON f.object_name = t.table_name "
    "LEFT JOIN (SELECT object_name, SUM(count_read) AS idx_rows FROM " MY_IDXUSE " WHERE "
    "object_schema = DATABASE() AND index_name IS NOT NULL GROUP BY object_name) x ON "
    "x.object_name = t.table_name ORDER BY 1, 2";

#define MY_COLMAX                                                                                  \
	"CASE CONCAT(c.data_type, IF(c.column_type LIKE '%unsigned%', ' unsigned', '')) "          \
	"WHEN 'tinyint' THEN 127 WHEN 'tinyint unsigned' THEN 255 WHEN 'smallint' THEN 32767 "     \
	"WHEN 'smallint unsigned' THEN 65535 WHEN 'mediumint' THEN 8388607 WHEN 'mediumint "       \
	"unsigned' THEN 16777215 WHEN 'int' THEN 2147483647 WHEN 'int unsigned' THEN 4294967295 "  \
	"WHEN 'bigint unsigned' THEN 18446744073709551615 ELSE 9223372036854775807 END"

static const char my_sequences[] =
    "SELECT c.table_schema, c.table_name, c.table_schema, c.table_name, c.column_name, "
    "t.auto_increment - 1, " MY_COLMAX ", c.column_type, " MY_COLMAX ", " MY_COLMAX " "
    "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.table_schema = "
    "c.table_schema AND t.table_name = c.table_name WHERE c.table_schema = DATABASE() AND "
    "c.extra LIKE '%auto_increment%' AND t.auto_increment IS NOT NULL "
    "ORDER BY (t.auto_increment - 1) / " MY_COLMAX " DESC LIMIT {N}";

#define MY_PARTS                                                                                   \
	"information_schema.PARTITIONS p WHERE p.table_schema = t.table_schema AND p.table_name "  \
	"= t.table_name AND p.partition_name IS NOT NULL"

static const char my_tables[] =
    "SELECT t.table_schema, t.table_name, t.data_length + t.index_length, t.data_length, "
    "t.index_length, 0, t.table_rows, (SELECT COUNT(*) FROM " MY_PARTS "), (SELECT "
    "p.partition_name FROM " MY_PARTS " ORDER BY p.data_length + p.index_length DESC LIMIT 1), "
    "(SELECT MAX(p.data_length + p.index_length) FROM " MY_PARTS ") "
    "FROM information_schema.TABLES t WHERE t.table_schema = DATABASE() AND t.table_type = "
    "'BASE TABLE' ORDER BY 3 DESC, 2 LIMIT 20";

static const char my_migration_tables[] =
    "SELECT table_schema, table_name, GROUP_CONCAT(column_name ORDER BY ordinal_position "
    "SEPARATOR ',') FROM information_schema.COLUMNS WHERE table_schema = DATABASE() AND "
    "LOWER(table_name) IN ('flyway_schema_history', 'schema_version', 'databasechangelog', "
    "'databasechangeloglock', 'alembic_version', 'schema_migrations', 'goose_db_version', "
    "'django_migrations', 'knex_migrations', 'knex_migrations_lock', '_prisma_migrations') "
    "GROUP BY table_schema, table_name ORDER BY 1, 2";

static const char my_stats_since[] =
    "SELECT DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL VARIABLE_VALUE SECOND, "
    "'%Y-%m-%dT%H:%i:%sZ') FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
    "'UPTIME'";

const struct schema_engine schema_engine_my = {
    .session = "SET SESSION max_statement_time = {s}, SESSION lock_wait_timeout = {l}",
    .indexes = my_indexes,
    .index_usage = my_index_usage,
    .table_reads = my_table_reads,
    .fk_columns = my_fk_columns,
    .fk_missing = NULL,
    .seq_scans = my_seq_scans,
    .sequences = my_sequences,
    .wraparound = NULL,
    .tables = my_tables,
    .migration_tables = my_migration_tables,
    .stats_since = my_stats_since,
    .usage_available = "SELECT @@performance_schema",
    .drop_index = "ALTER TABLE {T} DROP INDEX {C}, ALGORITHM=INPLACE, LOCK=NONE;",
    .widen_column = "ALTER TABLE {T} MODIFY {C} BIGINT{Y} NOT NULL AUTO_INCREMENT;",
    .widen_sequence = NULL,
    .add_index = "ALTER TABLE {T} ADD INDEX ({C}), ALGORITHM=INPLACE, LOCK=NONE;",
};
