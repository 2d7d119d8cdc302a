/*
 * serve.h: the headless front end (DESIGN.md §11, docs/serve.md) and the
 * documents it shares with the command line.
 *
 * Documents. One builder per document, used by every front end:
 *   - the status document (`dbdeck status --json` and GET /status), built
 *     from a snapshot and, per cluster, its newest good backup;
 *   - the health document (GET /health), the same snapshot's health with,
 *     per cluster and node, the checks behind it, their values and reasons;
 *   - the Prometheus exposition (GET /metrics): the core's counters
 *     (dd_core_write_prometheus) plus the families read from the snapshot.
 *
 * Server. dd_serve answers HTTP with libmicrohttpd on its own thread. Its
 * handlers never touch a database, a pool or the monitor: they copy the
 * documents last rendered by dd_serve_publish, which the owner calls from
 * its own thread after every new snapshot. So a scrape answers at once even
 * when every node hangs.
 */
#ifndef DBDECK_SERVE_H
#define DBDECK_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/snapshot.h"

/* ---- backups of the status document ---- */

/* A cluster's newest good backup (complete, not FAILED by a verify). */
struct dd_status_backup {
	bool have;             /* false: none (or backup_dir unreadable: see why) */
	char id[16];           /* the backup's id */
	int64_t taken_wall_ms; /* when it started, UTC ms */
	char why[160];         /* "" or why backup_dir could not be read */
};

/*
 * Reads the newest good backup of each cluster of s (by name, from cfg)
 * into out[0 .. s->n_clusters). Reads each cluster's backup_dir: call it
 * off the HTTP thread. out is caller-owned.
 */
void dd_status_backups_read(
    const struct dd_config *cfg, const struct dd_snapshot *s, struct dd_status_backup *out);

/*
 * The status document of s (docs/monitoring.md) as indented JSON text ending
 * in a newline: a new string the caller frees. backups: one per cluster of
 * s, or NULL (every cluster's backup then null). Every server-provided
 * string goes through the sanitizer.
 */
char *dd_status_json_text(const struct dd_snapshot *s, const struct dd_status_backup *backups);

/*
 * The health document of s (docs/serve.md) as JSON text ending in a
 * newline: a new string the caller frees. Its overall and per-cluster status
 * are the snapshot's (the same as the status document's).
 */
char *dd_health_json_text(const struct dd_snapshot *s);

/* ---- the server ---- */

struct dd_serve;

/* One line of log, without a newline (the server's own events and MHD's errors). */
typedef void (*dd_serve_log_fn)(void *ctx, const char *line);

struct dd_serve_options {
	const char *listen;            /* ADDR:PORT (dd_config_parse_listen) */
	const char *tls_cert_pem;      /* PEM contents, or NULL for plain HTTP */
	const char *tls_key_pem;       /* PEM contents; read from secure memory by the caller */
	const char *auth_user;         /* HTTP Basic user and password, or NULL for none */
	const char *auth_password;     /* both copied (as a hash, in sodium memory) */
	int max_connections;           /* > 0 */
	int per_ip_connection_limit;   /* 0 = none */
	int64_t connection_timeout_ms; /* rounded up to whole seconds, at least 1 s */
	dd_serve_log_fn log;           /* NULL: stderr */
	void *log_ctx;
};

/*
 * Binds the address and starts answering (503 on /readyz and the documents
 * until the first dd_serve_publish). The PEM strings are copied into MHD and
 * may be wiped once this returns. Returns a new server (dd_serve_free), or
 * NULL with the reason in err (bad address, port in use, TLS not built in,
 * bad key or certificate).
 */
struct dd_serve *dd_serve_new(const struct dd_serve_options *o, char *err, size_t errlen);

/*
 * Renders every document from snapshot s (borrowed for the call) and the
 * core's counters (core, borrowed for the call), then swaps them in for the
 * handlers. backups: as for dd_status_json_text. ready latches /readyz to
 * 200 once true. Call from one thread (the owner's loop).
 */
void dd_serve_publish(struct dd_serve *sv, struct dd_core *core, const struct dd_snapshot *s,
    const struct dd_status_backup *backups, bool ready);

/* Counts a configuration reload for /metrics (ok false: refused). */
void dd_serve_note_reload(struct dd_serve *sv, bool ok);

/*
 * Stops accepting, lets the connections in flight finish until deadline_ns
 * (CLOCK_MONOTONIC), then stops the server thread. Idempotent.
 */
void dd_serve_stop(struct dd_serve *sv, int64_t deadline_ns);

/* Stops (if not done, at once) and frees, wiping the credential. NULL is a no-op. */
void dd_serve_free(struct dd_serve *sv);

/*
 * Appends the snapshot's families to p (db_up, db_replication_running,
 * db_backup_age_seconds, alerts, monitor figures; docs/serve.md lists
 * them). dd_serve_publish calls it after dd_core_write_prometheus. Returns 0,
 * or -1 with the reason in dd_prom_error(p).
 */
int dd_serve_write_prometheus(
    struct dd_prom *p, const struct dd_snapshot *s, const struct dd_status_backup *backups);

#endif
