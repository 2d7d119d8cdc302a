/*
 * mt_common.h: shared setup of the monitor integration tests. A test builds
 * a dd_core over both harness clusters (pg: pg1..pg3, my: my1..my3) from a
 * config written for it (refresh 1 s, lag_max 2 s, alert_lag_for 3 s, short
 * breaker recovery), starts a monitor, and reads snapshots as they are
 * published (through the wake-up descriptor, as the console does). Faults
 * (it_fault) and background processes (it_load_start, mt_client_start) are
 * undone or killed at exit, also when the test fails or is terminated: see
 * tests/lib/itlib.h.
 */
#ifndef MT_COMMON_H
#define MT_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/monitor.h"
#include "harness.h"
#include "itlib.h"

struct mt {
	struct dd_harness h;
	struct dd_config *cfg;
	struct dd_core *core;
	struct dd_monitor *m;
	const char *app; /* the core's application_name (mt_start); NULL = the default */
	bool oneshot;    /* a one-shot monitor (mt_start), as `dbdeck status` makes */
};

/*
 * Loads the harness (bail_out when missing), builds the core and a monitor
 * with refresh_ms, waits for a first snapshot in which every node is up.
 * extra_keys: more cluster keys for both clusters (may be NULL).
 */
void mt_setup(struct mt *t, int64_t refresh_ms, const char *extra_keys);
/* mt_setup in two steps, without the wait: load the harness (and arm itlib's undos) ... */
void mt_harness(struct mt *t);
/*
 * ... then build the core and start the monitor (down_after_ms: 0 = the
 * default; connect_timeout is 1 s, or down_after_ms when that is longer).
 */
void mt_start(struct mt *t, int64_t refresh_ms, const char *extra_keys, int64_t down_after_ms);
void mt_teardown(struct mt *t);

/* Waits for the next published snapshot (at most timeout_ms); a new reference or NULL. */
const struct dd_snapshot *mt_next(struct mt *t, int64_t timeout_ms);
/* Index of node `name` in s, or -1. */
int mt_node(const struct dd_snapshot *s, const char *name);
/* The active alert of rule on node (name), or NULL. */
const struct dd_snap_alert *mt_alert(
    const struct dd_snapshot *s, const char *rule, const char *node);

/*
 * Runs `harness.sh CLIENT DIR NODE -c SQL [-c SQL2]` (psql; mariadb: -e) in
 * the background with its output into errfile (NULL: discarded); returns its
 * pid (reaped with it_wait_child; killed at exit).
 */
pid_t mt_client_start(struct mt *t, const char *client, const char *node, const char *sql,
    const char *sql2, const char *errfile);
/* Runs one SQL statement through harness.sh psql/mariadb on node and waits; exit status. */
int mt_sql(struct mt *t, const char *client, const char *node, const char *sql);

#endif
