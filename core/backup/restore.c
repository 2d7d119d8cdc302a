/*
 * restore.c: dd_backup_restore, a backup into a database on the primary.
 *
 * Everything that can refuse does so before anything is touched (REFUSED,
 * exit 5): the manifest and its checksum, the backup's cluster and engine,
 * the SHA-256 of the whole dump, the key of an encrypted backup, a system
 * database as the target, a target that exists without --replace, and the
 * operator's confirmation. Then, under the cluster lock of a switchover
 * (failover.h; REFUSED when another dbdeck holds it): drop the existing target (--replace), create
 * it with the source's encoding, stream the dump into the restore tool
 * (hashed again on the way), and on failure drop what was created.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "backup/backup_int.h"
#include "dbdeck/failover.h"
#include "util/util.h"

static const char *const system_dbs[] = {"postgres", "template0", "template1", "mysql",
    "information_schema", "performance_schema", "sys", NULL};

bool
dd_backup_db_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static bool
is_system_db(const char *name)
{
	for (size_t i = 0; system_dbs[i]; i++)
		if (strcasecmp(name, system_dbs[i]) == 0)
			return true;
	return false;
}

struct restore {
	const struct dd_backup_ctx *ctx;
	const struct dd_restore_opts *o;
	const struct dd_backup_entry *e;
	struct bk_manifest m;
	bool have_m;
	unsigned char *dk;
	bool exists;
};

/* The checks that need no server, then the target's; REFUSED on any. */
static int
checks(struct restore *r, char *err, size_t errlen)
{
	const char *engine = dd_engine_name(r->ctx->cluster->engine);
	int rc;

	if (is_system_db(r->o->into)) {
		dd_seterr(err, errlen, "%s is a system database: dbdeck never restores into it",
		    r->o->into);
		return DD_BACKUP_REFUSED;
	}
	if ((rc = bk_check_files(r->ctx, r->e, &r->m, err, errlen)) != 0)
		return rc == DD_BACKUP_CANCELLED ? rc : DD_BACKUP_REFUSED;
	r->have_m = true;
	if (strcmp(r->m.engine, engine) != 0) {
		dd_seterr(err, errlen, "backup %s is a %s dump; cluster %s is %s", r->e->name,
		    r->m.engine, r->ctx->cluster->name, engine);
		return DD_BACKUP_REFUSED;
	}
	if (bk_data_key(r->ctx, &r->m, &r->dk, err, errlen) != 0)
		return DD_BACKUP_REFUSED;
	if (bk_db_exists(r->ctx, r->o->primary, r->o->into, &r->exists, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	if (r->exists && !r->o->replace) {
		dd_seterr(err, errlen,
		    "database %s exists on %s: nothing was touched (--replace restores over it)",
		    r->o->into, r->o->primary->name);
		return DD_BACKUP_REFUSED;
	}
	if (r->o->confirm && !r->o->confirm(r->o->confirm_ctx, r->e, r->o->into, r->exists)) {
		dd_seterr(err, errlen, "not confirmed: nothing was touched");
		return DD_BACKUP_REFUSED;
	}
	return 0;
}

static int
apply(struct restore *r, char *err, size_t errlen)
{
	const struct dd_backup_hooks *h = &r->ctx->hooks;
	const struct dd_node_config *p = r->o->primary;
	char e2[BK_ERR_MAX];
	int rc;

	if (r->exists) {
		bk_log(
		    h, "dropping the existing database %s on %s (--replace)", r->o->into, p->name);
		if (bk_db_drop(r->ctx, p, r->o->into, false, err, errlen) != 0)
			return DD_BACKUP_FAILED;
	}
	if (bk_db_create(r->ctx, p, r->o->into, &r->m.dbopts, false, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	bk_log(h, "restoring %s into %s on %s", r->e->name, r->o->into, p->name);
	rc = bk_feed(r->ctx, &r->m, r->e->path, r->dk, p, r->o->into, false, err, errlen);
	if (rc == 0)
		return DD_BACKUP_OK;
	if (bk_db_drop(r->ctx, p, r->o->into, true, e2, sizeof(e2)) == 0)
		bk_log(h, "dropped the half-restored database %s", r->o->into);
	else
		bk_log(h, "%s", e2);
	return rc == DD_BACKUP_CANCELLED ? rc : DD_BACKUP_FAILED;
}

/*
 * The cluster lock of a switchover (failover.h), held while the restore
 * changes anything: a restore never runs during a switchover, nor one during
 * a restore. REFUSED, nothing touched, when another dbdeck holds it.
 */
static int
cluster_lock(struct restore *r, struct dd_cluster_lock **l, char *err, size_t errlen)
{
	char why[BK_ERR_MAX];
	int rc = dd_cluster_lock_take(
	    r->ctx->cluster, r->ctx->user, r->ctx->password, l, why, sizeof(why));

	if (rc == 0) {
		bk_log(&r->ctx->hooks, "cluster lock of %s taken", r->ctx->cluster->name);
		return 0;
	}
	/* the lock's sessions use the cluster's database: when that is what was lost, go on */
	const char *db = r->ctx->cluster->database;
	bool there = true;
	if (rc == 2 && db && bk_db_exists(r->ctx, r->o->primary, db, &there, err, errlen) == 0 &&
	    !there) {
		bk_log(&r->ctx->hooks,
		    "the cluster's database %s is gone from %s: restoring without the cluster lock "
		    "(it lives in that database)",
		    db, r->o->primary->name);
		return 0;
	}
	dd_seterr(err, errlen, "nothing was touched: %s", why);
	return DD_BACKUP_REFUSED;
}

static int
run(struct restore *r, char *err, size_t errlen)
{
	struct dd_cluster_lock *cl = NULL;
	int lock = bk_lock_dir(r->e->path, false);
	int rc;

	if (lock < 0) {
		dd_seterr(err, errlen, "%s: cannot open it", r->e->path);
		return DD_BACKUP_FAILED;
	}
	rc = checks(r, err, errlen);
	if (rc == 0)
		rc = cluster_lock(r, &cl, err, errlen);
	if (rc == 0)
		rc = apply(r, err, errlen);
	dd_cluster_lock_release(cl);
	bk_unlock(lock);
	return rc;
}

int
dd_backup_restore(
    const struct dd_backup_ctx *ctx, const struct dd_restore_opts *o, char *err, size_t errlen)
{
	struct restore r = {.ctx = ctx, .o = o};
	struct dd_backup_list l;
	char args[160];
	uint64_t audit_id = 0;
	int rc = DD_BACKUP_FAILED;

	if (!dd_backup_db_name_valid(o->into)) {
		dd_seterr(err, errlen, "'%s' is not a database name dbdeck restores into", o->into);
		return DD_BACKUP_FAILED;
	}
	if (dd_backup_list(ctx->cluster, &l, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	if (!(r.e = dd_backup_find(&l, o->which, err, errlen)))
		goto out;
	snprintf(args, sizeof(args), "{\"backup\": \"%s\", \"node\": \"%s\", \"replace\": %s}",
	    r.e->name, o->primary->name, o->replace ? "true" : "false");
	if (bk_audit_begin(ctx, "restore", o->into, args, &audit_id, err, errlen) != 0)
		goto out;
	rc = run(&r, err, errlen);
	bk_audit_end(ctx, audit_id, rc, rc == 0 ? r.e->name : err);
out:
	sodium_free(r.dk);
	if (r.have_m)
		bk_manifest_clear(&r.m);
	dd_backup_list_free(&l);
	return rc;
}
