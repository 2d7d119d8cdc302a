/*
 * patroni_json.c: Patroni's GET /cluster answer as a struct (patroni.h).
 * Pure: no network, no clock. Every field Patroni may leave out has a
 * "not given" value; a reply that is not the shape Patroni documents
 * (not JSON, no members array, a member without a name or role) is an
 * error with a reason, never a half-read view.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/patroni.h"
#include "util/util.h"

static void
copy_str(json_t *obj, const char *key, char *dst, size_t len)
{
	json_t *v = json_object_get(obj, key);

	dst[0] = '\0';
	if (json_is_string(v))
		dd_strlcpy(dst, json_string_value(v), len);
}

static int64_t
get_int(json_t *obj, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static int
parse_member(json_t *m, size_t i, struct dd_patroni_member *out, char *err, size_t errlen)
{
	json_t *port, *pr;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(m)) {
		dd_seterr(err, errlen, "member %zu is not an object", i + 1);
		return -1;
	}
	copy_str(m, "name", out->name, sizeof(out->name));
	copy_str(m, "role", out->role, sizeof(out->role));
	if (!out->name[0] || !out->role[0]) {
		dd_seterr(err, errlen, "member %zu has no name or no role", i + 1);
		return -1;
	}
	copy_str(m, "state", out->state, sizeof(out->state));
	copy_str(m, "host", out->host, sizeof(out->host));
	copy_str(m, "api_url", out->api_url, sizeof(out->api_url));
	port = json_object_get(m, "port");
	out->port = json_is_integer(port) ? (int)json_integer_value(port) : 0;
	out->timeline = get_int(m, "timeline", -1);
	out->lag = get_int(m, "lag", -1); /* "unknown" is a string: -1 */
	pr = json_object_get(m, "pending_restart");
	out->pending_restart = json_is_true(pr);
	out->dcs_last_seen = -1;
	return 0;
}

static void
parse_schedule(json_t *root, struct dd_patroni_view *out)
{
	json_t *s = json_object_get(root, "scheduled_switchover");

	if (!json_is_object(s))
		return;
	out->scheduled = true;
	copy_str(s, "at", out->scheduled_at, sizeof(out->scheduled_at));
	copy_str(s, "from", out->scheduled_from, sizeof(out->scheduled_from));
	copy_str(s, "to", out->scheduled_to, sizeof(out->scheduled_to));
}

static int
parse_root(json_t *root, struct dd_patroni_view *out, char *err, size_t errlen)
{
	json_t *members = json_object_get(root, "members");
	size_t n;

	if (!json_is_object(root)) {
		dd_seterr(err, errlen, "the answer is not a JSON object");
		return -1;
	}
	if (!json_is_array(members)) {
		dd_seterr(err, errlen, "the answer has no \"members\" array");
		return -1;
	}
	n = json_array_size(members);
	if (n > DD_PATRONI_MAX_MEMBERS) {
		dd_seterr(
		    err, errlen, "%zu members (at most %d are read)", n, DD_PATRONI_MAX_MEMBERS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct dd_patroni_member *m = &out->members[i];
		if (parse_member(json_array_get(members, i), i, m, err, errlen) != 0)
			return -1;
		out->n_members++;
		if (strcmp(m->role, "leader") == 0 || strcmp(m->role, "standby_leader") == 0) {
			dd_strlcpy(out->leader, m->name, sizeof(out->leader));
			out->timeline = m->timeline;
		}
	}
	out->paused = json_is_true(json_object_get(root, "pause"));
	parse_schedule(root, out);
	return 0;
}

int
dd_patroni_parse_cluster(
    const char *json, size_t len, struct dd_patroni_view *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	out->timeline = -1;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		dd_seterr(err, errlen, "not JSON: %.80s (line %d, column %d)", je.text, je.line,
		    je.column);
		return -1;
	}
	rc = parse_root(root, out, err, errlen);
	json_decref(root);
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		out->timeline = -1;
	}
	return rc;
}

int
dd_patroni_parse_agent(
    const char *json, size_t len, struct dd_patroni_agent *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);

	memset(out, 0, sizeof(*out));
	out->dcs_last_seen = -1;
	if (!json_is_object(root)) {
		dd_seterr(err, errlen, "GET /patroni: not a JSON object");
		json_decref(root);
		return -1;
	}
	copy_str(root, "state", out->state, sizeof(out->state));
	out->pending_restart = json_is_true(json_object_get(root, "pending_restart"));
	out->dcs_last_seen = get_int(root, "dcs_last_seen", -1);
	json_decref(root);
	return 0;
}

const struct dd_patroni_member *
dd_patroni_member(const struct dd_patroni_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_members; i++)
		if (strcmp(v->members[i].name, name) == 0)
			return &v->members[i];
	return NULL;
}

int
dd_patroni_split_urls(const char *value, char urls[][256], int max, char *err, size_t errlen)
{
	int n = 0;
	const char *s = value ? value : "";

	while (*s) {
		size_t len = strcspn(s, ", \t");
		if (len == 0) {
			s++;
			continue;
		}
		if (n == max || len >= 256) {
			dd_seterr(err, errlen,
			    "patroni_url: too many or too long URLs (at most %d)", max);
			return -1;
		}
		size_t keep = len;
		memcpy(urls[n], s, len);
		urls[n][len] = '\0';
		while (keep > 0 && urls[n][keep - 1] == '/')
			urls[n][--keep] = '\0';
		if (strncmp(urls[n], "http://", 7) != 0 && strncmp(urls[n], "https://", 8) != 0) {
			dd_seterr(err, errlen,
			    "patroni_url: '%.60s' is not an http:// or https:// URL", urls[n]);
			return -1;
		}
		n++;
		s += len;
	}
	return n;
}
