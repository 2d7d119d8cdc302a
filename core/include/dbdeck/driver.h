/*
 * driver.h: the engine drivers of libdbdeck. One const table per engine
 * (dd_driver_pg over libpq, dd_driver_mysql over MariaDB Connector/C, which
 * serves both DD_ENGINE_MARIADB and DD_ENGINE_MYSQL) and one opaque
 * connection type, struct dd_conn, that the pool and the router hold.
 *
 * Deadlines. Every network operation takes an absolute deadline on the
 * CLOCK_MONOTONIC scale of dd_now_mono_ns() (util.h); DD_NO_DEADLINE waits
 * forever and is for tests only. The drivers use only the engines'
 * asynchronous APIs with poll(), so a server that stops answering never holds
 * a caller past its deadline by more than a few milliseconds. When a deadline
 * passes in the middle of an exchange the connection is marked broken
 * (dd_conn_is_broken) and the error class is DD_ERR_TIMEOUT; the pool must
 * then close it. A deadline that has already passed when an operation starts
 * gives DD_ERR_TIMEOUT without touching the connection (it stays usable).
 * Host name lookup is done by the client libraries and may block: use
 * numeric addresses where a strict connect deadline matters.
 *
 * Threads. A struct dd_conn is used by one thread at a time, except
 * dd_conn_cancel() and dd_cancel_key_fire(), which are meant to be called
 * from another thread while a query runs.
 *
 * Cancel. libpq's PQcancel() blocks until the postmaster closes the cancel
 * socket, which never happens when the server is stopped. The PostgreSQL
 * driver therefore fires PQcancel on a short-lived detached thread and waits
 * for it only until the caller's deadline; a cancel thread stuck on a stopped
 * server ends by itself when the server answers or goes away, and owns
 * everything it touches (a reference on the cancel key); at most 16 such
 * threads exist at a time (beyond that a cancel fails with
 * DD_ERR_TRANSIENT). After a statement timeout the driver fires one without
 * waiting so that the server stops the abandoned work. The MariaDB/MySQL
 * driver sends `KILL QUERY <thread id>` over a second, short-lived
 * connection, itself bounded by the deadline. A query interrupted by a cancel
 * fails with DD_ERR_CANCELED (PostgreSQL) or, for MariaDB statements that
 * swallow the interruption such as SLEEP(), simply returns early.
 *
 * Secrets. dd_conn_params.password points into sodium_malloc memory and is
 * borrowed for the duration of dd_conn_open() only. The drivers never copy it
 * into ordinary heap memory or strings of their own; the MariaDB driver keeps
 * a copy in sodium_malloc memory for the cancel connection, wiped on close.
 * The client libraries' own copies are wiped as soon as the connection is
 * made (libpq's PQpass, Connector/C's passwd), and Connector/C's also when a
 * connect is abandoned at its deadline. Error messages never contain the
 * password.
 *
 * The password on the wire (dd_conn_params.auth, docs/security.md). With
 * DD_AUTH_STRICT, the default, a server, or whoever answers in its place,
 * never gets the password in clear text or as an md5 hash: PostgreSQL
 * connections use channel_binding=require over TLS, and without TLS every
 * authentication request of the server is checked before libpq sees it
 * (pg_guard.c); MariaDB connections allow only the mysql_native_password
 * and client_ed25519 plugins (MARIADB_OPT_RESTRICTED_AUTH). A refused
 * request is a DD_ERR_AUTH error. verify-ca and verify-full without tls_ca
 * verify against the system trust store (dd_tls_system_ca), or fail.
 */
#ifndef DBDECK_DRIVER_H
#define DBDECK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/engine.h"
#include "dbdeck/tls.h"

#define DD_NO_DEADLINE INT64_MAX

/* ------------------------------------------------------------------ */
/* Errors                                                             */

enum dd_err_class {
	DD_ERR_NONE = 0,
	DD_ERR_TRANSIENT, /* retry may help: serialization, deadlock, too many conns, connect
	                     refused */
	DD_ERR_PERMANENT, /* the statement itself is wrong: syntax, constraint, permission */
	DD_ERR_AUTH,      /* bad password, no such user, access to the database denied */
	DD_ERR_TIMEOUT,   /* the client-side deadline passed; the connection is broken */
	DD_ERR_CONN_LOST, /* the connection died (or the server ended the session); broken */
	DD_ERR_CANCELED,  /* the statement was canceled (dd_conn_cancel, KILL QUERY); conn usable */
};

/*
 * Filled on every failure. sqlstate is "" when unknown; PostgreSQL client-side
 * connection failures carry 08001 (cannot connect) or 08006 (lost). code is the
 * MySQL/MariaDB error number (0 for PostgreSQL). message is the server's or
 * the library's text, truncated, never containing a secret: a password it
 * quotes after its keyword (PASSWORD '...', IDENTIFIED BY '...',
 * MASTER_PASSWORD='...') is masked (dd_text_redact_secrets), and statements
 * that carry a secret go through dd_conn_exec_secret.
 */
struct dd_db_error {
	enum dd_err_class cls;
	char sqlstate[6];
	int code;
	char message[256];
};

/* "none", "transient", "permanent", "auth", "timeout", "conn-lost", "canceled". */
const char *dd_err_class_name(enum dd_err_class cls);

/* Resets *err to DD_ERR_NONE with empty fields. err may be NULL. */
void dd_db_error_clear(struct dd_db_error *err);

/*
 * Whether an error counts against the node for the circuit breaker: timeouts,
 * lost connections, and transient connection-level failures (cannot connect,
 * server shutting down or starting, too many connections). SQL errors
 * (syntax, constraints, deadlocks, serialization), auth failures and cancels
 * do not.
 */
bool dd_db_error_is_node_failure(const struct dd_db_error *err);

/*
 * The classification tables, one per engine (also used by the drivers).
 * at_connect: the error happened while establishing the connection, where
 * "connection lost" and "server shutting down" mean "try again later"
 * (DD_ERR_TRANSIENT) rather than DD_ERR_CONN_LOST.
 * sqlstate: 5 characters or NULL/"" (unknown → DD_ERR_PERMANENT, or
 * DD_ERR_TRANSIENT at connect).
 */
enum dd_err_class dd_pg_classify_sqlstate(const char *sqlstate, bool at_connect);
/* MySQL/MariaDB error number (server 1000-1999+, client 2000-2999). */
enum dd_err_class dd_mysql_classify_errno(int code, bool at_connect);
/*
 * The same with the client's message, which tells a refused server
 * certificate (DD_ERR_AUTH: not retried, not a node failure) from other TLS
 * errors of the same number. message may be NULL.
 */
enum dd_err_class dd_mysql_classify(int code, const char *message, bool at_connect);

/* ------------------------------------------------------------------ */
/* Connection parameters                                              */

/*
 * Everything is borrowed for the duration of dd_conn_open() only; NULL means
 * "not set". host starting with '/' is a Unix socket path (MariaDB) or socket
 * directory (PostgreSQL); otherwise TCP is used. port 0 = engine default.
 * connect_timeout_ms > 0 caps the connect deadline further.
 */
struct dd_conn_params {
	const char *host;
	int port;
	const char *database;
	const char *user;
	const char *password; /* sodium_malloc memory, borrowed, never copied to the heap */
	enum dd_tls_mode tls;
	enum dd_auth_mode auth; /* 0 = DD_AUTH_STRICT */
	const char *tls_ca;     /* NULL with verify-ca/verify-full: the system trust store */
	const char *tls_cert;
	const char *tls_key;
	const char *application_name; /* PG application_name; MySQL connect attr program_name */
	int connect_timeout_ms;
};

/* ------------------------------------------------------------------ */
/* Results                                                            */

/*
 * A fully buffered result: rows × columns of text values. Owned by the caller
 * (dd_result_free); independent of the connection once returned.
 */
struct dd_result;

int dd_result_nrows(const struct dd_result *r);
int dd_result_ncols(const struct dd_result *r);
/* Borrowed until dd_result_free. NULL when col is out of range. */
const char *dd_result_colname(const struct dd_result *r, int col);
/* Column index by name, or -1. */
int dd_result_colindex(const struct dd_result *r, const char *name);
/* Borrowed until dd_result_free; NULL for SQL NULL or out of range. */
const char *dd_result_value(const struct dd_result *r, int row, int col);
bool dd_result_is_null(const struct dd_result *r, int row, int col);
/* Length in bytes of the value (0 for NULL). */
size_t dd_result_length(const struct dd_result *r, int row, int col);
/* Rows affected by the statement (INSERT/UPDATE/DELETE...), else 0. */
int64_t dd_result_affected(const struct dd_result *r);
/* NULL is a no-op. */
void dd_result_free(struct dd_result *r);

/* ------------------------------------------------------------------ */
/* Replication positions and roles                                    */

/* A MariaDB GTID: domain-server-seq. */
struct dd_gtid {
	uint32_t domain;
	uint32_t server_id;
	uint64_t seq;
};

#define DD_GTID_MAX_DOMAINS 16

/* A MariaDB GTID list ("0-1-42,1-2-7"), at most one entry per domain. */
struct dd_gtid_set {
	int n;
	struct dd_gtid gtid[DD_GTID_MAX_DOMAINS];
};

/*
 * Parses a comma-separated MariaDB GTID list (spaces and newlines allowed,
 * "" = empty set). A repeated domain keeps the highest seq. Returns 0, or -1
 * with the reason in err (MySQL 8 UUID GTIDs are not parsed: -1).
 */
int dd_gtid_parse(const char *s, struct dd_gtid_set *out, char *err, size_t errlen);
/* True when, for every domain of want, have holds the domain with seq >= want's. */
bool dd_gtid_set_covers(const struct dd_gtid_set *have, const struct dd_gtid_set *want);
/* The seq of domain in set, or 0 when absent. */
uint64_t dd_gtid_set_seq(const struct dd_gtid_set *set, uint32_t domain);
/* Formats as "d-s-n,d-s-n" into buf (always terminated). */
void dd_gtid_set_format(const struct dd_gtid_set *set, char *buf, size_t len);

/* Parses a PostgreSQL LSN "16/B374D848" into a uint64. Returns 0 or -1. */
int dd_lsn_parse(const char *s, uint64_t *out);
/* Formats as "16/B374D848" into buf (needs 18 bytes). */
void dd_lsn_format(uint64_t lsn, char *buf, size_t len);

enum dd_pos_kind {
	DD_POS_NONE, /* unknown */
	DD_POS_LSN,  /* PostgreSQL WAL position */
	DD_POS_GTID, /* MariaDB GTID list */
};

/* An engine-neutral replication position (value type, copyable). */
struct dd_repl_pos {
	enum dd_pos_kind kind;
	uint64_t lsn;
	struct dd_gtid_set gtids;
};

/*
 * Read-your-writes check: has a node at position `have` applied everything up
 * to `want`? want of kind DD_POS_NONE → true; have unknown or of another kind
 * → false.
 */
bool dd_repl_pos_reached(const struct dd_repl_pos *have, const struct dd_repl_pos *want);

enum dd_role {
	DD_ROLE_UNKNOWN,
	DD_ROLE_PRIMARY,
	DD_ROLE_REPLICA,
};

/* "unknown", "primary", "replica". */
const char *dd_role_name(enum dd_role role);

/*
 * What dd_conn_probe_role() found. The role rule:
 *   PostgreSQL: pg_is_in_recovery() → replica, else primary.
 *   MariaDB/MySQL: a replica status row (SHOW SLAVE/REPLICA STATUS) → replica,
 *   else primary.
 * read_only is reported separately (PG: in recovery or
 * default_transaction_read_only; MariaDB: @@read_only): a primary with
 * read_only set is fenced and must not receive writes.
 * `applied` is what the node has applied, for dd_repl_pos_reached():
 * PG primary pg_current_wal_lsn(), PG replica pg_last_wal_replay_lsn(),
 * MariaDB @@gtid_current_pos (falls back to @@gtid_binlog_pos when empty).
 */
struct dd_role_info {
	enum dd_role role;
	bool read_only;
	struct dd_repl_pos applied;

	/* PostgreSQL (0 = unknown / not applicable) */
	uint64_t current_lsn;   /* primary: pg_current_wal_lsn() */
	uint64_t receive_lsn;   /* replica: pg_last_wal_receive_lsn() */
	uint64_t replay_lsn;    /* replica: pg_last_wal_replay_lsn() */
	bool replay_paused;     /* replica: pg_is_wal_replay_paused() */
	int64_t last_replay_ms; /* replica: pg_last_xact_replay_timestamp(), epoch ms; -1 = NULL */
	int64_t server_now_ms;  /* now() on the server, epoch ms */
	uint32_t timeline; /* primary: the timeline it writes (a promotion adds one); 0 unknown */

	/* MariaDB / MySQL */
	bool has_replica_status;
	bool io_running;        /* Slave_IO_Running = Yes */
	bool sql_running;       /* Slave_SQL_Running = Yes */
	int64_t seconds_behind; /* Seconds_Behind_Master; -1 = NULL */
	char source_host[128];  /* Master_Host */
	int source_port;        /* Master_Port */
	char last_sql_error[256];
	char last_io_error[256];
	char gtid_binlog_pos[256]; /* texts as the server gave them */
	char gtid_slave_pos[256];
	char gtid_current_pos[256];
	char gtid_io_pos[256];         /* Gtid_IO_Pos: what the IO thread has received */
	struct dd_gtid_set binlog_set; /* parsed; n = 0 when empty or unparsable */
	struct dd_gtid_set slave_set;
	struct dd_gtid_set current_set;
	struct dd_gtid_set io_set;
};

/* ------------------------------------------------------------------ */
/* The driver table and connections                                   */

struct dd_conn;

/*
 * Cancel key: what is needed to cancel a query on a connection, detached from
 * the connection so that it can outlive it (refcounted, thread-safe).
 */
struct dd_cancel_key;

/*
 * One const table per engine. Every slot returns 0 on success or -1 with
 * *err filled (err must not be NULL). Callers normally use the dd_conn_*
 * wrappers below, which dispatch through the connection's table.
 */
struct dd_driver {
	const char *name; /* "postgresql", "mysql" */
	int default_port;

	/* Returns a new connection in *out (caller closes), or -1 and *out = NULL. */
	int (*connect)(const struct dd_conn_params *p, enum dd_engine engine, int64_t deadline_ns,
	    struct dd_conn **out, struct dd_db_error *err);
	/* Says goodbye to the server if that can be done by the deadline; frees c. */
	void (*close)(struct dd_conn *c, int64_t deadline_ns);
	int (*ping)(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err);
	int (*query)(struct dd_conn *c, const char *sql, int64_t deadline_ns,
	    struct dd_result **out, struct dd_db_error *err);
	int (*exec)(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
	    struct dd_db_error *err);
	int (*reset)(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err);
	int (*probe_role)(struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out,
	    struct dd_db_error *err);
	/* Optional (NULL: dd_conn_probe_role_with runs extra, then probe_role). */
	int (*probe_role_with)(struct dd_conn *c, const char *extra, int extra_cols,
	    int64_t deadline_ns, struct dd_role_info *out, struct dd_result **rows,
	    struct dd_db_error *err);
	int (*write_position)(struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out,
	    struct dd_db_error *err);
	struct dd_cancel_key *(*cancel_key)(struct dd_conn *c);
	int (*cancel_fire)(struct dd_cancel_key *k, int64_t deadline_ns, struct dd_db_error *err);
	void (*cancel_key_free)(struct dd_cancel_key *k);
};

extern const struct dd_driver dd_driver_pg;
extern const struct dd_driver dd_driver_mysql;

/* The table for an engine (static storage); never NULL for a valid engine. */
const struct dd_driver *dd_driver_for(enum dd_engine engine);

/*
 * Opens a connection to the node described by p with the engine's driver.
 * Returns 0 and a new connection in *out (caller closes with dd_conn_close),
 * or -1 with *out = NULL and *err filled: DD_ERR_AUTH for a wrong password or
 * user, DD_ERR_TIMEOUT when the deadline passed, DD_ERR_TRANSIENT when the
 * server cannot be reached or refuses for now. On success the session has
 * autocommit on, UTF-8, TCP keepalives (idle 30 s) and is not dirty.
 */
int dd_conn_open(enum dd_engine engine, const struct dd_conn_params *p, int64_t deadline_ns,
    struct dd_conn **out, struct dd_db_error *err);

/* Closes and frees c (NULL is a no-op). Never waits past deadline_ns. */
void dd_conn_close(struct dd_conn *c, int64_t deadline_ns);

/* A round trip to the server. */
int dd_conn_ping(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err);

/*
 * Runs one SQL statement and returns its rows in *out (new, caller frees with
 * dd_result_free); statements without rows give an empty result. For
 * PostgreSQL several statements separated by ';' are allowed and the last
 * result is returned.
 */
int dd_conn_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err);

/* Runs a statement, discarding any rows; *affected (may be NULL) gets the count. */
int dd_conn_exec(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err);

/*
 * dd_conn_exec for a statement that carries a secret (CHANGE MASTER TO ...
 * MASTER_PASSWORD='...', ALTER ROLE ... PASSWORD '...'; sql itself is the
 * caller's, best in sodium_malloc memory). On failure err keeps the class,
 * code, SQLSTATE and the server's words up to the first quote, never quoted
 * text, which may be the statement's (dd_db_error_withhold_quoted).
 */
int dd_conn_exec_secret(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err);

/*
 * Cuts err's message at its first quote (' " `) and says the rest was
 * withheld: for the error of a statement that carries a secret, which the
 * server may quote. Every driver message already has a password that follows
 * its keyword masked (dd_text_redact_secrets); this also covers a quote that
 * starts at the secret itself.
 */
void dd_db_error_withhold_quoted(struct dd_db_error *err);

/*
 * Returns the session to a clean state: ROLLBACK when a transaction is open,
 * then DISCARD ALL (PG) / mysql_reset_connection (MariaDB) when the session
 * is dirty; nothing (no round trip) when it is neither. Clears both flags.
 */
int dd_conn_reset(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err);

/*
 * Cancels the statement running on c. Meant for another thread while the
 * owner is inside dd_conn_query/exec; c must stay open until this returns.
 * Returns 0 when the cancel request was delivered, -1 with DD_ERR_TIMEOUT when
 * the deadline passed first (PG: the request may still be delivered later).
 */
int dd_conn_cancel(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err);

/*
 * A new reference on c's cancel key, taken by the owner thread (e.g. when a
 * query starts); the key may be fired from any thread, even after c is
 * closed, and must be released with dd_cancel_key_free.
 */
struct dd_cancel_key *dd_conn_cancel_key(struct dd_conn *c);
int dd_cancel_key_fire(struct dd_cancel_key *k, int64_t deadline_ns, struct dd_db_error *err);
void dd_cancel_key_free(struct dd_cancel_key *k);

/* The node's role and replication positions (see struct dd_role_info). */
int dd_conn_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err);

/*
 * The role probe and another SELECT in one round trip where the engine
 * allows: extra (a SELECT of extra_cols columns, at least one row; a leading
 * comment of extra leads the statement sent) is run with the role probe's
 * columns appended to each of its rows, so a prober that also wants its own
 * figures sends one statement, not two (PostgreSQL; on MariaDB extra, then
 * the role probe's own two statements, on the same connection). *rows (caller frees) gets extra's
 * rows; columns past extra_cols belong to the driver. -1 with *err and *rows NULL when either
 * fails.
 */
int dd_conn_probe_role_with(struct dd_conn *c, const char *extra, int extra_cols,
    int64_t deadline_ns, struct dd_role_info *out, struct dd_result **rows,
    struct dd_db_error *err);

/*
 * The write position to wait for after a write on this session, for
 * read-your-writes: PG pg_current_wal_lsn(); MariaDB the session's
 * @@last_gtid, or @@gtid_binlog_pos when the session wrote nothing.
 */
int dd_conn_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err);

/* State kept by the driver; none of these does network I/O. */
enum dd_engine dd_conn_engine(const struct dd_conn *c);
const struct dd_driver *dd_conn_driver(const struct dd_conn *c);
/* True after a timeout or a lost connection: the pool must close it. */
bool dd_conn_is_broken(const struct dd_conn *c);
/* Lets the owner (e.g. the pool after a failed check) mark c broken. */
void dd_conn_mark_broken(struct dd_conn *c);
/* A transaction is open (or failed and not yet rolled back). */
bool dd_conn_in_transaction(const struct dd_conn *c);
/* Session state was changed (SET, temp tables, variables, prepared statements...). */
bool dd_conn_session_dirty(const struct dd_conn *c);
/* Server version number: PG 150018 style, MariaDB 101106 style. */
unsigned long dd_conn_server_version(const struct dd_conn *c);
/* Server version string; borrowed until dd_conn_close. */
const char *dd_conn_server_version_str(const struct dd_conn *c);
/* True when the server says it is MariaDB (only for the mysql driver). */
bool dd_conn_is_mariadb(const struct dd_conn *c);
/* PG backend pid, MySQL connection (thread) id. */
int64_t dd_conn_backend_id(const struct dd_conn *c);
/* dd_now_mono_ns() when the connection was established. */
int64_t dd_conn_created_ns(const struct dd_conn *c);

#endif
