/*
 * console_backups.h: what the loop puts into the Backups view's state
 * (view_state.h): a cluster's catalog with its retention reasons, and the
 * progress of the backup job that runs on it. Reads the backup directory
 * (a core call, no SQL, no network); never draws.
 */
#ifndef DD_CONSOLE_BACKUPS_H
#define DD_CONSOLE_BACKUPS_H

#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/jobs.h"
#include "view_state.h"

/*
 * Reads cc's backups into b (rows newest first, sanitized; the newest good
 * one; the retention rule keeping each) and remembers now_ms as the read
 * time. cc NULL: no config; b->err says so.
 */
void console_backups_read(struct backups_state *b, const struct dd_cluster_config *cc,
    const char *cluster, int64_t now_ms);

/* The job st (NULL: none runs) into b->job. Returns whether b->job changed. */
bool console_backups_job(struct backups_state *b, const struct dd_job_status *st);

#endif
