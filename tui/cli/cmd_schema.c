/*
 * cmd_schema.c: `dbdeck schema CLUSTER [--json]`. Runs one schema health
 * round now (core/schema, docs/schema.md) on the cluster (and the other
 * clusters of its schema_group, for drift), and prints the findings grouped
 * by severity, each with its evidence and the statement that would fix it
 * (never run), then the migration versions and the largest tables. Exit 0
 * when no finding is critical and the round could read everything, 1
 * otherwise; 2 usage or unknown cluster, 3 config, 4 vault. Every server
 * string goes through the sanitizer, for the terminal and for JSON alike.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_core.h"
#include "cli_vault.h"
#include "dbdeck/schema.h"
#include "dbdeck/text.h"
#include "dbdeck/util.h"
#include "dbdeck/vault.h"

#define TEXT_MAX 1024

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck schema CLUSTER [--json] [-c FILE] [--passphrase-file F]\n"
	    "Reads the catalogs of the cluster's databases once and prints what is wrong\n"
	    "with the schema (unused, duplicate and invalid indexes, foreign keys without\n"
	    "an index, tables read by sequential scans, sequences near their limit,\n"
	    "wraparound, failed migrations, migration drift), each with its evidence and\n"
	    "the statement that would fix it (dbdeck never runs it), the migration version\n"
	    "and the largest tables.\n"
	    "  --json   machine-readable output (schema in docs/schema.md)\n"
	    "Exit codes: 0 no critical finding, 1 a critical finding or the catalogs could\n"
	    "not be read, 2 usage or unknown cluster, 3 configuration error, 4 vault error.\n");
}

static const char *
clean(const char *s, bool ascii, char *buf, size_t len)
{
	dd_text_sanitize(
	    buf, len, s ? s : "", s ? strlen(s) : 0, (int)len - 1, ascii ? 0 : DD_TEXT_UTF8);
	return buf;
}

static json_t *
jstr(const char *s)
{
	char buf[TEXT_MAX];

	return json_string(clean(s, false, buf, sizeof(buf)));
}

static json_t *
jstr_or_null(const char *s)
{
	return s && s[0] ? jstr(s) : json_null();
}

/* ---- JSON ---- */

static json_t *
json_finding(const struct dd_schema_finding *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(dd_schema_kind_name(f->kind)));
	json_object_set_new(o, "severity", json_string(dd_severity_name(f->severity)));
	json_object_set_new(o, "database", jstr(f->database));
	json_object_set_new(o, "object", jstr(f->object));
	json_object_set_new(o, "evidence", jstr(f->evidence));
	json_object_set_new(o, "fix", jstr_or_null(f->fix));
	return o;
}

static json_t *
json_table(const struct dd_schema_table *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "database", jstr(t->database));
	json_object_set_new(o, "name", jstr(t->name));
	json_object_set_new(o, "total_bytes", json_integer(t->total_bytes));
	json_object_set_new(o, "table_bytes", json_integer(t->table_bytes));
	json_object_set_new(o, "index_bytes", json_integer(t->index_bytes));
	json_object_set_new(o, "toast_bytes", json_integer(t->toast_bytes));
	json_object_set_new(o, "rows", t->rows < 0 ? json_null() : json_integer(t->rows));
	json_object_set_new(o, "partitions", json_integer(t->partitions));
	json_object_set_new(o, "largest_partition", jstr_or_null(t->largest_partition));
	json_object_set_new(o, "largest_partition_bytes",
	    t->partitions ? json_integer(t->largest_partition_bytes) : json_null());
	return o;
}

static json_t *
json_migration(const struct dd_schema_migration *m)
{
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:b}", "database", jstr(m->database),
	    "node", jstr(m->node), "tool", m->tool, "table", jstr(m->table), "version",
	    jstr(m->version), "applied", jstr_or_null(m->applied), "failed", m->failed);
}

static json_t *
json_cluster(const struct dd_schema_cluster *c)
{
	json_t *o = json_object(), *f = json_array(), *t = json_array(), *m = json_array();
	int n[3];

	dd_schema_count(c, n);
	json_object_set_new(o, "name", jstr(c->name));
	json_object_set_new(o, "engine", json_string(dd_engine_name(c->engine)));
	json_object_set_new(o, "primary", jstr_or_null(c->primary));
	json_object_set_new(o, "schema_group", jstr_or_null(c->group));
	json_object_set_new(o, "ok", json_boolean(c->ok));
	json_object_set_new(o, "error", jstr_or_null(c->error));
	json_object_set_new(o, "notes", jstr_or_null(c->notes));
	json_object_set_new(o, "stats_since", jstr_or_null(c->stats_since));
	json_object_set_new(o, "took_ms", json_integer(c->took_ms));
	json_object_set_new(o, "counts",
	    json_pack("{s:i, s:i, s:i}", "critical", n[DD_SEV_CRIT], "warn", n[DD_SEV_WARN], "info",
	        n[DD_SEV_INFO]));
	for (int i = 0; i < c->n_findings; i++)
		json_array_append_new(f, json_finding(&c->findings[i]));
	for (int i = 0; i < c->n_tables; i++)
		json_array_append_new(t, json_table(&c->tables[i]));
	for (int i = 0; i < c->n_migrations; i++)
		json_array_append_new(m, json_migration(&c->migrations[i]));
	json_object_set_new(o, "findings", f);
	json_object_set_new(o, "migrations", m);
	json_object_set_new(o, "tables", t);
	return o;
}

static void
print_json(const struct dd_schema_result *r, const char *only)
{
	json_t *root = json_object(), *cl = json_array();
	char at[40];

	dd_iso_time_ms(r->taken_wall_ms, at, sizeof(at));
	json_object_set_new(root, "taken_at", json_string(at));
	json_object_set_new(root, "took_ms", json_integer(r->took_ms));
	for (int i = 0; i < r->n_clusters; i++)
		if (strcmp(r->clusters[i].name, only) == 0)
			json_array_append_new(cl, json_cluster(&r->clusters[i]));
	json_object_set_new(root, "clusters", cl);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
}

/* ---- text ---- */

static const char *
human(int64_t b, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

static void
print_findings(const struct dd_schema_cluster *c, bool ascii)
{
	char a[300], b[600], d[80];
	int n[3];

	dd_schema_count(c, n);
	for (int sev = DD_SEV_CRIT; sev >= DD_SEV_INFO; sev--) {
		if (n[sev] == 0)
			continue;
		printf("  %s (%d):\n", dd_severity_name((enum dd_severity)sev), n[sev]);
		for (int i = 0; i < c->n_findings; i++) {
			const struct dd_schema_finding *f = &c->findings[i];
			if ((int)f->severity != sev)
				continue;
			printf("    %-17s %s  %s\n", dd_schema_kind_name(f->kind),
			    clean(f->database, ascii, d, 64), clean(f->object, ascii, a, 256));
			printf("      evidence: %s\n", clean(f->evidence, ascii, b, 500));
			if (f->fix[0])
				printf("      fix:      %s\n", clean(f->fix, ascii, b, 560));
		}
	}
}

static void
print_tables(const struct dd_schema_cluster *c, bool ascii)
{
	char a[200], d[80], s1[24], s2[24], s3[24], s4[24], p[200];

	if (c->n_tables == 0)
		return;
	printf("  largest tables:\n");
	for (int i = 0; i < c->n_tables; i++) {
		const struct dd_schema_table *t = &c->tables[i];
		printf("    %s %-32s total %s (table %s, indexes %s, toast %s), rows %lld",
		    clean(t->database, ascii, d, 64), clean(t->name, ascii, a, 190),
		    human(t->total_bytes, s1, sizeof(s1)), human(t->table_bytes, s2, sizeof(s2)),
		    human(t->index_bytes, s3, sizeof(s3)), human(t->toast_bytes, s4, sizeof(s4)),
		    (long long)t->rows);
		if (t->partitions)
			printf(", %d partitions, largest %s (%s)", t->partitions,
			    clean(t->largest_partition, ascii, p, 190),
			    human(t->largest_partition_bytes, s1, sizeof(s1)));
		printf("\n");
	}
}

static void
print_migrations(const struct dd_schema_cluster *c, bool ascii)
{
	char d[80], n[80], t[140], v[140], w[48];

	if (c->n_migrations == 0) {
		printf("  migrations: no migration tool's table found\n");
		return;
	}
	printf("  migrations:\n");
	for (int i = 0; i < c->n_migrations; i++) {
		const struct dd_schema_migration *m = &c->migrations[i];
		printf("    %s %-8s %-14s %-32s %s%s%s%s\n", clean(m->database, ascii, d, 64),
		    clean(m->node, ascii, n, 64), m->tool, clean(m->table, ascii, t, 128),
		    m->version[0] ? clean(m->version, ascii, v, 128) : "(empty)",
		    m->applied[0] ? " applied " : "", clean(m->applied, ascii, w, 40),
		    m->failed ? " FAILED" : "");
	}
}

static void
print_text(const struct dd_schema_cluster *c, bool ascii)
{
	char a[600], b[80];
	int n[3];

	dd_schema_count(c, n);
	printf("cluster %s (%s): primary %s, read in %lld ms; index statistics since %s\n",
	    clean(c->name, ascii, b, 64), dd_engine_name(c->engine),
	    c->primary[0] ? clean(c->primary, ascii, a, 64) : "none", (long long)c->took_ms,
	    c->stats_since[0] ? c->stats_since : "unknown");
	if (!c->ok)
		printf("  error: %s\n", clean(c->error, ascii, a, 300));
	if (c->notes[0])
		printf("  notes: %s\n", clean(c->notes, ascii, a, 520));
	print_findings(c, ascii);
	print_migrations(c, ascii);
	print_tables(c, ascii);
	printf("findings: %d critical, %d warn, %d info%s\n", n[DD_SEV_CRIT], n[DD_SEV_WARN],
	    n[DD_SEV_INFO], c->ok ? "" : " (the round did not finish)");
}

/* ---- the command ---- */

static int
schema_run(
    struct dd_config *cfg, struct dd_vault *vault, const char *cluster, bool json, bool ascii)
{
	struct dd_schema_result *r = dd_schema_probe(cfg, cluster, cli_vault_credential, vault);
	int rc = DD_EXIT_OK, e;

	if (json)
		print_json(r, cluster);
	for (int i = 0; i < r->n_clusters; i++) {
		const struct dd_schema_cluster *c = &r->clusters[i];
		int n[3];
		if (strcmp(c->name, cluster) != 0)
			continue;
		if (!json)
			print_text(c, ascii);
		dd_schema_count(c, n);
		if (!c->ok || n[DD_SEV_CRIT] > 0)
			rc = DD_EXIT_FAILED;
		if (!c->ok)
			cli_error(
			    "cluster %s: the schema round did not finish: %s", cluster, c->error);
	}
	dd_schema_unref(r);
	e = fflush(stdout) == 0 && !ferror(stdout) ? 0 : errno;
	if (e || ferror(stdout)) {
		cli_error("writing the findings failed: %s", e ? strerror(e) : "write error");
		rc = DD_EXIT_FAILED;
	}
	return rc;
}

enum { OPT_JSON = 0x200 };

static int
schema_opt(void *ctx, int val, const char *arg)
{
	(void)arg;
	*(bool *)ctx |= val == OPT_JSON;
	return DD_EXIT_OK;
}

int
cmd_schema(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "schema",
	    .usage = usage,
	    .opts = opts,
	    .opt = schema_opt,
	    .min_args = 0,
	    .max_args = -1};
	struct dd_config *cfg = NULL;
	struct dd_vault *vault = NULL;
	const struct dd_cluster_config *cc;
	bool json = false;
	char **pos;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, &json, &pos, &npos)) != CLI_GO_ON)
		return rc;
	if (npos != 1) { /* its own message, then the usage */
		cli_error("schema takes one CLUSTER");
		usage(stderr);
		return DD_EXIT_USAGE;
	}
	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	if ((cc = dd_config_find_cluster(cfg, pos[0])) == NULL) {
		cli_error("no cluster named '%s' in %s", pos[0], dd_config_path(cfg));
		dd_config_free(cfg);
		return DD_EXIT_USAGE;
	}
	rc = cli_vault_open(cli,
	    dd_config_console_has(cfg, "vault") ? dd_config_console(cfg)->vault : NULL, true,
	    &vault);
	if (rc == DD_EXIT_OK && !dd_vault_has(vault, cc->credential)) {
		cli_error(
		    "cluster %s: credential '%s' is not in the vault", cc->name, cc->credential);
		rc = DD_EXIT_CONFIG;
	}
	if (rc == DD_EXIT_OK)
		rc = schema_run(cfg, vault, cc->name, json, cli->ascii);
	dd_vault_close(vault);
	dd_config_free(cfg);
	return rc;
}
