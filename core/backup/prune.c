/*
 * prune.c: dd_backup_prune, the cluster's retention applied to its backup
 * directory under the cluster lock. Deleted: complete backups that no rule
 * keeps (dd_backup_retention), and stale .partials of killed runs. Never
 * deleted: what a rule keeps, the newest verified backup, a .partial being
 * written, a backup that a verify or restore is reading right now (its
 * shared lock makes the exclusive try fail), and damaged directories (no
 * readable manifest, or another cluster's: dbdeck cannot tell what they
 * are, so a person looks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

struct prune {
	const struct dd_backup_ctx *ctx;
	bool dry_run;
	void (*report)(void *rctx, const struct dd_backup_entry *e, bool deleted);
	void *rctx;
	int failures;
	char *err;
	size_t errlen;
};

/* Deletes e unless someone holds it; returns true when it is (or would be) gone. */
static bool
delete_one(struct prune *p, struct dd_backup_entry *e)
{
	char why[BK_ERR_MAX];
	int lock = bk_lock_dir(e->path, true);

	if (lock < 0) {
		e->keep |= DD_KEEP_IN_USE;
		return false;
	}
	if (!p->dry_run && bk_remove_dir(e->path, why, sizeof(why)) != 0) {
		bk_log(&p->ctx->hooks, "%s", why);
		if (!p->failures++)
			dd_seterr(p->err, p->errlen, "%s", why);
		bk_unlock(lock);
		return false;
	}
	bk_unlock(lock);
	return true;
}

static void
one(struct prune *p, struct dd_backup_entry *e)
{
	bool deleted = false;

	if (e->state == DD_BACKUP_STALE || (e->state == DD_BACKUP_COMPLETE && e->keep == 0))
		deleted = delete_one(p, e);
	if (p->report)
		p->report(p->rctx, e, deleted);
}

static int
run(struct prune *p)
{
	struct dd_backup_list l;
	char cdir[PATH_MAX];
	int lock;

	if (!bk_cluster_dir(p->ctx->cluster, cdir, sizeof(cdir))) {
		dd_seterr(p->err, p->errlen, "backup_dir is too long");
		return DD_BACKUP_FAILED;
	}
	if ((lock = bk_lock_cluster(cdir, p->err, p->errlen)) < 0)
		return errno == ENOENT ? DD_BACKUP_OK : DD_BACKUP_FAILED;
	if (dd_backup_list(p->ctx->cluster, &l, p->err, p->errlen) != 0) {
		bk_unlock(lock);
		return DD_BACKUP_FAILED;
	}
	dd_backup_retention(&l, &p->ctx->cluster->retention);
	for (size_t i = 0; i < l.n; i++)
		one(p, &l.v[i]);
	dd_backup_list_free(&l);
	bk_unlock(lock);
	return p->failures ? DD_BACKUP_FAILED : DD_BACKUP_OK;
}

int
dd_backup_prune(const struct dd_backup_ctx *ctx, bool dry_run,
    void (*report)(void *rctx, const struct dd_backup_entry *e, bool deleted), void *rctx,
    char *err, size_t errlen)
{
	struct prune p = {.ctx = ctx,
	    .dry_run = dry_run,
	    .report = report,
	    .rctx = rctx,
	    .err = err,
	    .errlen = errlen};
	char args[128];
	uint64_t audit_id = 0;
	const struct dd_retention *r = &ctx->cluster->retention;

	snprintf(args, sizeof(args),
	    "{\"retention\": \"daily:%d weekly:%d monthly:%d\", \"dry_run\": %s}", r->daily,
	    r->weekly, r->monthly, dry_run ? "true" : "false");
	if (bk_audit_begin(ctx, "prune", ctx->cluster->name, args, &audit_id, err, errlen) != 0)
		return DD_BACKUP_FAILED;
	int rc = run(&p);
	bk_audit_end(ctx, audit_id, rc, rc == 0 ? "" : err);
	return rc;
}
