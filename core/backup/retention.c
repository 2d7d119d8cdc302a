/*
 * retention.c: grandfather-father-son retention, pure (no I/O, no clock), so
 * a unit test can run a year of synthetic backups through it.
 *
 * Periods are UTC calendar days, ISO weeks (Monday first, %G-W%V) and
 * months. For each rule with count N, the N most recent periods that hold a
 * good backup (complete, not FAILED by a verify) each keep their newest
 * one: periods without a backup do not use up the count, so a pause in
 * backups never makes the rules drop everything. A backup may be kept by
 * several rules. Whatever the counts, the newest verified backup and
 * backups being written are kept too.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backup/backup_int.h"

enum period { PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH };

static const struct {
	const char *name;
	unsigned bit;
} periods[] = {
    [PERIOD_DAY] = {"daily", DD_KEEP_DAILY},
    [PERIOD_WEEK] = {"weekly", DD_KEEP_WEEKLY},
    [PERIOD_MONTH] = {"monthly", DD_KEEP_MONTHLY},
};

static void
period_label(int64_t wall_ms, enum period p, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (p) {
	case PERIOD_DAY: strftime(buf, len, "%Y-%m-%d", &tm); break;
	case PERIOD_WEEK: strftime(buf, len, "%G-W%V", &tm); break;
	case PERIOD_MONTH: strftime(buf, len, "%Y-%m", &tm); break;
	}
}

static bool
good(const struct dd_backup_entry *e)
{
	return e->state == DD_BACKUP_COMPLETE && e->check != DD_CHECK_FAILED;
}

static void
apply_rule(struct dd_backup_list *l, enum period p, int count)
{
	char last[32] = "", label[32];
	int seen = 0;

	for (size_t i = 0; i < l->n && seen < count; i++) {
		if (!good(&l->v[i]))
			continue;
		period_label(l->v[i].started_wall_ms, p, label, sizeof(label));
		if (strcmp(label, last) == 0)
			continue; /* an older backup of a period already kept */
		memcpy(last, label, sizeof(last));
		l->v[i].keep |= periods[p].bit;
		seen++;
	}
}

void
dd_backup_retention(struct dd_backup_list *l, const struct dd_retention *r)
{
	bool newest_ok = false;

	for (size_t i = 0; i < l->n; i++) {
		struct dd_backup_entry *e = &l->v[i];
		e->keep = e->state == DD_BACKUP_WRITING ? DD_KEEP_WRITING : 0;
		if (!newest_ok && e->state == DD_BACKUP_COMPLETE && e->check == DD_CHECK_VERIFIED) {
			e->keep |= DD_KEEP_NEWEST_OK;
			newest_ok = true;
		}
	}
	apply_rule(l, PERIOD_DAY, r->daily);
	apply_rule(l, PERIOD_WEEK, r->weekly);
	apply_rule(l, PERIOD_MONTH, r->monthly);
}

static void
append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
}

void
dd_backup_keep_text(const struct dd_backup_entry *e, char *buf, size_t len)
{
	char part[48], label[32];

	buf[0] = '\0';
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		if (!(e->keep & periods[p].bit))
			continue;
		period_label(e->started_wall_ms, (enum period)p, label, sizeof(label));
		snprintf(part, sizeof(part), "%s %s", periods[p].name, label);
		append(buf, len, part);
	}
	if (e->keep & DD_KEEP_NEWEST_OK)
		append(buf, len, "newest verified");
	if (e->keep & DD_KEEP_WRITING)
		append(buf, len, "being written");
	if (e->keep & DD_KEEP_IN_USE)
		append(buf, len, "in use");
}
