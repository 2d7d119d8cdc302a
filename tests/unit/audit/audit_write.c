/*
 * audit_write.c: writes one action (a start and an end record) to an audit
 * log as if it had started AGE seconds ago and taken 1.2 s, for the tests of
 * `dbdeck audit` (audit_cli_test.sh). Not a test itself.
 *
 *   audit_write PATH AGE_SECONDS ACTION CLUSTER TARGET OUTCOME [DETAIL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audit/audit_int.h"
#include "dbdeck/audit.h"

int
main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: audit_write PATH AGE_SECONDS ACTION CLUSTER TARGET OUTCOME "
		                "[DETAIL]\n");
		return 2;
	}
	struct dd_manual_clock mc;
	dd_manual_clock_init(&mc, 1, ((int64_t)time(NULL) - atoll(argv[2])) * 1000);
	struct dd_clock clk = dd_clock_manual(&mc);
	struct dd_audit *a;
	char err[512];
	if (dd_audit_open(&a, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "audit_write: %s\n", err);
		return 1;
	}
	audit_set_clock(a, &clk);
	struct dd_audit_action act = {.action = argv[3],
	    .cluster = argv[4][0] ? argv[4] : NULL,
	    .target = argv[5][0] ? argv[5] : NULL,
	    .args = "{\"from\":\"audit_write\"}"};
	uint64_t id;
	int rc = dd_audit_begin(a, &act, &id, err, sizeof(err));
	dd_manual_clock_advance(&mc, INT64_C(1200000000));
	if (rc == 0)
		rc = dd_audit_end(a, id, argv[6], argc > 7 ? argv[7] : NULL, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "audit_write: %s\n", err);
	dd_audit_close(a);
	return rc == 0 ? 0 : 1;
}
