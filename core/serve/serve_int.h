/*
 * serve_int.h: what the files of the serve module share (internal): the
 * JSON helpers of the documents and the load-balancer checks.
 */
#ifndef DD_SERVE_INT_H
#define DD_SERVE_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/serve.h"

#include "dbdeck/snapshot.h"

/* A JSON string of sanitized server text (NULL counts as ""). New reference. */
json_t *dd_serve_jstr(const char *s);

/* root as indented text plus a newline; takes root's reference. New string, caller frees. */
char *dd_serve_json_text(json_t *root);

/* The node is the cluster's one writable primary, reachable and up. */
bool dd_serve_is_primary(const struct dd_snapshot *s, const struct dd_snap_node *n);

/*
 * The node is a reachable replica whose lag is known and within the
 * cluster's lag_max (with replication running: dd_serve_repl_running).
 */
bool dd_serve_is_good_replica(const struct dd_snapshot *s, const struct dd_snap_node *n);

/*
 * A replica's replication runs: reachable, lag known, and (PostgreSQL)
 * replay not paused or (MariaDB/MySQL) both threads "Yes".
 */
bool dd_serve_repl_running(const struct dd_snap_node *n);

/* One load-balancer check target: a node, and what it passes. */
struct serve_lb {
	char *cluster, *node;
	bool primary, replica;
};

/*
 * The documents the handlers serve, from one snapshot: dd_serve_publish
 * keeps the snapshot, a copy of the core's figures and the backups, and
 * builds the load-balancer checks at once (HAProxy asks every few seconds);
 * /metrics, /status and /health are rendered from those the first time one
 * is asked for (serve_docs_metrics and the like), then kept. Reference-counted
 * so a handler can read one while the next is published.
 */
struct serve_docs {
	atomic_int refs;
	pthread_mutex_t mu;               /* guards the lazy renderings below */
	const struct dd_snapshot *snap;   /* a reference */
	struct dd_core_scrape *core_figs; /* the core's figures at publish */
	struct dd_status_backup *backups; /* snap->n_clusters */
	char *metrics, *status, *health;  /* NULL until first asked for */
	size_t metrics_len, status_len, health_len;
	bool unhealthy;
	struct serve_lb *lb;
	size_t n_lb;
	double render_s; /* how long rendering /metrics took */
};

/* The rendered document (made on the first call, then kept); its length in *len. */
const char *serve_docs_metrics(struct dd_serve *sv, struct serve_docs *d, size_t *len);
const char *serve_docs_status(struct serve_docs *d, size_t *len);
const char *serve_docs_health(struct serve_docs *d, size_t *len);

struct dd_serve {
	struct MHD_Daemon *daemon;
	pthread_mutex_t mu;      /* guards docs (the pointer) */
	struct serve_docs *docs; /* NULL before the first publish */
	atomic_bool ready;
	unsigned char *auth_hash; /* sodium_malloc: BLAKE2b of "user\0password"; NULL = none */
	atomic_uint_fast64_t requests, reloads_ok, reloads_refused;
	dd_serve_log_fn log;
	void *log_ctx;
	char mhd_err[256]; /* MHD's last error message (startup) */
	bool stopped;
};

/* Logs one formatted line through the server's log function. */
void dd_serve_logf(struct dd_serve *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new reference to the current documents, or NULL before the first publish. */
struct serve_docs *dd_serve_docs_get(struct dd_serve *sv);
void dd_serve_docs_put(struct serve_docs *d);

/* The BLAKE2b hash of "user\0password" into out (crypto_generichash_BYTES). */
void dd_serve_auth_hash(
    const char *user, size_t ulen, const char *pw, size_t plen, unsigned char *out);

/* The MHD access handler (serve_routes.c); cls is the struct dd_serve. */
enum MHD_Result dd_serve_on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **req_cls);

#endif
