/*
 * build.c: turning the monitor's state into a snapshot and publishing it.
 *
 * One builder at a time (m->build_mu). It first reads, without the
 * monitor's lock, what the routers (roles, lag, topology, route reasons) and
 * the pools (usage, waits, breakers) say; then, under m->mu, copies each
 * node's newest probe result into the new snapshot's arena; then decides
 * each node's state and each cluster's health, runs the alert rules, adds
 * their changes to the event log, and swaps the current pointer. Node state:
 * unknown while none of its probes has finished and its deadline has not
 * passed; down when the newest probe failed in a way that says so (connect
 * refused, timeout, lost connection) or, when the monitor could not probe
 * (breaker open, pool busy), when the router's own probe failed; lagging
 * when a replica's lag is unknown or above lag_max; else up.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbdeck/backup.h"
#include "dbdeck/schema.h"
#include "monitor/monitor_int.h"
#include "util/util.h"

#define ROUTE_REASONS DD_SNAP_ROUTE_REASONS
#define MAX_CHANGES   64

void
mon_wake(struct dd_monitor *m)
{
	uint64_t one = 1;

	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the reader is already due */
	}
}

int64_t
mon_down_after_ms(const struct dd_monitor *m)
{
	int64_t twice = mon_refresh_ms(m) * 2;

	if (m->down_after_opt_ms > 0)
		return m->down_after_opt_ms;
	return twice > 2000 ? twice : 2000;
}

/* ---- what the routers and pools say (no monitor lock) ---- */

struct outside {
	struct dd_event *ev;         /* DD_SNAP_EVENTS */
	struct dd_pool_stats *ps;    /* n_nodes */
	struct dd_breaker_stats *bs; /* n_nodes */
	struct dd_breaker_transition (*bh)[DD_SNAP_BREAKER_HISTORY];
	int *nbh;
	struct dd_route_decision (*dec)[ROUTE_REASONS];
	int *ndec; /* n_clusters */
};

static void
gather(struct dd_monitor *m, struct outside *o)
{
	int c, i;

	for (c = 0; c < m->n_clusters; c++) {
		struct mcluster *cl = &m->clusters[c];
		dd_router_status(cl->router, &m->rstatus[c]);
		dd_router_nodes(cl->router, &m->views[cl->first_node], (size_t)cl->n_nodes);
		for (i = 0; i < cl->n_nodes; i++)
			m->have_info[cl->first_node + i] = dd_router_node_info(
			    cl->router, (size_t)i, &m->infos[cl->first_node + i]);
		o->ndec[c] = (int)dd_router_decisions(cl->router, o->dec[c], ROUTE_REASONS);
	}
	for (i = 0; i < m->n_nodes; i++) {
		struct dd_breaker *b = dd_pool_breaker(m->nodes[i].pool);
		dd_pool_stats(m->nodes[i].pool, &o->ps[i]);
		dd_breaker_stats(b, &o->bs[i]);
		o->nbh[i] = (int)dd_breaker_history(b, o->bh[i], DD_SNAP_BREAKER_HISTORY);
	}
}

/*
 * The longest acquire wait since the previous final build, from histogram
 * deltas. Not measured until the node has answered and one more final build
 * has passed: the first acquire opens the pool's connection (TLS, auth, all
 * nodes at once at start-up), which is no wait for pool capacity, and would
 * raise pool_wait on a loaded machine (m->mu held: nd->answered).
 */
static void
pool_wait_interval(struct mnode *nd, const struct dd_histogram_snapshot *h)
{
	int64_t max = 0;
	int i;

	if (!nd->answered)
		nd->wait_settle = 2;
	else if (nd->wait_settle > 0)
		nd->wait_settle--;
	if (nd->have_prev_wait && nd->wait_settle == 0 && h->count > nd->prev_wait.count) {
		if (h->max_ns > nd->prev_wait.max_ns) {
			max = (int64_t)h->max_ns;
		} else {
			for (i = DD_HIST_BUCKETS - 1; i >= 0; i--)
				if (h->buckets[i] > nd->prev_wait.buckets[i])
					break;
			max = i >= 0 ? dd_histogram_bucket_lo(i) : 0;
		}
	}
	nd->wait_max_interval_ns = max;
	nd->prev_wait = *h;
	nd->have_prev_wait = true;
}

/* ---- nodes ---- */

static void
fill_pool(struct dd_snap_node *sn, const struct dd_pool_stats *ps)
{
	sn->pool_active = ps->active;
	sn->pool_idle = ps->idle;
	sn->pool_waiting = ps->waiting;
	sn->pool_max = ps->max_size + ps->max_overflow;
	sn->pool_overflow = ps->overflow_in_use;
	sn->pool_wait_p50_ns = ps->wait_p50_ns;
	sn->pool_wait_p95_ns = ps->wait_p95_ns;
	sn->pool_wait_p99_ns = ps->wait_p99_ns;
	sn->pool_err_timeout = (int64_t)ps->errors[DD_POOL_ERROR_TIMEOUT];
	sn->pool_err_connect = (int64_t)ps->errors[DD_POOL_ERROR_CONNECT];
	sn->pool_err_auth = (int64_t)ps->errors[DD_POOL_ERROR_AUTH];
	sn->pool_err_broken = (int64_t)ps->errors[DD_POOL_ERROR_BROKEN];
}

static void
fill_probe(struct snap_build *b, struct dd_snap_node *sn, const struct probe_result *r)
{
	sn->version = snap_str(b, r->version);
	sn->uptime_s = r->uptime_s;
	sn->conn_used = r->conn_used;
	sn->conn_max = r->conn_max;
	sn->conn_active = r->conn_active;
	sn->conn_idle = r->conn_idle;
	sn->conn_idle_in_txn = r->conn_idle_in_txn;
	sn->conn_waiting = r->conn_waiting;
	sn->qps = r->qps;
	sn->tps = r->tps;
	sn->load_kind = isnan(r->qps) && !isnan(r->tps) ? DD_RATE_TRANSACTIONS : DD_RATE_QUERIES;
	sn->load_per_s = sn->load_kind == DD_RATE_TRANSACTIONS ? r->tps : r->qps;
	sn->cache_hit = r->cache_hit;
	sn->slow_total = r->slow_total;
	sn->activity_probe = r->activity;
	sn->statements_probe = r->statements;
	sn->probed_wall_ms = r->wall_ms;
	sn->probe_ms = (r->end_ns - r->start_ns) / 1000000;
	sn->n_peers = r->n_peers;
	for (int i = 0; i < r->n_peers; i++) {
		struct dd_snap_repl_peer *p = &sn->peers[i];
		dd_strlcpy(p->name, sp_get(&r->sp, r->peers[i].name), sizeof(p->name));
		dd_strlcpy(p->client, sp_get(&r->sp, r->peers[i].client), sizeof(p->client));
		dd_strlcpy(p->state, sp_get(&r->sp, r->peers[i].state), sizeof(p->state));
		p->write_lag_s = r->peers[i].write_lag_s;
		p->flush_lag_s = r->peers[i].flush_lag_s;
		p->replay_lag_s = r->peers[i].replay_lag_s;
		p->lag_bytes = r->peers[i].lag_bytes;
	}
}

/*
 * Up, down or unknown, from the newest result, or from the router when the
 * monitor could not tell. A node none of whose probes has finished yet is
 * unknown, not down, until its probe's deadline has passed (the first
 * probe's allows for opening the connection: monitor.c job_deadline).
 */
static enum dd_node_state
node_reach(const struct dd_monitor *m, const struct mnode *nd, const struct probe_result *r,
    const struct dd_router_node_view *v, int64_t now_ns, bool *stale)
{
	*stale = !r->ran || nd->done_round < m->round;
	if (!r->ran) {
		if (v->reachable)
			return DD_NODE_UP;
		if (nd->job_round == 0 || dd_now_mono_ns() <= nd->job_deadline_ns)
			return DD_NODE_UNKNOWN;
		return DD_NODE_DOWN;
	}
	if (r->ok)
		return !*stale || now_ns - r->end_ns <= mon_down_after_ms(m) * 1000000 ||
		               v->reachable
		           ? DD_NODE_UP
		           : DD_NODE_DOWN;
	if (r->node_failure)
		return DD_NODE_DOWN;
	return v->reachable ? DD_NODE_UP : DD_NODE_DOWN;
}

static void
fill_replication(struct snap_build *b, struct dd_snap_node *sn, const struct dd_monitor *m, int i,
    const struct mcluster *cl)
{
	const struct dd_role_info *in = &m->infos[i];
	const struct dd_router_status *rs = &m->rstatus[cl->index];
	const struct dd_role_info *pin = NULL;

	sn->lag_bytes = -1;
	sn->lag_trx = -1;
	sn->receive_pos = sn->replay_pos = sn->io_thread = sn->sql_thread = sn->repl_error = "";
	if (!m->have_info[i] || in->role != DD_ROLE_REPLICA)
		return;
	if (rs->primary >= 0 && m->have_info[cl->first_node + rs->primary])
		pin = &m->infos[cl->first_node + rs->primary];
	sn->replay_paused = in->replay_paused;
	cl->eng->replication(b, sn, in, pin);
}

static void
lag_history_add(struct mnode *nd, double lag_s)
{
	if (nd->lag_hist_n == DD_SNAP_LAG_SAMPLES) {
		memmove(nd->lag_hist, nd->lag_hist + 1, sizeof(float) * (DD_SNAP_LAG_SAMPLES - 1));
		nd->lag_hist_n--;
	}
	nd->lag_hist[nd->lag_hist_n++] = (float)lag_s;
}

static void
fill_node(struct dd_monitor *m, struct snap_build *b, struct dd_snap_node *sn, int i,
    const struct outside *o, bool final, int64_t now_ns)
{
	struct mnode *nd = &m->nodes[i];
	struct mcluster *cl = nd->cl;
	const struct dd_router_node_view *v = &m->views[i];
	const struct probe_result *r = &nd->res[nd->fresh];

	sn->name = nd->name;
	sn->host = nd->host;
	sn->port = nd->port;
	sn->cluster = cl->index;
	sn->role = v->role;
	sn->read_only = v->read_only;
	sn->state = node_reach(m, nd, r, v, now_ns, &sn->stale);
	sn->reachable = sn->state == DD_NODE_UP;
	sn->last_error = snap_str(b, r->ran && !r->ok            ? r->error
	                             : sn->state == DD_NODE_DOWN ? v->last_error
	                                                         : "");
	fill_probe(b, sn, r);
	if (!r->ran)
		sn->probed_wall_ms = v->probe_wall_ms;
	sn->lag_s = v->role == DD_ROLE_REPLICA && v->lag_known ? (double)v->lag_ms / 1000.0 : NAN;
	sn->lag_note = v->role != DD_ROLE_REPLICA || v->lag_known ? "" : snap_str(b, v->lag_why);
	fill_replication(b, sn, m, i, cl);
	if (final) {
		pool_wait_interval(nd, &o->ps[i].wait_hist);
		lag_history_add(nd, sn->reachable ? sn->lag_s : NAN);
	}
	sn->pool_wait_max_interval_ns = nd->wait_max_interval_ns;
	memcpy(sn->lag_history, nd->lag_hist, sizeof(float) * (size_t)nd->lag_hist_n);
	sn->lag_history_len = nd->lag_hist_n;
	fill_pool(sn, &o->ps[i]);
	sn->breaker = o->bs[i].state;
	sn->breaker_since_wall_ms = o->bs[i].since_wall_ms;
	sn->n_breaker_history = o->nbh[i];
	memcpy(sn->breaker_history, o->bh[i], sizeof(o->bh[i][0]) * (size_t)o->nbh[i]);
	sn->in_read_set = v->in_read_set;
	sn->route_note = snap_str(b, v->why);
	sn->routed_reads = (int64_t)v->routed[DD_INTENT_READ];
	sn->routed_writes =
	    (int64_t)(v->routed[DD_INTENT_WRITE] + v->routed[DD_INTENT_TRANSACTION]);
	if (sn->state == DD_NODE_UP && sn->role == DD_ROLE_REPLICA &&
	    (isnan(sn->lag_s) || sn->lag_s * 1000.0 > (double)cl->cc->lag_max_ms))
		sn->state = DD_NODE_LAGGING;
}

/* ---- queries and statements (under m->mu) ---- */

static int
query_cmp(const void *x, const void *y)
{
	const struct dd_snap_query *a = x, *b = y;

	if (a->duration_s != b->duration_s)
		return a->duration_s > b->duration_s ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static void
fill_queries(struct dd_monitor *m, struct snap_build *b, struct dd_snapshot *s)
{
	struct dd_snap_query *out;
	int i, j, n = 0;

	for (i = 0; i < m->n_nodes; i++)
		n += m->nodes[i].res[m->nodes[i].fresh].nq;
	out = snap_alloc(b, sizeof(*out) * (size_t)(n ? n : 1));
	n = 0;
	for (i = 0; i < m->n_nodes; i++) {
		const struct probe_result *r = &m->nodes[i].res[m->nodes[i].fresh];
		for (j = 0; j < r->nq; j++) {
			const struct pquery *q = &r->q[j];
			struct dd_snap_query *x = &out[n++];
			x->cluster = m->nodes[i].cl->index;
			x->node = i;
			x->pid = q->pid;
			x->user = snap_str(b, sp_get(&r->sp, q->user));
			x->database = snap_str(b, sp_get(&r->sp, q->database));
			x->client = snap_str(b, sp_get(&r->sp, q->client));
			x->application = snap_str(b, sp_get(&r->sp, q->application));
			x->state = snap_str(b, sp_get(&r->sp, q->state));
			x->wait_event = snap_str(b, sp_get(&r->sp, q->wait_event));
			x->text = snap_strn(b, sp_get(&r->sp, q->text), q->text_len);
			x->text_len = q->text_len;
			x->started_us = q->started_us;
			x->started_wall_ms = q->started_us / 1000;
			x->text_hash = q->hash;
			x->duration_s = q->duration_s;
		}
	}
	qsort(out, (size_t)n, sizeof(*out), query_cmp);
	s->queries = out;
	s->n_queries = n;
}

static void
fill_statements(struct dd_monitor *m, struct snap_build *b, struct dd_snapshot *s)
{
	struct dd_snap_statement *out;
	int i, j, n = 0;

	for (i = 0; i < m->n_nodes; i++)
		n += m->nodes[i].stmts[m->nodes[i].stmt_fresh].n;
	out = snap_alloc(b, sizeof(*out) * (size_t)(n ? n : 1));
	n = 0;
	for (i = 0; i < m->n_nodes; i++) {
		const struct stmt_set *st = &m->nodes[i].stmts[m->nodes[i].stmt_fresh];
		for (j = 0; j < st->n; j++) {
			struct dd_snap_statement *x = &out[n++];
			x->cluster = m->nodes[i].cl->index;
			x->node = i;
			x->text = snap_str(b, sp_get(&st->sp, st->s[j].text));
			x->calls = st->s[j].calls;
			x->total_ms = st->s[j].total_ms;
			x->mean_ms = st->s[j].mean_ms;
			x->rows = st->s[j].rows;
		}
	}
	s->statements = out;
	s->n_statements = n;
}

/* ---- clusters ---- */

#define MON_BACKUP_EVERY_NS INT64_C(30000000000)

/*
 * The newest good backup of cluster c (backup_stale), from its backup
 * directory: read again at most every 30 s (the catalog reads manifests).
 * A cluster whose <backup_dir>/<cluster> does not exist is not known.
 */
static void
backup_refresh(struct dd_monitor *m, int c, int64_t now_ns)
{
	struct mcluster *cl = &m->clusters[c];
	char dir[PATH_MAX], err[256];
	struct stat st;
	int64_t newest = 0;

	if (cl->backup_read_ns && now_ns - cl->backup_read_ns < MON_BACKUP_EVERY_NS)
		return;
	cl->backup_read_ns = now_ns ? now_ns : 1;
	snprintf(dir, sizeof(dir), "%s/%s", cl->cc->backup_dir ? cl->cc->backup_dir : "", cl->name);
	cl->backup_known = cl->cc->backup_dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	if (!cl->backup_known)
		return;
	int rc = dd_backup_newest_good(cl->cc, &newest, err, sizeof(err));
	cl->backup_known = rc >= 0;
	cl->backup_newest_ms = rc == 0 ? newest : 0;
}

static void
fill_cluster(struct dd_monitor *m, struct snap_build *b, struct dd_snap_cluster *sc, int c,
    const struct outside *o)
{
	const struct mcluster *cl = &m->clusters[c];
	const struct dd_router_status *rs = &m->rstatus[c];
	int k, first;

	sc->name = cl->name;
	sc->engine = cl->engine;
	sc->first_node = cl->first_node;
	sc->n_nodes = cl->n_nodes;
	sc->topology_known = rs->rounds > 0;
	sc->primary = rs->primary >= 0 ? cl->first_node + rs->primary : -1;
	sc->n_primaries = rs->writable_primaries;
	sc->topology_note = snap_str(b, rs->why);
	sc->lag_max_s = (double)cl->cc->lag_max_ms / 1000.0;
	sc->lag_critical_s = (double)cl->cc->lag_critical_ms / 1000.0;
	sc->slow_query_ms = cl->cc->slow_query_ms;
	sc->backup_known = cl->backup_known;
	sc->backup_newest_ms = cl->backup_newest_ms;
	sc->backup_max_age_ms = cl->cc->backup_max_age_ms;
	first = o->ndec[c] > DD_SNAP_ROUTE_REASONS ? o->ndec[c] - DD_SNAP_ROUTE_REASONS : 0;
	for (k = first; k < o->ndec[c]; k++)
		sc->route_reasons[sc->n_route_reasons++] = snap_str(b, o->dec[c][k].reason);
}

/*
 * Whether the router's topology of cluster sc may not be complete yet: for
 * down_after after start, while the router has never reached a node that
 * the monitor does not know to be down, the router may only have missed
 * that node's first contact (its probe's deadline includes the connect), so
 * "no primary" would be a guess. The topology counts as not known then
 * (degraded, no no_primary alert), as a node counts as unknown.
 */
static bool
first_contacts_pending(
    const struct dd_monitor *m, const struct dd_snapshot *s, const struct dd_snap_cluster *sc)
{
	if (dd_now_mono_ns() - m->started_ns > mon_down_after_ms(m) * 1000000)
		return false;
	for (int i = sc->first_node; i < sc->first_node + sc->n_nodes; i++)
		if (m->views[i].probe_wall_ms == 0 && s->nodes[i].state != DD_NODE_DOWN)
			return true;
	return false;
}

static enum dd_health
cluster_health(const struct dd_snapshot *s, const struct dd_snap_cluster *sc)
{
	enum dd_health h = DD_HEALTH_HEALTHY;
	int i;

	if (!sc->topology_known || sc->primary < 0 || sc->n_primaries > 1 ||
	    s->nodes[sc->primary].state == DD_NODE_DOWN)
		return sc->topology_known ? DD_HEALTH_UNHEALTHY : DD_HEALTH_DEGRADED;
	for (i = sc->first_node; i < sc->first_node + sc->n_nodes; i++)
		if (s->nodes[i].state != DD_NODE_UP || s->nodes[i].breaker != DD_BREAKER_CLOSED)
			h = DD_HEALTH_DEGRADED;
	if (sc->n_alerts > 0)
		h = DD_HEALTH_DEGRADED;
	return h;
}

/* ---- alerts and events ---- */

static void
log_changes(struct dd_monitor *m, const struct dd_snapshot *s, const struct dd_alert_change *ch,
    size_t n, int64_t wall)
{
	for (size_t i = 0; i < n && i < MAX_CHANGES; i++) {
		const char *cl = ch[i].cluster >= 0 ? s->clusters[ch[i].cluster].name : "";
		const char *nd = ch[i].node >= 0 ? s->nodes[ch[i].node].name : "";
		dd_event_log_add(
		    m->events, ch[i].kind, ch[i].severity, wall, cl, nd, ch[i].message);
	}
}

static void
fill_alerts(
    struct dd_monitor *m, struct snap_build *b, struct dd_snapshot *s, struct dd_snap_cluster *cls)
{
	size_t n = dd_alerts_count(m->alerts), i;
	struct dd_alert_active *act = xcalloc(n ? n : 1, sizeof(*act));
	struct dd_snap_alert *out;

	n = dd_alerts_active(m->alerts, act, n);
	out = snap_alloc(b, sizeof(*out) * (n ? n : 1));
	for (i = 0; i < n; i++) {
		out[i].severity = act[i].severity;
		out[i].cluster = act[i].cluster >= 0 ? s->clusters[act[i].cluster].name : "";
		out[i].node = act[i].node >= 0 ? s->nodes[act[i].node].name : "";
		out[i].rule = dd_alert_rule_name(act[i].rule);
		out[i].message = snap_str(b, act[i].message);
		out[i].since_wall_ms = act[i].since_wall_ms;
		if (act[i].cluster >= 0)
			cls[act[i].cluster].n_alerts++;
	}
	free(act);
	s->alerts = out;
	s->n_alerts = (int)n;
}

static void
fill_events(struct dd_monitor *m, struct snap_build *b, struct dd_snapshot *s, struct dd_event *ev)
{
	size_t n = dd_event_log_copy(m->events, ev, DD_SNAP_EVENTS);
	struct dd_snap_event *out = snap_alloc(b, sizeof(*out) * (n ? n : 1));

	for (size_t i = 0; i < n; i++) {
		out[i].kind = ev[i].kind;
		out[i].severity = ev[i].severity;
		out[i].wall_ms = ev[i].wall_ms;
		out[i].cluster = snap_str(b, ev[i].cluster);
		out[i].node = snap_str(b, ev[i].node);
		out[i].message = snap_str(b, ev[i].message);
	}
	s->events = out;
	s->n_events = (int)n;
}

static void
publish(struct dd_monitor *m, const struct dd_snapshot *s)
{
	const struct dd_snapshot *old;

	pthread_mutex_lock(&m->snap_mu);
	old = m->current;
	m->current = s;
	pthread_mutex_unlock(&m->snap_mu);
	dd_snapshot_unref(old);
	mon_wake(m);
}

/* The builder's scratch space, made once: no big allocation per refresh. */
void
mon_build_init(struct dd_monitor *m)
{
	struct outside *o = xcalloc(1, sizeof(*o));
	size_t nn = (size_t)m->n_nodes, nc = (size_t)m->n_clusters;

	m->outside = o;
	o->ev = xcalloc(DD_SNAP_EVENTS, sizeof(*o->ev));
	o->ps = xcalloc(nn, sizeof(*o->ps));
	o->bs = xcalloc(nn, sizeof(*o->bs));
	o->bh = xcalloc(nn, sizeof(*o->bh));
	o->nbh = xcalloc(nn, sizeof(*o->nbh));
	o->dec = xcalloc(nc, sizeof(*o->dec));
	o->ndec = xcalloc(nc, sizeof(*o->ndec));
}

void
mon_build_free(struct dd_monitor *m)
{
	struct outside *o = m->outside;

	if (o == NULL)
		return;
	free(o->ev);
	free(o->ps);
	free(o->bs);
	free(o->bh);
	free(o->nbh);
	free(o->dec);
	free(o->ndec);
	free(o);
	m->outside = NULL;
}

/* Each cluster's schema health, from the schema prober's newest round (schema.h). */
static void
fill_schema(struct dd_monitor *m, struct snap_build *b, struct dd_snap_cluster *cls)
{
	const struct dd_schema_result *r = dd_schema_current(m->schema);
	struct dd_schema_summary sum;

	for (int i = 0; i < m->n_clusters; i++) {
		dd_schema_summarize(r, cls[i].name, &sum);
		cls[i].schema_known = sum.known;
		cls[i].schema_ok = sum.ok;
		cls[i].schema_crit = sum.counts[DD_SEV_CRIT];
		cls[i].schema_warn = sum.counts[DD_SEV_WARN];
		cls[i].schema_worst = snap_str(b, sum.worst);
	}
	dd_schema_unref(r);
}

static void
build_body(struct dd_monitor *m, struct snap_build *b, struct outside *o, bool final)
{
	struct dd_snapshot *s = snap_build_snapshot(b);
	struct dd_snap_cluster *cls = snap_alloc(b, sizeof(*cls) * (size_t)m->n_clusters);
	struct dd_snap_node *nodes = snap_alloc(b, sizeof(*nodes) * (size_t)m->n_nodes);
	struct dd_alert_change ch[MAX_CHANGES];
	int64_t now_ns = m->clock.mono_ns(m->clock.ctx);
	size_t nch;
	int i;

	s->generated_wall_ms = m->clock.wall_ms(m->clock.ctx);
	s->refresh_ms = mon_refresh_ms(m);
	s->paused = mon_paused(m);
	s->clusters = cls;
	s->n_clusters = m->n_clusters;
	s->nodes = nodes;
	s->n_nodes = m->n_nodes;
	for (i = 0; i < m->n_clusters; i++) {
		backup_refresh(m, i, now_ns);
		fill_cluster(m, b, &cls[i], i, o);
	}
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < m->n_nodes; i++)
		fill_node(m, b, &nodes[i], i, o, final, now_ns);
	fill_queries(m, b, s);
	fill_statements(m, b, s);
	pthread_mutex_unlock(&m->mu);
	mon_patroni_fill(m, b, cls, nodes);
	for (i = 0; i < m->n_clusters; i++)
		cls[i].topology_known &= !first_contacts_pending(m, s, &cls[i]);
	fill_schema(m, b, cls);
	nch = dd_alerts_eval(m->alerts, s, m->th, ch, MAX_CHANGES);
	log_changes(m, s, ch, nch, s->generated_wall_ms);
	fill_alerts(m, b, s, cls);
	fill_events(m, b, s, o->ev);
	s->health = DD_HEALTH_HEALTHY;
	for (i = 0; i < m->n_clusters; i++) {
		cls[i].health = cluster_health(s, &cls[i]);
		if (cls[i].health > s->health)
			s->health = cls[i].health;
	}
}

void
mon_build_publish(struct dd_monitor *m, bool final)
{
	struct outside *o = m->outside;
	struct snap_build *b;

	pthread_mutex_lock(&m->build_mu);
	gather(m, o);
	b = snap_build_new();
	build_body(m, b, o, final);
	snap_build_snapshot(b)->seq = ++m->seq;
	publish(m, snap_build_finish(b));
	pthread_mutex_unlock(&m->build_mu);
}
