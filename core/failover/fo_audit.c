/*
 * fo_audit.c: what dbdeck recorded when it promoted, read back from the
 * audit log, for the SPLIT-BRAIN rule of engines whose servers cannot say
 * which primary is newer (MariaDB): the end record of the latest
 * switchover or failover of each cluster that got past its promotion
 * (outcome done, or incomplete after the promotion: an incomplete rollback
 * says FO_NOTHING_PROMOTED in its detail) names the node it promoted (its
 * target).
 */
#include <string.h>

#include "dbdeck/audit.h"
#include "dbdeck/router.h"
#include "failover/fo_int.h"
#include "util/util.h"

struct latest {
	struct dd_core *core;
};

bool
fo_audit_promoted(const struct dd_audit_record *r)
{
	if (r->bad || !r->phase || strcmp(r->phase, "end") != 0 || !r->action || !r->cluster ||
	    !r->target || !r->target[0] || !r->outcome || r->time_ms < 0)
		return false;
	if (strcmp(r->action, "switchover") != 0 && strcmp(r->action, "failover") != 0)
		return false;
	if (strcmp(r->outcome, "done") == 0) /* but a switchover Patroni only scheduled */
		return !(r->detail && strstr(r->detail, FO_SCHEDULED));
	/* incomplete: after the promotion, or a rollback that could not undo everything */
	return strcmp(r->outcome, "incomplete") == 0 &&
	       !(r->detail && strstr(r->detail, FO_NOTHING_PROMOTED));
}

static int
one(const struct dd_audit_record *r, void *ctx)
{
	struct latest *l = ctx;
	struct dd_cluster *cl;

	if (!fo_audit_promoted(r))
		return 0;
	cl = dd_core_cluster(l->core, r->cluster);
	if (cl)
		dd_router_note_promotion(dd_cluster_router(cl), r->target, r->time_ms);
	return 0;
}

void
dd_fo_note_promotions(struct dd_core *core, const char *audit_path)
{
	struct latest l = {.core = core};
	char err[160];

	if (audit_path)
		dd_audit_read(audit_path, one, &l, err, sizeof(err));
}
