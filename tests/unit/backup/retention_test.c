/*
 * retention_test.c: grandfather-father-son retention over synthetic dates
 * (dd_backup_retention is pure). A year of daily backups (2025, one at 02:00
 * UTC each day) under daily:7 weekly:4 monthly:12 keeps exactly the 20
 * backups worked out by hand below; then the rules' edges: FAILED backups do
 * not count, the newest verified backup and backups being written are always
 * kept, a pause in backups does not use up the counts, several backups of a
 * day keep only the newest, and the reasons read right.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbdeck/backup.h"
#include "tap.h"

#define DAY_MS INT64_C(86400000)

static int64_t
utc(int y, int m, int d, int hour)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hour};

	return (int64_t)timegm(&tm) * 1000;
}

/* n daily backups, the newest at `last`, newest first (as dd_backup_list gives them). */
static struct dd_backup_list
daily_backups(int64_t last, int n)
{
	struct dd_backup_list l = {.n = (size_t)n, .v = calloc((size_t)n, sizeof(*l.v))};

	for (int i = 0; i < n; i++) {
		struct dd_backup_entry *e = &l.v[i];
		e->started_wall_ms = last - (int64_t)i * DAY_MS;
		e->state = DD_BACKUP_COMPLETE;
		snprintf(e->id, sizeof(e->id), "%08x", i);
	}
	return l;
}

/* The dates (YYYY-MM-DD) of the kept entries, newest first, comma-separated. */
static char *
kept_dates(const struct dd_backup_list *l)
{
	char *out = calloc(l->n + 1, 12);

	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].keep)
			continue;
		time_t t = (time_t)(l->v[i].started_wall_ms / 1000);
		struct tm tm;
		char d[12];
		gmtime_r(&t, &tm);
		strftime(d, sizeof(d), "%Y-%m-%d", &tm);
		if (out[0])
			strcat(out, ",");
		strcat(out, d);
	}
	return out;
}

static const char *year_2025 =
    /* daily: the last 7 days */
    "2025-12-31,2025-12-30,2025-12-29,2025-12-28,2025-12-27,2025-12-26,2025-12-25,"
    /* weekly: 2026-W01 (Dec 29-31: its newest is Dec 31, kept already), W52 (Sunday Dec 28,
       kept already), W51 (Sunday Dec 21), W50 (Sunday Dec 14) */
    "2025-12-21,2025-12-14,"
    /* monthly: the last day of each month (December's is Dec 31, kept already) */
    "2025-11-30,2025-10-31,2025-09-30,2025-08-31,2025-07-31,2025-06-30,2025-05-31,"
    "2025-04-30,2025-03-31,2025-02-28,2025-01-31";

static void
test_year(void)
{
	struct dd_backup_list l = daily_backups(utc(2025, 12, 31, 2), 365);
	struct dd_retention r = {.daily = 7, .weekly = 4, .monthly = 12};
	char why[160];
	size_t kept = 0;

	dd_backup_retention(&l, &r);
	for (size_t i = 0; i < l.n; i++)
		kept += l.v[i].keep != 0;
	is_int((long long)kept, 20, "a year of daily backups: 20 kept");
	char *got = kept_dates(&l);
	is_str(got, year_2025, "a year of daily backups: exactly the expected set");
	free(got);
	dd_backup_keep_text(&l.v[0], why, sizeof(why));
	is_str(
	    why, "daily 2025-12-31, weekly 2026-W01, monthly 2025-12", "the newest: three rules");
	dd_backup_keep_text(&l.v[10], why, sizeof(why));
	is_str(why, "weekly 2025-W51", "Sunday Dec 21: the weekly rule");
	dd_backup_keep_text(&l.v[334], why, sizeof(why));
	is_str(why, "monthly 2025-01", "Jan 31: the monthly rule");
	dd_backup_keep_text(&l.v[5], why, sizeof(why));
	is_str(why, "daily 2025-12-26", "Dec 26: the daily rule");
	ok(l.v[364].keep == 0, "Jan 1 is not kept");
	free(l.v);
}

static void
test_failed_and_verified(void)
{
	struct dd_backup_list l = daily_backups(utc(2025, 6, 30, 2), 60);
	struct dd_retention r = {.daily = 3, .weekly = 0, .monthly = 0};

	l.v[0].check = DD_CHECK_FAILED;
	l.v[40].check = DD_CHECK_VERIFIED; /* 2025-05-21 */
	l.v[50].check = DD_CHECK_VERIFIED; /* older: not the newest verified */
	dd_backup_retention(&l, &r);
	ok(l.v[0].keep == 0, "a FAILED backup is kept by no rule");
	ok(l.v[1].keep && l.v[2].keep && l.v[3].keep && !l.v[4].keep,
	    "daily:3 takes the three newest good ones instead");
	is_int(l.v[40].keep, DD_KEEP_NEWEST_OK, "the newest verified backup is kept, by no rule");
	ok(l.v[50].keep == 0, "an older verified backup is not");
	free(l.v);
}

static void
test_writing_gap_and_same_day(void)
{
	struct dd_backup_list l = daily_backups(utc(2025, 3, 10, 2), 20);
	struct dd_retention r = {.daily = 5, .weekly = 0, .monthly = 0};

	/* a .partial being written, newest of all; and a second backup on Mar 10 */
	l.v[0].state = DD_BACKUP_WRITING;
	l.v[1].started_wall_ms += 3600 * 1000; /* Mar 9, 03:00: now two on Mar 9 */
	l.v[2].started_wall_ms = l.v[1].started_wall_ms - 60 * 1000;
	dd_backup_retention(&l, &r);
	is_int(l.v[0].keep, DD_KEEP_WRITING, "a backup being written is kept");
	ok(l.v[1].keep && !l.v[2].keep, "two on one day: only the newer is kept");
	ok(l.v[3].keep && l.v[4].keep && l.v[5].keep && l.v[6].keep && !l.v[7].keep,
	    "the daily count goes on with the following days");
	free(l.v);

	/* backups stopped long ago: the counts are of days that have a backup */
	l = daily_backups(utc(2024, 1, 31, 2), 31);
	r = (struct dd_retention){.daily = 7, .weekly = 0, .monthly = 1};
	dd_backup_retention(&l, &r);
	size_t kept = 0;
	for (size_t i = 0; i < l.n; i++)
		kept += l.v[i].keep != 0;
	is_int((long long)kept, 7, "a pause in backups does not make the rules drop everything");
	free(l.v);
}

static void
test_damaged_and_zero(void)
{
	struct dd_backup_list l = daily_backups(utc(2025, 8, 1, 2), 4);
	struct dd_retention r = {.daily = 0, .weekly = 0, .monthly = 0};

	l.v[1].state = DD_BACKUP_DAMAGED;
	dd_backup_retention(&l, &r);
	ok(!l.v[0].keep && !l.v[1].keep && !l.v[2].keep && !l.v[3].keep,
	    "all counts zero, nothing verified: no rule keeps anything");
	r.daily = 2;
	dd_backup_retention(&l, &r);
	ok(l.v[0].keep && !l.v[1].keep && l.v[2].keep, "a damaged backup is skipped by the rules");
	free(l.v);
}

int
main(void)
{
	test_year();
	test_failed_and_verified();
	test_writing_gap_and_same_day();
	test_damaged_and_zero();
	return tap_done();
}
