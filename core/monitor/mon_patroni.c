/*
 * mon_patroni.c: Patroni's view beside dbdeck's own probes (issue 16,
 * docs/patroni.md). For each manager = patroni cluster the scheduler reads
 * GET /cluster once per round, while the workers probe the nodes (never on
 * the UI thread, with a deadline of at most 2 s); the builder copies the
 * last view into the snapshot: the cluster's leader, paused, timeline and
 * any error, a scheduled switchover, and each configured node's role, state, lag and pending
 * restart as Patroni sees them. Then it asks each configured node's own
 * agent GET /patroni, one request per node per round with a deadline of
 * 1 s, for when that agent last reached the DCS (dcs_last_seen) and its
 * own pending_restart. For a PostgreSQL cluster that does not say
 * what manages it (manager = auto) it looks once, in the first round, for a
 * Patroni agent on port 8008 beside its nodes (patroni_undeclared: the
 * console and `status` warn). The monitor reads without credentials:
 * Patroni's Basic auth guards only its unsafe endpoints (the actions use
 * patroni_credential).
 */
#include <stdlib.h>
#include <string.h>

#include "dbdeck/patroni.h"
#include "monitor/monitor_int.h"
#include "util/util.h"

#define PT_READ_MS   2000
#define PT_AGENT_MS  1000 /* GET /patroni of one member's agent */
#define PT_DETECT_MS 1000

void
mon_patroni_setup(struct mcluster *mc)
{
	char err[200];

	if (mc->cc->manager != DD_MANAGER_PATRONI)
		return;
	mc->pt_view = xcalloc(1, sizeof(*mc->pt_view));
	if (dd_patroni_new(mc->cc, NULL, NULL, PT_READ_MS, &mc->pt, err, sizeof(err)) != 0)
		dd_strlcpy(mc->pt_err, err, sizeof(mc->pt_err));
	else
		dd_strlcpy(mc->pt_err, "not read yet", sizeof(mc->pt_err));
}

void
mon_patroni_free(struct mcluster *mc)
{
	dd_patroni_free(mc->pt);
	free(mc->pt_view);
	mc->pt = NULL;
	mc->pt_view = NULL;
}

/* manager = auto: looks once for a Patroni agent beside the cluster's nodes. */
static void
look_for_patroni(struct dd_monitor *m, struct mcluster *mc)
{
	char where[300] = "";

	if (mc->pt_looked)
		return;
	mc->pt_looked = true;
	if (!dd_patroni_detect(mc->cc, PT_DETECT_MS, where, sizeof(where)))
		return;
	pthread_mutex_lock(&m->build_mu);
	dd_strlcpy(mc->pt_undeclared, where, sizeof(mc->pt_undeclared));
	pthread_mutex_unlock(&m->build_mu);
}

/* Each configured member's own agent: dcs_last_seen and pending_restart into v. */
static void
read_agents(struct mcluster *mc, struct dd_patroni_view *v)
{
	struct dd_patroni_agent ag;
	char err[200];

	dd_patroni_set_timeout(mc->pt, PT_AGENT_MS);
	for (size_t k = 0; k < v->n_members; k++) {
		struct dd_patroni_member *pm = &v->members[k];
		bool ours = false;
		for (int j = 0; j < mc->n_nodes && !ours; j++)
			ours = strcmp(mc->cc->nodes[j]->name, pm->name) == 0;
		if (!ours || !pm->api_url[0] ||
		    dd_patroni_get_agent(mc->pt, pm->api_url, &ag, err, sizeof(err)) != 0)
			continue;
		pm->dcs_last_seen = ag.dcs_last_seen;
		pm->pending_restart = pm->pending_restart || ag.pending_restart;
	}
	dd_patroni_set_timeout(mc->pt, PT_READ_MS);
}

void
mon_patroni_refresh(struct dd_monitor *m)
{
	struct dd_patroni_view *v = NULL;
	char err[200];

	for (int i = 0; i < m->n_clusters; i++) {
		struct mcluster *mc = &m->clusters[i];
		if (mc->cc->manager == DD_MANAGER_AUTO)
			look_for_patroni(m, mc);
		if (mc->pt == NULL)
			continue;
		if (v == NULL)
			v = xmalloc(sizeof(*v));
		bool ok = dd_patroni_get_cluster(mc->pt, v, err, sizeof(err)) == 0;
		if (ok)
			read_agents(mc, v);
		pthread_mutex_lock(&m->build_mu);
		mc->pt_ok = ok;
		if (ok)
			*mc->pt_view = *v;
		dd_strlcpy(mc->pt_err, ok ? "" : err, sizeof(mc->pt_err));
		pthread_mutex_unlock(&m->build_mu);
	}
	free(v);
}

static void
fill_nodes(const struct mcluster *mc, struct snap_build *b, struct dd_snap_node *nodes)
{
	for (int j = 0; j < mc->n_nodes; j++) {
		struct dd_snap_node *sn = &nodes[mc->first_node + j];
		const struct dd_patroni_member *pm =
		    mc->pt_ok ? dd_patroni_member(mc->pt_view, sn->name) : NULL;
		sn->patroni_role = snap_str(b, pm ? pm->role : "");
		sn->patroni_state = snap_str(b, pm ? pm->state : "");
		sn->patroni_lag = pm ? pm->lag : -1;
		sn->patroni_pending_restart = pm && pm->pending_restart;
		sn->patroni_dcs_last_seen = pm ? pm->dcs_last_seen : -1;
	}
}

void
mon_patroni_fill(struct dd_monitor *m, struct snap_build *b, struct dd_snap_cluster *cls,
    struct dd_snap_node *nodes)
{
	for (int i = 0; i < m->n_clusters; i++) {
		const struct mcluster *mc = &m->clusters[i];
		struct dd_snap_cluster *sc = &cls[i];
		sc->patroni = mc->cc->manager == DD_MANAGER_PATRONI;
		sc->patroni_ok = sc->patroni && mc->pt_ok;
		sc->patroni_error = snap_str(b, sc->patroni ? mc->pt_err : "");
		sc->patroni_leader = snap_str(b, sc->patroni_ok ? mc->pt_view->leader : "");
		sc->patroni_paused = sc->patroni_ok && mc->pt_view->paused;
		sc->patroni_timeline = sc->patroni_ok ? mc->pt_view->timeline : -1;
		sc->patroni_undeclared = snap_str(b, mc->pt_undeclared);
		bool sch = sc->patroni_ok && mc->pt_view->scheduled;
		sc->patroni_scheduled_at = snap_str(b, sch ? mc->pt_view->scheduled_at : "");
		sc->patroni_scheduled_from = snap_str(b, sch ? mc->pt_view->scheduled_from : "");
		sc->patroni_scheduled_to = snap_str(b, sch ? mc->pt_view->scheduled_to : "");
		if (sc->patroni)
			fill_nodes(mc, b, nodes);
		else
			for (int j = 0; j < mc->n_nodes; j++) {
				nodes[mc->first_node + j].patroni_role = "";
				nodes[mc->first_node + j].patroni_state = "";
				nodes[mc->first_node + j].patroni_lag = -1;
				nodes[mc->first_node + j].patroni_dcs_last_seen = -1;
			}
	}
}
