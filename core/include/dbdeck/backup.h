/*
 * backup.h: logical backups through the engines' own tools (DESIGN.md §7,
 * issue 12): take, list, verify, restore and prune.
 *
 * A backup is a directory <backup_dir>/<cluster>/<UTC time>-<id>/ holding the
 * dump as the tool wrote it (pg_dump -Fc; mariadb-dump compressed with zstd),
 * optionally encrypted with crypto_secretstream_xchacha20poly1305 under a
 * random data key wrapped by the cluster's backup_key, and manifest.json
 * (cluster, node, versions, positions, sizes, SHA-256 of the stored file,
 * per-table row estimates; the manifest ends with a SHA-256 of itself). It is
 * written as <name>.partial/ and renamed once complete and fsync'd, so a
 * directory without .partial is always whole. docs/backups.md describes the
 * format exactly (to restore without dbdeck).
 *
 * Child tools run without a shell and without a terminal; their credentials
 * reach them through an in-memory 0600 password file (a memfd), never argv
 * or the environment; their stderr is sanitized and handed to the log hook.
 *
 * Threads: each call runs on the caller's thread and blocks until done (a job
 * runner puts it on its own thread); the cancel flag and the hooks are the
 * only things shared with other threads.
 */
#ifndef DBDECK_BACKUP_H
#define DBDECK_BACKUP_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/jobs.h"
#include "dbdeck/snapshot.h"

struct dd_audit;

/* Results of the operations; what the CLI maps to exit codes 0 / 1 / 5 / 1. */
enum dd_backup_rc {
	DD_BACKUP_OK = 0,
	DD_BACKUP_FAILED = -1,    /* it ran and did not succeed (exit 1) */
	DD_BACKUP_REFUSED = -2,   /* a safety check refused it; nothing was touched (exit 5) */
	DD_BACKUP_CANCELLED = -3, /* the cancel flag was raised (exit 1) */
};

/* Where a long operation is. */
enum dd_backup_phase {
	DD_BACKUP_PHASE_DUMP,    /* reading the tool's output */
	DD_BACKUP_PHASE_HASH,    /* re-reading a stored file */
	DD_BACKUP_PHASE_RESTORE, /* feeding the restore tool */
};

struct dd_backup_progress {
	enum dd_backup_phase phase;
	uint64_t done;  /* bytes so far (dump: from the tool; hash/restore: of the stored file) */
	uint64_t total; /* what done is measured against; 0 when unknown */
	int64_t elapsed_ns;
};

/*
 * Callbacks, all optional (NULL), called on the operation's thread. log gets
 * one line at a time, already sanitized (no control characters): steps, and
 * each line of a child tool's stderr prefixed with its name. progress is
 * called at most about five times a second. cancel, when not NULL, is polled
 * at least every 200 ms: a non-zero value stops the operation cleanly (the
 * child is killed, nothing half-written is left) with DD_BACKUP_CANCELLED;
 * the value is named in the message when it is a signal number. cancelled,
 * when not NULL, is asked as well (a job runner's flag: dd_job_cancelled).
 */
struct dd_backup_hooks {
	void (*log)(void *ctx, const char *line);
	void (*progress)(void *ctx, const struct dd_backup_progress *p);
	bool (*cancelled)(void *ctx);
	void *ctx;
	const atomic_int *cancel;
};

/*
 * What every operation needs; everything is borrowed for the call.
 * user/password: the credential the tools and dbdeck's own connections use
 * (dd_backup_credential_name says which vault entry); password in secure
 * memory. key_secret: the password of the cluster's backup_key entry (secure
 * memory, key_len bytes), or NULL when the cluster has no backup_key (or the
 * operation needs no key). audit: when not NULL, the operation writes its
 * start record first (and does not start when that fails) and its end record
 * last.
 */
struct dd_backup_ctx {
	const struct dd_cluster_config *cluster;
	const char *user;
	const char *password;
	const char *key_secret;
	size_t key_len;
	struct dd_audit *audit;
	struct dd_backup_hooks hooks;
};

/*
 * The vault entry the backup actions use: the cluster's admin_credential when
 * it sets one, else its credential. Borrowed from cfg. The one place where
 * that choice is made.
 */
const char *dd_backup_credential_name(const struct dd_cluster_config *cfg);

/* ---- choosing the source node ------------------------------------------ */

/*
 * The node to dump from, given a snapshot of the cluster (one monitor round):
 * the reachable replica with the smallest known lag within lag_max, else the
 * primary. Returns the node's index in s->nodes with the reason in why
 * ("replica pg2 is up with lag 0.2 s (lag_max 60s)", "no replica is usable
 * (pg2: down; pg3: lag 75 s over lag_max 60s): the primary pg1"), or -1 when
 * no node can be used (reason in why).
 */
int dd_backup_choose_source(
    const struct dd_snapshot *s, const char *cluster, int64_t lag_max_ms, char *why, size_t whylen);

/*
 * The cluster's primary, found by asking each node over dbdeck's own
 * connection to the engine's admin database (postgres, information_schema)
 * with ctx's credential, so it works when the cluster's own database is
 * gone: the one node that says it is a writable primary. NULL with the reason
 * in why when there is none or more than one. Borrowed from ctx->cluster.
 */
const struct dd_node_config *dd_backup_find_primary(
    const struct dd_backup_ctx *ctx, char *why, size_t whylen);

/* ---- take --------------------------------------------------------------- */

struct dd_backup_result {
	char name[64];       /* directory name: 20260523T134500Z-1a2b3c4d */
	char id[16];         /* 1a2b3c4d */
	char path[PATH_MAX]; /* the finished directory */
	char node[65];
	char sha256[65];          /* of the stored dump file, hex */
	char key_fingerprint[33]; /* "" when not encrypted */
	uint64_t bytes_raw;       /* what the tool wrote */
	uint64_t bytes_stored;    /* the file on disk */
	int64_t started_wall_ms, ended_wall_ms;
};

/*
 * Dumps `node` (one of ctx->cluster's nodes; why_node says why it was chosen,
 * recorded in the manifest) into a new backup. Removes stale .partial
 * directories of killed runs first. On any failure or cancel the .partial is
 * removed and the reason is in err (it names the cause: the tool's exit and
 * last stderr line, disk full, backup_dir missing or read-only, a signal).
 * Fills *res on success.
 */
int dd_backup_take(const struct dd_backup_ctx *ctx, const struct dd_node_config *node,
    const char *why_node, struct dd_backup_result *res, char *err, size_t errlen);

/* ---- the catalog --------------------------------------------------------- */

enum dd_backup_state {
	DD_BACKUP_COMPLETE, /* renamed into place, manifest present */
	DD_BACKUP_WRITING,  /* a .partial another process is writing */
	DD_BACKUP_STALE,    /* a .partial nobody writes (a killed run): removed by the next take */
	DD_BACKUP_DAMAGED,  /* no readable manifest, or a manifest that fails its own checksum */
};

enum dd_backup_check {
	DD_CHECK_UNVERIFIED,
	DD_CHECK_VERIFIED,
	DD_CHECK_FAILED,
};

/* Why retention keeps a backup (bits of dd_backup_entry.keep). */
#define DD_KEEP_DAILY     0x01u
#define DD_KEEP_WEEKLY    0x02u
#define DD_KEEP_MONTHLY   0x04u
#define DD_KEEP_NEWEST_OK 0x08u /* the newest verified backup: never deleted */
#define DD_KEEP_WRITING   0x10u /* being written: never deleted */
#define DD_KEEP_IN_USE    0x20u /* being verified or restored right now */

struct dd_backup_entry {
	char name[64];
	char id[16];
	char path[PATH_MAX];
	enum dd_backup_state state;
	char why[160];           /* DAMAGED: what is wrong */
	int64_t started_wall_ms; /* from the manifest, else from the name */
	int64_t ended_wall_ms;   /* 0 unknown */
	char node[65];
	char engine[16];
	uint64_t bytes_stored, bytes_raw;
	char sha256[65];
	bool encrypted;
	char key_fingerprint[33];
	enum dd_backup_check check;
	int64_t checked_wall_ms; /* when check was recorded; 0 never */
	bool check_deep;
	char check_detail[160];
	unsigned keep; /* DD_KEEP_* after dd_backup_retention */
};

struct dd_backup_list {
	size_t n;
	struct dd_backup_entry *v; /* newest first */
};

/*
 * Reads <backup_dir>/<cluster>/: every backup directory and .partial, newest
 * first. A missing cluster directory is an empty list. Returns 0 with *out
 * filled (free with dd_backup_list_free), or -1 (reason in err) when the
 * directory cannot be read.
 */
int dd_backup_list(
    const struct dd_cluster_config *cluster, struct dd_backup_list *out, char *err, size_t errlen);
void dd_backup_list_free(struct dd_backup_list *l);

/*
 * The entry named by `which`: "latest" (the newest complete backup that has
 * not FAILED a verify), an id, or a directory name (any state but a .partial). Borrowed from l;
 * NULL when none matches (reason in err).
 */
const struct dd_backup_entry *dd_backup_find(
    const struct dd_backup_list *l, const char *which, char *err, size_t errlen);

/*
 * The start time of the cluster's newest good backup (complete, not FAILED by
 * a verify) into *wall_ms: for the backup_stale alert and
 * db_backup_age_seconds. Returns 0, 1 when there is none, -1 when backup_dir
 * cannot be read (reason in err).
 */
int dd_backup_newest_good(
    const struct dd_cluster_config *cluster, int64_t *wall_ms, char *err, size_t errlen);

/* "unverified", "verified", "FAILED". Static storage. */
const char *dd_backup_check_name(enum dd_backup_check c);
/* "complete", "writing", "stale", "damaged". Static storage. */
const char *dd_backup_state_name(enum dd_backup_state s);
/* The reasons of `keep` as text ("daily 2026-05-23, weekly 2026-W21"), into buf. */
void dd_backup_keep_text(const struct dd_backup_entry *e, char *buf, size_t len);

/* ---- retention (pure) ---------------------------------------------------- */

/*
 * Grandfather-father-son over l (newest first): for each of the `daily` most
 * recent UTC days that have a good backup, its newest one is kept; likewise
 * ISO weeks (`weekly`) and months (`monthly`). Good = complete and not FAILED.
 * Never dropped whatever the counts: the newest verified backup, backups being
 * written. Sets each entry's keep bits (0 = to delete). Pure: no I/O.
 */
void dd_backup_retention(struct dd_backup_list *l, const struct dd_retention *r);

/* ---- verify, restore, prune ---------------------------------------------- */

/*
 * Re-reads the backup `which` and checks it against its manifest: the
 * manifest's own checksum, the cluster, the dump's size and SHA-256. With
 * deep, also decrypts and decompresses it (the key is checked), restores it
 * into a scratch database on the cluster's verify_target (REFUSED when that
 * is unset), compares each table's row count with the manifest's estimate,
 * and drops the scratch database whatever happens. Records the result beside
 * the backup (shown by dd_backup_list). The reason of a failure names the
 * file and what is wrong.
 */
int dd_backup_verify(
    const struct dd_backup_ctx *ctx, const char *which, bool deep, char *err, size_t errlen);

struct dd_restore_opts {
	const char *which;                    /* backup id, name or "latest" */
	const char *into;                     /* target database: see dd_backup_db_name_valid */
	bool replace;                         /* an existing target is dropped and restored over */
	const struct dd_node_config *primary; /* where to restore */
	/*
	 * Called once the backup has passed its checks and the target is known,
	 * before anything is touched: returns true to go on. NULL = go on. The
	 * entry tells the backup's time; into_exists whether the target exists.
	 */
	bool (*confirm)(
	    void *ctx, const struct dd_backup_entry *e, const char *into, bool into_exists);
	void *confirm_ctx;
};

/*
 * Restores a backup into a database on the primary. Checks first (nothing
 * touched, REFUSED): the manifest, the cluster, the engine, the SHA-256 of
 * the whole file, the key of an encrypted backup, the target (an existing
 * database without replace; a system database). Then creates the target with
 * the source's encoding and streams the dump into the engine's restore tool
 * (pg_restore --single-transaction / mariadb), hashing it again on the way;
 * a failed restore drops the database it created.
 */
int dd_backup_restore(
    const struct dd_backup_ctx *ctx, const struct dd_restore_opts *o, char *err, size_t errlen);

/* A database name dbdeck restores into: 1..63 of [A-Za-z0-9_], not starting with a digit. */
bool dd_backup_db_name_valid(const char *name);

/*
 * Applies the cluster's retention: deletes every complete or damaged backup
 * that dd_backup_retention does not keep, unless dry_run. Calls report once
 * per backup with what happens to it (kept and why, or deleted). Returns OK,
 * or FAILED when the catalog cannot be read or a deletion fails (the others
 * are still done).
 */
int dd_backup_prune(const struct dd_backup_ctx *ctx, bool dry_run,
    void (*report)(void *rctx, const struct dd_backup_entry *e, bool deleted), void *rctx,
    char *err, size_t errlen);

/* ---- as jobs of the runner (jobs.h): the console and the command line ------ */

struct dd_jobs;
struct dd_job;

enum dd_backup_action {
	DD_BACKUP_ACT_TAKE,
	DD_BACKUP_ACT_VERIFY,
	DD_BACKUP_ACT_RESTORE,
	DD_BACKUP_ACT_PRUNE,
};

/*
 * One action for dd_backup_submit. ctx: cluster, credential and key as for
 * the direct calls (borrowed: they must outlive the job). Its hooks get the
 * operation's log lines and progress too (on the job's thread), its cancel
 * flag and cancelled() stop the job as the job's own cancel does. Its audit
 * is used (the operation writes its own records, as the direct calls do)
 * only when dd_backup_submit is given no audit log; else the runner writes
 * the records. node: the source of a take, the primary of a restore (NULL:
 * the job finds it, dd_backup_find_primary). A restore job asks through
 * confirm when set (on the job's thread), else not at all: the caller asked
 * before submitting. The out-pointers (result, report's rctx, confirm_ctx)
 * are the caller's and must outlive the job.
 */
struct dd_backup_job {
	enum dd_backup_action action;
	struct dd_backup_ctx ctx;
	const struct dd_node_config *node;
	char why[512];                   /* take: why this node */
	bool prune_after;                /* take: apply the retention after a good backup */
	struct dd_backup_result *result; /* take: filled on success (may be NULL) */
	char which[64];                  /* verify, restore: an id, a name or "latest" */
	bool deep;                       /* verify */
	char into[64];                   /* restore */
	bool replace;                    /* restore */
	bool (*confirm)(void *ctx, const struct dd_backup_entry *e, const char *into,
	    bool into_exists); /* restore (may be NULL) */
	void *confirm_ctx;
	bool dry_run;                                                              /* prune */
	void (*report)(void *rctx, const struct dd_backup_entry *e, bool deleted); /* prune */
	void *rctx;
};

/* The dd_backup_rc of a finished backup job's outcome. */
int dd_backup_job_rc(enum dd_job_outcome o);

/*
 * Queues the action on runner as a job of kind "backup", "verify",
 * "restore" or "prune", exclusive per cluster, with its plan (take: dump
 * NODE [, apply the retention]; verify: re-read [, restore a scratch copy];
 * restore: check, restore into DATABASE; prune: apply the retention),
 * audited by the runner when audit is not NULL (else see above). The
 * job's outcome follows the result (done, failed, refused, cancelled), its
 * log gets the hooks' lines, its steps the progress. a is copied. Returns
 * DD_JOBS_OK with *out (may be NULL; dd_job_unref) or a dd_jobs_result with
 * the reason in err.
 */
int dd_backup_submit(struct dd_jobs *runner, const struct dd_backup_job *a, struct dd_audit *audit,
    struct dd_job **out, char *err, size_t errlen);

#endif
