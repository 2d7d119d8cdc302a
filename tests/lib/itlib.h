/*
 * itlib.h: what the C integration tests share on top of the harness client
 * (harness.h): a registry of injected faults whose undo commands run at exit,
 * also when a test fails or is ended by a signal; a background write load and
 * other background children, killed at exit; the harness password in
 * sodium_malloc memory; and millisecond clocks.
 *
 * Once it_arm() has run (it_fault and it_load_start call it too), exit() and
 * SIGTERM, SIGINT, SIGHUP, SIGQUIT and SIGPIPE (turned into exit(1)) stop the
 * load, kill the children (SIGTERM to their process groups) and run the
 * registered undos, newest first. Nothing here calls ok(): the TAP counters
 * stay in each test's own file; failures end the test through bail_out().
 */
#ifndef DD_TEST_ITLIB_H
#define DD_TEST_ITLIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* Installs the exit and signal handlers once; later calls do nothing. Copies *h. */
void it_arm(const struct dd_harness *h);

/*
 * Runs harness command `cmd` for node (e.g. "pause-node", "pg2") and
 * registers `undo` (e.g. "resume-node") to run at exit unless it_undo runs it
 * first. extra: an argument after the node ("pause"), or NULL; likewise
 * undo_extra. Bails out if the command fails.
 */
void it_fault(const struct dd_harness *h, const char *cmd, const char *node, const char *extra,
    const char *undo, const char *undo_extra);
/* Runs the newest undo registered for command undo on node now, and forgets it. */
void it_undo(const struct dd_harness *h, const char *undo, const char *node);

/* `harness.sh load DIR engine SECONDS RATE` in the background; stopped at exit. */
void it_load_start(const struct dd_harness *h, const char *engine, int seconds, int rate);
/* Stops the load (SIGTERM to its process group) and reaps it; nothing if none runs. */
void it_load_stop(void);

/*
 * fork() into a new process group: returns 0 in the child and the child's
 * pid in the parent, which kills it at exit unless it_wait_child reaps it
 * first. Bails out if fork fails.
 */
pid_t it_spawn(void);
/* Waits up to timeout_ms for pid; its exit status (128+sig when killed), or -1 on timeout. */
int it_wait_child(pid_t pid, int64_t timeout_ms);

/*
 * The harness password (DD_PASSWORD_FILE), read into sodium_malloc memory on
 * the first call; later calls return the same buffer. Borrowed until
 * it_password_free(). Bails out on failure.
 */
char *it_password(const struct dd_harness *h);
/*
 * Loads the harness into *h (bails out "harness: REASON (set DD_HARNESS_ENV)")
 * and returns it_password(h).
 */
char *it_harness_init(struct dd_harness *h);
/* Wipes and frees the password. */
void it_password_free(void);
/*
 * A dd_credential_fn for the credential "harness": ctx is a struct
 * dd_harness *; the user is its user, the password it_password()'s
 * (read before the core is built).
 */
int it_credential(void *ctx, const char *name, const char **user, const char **password);

/* The engine argument of a test program, "pg" or "my"; bails out with "usage: PROG pg|my". */
const char *it_engine_arg(const char *arg, const char *prog);

int64_t it_now_ms(void);  /* CLOCK_MONOTONIC */
int64_t it_wall_ms(void); /* CLOCK_REALTIME */
/* Milliseconds since t0, a CLOCK_MONOTONIC time in ns (dd_now_mono_ns()). */
double it_ms_since(int64_t t0);

#endif
