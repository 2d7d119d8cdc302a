/*
 * audit.c: the backup actions' records in the audit log (DESIGN.md §8): a
 * start record before anything is done (an action whose start record cannot
 * be written does not start) and an end record with the outcome. The audit
 * module itself is core/audit; this file maps the backup module's results
 * onto its outcomes.
 */
#include "backup/backup_int.h"
#include "dbdeck/audit.h"
#include "util/util.h"

int
bk_audit_begin(const struct dd_backup_ctx *ctx, const char *action, const char *target,
    const char *args, uint64_t *id, char *err, size_t errlen)
{
	*id = 0;
	if (!ctx->audit)
		return 0;
	struct dd_audit_action act = {
	    .action = action, .cluster = ctx->cluster->name, .target = target, .args = args};
	char why[BK_ERR_MAX];
	if (dd_audit_begin(ctx->audit, &act, id, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "not started: the audit log cannot be written: %s", why);
		return -1;
	}
	return 0;
}

static const char *
outcome(int rc)
{
	switch (rc) {
	case DD_BACKUP_OK: return "done";
	case DD_BACKUP_REFUSED: return "refused";
	case DD_BACKUP_CANCELLED: return "cancelled";
	default: return "failed";
	}
}

void
bk_audit_end(const struct dd_backup_ctx *ctx, uint64_t id, int rc, const char *detail)
{
	if (!ctx->audit)
		return;
	char why[BK_ERR_MAX];
	if (dd_audit_end(ctx->audit, id, outcome(rc), detail, why, sizeof(why)) != 0)
		bk_log(&ctx->hooks, "the audit log's end record failed: %s", why);
}
