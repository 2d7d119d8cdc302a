/*
 * harness.h: the C integration tests' view of a running test harness
 * (tests/harness/harness.sh). dd_harness_load() reads the file named by
 * $DD_HARNESS_ENV (the `export NAME=value` lines that `harness.sh start DIR`
 * writes to DIR/env) into a struct of plain values; dd_harness_port() maps a
 * node name to its port; dd_harness_run() runs a harness command (a fault
 * helper, a load) against that DIR and returns its exit status.
 *
 * The operator password is not part of the struct: dd_harness_password()
 * copies it from DD_PASSWORD_FILE into a buffer the caller owns and wipes.
 */
#ifndef DD_TEST_HARNESS_H
#define DD_TEST_HARNESS_H

#include <stddef.h>

#define DD_HARNESS_PATH_MAX 512
#define DD_HARNESS_NAME_MAX 64

/* Plain values, no pointers: copy freely, nothing to free. */
struct dd_harness {
	char dir[DD_HARNESS_PATH_MAX];           /* DD_HARNESS_DIR */
	char script[DD_HARNESS_PATH_MAX];        /* DD_HARNESS: absolute path of harness.sh */
	char password_file[DD_HARNESS_PATH_MAX]; /* DD_PASSWORD_FILE */
	char pg_socket_dir[DD_HARNESS_PATH_MAX]; /* DD_PG_SOCKET_DIR: pg1's unix socket dir */
	char host[DD_HARNESS_NAME_MAX];          /* DD_HOST: 127.0.0.1 */
	char user[DD_HARNESS_NAME_MAX];          /* DD_USER: the operator account, dbdeck */
	char database[DD_HARNESS_NAME_MAX];      /* DD_DATABASE: app */
	char tls_ca[DD_HARNESS_PATH_MAX];        /* DD_TLS_CA: the CA of the servers' certificate */
	char tls_other_ca[DD_HARNESS_PATH_MAX];  /* DD_TLS_OTHER_CA: a CA that signed nothing */
	int pg_port[3];                          /* DD_PG1_PORT .. DD_PG3_PORT */
	int my_port[3];                          /* DD_MY1_PORT .. DD_MY3_PORT */
};

/*
 * Fills *h from $DD_HARNESS_ENV. Returns 0, or -1 with the reason in err
 * (variable unset, file unreadable, a required name missing or malformed).
 */
int dd_harness_load(struct dd_harness *h, char *err, size_t errlen);

/*
 * Copies the operator password (DD_PASSWORD_FILE, trailing newline dropped)
 * into buf, NUL-terminated. The caller owns buf and should wipe it after
 * use. Returns 0, or -1 with the reason in err (never the password).
 */
int dd_harness_password(
    const struct dd_harness *h, char *buf, size_t len, char *err, size_t errlen);

/* Port of node "pg1".."pg3" or "my1".."my3"; -1 for any other name. */
int dd_harness_port(const struct dd_harness *h, const char *node);

/*
 * Runs `bash harness.sh COMMAND DIR ARGS...` where "COMMAND ARGS..." is the
 * printf-style fmt, split on blanks (no quoting: an argument cannot hold a
 * space) and DIR is h->dir, inserted after the command word:
 *
 *     dd_harness_run(h, "stop-node %s", "pg2");  ->  harness.sh stop-node DIR pg2
 *     dd_harness_run(h, "load pg %d %d", 5, 50); ->  harness.sh load DIR pg 5 50
 *
 * The child's stdout goes to stderr so that it cannot disturb a test's TAP
 * output. Waits for it and returns its exit status, 128 + N if signal N
 * ended it, or -1 if it could not be run (empty command, fork failure).
 */
int dd_harness_run(const struct dd_harness *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
