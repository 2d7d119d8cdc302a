/*
 * verify.c: dd_backup_verify, and the checks restore shares with it.
 *
 * A plain verify needs no key and no server: the manifest's own checksum,
 * that it belongs to this cluster and to this directory, the dump file's
 * size and SHA-256. A deep verify then proves the dump restores: it unwraps
 * the data key (a wrong key is named), restores into a scratch database
 * dbdeck_verify_<id> on the cluster's verify_target, counts each table's rows
 * against the manifest's estimate, and drops the scratch database whatever
 * happened. The outcome is recorded in check.json beside the manifest.
 *
 * Row counts are compared with planner estimates (pg_class.reltuples,
 * InnoDB's TABLE_ROWS), not exact counts: a table fails when it is missing,
 * or when its count is further from the estimate than max(1000, half the
 * estimate). Tables whose estimate is unknown (-1) are only checked to exist.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define COUNT_TIMEOUT_MS (6 * 3600 * 1000)

static int
check_against(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e,
    struct bk_manifest *m, char *err, size_t errlen)
{
	char path[PATH_MAX], sha[65];
	uint64_t size = 0;
	int rc;

	if (strcmp(m->cluster, ctx->cluster->name) != 0 || strcmp(m->id, e->id) != 0) {
		dd_seterr(err, errlen,
		    "%s/%s: it describes backup %s of cluster '%s', not %s of '%s'", e->path,
		    BK_MANIFEST, m->id, m->cluster, e->id, ctx->cluster->name);
		return -1;
	}
	bk_join(path, sizeof(path), e->path, m->file);
	if ((rc = bk_hash_file(path, &ctx->hooks, sha, &size, err, errlen)) != 0)
		return rc;
	if (size != m->bytes_stored) {
		dd_seterr(err, errlen, "%s: %s (%llu bytes, the manifest says %llu)", path,
		    size < m->bytes_stored ? "truncated" : "longer than written",
		    (unsigned long long)size, (unsigned long long)m->bytes_stored);
		return -1;
	}
	if (strcmp(sha, m->sha256) != 0) {
		dd_seterr(err, errlen, "%s: damaged (SHA-256 %.16s..., the manifest says %.16s...)",
		    path, sha, m->sha256);
		return -1;
	}
	return 0;
}

int
bk_check_files(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e,
    struct bk_manifest *m, char *err, size_t errlen)
{
	if (bk_manifest_read(e->path, m, err, errlen) != 0)
		return -1;
	int rc = check_against(ctx, e, m, err, errlen);
	if (rc != 0)
		bk_manifest_clear(m);
	return rc;
}

int
bk_data_key(const struct dd_backup_ctx *ctx, const struct bk_manifest *m, unsigned char **dk,
    char *err, size_t errlen)
{
	*dk = NULL;
	if (!m->encrypted)
		return 0;
	if (!ctx->key_secret) {
		dd_seterr(err, errlen,
		    "the backup is encrypted (key '%s', fingerprint %.16s) and cluster %s has no "
		    "backup_key",
		    m->wrap.key_name, m->wrap.fingerprint, ctx->cluster->name);
		return -1;
	}
	*dk = bk_key_unwrap(ctx->key_secret, ctx->key_len, &m->wrap, m->id, err, errlen);
	return *dk ? 0 : -1;
}

/* One table's count against its estimate; a problem is appended to err. */
static bool
count_ok(const struct bk_table *t, int64_t n, char *note, size_t len)
{
	int64_t slack = t->rows / 2 > 1000 ? t->rows / 2 : 1000;

	note[0] = '\0';
	if (t->rows < 0 || llabs(n - t->rows) <= slack)
		return true;
	snprintf(note, len, "table %s has %lld rows, the manifest estimated %lld", t->name,
	    (long long)n, (long long)t->rows);
	return false;
}

static int
count_tables(const struct dd_backup_ctx *ctx, const struct bk_manifest *m,
    const struct dd_node_config *node, const char *scratch, char *err, size_t errlen)
{
	const struct bk_engine *eng = bk_engine_for(ctx->cluster->engine);
	struct dd_conn *c = NULL;
	char sql[1024], v[32], why[BK_ERR_MAX], note[BK_ERR_MAX + 200];
	int bad = 0;

	if (bk_connect(ctx, node, eng->count_in_db ? scratch : eng->admin_db, &c, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < m->n_tables && !bk_cancelled(&ctx->hooks); i++) {
		eng->sql_count(scratch, &m->tables[i], sql, sizeof(sql));
		if (bk_query_value(c, sql, COUNT_TIMEOUT_MS, v, sizeof(v), why, sizeof(why)) != 0) {
			snprintf(note, sizeof(note), "table %s: %s", m->tables[i].name, why);
		} else if (count_ok(&m->tables[i], strtoll(v, NULL, 10), note, sizeof(note))) {
			bk_log(&ctx->hooks, "table %s: %s rows (estimate %lld)", m->tables[i].name,
			    v, (long long)m->tables[i].rows);
			continue;
		}
		bk_log(&ctx->hooks, "%s", note);
		if (!bad++)
			dd_seterr(err, errlen, "deep verify: %s", note);
	}
	dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	if (!bad && bk_cancelled(&ctx->hooks)) {
		bk_cancel_message(&ctx->hooks, err, errlen);
		return DD_BACKUP_CANCELLED;
	}
	return bad ? -1 : 0;
}

static const struct dd_node_config *
verify_node(const struct dd_cluster_config *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i]->name, c->verify_target) == 0)
			return c->nodes[i];
	return NULL;
}

/* Restore into the scratch database, count, and drop it in every case. */
static int
deep(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e, const struct bk_manifest *m,
    const unsigned char *dk, char *err, size_t errlen)
{
	const struct dd_node_config *node = verify_node(ctx->cluster);
	char scratch[64], e2[BK_ERR_MAX];
	int rc;

	if (!node) /* dd_backup_verify checked it */
		return -1;
	snprintf(scratch, sizeof(scratch), "dbdeck_verify_%s", m->id);
	bk_log(&ctx->hooks, "deep verify: restoring %s into scratch database %s on %s", e->name,
	    scratch, node->name);
	rc = bk_db_create(ctx, node, scratch, &m->dbopts, true, err, errlen);
	if (rc == 0)
		rc = bk_feed(ctx, m, e->path, dk, node, scratch, true, err, errlen);
	if (rc == 0)
		rc = count_tables(ctx, m, node, scratch, err, errlen);
	if (bk_db_drop(ctx, node, scratch, true, e2, sizeof(e2)) != 0) {
		bk_log(&ctx->hooks, "cannot drop the scratch database %s on %s: %s", scratch,
		    node->name, e2);
		if (rc == 0)
			rc = -1,
			dd_seterr(err, errlen, "cannot drop the scratch database %s on %s: %s",
			    scratch, node->name, e2);
	} else {
		bk_log(&ctx->hooks, "dropped the scratch database %s", scratch);
	}
	return rc;
}

static int
verify_entry(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e, bool deep_too,
    char *err, size_t errlen)
{
	struct bk_manifest m;
	unsigned char *dk = NULL;
	int rc;

	if ((rc = bk_check_files(ctx, e, &m, err, errlen)) != 0)
		return rc;
	bk_log(&ctx->hooks, "%s: size and SHA-256 match the manifest", e->name);
	if (deep_too && (rc = bk_data_key(ctx, &m, &dk, err, errlen)) == 0)
		rc = deep(ctx, e, &m, dk, err, errlen);
	sodium_free(dk);
	bk_manifest_clear(&m);
	return rc;
}

static int
verify_locked(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e, bool deep_too,
    char *err, size_t errlen)
{
	char e2[BK_ERR_MAX];
	int lock = bk_lock_dir(e->path, false);

	if (lock < 0) {
		dd_seterr(err, errlen, "%s: cannot open it", e->path);
		return -1;
	}
	int rc = verify_entry(ctx, e, deep_too, err, errlen);
	if (rc != DD_BACKUP_CANCELLED &&
	    bk_check_write(e->path, rc == 0, deep_too, rc == 0 ? "" : err, e2, sizeof(e2)) != 0)
		bk_log(&ctx->hooks, "%s", e2);
	bk_unlock(lock);
	return rc;
}

int
dd_backup_verify(
    const struct dd_backup_ctx *ctx, const char *which, bool deep_too, char *err, size_t errlen)
{
	struct dd_backup_list l;
	const struct dd_backup_entry *e;
	uint64_t audit_id = 0;
	int rc = DD_BACKUP_FAILED;

	if (dd_backup_list(ctx->cluster, &l, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	if (!(e = dd_backup_find(&l, which, err, errlen)))
		goto out;
	if (bk_audit_begin(ctx, "verify", e->name,
	        deep_too ? "{\"deep\": true}" : "{\"deep\": false}", &audit_id, err, errlen) != 0)
		goto out;
	if (deep_too && (!ctx->cluster->verify_target || !verify_node(ctx->cluster))) {
		dd_seterr(err, errlen,
		    "cluster %s has no verify_target: a deep verify restores a scratch copy there "
		    "(set verify_target = NODE in its [cluster] section)",
		    ctx->cluster->name);
		rc = DD_BACKUP_REFUSED;
	} else {
		rc = verify_locked(ctx, e, deep_too, err, errlen);
		rc = rc == 0 ? DD_BACKUP_OK : rc == DD_BACKUP_CANCELLED ? rc : DD_BACKUP_FAILED;
	}
	bk_audit_end(ctx, audit_id, rc, rc == 0 ? e->name : err);
out:
	dd_backup_list_free(&l);
	return rc;
}
