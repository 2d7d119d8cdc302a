/*
 * itest.h: what the driver integration tests share: the engine under test
 * (SQL that differs between PostgreSQL and MariaDB), the harness endpoints,
 * the password in sodium_malloc memory, connecting by node name, timing, and
 * the guard that resumes a paused node on every way out of the test.
 */
#ifndef DD_DRIVER_ITEST_H
#define DD_DRIVER_ITEST_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/driver.h"
#include "harness.h"
#include "itlib.h"

/* The SQL and node names of one engine. */
struct itest_engine {
	enum dd_engine engine;
	const char *name;     /* "pg" or "my" */
	const char *nodes[3]; /* primary, replica, replica */
	const char *sleep5;   /* a 5 s sleep */
	const char *sleep10;
	const char *syntax_error;
	const char *want_syntax_state;    /* SQLSTATE of a syntax error */
	int want_syntax_code;             /* MySQL error number, 0 for PG */
	const char *kill_pre, *kill_post; /* pre + backend id + post kills a session */
	const char *set_session;          /* dirties the session */
	const char *check_session;        /* one row; value 0 is "changed" or NULL after reset */
	const char *create_temp;
	const char *select_temp;
	const char *multi_rows;  /* three rows: 1, 2, 3 in column "n" */
	const char *server_port; /* the server's own port */
};

extern const struct itest_engine *E;
extern struct dd_harness H;

/* Loads the harness and the password; bails out when they are missing. */
void itest_init(const char *engine_name);
/* Wipes and frees the password. */
void itest_done(void);

/* Parameters for a node (password borrowed from secure memory). */
struct dd_conn_params itest_params(const char *node);
/* Opens a connection to node with a timeout in ms; bails out on failure. */
struct dd_conn *itest_open(const char *node, int timeout_ms);
/* Same with another password: returns -1 and *err on failure. */
int itest_open_with(const char *node, const char *password, int timeout_ms, struct dd_conn **out,
    struct dd_db_error *err);

/* An absolute deadline ms from now. */
int64_t itest_deadline(int ms);
/* The first value of a one-row result of sql on c, copied into buf; false on error. */
bool itest_value(struct dd_conn *c, const char *sql, char *buf, size_t len);

/*
 * Pauses node (SIGSTOP) and arranges for it to be resumed on exit, on a
 * fatal signal (SIGTERM from meson's timeout, SIGINT, SIGABRT) or by
 * itest_resume. Returns the harness helper's exit status.
 */
int itest_pause(const char *node);
int itest_resume(void);

#endif
