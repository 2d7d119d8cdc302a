/*
 * driver_int.h: what the driver files share and the unit tests may see, but
 * the rest of libdbdeck may not: the common head of every connection and
 * cancel key, the result builder, error and deadline helpers, and the
 * session-dirtiness heuristics (classify.c).
 *
 * Each engine's connection struct embeds struct dd_conn as its first member
 * and casts; the dd_conn_* wrappers in driver.c only touch this head.
 */
#ifndef DD_DRIVER_INT_H
#define DD_DRIVER_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/driver.h"

struct dd_conn {
	const struct dd_driver *drv;
	enum dd_engine engine;
	bool broken;
	bool in_txn; /* refreshed after every statement */
	bool dirty;  /* session state changed since connect/reset */
	bool mariadb;
	unsigned long version;
	char version_str[96];
	int64_t backend_id;
	int64_t created_ns;
};

struct dd_cancel_key {
	const struct dd_driver *drv;
	atomic_int refs;
};

/* Fills the common head of a new connection. */
void drv_conn_init(struct dd_conn *c, const struct dd_driver *drv, enum dd_engine engine);

/* Takes a reference on k and returns it. */
struct dd_cancel_key *drv_cancel_key_ref(struct dd_cancel_key *k);
/* Drops a reference; true when it was the last (the caller then frees k). */
bool drv_cancel_key_unref(struct dd_cancel_key *k);

/* --- errors -------------------------------------------------------- */

/* Fills err (never NULL here) with a class, sqlstate (may be NULL), code and message. */
void drv_seterr(struct dd_db_error *err, enum dd_err_class cls, const char *sqlstate, int code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends to err's message (truncated to fit). */
void drv_append(struct dd_db_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The standard "deadline passed" error; also marks c broken when c is not NULL. */
void drv_timeout(struct dd_conn *c, struct dd_db_error *err, const char *during);

/*
 * PostgreSQL connect failures carry no SQLSTATE through libpq: map the
 * server's (English) message to one. Returns "28P01", "28000", "3D000",
 * "53300", "57P03" or NULL when nothing matches.
 */
const char *drv_pg_connect_sqlstate(const char *message);

/* --- deadlines ------------------------------------------------------- */

/* Milliseconds left until deadline_ns, rounded up; 0 when passed; INT_MAX capped. */
int drv_remaining_ms(int64_t deadline_ns);
bool drv_deadline_passed(int64_t deadline_ns);
/*
 * Waits for events on fd until the deadline. Returns 1 and *revents when
 * ready, 0 when the deadline passed, -1 on a poll error (errno set).
 */
int drv_wait_fd(int fd, short events, int64_t deadline_ns, short *revents);
/* Turns TCP keepalives on (idle 30 s, interval 10 s, 3 probes). */
void drv_set_keepalive(int fd);

/* --- results --------------------------------------------------------- */

/* A new result with ncols columns and room for nrows rows (grows). */
struct dd_result *drv_result_new(int ncols);
void drv_result_set_colname(struct dd_result *r, int col, const char *name);
/* Appends a row; values[i] NULL = SQL NULL; lengths may be NULL (strlen). Copies. */
void drv_result_add_row(struct dd_result *r, const char *const *values, const size_t *lengths);
void drv_result_set_affected(struct dd_result *r, int64_t affected);

/* The length of the SQL block comment that sql starts with, 0 when none. */
int drv_lead_comment(const char *sql);

/* --- MariaDB/MySQL role probe (driver_mysql_probe.c) ------------------ */

/* An untracked statement on the session (driver_mysql.c); *out new on success. */
int drv_my_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err);
int drv_my_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err);
int drv_my_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err);

/* --- the client libraries' copies of the password (tests) ---------- */

/*
 * True while the connection's client library still holds a readable copy
 * of the password (libpq's PQpass, Connector/C's passwd). The drivers wipe
 * them once connected; the tests check that they did.
 */
bool drv_pg_holds_password(struct dd_conn *c);
bool drv_my_holds_password(struct dd_conn *c);
/*
 * Test hook: called with Connector/C's copy of the password (or NULL) when
 * a connect is abandoned at its deadline, just before the library frees it.
 */
extern void (*drv_my_abandon_hook)(const char *library_copy);

/* --- session dirtiness heuristics (classify.c) ---------------------- */

/*
 * PostgreSQL: true when some statement in sql may change session state that
 * outlives a transaction. Conservative: anything whose first keyword is not
 * a plain read/write/transaction-control keyword counts, and so do
 * set_config(), session advisory locks and SELECT ... INTO TEMP.
 */
bool drv_pg_sql_dirties(const char *sql);
/* MariaDB/MySQL: the same for when session tracking cannot tell. */
bool drv_mysql_sql_dirties(const char *sql);
/*
 * MariaDB/MySQL: what the session tracker does not report: user variables
 * (@x, also SELECT ... INTO @x), GET_LOCK(), LOCK TABLES, HANDLER.
 */
bool drv_mysql_sql_untracked_state(const char *sql);

#endif
