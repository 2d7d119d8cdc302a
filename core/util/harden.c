/*
 * harden.c: process hardening done once at start (see dbdeck/process.h).
 */
#include "dbdeck/process.h"

#include <sys/prctl.h>
#include <sys/resource.h>

int
dd_process_harden(void)
{
	int rc = 0;
	struct rlimit rl = {0, 0};
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		rc = -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		rc = -1;
	return rc;
}

const char *
dd_version(void)
{
	return DD_VERSION;
}
