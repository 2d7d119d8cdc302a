/*
 * console_loop.h: the console's main loop (console.c). The UI thread waits in
 * poll() on the terminal, the monitor's wake-up descriptor, the signal pipe
 * and the job pipe, with the next clock tick as the timeout; it never waits
 * on the network.
 */
#ifndef DD_CONSOLE_LOOP_H
#define DD_CONSOLE_LOOP_H

#include "console.h"
#include "dbdeck/monitor.h"

/*
 * Runs the console on an open terminal (crt_open done) until the operator
 * quits or a quit signal arrives. c is initialised by the caller; m is
 * borrowed. Returns 0, or -1 with the reason in err when the job thread
 * could not start.
 */
int console_loop(struct console *c, struct dd_monitor *m, char *err, size_t errlen);

#endif
