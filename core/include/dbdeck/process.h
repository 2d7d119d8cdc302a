/*
 * process.h: process-wide set-up every dbdeck front end calls first.
 */
#ifndef DBDECK_PROCESS_H
#define DBDECK_PROCESS_H

#include <stddef.h>

/*
 * Makes the process unable to leak secrets through a core dump or ptrace by
 * another user: RLIMIT_CORE = 0 and PR_SET_DUMPABLE = 0 (both are tried).
 * Returns 0, or -1 when a call failed, with the first failure in err
 * ("prctl(PR_SET_DUMPABLE, 0) failed: Operation not permitted"; err may be
 * NULL). A front end must then say so and not unlock the vault unless the
 * user accepts the risk (dbdeck: --allow-core-dumps).
 */
int dd_process_harden(char *err, size_t errlen);

/* The library's version string, e.g. "0.1.0". Static storage. */
const char *dd_version(void);

#endif
