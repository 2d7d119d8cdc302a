/*
 * fo_int.h: the failover module's private state, shared by its files.
 *
 *   fo_plan.c    dd_fo_plan_new: sessions, facts per node, the candidate,
 *                the plan's steps; the accessors
 *   fo_checks.c  the pre-checks common to both engines
 *   fo_pg.c      PostgreSQL: its facts, checks and steps (one const table)
 *   fo_my.c      MariaDB: the same
 *   fo_lock.c    the cluster lock on the servers, and who holds it
 *   fo_hook.c    fence_command / rejoin_command: argv split, run, timeout
 *   fo_run.c     the job: the steps' one transition path, rollback, outcome
 *   fo_sql.c     small SQL helpers (one value, secrets, quoting, conninfo)
 *   fo_patroni.c manager = patroni: the engine that asks Patroni instead
 */
#ifndef DD_FO_INT_H
#define DD_FO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/driver.h"
#include "dbdeck/failover.h"
#include "dbdeck/jobs.h"

#define FO_MAX_NODES  16
#define FO_MAX_CHECKS 24
#define FO_HOLDER_MAX 64

/* What a step does; the engines' tables list them in order. */
enum fo_kind {
	FO_LOCK,       /* the cluster lock on a majority of the nodes */
	FO_HOLD,       /* this process's routers hold writes */
	FO_FENCE,      /* the old primary refuses writes (over SQL) */
	FO_FENCE_HOOK, /* fence_command on the old primary */
	FO_CATCHUP,    /* the candidate has all the old primary wrote */
	FO_PROMOTE,    /* the candidate becomes the primary (no return past here) */
	FO_SLOTS,      /* PostgreSQL: the other replicas' slots on the new primary */
	FO_REPOINT,    /* one replica follows the new primary (node) */
	FO_FOLLOW,     /* routers follow the new primary; writes flow again */
	FO_DEMOTE,     /* MariaDB switchover: the old primary follows over SQL */
	FO_REJOIN,     /* rejoin_command on the old primary */
	FO_VERIFY,     /* every replica replicates from the new primary */
	FO_KINDS
};

struct fo_node {
	const struct dd_node_config *nc;
	struct dd_conn *conn; /* action session; NULL when unreachable */
	struct dd_conn *lock; /* the lock's session while held */
	bool reachable;
	char error[160]; /* why it is unreachable */
	struct dd_role_info info;
	/* upstream as the node's replication settings name it ("" none) */
	char up_host[128];
	int up_port;
	int upstream; /* node index of the upstream, -1 unknown */
	/* PostgreSQL */
	char slot[64];       /* primary_slot_name */
	char wal_status[24]; /* pg_stat_wal_receiver.status, "" when none */
	char data_dir[256];  /* data_directory */
	int major;           /* server major version */
	bool rewindable;     /* wal_log_hints or data checksums */
	/* MariaDB */
	char using_gtid[16];    /* Using_Gtid: No, Slave_Pos, Current_Pos */
	bool log_slave_updates; /* @@log_slave_updates */
	bool may_read_only;     /* the session may SET GLOBAL read_only */
	bool semi_master;       /* @@rpl_semi_sync_master_enabled */
	bool semi_slave;        /* @@rpl_semi_sync_slave_enabled */
	/* the run */
	bool repointed; /* a REPOINT / DEMOTE / REJOIN step made it follow */
};

struct fo_step {
	enum fo_kind kind;
	int node; /* the node it acts on, -1 none */
	char title[DD_JOB_TITLE_MAX];
};

struct dd_fo_plan;

/* One engine: its facts, checks, steps and the words of its manual steps. */
struct fo_engine {
	enum dd_engine engine;
	/* steps of each action, in order (FO_REPOINT stands for one per replica) */
	const enum fo_kind *seq[2];
	size_t nseq[2];
	/* what the step does, for its title: "pg_promote", "STOP SLAVE; RESET SLAVE ALL" */
	const char *how[FO_KINDS];
	/* extra facts of one reachable node (after dd_conn_probe_role) */
	int (*inspect)(struct dd_fo_plan *p, struct fo_node *n, int64_t deadline);
	/* the engine's pre-checks, appended to the plan's */
	void (*checks)(struct dd_fo_plan *p);
	/*
	 * Run before writes are held (NULL: nothing): lets the candidate catch up
	 * while writes still flow, so the wait after the fence is short. Best
	 * effort and bounded; changes nothing on any server.
	 */
	void (*prepare)(struct dd_fo_plan *p);
	/* the steps the engine does itself (NULL: common, in fo_run.c) */
	int (*step[FO_KINDS])(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len);
	/* undo of a step done before the promotion (NULL: nothing to undo) */
	int (*undo[FO_KINDS])(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len);
	/* run on the new primary before rejoin_command (NULL: nothing) */
	const char *before_rejoin_sql;
	/* node replicates from the new primary: 1 yes, 0 not yet, -1 error */
	int (*replicating)(struct dd_fo_plan *p, int node, char *err, size_t len);
	/* what a person runs instead of step s (appended to buf) */
	void (*manual)(const struct dd_fo_plan *p, const struct fo_step *s, char *buf, size_t len);
	/* the lock: take it (1 got, 0 held elsewhere, -1 error); read its holder */
	int (*lock_try)(
	    struct dd_conn *c, const char *cluster, int64_t deadline, char *err, size_t len);
	int (*lock_holder)(
	    struct dd_conn *c, const char *cluster, int64_t deadline, char *holder, size_t len);
};

extern const struct fo_engine fo_engine_pg;
extern const struct fo_engine fo_engine_my;
extern const struct fo_engine fo_engine_patroni; /* manager = patroni (fo_patroni.c) */

/* An engine step's answer (besides 0 done, -1 failed): refused, nothing changed. */
#define FO_STEP_REFUSED 1

struct dd_fo_plan {
	enum dd_fo_action action;
	const struct dd_config *cfg;
	const struct dd_cluster_config *cc;
	const struct fo_engine *eng;
	bool force, no_fence;
	size_t n;
	struct fo_node nodes[FO_MAX_NODES];
	int primary;   /* the old primary, -1 unknown */
	int candidate; /* -1 none */
	/* credentials (borrowed, the caller's secure memory) */
	const char *user, *password;
	const char *repl_user, *repl_password; /* NULL when no replication_credential */
	char **fence_argv, **rejoin_argv;      /* NULL when not configured */
	struct dd_router *routers[8];
	size_t n_routers;
	/* pre-checks and steps */
	struct dd_fo_check checks[FO_MAX_CHECKS];
	size_t n_checks;
	struct fo_step steps[DD_JOB_MAX_STEPS];
	size_t n_steps;
	/* the run (job thread) */
	struct dd_job *job;
	char holder[FO_HOLDER_MAX]; /* this process's lock holder text */
	uint64_t target_lsn;        /* PostgreSQL: the old primary's last position */
	uint32_t new_timeline;      /* PostgreSQL: the timeline the new primary writes */
	char target_gtid[256];      /* MariaDB: its gtid_binlog_pos at the fence */
	int locked;                 /* nodes whose lock we hold */
	bool promoted;
	bool held; /* routers hold writes */
	char manual[DD_JOB_TEXT_MAX];
	struct fo_patroni *pt; /* manager = patroni: the REST client and its view */
	char scheduled_at[32]; /* the request's --at, "" now */
	bool scheduled;        /* Patroni shows the switchover scheduled: the run ends there */
};

/* ---- fo_plan.c ---- */
/* The node's session (reopened when it broke); NULL with err when it cannot be had. */
struct dd_conn *fo_conn(struct dd_fo_plan *p, int node, char *err, size_t len);
/* Connection parameters of node i (borrowed strings), application_name app. */
void fo_params(const struct dd_fo_plan *p, int i, const char *app, struct dd_conn_params *out);
const char *fo_name(const struct dd_fo_plan *p, int node);
int64_t fo_deadline(const struct dd_fo_plan *p); /* now + switchover_timeout */

/* ---- fo_checks.c ---- */
/* Appends a check (state FAIL becomes FORCED when overridable and --force). */
void fo_check(struct dd_fo_plan *p, const char *name, enum dd_fo_check_state st, bool overridable,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fo_checks_common(struct dd_fo_plan *p);
/* The most advanced of the reachable replicas; -1 none. */
int fo_most_advanced(const struct dd_fo_plan *p);
/* Positive when node a has received more than b, 0 same, negative less. */
int fo_compare_received(const struct dd_fo_plan *p, int a, int b);

/* ---- fo_lock.c ---- */
int fo_lock_take(struct dd_fo_plan *p, char *err, size_t len); /* 0, 1 refused, -1 error */
void fo_lock_release(struct dd_fo_plan *p);
/* Pre-check: the lock is free (""), or its holder. */
void fo_lock_peek(struct dd_fo_plan *p, char *holder, size_t len);
/* the engines' halves of the lock (fo_engine.lock_try / lock_holder) */
int fo_pg_lock_try(struct dd_conn *c, const char *cluster, int64_t deadline, char *err, size_t len);
int fo_pg_lock_holder(
    struct dd_conn *c, const char *cluster, int64_t deadline, char *holder, size_t len);
int fo_my_lock_try(struct dd_conn *c, const char *cluster, int64_t deadline, char *err, size_t len);
int fo_my_lock_holder(
    struct dd_conn *c, const char *cluster, int64_t deadline, char *holder, size_t len);
/* "ddlock h=HOST p=PID u=USER t=EPOCH" for this process (at most 63 bytes). */
void fo_lock_holder_text(char *buf, size_t len);
/* "host H, pid P, operator U, since T" from a holder text. */
void fo_lock_describe(const char *holder, char *buf, size_t len);

/* ---- fo_hook.c ---- */
/* Runs hook argv for node (the new primary `primary`); 0 exit 0, -1 with err. */
int fo_hook_run(struct dd_fo_plan *p, char **argv, int node, int primary, char *err, size_t len);

/* ---- fo_sql.c ---- */
/* A driver error as one line of text (its message, else its class). */
void fo_err_from(const struct dd_db_error *e, char *err, size_t errlen);
/* One value of a one-row result into out ("" for NULL); 0 or -1 with err. */
int fo_value(struct dd_conn *c, const char *sql, int64_t deadline, char *out, size_t outlen,
    char *err, size_t errlen);
int fo_exec(struct dd_conn *c, const char *sql, int64_t deadline, char *err, size_t errlen);
/* The value at row, col of r, or dflt for SQL NULL. Borrowed from r. */
const char *fo_text(const struct dd_result *r, int row, int col, const char *dflt);
/* A statement that carries a secret: the error keeps no quoted text. */
int fo_exec_secret(struct dd_conn *c, const char *sql, int64_t deadline, char *err, size_t errlen);
/* Appends s as a SQL string literal ('...' with ' and \ doubled/escaped) to buf. */
bool fo_quote(char *buf, size_t len, const char *s, bool backslash);
/* Replaces host and port in a libpq conninfo; false when it cannot be parsed or fit. */
bool fo_conninfo_repoint(const char *in, const char *host, int port, char *out, size_t len);
/* host and port named in a conninfo ("" / 0 when absent). */
void fo_conninfo_target(const char *in, char *host, size_t hlen, int *port);

/* ---- fo_audit.c ---- */
/*
 * Words of the outcome text of a run that ended before any promotion (a
 * rollback, clean or not); fo_audit_promoted looks for them.
 */
#define FO_NOTHING_PROMOTED "nothing was promoted"
/* Words of the outcome text of a switchover only scheduled (--at): no promotion yet. */
#define FO_SCHEDULED "scheduled: Patroni switches "
struct dd_audit_record;
/* True when r is the end record of an action that promoted its target. */
bool fo_audit_promoted(const struct dd_audit_record *r);
/* ---- fo_patroni.c ---- */
/* The REST client of a manager = patroni plan (patroni_credential from the vault). */
int fo_patroni_open(struct dd_fo_plan *p, const struct dd_fo_request *req, char *err, size_t len);
void fo_patroni_close(struct dd_fo_plan *p);
/* manager = auto: refuses when a Patroni agent answers beside a node. */
void fo_patroni_detect_check(struct dd_fo_plan *p);
/* A request with --at: refused unless a switchover of a manager = patroni cluster. */
void fo_patroni_check_scheduled(struct dd_fo_plan *p);

/* ---- fo_run.c ---- */
void fo_log(struct dd_fo_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends to the text of what a person must still do. */
void fo_manual(struct dd_fo_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sleeps ms unless the job is cancelled (true when cancelled). */
bool fo_nap(struct dd_fo_plan *p, int ms);

#endif
