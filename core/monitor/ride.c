/*
 * ride.c: the monitor rides the routers' probe rounds (router.h,
 * struct dd_router_rider), so that each node gets one round per interval:
 * one connection (the router prober's), one deadline, and on PostgreSQL one
 * statement that answers both the router (role, positions) and the monitor
 * (dd_conn_probe_role_with). The monitor's scheduler (monitor.c) posts a job
 * per node and asks every router for a round (dd_router_probe_soon); the
 * router's worker of each node then calls mon_ride, which runs the job when
 * one is waiting and the plain role probe otherwise (the router's own rounds
 * between the monitor's, e.g. after a failed write).
 *
 * In one-shot mode (dbdeck status) the monitor keeps its own workers and
 * the pools' connections: there is one round, after the routers' first.
 */
#include <string.h>

#include "monitor/monitor_int.h"

/* Takes nd's waiting job (m->mu held): false when there is none. */
static bool
take_job(struct mnode *nd, uint64_t *round, bool *primary)
{
	if (nd->m->stop || nd->running || nd->job_round <= nd->done_round)
		return false;
	nd->running = true;
	*round = nd->job_round;
	*primary = nd->job_is_primary;
	return true;
}

/* The job's result is in the spare buffer: hand it over (m->mu held), as worker_main does. */
static void
job_done(struct dd_monitor *m, struct mnode *nd, uint64_t round)
{
	nd->fresh = !nd->fresh;
	nd->done_round = round;
	nd->answered |= nd->res[nd->fresh].ok;
	if (round == m->round && m->pending > 0 && --m->pending == 0)
		pthread_cond_broadcast(&m->done_cv);
}

/*
 * Whether a failure of the monitor's statement leaves the router's question
 * unanswered while the node may well answer the plain role probe (a missing
 * privilege, an unexpected result): then the router asks on its own.
 */
static bool
ask_router_alone(struct dd_conn *conn, const struct dd_db_error *err)
{
	return conn != NULL && err->cls != DD_ERR_CONN_LOST && err->cls != DD_ERR_TIMEOUT &&
	       !dd_db_error_is_node_failure(err);
}

static int
mon_ride(void *ctx, size_t i, struct dd_conn *conn, int64_t deadline_ns, struct dd_role_info *info,
    struct dd_db_error *err)
{
	struct mcluster *cl = ctx;
	struct dd_monitor *m = cl->m;
	struct mnode *nd = &m->nodes[cl->first_node + (int)i];
	uint64_t round = 0;
	bool primary = false, job;
	int rc;

	pthread_mutex_lock(&m->mu);
	job = take_job(nd, &round, &primary);
	pthread_mutex_unlock(&m->mu);
	if (!job)
		return conn ? dd_conn_probe_role(conn, deadline_ns, info, err) : -1;
	rc = mon_probe_node_on(nd, conn, deadline_ns, primary, info, err);
	pthread_mutex_lock(&m->mu);
	nd->running = false;
	/* a lost session: the router reconnects and asks again, the job with it */
	if (rc == 0 || conn == NULL || err->cls != DD_ERR_CONN_LOST)
		job_done(m, nd, round);
	pthread_mutex_unlock(&m->mu);
	if (rc < 0 && ask_router_alone(conn, err)) {
		dd_db_error_clear(err);
		rc = dd_conn_probe_role(conn, deadline_ns, info, err);
	}
	return rc;
}

static int64_t
mon_ride_timeout(void *ctx)
{
	struct mcluster *cl = ctx;

	return mon_probe_timeout_ms(cl->m);
}

void
mon_ride_attach(struct dd_monitor *m)
{
	for (int c = 0; c < m->n_clusters; c++) {
		struct dd_router_rider rider = {
		    .ctx = &m->clusters[c], .probe = mon_ride, .timeout_ms = mon_ride_timeout};
		dd_router_set_rider(m->clusters[c].router, &rider);
	}
}

/* Every router first, then the waits: the probes in flight end together, not one after another. */
void
mon_ride_detach(struct dd_monitor *m)
{
	for (int c = 0; c < m->n_clusters; c++)
		dd_router_set_rider(m->clusters[c].router, NULL);
	for (int c = 0; c < m->n_clusters; c++)
		dd_router_rider_wait(m->clusters[c].router);
}

void
mon_ride_kick(struct dd_monitor *m)
{
	for (int c = 0; c < m->n_clusters; c++) {
		m->want_rounds[c] = dd_router_rounds(m->clusters[c].router) + 1;
		dd_router_probe_soon(m->clusters[c].router);
	}
}

/*
 * A router feeds its breakers when its round ends, after its workers have
 * handed the monitor their results: the final snapshot of a round waits for
 * that, so that a breaker a round opened shows in the same round.
 */
void
mon_ride_wait(struct dd_monitor *m, int64_t deadline_ns)
{
	for (int c = 0; c < m->n_clusters; c++)
		dd_router_wait_rounds(m->clusters[c].router, m->want_rounds[c], deadline_ns);
}
