/*
 * monitor.c: the monitor's life cycle, threads and public calls (monitor.h).
 *
 * Threads: one scheduler that starts a round every refresh interval. A
 * round posts a job (a round number and a deadline) for every node whose
 * previous job is done (a node still stuck in an earlier probe is skipped,
 * and shows its older data) and asks the routers for a round: their worker
 * of each node runs the job on the prober's connection (ride.c, so a node
 * gets one probe round per interval). The scheduler waits until all have
 * answered or a short "soft" time has passed, publishes (build.c), and if
 * some were late waits for them up to the deadline and publishes again. In
 * one-shot mode there is no scheduler: the monitor starts one worker per
 * node (worker_main, mon_probe_node over the node's pool) and
 * dd_monitor_refresh_now runs the round on the caller's thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

#define MS_NS          INT64_C(1000000)
#define REFRESH_MIN_MS 100
#define REFRESH_MAX_MS (3600 * 1000)
#define PROBE_CAP_MS   2000
#define SOFT_WAIT_MS   250
#define GRACE_MS       150

void
dd_monitor_options_default(struct dd_monitor_options *o)
{
	memset(o, 0, sizeof(*o));
}

static int64_t
clamp_refresh(int64_t ms)
{
	return ms < REFRESH_MIN_MS ? REFRESH_MIN_MS : ms > REFRESH_MAX_MS ? REFRESH_MAX_MS : ms;
}

/* ---- setup ---- */

/* The monitor's table of each engine (monitor_int.h). */
static const struct mon_engine *const engines[] = {
    [DD_ENGINE_POSTGRESQL] = &mon_engine_pg,
    [DD_ENGINE_MARIADB] = &mon_engine_my,
    [DD_ENGINE_MYSQL] = &mon_engine_my,
};

/*
 * The application_name of dbdeck's own sessions: what the core's pools set
 * (pool.h: the pool config's, else "dbdeck"), and the probers' (core.h: the
 * same with "-probe").
 */
static void
own_names(struct mcluster *mc, const struct dd_pool *pool)
{
	const char *app = dd_pool_get_config(pool)->application_name;

	dd_strlcpy(mc->app, app[0] ? app : "dbdeck", sizeof(mc->app));
	snprintf(mc->probe_app, sizeof(mc->probe_app), "%.50s-probe", mc->app);
}

static void
cluster_setup(struct dd_monitor *m, struct mcluster *mc, struct dd_cluster *cl, int index)
{
	mc->m = m;
	mc->index = index;
	mc->cc = dd_cluster_config(cl);
	mc->name = mc->cc->name;
	mc->engine = mc->cc->engine;
	mc->router = dd_cluster_router(cl);
	mc->first_node = m->n_nodes;
	mc->n_nodes = (int)dd_cluster_node_count(cl);
	dd_alert_thresholds_of(mc->cc, &mc->th);
	m->th[index] = mc->th;
	own_names(mc, dd_cluster_pool(cl, 0));
	mc->eng = engines[mc->engine];
	mc->eng->make_sql(mc);
	mon_patroni_setup(mc);
	for (int j = 0; j < mc->n_nodes; j++) {
		struct mnode *nd = &m->nodes[m->n_nodes];
		nd->m = m;
		nd->cl = mc;
		nd->index = m->n_nodes++;
		nd->in_cluster = (size_t)j;
		nd->name = mc->cc->nodes[j]->name;
		nd->host = mc->cc->nodes[j]->host;
		nd->port = mc->cc->nodes[j]->port;
		nd->pool = dd_cluster_pool(cl, (size_t)j);
		nd->prev = (struct pcounters){-1, -1, -1, -1};
		nd->last_cache_hit = NAN;
	}
}

static void
options_apply(struct dd_monitor *m, struct dd_core *core, const struct dd_monitor_options *o)
{
	int64_t refresh = o->refresh_ms;

	if (refresh <= 0)
		refresh = dd_config_console(dd_core_config(core))->refresh_ms;
	atomic_init(&m->refresh_ms, clamp_refresh(refresh > 0 ? refresh : 1000));
	m->probe_timeout_ms = o->probe_timeout_ms;
	m->down_after_opt_ms = o->down_after_ms;
	m->statements_every_ms = o->statements_every_ms > 0 ? o->statements_every_ms : 30000;
	m->retry_optional_ms = o->retry_optional_ms > 0 ? o->retry_optional_ms : 60000;
	m->clock = o->clock ? *o->clock : *dd_clock_default();
	m->oneshot = o->oneshot;
	m->read_only = o->read_only || dd_config_console(dd_core_config(core))->read_only;
	m->schema = o->schema;
}

struct dd_schema_prober *
dd_monitor_schema(struct dd_monitor *m)
{
	return m->schema;
}

static void *worker_main(void *arg);
static void *sched_main(void *arg);

static bool
threads_start(struct dd_monitor *m, char *err, size_t errlen)
{
	int rc;

	/* riding the routers' rounds (ride.c): no workers of its own */
	for (int i = 0; i < m->n_nodes && m->oneshot; i++) {
		rc = pthread_create(&m->nodes[i].thread, NULL, worker_main, &m->nodes[i]);
		if (rc != 0) {
			dd_seterr(err, errlen, "cannot start the probe thread of %s: %s",
			    m->nodes[i].name, strerror(rc));
			return false;
		}
		m->nodes[i].thread_started = true;
	}
	if (m->oneshot)
		return true;
	mon_ride_attach(m);
	m->riding = true;
	rc = pthread_create(&m->sched, NULL, sched_main, m);
	if (rc != 0) {
		dd_seterr(err, errlen, "cannot start the monitor: %s", strerror(rc));
		return false;
	}
	m->sched_started = true;
	return true;
}

struct dd_monitor *
dd_monitor_new(
    struct dd_core *core, const struct dd_monitor_options *opts, char *err, size_t errlen)
{
	struct dd_monitor_options defaults;
	struct dd_monitor *m;
	size_t nc, nn = 0, i;

	dd_monitor_options_default(&defaults);
	m = xcalloc(1, sizeof(*m));
	options_apply(m, core, opts ? opts : &defaults);
	m->core = core;
	m->started_ns = dd_now_mono_ns();
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->wake_fd < 0) {
		dd_seterr(err, errlen, "eventfd: %s", strerror(errno));
		free(m);
		return NULL;
	}
	nc = dd_core_cluster_count(core);
	for (i = 0; i < nc; i++)
		nn += dd_cluster_node_count(dd_core_cluster_at(core, i));
	m->clusters = xcalloc(nc ? nc : 1, sizeof(*m->clusters));
	m->nodes = xcalloc(nn ? nn : 1, sizeof(*m->nodes));
	m->th = xcalloc(nc ? nc : 1, sizeof(*m->th));
	m->rstatus = xcalloc(nc ? nc : 1, sizeof(*m->rstatus));
	m->views = xcalloc(nn ? nn : 1, sizeof(*m->views));
	m->infos = xcalloc(nn ? nn : 1, sizeof(*m->infos));
	m->have_info = xcalloc(nn ? nn : 1, sizeof(*m->have_info));
	m->posted = xcalloc(nn ? nn : 1, sizeof(*m->posted));
	m->is_primary = xcalloc(nn ? nn : 1, sizeof(*m->is_primary));
	m->want_rounds = xcalloc(nc ? nc : 1, sizeof(*m->want_rounds));
	m->n_clusters = (int)nc;
	for (i = 0; i < nc; i++)
		cluster_setup(m, &m->clusters[i], dd_core_cluster_at(core, i), (int)i);
	m->alerts = dd_alerts_new(&m->clock, m->oneshot);
	m->events = dd_event_log_new(DD_SNAP_EVENTS);
	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->snap_mu, NULL);
	pthread_mutex_init(&m->build_mu, NULL);
	pthread_mutex_init(&m->round_mu, NULL);
	dd_cond_init_mono(&m->job_cv);
	dd_cond_init_mono(&m->done_cv);
	dd_cond_init_mono(&m->sched_cv);
	mon_build_init(m);
	if (!threads_start(m, err, errlen)) {
		dd_monitor_free(m);
		return NULL;
	}
	return m;
}

static void
threads_stop(struct dd_monitor *m)
{
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_broadcast(&m->job_cv);
	pthread_cond_broadcast(&m->done_cv);
	pthread_cond_broadcast(&m->sched_cv);
	pthread_mutex_unlock(&m->mu);
	if (m->riding)
		mon_ride_detach(m);
	m->riding = false;
	if (m->sched_started)
		pthread_join(m->sched, NULL);
	m->sched_started = false;
	for (int i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].thread_started)
			pthread_join(m->nodes[i].thread, NULL);
		m->nodes[i].thread_started = false;
	}
}

static void
node_free(struct mnode *nd)
{
	for (int k = 0; k < 2; k++) {
		mon_result_free(&nd->res[k]);
		mon_stmts_free(&nd->stmts[k]);
	}
	free(nd->seen_pid);
	free(nd->seen_start);
}

static void
cluster_free(struct mcluster *cl)
{
	free(cl->sql_round);
	free(cl->sql_round_stmts);
	free(cl->sql_statements);
	mon_patroni_free(cl);
}

void
dd_monitor_free(struct dd_monitor *m)
{
	if (m == NULL)
		return;
	threads_stop(m);
	for (int i = 0; i < m->n_nodes; i++)
		node_free(&m->nodes[i]);
	for (int i = 0; i < m->n_clusters; i++)
		cluster_free(&m->clusters[i]);
	dd_snapshot_unref(m->current);
	mon_build_free(m);
	dd_alerts_free(m->alerts);
	dd_event_log_free(m->events);
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->snap_mu);
	pthread_mutex_destroy(&m->build_mu);
	pthread_mutex_destroy(&m->round_mu);
	pthread_cond_destroy(&m->job_cv);
	pthread_cond_destroy(&m->done_cv);
	pthread_cond_destroy(&m->sched_cv);
	close(m->wake_fd);
	free(m->clusters);
	free(m->nodes);
	free(m->th);
	free(m->rstatus);
	free(m->views);
	free(m->infos);
	free(m->have_info);
	free(m->posted);
	free(m->is_primary);
	free(m->want_rounds);
	free(m);
}

/* ---- the worker ---- */

static void *
worker_main(void *arg)
{
	struct mnode *nd = arg;
	struct dd_monitor *m = nd->m;
	uint64_t round;
	int64_t deadline;
	bool primary;
	char name[16];

	snprintf(name, sizeof(name), "ddmon-%.9s", nd->name);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		if (nd->job_round <= nd->done_round) {
			pthread_cond_wait(&m->job_cv, &m->mu);
			continue;
		}
		round = nd->job_round;
		deadline = nd->job_deadline_ns;
		primary = nd->job_is_primary;
		pthread_mutex_unlock(&m->mu);
		mon_probe_node(nd, deadline, primary);
		pthread_mutex_lock(&m->mu);
		nd->fresh = !nd->fresh;
		nd->done_round = round;
		nd->answered |= nd->res[nd->fresh].ok;
		/* only the last of the round wakes the scheduler */
		if (round == m->round && m->pending > 0 && --m->pending == 0)
			pthread_cond_broadcast(&m->done_cv);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* ---- a round ---- */

int64_t
mon_probe_timeout_ms(const struct dd_monitor *m)
{
	int64_t r = mon_refresh_ms(m);

	if (m->probe_timeout_ms > 0)
		return m->probe_timeout_ms;
	return (r < PROBE_CAP_MS ? r : PROBE_CAP_MS) * 8 / 10;
}

/* Is node i its cluster's primary, as the router sees it now? */
static void
mark_primaries(struct dd_monitor *m, bool *is_primary)
{
	struct dd_router_status st;

	for (int c = 0; c < m->n_clusters; c++) {
		dd_router_status(m->clusters[c].router, &st);
		for (int j = 0; j < m->clusters[c].n_nodes; j++)
			is_primary[m->clusters[c].first_node + j] = st.primary == j;
	}
}

static bool
round_done(const struct dd_monitor *m, uint64_t round, const bool *posted)
{
	for (int i = 0; i < m->n_nodes; i++)
		if (posted[i] && m->nodes[i].done_round < round)
			return false;
	return true;
}

/*
 * The deadline of nd's probe in a round that starts at start with this
 * deadline. Until a node has answered once, its probe must open the pool's
 * connection (TCP, TLS handshake, authentication), and at start-up every
 * node's pool, prober and monitor do so at once: so the first probe may take
 * down_after (the time after which a silent node is down), not only the
 * round's share of the interval. The node is "unknown" meanwhile (build.c);
 * the round does not wait for it, except in one-shot mode (run_round).
 */
static int64_t
job_deadline(const struct dd_monitor *m, const struct mnode *nd, int64_t start, int64_t deadline)
{
	int64_t first = start + mon_down_after_ms(m) * MS_NS;

	if (nd->answered || first <= deadline)
		return deadline;
	return first;
}

/* Posts the round's jobs (m->mu held); returns the round number, *latest the latest deadline. */
static uint64_t
post_jobs(struct dd_monitor *m, int64_t start, int64_t deadline, const bool *is_primary,
    bool *posted, int64_t *latest)
{
	uint64_t round = ++m->round;

	m->pending = 0;
	for (int i = 0; i < m->n_nodes; i++) {
		struct mnode *nd = &m->nodes[i];
		posted[i] = nd->job_round <= nd->done_round;
		if (!posted[i])
			continue;
		m->pending++;
		nd->job_round = round;
		nd->job_deadline_ns = job_deadline(m, nd, start, deadline);
		nd->job_is_primary = is_primary[i];
		if (nd->job_deadline_ns > *latest)
			*latest = nd->job_deadline_ns;
	}
	pthread_cond_broadcast(&m->job_cv);
	return round;
}

/* The round's jobs are posted: the workers (one-shot) are woken, or the routers asked. */
static void
start_jobs(struct dd_monitor *m)
{
	if (m->riding)
		mon_ride_kick(m);
}

static void
round_body(struct dd_monitor *m)
{
	bool *posted = m->posted, *is_primary = m->is_primary;
	int64_t start = dd_now_mono_ns(), timeout = mon_probe_timeout_ms(m) * MS_NS;
	int64_t soft =
	    start + (timeout / 2 < SOFT_WAIT_MS * MS_NS ? timeout / 2 : SOFT_WAIT_MS * MS_NS);
	int64_t latest = start + timeout, hard;
	bool partial = false, done;
	uint64_t round;

	mark_primaries(m, is_primary);
	pthread_mutex_lock(&m->mu);
	round = post_jobs(m, start, start + timeout, is_primary, posted, &latest);
	pthread_mutex_unlock(&m->mu);
	start_jobs(m);
	mon_patroni_refresh(m); /* while the round runs */
	pthread_mutex_lock(&m->mu);
	/* one-shot: the only round waits for first contacts too (job_deadline) */
	hard = (m->oneshot ? latest : start + timeout) + GRACE_MS * MS_NS;
	while (!(done = round_done(m, round, posted)) && !m->stop) {
		if (!partial && !dd_cond_wait_until(&m->done_cv, &m->mu, soft)) {
			/* some are late: show what is there, then wait for them */
			partial = true;
			pthread_mutex_unlock(&m->mu);
			mon_build_publish(m, false);
			pthread_mutex_lock(&m->mu);
		} else if (partial && !dd_cond_wait_until(&m->done_cv, &m->mu, hard)) {
			break;
		}
	}
	pthread_mutex_unlock(&m->mu);
	if (m->riding)
		mon_ride_wait(m, hard);
	mon_build_publish(m, true);
	pthread_mutex_lock(&m->mu);
	m->rounds_published = round;
	pthread_cond_broadcast(&m->done_cv);
	pthread_mutex_unlock(&m->mu);
}

/* One round at a time: the scheduler's, or (one-shot) any caller's of refresh_now. */
static void
run_round(struct dd_monitor *m)
{
	pthread_mutex_lock(&m->round_mu);
	round_body(m);
	pthread_mutex_unlock(&m->round_mu);
}

static void *
sched_main(void *arg)
{
	struct dd_monitor *m = arg;
	uint64_t kicks;
	int64_t start;

	pthread_setname_np(pthread_self(), "ddmon");
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		kicks = m->kicks;
		if (mon_paused(m)) {
			pthread_mutex_unlock(&m->mu);
			mon_build_publish(m, false);
			pthread_mutex_lock(&m->mu);
			while (!m->stop && mon_paused(m) && m->kicks == kicks)
				pthread_cond_wait(&m->sched_cv, &m->mu);
			continue;
		}
		pthread_mutex_unlock(&m->mu);
		start = dd_now_mono_ns();
		run_round(m);
		pthread_mutex_lock(&m->mu);
		while (!m->stop && !mon_paused(m) && m->kicks == kicks)
			if (!dd_cond_wait_until(
			        &m->sched_cv, &m->mu, start + mon_refresh_ms(m) * MS_NS))
				break;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* ---- public calls ---- */

int
dd_monitor_wake_fd(const struct dd_monitor *m)
{
	return m->wake_fd;
}

void
dd_monitor_ack(struct dd_monitor *m)
{
	uint64_t v;

	if (read(m->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing to drain */
	}
}

const struct dd_snapshot *
dd_monitor_current(struct dd_monitor *m)
{
	const struct dd_snapshot *s;

	pthread_mutex_lock(&m->snap_mu);
	s = dd_snapshot_ref(m->current);
	pthread_mutex_unlock(&m->snap_mu);
	return s;
}

/* Asks every router for a fresh round (their probes run in parallel per cluster). */
static void
routers_probe(struct dd_monitor *m, int64_t deadline_ns)
{
	for (int c = 0; c < m->n_clusters; c++)
		dd_router_probe_now(m->clusters[c].router, deadline_ns);
}

int
dd_monitor_refresh_now(struct dd_monitor *m, int64_t deadline_ns)
{
	uint64_t want;
	int rc = 0;

	routers_probe(m, deadline_ns);
	if (m->oneshot) {
		run_round(m);
		return 0;
	}
	pthread_mutex_lock(&m->mu);
	want = m->round + 1;
	m->kicks++;
	pthread_cond_broadcast(&m->sched_cv);
	while (!m->stop && m->rounds_published < want)
		if (!dd_cond_wait_until(&m->done_cv, &m->mu, deadline_ns)) {
			rc = m->rounds_published >= want ? 0 : -1;
			break;
		}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

void
dd_monitor_set_refresh(struct dd_monitor *m, int64_t refresh_ms)
{
	pthread_mutex_lock(&m->mu);
	atomic_store_explicit(&m->refresh_ms, clamp_refresh(refresh_ms), memory_order_relaxed);
	m->kicks++;
	pthread_cond_broadcast(&m->sched_cv);
	pthread_mutex_unlock(&m->mu);
}

int64_t
dd_monitor_refresh(const struct dd_monitor *m)
{
	return mon_refresh_ms(m);
}

void
dd_monitor_pause(struct dd_monitor *m, bool paused)
{
	pthread_mutex_lock(&m->mu);
	atomic_store_explicit(&m->paused, paused, memory_order_relaxed);
	m->kicks++;
	pthread_cond_broadcast(&m->sched_cv);
	pthread_mutex_unlock(&m->mu);
}

bool
dd_monitor_paused(const struct dd_monitor *m)
{
	return mon_paused(m);
}

void
dd_monitor_log_action(struct dd_monitor *m, const char *cluster, const char *node,
    const char *message, enum dd_severity severity)
{
	bool have;

	dd_event_log_add(m->events, DD_EVENT_ACTION, severity, m->clock.wall_ms(m->clock.ctx),
	    cluster, node, message);
	pthread_mutex_lock(&m->snap_mu);
	have = m->current != NULL;
	pthread_mutex_unlock(&m->snap_mu);
	if (have)
		mon_build_publish(m, false); /* no network I/O: shows the event now */
}

void
dd_query_target_of(const struct dd_snap_query *q, struct dd_query_target *out)
{
	memset(out, 0, sizeof(*out));
	out->cluster = q->cluster;
	out->node = q->node;
	out->pid = q->pid;
	out->started_us = q->started_us;
	out->text_hash = q->text_hash;
}
