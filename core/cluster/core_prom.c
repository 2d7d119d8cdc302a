/*
 * core_prom.c: dd_core_write_prometheus, every counter of the core in the
 * Prometheus text format through the metrics module's writer (metrics.h),
 * with the family names of DESIGN.md §10. Each family is written whole
 * (HELP, TYPE, then the samples of every cluster), as the format requires;
 * the pool and router figures are copied once per scrape before writing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/core_int.h"
#include "util/util.h"

/* What one scrape reads from one cluster. */
struct scrape {
	char *cluster;                      /* its name */
	size_t n;                           /* nodes */
	struct dd_pool_stats *st;           /* per node */
	struct dd_router_node_view *v;      /* per node */
	struct dd_histogram_snapshot qd[2]; /* read, write */
};

struct dd_core_scrape {
	struct scrape *sc;
	size_t n;
};

static void
scrape_take(struct dd_cluster *cl, struct scrape *sc)
{
	size_t i;

	sc->cluster = xstrdup(dd_cluster_name(cl));
	sc->n = cl->n;
	sc->st = xcalloc(cl->n, sizeof(*sc->st));
	sc->v = xcalloc(cl->n, sizeof(*sc->v));
	for (i = 0; i < cl->n; i++)
		dd_pool_stats(cl->pools[i], &sc->st[i]);
	dd_router_nodes(cl->router, sc->v, cl->n);
	dd_router_query_durations(cl->router, DD_INTENT_READ, &sc->qd[0]);
	dd_router_query_durations(cl->router, DD_INTENT_WRITE, &sc->qd[1]);
}

static void
scrape_free(struct scrape *sc)
{
	free(sc->cluster);
	free(sc->st);
	free(sc->v);
}

static int
pool_sizes(struct dd_prom *p, const struct scrape *sc, size_t ns)
{
	static const char *states[] = {"active", "idle", "waiting"};
	struct dd_prom_label l[3];
	size_t c, i, k;
	int rc = dd_prom_family_def(p, DD_METRIC_POOL_SIZE);

	for (c = 0; c < ns && rc == 0; c++)
		for (i = 0; i < sc[c].n && rc == 0; i++)
			for (k = 0; k < 3 && rc == 0; k++) {
				const struct dd_pool_stats *st = &sc[c].st[i];
				double v = k == 0 ? st->active : k == 1 ? st->idle : st->waiting;
				l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
				l[1] = (struct dd_prom_label){"node", sc[c].v[i].name};
				l[2] = (struct dd_prom_label){"state", states[k]};
				rc = dd_prom_sample(p, l, 3, v);
			}
	return rc;
}

static int
pool_waits(struct dd_prom *p, const struct scrape *sc, size_t ns)
{
	struct dd_prom_label l[2];
	size_t c, i;
	int rc = dd_prom_family_def(p, DD_METRIC_POOL_WAIT_TIME);

	for (c = 0; c < ns && rc == 0; c++)
		for (i = 0; i < sc[c].n && rc == 0; i++) {
			l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
			l[1] = (struct dd_prom_label){"node", sc[c].v[i].name};
			rc = dd_prom_histogram(p, l, 2, &sc[c].st[i].wait_hist);
		}
	return rc;
}

static int
pool_errors(struct dd_prom *p, const struct scrape *sc, size_t ns)
{
	struct dd_prom_label l[3];
	size_t c, i;
	int k, rc = dd_prom_family_def(p, DD_METRIC_POOL_ERRORS);

	for (c = 0; c < ns && rc == 0; c++)
		for (i = 0; i < sc[c].n && rc == 0; i++)
			for (k = 0; k < DD_POOL_ERROR__COUNT && rc == 0; k++) {
				l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
				l[1] = (struct dd_prom_label){"node", sc[c].v[i].name};
				l[2] = (struct dd_prom_label){"reason",
				    dd_pool_error_reason_name((enum dd_pool_error_reason)k)};
				rc = dd_prom_sample(p, l, 3, (double)sc[c].st[i].errors[k]);
			}
	return rc;
}

/* Lag (NaN when unknown) and health of the nodes last seen as replicas. */
static int
replicas(struct dd_prom *p, const struct scrape *sc, size_t ns, bool health)
{
	struct dd_prom_label l[2];
	size_t c, i;
	double v;
	int rc =
	    dd_prom_family_def(p, health ? DD_METRIC_REPLICA_HEALTH : DD_METRIC_REPLICATION_LAG);

	for (c = 0; c < ns && rc == 0; c++)
		for (i = 0; i < sc[c].n && rc == 0; i++) {
			const struct dd_router_node_view *nv = &sc[c].v[i];
			if (nv->role != DD_ROLE_REPLICA)
				continue;
			if (health)
				v = nv->in_read_set && nv->breaker != DD_BREAKER_OPEN ? 1 : 0;
			else
				v = nv->lag_known ? (double)nv->lag_ms / 1000.0 : NAN;
			l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
			l[1] = (struct dd_prom_label){"replica", nv->name};
			rc = dd_prom_sample(p, l, 2, v);
		}
	return rc;
}

static int
query_durations(struct dd_prom *p, const struct scrape *sc, size_t ns)
{
	static const char *types[] = {"read", "write"};
	struct dd_prom_label l[2];
	size_t c;
	int k, rc = dd_prom_family_def(p, DD_METRIC_QUERY_DURATION);

	for (c = 0; c < ns && rc == 0; c++)
		for (k = 0; k < 2 && rc == 0; k++) {
			l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
			l[1] = (struct dd_prom_label){"query_type", types[k]};
			rc = dd_prom_histogram(p, l, 2, &sc[c].qd[k]);
		}
	return rc;
}

/* Slow queries (counter) or breaker state (gauge), per node. */
static int
per_node(struct dd_prom *p, const struct scrape *sc, size_t ns, enum dd_metric m)
{
	struct dd_prom_label l[2];
	size_t c, i;
	double v;
	int rc = dd_prom_family_def(p, m);

	for (c = 0; c < ns && rc == 0; c++)
		for (i = 0; i < sc[c].n && rc == 0; i++) {
			v = m == DD_METRIC_SLOW_QUERIES ? (double)sc[c].st[i].slow_queries
			                                : (double)sc[c].v[i].breaker;
			l[0] = (struct dd_prom_label){"cluster", sc[c].cluster};
			l[1] = (struct dd_prom_label){"node", sc[c].v[i].name};
			rc = dd_prom_sample(p, l, 2, v);
		}
	return rc;
}

struct dd_core_scrape *
dd_core_scrape_take(struct dd_core *core)
{
	struct dd_core_scrape *cs = xcalloc(1, sizeof(*cs));

	cs->n = core->n;
	cs->sc = xcalloc(cs->n ? cs->n : 1, sizeof(*cs->sc));
	for (size_t i = 0; i < cs->n; i++)
		scrape_take(core->clusters[i], &cs->sc[i]);
	return cs;
}

void
dd_core_scrape_free(struct dd_core_scrape *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		scrape_free(&cs->sc[i]);
	free(cs->sc);
	free(cs);
}

int
dd_core_scrape_write(const struct dd_core_scrape *cs, struct dd_prom *p)
{
	const struct scrape *sc = cs->sc;
	size_t ns = cs->n;
	int rc = pool_sizes(p, sc, ns);

	if (rc == 0)
		rc = pool_waits(p, sc, ns);
	if (rc == 0)
		rc = pool_errors(p, sc, ns);
	if (rc == 0)
		rc = replicas(p, sc, ns, false);
	if (rc == 0)
		rc = replicas(p, sc, ns, true);
	if (rc == 0)
		rc = query_durations(p, sc, ns);
	if (rc == 0)
		rc = per_node(p, sc, ns, DD_METRIC_SLOW_QUERIES);
	if (rc == 0)
		rc = per_node(p, sc, ns, DD_METRIC_BREAKER_STATE);
	return rc == 0 ? 0 : -1;
}

int
dd_core_write_prometheus(struct dd_core *core, struct dd_prom *p)
{
	struct dd_core_scrape *cs = dd_core_scrape_take(core);
	int rc = dd_core_scrape_write(cs, p);

	dd_core_scrape_free(cs);
	return rc;
}
