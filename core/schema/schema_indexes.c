/*
 * schema_indexes.c: the index checks of schema health over the index model
 * of schema_internal.h (filled from either engine's catalog queries by
 * schema_probe.c): invalid, duplicate (a leading prefix of another valid
 * index) and unused indexes, one finding per index at most (invalid, then
 * duplicate, then unused). The false-positive rules are in docs/schema.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_internal.h"
#include "util/util.h"

/* "12 MB" style, into buf. */
static const char *
human_bytes(int64_t b, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)b;
	int u = 0;

	if (b < 0)
		return dd_strlcpy(buf, "size unknown", len), buf;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

static const char *
quoted_index(struct schema_acc *a, const struct schema_ix *x, char *buf, size_t len)
{
	if (a->engine == DD_ENGINE_POSTGRESQL)
		return dd_schema_quote_qualified(a->engine, x->schema, x->name, buf, len);
	return dd_schema_quote_ident(a->engine, x->name, buf, len);
}

/* The statement that drops x (MariaDB: ALTER TABLE ... DROP INDEX). */
static char *
drop_fix(struct schema_acc *a, const struct schema_ix *x)
{
	const struct schema_engine *e =
	    a->engine == DD_ENGINE_POSTGRESQL ? &schema_engine_pg : &schema_engine_my;
	char idx[300], tab[300];

	quoted_index(a, x, idx, sizeof(idx));
	dd_schema_quote_qualified(a->engine, x->schema, x->tname, tab, sizeof(tab));
	return schema_sql(
	    e->drop_index, 0, 0, 0, a->engine == DD_ENGINE_POSTGRESQL ? idx : tab, idx, NULL, NULL);
}

static void
check_invalid(struct schema_acc *a, const struct schema_ix *x, const char *object)
{
	char sz[32], idx[300], fix[700];

	quoted_index(a, x, idx, sizeof(idx));
	snprintf(fix, sizeof(fix),
	    "REINDEX INDEX CONCURRENTLY %s; -- or: DROP INDEX CONCURRENTLY %s;", idx, idx);
	schema_add_finding(a, DD_SCHEMA_INVALID_INDEX, DD_SEV_WARN, object, fix,
	    "invalid (a failed CREATE INDEX CONCURRENTLY or REINDEX): maintained on every write, "
	    "never used; %s",
	    human_bytes(x->bytes, sz, sizeof(sz)));
}

static void
check_duplicate(
    struct schema_acc *a, const struct schema_ix *x, const struct schema_ix *by, const char *object)
{
	char sz[32], *fix = drop_fix(a, x);

	schema_add_finding(a, DD_SCHEMA_DUPLICATE_INDEX, DD_SEV_WARN, object, fix,
	    "columns (%s) are a leading prefix of %s (%s), same method %s; %s", x->cols, by->name,
	    by->cols, x->method, human_bytes(x->bytes, sz, sizeof(sz)));
	free(fix);
}

static void
check_unused(struct schema_acc *a, const struct schema_ix *x, const char *object, const char *since)
{
	char sz[32], *fix = drop_fix(a, x);

	schema_add_finding(a, DD_SCHEMA_UNUSED_INDEX, DD_SEV_WARN, object, fix,
	    "0 scans since %s (%s); the table was read; %s",
	    since[0] ? since : "the server started", x->where,
	    human_bytes(x->bytes, sz, sizeof(sz)));
	free(fix);
}

/* Whether the index is worth judging as unused at all. */
static bool
judged_unused(const struct schema_ix *x)
{
	return x->valid && !x->uniq && !x->backs && !x->serves_fk && !x->partitioned &&
	       x->scans == 0 && x->table_reads > 0;
}

void
schema_check_indexes(
    struct schema_acc *a, struct schema_ix *ix, int n, bool usage_known, const char *since)
{
	struct dd_schema_index *view = xcalloc((size_t)(n ? n : 1), sizeof(*view));
	char object[256];

	for (int i = 0; i < n; i++)
		view[i] = (struct dd_schema_index){.table = ix[i].table,
		    .name = ix[i].name,
		    .method = ix[i].method,
		    .columns = ix[i].cols,
		    .extra = ix[i].extra,
		    .unique = ix[i].uniq,
		    .valid = ix[i].valid};
	for (int i = 0; i < n; i++) {
		const struct schema_ix *x = &ix[i];
		int by;
		snprintf(object, sizeof(object), "%s.%s", x->table, x->name);
		if (!x->valid) {
			if (!x->building)
				check_invalid(a, x, object);
			continue;
		}
		by = dd_schema_redundant_of(view, n, i);
		if (by >= 0)
			check_duplicate(a, x, &ix[by], object);
		else if (usage_known && judged_unused(x))
			check_unused(a, x, object, since);
	}
	free(view);
}
