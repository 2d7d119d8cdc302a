/*
 * fo_patroni.c: switchover and failover of a cluster managed by Patroni
 * (manager = patroni; issue 16, docs/patroni.md). dbdeck does not run its
 * own fence, promotion or repointing there: it asks Patroni (POST
 * /switchover, POST /failover) and follows what Patroni does through the
 * REST API and the servers. The plan, the cluster lock, the routers'
 * hold and follow, the steps, the outcomes and the audit records are the
 * native path's (fo_run.c): only this engine table differs.
 *
 * Also here: the check that refuses dbdeck's own switchover on a cluster
 * whose configuration does not say what manages it (manager = auto) while
 * a Patroni agent answers beside one of its nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbdeck/patroni.h"
#include "failover/fo_int.h"
#include "util/util.h"

#define PT_TIMEOUT_MS     3000
#define PT_DETECT_MS      1000
#define PT_POST_TIMEOUTMS 45000 /* Patroni answers a switchover once it is done (<= 20 s) */

struct fo_patroni {
	struct dd_patroni *api;
	struct dd_patroni_view view;
	bool have_view;
	char view_err[200];
};

int
fo_patroni_open(struct dd_fo_plan *p, const struct dd_fo_request *req, char *err, size_t errlen)
{
	const char *user = NULL, *password = NULL;
	const char *name = p->cc->patroni_credential;

	if (name && req->get_credential(req->cred_ctx, name, &user, &password) != 0) {
		dd_seterr(err, errlen, "patroni_credential '%s' is not in the vault", name);
		return DD_FO_ERR_CREDENTIAL;
	}
	p->pt = xcalloc(1, sizeof(*p->pt));
	if (dd_patroni_new(p->cc, user, password, PT_TIMEOUT_MS, &p->pt->api, err, errlen) != 0)
		return DD_FO_ERR_CONFIG;
	return DD_FO_OK;
}

void
fo_patroni_close(struct dd_fo_plan *p)
{
	if (p->pt == NULL)
		return;
	dd_patroni_free(p->pt->api);
	free(p->pt);
	p->pt = NULL;
}

static int
node_index(const struct dd_fo_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->nodes[i].nc->name, name) == 0)
			return (int)i;
	return -1;
}

static bool
member_healthy(const struct dd_patroni_member *m)
{
	return m && (strcmp(m->state, "running") == 0 || strcmp(m->state, "streaming") == 0);
}

/* Patroni's view against the servers': who leads, paused, the candidate. */
static void
pt_check_view(struct dd_fo_plan *p)
{
	const struct dd_patroni_view *v = &p->pt->view;
	const struct dd_patroni_member *lead =
	    v->leader[0] ? dd_patroni_member(v, v->leader) : NULL;
	int li = lead ? node_index(p, v->leader) : -1; /* -1: not one of dbdeck's nodes */
	bool healthy_leader = member_healthy(lead) && (li < 0 || p->nodes[li].reachable);

	if (v->paused)
		fo_check(p, "paused", DD_FO_CHECK_FAIL, true,
		    "Patroni is in maintenance mode (paused): it would not manage the change; "
		    "resume it (dbdeck patroni %s resume) or --force",
		    p->cc->name);
	else
		fo_check(
		    p, "paused", DD_FO_CHECK_OK, false, "Patroni manages the cluster (not paused)");
	if (p->action == DD_FO_SWITCHOVER && !healthy_leader)
		fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
		    "Patroni has no healthy leader%s%s%s: use failover", v->leader[0] ? " (" : "",
		    v->leader, v->leader[0] ? ": down or not running)" : "");
	else if (p->action == DD_FO_SWITCHOVER && p->primary >= 0 &&
	         strcmp(fo_name(p, p->primary), v->leader) != 0)
		fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
		    "Patroni says %s leads, but %s is the writable server: resolve it first",
		    v->leader, fo_name(p, p->primary));
	else if (p->action == DD_FO_FAILOVER && healthy_leader)
		fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
		    "Patroni's leader %s is healthy: nothing to fail over (use switchover)",
		    v->leader);
	else
		fo_check(p, "primary", DD_FO_CHECK_OK, false, "Patroni's leader: %s",
		    v->leader[0] ? v->leader : "none");
	if (p->action == DD_FO_SWITCHOVER && li >= 0)
		p->primary = li;
}

static void
pt_check_candidate(struct dd_fo_plan *p)
{
	const struct dd_patroni_member *m;

	if (p->candidate < 0) {
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false, "no replica answers");
		return;
	}
	m = dd_patroni_member(&p->pt->view, fo_name(p, p->candidate));
	if (m == NULL)
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false,
		    "%s is not a member of Patroni's cluster", fo_name(p, p->candidate));
	else if (strcmp(m->role, "leader") == 0 || p->candidate == p->primary)
		fo_check(
		    p, "candidate", DD_FO_CHECK_FAIL, false, "%s is the leader already", m->name);
	else if (!member_healthy(m))
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false, "Patroni says %s is %s", m->name,
		    m->state[0] ? m->state : "in no state");
	else
		fo_check(p, "candidate", DD_FO_CHECK_OK, false,
		    "%s is a %s replica for Patroni (%s)", m->name, m->state, m->role);
}

/* The checks of a Patroni cluster (the common ones are only nodes and lock). */
static void
pt_checks(struct dd_fo_plan *p)
{
	struct fo_patroni *pt = p->pt;

	pt->have_view =
	    dd_patroni_get_cluster(pt->api, &pt->view, pt->view_err, sizeof(pt->view_err)) == 0;
	if (!pt->have_view) {
		fo_check(p, "patroni", DD_FO_CHECK_FAIL, false, "%s", pt->view_err);
		return;
	}
	fo_check(p, "patroni", DD_FO_CHECK_OK, false,
	    "Patroni (%.80s) answers: %zu members; dbdeck asks Patroni and never promotes by "
	    "itself",
	    pt->view.source, pt->view.n_members);
	pt_check_view(p);
	pt_check_candidate(p);
}

static void
request_body(const struct dd_fo_plan *p, char *buf, size_t len)
{
	if (p->action == DD_FO_SWITCHOVER && p->scheduled_at[0])
		snprintf(buf, len,
		    "{\"leader\": \"%s\", \"candidate\": \"%s\", \"scheduled_at\": \"%s\"}",
		    fo_name(p, p->primary), fo_name(p, p->candidate), p->scheduled_at);
	else if (p->action == DD_FO_SWITCHOVER)
		snprintf(buf, len, "{\"leader\": \"%s\", \"candidate\": \"%s\"}",
		    fo_name(p, p->primary), fo_name(p, p->candidate));
	else
		snprintf(buf, len, "{\"candidate\": \"%s\"}", fo_name(p, p->candidate));
}

/* Waits until Patroni names a running leader and that server is writable. */
static int
pt_wait_leader(struct dd_fo_plan *p, char *err, size_t len)
{
	int64_t deadline = fo_deadline(p);
	char why[200] = "", v[16];

	do {
		struct dd_patroni_view view;
		const struct dd_patroni_member *m;
		if (dd_patroni_get_cluster(p->pt->api, &view, why, sizeof(why)) != 0)
			continue;
		m = view.leader[0] ? dd_patroni_member(&view, view.leader) : NULL;
		int i = m ? node_index(p, m->name) : -1;
		if (i < 0 || !member_healthy(m) || i == p->primary) {
			snprintf(why, sizeof(why), "Patroni's leader: %s", m ? m->name : "none");
			continue;
		}
		if (i != p->candidate)
			fo_log(
			    p, "Patroni chose %s instead of %s", m->name, fo_name(p, p->candidate));
		p->candidate = i;
		struct dd_conn *c = fo_conn(p, i, why, sizeof(why));
		if (c &&
		    fo_value(c, "SELECT pg_is_in_recovery()", dd_now_mono_ns() + 2000000000, v,
		        sizeof(v), why, sizeof(why)) == 0 &&
		    v[0] == 'f')
			return 0;
	} while (!fo_nap(p, 200) && dd_now_mono_ns() < deadline);
	dd_seterr(err, len, "no new writable leader within switchover_timeout (%s)", why);
	return -1;
}

/* --at: waits until /cluster shows the switchover scheduled (p->scheduled). */
static int
pt_wait_scheduled(struct dd_fo_plan *p, char *err, size_t len)
{
	int64_t deadline = fo_deadline(p);
	char why[200] = "not yet";

	do {
		struct dd_patroni_view view;
		if (dd_patroni_get_cluster(p->pt->api, &view, why, sizeof(why)) != 0)
			continue;
		if (view.scheduled) {
			fo_log(p, "Patroni shows a switchover scheduled at %s from %s to %s",
			    view.scheduled_at, view.scheduled_from[0] ? view.scheduled_from : "-",
			    view.scheduled_to[0] ? view.scheduled_to : "-");
			p->scheduled = true;
			return 0;
		}
		snprintf(why, sizeof(why), "Patroni shows no scheduled switchover");
	} while (!fo_nap(p, 200) && dd_now_mono_ns() < deadline);
	dd_seterr(err, len, "not scheduled within switchover_timeout (%s)", why);
	return -1;
}

/* After the promotion: its timeline, and the nodes the verify step waits for. */
static int
pt_after(struct dd_fo_plan *p, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, p->candidate, err, len);
	char v[16];

	if (!c || fo_value(c,
	              "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, "
	              "8))::bit(32)::bigint",
	              fo_deadline(p), v, sizeof(v), err, len) != 0)
		return -1;
	p->new_timeline = (uint32_t)strtoul(v, NULL, 10);
	fo_log(p, "%s leads on timeline %u", fo_name(p, p->candidate), p->new_timeline);
	for (size_t i = 0; i < p->n; i++) {
		bool old_gone = (int)i == p->primary && !p->nodes[i].reachable;
		p->nodes[i].repointed = (int)i != p->candidate && !old_gone;
		if (old_gone)
			fo_log(p, "%s is down: Patroni rejoins it once its agent runs again",
			    fo_name(p, (int)i));
	}
	return 0;
}

/* The promotion, delegated: POST /switchover or /failover; 1 when Patroni refused. */
static int
pt_promote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	char body[200], reply[300];
	const char *path = p->action == DD_FO_SWITCHOVER ? "/switchover" : "/failover";
	long status = 0;

	(void)s;
	request_body(p, body, sizeof(body));
	fo_log(p, "POST %s %s", path, body);
	p->promoted = !p->scheduled_at[0]; /* an answer lost on the way may hide a promotion */
	dd_patroni_set_timeout(p->pt->api, PT_POST_TIMEOUTMS);
	int rc = dd_patroni_call(
	    p->pt->api, NULL, "POST", path, body, &status, reply, sizeof(reply), err, len);
	dd_patroni_set_timeout(p->pt->api, PT_TIMEOUT_MS);
	if (rc != 0)
		return -1;
	fo_log(p, "Patroni answered %ld: %s", status, reply);
	if (status == 412 || status == 400 || status == 401 || status == 403) {
		p->promoted = false;
		dd_seterr(err, len, "Patroni refused (HTTP %ld): %s", status, reply);
		return FO_STEP_REFUSED;
	}
	if (status == 503 && strstr(reply, "failed")) {
		p->promoted = false;
		dd_seterr(err, len, "Patroni: %s (HTTP 503)", reply);
		return -1;
	}
	if (p->scheduled_at[0] && status >= 400) {
		dd_seterr(err, len, "Patroni refused (HTTP %ld): %s", status, reply);
		return FO_STEP_REFUSED;
	}
	if (p->scheduled_at[0])
		return pt_wait_scheduled(p, err, len);
	if (status != 200)
		fo_log(p, "HTTP %ld: following the cluster to see what Patroni did", status);
	if (pt_wait_leader(p, err, len) != 0)
		return -1;
	return pt_after(p, err, len);
}

static int
pt_replicating(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	return fo_engine_pg.replicating(p, node, err, len);
}

static void
pt_manual(const struct dd_fo_plan *p, const struct fo_step *s, char *buf, size_t len)
{
	switch (s->kind) {
	case FO_PROMOTE:
		snprintf(buf, len,
		    "ask Patroni: patronictl %s --candidate %s (or POST /%s to an agent), then "
		    "GET /cluster",
		    dd_fo_action_name(p->action), fo_name(p, p->candidate),
		    dd_fo_action_name(p->action));
		break;
	case FO_VERIFY:
		snprintf(buf, len,
		    "GET /cluster: every member running or streaming on the new leader's timeline; "
		    "patronictl reinit %s MEMBER for one that is not",
		    p->cc->name);
		break;
	default: snprintf(buf, len, "see docs/patroni.md"); break;
	}
}

static int
pt_inspect(struct dd_fo_plan *p, struct fo_node *n, int64_t deadline)
{
	return fo_engine_pg.inspect(p, n, deadline);
}

static const enum fo_kind pt_seq[] = {FO_LOCK, FO_HOLD, FO_PROMOTE, FO_FOLLOW, FO_VERIFY};

const struct fo_engine fo_engine_patroni = {
    .engine = DD_ENGINE_POSTGRESQL,
    .seq = {pt_seq, pt_seq},
    .nseq = {DD_ARRAY_LEN(pt_seq), DD_ARRAY_LEN(pt_seq)},
    .how = {[FO_PROMOTE] = "asked of Patroni; it fences, promotes and repoints"},
    .inspect = pt_inspect,
    .checks = pt_checks,
    .step = {[FO_PROMOTE] = pt_promote},
    .replicating = pt_replicating,
    .manual = pt_manual,
    .lock_try = fo_pg_lock_try,
    .lock_holder = fo_pg_lock_holder,
};

/* ---- manager = auto: is a Patroni agent there? ---- */

void
fo_patroni_detect_check(struct dd_fo_plan *p)
{
	char where[300];

	if (dd_patroni_detect(p->cc, PT_DETECT_MS, where, sizeof(where)))
		fo_check(p, "manager", DD_FO_CHECK_FAIL, false,
		    "a Patroni agent answers at %s: set manager = patroni (dbdeck then asks "
		    "Patroni) or manager = none in [cluster %s]",
		    where, p->cc->name);
}

void
fo_patroni_check_scheduled(struct dd_fo_plan *p)
{
	if (p->cc->manager != DD_MANAGER_PATRONI || p->action != DD_FO_SWITCHOVER)
		fo_check(p, "scheduled", DD_FO_CHECK_FAIL, false,
		    "--at needs a switchover of a cluster with manager = patroni (Patroni runs it "
		    "then); dbdeck's own switchover runs now only");
	else
		fo_check(p, "scheduled", DD_FO_CHECK_OK, false,
		    "Patroni switches over at %s; dbdeck only asks it to", p->scheduled_at);
}

/* ---- --at TIME ---- */

int
dd_fo_parse_at(const char *s, int64_t now_s, int64_t *out, char *err, size_t errlen)
{
	struct tm tm = {0}, back;
	int n = 0;

	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20) {
		dd_seterr(err, errlen,
		    "'%.40s' is not an ISO 8601 UTC time like 2026-12-06T23:00:00Z", s);
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	time_t t = timegm(&back);
	if (t == (time_t)-1 || back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon ||
	    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec) {
		dd_seterr(err, errlen, "'%.40s' is not a real time", s);
		return -1;
	}
	if ((int64_t)t <= now_s) {
		dd_seterr(err, errlen, "%.40s is in the past: a switchover is scheduled ahead", s);
		return -1;
	}
	*out = (int64_t)t;
	return 0;
}
