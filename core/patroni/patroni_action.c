/*
 * patroni_action.c: maintenance mode (pause, resume), restart and
 * reinitialise of a member, and cancelling a scheduled switchover, asked
 * of Patroni as core/jobs jobs with audit records (patroni.h). The console and the command line
 * start them the same way. Each job has two steps: the request to Patroni, then a wait until
 * Patroni's /cluster shows the result. A refusal by Patroni (HTTP 4xx, or 503 with its reason) ends
 * the job refused; nothing else is tried.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/jobs.h"
#include "dbdeck/patroni.h"
#include "util/util.h"

#define ACT_TIMEOUT_MS 3000
#define ACT_POST_MS    60000 /* POST /restart answers once PostgreSQL runs again */

static const char *const op_names[] = {"pause", "resume", "restart", "reinit", "cancel-switchover"};

const char *
dd_patroni_op_name(enum dd_patroni_op op)
{
	return (unsigned)op < DD_ARRAY_LEN(op_names) ? op_names[op] : "?";
}

int
dd_patroni_op_parse(const char *s)
{
	for (size_t i = 0; i < DD_ARRAY_LEN(op_names); i++)
		if (strcmp(s, op_names[i]) == 0)
			return (int)i;
	return -1;
}

struct act {
	const struct dd_cluster_config *cc;
	enum dd_patroni_op op;
	char node[DD_PATRONI_NAME_MAX];
	struct dd_patroni *api;
	struct dd_job *job;
};

static void
act_free(void *ctx)
{
	struct act *a = ctx;

	dd_patroni_free(a->api);
	free(a);
}

static bool
nap(struct act *a, int ms)
{
	struct pollfd pfd = {.fd = dd_job_cancel_fd(a->job), .events = POLLIN};

	poll(&pfd, 1, ms);
	return dd_job_cancelled(a->job);
}

/* The member's agent (its api_url), read from /cluster. */
static int
member_base(struct act *a, char *base, size_t len, char *err, size_t errlen)
{
	struct dd_patroni_view v;
	const struct dd_patroni_member *m;

	if (dd_patroni_get_cluster(a->api, &v, err, errlen) != 0)
		return -1;
	m = dd_patroni_member(&v, a->node);
	if (m == NULL || !m->api_url[0]) {
		dd_seterr(err, errlen,
		    "%s is not a member of Patroni's cluster (or has no API URL)", a->node);
		return -1;
	}
	dd_strlcpy(base, m->api_url, len);
	char *host = strstr(base, "://"), *path = host ? strchr(host + 3, '/') : NULL;
	if (path)
		*path = '\0'; /* http://host:port/patroni: the agent is host:port */
	return 0;
}

/* Step 1: 0 asked, 1 refused by Patroni, -1 failed. */
static int
ask(struct act *a, char *err, size_t errlen)
{
	char base[256] = "", reply[300];
	const char *method = "POST", *path, *body;
	long status = 0;
	int rc;

	switch (a->op) {
	case DD_PATRONI_PAUSE:
		method = "PATCH", path = "/config", body = "{\"pause\": true}";
		break;
	case DD_PATRONI_RESUME:
		method = "PATCH", path = "/config", body = "{\"pause\": false}";
		break;
	case DD_PATRONI_RESTART: path = "/restart", body = "{}"; break;
	case DD_PATRONI_CANCEL_SWITCHOVER:
		method = "DELETE", path = "/switchover", body = NULL;
		break;
	default: path = "/reinitialize", body = "{\"force\": true}"; break;
	}
	if (a->node[0] && member_base(a, base, sizeof(base), err, errlen) != 0)
		return 1;
	dd_job_log(a->job, "%s %s%s %s", method, base, path, body ? body : "");
	dd_patroni_set_timeout(a->api, ACT_POST_MS);
	rc = dd_patroni_call(a->api, base[0] ? base : NULL, method, path, body, &status, reply,
	    sizeof(reply), err, errlen);
	dd_patroni_set_timeout(a->api, ACT_TIMEOUT_MS);
	if (rc != 0)
		return -1;
	dd_job_log(a->job, "Patroni answered %ld: %s", status, reply);
	if (status >= 200 && status < 300)
		return 0;
	dd_seterr(err, errlen, "Patroni refused (HTTP %ld): %s", status, reply);
	return status >= 400 && status < 600 ? 1 : -1;
}

/* Whether /cluster shows the action done (1), not yet (0), or cannot be read (-1). */
static int
shows_done(struct act *a, char *why, size_t len)
{
	struct dd_patroni_view v;
	const struct dd_patroni_member *m;

	if (dd_patroni_get_cluster(a->api, &v, why, len) != 0)
		return -1;
	if (a->op == DD_PATRONI_PAUSE || a->op == DD_PATRONI_RESUME) {
		bool want = a->op == DD_PATRONI_PAUSE;
		snprintf(why, len, "Patroni says %s", v.paused ? "paused" : "not paused");
		return v.paused == want;
	}
	if (a->op == DD_PATRONI_CANCEL_SWITCHOVER) {
		snprintf(
		    why, len, "Patroni shows %s", v.scheduled ? "a scheduled switchover" : "none");
		return !v.scheduled;
	}
	m = dd_patroni_member(&v, a->node);
	snprintf(why, len, "Patroni says %s is %s", a->node, m ? m->state : "not a member");
	return m && (strcmp(m->state, "running") == 0 || strcmp(m->state, "streaming") == 0) &&
	       !m->pending_restart;
}

static int
wait_done(struct act *a, char *err, size_t errlen)
{
	int64_t deadline = dd_now_mono_ns() + a->cc->switchover_timeout_ms * INT64_C(1000000);
	char why[200] = "";

	do {
		if (shows_done(a, why, sizeof(why)) == 1) {
			dd_job_log(a->job, "%s", why);
			return 0;
		}
	} while (!nap(a, 200) && dd_now_mono_ns() < deadline);
	dd_seterr(err, errlen, "not done within switchover_timeout: %s", why);
	return -1;
}

static void
act_run(struct dd_job *job, void *ctx)
{
	struct act *a = ctx;
	char err[300] = "";
	int rc;

	a->job = job;
	dd_job_step(job, 0, DD_STEP_RUNNING, NULL);
	rc = ask(a, err, sizeof(err));
	if (rc != 0) {
		dd_job_step(job, 0, DD_STEP_FAILED, "%s", err);
		dd_job_finish(job, rc == 1 ? DD_JOB_REFUSED : DD_JOB_FAILED, "%s", err);
		return;
	}
	dd_job_step(job, 0, DD_STEP_DONE, NULL);
	dd_job_step(job, 1, DD_STEP_RUNNING, NULL);
	if (wait_done(a, err, sizeof(err)) != 0) {
		dd_job_step(job, 1, DD_STEP_FAILED, "%s", err);
		dd_job_finish(job, DD_JOB_INCOMPLETE, "Patroni accepted the request, but %s", err);
		return;
	}
	dd_job_step(job, 1, DD_STEP_DONE, NULL);
	dd_job_finish(job, DD_JOB_DONE, "%s of %s%s%s done", dd_patroni_op_name(a->op), a->cc->name,
	    a->node[0] ? " member " : "", a->node);
}

static void
titles(const struct act *a, char t[2][DD_JOB_TITLE_MAX])
{
	switch (a->op) {
	case DD_PATRONI_PAUSE:
	case DD_PATRONI_RESUME:
		snprintf(t[0], DD_JOB_TITLE_MAX, "ask Patroni to %s (PATCH /config pause=%s)",
		    a->op == DD_PATRONI_PAUSE ? "pause (maintenance mode)" : "resume",
		    a->op == DD_PATRONI_PAUSE ? "true" : "false");
		snprintf(t[1], DD_JOB_TITLE_MAX, "Patroni reports the cluster %s",
		    a->op == DD_PATRONI_PAUSE ? "paused" : "managed again");
		break;
	case DD_PATRONI_CANCEL_SWITCHOVER:
		snprintf(t[0], DD_JOB_TITLE_MAX,
		    "ask Patroni to drop the scheduled switchover (DELETE /switchover)");
		snprintf(t[1], DD_JOB_TITLE_MAX, "Patroni shows no scheduled switchover");
		break;
	default:
		snprintf(t[0], DD_JOB_TITLE_MAX, "ask %.40s's agent to %s (POST %s)", a->node,
		    a->op == DD_PATRONI_RESTART ? "restart PostgreSQL" : "reinitialise it",
		    a->op == DD_PATRONI_RESTART ? "/restart" : "/reinitialize");
		snprintf(t[1], DD_JOB_TITLE_MAX, "Patroni reports %.40s running", a->node);
		break;
	}
}

static int
prepare(const struct dd_patroni_action *r, struct act *a, char *err, size_t errlen)
{
	const char *user = NULL, *password = NULL;

	a->cc = dd_config_find_cluster(r->cfg, r->cluster);
	if (a->cc == NULL || a->cc->manager != DD_MANAGER_PATRONI) {
		dd_seterr(err, errlen,
		    a->cc ? "cluster %s is not managed by Patroni (manager = patroni)"
		          : "no cluster '%s' in the configuration",
		    r->cluster);
		return DD_PATRONI_ERR_USAGE;
	}
	if ((r->op == DD_PATRONI_RESTART || r->op == DD_PATRONI_REINIT) != (r->node != NULL)) {
		dd_seterr(err, errlen, "%s %s a NODE", dd_patroni_op_name(r->op),
		    r->node ? "takes no" : "needs");
		return DD_PATRONI_ERR_USAGE;
	}
	a->op = r->op;
	dd_strlcpy(a->node, r->node ? r->node : "", sizeof(a->node));
	if (a->cc->patroni_credential &&
	    r->get_credential(r->cred_ctx, a->cc->patroni_credential, &user, &password) != 0) {
		dd_seterr(err, errlen, "patroni_credential '%s' is not in the vault",
		    a->cc->patroni_credential);
		return DD_PATRONI_ERR_CREDENTIAL;
	}
	if (dd_patroni_new(a->cc, user, password, ACT_TIMEOUT_MS, &a->api, err, errlen) != 0)
		return DD_PATRONI_ERR_CONFIG;
	return 0;
}

int
dd_patroni_action_submit(const struct dd_patroni_action *r, struct dd_jobs *jobs,
    struct dd_audit *audit, struct dd_job **out, char *err, size_t errlen)
{
	struct act *a = xcalloc(1, sizeof(*a));
	char t[2][DD_JOB_TITLE_MAX], kind[32], args[120];
	const char *steps[2] = {t[0], t[1]};
	int rc;

	*out = NULL;
	if ((rc = prepare(r, a, err, errlen)) != 0) {
		act_free(a);
		return rc;
	}
	titles(a, t);
	snprintf(kind, sizeof(kind), "patroni-%s", dd_patroni_op_name(a->op));
	snprintf(args, sizeof(args), "{\"op\":\"%s\",\"node\":\"%s\"}", dd_patroni_op_name(a->op),
	    a->node);
	struct dd_job_spec spec = {.kind = kind,
	    .cluster = a->cc->name,
	    .exclusive = true,
	    .steps = steps,
	    .n_steps = 2,
	    .run = act_run,
	    .ctx = a,
	    .ctx_free = act_free,
	    .audit = audit,
	    .audit_target = a->node[0] ? a->node : a->cc->name,
	    .audit_args = args};
	if (audit == NULL) {
		dd_seterr(err, errlen, "no audit log: an action must write its audit records");
		act_free(a);
		return DD_JOBS_AUDIT;
	}
	return dd_jobs_submit(jobs, &spec, out, err, errlen);
}
