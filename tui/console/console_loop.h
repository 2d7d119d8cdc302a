/*
 * console_loop.h: the console's main loop (console.c). The UI thread waits in
 * poll() on the terminal, the monitor's wake-up descriptor, the signal pipe
 * and the job runner's wake-up descriptor, with the next clock tick as the
 * timeout; it never waits on the network.
 */
#ifndef DD_CONSOLE_LOOP_H
#define DD_CONSOLE_LOOP_H

#include "console.h"
#include "dbdeck/monitor.h"

struct dd_audit;
struct jobs_failover;

/*
 * Runs the console on an open terminal (crt_open done) until the operator
 * quits or a quit signal arrives. c is initialised by the caller; m and
 * audit are borrowed. audit is the audit log that every action writes to;
 * when it is NULL, actions are refused with audit_err as the reason.
 * fo (may be NULL: S and F are then refused) is what switchover and
 * failover need (console_jobs.h), borrowed. Returns 0, or -1 with the
 * reason in err when the job runner could not start.
 */
int console_loop(struct console *c, struct dd_monitor *m, struct dd_audit *audit,
    const char *audit_err, const struct jobs_failover *fo, char *err, size_t errlen);

#endif
