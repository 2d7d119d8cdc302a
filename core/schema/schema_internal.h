/*
 * schema_internal.h: what the schema module's files share: thresholds, the
 * refcounted result box, the per-engine table of catalog queries
 * (schema_pg.c, schema_my.c), the accumulator the checks write findings
 * into, and the index model the checks run over.
 */
#ifndef DD_SCHEMA_INTERNAL_H
#define DD_SCHEMA_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/driver.h"
#include "dbdeck/schema.h"

/* Thresholds (docs/schema.md). */
#define SCHEMA_LIMIT_WARN_PCT  75.0
#define SCHEMA_LIMIT_CRIT_PCT  90.0
#define SCHEMA_XID_WARN_AGE    INT64_C(1000000000) /* about half the 2^31 headroom used */
#define SCHEMA_XID_CRIT_AGE    INT64_C(1600000000) /* about 550 million left */
#define SCHEMA_SEQ_MIN_ROWS    10000               /* seq-scan check: tables at least this big */
#define SCHEMA_SEQ_MIN_SCANS   10   /* ... scanned sequentially at least this often */
#define SCHEMA_SEQ_MAX_IDX_PCT 95.0 /* ... with fewer than this share of index scans */
#define SCHEMA_TABLES_SHOWN    20   /* largest tables kept per database */
#define SCHEMA_LOCK_STALE_MIN  10   /* a migration lock older than this is stale */

/* A result and its reference count (the result first: pointers convert). */
struct schema_result_box {
	struct dd_schema_result r;
	atomic_int refs;
};

/* Where one cluster's findings, tables and migrations accumulate. */
struct schema_acc {
	struct dd_schema_cluster *cl;
	enum dd_engine engine;
	const char *db; /* the database being read */
	int top_n;
	int64_t timeout_ms;
	int cap_f, cap_t, cap_m;
};

void schema_add_finding(struct schema_acc *a, enum dd_schema_kind kind, enum dd_severity sev,
    const char *object, const char *fix, const char *evfmt, ...)
    __attribute__((format(printf, 6, 7)));
struct dd_schema_table *schema_add_table(struct schema_acc *a);
struct dd_schema_migration *schema_add_migration(struct schema_acc *a);
void schema_note(struct schema_acc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One index of a database, as both engines' queries return it. */
struct schema_ix {
	char table[192]; /* schema.table */
	char schema[64], tname[128], name[128];
	char method[24];
	char cols[256];  /* key columns, comma-separated */
	char extra[384]; /* predicate, expressions, opclasses, INCLUDE */
	bool uniq, valid, building, backs, partitioned, serves_fk;
	int64_t bytes;
	int64_t scans;       /* summed over the nodes that answered */
	int64_t table_reads; /* scans of its table, any kind, summed likewise */
	char where[160];     /* scans per node */
};

/*
 * The catalog queries of one engine. {N} in a query is replaced by
 * schema_top_n, {T} by a quoted table. A NULL query means the engine has no
 * such check. Column order is fixed per query (see schema_probe.c).
 */
struct schema_engine {
	/* Session settings: the statement and lock timeouts ({S} ms, {L} ms / {s}, {l} s). */
	const char *session;
	/* schema, table, index, method, uniq, valid, building, backs, cols, extra, bytes,
	 * partitioned */
	const char *indexes;
	/* table, index, scans: every index's scan count on this node */
	const char *index_usage;
	/* table, reads: how often each table was read (scans of any kind) on this node */
	const char *table_reads;
	/* table, columns: every foreign key (to keep their indexes out of "unused") */
	const char *fk_columns;
	/* schema, table, constraint, columns, referenced table, rows: FKs without an index */
	const char *fk_missing;
	/* schema, table, seq scans, index scans, live rows, rows read by seq scans, index % */
	const char *seq_scans;
	/* seq schema, seq, table schema, table, column (all raw; '' when none), last value,
	 * limit, column type, seq max (MariaDB: col max), col max */
	const char *sequences;
	/* database, age (cluster-wide) */
	const char *wraparound;
	/* schema, table, total, table, index, toast, rows, partitions, largest part, its bytes */
	const char *tables;
	/* schema, table, columns (comma-separated) of candidate migration tables */
	const char *migration_tables;
	/* when statistics start: text */
	const char *stats_since;
	/* whether the index statistics exist at all (MariaDB performance_schema); NULL: yes */
	const char *usage_available;
	/* fix statements */
	const char *drop_index;     /* {T} = schema.index */
	const char *widen_column;   /* {T} = table, {C} = column, {Y} = type; {Q} = sequence */
	const char *widen_sequence; /* {Q} = sequence */
	const char *add_index;      /* {T} = table, {C} = columns */
};

extern const struct schema_engine schema_engine_pg;
extern const struct schema_engine schema_engine_my;

/*
 * A new string: tmpl with {N} → n, {S}/{L} → ms, {s}/{l} → seconds, and
 * {T}/{C}/{Y}/{Q} → the given texts (NULL: left out). Caller frees.
 */
char *schema_sql(const char *tmpl, int n, int64_t stmt_ms, int64_t lock_ms, const char *t,
    const char *c, const char *y, const char *q);

/*
 * dd_schema_probe with a stop flag (the prober's): once *stop is set, no
 * further query starts and the round ends with "stopped". stop may be NULL.
 */
struct dd_schema_result *schema_probe_until(const struct dd_config *cfg, const char *only,
    dd_credential_fn get_credential, void *ctx, const atomic_bool *stop);

/* Checks over a database's indexes (schema_indexes.c). */
void schema_check_indexes(
    struct schema_acc *a, struct schema_ix *ix, int n, bool usage_known, const char *since);

/* Migration versions of one node and database (schema_migrate.c). */
/* report: add the failed/lock findings (the primary's read). */
int schema_read_migrations(struct schema_acc *a, struct dd_conn *c, const char *node,
    const char *custom_query, bool report, int64_t deadline_ns, char *err, size_t errlen);
/* Drift between the primary's migrations and each replica's (same cluster). */
void schema_check_drift(struct schema_acc *a, const char *primary);

#endif
