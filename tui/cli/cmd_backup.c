/*
 * cmd_backup.c: `dbdeck backup CLUSTER [--node NODE] [--verify] [--json]`.
 * Chooses the source node (--node, else one monitor round: a healthy replica
 * within lag_max, else the primary) and says which and why, takes the
 * backup, optionally verifies it, then applies the cluster's retention:
 * each a core job (cli_bk_job, the console's path) and an audited action.
 * With --json, one result object on stdout at the end, whatever happened.
 * Exit: 0 ok, 1 failed or interrupted, 2 usage, 3 config, 4 vault, 5 refused.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_backup.h"
#include "fmt.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck backup CLUSTER [--node NODE] [--verify] [--json]\n"
	    "Takes a logical backup with the engine's own tool (pg_dump -Fc, mariadb-dump)\n"
	    "into backup_dir/CLUSTER/, then applies the cluster's retention.\n"
	    "  --node NODE  dump this node (default: a healthy replica within lag_max,\n"
	    "               else the primary)\n"
	    "  --verify     re-read the backup and check it against its manifest\n"
	    "  --json       one result object on stdout\n"
	    "Exit codes: 0 ok, 1 failed or interrupted, 2 usage, 3 configuration error,\n"
	    "4 vault error, 5 refused. See docs/backups.md.\n");
}

struct opts {
	const char *cluster, *node;
	bool verify, json;
};

static int
parse(struct cli *cli, int argc, char **argv, struct opts *o)
{
	enum { OPT_JSON = 0x200, OPT_NODE, OPT_VERIFY };
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS,
	    {"node", required_argument, NULL, OPT_NODE},
	    {"verify", no_argument, NULL, OPT_VERIFY},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "h", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == OPT_JSON || opt == OPT_VERIFY || opt == OPT_NODE) {
			o->json |= opt == OPT_JSON;
			o->verify |= opt == OPT_VERIFY;
			o->node = opt == OPT_NODE ? optarg : o->node;
			continue;
		}
		usage(opt == 'h' ? stdout : stderr);
		return opt == 'h' ? -1 : DD_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cli_error("backup takes one CLUSTER (see dbdeck backup --help)");
		return DD_EXIT_USAGE;
	}
	o->cluster = argv[optind];
	return DD_EXIT_OK;
}

static const struct dd_node_config *
given_node(struct cli_bk *b, const char *name)
{
	for (size_t i = 0; i < b->cluster->n_nodes; i++)
		if (strcmp(b->cluster->nodes[i]->name, name) == 0)
			return b->cluster->nodes[i];
	cli_error("node '%s' is not one of cluster %s's nodes", name, b->cluster->name);
	return NULL;
}

static void
print_text(const struct dd_backup_result *r)
{
	char size[16], raw[16], secs[16];

	fmt_bytes(size, sizeof(size), (int64_t)r->bytes_stored);
	fmt_bytes(raw, sizeof(raw), (int64_t)r->bytes_raw);
	fmt_secs(secs, sizeof(secs), (double)(r->ended_wall_ms - r->started_wall_ms) / 1000.0);
	printf("backup %s done: %s stored (%s from the tool) in %s\n", r->id, size, raw, secs);
	printf("  path    %s\n  sha256  %s\n", r->path, r->sha256);
	if (r->key_fingerprint[0])
		printf("  encrypted, key fingerprint %.16s\n", r->key_fingerprint);
}

static json_t *
result_json(const struct cli_bk *b, const char *status, const struct dd_backup_result *r,
    const char *node_why, const char *error)
{
	json_t *o = json_pack("{s:s, s:s}", "status", status, "cluster", b->cluster->name);

	json_object_set_new(o, "node_reason", node_why ? json_string(node_why) : json_null());
	json_object_set_new(o, "error", error ? json_string(error) : json_null());
	if (!r)
		return o;
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "path", json_string(r->path));
	json_object_set_new(o, "node", json_string(r->node));
	json_object_set_new(o, "started_at", cli_bk_json_time(r->started_wall_ms));
	json_object_set_new(o, "ended_at", cli_bk_json_time(r->ended_wall_ms));
	json_object_set_new(o, "duration_seconds",
	    json_real((double)(r->ended_wall_ms - r->started_wall_ms) / 1000.0));
	json_object_set_new(o, "bytes_raw", json_integer((json_int_t)r->bytes_raw));
	json_object_set_new(o, "bytes_stored", json_integer((json_int_t)r->bytes_stored));
	json_object_set_new(o, "sha256", json_string(r->sha256));
	json_object_set_new(o, "encrypted", json_boolean(r->key_fingerprint[0] != '\0'));
	return o;
}

static void
pruned(void *ctx, const struct dd_backup_entry *e, bool deleted)
{
	(void)ctx;
	if (deleted)
		fprintf(stderr, "  retention: removed %s (kept by no rule)\n", e->name);
}

/* The steps after a good take: --verify, then the retention. */
static int
after(struct cli_bk *b, const struct opts *o, const struct dd_backup_result *r, json_t *out)
{
	char err[1024];
	int rc = DD_BACKUP_OK;

	if (o->verify) {
		struct dd_backup_job v = {.action = DD_BACKUP_ACT_VERIFY};
		snprintf(v.which, sizeof(v.which), "%s", r->name);
		b->what = "verifying";
		rc = cli_bk_job(b, &v, err, sizeof(err));
		cli_bk_clear_bar(b);
		if (rc != DD_BACKUP_OK)
			cli_error("verify failed: %s", err);
		else if (!o->json)
			printf("  verified: size and SHA-256 match the manifest\n");
		json_object_set_new(out, "verified", json_boolean(rc == DD_BACKUP_OK));
	}
	struct dd_backup_job p = {.action = DD_BACKUP_ACT_PRUNE, .report = pruned};
	if (rc == DD_BACKUP_OK && cli_bk_job(b, &p, err, sizeof(err)) != DD_BACKUP_OK)
		fprintf(stderr, "  retention: %s\n", err); /* the backup itself is fine */
	return rc;
}

static int
run(struct cli_bk *b, const struct opts *o)
{
	const struct dd_node_config *node;
	struct dd_backup_result r;
	char why[512] = "chosen with --node", err[1024];
	json_t *out = NULL;
	int rc;

	node = o->node ? given_node(b, o->node) : cli_bk_pick_node(b, why, sizeof(why));
	if (!node && o->node)
		return DD_EXIT_USAGE;
	if (!node) {
		if (o->json) {
			out = result_json(b, "failed", NULL, NULL, why);
			json_dumpf(out, stdout, CLI_BK_JSON_FLAGS);
			fputc('\n', stdout);
			json_decref(out);
		}
		return DD_EXIT_FAILED;
	}
	fprintf(stderr, "dbdeck: backing up cluster %s from %s: %s\n", b->cluster->name, node->name,
	    why);
	struct dd_backup_job a = {.action = DD_BACKUP_ACT_TAKE, .node = node, .result = &r};
	snprintf(a.why, sizeof(a.why), "%s", why);
	b->what = node->name;
	rc = cli_bk_job(b, &a, err, sizeof(err));
	cli_bk_clear_bar(b);
	if (rc != DD_BACKUP_OK) {
		cli_error("backup failed: %s", err);
		out = result_json(
		    b, rc == DD_BACKUP_CANCELLED ? "cancelled" : "failed", NULL, why, err);
	} else {
		if (!o->json)
			print_text(&r);
		out = result_json(b, "ok", &r, why, NULL);
		rc = after(b, o, &r, out);
		if (rc != DD_BACKUP_OK)
			json_object_set_new(out, "status", json_string("failed"));
	}
	if (o->json) {
		json_dumpf(out, stdout, CLI_BK_JSON_FLAGS);
		fputc('\n', stdout);
	}
	json_decref(out);
	return cli_bk_exit(rc);
}

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	struct opts o = {0};
	struct cli_bk b;
	int rc = parse(cli, argc, argv, &o);

	if (rc != DD_EXIT_OK)
		return rc < 0 ? DD_EXIT_OK : rc;
	rc = cli_bk_open(cli, o.cluster, CLI_BK_VAULT | CLI_BK_AUDIT, "backup", &b);
	if (rc == DD_EXIT_OK) {
		cli_bk_signals(&b);
		rc = run(&b, &o);
	}
	cli_bk_close(&b);
	return rc;
}
