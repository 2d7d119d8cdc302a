/*
 * console_state.c: what a key does. The order of precedence: an open dialog
 * takes every key, then an open prompt (filter or command line), then the
 * current view's keymap, the movement keymap, and the global keymap. Handlers
 * change the state and return REACT_* flags; anything that needs the
 * network becomes a request in c->req for the loop (console.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "dbdeck/util.h"
#include "console_util.h"
#include "dbdeck/jobs.h"
#include "dbdeck/patroni.h"
#include "view.h"

/* How long a status message stays. */
#define STATUS_MS 6000

void
console_init(
    struct console *c, const struct glyphs *gl, bool color, bool read_only, int64_t refresh_ms)
{
	memset(c, 0, sizeof(*c));
	c->gl = gl;
	c->color = color;
	c->read_only = read_only;
	c->refresh_ms = refresh_ms > 0 ? refresh_ms : 1000;
	c->view = VIEW_OVERVIEW;
	c->queries.sort = QSORT_DURATION;
	c->detail.node = -1;
	dd_strlcpy(c->config_name, "dbdeck", sizeof(c->config_name));
	if (color)
		dd_theme_default(&c->theme);
	else
		dd_theme_mono(&c->theme);
	c->theme_index = color ? 0 : 4;
	console_styles_rebuild(c);
}

void
console_free(struct console *c)
{
	rowset_free(&c->rows);
	free(c->stmt.text);
	free(c->stmt.lines);
	c->stmt.text = NULL;
	c->stmt.lines = NULL;
}

void
console_status(struct console *c, uint16_t style, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->status, sizeof(c->status), fmt, ap);
	va_end(ap);
	c->status_style = style;
	c->status_until_ms = c->now_wall_ms + STATUS_MS;
}

void
console_show(struct console *c, enum view_id v)
{
	c->view = v;
	c->depth = 0;
}

void
console_push(struct console *c, enum view_id v)
{
	if (c->depth < (int)DD_ARRAY_LEN(c->back))
		c->back[c->depth++] = c->view;
	c->view = v;
}

static unsigned
go_back(struct console *c)
{
	if (c->depth > 0)
		c->view = c->back[--c->depth];
	else if (c->view != VIEW_OVERVIEW)
		c->view = VIEW_OVERVIEW;
	else
		return REACT_NONE;
	return REACT_REDRAW;
}

/* The top-level view that the current one belongs to (for Tab). */
static int
top_view(const struct console *c)
{
	if (c->view < VIEW_TOP_COUNT)
		return c->view;
	return c->depth > 0 && c->back[0] < VIEW_TOP_COUNT ? (int)c->back[0] : VIEW_OVERVIEW;
}

/* ---- prompt ------------------------------------------------------------- */

static void
open_prompt(struct console *c, enum prompt_kind k)
{
	c->prompt = k;
	if (k == PROMPT_COMMAND) {
		lineedit_start(&c->cmd_edit, NULL);
		return;
	}
	char *f = view_get(c->view)->filter(c);
	dd_strlcpy(c->filter_saved, f, sizeof(c->filter_saved));
	lineedit_start(&c->filter_edit, f);
}

static unsigned run_command(struct console *c, const struct ccmd *cmd);

/* q and :q: while a backup job runs, ask first; confirmed, the loop cancels it cleanly. */
static unsigned
quit_ask(struct console *c)
{
	if (!c->bk.any_running)
		return REACT_QUIT;
	dialog_confirm(&c->dlg, "Quit while a backup job runs?", "Quit", true);
	dialog_line(&c->dlg, "A backup, verify or restore job is running.");
	dialog_line(&c->dlg, "Quitting cancels it: its child tool is stopped and nothing");
	dialog_line(&c->dlg, "half-written is left (no .partial, no half-restored database).");
	memset(&c->pending, 0, sizeof(c->pending));
	c->pending.kind = REQ_QUIT;
	return REACT_REDRAW;
}

/* The restore's target database (Backups view): Enter asks the typed dialog. */
static unsigned
db_prompt_key(struct console *c, int key)
{
	enum le_result r = lineedit_key(&c->db_edit, key);
	if (r == LE_CANCEL) {
		c->prompt = PROMPT_NONE;
		memset(&c->pending, 0, sizeof(c->pending));
		console_status(c, DD_STYLE_STATUS_BAR, "nothing done");
	}
	if (r != LE_ACCEPT)
		return REACT_REDRAW;
	c->prompt = PROMPT_NONE;
	return view_backups_restore_ask(c, c->db_edit.buf);
}

static unsigned
prompt_key(struct console *c, int key)
{
	if (c->prompt == PROMPT_DATABASE)
		return db_prompt_key(c, key);
	bool cmd = c->prompt == PROMPT_COMMAND;
	struct lineedit *e = cmd ? &c->cmd_edit : &c->filter_edit;
	char *f = cmd ? NULL : view_get(c->view)->filter(c);
	enum le_result r = lineedit_key(e, key);
	if (r == LE_CHANGED && f)
		dd_strlcpy(f, e->buf, FILTER_MAX); /* the list narrows as you type */
	if (r == LE_CANCEL) {
		if (f)
			dd_strlcpy(f, c->filter_saved, FILTER_MAX);
		c->prompt = PROMPT_NONE;
	}
	if (r != LE_ACCEPT)
		return REACT_REDRAW;
	lineedit_remember(e);
	c->prompt = PROMPT_NONE;
	if (!cmd)
		return REACT_REDRAW;
	struct ccmd parsed;
	char err[256];
	if (cmdline_parse(e->buf, &parsed, err, sizeof(err)) != 0) {
		console_status(c, DD_STYLE_WARN, "%s", err);
		return REACT_REDRAW;
	}
	return run_command(c, &parsed);
}

/* ---- commands ----------------------------------------------------------- */

static unsigned
set_refresh(struct console *c, int64_t ms)
{
	c->refresh_ms = ms;
	memset(&c->req, 0, sizeof(c->req));
	c->req.kind = REQ_REFRESH;
	c->req.refresh_ms = ms;
	return REACT_REDRAW | REACT_REQUEST;
}

static unsigned
cmd_filter(struct console *c, const char *text)
{
	const struct view *v = view_get(c->view);
	if (!v->filter) {
		console_show(c, VIEW_QUERIES);
		v = &view_queries;
	}
	dd_strlcpy(v->filter(c), text, FILTER_MAX);
	return REACT_REDRAW;
}

static unsigned
cmd_theme(struct console *c, const char *name)
{
	if (console_theme_use(c, name) == 0)
		console_status(c, DD_STYLE_STATUS_BAR, "theme %s", c->theme.name);
	return REACT_REDRAW | REACT_STYLES;
}

/* :patroni CLUSTER pause|resume: the typed dialog, then a job (console_jobs.c). */
static unsigned
cmd_patroni(struct console *c, const char *cluster, const char *op, const char *node)
{
	static const char *const what[] = {
	    [DD_PATRONI_PAUSE] = "maintenance mode: Patroni stops managing the cluster",
	    [DD_PATRONI_RESUME] = "Patroni manages the cluster again",
	    [DD_PATRONI_RESTART] = "the member's PostgreSQL restarts through its Patroni agent",
	    [DD_PATRONI_REINIT] = "the member is rebuilt from the leader: its data is replaced"};
	int k = dd_patroni_op_parse(op);
	bool member = k == DD_PATRONI_RESTART || k == DD_PATRONI_REINIT;

	if (c->read_only) {
		console_status(c, DD_STYLE_READONLY_BANNER, "READ-ONLY: ':patroni' is disabled");
		return REACT_REDRAW;
	}
	if (k < 0 || k > DD_PATRONI_REINIT || member != (node != NULL)) {
		console_status(c, DD_STYLE_WARN,
		    ":patroni CLUSTER pause|resume, or restart|reinit NODE (not '%.40s')", op);
		return REACT_REDRAW;
	}
	memset(&c->pending, 0, sizeof(c->pending));
	c->pending.kind = REQ_PATRONI;
	c->pending.patroni_op = k;
	dd_strlcpy(c->pending.cluster_name, cluster, sizeof(c->pending.cluster_name));
	dd_strlcpy(c->pending.node_name, node ? node : "", sizeof(c->pending.node_name));
	char t[160];
	snprintf(t, sizeof(t), "Patroni %s of %.60s%s%.40s?", dd_patroni_op_name(k), cluster,
	    node ? " member " : "", node ? node : "");
	dialog_typed(&c->dlg, t, "Ask Patroni", c->pending.cluster_name);
	dialog_line(&c->dlg, "%s", what[k]);
	return REACT_REDRAW;
}

static unsigned
run_command(struct console *c, const struct ccmd *cmd)
{
	const struct ccmd_def *d = cmd->def;
	if (!d->available) {
		if (c->read_only)
			console_status(
			    c, DD_STYLE_READONLY_BANNER, "READ-ONLY: ':%s' is disabled", d->name);
		else
			console_status(c, DD_STYLE_WARN, "':%s' is not yet available", d->name);
		return REACT_REDRAW;
	}
	switch (d->kind) {
	case CCMD_QUIT: return quit_ask(c);
	case CCMD_THEME: return cmd_theme(c, cmd->args[0]);
	case CCMD_REFRESH: return set_refresh(c, cmd->ms);
	case CCMD_FILTER: return cmd_filter(c, cmd->nargs ? cmd->args[0] : "");
	case CCMD_HELP: console_show(c, VIEW_HELP); return REACT_REDRAW;
	case CCMD_SWITCHOVER: return view_ask_action_named(c, cmd->args[0], false);
	case CCMD_FAILOVER: return view_ask_action_named(c, cmd->nargs ? cmd->args[0] : NULL, true);
	case CCMD_PATRONI:
		return cmd_patroni(
		    c, cmd->args[0], cmd->args[1], cmd->nargs > 2 ? cmd->args[2] : NULL);
	default: break;
	}
	return REACT_REDRAW;
}

/* ---- global actions ----------------------------------------------------- */

static unsigned
toggle_pause(struct console *c)
{
	c->paused = !c->paused;
	memset(&c->req, 0, sizeof(c->req));
	c->req.kind = REQ_PAUSE;
	c->req.pause = c->paused;
	console_status(c, DD_STYLE_STATUS_BAR,
	    c->paused ? "paused: the screen holds still (p resumes)" : "resumed");
	return REACT_REDRAW | REACT_REQUEST;
}

static unsigned
global_act(struct console *c, enum action a)
{
	int top = top_view(c);
	switch (a) {
	case ACT_NEXT_VIEW: console_show(c, (enum view_id)((top + 1) % VIEW_TOP_COUNT)); break;
	case ACT_PREV_VIEW:
		console_show(c, (enum view_id)((top + VIEW_TOP_COUNT - 1) % VIEW_TOP_COUNT));
		break;
	case ACT_VIEW_OVERVIEW: console_show(c, VIEW_OVERVIEW); break;
	case ACT_VIEW_QUERIES: console_show(c, VIEW_QUERIES); break;
	case ACT_VIEW_EVENTS: console_show(c, VIEW_EVENTS); break;
	case ACT_VIEW_HELP: console_show(c, VIEW_HELP); break;
	case ACT_VIEW_SCHEMA: return view_schema_open(c);
	case ACT_BACK: return go_back(c);
	case ACT_FILTER:
		if (!view_get(c->view)->filter)
			return REACT_NONE;
		open_prompt(c, PROMPT_FILTER);
		break;
	case ACT_COMMAND: open_prompt(c, PROMPT_COMMAND); break;
	case ACT_PAUSE: return toggle_pause(c);
	case ACT_SLOWER:
	case ACT_FASTER: {
		int64_t ms = cmdline_refresh_step(c->refresh_ms, a == ACT_SLOWER ? 1 : -1);
		return ms == c->refresh_ms ? REACT_NONE : set_refresh(c, ms);
	}
	case ACT_THEME_NEXT: console_theme_next(c); return REACT_REDRAW | REACT_STYLES;
	case ACT_REDRAW: return REACT_REDRAW | REACT_REPAINT;
	case ACT_QUIT: return quit_ask(c);
	case ACT_VIEW_BACKUPS: return view_backups_open(c);
	default: return REACT_UNKNOWN;
	}
	return REACT_REDRAW;
}

static unsigned
dialog_done(struct console *c, int key)
{
	enum dialog_result r = dialog_key(&c->dlg, key);
	if (r == DIALOG_YES && c->pending.kind == REQ_QUIT) {
		memset(&c->pending, 0, sizeof(c->pending));
		return REACT_QUIT;
	}
	if (r == DIALOG_YES && c->pending.kind != REQ_NONE) {
		c->req = c->pending;
		memset(&c->pending, 0, sizeof(c->pending));
		if (c->req.kind == REQ_BACKUP)
			console_status(c, DD_STYLE_STATUS_BAR,
			    "restoring backup %s of %s into %s ...", c->req.bk_which,
			    c->req.cluster_name, c->req.bk_into);
		else if (c->req.kind == REQ_RUN_PLAN)
			console_status(c, DD_STYLE_STATUS_BAR, "%s of %s started",
			    c->req.failover ? "failover" : "switchover", c->req.cluster_name);
		else if (c->req.kind == REQ_PATRONI)
			console_status(c, DD_STYLE_STATUS_BAR, "asking Patroni to %s %s ...",
			    dd_patroni_op_name((enum dd_patroni_op)c->req.patroni_op),
			    c->req.cluster_name);
		else
			console_status(c, DD_STYLE_STATUS_BAR, "%s %s ...",
			    c->req.terminate ? "terminating" : "cancelling", c->req.target);
		return REACT_REDRAW | REACT_REQUEST;
	}
	if (r == DIALOG_NO) {
		memset(&c->pending, 0, sizeof(c->pending));
		console_status(c, DD_STYLE_STATUS_BAR, "nothing done");
	}
	return REACT_REDRAW;
}

/* While a switchover or failover is on screen: Esc closes it once it has ended. */
static unsigned
action_key(struct console *c, int key)
{
	if (key != TK_ESC)
		return REACT_NONE;
	if (!c->act.finished) {
		console_status(
		    c, DD_STYLE_WARN, "it still runs; Esc closes this once it has ended");
		return REACT_REDRAW;
	}
	c->act.shown = false;
	return REACT_REDRAW;
}

void
console_action_show(struct console *c, const struct dd_job_status *st)
{
	struct console_action *a = &c->act;
	char d[DD_JOB_TEXT_MAX + 64];

	a->shown = true;
	a->finished = st->state == DD_JOB_FINISHED;
	a->ok = st->outcome == DD_JOB_DONE;
	snprintf(a->title, sizeof(a->title), "%s of %s%s",
	    strcmp(st->kind, "failover") == 0 ? "Failover" : "Switchover", st->cluster,
	    a->finished ? "" : " (running)");
	a->n = 0;
	for (size_t i = 0; i < st->n_steps && a->n < ACTION_LINES; i++) {
		const struct dd_job_step_status *s = &st->steps[i];
		char dur[24] = "";
		if (s->duration_ms >= 0 && s->state != DD_STEP_SKIPPED)
			snprintf(dur, sizeof(dur), "%.3f s", (double)s->duration_ms / 1000);
		snprintf(a->lines[a->n++], sizeof(a->lines[0]), "[%2zu/%zu] %-8s %9s  %s", i + 1,
		    st->n_steps, dd_step_state_name(s->state), dur, s->title);
	}
	dd_job_describe(st, d, sizeof(d));
	dd_text_sanitize(a->outcome[0], sizeof(a->outcome[0]), d, strlen(d), 150, DD_TEXT_UTF8);
	a->outcome[1][0] = '\0';
	if (strlen(d) > 150)
		dd_text_sanitize(a->outcome[1], sizeof(a->outcome[1]), d + 150, strlen(d + 150),
		    150, DD_TEXT_UTF8);
}

unsigned
console_key(struct console *c, int key)
{
	if (key == TK_RESIZE)
		return REACT_REDRAW;
	if (c->dlg.open)
		return dialog_done(c, key);
	if (c->act.shown)
		return action_key(c, key);
	if (c->prompt != PROMPT_NONE)
		return prompt_key(c, key);
	const struct view *v = view_get(c->view);
	/* Before the first frame: the smallest content area. */
	int h = c->page_height > 0 ? c->page_height : CONSOLE_MIN_ROWS - 4;
	enum action a = keys_lookup(v->keys, key, NULL);
	if (a == ACT_NONE && v->moves)
		a = keys_lookup(&keymap_move, key, NULL);
	if (a != ACT_NONE) {
		unsigned r = v->act(c, a, h);
		if (!(r & REACT_UNKNOWN))
			return r;
		r = global_act(c, a);
		if (!(r & REACT_UNKNOWN))
			return r;
	}
	a = keys_lookup(&keymap_global, key, NULL);
	return a == ACT_NONE ? REACT_UNKNOWN : global_act(c, a);
}
