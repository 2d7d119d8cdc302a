/*
 * schema.h: schema health (DESIGN.md §12, issue 15, docs/schema.md).
 *
 * A slow-interval probe reads the catalogs of every database of a cluster
 * (the cluster's `databases`, default its `database`) and turns what it
 * reads into findings: unused, duplicate and invalid indexes, foreign keys
 * without an index, tables read mostly by sequential scans, sequences and
 * auto-increment columns near the limit of their column type, transaction
 * ID wraparound headroom, failed or dirty migrations, and drift of the
 * migration version (primary vs replicas; clusters of one `schema_group`).
 * Beside the findings it keeps the largest tables (partitioned tables with
 * their partition count) and the migration version of each database.
 *
 * Every finding carries its evidence (figures) and the statement that would
 * fix it, as text for a person: dbdeck never runs it.
 *
 * The probe connects on its own with the cluster's `credential` (one short
 * session per node and database), sets its own statement and lock timeouts
 * (`schema_timeout`), and looks at the `schema_top_n` largest tables of each
 * database at most. The catalog queries are engine tables (schema_pg.c,
 * schema_my.c); the checks over what they return are pure (schema_check.c).
 *
 * Results are immutable and reference-counted, like the monitor's
 * snapshots: a prober (dd_schema_prober_*) runs rounds on its own thread
 * and swaps a pointer; readers take a reference with dd_schema_current().
 * Every string in a result is raw server text: sanitize it before a
 * terminal.
 */
#ifndef DBDECK_SCHEMA_H
#define DBDECK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/snapshot.h"

enum dd_schema_kind {
	DD_SCHEMA_UNUSED_INDEX,
	DD_SCHEMA_DUPLICATE_INDEX,
	DD_SCHEMA_INVALID_INDEX,
	DD_SCHEMA_FK_WITHOUT_INDEX,
	DD_SCHEMA_SEQ_SCANS,
	DD_SCHEMA_SEQUENCE_LIMIT,
	DD_SCHEMA_WRAPAROUND,
	DD_SCHEMA_MIGRATION_FAILED,
	DD_SCHEMA_MIGRATION_LOCK,
	DD_SCHEMA_DRIFT,
	DD_SCHEMA_KIND__COUNT
};

/* "unused_index", "duplicate_index", ... (docs/schema.md). Static. */
const char *dd_schema_kind_name(enum dd_schema_kind k);

struct dd_schema_finding {
	enum dd_schema_kind kind;
	enum dd_severity severity;
	char database[64];
	char object[256];   /* schema.table[.index|.column], or the migration table */
	char evidence[384]; /* the figures, one line */
	char fix[512];      /* the statement a person would run; "" when none */
};

/* One of the largest tables of a database. */
struct dd_schema_table {
	char database[64];
	char name[192]; /* schema.table */
	int64_t total_bytes, table_bytes, index_bytes, toast_bytes;
	int64_t rows;   /* the planner's estimate; -1 unknown */
	int partitions; /* 0: not partitioned */
	char largest_partition[192];
	int64_t largest_partition_bytes;
};

/* The migration version a tool left in one database, as one node sees it. */
struct dd_schema_migration {
	char database[64];
	char node[64];
	char tool[24];     /* "flyway", "liquibase", ..., "custom" */
	char table[128];   /* schema.table it was read from */
	char version[128]; /* "" when the table is empty */
	char applied[40];  /* when, as the server says; "" unknown */
	bool failed;       /* dirty / failed / unfinished */
};

/* One cluster of a result. */
struct dd_schema_cluster {
	char name[64];
	enum dd_engine engine;
	char group[64];   /* schema_group; "" none */
	char primary[64]; /* the node read as the primary; "" none answered */
	int64_t took_ms;
	bool ok;         /* every database of the primary was read */
	char error[256]; /* why not (a timeout says so); "" when ok */
	char notes[512]; /* what could not be known ("performance_schema is off", ...) */
	char stats_since[40];
	int n_findings;
	struct dd_schema_finding *findings; /* critical first */
	int n_tables;
	struct dd_schema_table *tables;
	int n_migrations;
	struct dd_schema_migration *migrations; /* primary first, then replicas */
};

struct dd_schema_result {
	uint64_t seq;
	int64_t taken_wall_ms; /* when the round started */
	int64_t took_ms;
	int n_clusters;
	struct dd_schema_cluster *clusters;
};

/* Takes a reference (returns r). Thread-safe. */
const struct dd_schema_result *dd_schema_ref(const struct dd_schema_result *r);
/* Drops one; the last frees the result. NULL is a no-op. */
void dd_schema_unref(const struct dd_schema_result *r);

/* Counts of a cluster's findings by severity (out[DD_SEV_INFO..DD_SEV_CRIT]). */
void dd_schema_count(const struct dd_schema_cluster *c, int out[3]);

/* What the monitor's snapshot and the alert rules keep of a cluster's round. */
struct dd_schema_summary {
	bool known; /* r has a round of this cluster */
	bool ok;
	int counts[3];
	char worst[200]; /* "kind object: evidence" of the first critical finding; "" none */
};

/* Summarises cluster `name` of r (r may be NULL: known = false). */
void dd_schema_summarize(
    const struct dd_schema_result *r, const char *name, struct dd_schema_summary *out);

/* ---- one round, on the caller's thread -------------------------------- */

/*
 * Probes every cluster of cfg whose schema_refresh is not 0 (or, when only
 * is not NULL, cluster `only` and the clusters of its schema_group) once and
 * returns a new result (refcount 1, caller unrefs). Credentials come from
 * get_credential (core.h) with the cluster's `credential`. Never waits past
 * the clusters' schema_timeout per statement (plus connect_timeout per
 * connection). A cluster that cannot be read has ok = false and the reason.
 */
struct dd_schema_result *dd_schema_probe(
    const struct dd_config *cfg, const char *only, dd_credential_fn get_credential, void *ctx);

/* ---- the prober: rounds on its own thread ------------------------------ */

struct dd_schema_prober;

/*
 * Starts a thread that runs a round at once and then every schema_refresh
 * (the smallest of the clusters'; clusters with schema_refresh = 0 are left
 * out). cfg and the credentials are borrowed until dd_schema_prober_free.
 * Returns NULL with the reason in err (also when every cluster has 0).
 */
struct dd_schema_prober *dd_schema_prober_new(const struct dd_config *cfg,
    dd_credential_fn get_credential, void *ctx, char *err, size_t errlen);
/* Asks for a round now (returns at once). */
void dd_schema_prober_refresh(struct dd_schema_prober *p);
/* The newest result (a new reference), or NULL before the first round ends. */
const struct dd_schema_result *dd_schema_current(struct dd_schema_prober *p);
/* Whether a round is running now. */
bool dd_schema_prober_busy(struct dd_schema_prober *p);
/* Stops the thread (a running statement ends at its timeout) and frees. NULL is a no-op. */
void dd_schema_prober_free(struct dd_schema_prober *p);

/* ---- pure parts (schema_check.c), public for the unit tests ------------ */

/* Severity of a sequence or auto-increment column at `pct` % of its limit. */
enum dd_severity dd_schema_limit_severity(double pct, bool *finding);
/* Severity of a database whose oldest unfrozen XID is `age` transactions old. */
enum dd_severity dd_schema_wraparound_severity(int64_t age, bool *finding);

/* An index as the duplicate check sees it. */
struct dd_schema_index {
	const char *table; /* schema.table */
	const char *name;
	const char *method;  /* btree, hash, ... */
	const char *columns; /* comma-separated key columns (expressions included) */
	const char *extra;   /* predicate, opclasses, included columns: must match exactly */
	bool unique;         /* unique or primary key */
	bool valid;
};

/*
 * The index of idx (0..n-1) that makes idx[i] redundant, or -1: another
 * valid index on the same table, same method and extra, whose columns start
 * with all of idx[i]'s columns in order. A unique index (or primary key) is
 * never the redundant one. Of two identical non-unique indexes the later
 * one is redundant.
 */
int dd_schema_redundant_of(const struct dd_schema_index *idx, int n, int i);

/* Migration tools (schema_check.c's table). */
enum dd_schema_tool {
	DD_TOOL_NONE,
	DD_TOOL_FLYWAY,
	DD_TOOL_LIQUIBASE,
	DD_TOOL_LIQUIBASE_LOCK,
	DD_TOOL_ALEMBIC,
	DD_TOOL_RAILS,
	DD_TOOL_GOLANG_MIGRATE,
	DD_TOOL_ECTO,
	DD_TOOL_GOOSE,
	DD_TOOL_DJANGO,
	DD_TOOL_KNEX,
	DD_TOOL_KNEX_LOCK,
	DD_TOOL_PRISMA,
	DD_TOOL_SQITCH,
	DD_TOOL_SQITCH_EVENTS,
	DD_TOOL__COUNT
};

/*
 * Which tool's table this is, from its schema, name and comma-separated
 * column names (any case, any order). DD_TOOL_NONE when none.
 */
enum dd_schema_tool dd_schema_classify(const char *schema, const char *table, const char *columns);
/* "flyway", "liquibase", ... Static. */
const char *dd_schema_tool_name(enum dd_schema_tool t);

/*
 * Quotes an identifier for engine into buf ("a""b" for PostgreSQL, `a``b`
 * for MariaDB/MySQL); a name that needs no quotes (lower-case letters,
 * digits, _; not starting with a digit) is left bare on PostgreSQL.
 * Always terminated; returns buf.
 */
char *dd_schema_quote_ident(enum dd_engine engine, const char *name, char *buf, size_t len);
/* schema.name, each quoted. */
char *dd_schema_quote_qualified(
    enum dd_engine engine, const char *schema, const char *name, char *buf, size_t len);

#endif
