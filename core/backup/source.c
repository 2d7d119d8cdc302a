/*
 * source.c: which node a backup reads from, decided from one snapshot of the
 * monitor: the reachable, up replica with the smallest known lag within
 * lag_max (a dump reads every table: better on a replica than on the
 * primary), else the primary. Unknown lag counts as too much, as for routing.
 * For a restore, the primary found by asking the nodes directly. Also the
 * one place that says which vault entry the backup actions use.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

const char *
dd_backup_credential_name(const struct dd_cluster_config *cfg)
{
	return cfg->admin_credential ? cfg->admin_credential : cfg->credential;
}

static const struct dd_snap_cluster *
find_cluster(const struct dd_snapshot *s, const char *name)
{
	for (int i = 0; i < s->n_clusters; i++)
		if (strcmp(s->clusters[i].name, name) == 0)
			return &s->clusters[i];
	return NULL;
}

/* Why replica n cannot be used ("" when it can), into buf. */
static void
replica_note(const struct dd_snap_node *n, int64_t lag_max_ms, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!n->reachable || n->state == DD_NODE_DOWN)
		snprintf(buf, len, "%s: down", n->name);
	else if (isnan(n->lag_s))
		snprintf(buf, len, "%s: lag unknown", n->name);
	else if (n->lag_s * 1000.0 > (double)lag_max_ms)
		snprintf(buf, len, "%s: lag %.1f s over lag_max %.1f s", n->name, n->lag_s,
		    (double)lag_max_ms / 1000.0);
}

static void
add_note(char *notes, size_t len, const char *note)
{
	size_t n = strlen(notes);

	snprintf(notes + n, len - n, "%s%s", n ? "; " : "", note);
}

int
dd_backup_choose_source(
    const struct dd_snapshot *s, const char *cluster, int64_t lag_max_ms, char *why, size_t whylen)
{
	const struct dd_snap_cluster *c = find_cluster(s, cluster);
	char notes[512] = "", note[160];
	int best = -1;

	if (!c) {
		dd_seterr(why, whylen, "cluster %s is not in the snapshot", cluster);
		return -1;
	}
	for (int i = c->first_node; i < c->first_node + c->n_nodes; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		if (n->role != DD_ROLE_REPLICA)
			continue;
		replica_note(n, lag_max_ms, note, sizeof(note));
		if (note[0])
			add_note(notes, sizeof(notes), note);
		else if (best < 0 || n->lag_s < s->nodes[best].lag_s)
			best = i;
	}
	if (best >= 0) {
		dd_seterr(why, whylen, "replica %s is up with lag %.1f s (lag_max %.1f s)",
		    s->nodes[best].name, s->nodes[best].lag_s, (double)lag_max_ms / 1000.0);
		return best;
	}
	if (!notes[0])
		snprintf(notes, sizeof(notes), "the cluster has none");
	if (c->primary >= 0 && s->nodes[c->primary].reachable) {
		dd_seterr(why, whylen, "no replica is usable (%s): the primary %s", notes,
		    s->nodes[c->primary].name);
		return c->primary;
	}
	dd_seterr(why, whylen,
	    "no node can be backed up: no usable replica (%s) and no primary%s%s", notes,
	    c->topology_note[0] ? " — " : "", c->topology_note);
	return -1;
}

/* What node n says it is, as text for a message; true when a writable primary. */
static bool
probe_node(const struct dd_backup_ctx *ctx, const struct dd_node_config *n, char *note, size_t len)
{
	const struct bk_engine *eng = bk_engine_for(ctx->cluster->engine);
	struct dd_conn *c = NULL;
	struct dd_role_info ri;
	struct dd_db_error e;
	char err[BK_ERR_MAX];

	if (bk_connect(ctx, n, eng->admin_db, &c, err, sizeof(err)) != 0) {
		snprintf(note, len, "%s: %s", n->name, err);
		return false;
	}
	bool ok = dd_conn_probe_role(
	              c, dd_now_mono_ns() + ctx->cluster->query_timeout_ms * 1000000, &ri, &e) == 0;
	dd_conn_close(c, dd_now_mono_ns() + INT64_C(1000000000));
	if (!ok)
		snprintf(note, len, "%s: %s", n->name, e.message);
	else
		snprintf(note, len, "%s: %s%s", n->name, dd_role_name(ri.role),
		    ri.read_only ? " (read-only)" : "");
	return ok && ri.role == DD_ROLE_PRIMARY && !ri.read_only;
}

const struct dd_node_config *
dd_backup_find_primary(const struct dd_backup_ctx *ctx, char *why, size_t whylen)
{
	const struct dd_cluster_config *c = ctx->cluster;
	const struct dd_node_config *found = NULL;
	char notes[2048] = "", note[BK_ERR_MAX + 80];
	int n = 0;

	for (size_t i = 0; i < c->n_nodes; i++) {
		if (probe_node(ctx, c->nodes[i], note, sizeof(note))) {
			found = c->nodes[i];
			n++;
		}
		add_note(notes, sizeof(notes), note);
	}
	if (n == 1) {
		dd_seterr(why, whylen, "%s is the primary", found->name);
		return found;
	}
	dd_seterr(why, whylen, "%s (%s)",
	    n == 0 ? "no node is a writable primary" : "more than one node says it is the primary",
	    notes);
	return NULL;
}
