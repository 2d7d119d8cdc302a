/*
 * cmd_backups.c: `dbdeck backups CLUSTER [--json]`: every backup of the
 * cluster, newest first, with its time, node, size, duration, check state
 * (unverified / verified at T / FAILED), encryption, and the retention rule
 * that keeps it (none: the next prune removes it). Needs no vault and no
 * server: it reads backup_dir only. Exit 0, or 1 when backup_dir cannot be
 * read, 2 usage or unknown cluster, 3 config error.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_backup.h"
#include "dbdeck/text.h"
#include "fmt.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck backups CLUSTER [--json]\n"
	             "Lists the cluster's backups (newest first) with their check state and the\n"
	             "retention rule that keeps each one.\n"
	             "  --json   machine-readable output (docs/backups.md)\n"
	             "Exit codes: 0 ok, 1 failed, 2 usage, 3 configuration error.\n");
}

static void
check_text(const struct dd_backup_entry *e, char *buf, size_t len)
{
	char at[32];

	if (e->check == DD_CHECK_UNVERIFIED) {
		snprintf(buf, len, "unverified");
		return;
	}
	snprintf(buf, len, "%s%s %s", e->check == DD_CHECK_VERIFIED ? "verified" : "FAILED",
	    e->check_deep ? " deep" : "", fmt_utc(at, sizeof(at), e->checked_wall_ms, 1));
}

static void
print_row(const struct dd_backup_entry *e)
{
	char at[32], size[16], dur[16], check[64], keep[160], why[200];

	dd_backup_keep_text(e, keep, sizeof(keep));
	fmt_utc(at, sizeof(at), e->started_wall_ms, 1);
	if (e->state != DD_BACKUP_COMPLETE) {
		dd_text_sanitize(why, sizeof(why), e->why, strlen(e->why), 120, 0);
		printf("%-8s  %-19s  %s%s%s\n", e->id, at, dd_backup_state_name(e->state),
		    why[0] ? ": " : "", why);
		return;
	}
	fmt_bytes(size, sizeof(size), (int64_t)e->bytes_stored);
	fmt_secs(dur, sizeof(dur), (double)(e->ended_wall_ms - e->started_wall_ms) / 1000.0);
	check_text(e, check, sizeof(check));
	printf("%-8s  %-19s  %-10.10s  %8s  %7s  %-30s  %-3s  %s\n", e->id, at, e->node, size, dur,
	    check, e->encrypted ? "yes" : "no", keep[0] ? keep : "- (the next prune removes it)");
}

static void
print_text(const struct cli_bk *b, const struct dd_backup_list *l)
{
	printf("backups of cluster %s in %s/%s\n", b->cluster->name, b->cluster->backup_dir,
	    b->cluster->name);
	printf("%-8s  %-19s  %-10s  %8s  %7s  %-30s  %-3s  %s\n", "ID", "STARTED (UTC)", "NODE",
	    "SIZE", "TIME", "CHECK", "ENC", "KEPT BY");
	for (size_t i = 0; i < l->n; i++)
		print_row(&l->v[i]);
	if (l->n == 0)
		printf("(none)\n");
}

static json_t *
entry_json(const struct dd_backup_entry *e)
{
	char keep[160], why[200];
	json_t *o = json_object();

	dd_backup_keep_text(e, keep, sizeof(keep));
	dd_text_sanitize(why, sizeof(why), e->why, strlen(e->why), 190, DD_TEXT_UTF8);
	json_object_set_new(o, "id", json_string(e->id));
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "state", json_string(dd_backup_state_name(e->state)));
	json_object_set_new(o, "damaged_reason", why[0] ? json_string(why) : json_null());
	json_object_set_new(o, "started_at", cli_bk_json_time(e->started_wall_ms));
	json_object_set_new(o, "ended_at", cli_bk_json_time(e->ended_wall_ms));
	json_object_set_new(o, "node", e->node[0] ? json_string(e->node) : json_null());
	json_object_set_new(o, "bytes_stored", json_integer((json_int_t)e->bytes_stored));
	json_object_set_new(o, "bytes_raw", json_integer((json_int_t)e->bytes_raw));
	json_object_set_new(o, "sha256", e->sha256[0] ? json_string(e->sha256) : json_null());
	json_object_set_new(o, "encrypted", json_boolean(e->encrypted));
	json_object_set_new(o, "check", json_string(dd_backup_check_name(e->check)));
	json_object_set_new(o, "checked_at", cli_bk_json_time(e->checked_wall_ms));
	json_object_set_new(o, "check_deep", json_boolean(e->check_deep));
	json_object_set_new(o, "kept_by", keep[0] ? json_string(keep) : json_null());
	return o;
}

static void
print_json(const struct cli_bk *b, const struct dd_backup_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, entry_json(&l->v[i]));
	json_t *o = json_pack("{s:s, s:o}", "cluster", b->cluster->name, "backups", a);
	json_dumpf(o, stdout, CLI_BK_JSON_FLAGS);
	fputc('\n', stdout);
	json_decref(o);
}

enum { OPT_JSON = 0x200 };

static int
backups_opt(void *ctx, int val, const char *arg)
{
	(void)arg;
	*(bool *)ctx |= val == OPT_JSON;
	return DD_EXIT_OK;
}

int
cmd_backups(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "backups",
	    .usage = usage,
	    .opts = opts,
	    .opt = backups_opt,
	    .min_args = 1,
	    .max_args = 1,
	    .args = "one CLUSTER"};
	struct dd_backup_list l;
	struct cli_bk b;
	char err[512], **pos;
	bool json = false;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, &json, &pos, &npos)) != CLI_GO_ON)
		return rc;
	if ((rc = cli_bk_open(cli, pos[0], 0, NULL, &b)) == DD_EXIT_OK) {
		if (dd_backup_list(b.cluster, &l, err, sizeof(err)) != 0) {
			cli_error("%s", err);
			rc = DD_EXIT_FAILED;
		} else {
			dd_backup_retention(&l, &b.cluster->retention);
			json ? print_json(&b, &l) : print_text(&b, &l);
			dd_backup_list_free(&l);
		}
	}
	cli_bk_close(&b);
	return rc;
}
