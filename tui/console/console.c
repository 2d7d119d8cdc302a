/*
 * console.c: the loop of the full-screen console (console_loop.h).
 *
 * One iteration: read the clock once; take a new snapshot when the monitor
 * signalled one (unless paused: then the screen and the selection hold
 * still); draw when anything changed; wait in poll() on the terminal, the
 * monitor's eventfd, the signal pipe and the job runner's eventfd until the next second
 * (the clock) or the status message's expiry. Keys become console_key()
 * calls; their requests are carried out here: refresh and pause go to the
 * monitor (which only sets a value), actions become core jobs
 * (console_jobs.h), each with its audit records.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_backups.h"
#include "console_jobs.h"
#include "console_loop.h"
#include "console_util.h"
#include "crt.h"
#include "dbdeck/schema.h"
#include "dbdeck/util.h"
#include "fmt.h"
#include "sigflags.h"

struct loop {
	struct console *c;
	struct dd_monitor *mon;
	struct jobs *jobs;
	struct dd_fo_plan *plan;               /* planned, waiting for the typed dialog's answer */
	uint64_t act_id, act_version;          /* of the action's state last shown */
	const struct dd_snapshot *snap;        /* our reference */
	const struct dd_schema_result *schema; /* our reference: schema health's newest round */
	struct screen scr;
	unsigned styles_gen; /* of the styles last given to crt */
	bool dirty, repaint, quit;
};

/* Schema health's newest round (a new one every schema_refresh), with each snapshot. */
static void
take_schema(struct loop *l)
{
	const struct dd_schema_result *r = dd_schema_current(dd_monitor_schema(l->mon));

	dd_schema_unref(l->schema);
	l->schema = r;
	l->c->schema = r;
}

static void
take_snapshot(struct loop *l)
{
	dd_monitor_ack(l->mon);
	if (l->c->paused && l->snap)
		return;
	const struct dd_snapshot *s = dd_monitor_current(l->mon);
	if (!s)
		return;
	bool first = !l->snap;
	dd_snapshot_unref(l->snap);
	l->snap = s;
	l->c->snap = s;
	take_schema(l);
	if (first)
		console_styles_rebuild(l->c); /* cluster styles by the snapshot's names */
	l->dirty = true;
}

static void
draw(struct loop *l)
{
	int rows, cols;
	crt_size(&rows, &cols);
	if (rows != l->scr.rows || cols != l->scr.cols)
		screen_resize(&l->scr, rows, cols);
	l->scr.ascii = !l->c->gl->utf8;
	if (l->styles_gen != l->c->styles_gen) {
		crt_apply_styles(l->c->styles, STYLE_COUNT);
		l->styles_gen = l->c->styles_gen;
	}
	console_draw(l->c, &l->scr);
	crt_flush(&l->scr, l->repaint);
	l->dirty = l->repaint = false;
}

static void
do_request(struct loop *l)
{
	struct console_request *r = &l->c->req;
	char iv[24], why[400];
	switch (r->kind) {
	case REQ_REFRESH:
		dd_monitor_set_refresh(l->mon, r->refresh_ms);
		console_status(l->c, DD_STYLE_STATUS_BAR, "refresh every %s",
		    fmt_interval(iv, sizeof(iv), r->refresh_ms));
		break;
	case REQ_PAUSE:
		dd_monitor_pause(l->mon, r->pause);
		if (!r->pause)
			take_snapshot(l);
		break;
	case REQ_CANCEL_QUERY:
		if (!jobs_submit(l->jobs, r, why, sizeof(why)))
			console_status(l->c, DD_STYLE_WARN, "%s", why);
		break;
	case REQ_PLAN:
		if (!jobs_plan(l->jobs, r->failover, r->cluster_name, r->fo_to, why, sizeof(why)))
			console_status(l->c, DD_STYLE_WARN, "%s", why);
		break;
	case REQ_RUN_PLAN: {
		struct dd_fo_plan *p = l->plan;
		l->plan = NULL;
		if (p && !jobs_run_plan(l->jobs, p, why, sizeof(why)))
			console_status(l->c, DD_STYLE_WARN, "%s", why);
		break;
	}
	case REQ_BACKUP:
		if (!jobs_backup(l->jobs, r, why, sizeof(why)))
			console_status(l->c, DD_STYLE_WARN, "%s", why);
		l->c->bk.read_ms = 0; /* the new job and its .partial show at once */
		break;
	case REQ_PATRONI:
		if (!jobs_patroni(l->jobs, r->cluster_name, r->patroni_op,
		        r->node_name[0] ? r->node_name : NULL, why, sizeof(why)))
			console_status(l->c, DD_STYLE_WARN, "%s", why);
		break;
	case REQ_QUIT:
	case REQ_NONE: break;
	}
	memset(r, 0, sizeof(*r));
}

/* The typed dialog of a plan: the pre-checks that did not pass, the steps. */
static void
plan_dialog(struct loop *l, const struct job_result *res)
{
	struct console *c = l->c;
	struct dialog *d = &c->dlg;
	const struct dd_fo_check *k;
	size_t nk = dd_fo_plan_checks(res->plan, &k), ok = 0, steps;
	char t[120];

	snprintf(t, sizeof(t), "%s of %s: %s -> %s?", res->failover ? "Failover" : "Switchover",
	    res->cluster, dd_fo_plan_old_primary(res->plan), dd_fo_plan_candidate(res->plan));
	dialog_typed(d, t, res->failover ? "Fail over" : "Switch over", res->cluster);
	for (size_t i = 0; i < nk; i++)
		ok += k[i].state == DD_FO_CHECK_OK;
	dialog_line(d, "pre-checks: %zu ok%s", ok, ok < nk ? "; the others:" : "");
	for (size_t i = 0; i < nk; i++)
		if (k[i].state != DD_FO_CHECK_OK) {
			char label[48];
			snprintf(label, sizeof(label), "  %s %s",
			    dd_fo_check_state_name(k[i].state), k[i].name);
			dialog_line_untrusted(
			    d, label, k[i].message, strlen(k[i].message), c->gl->utf8);
		}
	steps = dd_fo_plan_step_count(res->plan);
	for (size_t i = 0; i < steps && d->nlines < DIALOG_LINES; i++)
		dialog_line(d, "%2zu. %s", i + 1, dd_fo_plan_step(res->plan, i));
	memset(&c->pending, 0, sizeof(c->pending));
	c->pending.kind = REQ_RUN_PLAN;
	c->pending.failover = res->failover;
	snprintf(c->pending.cluster_name, sizeof(c->pending.cluster_name), "%s", res->cluster);
	dd_fo_plan_free(l->plan);
	l->plan = res->plan;
}

static void
on_key(struct loop *l, int key)
{
	unsigned f = console_key(l->c, key);
	if (f & REACT_QUIT)
		l->quit = true;
	if (f & REACT_REQUEST)
		do_request(l);
	if (f & (REACT_REDRAW | REACT_STYLES))
		l->dirty = true;
	if (f & REACT_REPAINT)
		l->repaint = l->dirty = true;
	if (key == TK_RESIZE)
		l->dirty = true;
}

static void
on_signals(struct loop *l)
{
	unsigned s = crt_take_signals();
	if (s & CRT_SIG_RESIZE) {
		crt_resize();
		l->dirty = true;
	}
	if (s & CRT_SIG_QUIT)
		l->quit = true;
}

static void
on_jobs(struct loop *l)
{
	struct job_result res;
	struct dd_job_status *st = xmalloc(sizeof(*st));
	while (jobs_take(l->jobs, &res)) {
		l->dirty = true;
		char why[DD_JOB_TEXT_MAX];
		if (res.plan && dd_fo_plan_refused(res.plan, why, sizeof(why))) {
			console_status(l->c, DD_STYLE_WARN, "%s of %s refused: %.300s",
			    res.failover ? "failover" : "switchover", res.cluster, why);
			dd_fo_plan_free(res.plan);
		} else if (res.plan) {
			plan_dialog(l, &res);
		} else {
			console_status(
			    l->c, res.ok ? DD_STYLE_OK : DD_STYLE_WARN, "%s", res.message);
			l->c->bk.read_ms = 0; /* a backup job may have ended: its row */
		}
	}
	/* the action's panel: shown at its start, updated as its steps move */
	if (jobs_action_read(l->jobs, st) &&
	    (st->id != l->act_id || st->version != l->act_version)) {
		console_action_show(l->c, st);
		l->act_id = st->id;
		l->act_version = st->version;
		l->dirty = true;
	}
	free(st);
}

#define BK_READ_EVERY_MS 5000

/*
 * The Backups view's catalog (every 5 s, and at once when asked) and its
 * cluster's job (every iteration); whether any backup job runs (quitting asks).
 */
static void
backups_refresh(struct loop *l)
{
	struct console *c = l->c;
	struct backups_state *b = &c->bk;
	bool was = b->any_running;
	b->any_running = jobs_backup_any(l->jobs);
	if (was != b->any_running)
		l->dirty = true;
	if (c->view != VIEW_BACKUPS || !c->snap || b->cluster >= c->snap->n_clusters)
		return;
	const char *name = c->snap->clusters[b->cluster].name;
	const struct dd_config *cfg = jobs_config(l->jobs);
	if (b->read_ms == 0 || strcmp(b->cluster_name, name) != 0 ||
	    c->now_wall_ms - b->read_ms >= BK_READ_EVERY_MS) {
		console_backups_read(
		    b, cfg ? dd_config_find_cluster(cfg, name) : NULL, name, c->now_wall_ms);
		l->dirty = true;
	}
	struct dd_job_status *st = xmalloc(sizeof(*st));
	bool busy = jobs_backup_busy(l->jobs, name, st);
	if (console_backups_job(b, busy ? st : NULL))
		l->dirty = true;
	free(st);
}

/* Until the next second of the clock, or the status message's end if sooner. */
static int
timeout_ms(const struct loop *l)
{
	int64_t now = l->c->now_wall_ms;
	int64_t t = 1000 - now % 1000;
	int64_t until = l->c->status_until_ms - now;
	if (until > 0 && until < t)
		t = until;
	return (int)(t < 1 ? 1 : t);
}

static void
iterate(struct loop *l)
{
	struct pollfd p[4] = {
	    {.fd = crt_input_fd(), .events = POLLIN},
	    {.fd = dd_monitor_wake_fd(l->mon), .events = POLLIN},
	    {.fd = crt_signal_fd(), .events = POLLIN},
	    {.fd = jobs_fd(l->jobs), .events = POLLIN},
	};
	int64_t before = l->c->now_wall_ms;
	int n = poll(p, 4, timeout_ms(l));
	l->c->now_wall_ms = dd_now_wall_ms();
	if (n < 0 && errno != EINTR)
		l->quit = true;
	if (l->c->now_wall_ms / 1000 != before / 1000)
		l->dirty = true; /* the clock, expired messages */
	if (n <= 0) {
		if (n < 0)
			on_signals(l);
		return;
	}
	if (p[2].revents)
		on_signals(l);
	if (p[1].revents)
		take_snapshot(l);
	if (p[3].revents)
		on_jobs(l);
	if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))
		l->quit = true;
	if (p[0].revents & POLLIN)
		for (int key; !l->quit && (key = crt_read_key()) >= 0;)
			on_key(l, key);
}

int
console_loop(struct console *c, struct dd_monitor *m, struct dd_audit *audit, const char *audit_err,
    const struct jobs_failover *fo, char *err, size_t errlen)
{
	struct loop l = {.c = c, .mon = m, .dirty = true, .styles_gen = c->styles_gen - 1};
	l.jobs = jobs_start(m, audit, audit_err, err, errlen);
	if (!l.jobs)
		return -1;
	if (fo)
		jobs_failover_setup(l.jobs, fo);
	sigflags_unblock(); /* every other thread started with them blocked */
	c->now_wall_ms = dd_now_wall_ms();
	if (!audit && !c->read_only) {
		console_status(c, DD_STYLE_WARN, "actions are off: %s", audit_err ? audit_err : "");
		c->status_until_ms =
		    c->now_wall_ms + 60000; /* a minute: the first probes take time */
	}
	take_snapshot(&l);
	while (!l.quit) {
		backups_refresh(&l);
		if (l.dirty)
			draw(&l);
		iterate(&l);
	}
	sigflags_block(NULL); /* taken again only after crt_close (cmd_console.c) */
	jobs_stop(l.jobs);
	dd_fo_plan_free(l.plan);
	c->snap = NULL;
	dd_snapshot_unref(l.snap);
	c->schema = NULL;
	dd_schema_unref(l.schema);
	screen_free(&l.scr);
	return 0;
}
