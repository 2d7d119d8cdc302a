/*
 * fake_snap.h: hand-made snapshots for the console's unit tests (header
 * only). Two clusters like the harness's: pg (pg1 primary, pg2, pg3) and my
 * (my1 primary, my2, my3), a few slow queries, alerts and events. Nothing is
 * reference-counted: the tests own the arrays.
 */
#ifndef DD_FAKE_SNAP_H
#define DD_FAKE_SNAP_H

#include <math.h>
#include <string.h>

#include "dbdeck/snapshot.h"

struct fake {
	struct dd_snapshot s;
	struct dd_snap_cluster clusters[2];
	struct dd_snap_node nodes[6];
	struct dd_snap_query queries[8];
	struct dd_snap_alert alerts[4];
	struct dd_snap_event events[8];
};

static void
fake_node(struct fake *f, int i, const char *name, int cluster, enum dd_role role)
{
	struct dd_snap_node *n = &f->nodes[i];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->host = "127.0.0.1";
	n->port = 5432 + i;
	n->cluster = cluster;
	n->role = role;
	n->state = DD_NODE_UP;
	n->reachable = true;
	n->last_error = "";
	n->version = "15.4";
	n->uptime_s = 3600;
	n->probed_wall_ms = 1700000000000;
	n->conn_used = 10 + i;
	n->conn_max = 100;
	n->qps = 12.5 * (i + 1);
	n->tps = 3;
	n->load_per_s = n->qps;
	n->load_kind = DD_RATE_QUERIES;
	n->cache_hit = 0.99;
	n->lag_s = role == DD_ROLE_REPLICA ? 0.2 : NAN;
	n->lag_note = "";
	n->lag_bytes = role == DD_ROLE_REPLICA ? 1024 : -1;
	n->lag_trx = -1;
	n->receive_pos = "0/3000060";
	n->replay_pos = "0/3000060";
	n->io_thread = "";
	n->sql_thread = "";
	n->repl_error = "";
	for (int k = 0; k < 20; k++)
		n->lag_history[k] = role == DD_ROLE_REPLICA ? 0.1f * (float)(k % 5) : NAN;
	n->lag_history_len = 20;
	n->pool_active = 2;
	n->pool_idle = 3;
	n->pool_max = 30;
	n->breaker = DD_BREAKER_CLOSED;
	n->in_read_set = true;
	n->route_note = "";
	n->statements_probe.ok = true;
	n->activity_probe.ok = true;
}

static void
fake_query(
    struct fake *f, int i, int node, int64_t pid, double dur, const char *user, const char *text)
{
	struct dd_snap_query *q = &f->queries[i];
	memset(q, 0, sizeof(*q));
	q->cluster = f->nodes[node].cluster;
	q->node = node;
	q->pid = pid;
	q->user = user;
	q->database = "app";
	q->client = "127.0.0.1";
	q->application = "psql";
	q->state = "active";
	q->wait_event = "";
	q->text = text;
	q->text_len = strlen(text);
	q->text_hash = (uint64_t)q->text_len * 2654435761u + (uint64_t)pid;
	q->started_wall_ms = 1700000000000 - (int64_t)(dur * 1000);
	q->started_us = q->started_wall_ms * 1000 + 123;
	q->duration_s = dur;
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	static const char *const names[] = {"pg1", "pg2", "pg3", "my1", "my2", "my3"};
	for (int i = 0; i < 6; i++)
		fake_node(f, i, names[i], i / 3, i % 3 == 0 ? DD_ROLE_PRIMARY : DD_ROLE_REPLICA);
	for (int k = 0; k < 2; k++) {
		struct dd_snap_cluster *c = &f->clusters[k];
		c->name = k == 0 ? "pg" : "my";
		c->engine = k == 0 ? DD_ENGINE_POSTGRESQL : DD_ENGINE_MARIADB;
		c->health = DD_HEALTH_HEALTHY;
		c->primary = k * 3;
		c->n_primaries = 1;
		c->topology_known = true;
		c->topology_note = "";
		c->first_node = k * 3;
		c->n_nodes = 3;
		c->lag_max_s = 2;
		c->lag_critical_s = 5;
		c->slow_query_ms = 100;
	}
	fake_query(f, 0, 0, 101, 12.0, "alice", "select pg_sleep(20)");
	fake_query(f, 1, 1, 202, 3.5, "bob", "select count(*) from orders");
	fake_query(f, 2, 4, 303, 7.25, "carol", "update stock set n = n - 1");
	f->alerts[0] = (struct dd_snap_alert){
	    DD_SEV_WARN, "pg", "pg3", "replica_lag", "lag 3s > lag_max 2s", 1700000000000};
	f->events[0] = (struct dd_snap_event){
	    DD_EVENT_NODE_UP, DD_SEV_INFO, 1699999990000, "pg", "pg2", "pg2 is up"};
	f->events[1] = (struct dd_snap_event){
	    DD_EVENT_ALERT_RAISED, DD_SEV_WARN, 1699999995000, "pg", "pg3", "replica_lag raised"};
	f->s.seq = 1;
	f->s.generated_wall_ms = 1700000000000;
	f->s.refresh_ms = 1000;
	f->s.health = DD_HEALTH_HEALTHY;
	f->s.n_clusters = 2;
	f->s.clusters = f->clusters;
	f->s.n_nodes = 6;
	f->s.nodes = f->nodes;
	f->s.n_queries = 3;
	f->s.queries = f->queries;
	f->s.n_alerts = 1;
	f->s.alerts = f->alerts;
	f->s.n_events = 2;
	f->s.events = f->events;
}

#endif
