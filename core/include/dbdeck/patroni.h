/*
 * patroni.h: reading and driving Patroni, the HA manager of a cluster with
 * `manager = patroni` (issue 16, docs/patroni.md).
 *
 * What it is for. dd_patroni_parse_cluster turns the JSON of Patroni's
 * `GET /cluster` into a plain struct (pure: no network). A client
 * (struct dd_patroni) talks to the agents' REST API over libcurl: every
 * call has a deadline (connect and total), tries the cluster's patroni_url
 * entries in order, and never runs on the UI thread (the callers are jobs,
 * the monitor's probe thread and the command line).
 *
 * Secrets. The Basic-auth user and password are borrowed from the caller's
 * secure memory; libcurl keeps its own copy for the life of one request.
 * They never reach an error text.
 *
 * Threads. A client is used by one thread at a time.
 */
#ifndef DBDECK_PATRONI_H
#define DBDECK_PATRONI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"

#define DD_PATRONI_MAX_MEMBERS 16
#define DD_PATRONI_NAME_MAX    64

struct dd_patroni_member {
	char name[DD_PATRONI_NAME_MAX];
	char role[24];  /* "leader", "replica", "sync_standby", "standby_leader" */
	char state[32]; /* "running", "streaming", "stopped", "starting", ... */
	char host[128]; /* "" when not given */
	int port;       /* 0 when not given */
	char api_url[256];
	int64_t timeline; /* -1 when not given */
	int64_t lag;      /* bytes behind the leader; -1 unknown or the leader */
	bool pending_restart;
	/* from the member's own agent (GET /patroni, the monitor only): when it last
	 * reached the DCS, seconds since the epoch; -1 unknown or not read */
	int64_t dcs_last_seen;
};

/* Patroni's view of one cluster, as GET /cluster answers it. */
struct dd_patroni_view {
	size_t n_members;
	struct dd_patroni_member members[DD_PATRONI_MAX_MEMBERS];
	char leader[DD_PATRONI_NAME_MAX]; /* the member with role leader, "" none */
	int64_t timeline;                 /* the leader's, -1 unknown */
	bool paused;                      /* maintenance mode */
	bool scheduled;                   /* a scheduled switchover */
	char scheduled_at[48], scheduled_from[DD_PATRONI_NAME_MAX],
	    scheduled_to[DD_PATRONI_NAME_MAX];
	char source[256]; /* the URL that answered */
};

/*
 * Parses the body of GET /cluster (len bytes, need not be terminated).
 * Returns 0 with *out filled, or -1 with a clear reason in err (not JSON,
 * no members array, a member without a name, ...). Extra members beyond
 * DD_PATRONI_MAX_MEMBERS are an error too.
 */
int dd_patroni_parse_cluster(
    const char *json, size_t len, struct dd_patroni_view *out, char *err, size_t errlen);

/* A member agent's own view, as GET /patroni answers it. */
struct dd_patroni_agent {
	char state[32];        /* "running", ... ("" not given) */
	bool pending_restart;  /* true when given true */
	int64_t dcs_last_seen; /* seconds since the epoch; -1 not given (Patroni < 2.1) */
};

/* Parses the body of GET /patroni; 0, or -1 with err when not a JSON object. Pure. */
int dd_patroni_parse_agent(
    const char *json, size_t len, struct dd_patroni_agent *out, char *err, size_t errlen);

/* The member called name, or NULL. Borrowed from v. */
const struct dd_patroni_member *dd_patroni_member(
    const struct dd_patroni_view *v, const char *name);

/*
 * Splits a patroni_url value (URLs separated by commas or blanks) into at
 * most max entries of urls (each at most 255 bytes, trailing '/' dropped).
 * Returns the count, or -1 with err when an entry is not http:// or https://.
 */
int dd_patroni_split_urls(const char *value, char urls[][256], int max, char *err, size_t errlen);

struct dd_patroni;

/*
 * A client for cluster cc's agents (cc->patroni_url, cc->patroni_tls_ca).
 * user/password: Basic auth, borrowed for the client's life, or NULL.
 * timeout_ms bounds each request (connect included). Returns 0 with *out
 * (the caller's: dd_patroni_free) or -1 with err (no or bad patroni_url).
 */
int dd_patroni_new(const struct dd_cluster_config *cc, const char *user, const char *password,
    int64_t timeout_ms, struct dd_patroni **out, char *err, size_t errlen);
void dd_patroni_free(struct dd_patroni *p);
/* The deadline of each later request (a POST /switchover answers once it is done). */
void dd_patroni_set_timeout(struct dd_patroni *p, int64_t timeout_ms);

/*
 * GET /cluster from the first agent that answers 200 with valid JSON.
 * Returns 0 or -1 with err (each URL's failure, shortened).
 */
int dd_patroni_get_cluster(
    struct dd_patroni *p, struct dd_patroni_view *out, char *err, size_t errlen);

/*
 * One request: method ("GET", "POST", "PATCH"), path ("/switchover"), body
 * (JSON or NULL). base: the agent's URL ("http://host:port", a member's
 * api_url is accepted and its path dropped) or NULL for the first of the
 * cluster's URLs that answers at all. On an HTTP answer returns 0 with
 * *status and its body in reply (sanitized to printable text, cut to
 * replylen); -1 with err when no agent answered. The next URL is tried
 * only when one could not be reached (connect refused, no such host): a
 * request that reached an agent is never repeated at another.
 */
int dd_patroni_call(struct dd_patroni *p, const char *base, const char *method, const char *path,
    const char *body, long *status, char *reply, size_t replylen, char *err, size_t errlen);

/*
 * GET /patroni from one member's agent (base: its api_url, path dropped),
 * within the client's timeout. 0 with *out, or -1 with err.
 */
int dd_patroni_get_agent(
    struct dd_patroni *p, const char *base, struct dd_patroni_agent *out, char *err, size_t errlen);

/*
 * manager = auto (not said): whether a Patroni agent answers GET /patroni
 * on port 8008 of one of cc's nodes (PostgreSQL clusters only; each node
 * bounded by timeout_ms). True with the agent's URL in where.
 */
bool dd_patroni_detect(
    const struct dd_cluster_config *cc, int64_t timeout_ms, char *where, size_t len);

/* ---- actions: maintenance mode, restart, reinitialise (jobs with audit records) ---- */

struct dd_audit;
struct dd_job;
struct dd_jobs;

enum dd_patroni_op {
	DD_PATRONI_PAUSE,             /* maintenance mode on: PATCH /config {"pause": true} */
	DD_PATRONI_RESUME,            /* maintenance mode off */
	DD_PATRONI_RESTART,           /* POST /restart on the member's agent */
	DD_PATRONI_REINIT,            /* POST /reinitialize on the member's agent (a replica) */
	DD_PATRONI_CANCEL_SWITCHOVER, /* DELETE /switchover: drop a scheduled switchover */
};

/* "pause", "resume", "restart", "reinit", "cancel-switchover". Static. */
const char *dd_patroni_op_name(enum dd_patroni_op op);
/* The op named s; -1 when none. */
int dd_patroni_op_parse(const char *s);

struct dd_patroni_action {
	const struct dd_config *cfg; /* borrowed until the job ended */
	const char *cluster;
	enum dd_patroni_op op;
	const char *node; /* restart, reinit: the member; NULL otherwise */
	/* patroni_credential: user and password stay valid until the job ended */
	dd_credential_fn get_credential;
	void *cred_ctx;
};

enum dd_patroni_err {
	DD_PATRONI_ERR_USAGE = -10,      /* unknown cluster, not manager = patroni, node missing */
	DD_PATRONI_ERR_CREDENTIAL = -11, /* patroni_credential not in the vault */
	DD_PATRONI_ERR_CONFIG = -12,     /* a bad patroni_url */
};

/*
 * Runs the action as a job on jobs (kind "patroni-pause", ..., cluster,
 * exclusive) with its audit records in audit (required). Two steps: ask
 * Patroni, then wait (switchover_timeout) until /cluster shows it done.
 * Patroni's refusals (HTTP 4xx, 503) end the job refused with Patroni's
 * reason. Returns DD_JOBS_OK with *out (a reference: dd_job_unref), a
 * dd_jobs_result, or a dd_patroni_err; err says why.
 */
int dd_patroni_action_submit(const struct dd_patroni_action *a, struct dd_jobs *jobs,
    struct dd_audit *audit, struct dd_job **out, char *err, size_t errlen);

#endif
