/*
 * patroni_json_test.c: parsing Patroni's GET /cluster answer
 * (core/patroni/patroni_json.c) and the patroni_url list, without a
 * server: a real 3.0.2 answer, a paused cluster with a scheduled
 * switchover, and malformed replies that must give a clear error.
 */
#include <string.h>

#include "dbdeck/patroni.h"
#include "tap.h"

static const char *good =
    "{\"members\": [{\"name\": \"pg1\", \"role\": \"leader\", \"state\": \"running\", "
    "\"api_url\": \"http://127.0.0.1:8008/patroni\", \"host\": \"127.0.0.1\", \"port\": 5432, "
    "\"timeline\": 3}, {\"name\": \"pg2\", \"role\": \"replica\", \"state\": \"streaming\", "
    "\"api_url\": \"http://127.0.0.1:8009/patroni\", \"host\": \"127.0.0.1\", \"port\": 5433, "
    "\"timeline\": 3, \"lag\": 16, \"pending_restart\": true}, {\"name\": \"pg3\", \"role\": "
    "\"replica\", \"state\": \"creating replica\", \"lag\": \"unknown\"}]}";

static const char *paused =
    "{\"members\": [{\"name\": \"a\", \"role\": \"replica\", \"state\": \"running\"}], "
    "\"pause\": true, \"scheduled_switchover\": {\"at\": \"2026-12-06T05:00:00+00:00\", "
    "\"from\": \"b\", \"to\": \"a\"}}";

static void
check_good(void)
{
	struct dd_patroni_view v;
	char err[200] = "";
	const struct dd_patroni_member *m;

	is_int(dd_patroni_parse_cluster(good, strlen(good), &v, err, sizeof(err)), 0, "parses");
	is_int((long long)v.n_members, 3, "three members");
	is_str(v.leader, "pg1", "leader");
	is_int(v.timeline, 3, "timeline of the leader");
	ok(!v.paused && !v.scheduled, "not paused, nothing scheduled");
	m = dd_patroni_member(&v, "pg2");
	ok(m && strcmp(m->state, "streaming") == 0 && m->lag == 16 && m->pending_restart &&
	        m->port == 5433,
	    "pg2: streaming, lag 16, pending restart, port");
	m = dd_patroni_member(&v, "pg3");
	ok(m && m->lag == -1 && m->timeline == -1 && m->port == 0 && !m->host[0],
	    "pg3: lag unknown, no timeline, no host");
	is_int(dd_patroni_member(&v, "pg1")->lag, -1, "the leader has no lag");
	ok(dd_patroni_member(&v, "nope") == NULL, "unknown member: NULL");
}

static void
check_paused(void)
{
	struct dd_patroni_view v;
	char err[200] = "";

	is_int(dd_patroni_parse_cluster(paused, strlen(paused), &v, err, sizeof(err)), 0,
	    "paused cluster parses");
	ok(v.paused, "paused");
	ok(v.scheduled && strcmp(v.scheduled_to, "a") == 0 && strcmp(v.scheduled_from, "b") == 0 &&
	        strncmp(v.scheduled_at, "2026-12-06T05", 13) == 0,
	    "scheduled switchover b -> a");
	is_str(v.leader, "", "no leader");
}

static void
bad(const char *json, const char *want, const char *name)
{
	struct dd_patroni_view v;
	char err[200] = "";
	int rc = dd_patroni_parse_cluster(json, strlen(json), &v, err, sizeof(err));

	ok(rc == -1 && strstr(err, want) != NULL && v.n_members == 0, "%s: %s", name, err);
}

static void
check_bad(void)
{
	bad("", "not JSON", "empty reply");
	bad("<html>502 Bad Gateway</html>", "not JSON", "an HTML error page");
	bad("{\"members\": [", "not JSON", "cut short");
	bad("[1,2]", "not a JSON object", "an array");
	bad("{\"state\": \"running\"}", "no \"members\" array", "GET /patroni's answer");
	bad("{\"members\": {}}", "no \"members\" array", "members not an array");
	bad("{\"members\": [42]}", "member 1 is not an object", "a number as member");
	bad("{\"members\": [{\"role\": \"leader\"}]}", "member 1 has no name",
	    "member without name");
	bad("{\"members\": [{\"name\": \"a\", \"role\": \"leader\"}, {\"name\": 7, \"role\": "
	    "\"x\"}]}",
	    "member 2 has no name", "a name that is not a string");
	bad("{\"members\": [], \"members\": []}", "not JSON", "duplicate keys");
}

static void
check_urls(void)
{
	char urls[4][256], err[200] = "";

	is_int(dd_patroni_split_urls(
	           "http://a:8008/, https://b:8008  http://c:1", urls, 4, err, sizeof(err)),
	    3, "three URLs, commas or blanks");
	is_str(urls[0], "http://a:8008", "trailing slash dropped");
	is_str(urls[2], "http://c:1", "third");
	is_int(dd_patroni_split_urls("a:8008", urls, 4, err, sizeof(err)), -1, "no scheme: error");
	ok(strstr(err, "not an http") != NULL, "says why: %s", err);
	is_int(dd_patroni_split_urls("http://a http://b http://c", urls, 2, err, sizeof(err)), -1,
	    "too many");
	is_int(dd_patroni_split_urls("", urls, 4, err, sizeof(err)), 0, "empty: none");
}

/* GET /patroni: the agent's own view (dcs_last_seen, state, pending_restart). */
static void
check_agent(void)
{
	static const char ag[] = "{\"state\": \"running\", \"role\": \"replica\", "
	                         "\"dcs_last_seen\": 1796594400, \"pending_restart\": true, "
	                         "\"patroni\": {\"version\": \"3.0.2\", \"scope\": \"pt\"}}";
	struct dd_patroni_agent a;
	char err[160];

	is_int(dd_patroni_parse_agent(ag, strlen(ag), &a, err, sizeof(err)), 0, "agent: parses");
	ok(a.dcs_last_seen == 1796594400 && a.pending_restart && strcmp(a.state, "running") == 0,
	    "agent: dcs_last_seen, pending_restart, state");
	is_int(dd_patroni_parse_agent("{\"state\": \"running\"}", 20, &a, err, sizeof(err)), 0,
	    "agent: an old Patroni without dcs_last_seen parses");
	ok(a.dcs_last_seen == -1 && !a.pending_restart, "agent: dcs_last_seen unknown (-1)");
	is_int(dd_patroni_parse_agent("[1]", 3, &a, err, sizeof(err)), -1,
	    "agent: not an object is an error");
}

int
main(void)
{
	check_agent();
	check_good();
	check_paused();
	check_bad();
	check_urls();
	return tap_done();
}
