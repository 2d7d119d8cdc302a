/*
 * console_backups.c: the loop's side of the Backups view
 * (console_backups.h): the catalog of the shown cluster copied into plain
 * rows, and its backup job's progress.
 */
#include "console_backups.h"

#include <stdio.h>
#include <string.h>

#include "dbdeck/backup.h"
#include "dbdeck/text.h"
#include "dbdeck/util.h"

static void
clean(char *dst, size_t len, const char *src)
{
	dd_text_sanitize(dst, len, src, strlen(src), (int)len, DD_TEXT_UTF8);
}

static void
row_of(struct bk_row *r, const struct dd_backup_entry *e)
{
	char keep[160];
	memset(r, 0, sizeof(*r));
	clean(r->id, sizeof(r->id), e->id);
	clean(r->name, sizeof(r->name), e->name);
	clean(r->node, sizeof(r->node), e->node[0] ? e->node : "?");
	r->state = (int)e->state;
	r->check = (int)e->check;
	r->deep = e->check_deep;
	r->encrypted = e->encrypted;
	r->started_ms = e->started_wall_ms;
	r->ended_ms = e->ended_wall_ms;
	r->bytes_stored = e->bytes_stored;
	dd_backup_keep_text(e, keep, sizeof(keep));
	clean(r->keep, sizeof(r->keep), keep);
	clean(r->why, sizeof(r->why), e->why);
}

void
console_backups_read(struct backups_state *b, const struct dd_cluster_config *cc,
    const char *cluster, int64_t now_ms)
{
	struct dd_backup_list l;
	char err[400];

	b->read_ms = now_ms ? now_ms : 1;
	b->n = 0;
	b->newest_good_ms = 0;
	b->err[0] = '\0';
	dd_strlcpy(b->cluster_name, cluster, sizeof(b->cluster_name));
	if (!cc) {
		snprintf(
		    b->err, sizeof(b->err), "cluster %.60s: no configuration to read", cluster);
		return;
	}
	b->max_age_ms = cc->backup_max_age_ms;
	if (dd_backup_list(cc, &l, err, sizeof(err)) != 0) {
		clean(b->err, sizeof(b->err), err);
		return;
	}
	dd_backup_retention(&l, &cc->retention);
	for (size_t i = 0; i < l.n && b->n < BK_ROWS_MAX; i++)
		row_of(&b->rows[b->n++], &l.v[i]);
	if (dd_backup_newest_good(cc, &b->newest_good_ms, err, sizeof(err)) != 0)
		b->newest_good_ms = 0;
	dd_backup_list_free(&l);
}

bool
console_backups_job(struct backups_state *b, const struct dd_job_status *st)
{
	struct bk_job j;
	memset(&j, 0, sizeof(j));
	if (st && st->state != DD_JOB_FINISHED) {
		j.running = true;
		dd_strlcpy(j.kind, st->kind, sizeof(j.kind));
		j.started_ms = st->started_ms;
		if (st->current_step >= 0) {
			const struct dd_job_step_status *s = &st->steps[st->current_step];
			clean(j.step, sizeof(j.step), s->title);
			j.has_progress = s->has_progress;
			j.done = s->done_bytes;
			j.total = s->total_bytes;
			j.rate = s->rate;
		} else {
			dd_strlcpy(j.step, dd_job_state_name(st->state), sizeof(j.step));
		}
		char d[DD_JOB_TEXT_MAX];
		dd_job_describe(st, d, sizeof(d));
		clean(j.text, sizeof(j.text), d);
	}
	bool changed = memcmp(&j, &b->job, sizeof(j)) != 0;
	b->job = j;
	return changed;
}
