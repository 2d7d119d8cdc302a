/*
 * source.c: which node a backup reads from, decided from one snapshot of the
 * monitor: the reachable, up replica with the smallest known lag within
 * lag_max (a dump reads every table: better on a replica than on the
 * primary), else the primary. Unknown lag counts as too much, as for routing.
 * Also the one place that says which vault entry the backup actions use.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backup/backup_int.h"
#include "util/util.h"

const char *
dd_backup_credential_name(const struct dd_cluster_config *cfg)
{
	/* admin_credential (issue 12) once the config has it; credential otherwise. */
	return cfg->credential;
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
