/*
 * failover.h: switchover and failover of a PostgreSQL or MariaDB cluster
 * (DESIGN.md §8, issue 13; the runbook is docs/switchover.md).
 *
 * Two phases. dd_fo_plan_new connects to every node of the cluster with the
 * action credential, reads what it needs (roles, positions, replication
 * settings), chooses or checks the candidate, runs the pre-checks and lays
 * out the plan: numbered steps taken from the engine's table. It changes
 * nothing; a dry run stops there. dd_fo_submit then runs the plan as a
 * core/jobs job (exclusive per cluster, with audit start and end records):
 *
 *   1. take the cluster lock: an advisory lock (PostgreSQL) / GET_LOCK
 *      (MariaDB) on a majority of the cluster's configured nodes, held on
 *      sessions of its own for the action's life; the session names its
 *      holder (host, pid, operator, since) so a loser can say who holds it
 *   2. hold writes in this process's routers (dd_router_hold_writes)
 *   3. fence the old primary (switchover: over SQL; fence_command when set)
 *   4. wait until the candidate has everything the old primary wrote
 *   5. promote the candidate
 *   6. (PostgreSQL) create the other replicas' slots on it; repoint them
 *   7. routers follow the new primary; writes flow again
 *   8. the old primary: rejoin_command (PostgreSQL; MariaDB failover), or
 *      CHANGE MASTER over SQL (MariaDB switchover); then verify that every
 *      replica replicates from the new primary
 *
 * Outcomes (the job's): done; failed (before the promotion: what was done
 * is undone, the steps show undone); incomplete (after the promotion, or
 * when the old primary could not be rejoined: the job's text spells out the
 * commands a person must still run); refused (a pre-check, or the lock held
 * by another dbdeck: nothing was changed).
 *
 * Hooks (fence_command, rejoin_command): split into argv by a simple rule
 * (dd_fo_hook_split), run without a shell, stdin /dev/null, stdout and
 * stderr into the job's log, killed at hook_timeout. The environment is
 * exactly DBDECK_ACTION, DBDECK_CLUSTER, DBDECK_NODE, DBDECK_NODE_HOST,
 * DBDECK_NODE_PORT, DBDECK_PRIMARY, DBDECK_PRIMARY_HOST,
 * DBDECK_PRIMARY_PORT and PATH; never a secret. Exit 0 means done.
 *
 * Credentials. The cluster's action credential (dd_fo_action_credential)
 * for every session; MariaDB's CHANGE MASTER also uses
 * replication_credential. Passwords stay in the caller's secure memory
 * (borrowed through get_credential), statements that carry one are built
 * in sodium_malloc memory, and neither reaches a log, the audit log, an
 * error text or the screen.
 *
 * Threads. A plan is built on the caller's thread and then belongs to the
 * job's thread; readers follow the job through jobs.h.
 */
#ifndef DBDECK_FAILOVER_H
#define DBDECK_FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"

struct dd_audit;
struct dd_job;
struct dd_jobs;
struct dd_router;
struct dd_fo_plan;

enum dd_fo_action {
	DD_FO_SWITCHOVER,
	DD_FO_FAILOVER,
};

/* "switchover", "failover". Static. */
const char *dd_fo_action_name(enum dd_fo_action a);

#define DD_FO_MSG_MAX 240

enum dd_fo_check_state {
	DD_FO_CHECK_OK,
	DD_FO_CHECK_WARN,   /* allowed, but said (e.g. no rejoin_command: incomplete) */
	DD_FO_CHECK_FAIL,   /* refuses the action */
	DD_FO_CHECK_FORCED, /* would refuse; --force overrode it */
};

/* "ok", "warn", "FAIL", "forced". Static. */
const char *dd_fo_check_state_name(enum dd_fo_check_state s);

struct dd_fo_check {
	char name[32]; /* "candidate", "streaming", "lag", "lock", ... */
	enum dd_fo_check_state state;
	bool overridable; /* --force may override it (the safe ones) */
	char message[DD_FO_MSG_MAX];
};

struct dd_fo_request {
	enum dd_fo_action action;
	const struct dd_config *cfg; /* borrowed until the plan is freed or its job ended */
	const char *cluster;
	const char *to; /* the candidate; NULL: a failover chooses the most advanced */
	bool force;     /* override the overridable pre-checks */
	bool no_fence;  /* failover without fence_command (the caller asked --yes) */
	/* The vault: user and password stay valid as long as the plan or its job. */
	dd_credential_fn get_credential;
	void *cred_ctx;
	/* Routers of this process whose writes are held during the action (borrowed). */
	struct dd_router *const *routers;
	size_t n_routers;
	int64_t connect_timeout_ms; /* per node while planning; 0 = the cluster's, at most 3 s */
	/*
	 * A switchover at this time ("2026-12-06T23:00:00Z", checked with
	 * dd_fo_parse_at) or NULL for now. manager = patroni only: Patroni runs
	 * it then (scheduled_at), and the job ends done once Patroni shows it
	 * scheduled. Elsewhere the plan refuses it (dbdeck's own runs now only).
	 */
	const char *scheduled_at;
};

/*
 * Parses an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ" (nothing else) into
 * seconds since the epoch in *out. Returns 0, or -1 with err when it is
 * malformed, not a real date, or not after now_s (seconds since the epoch).
 */
int dd_fo_parse_at(const char *s, int64_t now_s, int64_t *out, char *err, size_t errlen);

/* Errors of dd_fo_plan_new (a refusal is not one: the plan says it). */
enum dd_fo_err {
	DD_FO_OK = 0,
	DD_FO_ERR_USAGE = -1,      /* unknown cluster or node, a bad combination */
	DD_FO_ERR_CREDENTIAL = -2, /* a credential the action needs is not in the vault */
	DD_FO_ERR_CONFIG = -3,     /* a hook command that cannot be split */
};

/*
 * The vault entry actions use: the cluster's admin credential when it has
 * one, else `credential`. Borrowed from cc.
 */
const char *dd_fo_action_credential(const struct dd_cluster_config *cc);

/*
 * Plans the action: connects to every node (in parallel is not needed:
 * each connect is bounded), runs the pre-checks and lays out the steps.
 * Returns DD_FO_OK with *out (the caller's: dd_fo_plan_free, or give it to
 * dd_fo_submit), which may be refused (dd_fo_plan_refused); or a negative
 * dd_fo_err with the reason in err and *out NULL.
 */
int dd_fo_plan_new(
    const struct dd_fo_request *req, struct dd_fo_plan **out, char *err, size_t errlen);

/* Frees a plan that was not submitted (closes its sessions). NULL is a no-op. */
void dd_fo_plan_free(struct dd_fo_plan *p);

/* True when a pre-check refuses; why (may be NULL) gets the reasons. */
bool dd_fo_plan_refused(const struct dd_fo_plan *p, char *why, size_t len);
/* The pre-checks, in order. Borrowed until the plan is freed or submitted. */
size_t dd_fo_plan_checks(const struct dd_fo_plan *p, const struct dd_fo_check **out);
/* The steps' titles, in order ("promote pg2 (pg_promote)"). */
size_t dd_fo_plan_step_count(const struct dd_fo_plan *p);
const char *dd_fo_plan_step(const struct dd_fo_plan *p, size_t i);
/* Node names ("" when none). Borrowed like the checks. */
const char *dd_fo_plan_candidate(const struct dd_fo_plan *p);
const char *dd_fo_plan_old_primary(const struct dd_fo_plan *p);
enum dd_fo_action dd_fo_plan_action(const struct dd_fo_plan *p);

/*
 * Runs the plan as a job on jobs (kind "switchover" / "failover", cluster,
 * exclusive), with its audit records in audit (borrowed; required: an
 * action whose start record cannot be written does not start). Takes
 * ownership of p in every case. A refused plan runs too and ends refused,
 * so that the attempt is in the audit log. Returns DD_JOBS_OK with *out (a
 * reference: dd_job_unref), or a dd_jobs_result with err (DD_JOBS_BUSY: an
 * action of this process runs on the cluster).
 */
int dd_fo_submit(struct dd_fo_plan *p, struct dd_jobs *jobs, struct dd_audit *audit,
    struct dd_job **out, char *err, size_t errlen);

/*
 * Tells each cluster's router of core which node dbdeck promoted last and
 * when (dd_router_note_promotion), from the end records of switchovers and
 * failovers in the audit log at audit_path (missing or unreadable: nothing).
 * The routers' SPLIT-BRAIN reports then say which primary to keep where
 * the servers cannot (MariaDB). PostgreSQL compares timelines instead.
 */
void dd_fo_note_promotions(struct dd_core *core, const char *audit_path);

/* ---- the hook interface ---- */

/*
 * Splits a hook command into argv, without a shell: words are separated by
 * blanks; '...' keeps everything up to the next ' as is; "..." too, where
 * \" and \\ stand for " and \; a backslash outside quotes keeps the next
 * character. Nothing else is special ($, `, *, ;, | and the rest are plain
 * characters). Returns the word count with *argv (NULL-terminated, the
 * caller frees with dd_fo_argv_free), or -1 with the reason in err
 * (unterminated quote, empty command).
 */
int dd_fo_hook_split(const char *cmd, char ***argv, char *err, size_t errlen);
void dd_fo_argv_free(char **argv);

/* ---- the cluster lock for other actions (a restore) ---- */

struct dd_cluster_lock;

/*
 * Takes the cluster lock that a switchover or failover takes (step 1 above:
 * the same advisory lock / GET_LOCK, on a majority of cc's configured nodes,
 * sessions to cc's database with user/password, borrowed for the call), so
 * that such an action and the caller's never run together. Returns 0 with
 * *out (dd_cluster_lock_release it; closing its sessions frees the lock),
 * 1 when another dbdeck holds it (err names the holder: host, pid,
 * operator, since), 2 when too few nodes answer (on PostgreSQL the lock
 * lives in cc's database: a node where that database is gone does not
 * answer), -1 on another error (err).
 */
int dd_cluster_lock_take(const struct dd_cluster_config *cc, const char *user, const char *password,
    struct dd_cluster_lock **out, char *err, size_t errlen);
/* Releases the lock and frees l. NULL is a no-op. */
void dd_cluster_lock_release(struct dd_cluster_lock *l);

#endif
