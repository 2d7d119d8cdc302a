/*
 * harden.c: process hardening done once at start (see dbdeck/process.h).
 */
#include "dbdeck/process.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int
dd_process_harden(char *err, size_t errlen)
{
	struct rlimit rl = {0, 0};
	const char *failed = NULL;
	int e = 0;

	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		failed = "setrlimit(RLIMIT_CORE, 0)";
		e = errno;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 && !failed) {
		failed = "prctl(PR_SET_DUMPABLE, 0)";
		e = errno;
	}
	if (!failed)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s failed: %s", failed, strerror(e));
	return -1;
}

const char *
dd_version(void)
{
	return DD_VERSION;
}
