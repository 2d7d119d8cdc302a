/*
 * fo_cluster_lock.c: the cluster lock of fo_lock.c for the actions that are
 * not a switchover or failover (a restore): dd_cluster_lock_take holds the
 * same advisory lock / GET_LOCK on a majority of the cluster's nodes, under
 * the same name and holder text, so that a restore and a switchover of one
 * cluster never run at once, whichever comes first. It borrows a plan
 * without steps for the lock's sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

struct dd_cluster_lock {
	struct dd_fo_plan *p;
};

int
dd_cluster_lock_take(const struct dd_cluster_config *cc, const char *user, const char *password,
    struct dd_cluster_lock **out, char *err, size_t errlen)
{
	struct dd_fo_plan *p = xcalloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	p->action = DD_FO_SWITCHOVER;
	p->cc = cc;
	p->eng = cc->engine == DD_ENGINE_POSTGRESQL ? &fo_engine_pg : &fo_engine_my;
	p->n = cc->n_nodes < FO_MAX_NODES ? cc->n_nodes : FO_MAX_NODES;
	for (size_t i = 0; i < p->n; i++)
		p->nodes[i].nc = cc->nodes[i];
	p->primary = p->candidate = -1;
	p->user = user;
	p->password = password;
	rc = fo_lock_take(p, err, errlen);
	if (rc != 0) {
		dd_fo_plan_free(p);
		/* fo_lock_take's two refusals: held by another dbdeck, or too few answer */
		return rc < 0 ? -1 : strncmp(err, "another dbdeck holds", 20) == 0 ? 1 : 2;
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->p = p;
	return 0;
}

void
dd_cluster_lock_release(struct dd_cluster_lock *l)
{
	if (l == NULL)
		return;
	dd_fo_plan_free(l->p); /* closes the lock's sessions: that releases it */
	free(l);
}
