/*
 * status_json.c: the status document, one builder for `dbdeck status --json`
 * and GET /status (docs/monitoring.md has the schema). It reads a snapshot
 * only, plus per cluster the newest good backup read beforehand
 * (dd_status_backups_read), so the HTTP handlers can serve a rendering of it
 * without touching a disk or a database. Every server-provided string goes
 * through the sanitizer.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/backup.h"
#include "dbdeck/serve.h"
#include "dbdeck/text.h"
#include "serve/serve_int.h"
#include "util/util.h"

#define TEXT_MAX 1024

json_t *
dd_serve_jstr(const char *s)
{
	char buf[TEXT_MAX];

	dd_text_sanitize(
	    buf, sizeof(buf), s ? s : "", s ? strlen(s) : 0, (int)sizeof(buf) - 1, DD_TEXT_UTF8);
	return json_string(buf);
}

static json_t *
jint_or_null(long long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *
json_node(const struct dd_snap_node *n)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", dd_serve_jstr(n->name));
	json_object_set_new(o, "host", dd_serve_jstr(n->host));
	json_object_set_new(o, "port", json_integer(n->port));
	json_object_set_new(o, "role", json_string(dd_role_name(n->role)));
	json_object_set_new(o, "state", json_string(dd_node_state_name(n->state)));
	json_object_set_new(o, "lag_seconds",
	    n->role == DD_ROLE_REPLICA && !isnan(n->lag_s) ? json_real(n->lag_s) : json_null());
	json_object_set_new(o, "breaker", json_string(dd_breaker_state_name(n->breaker)));
	json_object_set_new(o, "pool",
	    json_pack("{s:i, s:i, s:i, s:i}", "active", n->pool_active, "idle", n->pool_idle,
	        "waiting", n->pool_waiting, "max", n->pool_max));
	json_object_set_new(o, "connections",
	    json_pack("{s:o, s:o}", "used", jint_or_null(n->conn_used), "max",
	        jint_or_null(n->conn_max)));
	json_object_set_new(
	    o, "version", n->version && n->version[0] ? dd_serve_jstr(n->version) : json_null());
	return o;
}

/* {id, taken_at, age_seconds} at the snapshot's time, or null. */
static json_t *
json_backup(const struct dd_snapshot *s, const struct dd_status_backup *b)
{
	char at[40];
	int64_t age_ms;

	if (b == NULL || !b->have)
		return json_null();
	dd_iso_time_ms(b->taken_wall_ms, at, sizeof(at));
	age_ms = s->generated_wall_ms - b->taken_wall_ms;
	return json_pack("{s:o, s:s, s:I}", "id", dd_serve_jstr(b->id), "taken_at", at,
	    "age_seconds", (json_int_t)(age_ms > 0 ? age_ms / 1000 : 0));
}

/* manager = patroni: Patroni's view as the monitor read it (docs/patroni.md). */
static json_t *
json_patroni(const struct dd_snapshot *s, const struct dd_snap_cluster *c)
{
	json_t *o = json_object(), *members = json_array();

	json_object_set_new(o, "ok", json_boolean(c->patroni_ok));
	json_object_set_new(
	    o, "error", c->patroni_ok ? json_null() : dd_serve_jstr(c->patroni_error));
	json_object_set_new(
	    o, "leader", c->patroni_leader[0] ? dd_serve_jstr(c->patroni_leader) : json_null());
	json_object_set_new(o, "paused", json_boolean(c->patroni_paused));
	json_object_set_new(o, "timeline", jint_or_null(c->patroni_timeline));
	json_object_set_new(o, "scheduled_switchover",
	    c->patroni_scheduled_at[0]
	        ? json_pack("{s:o, s:o, s:o}", "at", dd_serve_jstr(c->patroni_scheduled_at), "from",
	              dd_serve_jstr(c->patroni_scheduled_from), "to",
	              dd_serve_jstr(c->patroni_scheduled_to))
	        : json_null());
	for (int i = c->first_node; i < c->first_node + c->n_nodes; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		if (!n->patroni_role[0])
			continue;
		json_array_append_new(members,
		    json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "name", dd_serve_jstr(n->name),
		        "role", dd_serve_jstr(n->patroni_role), "state",
		        dd_serve_jstr(n->patroni_state), "lag_bytes", jint_or_null(n->patroni_lag),
		        "pending_restart", n->patroni_pending_restart, "dcs_last_seen",
		        jint_or_null(n->patroni_dcs_last_seen)));
	}
	json_object_set_new(o, "members", members);
	return o;
}

static json_t *
json_cluster(
    const struct dd_snapshot *s, const struct dd_snap_cluster *c, const struct dd_status_backup *b)
{
	json_t *o = json_object(), *nodes = json_array();

	json_object_set_new(o, "name", dd_serve_jstr(c->name));
	json_object_set_new(o, "engine", json_string(dd_engine_name(c->engine)));
	json_object_set_new(o, "status", json_string(dd_health_name(c->health)));
	json_object_set_new(
	    o, "primary", c->primary >= 0 ? dd_serve_jstr(s->nodes[c->primary].name) : json_null());
	for (int i = c->first_node; i < c->first_node + c->n_nodes; i++)
		json_array_append_new(nodes, json_node(&s->nodes[i]));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "backup", json_backup(s, b));
	if (c->patroni)
		json_object_set_new(o, "patroni", json_patroni(s, c));
	if (c->patroni_undeclared && c->patroni_undeclared[0])
		json_object_set_new(o, "patroni_undeclared", dd_serve_jstr(c->patroni_undeclared));
	return o;
}

static json_t *
json_alert(const struct dd_snap_alert *a)
{
	json_t *o = json_object();
	char since[40];

	dd_iso_time_ms(a->since_wall_ms, since, sizeof(since));
	json_object_set_new(o, "severity", json_string(dd_severity_name(a->severity)));
	json_object_set_new(o, "cluster", a->cluster[0] ? dd_serve_jstr(a->cluster) : json_null());
	json_object_set_new(o, "node", a->node[0] ? dd_serve_jstr(a->node) : json_null());
	json_object_set_new(o, "rule", json_string(a->rule));
	json_object_set_new(o, "message", dd_serve_jstr(a->message));
	json_object_set_new(o, "since", json_string(since));
	return o;
}

char *
dd_serve_json_text(json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *out = xasprintf("%s\n", text ? text : "null");

	free(text);
	json_decref(root);
	return out;
}

char *
dd_status_json_text(const struct dd_snapshot *s, const struct dd_status_backup *backups)
{
	json_t *root = json_object(), *clusters = json_array(), *alerts = json_array();
	char at[40];

	dd_iso_time_ms(s->generated_wall_ms, at, sizeof(at));
	json_object_set_new(root, "status", json_string(dd_health_name(s->health)));
	json_object_set_new(root, "generated_at", json_string(at));
	for (int i = 0; i < s->n_clusters; i++)
		json_array_append_new(
		    clusters, json_cluster(s, &s->clusters[i], backups ? &backups[i] : NULL));
	json_object_set_new(root, "clusters", clusters);
	for (int i = 0; i < s->n_alerts; i++)
		json_array_append_new(alerts, json_alert(&s->alerts[i]));
	json_object_set_new(root, "alerts", alerts);
	return dd_serve_json_text(root);
}

void
dd_status_backups_read(
    const struct dd_config *cfg, const struct dd_snapshot *s, struct dd_status_backup *out)
{
	for (int i = 0; i < s->n_clusters; i++) {
		const struct dd_cluster_config *cc =
		    dd_config_find_cluster(cfg, s->clusters[i].name);
		struct dd_status_backup *b = &out[i];
		struct dd_backup_list l;
		const struct dd_backup_entry *e;

		memset(b, 0, sizeof(*b));
		if (cc == NULL)
			continue;
		if (dd_backup_list(cc, &l, b->why, sizeof(b->why)) != 0)
			continue;
		e = dd_backup_find(&l, "latest", NULL, 0);
		if (e != NULL) {
			b->have = true;
			dd_strlcpy(b->id, e->id, sizeof(b->id));
			b->taken_wall_ms = e->started_wall_ms;
		}
		dd_backup_list_free(&l);
	}
}
