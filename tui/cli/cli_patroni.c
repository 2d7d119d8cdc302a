/*
 * cli_patroni.c: Patroni's view of a cluster as JSON (cli_patroni.h).
 */
#include "cli_patroni.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/patroni.h"
#include "dbdeck/text.h"

static json_t *
str(const char *s)
{
	char buf[300];

	dd_text_sanitize(buf, sizeof(buf), s, strlen(s), (int)sizeof(buf) - 1, DD_TEXT_UTF8);
	return json_string(buf);
}

static json_t *
member_json(const struct dd_patroni_member *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", str(m->name));
	json_object_set_new(o, "role", str(m->role));
	json_object_set_new(o, "state", str(m->state));
	json_object_set_new(o, "host", m->host[0] ? str(m->host) : json_null());
	json_object_set_new(o, "port", m->port ? json_integer(m->port) : json_null());
	json_object_set_new(
	    o, "timeline", m->timeline >= 0 ? json_integer(m->timeline) : json_null());
	json_object_set_new(o, "lag", m->lag >= 0 ? json_integer(m->lag) : json_null());
	json_object_set_new(o, "pending_restart", json_boolean(m->pending_restart));
	return o;
}

static json_t *
view_json(const struct dd_patroni_view *v)
{
	json_t *o = json_object(), *members = json_array(), *s = json_null();

	json_object_set_new(o, "source", str(v->source));
	json_object_set_new(o, "leader", v->leader[0] ? str(v->leader) : json_null());
	json_object_set_new(
	    o, "timeline", v->timeline >= 0 ? json_integer(v->timeline) : json_null());
	json_object_set_new(o, "paused", json_boolean(v->paused));
	if (v->scheduled) {
		s = json_object();
		json_object_set_new(s, "at", str(v->scheduled_at));
		json_object_set_new(s, "from", str(v->scheduled_from));
		json_object_set_new(s, "to", str(v->scheduled_to));
	}
	json_object_set_new(o, "scheduled_switchover", s);
	for (size_t i = 0; i < v->n_members; i++)
		json_array_append_new(members, member_json(&v->members[i]));
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "error", json_null());
	return o;
}

json_t *
cli_patroni_json(
    const struct dd_cluster_config *cc, dd_credential_fn get_credential, void *cred_ctx)
{
	const char *user = NULL, *password = NULL;
	struct dd_patroni *api = NULL;
	struct dd_patroni_view *v = calloc(1, sizeof(*v));
	char err[300] = "";
	json_t *o = NULL;

	if (v == NULL)
		return NULL;
	if (cc->patroni_credential &&
	    (get_credential == NULL ||
	        get_credential(cred_ctx, cc->patroni_credential, &user, &password) != 0))
		snprintf(err, sizeof(err), "patroni_credential '%s' is not in the vault",
		    cc->patroni_credential);
	else if (dd_patroni_new(cc, user, password, 3000, &api, err, sizeof(err)) == 0 &&
	         dd_patroni_get_cluster(api, v, err, sizeof(err)) == 0)
		o = view_json(v);
	dd_patroni_free(api);
	free(v);
	if (o == NULL) {
		o = json_object();
		json_object_set_new(o, "error", str(err));
	}
	return o;
}
