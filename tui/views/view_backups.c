/*
 * view_backups.c: the Backups view ('b'). One cluster at a time (h/l move
 * to the previous/next): the age of its newest good backup against
 * backup_max_age, the backup job that runs on it with its progress bar, and
 * its backups, newest first (time, id, node, size, duration, checksum state,
 * encryption, the retention rule that keeps it). Keys start jobs through
 * requests for the loop: b takes a backup (the node chosen as `dbdeck
 * backup` does, from the snapshot), v verifies and d deep-verifies the
 * selected backup, R restores it after asking for the target database and
 * for the cluster's name typed in full. The loop fills the rows and the job
 * (console_backups.c); this file only draws them and asks.
 */
#include <stdio.h>
#include <string.h>

#include "dbdeck/backup.h"
#include "dbdeck/util.h"
#include "fmt.h"
#include "view.h"
#include "widgets.h"

static const struct dd_snap_cluster *
shown(const struct console *c)
{
	const struct backups_state *b = &c->bk;
	return c->snap && b->cluster >= 0 && b->cluster < c->snap->n_clusters
	           ? &c->snap->clusters[b->cluster]
	           : NULL;
}

/* FNV-1a of a backup's id: the selection follows the backup. */
static uint64_t
row_id(const struct bk_row *r)
{
	uint64_t h = 1469598103934665603u;
	for (const char *s = r->id; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void
ids_of(const struct backups_state *b, uint64_t *ids)
{
	for (int i = 0; i < b->n; i++)
		ids[i] = row_id(&b->rows[i]);
}

static const struct bk_row *
selected(const struct console *c)
{
	const struct backups_state *b = &c->bk;
	const struct dd_snap_cluster *cl = shown(c);
	return cl && b->sel.row >= 0 && b->sel.row < b->n && strcmp(b->cluster_name, cl->name) == 0
	           ? &b->rows[b->sel.row]
	           : NULL;
}

static void
head_line(struct console *c, struct screen *scr, int y, const struct dd_snap_cluster *cl)
{
	const struct backups_state *b = &c->bk;
	char age[24], max[24], name[64];
	dd_text_sanitize(name, sizeof(name), cl->name, strlen(cl->name), 30, view_text_flags(c));
	int x = screen_printf(scr, y, 1, DD_STYLE_ACCENT, 40, "%s", name);
	x += screen_printf(scr, y, 1 + x, DD_STYLE_NORMAL, 40, "%s%s%s", c->gl->sep,
	    dd_engine_name(cl->engine), c->gl->sep);
	fmt_secs(max, sizeof(max), (double)b->max_age_ms / 1000.0);
	if (b->newest_good_ms > 0) {
		int64_t a = c->now_wall_ms - b->newest_good_ms;
		fmt_secs(age, sizeof(age), (double)a / 1000.0);
		screen_printf(scr, y, 1 + x, a > b->max_age_ms ? DD_STYLE_WARN : DD_STYLE_OK,
		    scr->cols - x - 2, "newest good backup %s ago (backup_max_age %s)%s%d backup%s",
		    age, max, c->gl->sep, b->n, b->n == 1 ? "" : "s");
	} else {
		screen_printf(scr, y, 1 + x, DD_STYLE_WARN, scr->cols - x - 2,
		    "no good backup (backup_max_age %s)", max);
	}
}

static void
job_line(struct console *c, struct screen *scr, int y)
{
	const struct bk_job *j = &c->bk.job;
	char done[16], total[16], rate[16];
	if (!j->running) {
		screen_put(scr, y, 1, DD_STYLE_DIM, "no backup job runs on this cluster", 60);
		return;
	}
	int x = 1 + screen_printf(scr, y, 1, DD_STYLE_ACCENT, 60, "%s: %s ", j->kind, j->step);
	if (!j->has_progress)
		return;
	struct bar_spec bs = {.used = (double)j->done,
	    .max = j->total ? (double)j->total : (double)j->done,
	    .warn_frac = 2,
	    .crit_frac = 2};
	x += widget_bar(scr, y, x, 20, &bs, c->gl);
	fmt_bytes(done, sizeof(done), (int64_t)j->done);
	fmt_bytes(rate, sizeof(rate), (int64_t)j->rate);
	if (j->total) {
		double f = (double)j->done / (double)j->total;
		fmt_bytes(total, sizeof(total), (int64_t)j->total);
		screen_printf(scr, y, x + 1, DD_STYLE_NORMAL, scr->cols - x - 2,
		    "%3.0f%%  %s of %s  %s/s", (f > 0.99 ? 0.99 : f) * 100, done, total, rate);
	} else {
		screen_printf(
		    scr, y, x + 1, DD_STYLE_NORMAL, scr->cols - x - 2, "%s  %s/s", done, rate);
	}
}

static const char *
check_text(const struct bk_row *r, char *buf, size_t len)
{
	if (r->state != DD_BACKUP_COMPLETE)
		snprintf(buf, len, "%s", dd_backup_state_name((enum dd_backup_state)r->state));
	else if (r->check == DD_CHECK_UNVERIFIED)
		snprintf(buf, len, "unverified");
	else
		snprintf(buf, len, "%s%s", dd_backup_check_name((enum dd_backup_check)r->check),
		    r->deep ? " (deep)" : "");
	return buf;
}

static void
row_line(struct screen *scr, int y, const struct bk_row *r, bool sel)
{
	char t[32], size[16], dur[16] = "-", chk[40];
	uint16_t st = sel ? DD_STYLE_SELECTION : DD_STYLE_NORMAL;
	if (sel)
		screen_fill(scr, y, 0, scr->cols, st, " ");
	fmt_bytes(size, sizeof(size), (int64_t)r->bytes_stored);
	if (r->ended_ms > r->started_ms)
		fmt_secs(dur, sizeof(dur), (double)(r->ended_ms - r->started_ms) / 1000.0);
	check_text(r, chk, sizeof(chk));
	screen_printf(scr, y, 1, st, scr->cols - 2, "%-19s %-8s %-8.8s %7s %7s  ",
	    fmt_utc(t, sizeof(t), r->started_ms, 1), r->id, r->node, size, dur);
	uint16_t cs = sel                                                            ? st
	              : r->state == DD_BACKUP_DAMAGED || r->check == DD_CHECK_FAILED ? DD_STYLE_CRIT
	              : r->check == DD_CHECK_VERIFIED                                ? DD_STYLE_OK
	                                                                             : DD_STYLE_DIM;
	screen_printf(scr, y, 56, cs, 17, "%-16s", chk);
	screen_printf(scr, y, 73, st, scr->cols - 74, "%-4s %s", r->encrypted ? "yes" : "no",
	    r->state == DD_BACKUP_DAMAGED ? r->why
	    : r->keep[0]                  ? r->keep
	                                  : "-");
}

static void
draw(struct console *c, struct screen *scr, int y, int h)
{
	struct backups_state *b = &c->bk;
	const struct dd_snap_cluster *cl = shown(c);
	if (!cl) {
		screen_put(scr, y + 1, 2, DD_STYLE_DIM, "no cluster", 40);
		return;
	}
	head_line(c, scr, y, cl);
	job_line(c, scr, y + 1);
	if (b->err[0])
		screen_put(scr, y + 2, 1, DD_STYLE_WARN, b->err, scr->cols - 2);
	screen_printf(scr, y + 3, 1, DD_STYLE_HEADER, scr->cols - 2,
	    "%-19s %-8s %-8s %7s %7s  %-16s %-4s %s", "STARTED (UTC)", "ID", "NODE", "SIZE", "TOOK",
	    "CHECK", "ENC", "KEPT BY");
	uint64_t ids[BK_ROWS_MAX];
	ids_of(b, ids);
	sel_sync(&b->sel, ids, b->n);
	int list_h = h - 4;
	if (b->n == 0) {
		screen_put(scr, y + 4, 2, DD_STYLE_DIM,
		    strcmp(b->cluster_name, cl->name) == 0 ? "no backups yet" : "reading...", 40);
		return;
	}
	sel_scroll(&b->sel, b->n, list_h);
	for (int i = b->sel.top; i < b->n && i - b->sel.top < list_h; i++)
		row_line(scr, y + 4 + i - b->sel.top, &b->rows[i], i == b->sel.row);
}

static unsigned
refused_ro(struct console *c, const char *what)
{
	console_status(c, DD_STYLE_READONLY_BANNER,
	    "READ-ONLY: %s is disabled (--read-only or read_only = true)", what);
	return REACT_REDRAW;
}

/* The request for the loop: a backup job of the shown cluster. */
static unsigned
request(struct console *c, const struct dd_snap_cluster *cl, enum req_backup a,
    const struct bk_row *r, bool deep)
{
	memset(&c->req, 0, sizeof(c->req));
	c->req.kind = REQ_BACKUP;
	c->req.bk_action = a;
	c->req.bk_deep = deep;
	dd_strlcpy(c->req.cluster_name, cl->name, sizeof(c->req.cluster_name));
	if (r)
		dd_strlcpy(c->req.bk_which, r->id, sizeof(c->req.bk_which));
	return REACT_REDRAW | REACT_REQUEST;
}

static unsigned
take(struct console *c, const struct dd_snap_cluster *cl)
{
	char why[200];
	int i = dd_backup_choose_source(
	    c->snap, cl->name, (int64_t)(cl->lag_max_s * 1000.0), why, sizeof(why));
	if (i < 0) {
		console_status(c, DD_STYLE_WARN, "backup of %s: %s", cl->name, why);
		return REACT_REDRAW;
	}
	unsigned r = request(c, cl, REQ_BK_TAKE, NULL, false);
	dd_strlcpy(c->req.node_name, c->snap->nodes[i].name, sizeof(c->req.node_name));
	dd_strlcpy(c->req.target, why, sizeof(c->req.target));
	console_status(
	    c, DD_STYLE_STATUS_BAR, "backing up %s from %s: %s", cl->name, c->req.node_name, why);
	return r;
}

static unsigned
verify(struct console *c, const struct dd_snap_cluster *cl, bool deep)
{
	const struct bk_row *r = selected(c);
	if (!r || r->state != DD_BACKUP_COMPLETE) {
		console_status(c, DD_STYLE_WARN, "select a complete backup to verify");
		return REACT_REDRAW;
	}
	console_status(
	    c, DD_STYLE_STATUS_BAR, "%sverifying backup %s ...", deep ? "deep-" : "", r->id);
	return request(c, cl, REQ_BK_VERIFY, r, deep);
}

static unsigned
restore(struct console *c)
{
	const struct bk_row *r = selected(c);
	if (!r || r->state != DD_BACKUP_COMPLETE || r->check == DD_CHECK_FAILED) {
		console_status(c, DD_STYLE_WARN, "select a complete backup that passed its checks");
		return REACT_REDRAW;
	}
	c->prompt = PROMPT_DATABASE;
	lineedit_start(&c->db_edit, NULL);
	dd_strlcpy(c->pending.bk_which, r->id, sizeof(c->pending.bk_which));
	console_status(c, DD_STYLE_STATUS_BAR, "restore backup %s into which new database?", r->id);
	return REACT_REDRAW;
}

unsigned
view_backups_restore_ask(struct console *c, const char *into)
{
	const struct dd_snap_cluster *cl = shown(c);
	char which[64], t[32];
	dd_strlcpy(which, c->pending.bk_which, sizeof(which));
	const struct bk_row *r = NULL;
	for (int i = 0; i < c->bk.n; i++)
		if (strcmp(c->bk.rows[i].id, which) == 0)
			r = &c->bk.rows[i];
	if (!cl || !r) {
		console_status(c, DD_STYLE_WARN, "restore: the backup is gone");
		return REACT_REDRAW;
	}
	if (!dd_backup_db_name_valid(into)) {
		console_status(c, DD_STYLE_WARN,
		    "restore: not a valid database name (1-63 letters, digits or _, not starting "
		    "with a digit)");
		return REACT_REDRAW;
	}
	char title[120];
	snprintf(title, sizeof(title), "Restore a backup of %s into %s?", cl->name, into);
	dialog_typed(&c->dlg, title, "Restore", cl->name);
	dialog_line(&c->dlg, "cluster: %s", cl->name);
	dialog_line(&c->dlg, "backup: %s, taken %s UTC on %s", r->id,
	    fmt_utc(t, sizeof(t), r->started_ms, 1), r->node);
	dialog_line(&c->dlg, "into: a new database %s on the primary", into);
	dialog_line(&c->dlg, "The checksum (and key) is checked first; an existing database of");
	dialog_line(&c->dlg, "that name is refused (dbdeck restore --replace restores over one).");
	request(c, cl, REQ_BK_RESTORE, r, false);
	c->pending = c->req;
	memset(&c->req, 0, sizeof(c->req));
	dd_strlcpy(c->pending.bk_into, into, sizeof(c->pending.bk_into));
	return REACT_REDRAW;
}

unsigned
view_backups_open(struct console *c)
{
	int k = -1;
	if (c->view == VIEW_OVERVIEW && c->snap && c->overview.sel.has &&
	    c->overview.sel.row < c->rows.n)
		k = c->snap->nodes[c->rows.idx[c->overview.sel.row]].cluster;
	else if (c->view == VIEW_NODE && c->snap && c->detail.node >= 0 &&
	         c->detail.node < c->snap->n_nodes)
		k = c->snap->nodes[c->detail.node].cluster;
	if (k >= 0 && k != c->bk.cluster) {
		c->bk.cluster = k;
		c->bk.n = 0;
		memset(&c->bk.sel, 0, sizeof(c->bk.sel));
		memset(&c->bk.job, 0, sizeof(c->bk.job));
	}
	c->bk.read_ms = 0; /* read the catalog now */
	if (c->view != VIEW_BACKUPS)
		console_push(c, VIEW_BACKUPS);
	return REACT_REDRAW;
}

static unsigned
next_cluster(struct console *c, int dir)
{
	int n = c->snap ? c->snap->n_clusters : 0;
	if (n < 2)
		return REACT_NONE;
	c->bk.cluster = (c->bk.cluster + dir + n) % n;
	c->bk.read_ms = 0;
	c->bk.n = 0;
	memset(&c->bk.sel, 0, sizeof(c->bk.sel));
	memset(&c->bk.job, 0, sizeof(c->bk.job));
	return REACT_REDRAW;
}

static unsigned
act(struct console *c, enum action a, int h)
{
	struct backups_state *b = &c->bk;
	uint64_t ids[BK_ROWS_MAX];
	int page = h > 6 ? h - 5 : 1;
	ids_of(b, ids);
	switch (a) {
	case ACT_UP: sel_move(&b->sel, ids, b->n, -1); return REACT_REDRAW;
	case ACT_DOWN: sel_move(&b->sel, ids, b->n, +1); return REACT_REDRAW;
	case ACT_PAGE_UP: sel_move(&b->sel, ids, b->n, -page); return REACT_REDRAW;
	case ACT_PAGE_DOWN: sel_move(&b->sel, ids, b->n, +page); return REACT_REDRAW;
	case ACT_HOME: sel_move(&b->sel, ids, b->n, -b->n); return REACT_REDRAW;
	case ACT_END: sel_move(&b->sel, ids, b->n, +b->n); return REACT_REDRAW;
	case ACT_PREV: return next_cluster(c, -1);
	case ACT_NEXT: return next_cluster(c, +1);
	default: break;
	}
	if (a != ACT_BK_TAKE && a != ACT_BK_VERIFY && a != ACT_BK_DEEP && a != ACT_BK_RESTORE)
		return REACT_UNKNOWN;
	if (c->read_only)
		return refused_ro(
		    c, a == ACT_BK_RESTORE ? "restore" : "taking or verifying backups");
	const struct dd_snap_cluster *cl = shown(c);
	if (!cl)
		return REACT_REDRAW;
	switch (a) {
	case ACT_BK_TAKE: return take(c, cl);
	case ACT_BK_VERIFY: return verify(c, cl, false);
	case ACT_BK_DEEP: return verify(c, cl, true);
	default: return restore(c);
	}
}

const struct view view_backups = {
    .id = VIEW_BACKUPS,
    .title = "Backups",
    .keys = &keymap_backups,
    .moves = true,
    .filter = NULL,
    .draw = draw,
    .act = act,
};
