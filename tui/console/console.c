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
#include <string.h>

#include "console_jobs.h"
#include "console_loop.h"
#include "crt.h"
#include "dbdeck/util.h"
#include "fmt.h"
#include "sigflags.h"

struct loop {
	struct console *c;
	struct dd_monitor *mon;
	struct jobs *jobs;
	const struct dd_snapshot *snap; /* our reference */
	struct screen scr;
	unsigned styles_gen; /* of the styles last given to crt */
	bool dirty, repaint, quit;
};

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
	case REQ_NONE: break;
	}
	memset(r, 0, sizeof(*r));
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
	while (jobs_take(l->jobs, &res)) {
		console_status(l->c, res.ok ? DD_STYLE_OK : DD_STYLE_WARN, "%s", res.message);
		l->dirty = true;
	}
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
    char *err, size_t errlen)
{
	struct loop l = {.c = c, .mon = m, .dirty = true, .styles_gen = c->styles_gen - 1};
	l.jobs = jobs_start(m, audit, audit_err, err, errlen);
	if (!l.jobs)
		return -1;
	sigflags_unblock(); /* every other thread started with them blocked */
	c->now_wall_ms = dd_now_wall_ms();
	if (!audit && !c->read_only)
		console_status(c, DD_STYLE_WARN, "actions are off: %s", audit_err ? audit_err : "");
	take_snapshot(&l);
	while (!l.quit) {
		if (l.dirty)
			draw(&l);
		iterate(&l);
	}
	sigflags_block(NULL); /* taken again only after crt_close (cmd_console.c) */
	jobs_stop(l.jobs);
	c->snap = NULL;
	dd_snapshot_unref(l.snap);
	screen_free(&l.scr);
	return 0;
}
