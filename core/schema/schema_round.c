/*
 * schema_round.c: dd_schema_probe(), one round of schema health. Per
 * cluster: a session of our own on every node for each database (the
 * cluster's credential, its statement and lock timeouts set first), the
 * primary found with dd_conn_probe_role, the engine's catalog queries on
 * the primary, the index usage and migration versions on every node that
 * answers, then the checks. A query that times out or waits too long on a
 * lock ends the cluster's round with the reason; the next round starts
 * afresh. Finally, migration drift between the clusters of a schema_group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/schema_internal.h"
#include "util/util.h"

#define MAX_NODES 32

struct round {
	const struct dd_cluster_config *cc;
	const struct schema_engine *eng;
	struct schema_acc acc;
	const char *user, *password;
	struct dd_conn *conn[MAX_NODES];
	enum dd_role role[MAX_NODES];
	int n, primary;
	const atomic_bool *stop; /* the prober stops: no new query */
	char err[256];
};

static int64_t
deadline(const struct round *r)
{
	return dd_now_mono_ns() + (r->cc->schema_timeout_ms + 2000) * INT64_C(1000000);
}

static const char *
val(const struct dd_result *res, int row, int col)
{
	const char *v = dd_result_value(res, row, col);
	return v ? v : "";
}

static int64_t
num(const struct dd_result *res, int row, int col)
{
	return strtoll(val(res, row, col), NULL, 10);
}

static bool
truth(const struct dd_result *res, int row, int col)
{
	const char *v = val(res, row, col);
	return v[0] == 't' || v[0] == '1';
}

/* Runs tmpl on conn i; a failure sets r->err (naming the node and what timed out). */
static struct dd_result *
query(struct round *r, int i, const char *tmpl, const char *what)
{
	char *sql = schema_sql(tmpl, r->cc->schema_top_n, r->cc->schema_timeout_ms,
	    r->cc->schema_lock_timeout_ms, NULL, NULL, NULL, NULL);
	struct dd_result *res = NULL;
	struct dd_db_error e;

	dd_db_error_clear(&e);
	if (r->stop && atomic_load(r->stop)) {
		dd_seterr(r->err, sizeof(r->err), "stopped");
		free(sql);
		return NULL;
	}
	if (dd_conn_query(r->conn[i], sql, deadline(r), &res, &e) != 0) {
		bool lock = strcmp(e.sqlstate, "55P03") == 0 || e.code == 1205;
		bool stmt =
		    strcmp(e.sqlstate, "57014") == 0 || e.code == 1969 || e.cls == DD_ERR_TIMEOUT;
		dd_seterr(r->err, sizeof(r->err), "%s on %s gave up%s: %s", what,
		    r->cc->nodes[i]->name,
		    lock   ? " waiting for a lock (schema_lock_timeout)"
		    : stmt ? " at its timeout (schema_timeout)"
		           : "",
		    e.message);
		res = NULL;
	}
	free(sql);
	return res;
}

/* ---- connections ---- */

static void
open_all(struct round *r, const char *db, bool first)
{
	for (int i = 0; i < r->n; i++) {
		const struct dd_node_config *nc = r->cc->nodes[i];
		struct dd_conn_params p = {.host = nc->host,
		    .port = nc->port,
		    .database = db,
		    .user = r->user,
		    .password = r->password,
		    .tls = nc->tls,
		    .auth = nc->auth,
		    .tls_ca = nc->tls_ca,
		    .tls_cert = nc->tls_cert,
		    .tls_key = nc->tls_key,
		    .application_name = "dbdeck-schema",
		    .connect_timeout_ms = (int)r->cc->connect_timeout_ms};
		struct dd_db_error e;
		struct dd_role_info ri;
		char *set;
		dd_db_error_clear(&e);
		if (dd_conn_open(r->cc->engine, &p,
		        dd_now_mono_ns() + r->cc->connect_timeout_ms * INT64_C(1000000),
		        &r->conn[i], &e) != 0) {
			r->conn[i] = NULL;
			schema_note(&r->acc, "%s: %s", nc->name, e.message);
			continue;
		}
		if (first && dd_conn_probe_role(r->conn[i], deadline(r), &ri, &e) == 0)
			r->role[i] = ri.role;
		set = schema_sql(r->eng->session, 0, r->cc->schema_timeout_ms,
		    r->cc->schema_lock_timeout_ms, NULL, NULL, NULL, NULL);
		if (dd_conn_exec(r->conn[i], set, deadline(r), NULL, &e) != 0) {
			schema_note(&r->acc, "%s: %s", nc->name, e.message);
			dd_conn_close(r->conn[i], dd_now_mono_ns() + 200000000);
			r->conn[i] = NULL;
		}
		free(set);
	}
}

static void
close_all(struct round *r)
{
	for (int i = 0; i < r->n; i++) {
		dd_conn_close(r->conn[i], dd_now_mono_ns() + 200000000);
		r->conn[i] = NULL;
	}
}

/* ---- indexes ---- */

static int
read_indexes(struct round *r, struct schema_ix **out, int *n)
{
	struct dd_result *res = query(r, r->primary, r->eng->indexes, "the index list");
	struct schema_ix *ix;

	if (!res)
		return -1;
	*n = dd_result_nrows(res);
	ix = *out = xcalloc((size_t)(*n ? *n : 1), sizeof(*ix));
	for (int i = 0; i < *n; i++) {
		struct schema_ix *x = &ix[i];
		dd_strlcpy(x->schema, val(res, i, 0), sizeof(x->schema));
		dd_strlcpy(x->tname, val(res, i, 1), sizeof(x->tname));
		snprintf(x->table, sizeof(x->table), "%s.%s", x->schema, x->tname);
		dd_strlcpy(x->name, val(res, i, 2), sizeof(x->name));
		dd_strlcpy(x->method, val(res, i, 3), sizeof(x->method));
		x->uniq = truth(res, i, 4);
		x->valid = truth(res, i, 5);
		x->building = truth(res, i, 6);
		x->backs = truth(res, i, 7);
		dd_strlcpy(x->cols, val(res, i, 8), sizeof(x->cols));
		dd_strlcpy(x->extra, val(res, i, 9), sizeof(x->extra));
		x->bytes = num(res, i, 10);
		x->partitioned = truth(res, i, 11);
	}
	dd_result_free(res);
	return 0;
}

/* Whether the first k columns of idx (k = the FK's column count) are the FK's columns. */
static bool
covers_set(const char *idx, const char *fk)
{
	char a[256], b[256], *save = NULL;
	int k = 1, seen = 0;

	for (const char *p = fk; *p; p++)
		k += *p == ',';
	dd_strlcpy(a, idx, sizeof(a));
	for (char *t = strtok_r(a, ",", &save); t && seen < k;
	     t = strtok_r(NULL, ",", &save), seen++) {
		char *sp = strchr(t, ' ');
		bool found = false, more = true;
		char *s2 = NULL;
		if (sp)
			*sp = '\0';
		dd_strlcpy(b, fk, sizeof(b));
		for (char *u = strtok_r(b, ",", &s2); u && more; u = strtok_r(NULL, ",", &s2))
			if (strcmp(u, t) == 0)
				found = true, more = false;
		if (!found)
			return false;
	}
	return seen == k;
}

static void
mark_fk(struct round *r, struct schema_ix *ix, int n)
{
	struct dd_result *res;

	if (!r->eng->fk_columns || !(res = query(r, r->primary, r->eng->fk_columns, "the FK list")))
		return;
	for (int j = 0; j < dd_result_nrows(res); j++)
		for (int i = 0; i < n; i++)
			if (strcmp(ix[i].table, val(res, j, 0)) == 0 &&
			    covers_set(ix[i].cols, val(res, j, 1)))
				ix[i].serves_fk = true;
	dd_result_free(res);
}

/* Adds node i's index scans and table reads to ix; false when they cannot be read. */
static bool
add_usage(struct round *r, int i, struct schema_ix *ix, int n)
{
	struct dd_result *u = query(r, i, r->eng->index_usage, "index usage");
	struct dd_result *t = u ? query(r, i, r->eng->table_reads, "table reads") : NULL;
	const char *node = r->cc->nodes[i]->name;

	for (int k = 0; k < n; k++) {
		size_t l = strlen(ix[k].where);
		int64_t s = 0;
		for (int j = 0; u && j < dd_result_nrows(u); j++)
			if (strcmp(ix[k].table, val(u, j, 0)) == 0 &&
			    strcmp(ix[k].name, val(u, j, 1)) == 0)
				s += num(u, j, 2);
		for (int j = 0; t && j < dd_result_nrows(t); j++)
			if (strcmp(ix[k].table, val(t, j, 0)) == 0)
				ix[k].table_reads += num(t, j, 1);
		ix[k].scans += s;
		snprintf(ix[k].where + l, sizeof(ix[k].where) - l, "%s%s %lld", l ? ", " : "", node,
		    (long long)s);
	}
	dd_result_free(u);
	dd_result_free(t);
	return u && t;
}

static bool
usage_available(struct round *r)
{
	struct dd_result *res;
	bool on;

	if (!r->eng->usage_available)
		return true;
	if (!(res = query(r, r->primary, r->eng->usage_available, "performance_schema")))
		return false;
	on = truth(res, 0, 0);
	dd_result_free(res);
	return on;
}

static int
check_indexes(struct round *r, const char *since)
{
	struct schema_ix *ix = NULL;
	bool known;
	int n = 0;

	if (read_indexes(r, &ix, &n) != 0)
		return -1;
	mark_fk(r, ix, n);
	known = usage_available(r);
	if (!known)
		schema_note(&r->acc, "index usage unknown: performance_schema is off");
	for (int i = 0; i < r->n && known; i++) {
		if (!r->conn[i]) {
			schema_note(&r->acc, "index usage unknown: %s did not answer",
			    r->cc->nodes[i]->name);
			known = false;
		} else if (!add_usage(r, i, ix, n)) {
			schema_note(&r->acc, "index usage unknown: %s", r->err);
			r->err[0] = '\0';
			known = false;
		}
	}
	schema_check_indexes(&r->acc, ix, n, known, since);
	free(ix);
	return r->err[0] ? -1 : 0;
}

/* ---- the other checks ---- */

static char *
qualified(struct round *r, const char *schema, const char *name, char *buf, size_t len)
{
	return dd_schema_quote_qualified(r->cc->engine, schema, name, buf, len);
}

static int
check_fks(struct round *r)
{
	struct dd_result *res;
	char tab[300], object[256], *fix;

	if (!r->eng->fk_missing)
		return 0;
	if (!(res = query(r, r->primary, r->eng->fk_missing, "the foreign keys")))
		return -1;
	for (int i = 0; i < dd_result_nrows(res); i++) {
		qualified(r, val(res, i, 0), val(res, i, 1), tab, sizeof(tab));
		fix = schema_sql(r->eng->add_index, 0, 0, 0, tab, val(res, i, 3), NULL, NULL);
		snprintf(object, sizeof(object), "%s.%s.%s", val(res, i, 0), val(res, i, 1),
		    val(res, i, 2));
		schema_add_finding(&r->acc, DD_SCHEMA_FK_WITHOUT_INDEX, DD_SEV_WARN, object, fix,
		    "foreign key (%s) to %s has no index starting with its columns: every delete "
		    "or "
		    "key update there scans %s (%lld rows)",
		    val(res, i, 3), val(res, i, 4), val(res, i, 1), (long long)num(res, i, 5));
		free(fix);
	}
	dd_result_free(res);
	return 0;
}

static int
check_seq_scans(struct round *r)
{
	struct dd_result *res = query(r, r->primary, r->eng->seq_scans, "the table statistics");
	char tab[300], object[256], *fix;

	if (!res)
		return -1;
	for (int i = 0; i < dd_result_nrows(res); i++) {
		int64_t seq = num(res, i, 2), rows = num(res, i, 4);
		double pct = strtod(val(res, i, 6), NULL);
		if (rows < SCHEMA_SEQ_MIN_ROWS || seq < SCHEMA_SEQ_MIN_SCANS ||
		    pct >= SCHEMA_SEQ_MAX_IDX_PCT)
			continue;
		qualified(r, val(res, i, 0), val(res, i, 1), tab, sizeof(tab));
		fix = schema_sql(r->eng->add_index, 0, 0, 0, tab,
		    "<the columns its frequent queries filter on>", NULL, NULL);
		snprintf(object, sizeof(object), "%s.%s", val(res, i, 0), val(res, i, 1));
		schema_add_finding(&r->acc, DD_SCHEMA_SEQ_SCANS, DD_SEV_WARN, object, fix,
		    "%lld sequential scans, %lld %s (%.0f %% by index), %lld rows, %lld rows read "
		    "sequentially",
		    (long long)seq, (long long)num(res, i, 3),
		    r->cc->engine == DD_ENGINE_POSTGRESQL ? "index scans"
		                                          : "rows read through indexes",
		    pct, (long long)rows, (long long)num(res, i, 5));
		free(fix);
	}
	dd_result_free(res);
	return 0;
}

/* The fix of a sequence or auto-increment column near its limit (row i of res). */
static char *
sequence_fix(struct round *r, const struct dd_result *res, int i)
{
	char tab[300], col[200], seq[300];
	bool column_bound = num(res, i, 9) <= num(res, i, 8) && val(res, i, 4)[0] &&
	                    strtoll(val(res, i, 9), NULL, 10) < INT64_MAX;
	bool unsig = strstr(val(res, i, 7), "unsigned") != NULL;

	qualified(r, val(res, i, 2), val(res, i, 3), tab, sizeof(tab));
	dd_schema_quote_ident(r->cc->engine, val(res, i, 4), col, sizeof(col));
	qualified(r, val(res, i, 0), val(res, i, 1), seq, sizeof(seq));
	if (column_bound)
		return schema_sql(
		    r->eng->widen_column, 0, 0, 0, tab, col, unsig ? " UNSIGNED" : "", seq);
	if (r->eng->widen_sequence && num(res, i, 8) < INT64_MAX)
		return schema_sql(r->eng->widen_sequence, 0, 0, 0, NULL, NULL, NULL, seq);
	return xstrdup("-- at the limit of bigint: archive rows or restart the numbering");
}

static int
check_sequences(struct round *r)
{
	struct dd_result *res = query(r, r->primary, r->eng->sequences, "the sequences");
	char object[256];

	if (!res)
		return -1;
	for (int i = 0; i < dd_result_nrows(res); i++) {
		double last = strtod(val(res, i, 5), NULL), lim = strtod(val(res, i, 6), NULL);
		double pct = lim > 0 ? 100.0 * last / lim : 0;
		bool found;
		enum dd_severity sev = dd_schema_limit_severity(pct, &found);
		char *fix;
		if (!found)
			continue;
		if (val(res, i, 4)[0])
			snprintf(object, sizeof(object), "%s.%s.%s", val(res, i, 2), val(res, i, 3),
			    val(res, i, 4));
		else
			snprintf(object, sizeof(object), "%s.%s", val(res, i, 0), val(res, i, 1));
		fix = sequence_fix(r, res, i);
		schema_add_finding(&r->acc, DD_SCHEMA_SEQUENCE_LIMIT, sev, object, fix,
		    "%.1f %% used: last value %s of %s (the limit of %s%s%s)", pct, val(res, i, 5),
		    val(res, i, 6), val(res, i, 7)[0] ? val(res, i, 7) : "the sequence",
		    r->cc->engine == DD_ENGINE_POSTGRESQL ? "; sequence " : "",
		    r->cc->engine == DD_ENGINE_POSTGRESQL ? val(res, i, 1) : "");
		free(fix);
	}
	dd_result_free(res);
	return 0;
}

static int
check_wraparound(struct round *r)
{
	struct dd_result *res;

	if (!r->eng->wraparound)
		return 0;
	if (!(res = query(r, r->primary, r->eng->wraparound, "the XID ages")))
		return -1;
	for (int i = 0; i < dd_result_nrows(res); i++) {
		int64_t age = num(res, i, 1);
		bool found;
		enum dd_severity sev = dd_schema_wraparound_severity(age, &found);
		const char *saved = r->acc.db;
		if (!found)
			continue;
		r->acc.db = val(res, i, 0);
		schema_add_finding(&r->acc, DD_SCHEMA_WRAPAROUND, sev, val(res, i, 0),
		    "VACUUM (FREEZE, VERBOSE); -- in this database; first check that nothing "
		    "blocks "
		    "autovacuum (long transactions, prepared transactions, replication slots)",
		    "age(datfrozenxid) %lld: %.0f %% of the wraparound limit, about %lld million "
		    "transactions left",
		    (long long)age, 100.0 * (double)age / 2147483648.0,
		    (long long)((INT64_C(2147483648) - age) / 1000000));
		r->acc.db = saved;
	}
	dd_result_free(res);
	return 0;
}

static int
read_tables(struct round *r)
{
	struct dd_result *res = query(r, r->primary, r->eng->tables, "the table sizes");

	if (!res)
		return -1;
	for (int i = 0; i < dd_result_nrows(res); i++) {
		struct dd_schema_table *t = schema_add_table(&r->acc);
		snprintf(t->name, sizeof(t->name), "%s.%s", val(res, i, 0), val(res, i, 1));
		t->total_bytes = num(res, i, 2);
		t->table_bytes = num(res, i, 3);
		t->index_bytes = num(res, i, 4);
		t->toast_bytes = num(res, i, 5);
		t->rows = dd_result_is_null(res, i, 6) ? -1 : num(res, i, 6);
		t->partitions = (int)num(res, i, 7);
		dd_strlcpy(t->largest_partition, val(res, i, 8), sizeof(t->largest_partition));
		t->largest_partition_bytes = num(res, i, 9);
	}
	dd_result_free(res);
	return 0;
}

static void
read_since(struct round *r, char *since, size_t len)
{
	struct dd_result *res = query(r, r->primary, r->eng->stats_since, "stats_reset");

	since[0] = '\0';
	if (res && dd_result_nrows(res) > 0)
		dd_strlcpy(since, val(res, 0, 0), len);
	dd_result_free(res);
	r->err[0] = '\0';
	if (!r->acc.cl->stats_since[0])
		dd_strlcpy(r->acc.cl->stats_since, since, sizeof(r->acc.cl->stats_since));
}

/* ---- one database, one cluster ---- */

static int
find_primary(struct round *r)
{
	for (int i = 0; i < r->n; i++)
		if (r->conn[i] && r->role[i] == DD_ROLE_PRIMARY)
			return i;
	dd_seterr(r->err, sizeof(r->err), "no primary answered%s%s",
	    r->acc.cl->notes[0] ? ": " : "", r->acc.cl->notes);
	return -1;
}

static int
migrations(struct round *r)
{
	int order[MAX_NODES], k = 0;

	order[k++] = r->primary;
	for (int i = 0; i < r->n; i++)
		if (i != r->primary && r->conn[i] && r->role[i] == DD_ROLE_REPLICA)
			order[k++] = i;
	for (int j = 0; j < k; j++) {
		int i = order[j];
		char err[256] = "";
		if (schema_read_migrations(&r->acc, r->conn[i], r->cc->nodes[i]->name,
		        r->cc->schema_version_query, j == 0, deadline(r), err, sizeof(err)) == 0)
			continue;
		if (j == 0) {
			dd_seterr(r->err, sizeof(r->err), "migration version on %s: %s",
			    r->cc->nodes[i]->name, err);
			return -1;
		}
		schema_note(&r->acc, "migration version on %s: %s", r->cc->nodes[i]->name, err);
	}
	return 0;
}

static int
database_round(struct round *r, const char *db, bool first)
{
	char since[40];
	int rc = -1;

	r->acc.db = db;
	open_all(r, db, first);
	if (first && (r->primary = find_primary(r)) < 0)
		goto out;
	if (!r->conn[r->primary]) {
		dd_seterr(r->err, sizeof(r->err), "database %s on the primary %s: %s", db,
		    r->cc->nodes[r->primary]->name, r->acc.cl->notes);
		goto out;
	}
	read_since(r, since, sizeof(since));
	if (check_indexes(r, since) || check_fks(r) || check_seq_scans(r) || check_sequences(r) ||
	    (first && check_wraparound(r)) || read_tables(r) || migrations(r))
		goto out;
	rc = 0;
out:
	close_all(r);
	return rc;
}

static int
sev_cmp(const void *x, const void *y)
{
	const struct dd_schema_finding *a = x, *b = y;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->object, b->object);
}

static void
cluster_round(const struct dd_cluster_config *cc, dd_credential_fn cred, void *ctx,
    const atomic_bool *stop, struct dd_schema_cluster *out)
{
	struct round r = {.cc = cc, .n = (int)cc->n_nodes, .primary = -1, .stop = stop};
	int64_t t0 = dd_now_mono_ns();

	r.eng = cc->engine == DD_ENGINE_POSTGRESQL ? &schema_engine_pg : &schema_engine_my;
	r.acc = (struct schema_acc){.cl = out,
	    .engine = cc->engine,
	    .top_n = cc->schema_top_n,
	    .timeout_ms = cc->schema_timeout_ms};
	dd_strlcpy(out->name, cc->name, sizeof(out->name));
	out->engine = cc->engine;
	dd_strlcpy(out->group, cc->schema_group ? cc->schema_group : "", sizeof(out->group));
	if (r.n > MAX_NODES)
		r.n = MAX_NODES;
	if (cred(ctx, cc->credential, &r.user, &r.password) != 0) {
		snprintf(out->error, sizeof(out->error), "credential %s is not in the vault",
		    cc->credential);
		return;
	}
	if (cc->databases.n == 0)
		out->ok = database_round(&r, cc->database, true) == 0;
	else
		for (size_t d = 0; d < cc->databases.n; d++)
			if (!(out->ok = database_round(&r, cc->databases.v[d], d == 0) == 0))
				break;
	if (r.primary >= 0)
		dd_strlcpy(out->primary, cc->nodes[r.primary]->name, sizeof(out->primary));
	if (out->ok) {
		r.acc.db = NULL;
		schema_check_drift(&r.acc, cc->nodes[r.primary]->name);
	}
	dd_strlcpy(out->error, r.err, sizeof(out->error));
	qsort(out->findings, (size_t)out->n_findings, sizeof(*out->findings), sev_cmp);
	out->took_ms = (dd_now_mono_ns() - t0) / 1000000;
}

/* ---- schema groups ---- */

/* A table's name without its schema (clusters of a group may differ there, e.g. by engine). */
static const char *
bare(const char *table)
{
	const char *dot = strrchr(table, '.');
	return dot ? dot + 1 : table;
}

static void
group_pair(struct dd_schema_cluster *a, struct dd_schema_cluster *b)
{
	for (int i = 0; i < a->n_migrations; i++) {
		const struct dd_schema_migration *x = &a->migrations[i];
		if (strcmp(x->node, a->primary) != 0)
			continue;
		for (int j = 0; j < b->n_migrations; j++) {
			const struct dd_schema_migration *y = &b->migrations[j];
			struct dd_schema_cluster *both[2] = {a, b};
			if (strcmp(y->node, b->primary) != 0 || strcmp(x->tool, y->tool) != 0 ||
			    strcasecmp(bare(x->table), bare(y->table)) != 0 ||
			    strcmp(x->version, y->version) == 0)
				continue;
			for (int k = 0; k < 2; k++) {
				struct schema_acc acc = {.cl = both[k],
				    .engine = both[k]->engine,
				    .db = k ? y->database : x->database,
				    .cap_f = both[k]->n_findings};
				char object[256];
				snprintf(object, sizeof(object), "%s (schema_group %s)",
				    bare(x->table), a->group);
				schema_add_finding(&acc, DD_SCHEMA_DRIFT, DD_SEV_CRIT, object,
				    "-- none: apply the missing migrations to the cluster behind",
				    "%s version of cluster %s is %s, of cluster %s it is %s",
				    x->tool, a->name, x->version[0] ? x->version : "(empty)",
				    b->name, y->version[0] ? y->version : "(empty)");
			}
		}
	}
}

static void
group_drift(struct dd_schema_result *res)
{
	for (int i = 0; i < res->n_clusters; i++)
		for (int j = i + 1; j < res->n_clusters; j++) {
			struct dd_schema_cluster *a = &res->clusters[i], *b = &res->clusters[j];
			if (a->group[0] && a->ok && b->ok && strcmp(a->group, b->group) == 0)
				group_pair(a, b);
		}
	for (int i = 0; i < res->n_clusters; i++)
		qsort(res->clusters[i].findings, (size_t)res->clusters[i].n_findings,
		    sizeof(*res->clusters[i].findings), sev_cmp);
}

/* Whether cluster cc is probed in a round for `only` (itself and its schema_group). */
static bool
wanted(const struct dd_config *cfg, const struct dd_cluster_config *cc, const char *only)
{
	const struct dd_cluster_config *o;

	if (!only)
		return cc->schema_refresh_ms > 0;
	if (strcmp(cc->name, only) == 0)
		return true;
	o = dd_config_find_cluster(cfg, only);
	return o && o->schema_group && cc->schema_group &&
	       strcmp(o->schema_group, cc->schema_group) == 0;
}

struct dd_schema_result *
dd_schema_probe(
    const struct dd_config *cfg, const char *only, dd_credential_fn get_credential, void *ctx)
{
	return schema_probe_until(cfg, only, get_credential, ctx, NULL);
}

struct dd_schema_result *
schema_probe_until(const struct dd_config *cfg, const char *only, dd_credential_fn get_credential,
    void *ctx, const atomic_bool *stop)
{
	static atomic_uint_fast64_t seq;
	struct schema_result_box *b = xcalloc(1, sizeof(*b));
	struct dd_schema_result *res = &b->r;
	size_t n = dd_config_cluster_count(cfg);
	int64_t t0 = dd_now_mono_ns();

	atomic_init(&b->refs, 1);
	res->seq = atomic_fetch_add(&seq, 1) + 1;
	res->taken_wall_ms = dd_now_wall_ms();
	res->clusters = xcalloc(n ? n : 1, sizeof(*res->clusters));
	for (size_t i = 0; i < n; i++) {
		const struct dd_cluster_config *cc = dd_config_cluster(cfg, i);
		if (wanted(cfg, cc, only))
			cluster_round(
			    cc, get_credential, ctx, stop, &res->clusters[res->n_clusters++]);
	}
	group_drift(res);
	res->took_ms = (dd_now_mono_ns() - t0) / 1000000;
	return res;
}
