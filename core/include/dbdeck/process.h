/*
 * process.h: process-wide set-up every dbdeck front end calls first.
 */
#ifndef DBDECK_PROCESS_H
#define DBDECK_PROCESS_H

/*
 * Makes the process unable to leak secrets through a core dump or ptrace by
 * another user: RLIMIT_CORE = 0 and PR_SET_DUMPABLE = 0. Returns 0, or -1 when
 * a call failed (the caller may warn; secrets are still kept in locked memory).
 */
int dd_process_harden(void);

/* The library's version string, e.g. "0.1.0". Static storage. */
const char *dd_version(void);

#endif
