/*
 * console_test.c: the console as a whole, over hand-made snapshots, rendered
 * into an in-memory screen (no terminal): the overview's rows, 80x24 and the
 * too-small message, the ASCII glyph set, sanitized query text, the
 * selection following a query across snapshots, read-only mode, the
 * cancel dialog (focus on Cancel; the request only after confirming), and
 * S / F (switchover, failover): what they ask of the loop, and the panel of
 * a running action.
 */
#include <string.h>

#include "console.h"
#include "dbdeck/jobs.h"
#include "fake_snap.h"
#include "tap.h"

static struct fake f;
static struct console c;
static struct screen scr;
static char row[1024];

static void
setup(bool utf8, bool read_only, int rows, int cols)
{
	console_free(&c);
	console_init(&c, utf8 ? &glyphs_utf8 : &glyphs_ascii, true, read_only, 1000);
	c.snap = &f.s;
	c.now_wall_ms = 1700000000000;
	screen_resize(&scr, rows, cols);
	scr.ascii = !utf8;
}

static void
render(void)
{
	console_draw(&c, &scr);
}

/* The first row containing needle, or -1. */
static int
find_row(const char *needle)
{
	for (int y = 0; y < scr.rows; y++)
		if (strstr(screen_row_text(&scr, y, row, sizeof(row)), needle))
			return y;
	return -1;
}

/* Shows the screen in the TAP output (after a failed check). */
static void
dump(void)
{
	for (int y = 0; y < scr.rows; y++)
		diag("%2d|%s", y, screen_row_text(&scr, y, row, sizeof(row)));
}

/* True when row y contains needle. */
static bool
row_has(int y, const char *needle)
{
	return strstr(screen_row_text(&scr, y, row, sizeof(row)), needle) != NULL;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

static bool
screen_has_byte_over(unsigned char limit)
{
	for (int y = 0; y < scr.rows; y++) {
		screen_row_text(&scr, y, row, sizeof(row));
		for (const unsigned char *p = (const unsigned char *)row; *p; p++)
			if (*p >= limit || *p < 0x20)
				return true;
	}
	return false;
}

static void
test_overview(void)
{
	setup(true, false, 24, 80);
	render();
	static const char *const names[] = {"pg1", "pg2", "pg3", "my1", "my2", "my3"};
	for (int i = 0; i < 6; i++) {
		int y = find_row(names[i]);
		ok(y > 2, "%s has a row", names[i]);
		if (y > 2)
			ok(strstr(row, i % 3 == 0 ? "primary" : "replica") != NULL,
			    "%s shows its role", names[i]);
	}
	ok(find_row("terminal too small") < 0, "80x24 is big enough");
	ok(find_row(" pg ") >= 0 && find_row("postgresql") >= 0, "the pg cluster has a title line");
	ok(find_row("UTC") == 0, "the top line has a UTC clock");
	ok(find_row("refresh 1s") == 0, "and the refresh interval");
	ok(find_row("1 Overview") == 1, "the tabs are on the second line");
	ok(find_row("q quit") == 23, "the bottom line shows key hints");
	ok(!screen_has_byte_over(0xff), "no control character on the screen");

	f.nodes[2].lag_s = 3;
	render();
	find_row("pg3");
	ok(strstr(row, "3.0s!") != NULL && row[0] == '!',
	    "lag past lag_max: '!' marker and 3.0s! (%s)", row);
	f.nodes[2].lag_s = 6;
	render();
	find_row("pg3");
	ok(strstr(row, "6.0s!!") != NULL && row[0] == 'X', "lag past lag_critical: 'X' and 6.0s!!");
	f.nodes[2].lag_s = 0.2;
	render();
	find_row("pg2");
	ok(ends_with(row, " 25"), "QPS: statements per second (%s)", row);
	f.nodes[1].qps = NAN; /* PostgreSQL without pg_stat_statements */
	f.nodes[1].tps = 27000;
	f.nodes[1].load_per_s = 27000;
	f.nodes[1].load_kind = DD_RATE_TRANSACTIONS;
	render();
	find_row("pg2");
	ok(ends_with(row, " 27kt"),
	    "no statement count: transactions per second, marked t, never a blank (%s)", row);
	f.nodes[1].state = DD_NODE_DOWN;
	f.nodes[1].breaker = DD_BREAKER_OPEN;
	render();
	find_row("pg2");
	ok(strstr(row, "down") && strstr(row, "open") && row[0] == 'X',
	    "a down node: down, open, X (%s)", row);
	fake_init(&f);
}

static void
test_sizes(void)
{
	setup(true, false, 20, 60);
	render();
	ok(find_row("terminal too small (need 80x24)") >= 0, "60x20 says terminal too small");
	ok(find_row("pg1") < 0, "and shows nothing else");
	setup(true, false, 24, 79);
	render();
	ok(find_row("terminal too small") >= 0, "79 columns are too few");
	setup(true, false, 30, 100);
	render();
	ok(find_row("pg1") > 0, "100x30 shows the overview");
}

static void
test_ascii(void)
{
	setup(false, false, 24, 80);
	render();
	ok(!screen_has_byte_over(0x80), "ASCII mode: no byte >= 0x80 on the overview");
	console_key(&c, '2');
	render();
	ok(!screen_has_byte_over(0x80), "nor on the slow queries");
	console_key(&c, '4');
	render();
	ok(!screen_has_byte_over(0x80), "nor on the help");
}

static void
test_sanitize(void)
{
	static char big[1 << 20];
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "select pg_sleep(20) /* ", 23);
	fake_query(&f, 3, 0, 404, 20, "mallory", "select 1 /* \x1b]0;owned\x07\x1b[2J */");
	fake_query(&f, 4, 0, 505, 19, "big", big);
	f.s.n_queries = 5;
	setup(true, false, 30, 100);
	console_key(&c, '2');
	render();
	int y = find_row("mallory");
	ok(y > 0, "the hostile query has a row");
	ok(strstr(row, "\xe2\x90\x9b]0;owned\xe2\x90\x87") != NULL,
	    "its ESC and BEL are shown as control pictures") ||
	    (dump(), 0);
	ok(!screen_has_byte_over(0xff), "no control character reaches the screen");
	ok(find_row("505") > 0, "the 1 MB query has a row");
	console_key(&c, TK_DOWN);
	console_key(&c, TK_ENTER);
	is_int(c.view, VIEW_STATEMENT, "Enter opens the statement view");
	render();
	ok(find_row("1048575 bytes") > 0, "the statement view shows the whole length");
	y = find_row("select pg_sleep(20) /*");
	ok(y > 0 && screen_row_text(&scr, y + 1, row, sizeof(row)) && row[1] == 'x',
	    "and the text, wrapped") ||
	    (dump(), 0);
	console_key(&c, TK_END);
	render();
	ok(find_row("xxxxxxxx") > 0, "End scrolls to the end of the 1 MB text");
	fake_init(&f);
}

static void
test_follow(void)
{
	setup(true, false, 24, 80);
	console_key(&c, '2');
	render();
	console_key(&c, TK_DOWN);
	render();
	int64_t pid = f.s.queries[c.rows.idx[c.queries.sel.row]].pid;
	is_int(pid, 303, "Down selects the second longest query (303)");
	struct fake g = f;
	g.s.queries = g.queries;
	g.queries[0].duration_s = 1; /* 101 falls to the bottom */
	c.snap = &g.s;
	render();
	is_int(g.s.queries[c.rows.idx[c.queries.sel.row]].pid, 303,
	    "a new snapshot reorders the rows: 303 stays selected");
	is_int(c.queries.sel.row, 0, "now on the first row");
	c.paused = true;
	console_key(&c, 'p');
	ok(!c.paused && c.req.kind == REQ_PAUSE && !c.req.pause,
	    "p toggles pause and asks the monitor");
	c.snap = &f.s;
}

static void
test_readonly(void)
{
	setup(true, true, 24, 80);
	render();
	ok(find_row("READ-ONLY") == 0, "the top line says READ-ONLY");
	console_key(&c, '2');
	render();
	ok(find_row("c cancel") < 0, "the cancel key is not in the hints");
	c.req.kind = REQ_NONE;
	unsigned r = console_key(&c, 'c');
	render();
	ok(!(r & REACT_REQUEST) && c.req.kind == REQ_NONE && !c.dlg.open, "c does nothing");
	ok(row_has(scr.rows - 2, "READ-ONLY"), "but say READ-ONLY in the status line") ||
	    (dump(), 0);
	console_key(&c, 'K');
	ok(!c.dlg.open, "K does nothing either");
	console_key(&c, ':');
	for (const char *p = "switchover pg2"; *p; p++)
		console_key(&c, *p);
	console_key(&c, TK_ENTER);
	render();
	ok(row_has(scr.rows - 2, "READ-ONLY: switchover is disabled"),
	    ":switchover is refused as READ-ONLY") ||
	    (dump(), 0);
}

static void
test_cancel(void)
{
	setup(true, false, 24, 80);
	console_key(&c, '2');
	render();
	console_key(&c, 'c');
	render();
	ok(c.dlg.open, "c opens a dialog");
	ok(find_row("pid: 101") > 0, "naming the pid");
	ok(find_row("node: pg1") > 0, "the node");
	ok(find_row("user: alice") > 0, "the user");
	ok(find_row("query start: 2023-11-14") > 0, "and the query start");
	ok(find_row("[>Cancel<]") > 0, "with the focus on Cancel");
	unsigned r = console_key(&c, TK_ESC);
	ok(!c.dlg.open && !(r & REACT_REQUEST), "Esc closes it with no request");
	console_key(&c, 'c');
	r = console_key(&c, TK_ENTER);
	ok(!c.dlg.open && !(r & REACT_REQUEST), "Enter on Cancel: no request");
	console_key(&c, 'K');
	render();
	ok(find_row("Terminate this session?") > 0, "K asks about terminating");
	console_key(&c, TK_TAB);
	r = console_key(&c, TK_ENTER);
	ok((r & REACT_REQUEST) && c.req.kind == REQ_CANCEL_QUERY, "Tab, Enter: a request");
	ok(c.req.pid == 101 && c.req.terminate && c.req.started_us == f.queries[0].started_us,
	    "for pid 101, terminate, with its start time for the re-check");
	ok(strcmp(c.req.node_name, "pg1") == 0 && strcmp(c.req.cluster_name, "pg") == 0,
	    "naming node and cluster for the log");
}

static void
test_views(void)
{
	setup(true, false, 24, 80);
	render();
	console_key(&c, TK_TAB);
	is_int(c.view, VIEW_QUERIES, "Tab: slow queries");
	console_key(&c, TK_TAB);
	is_int(c.view, VIEW_EVENTS, "Tab: alerts & events");
	render();
	ok(find_row("ACTIVE ALERTS (1)") > 0 && find_row("lag 3s > lag_max 2s") > 0,
	    "the alert is listed") ||
	    (dump(), 0);
	console_key(&c, TK_TAB);
	is_int(c.view, VIEW_HELP, "Tab: help");
	console_key(&c, TK_TAB);
	is_int(c.view, VIEW_OVERVIEW, "Tab: back to the overview");
	console_key(&c, TK_DOWN);
	console_key(&c, TK_ENTER);
	is_int(c.view, VIEW_NODE, "Enter on a node: its detail");
	is_int(c.detail.node, 1, "of pg2");
	render();
	ok(find_row("REPLICATION") > 0 && find_row("lag history") > 0,
	    "the detail shows replication");
	console_key(&c, 'l');
	is_int(c.detail.node, 2, "l: the next node");
	console_key(&c, TK_ESC);
	is_int(c.view, VIEW_OVERVIEW, "Esc goes back");
	render();
	is_int(c.overview.sel.id, rows_node_id(2), "on the node last shown (pg3)");
	console_key(&c, '/');
	for (const char *p = "my"; *p; p++)
		console_key(&c, *p);
	render();
	ok(find_row("pg1") < 0 && find_row("my1") > 0, "the overview filter narrows as you type");
	console_key(&c, TK_ESC);
	render();
	ok(find_row("pg1") > 0, "Esc in the prompt restores the filter");
	console_key(&c, '2');
	console_key(&c, '/');
	for (const char *p = "bob"; *p; p++)
		console_key(&c, *p);
	console_key(&c, TK_ENTER);
	render();
	ok(find_row("alice") < 0 && find_row("bob") > 0, "the slow-query filter narrows the list");
	console_key(&c, 's');
	is_int(c.queries.sort, QSORT_NODE, "s: sort by the next column");
	console_key(&c, ':');
	for (const char *p = "refresh 2s"; *p; p++)
		console_key(&c, *p);
	unsigned r = console_key(&c, TK_ENTER);
	ok((r & REACT_REQUEST) && c.req.kind == REQ_REFRESH && c.req.refresh_ms == 2000,
	    ":refresh 2s asks for 2000 ms");
	c.req.kind = REQ_NONE;
	r = console_key(&c, '+');
	ok(c.req.refresh_ms == 5000, "+ lengthens the interval to 5s");
	r = console_key(&c, 'q');
	ok(r & REACT_QUIT, "q quits");
}

/* Types a ':' command and Enter; the reaction of the Enter. */
static unsigned
command(const char *line)
{
	for (const char *p = line; *p; p++)
		console_key(&c, (unsigned char)*p);
	return console_key(&c, TK_ENTER);
}

/* S and F on the overview (the loop plans; the dialog and the run are the loop's). */
static void
test_switchover(void)
{
	setup(true, false, 24, 80);
	render();
	unsigned r = console_key(&c, 'S'); /* the first row: pg1, the primary */
	render();
	ok(!(r & REACT_REQUEST) && find_row("select a replica to promote (pg1 is a primary)") > 0,
	    "S on the primary: no request, says why");
	console_key(&c, TK_DOWN);
	r = console_key(&c, 'S');
	ok((r & REACT_REQUEST) && c.req.kind == REQ_PLAN && !c.req.failover &&
	        strcmp(c.req.fo_to, "pg2") == 0 && strcmp(c.req.cluster_name, "pg") == 0,
	    "S on pg2: plan a switchover of pg to pg2");
	memset(&c.req, 0, sizeof(c.req));
	r = console_key(&c, 'F');
	render();
	ok(!(r & REACT_REQUEST) && find_row("the primary of pg answers") > 0,
	    "F while the primary answers: no request");
	f.nodes[0].reachable = false;
	f.nodes[0].state = DD_NODE_DOWN;
	r = console_key(&c, 'F');
	ok((r & REACT_REQUEST) && c.req.kind == REQ_PLAN && c.req.failover && c.req.fo_to[0] == 0,
	    "F with the primary down: plan a failover (the most advanced replica)");
	memset(&c.req, 0, sizeof(c.req));
	r = command(":failover");
	ok((r & REACT_REQUEST) && c.req.kind == REQ_PLAN && c.req.failover &&
	        strcmp(c.req.cluster_name, "pg") == 0 && c.req.fo_to[0] == 0,
	    ":failover: the cluster whose primary is down, the most advanced replica");
	memset(&c.req, 0, sizeof(c.req));
	r = command(":failover pg3");
	ok((r & REACT_REQUEST) && c.req.failover && strcmp(c.req.fo_to, "pg3") == 0,
	    ":failover pg3: a failover to pg3");
	fake_init(&f);
	setup(true, false, 24, 80);
	memset(&c.req, 0, sizeof(c.req));
	r = command(":switchover pg2");
	ok((r & REACT_REQUEST) && c.req.kind == REQ_PLAN && !c.req.failover &&
	        strcmp(c.req.fo_to, "pg2") == 0 && strcmp(c.req.cluster_name, "pg") == 0,
	    ":switchover pg2: the same plan as S on pg2");
	r = command(":switchover pg1");
	render();
	ok(!(r & REACT_REQUEST) && find_row("select a replica to promote (pg1 is a primary)") > 0,
	    ":switchover of the primary: no request, says why");
	r = command(":switchover nosuch");
	render();
	ok(!(r & REACT_REQUEST) && find_row("no node 'nosuch'") > 0, ":switchover of no node");
	r = command(":failover");
	render();
	ok(!(r & REACT_REQUEST) && find_row("every cluster's primary answers") > 0,
	    ":failover while every primary answers: no request");
	setup(true, true, 24, 80);
	console_key(&c, TK_DOWN);
	r = console_key(&c, 'S');
	render();
	ok(!(r & REACT_REQUEST) && find_row("READ-ONLY: switchover is disabled") > 0,
	    "read-only: S is refused");

	setup(true, false, 24, 80);
	static struct dd_job_status st;
	memset(&st, 0, sizeof(st));
	strcpy(st.kind, "switchover");
	strcpy(st.cluster, "pg");
	st.state = DD_JOB_RUNNING;
	st.n_steps = 2;
	strcpy(st.steps[0].title, "lock the cluster");
	st.steps[0].state = DD_STEP_DONE;
	st.steps[0].duration_ms = 98;
	strcpy(st.steps[1].title, "fence pg1");
	st.steps[1].state = DD_STEP_RUNNING;
	st.steps[1].duration_ms = 20;
	console_action_show(&c, &st);
	render();
	ok(find_row("Switchover of pg (running)") >= 0 &&
	        find_row("[ 1/2] done       0.098 s  lock the cluster") > 0 &&
	        find_row("running") > 0,
	    "the panel: each step's state and duration");
	if (find_row("lock the cluster") < 0 || find_row("0.098 s") < 0)
		dump();
	r = console_key(&c, TK_ESC);
	render();
	ok(c.act.shown && find_row("it still runs") > 0, "Esc while it runs: it stays");
	st.state = DD_JOB_FINISHED;
	st.outcome = DD_JOB_DONE;
	st.steps[1].state = DD_STEP_DONE;
	console_action_show(&c, &st);
	render();
	ok(find_row("Esc: close") > 0 && find_row("done in") > 0, "ended: the outcome, Esc closes");
	if (find_row("Esc: close") < 0)
		dump();
	console_key(&c, TK_ESC);
	ok(!c.act.shown, "Esc closes it");
}

/* The Backups view: b opens it, b takes, R asks the database then the typed name; q asks. */
static void
test_backups(void)
{
	setup(true, false, 24, 100);
	render();
	unsigned r = console_key(&c, 'b');
	ok(c.view == VIEW_BACKUPS && c.bk.cluster == 0, "b opens the Backups view of pg");
	strcpy(c.bk.cluster_name, "pg");
	c.bk.read_ms = c.now_wall_ms;
	c.bk.max_age_ms = 26 * 3600000LL;
	c.bk.n = 1;
	memset(&c.bk.rows[0], 0, sizeof(c.bk.rows[0]));
	strcpy(c.bk.rows[0].id, "1a2b3c4d");
	strcpy(c.bk.rows[0].node, "pg2");
	c.bk.rows[0].started_ms = c.now_wall_ms - 3600000;
	c.bk.rows[0].ended_ms = c.now_wall_ms - 3590000;
	c.bk.rows[0].bytes_stored = 5 << 20;
	c.bk.newest_good_ms = c.bk.rows[0].started_ms;
	render();
	ok(find_row("1a2b3c4d") > 0 && find_row("newest good backup 1h00m ago") > 0 &&
	        find_row("unverified") > 0,
	    "the row and the newest good backup's age");
	if (find_row("1a2b3c4d") < 0)
		dump();
	r = console_key(&c, 'b');
	ok((r & REACT_REQUEST) && c.req.kind == REQ_BACKUP && c.req.bk_action == REQ_BK_TAKE &&
	        strcmp(c.req.cluster_name, "pg") == 0 && c.req.node_name[0],
	    "b there: a take request with the chosen node (%s)", c.req.node_name);
	memset(&c.req, 0, sizeof(c.req));
	console_key(&c, 'R');
	ok(c.prompt == PROMPT_DATABASE, "R asks for the target database");
	console_key(&c, '9');
	console_key(&c, TK_ENTER);
	ok(!c.dlg.open && strstr(c.status, "not a valid database name"), "a bad name is refused");
	console_key(&c, 'R');
	for (const char *k = "copy1"; *k; k++)
		console_key(&c, *k);
	console_key(&c, TK_ENTER);
	ok(c.dlg.open && c.dlg.kind == DIALOG_TYPED && strcmp(c.dlg.expect, "pg") == 0,
	    "then the typed dialog: the cluster's name");
	r = console_key(&c, TK_ENTER);
	ok(c.dlg.open && !(r & REACT_REQUEST), "Enter without the name does nothing");
	console_key(&c, 'p');
	r = console_key(&c, 'g');
	r = console_key(&c, TK_ENTER);
	ok((r & REACT_REQUEST) && c.req.kind == REQ_BACKUP && c.req.bk_action == REQ_BK_RESTORE &&
	        strcmp(c.req.bk_which, "1a2b3c4d") == 0 && strcmp(c.req.bk_into, "copy1") == 0,
	    "typed: a restore request of the backup into copy1");
	memset(&c.req, 0, sizeof(c.req));
	c.bk.any_running = true;
	r = console_key(&c, 'q');
	ok(!(r & REACT_QUIT) && c.dlg.open, "q while a backup job runs asks first");
	console_key(&c, TK_TAB);
	r = console_key(&c, TK_ENTER);
	ok(r & REACT_QUIT, "confirmed: quit");
	c.bk.any_running = false;
	setup(true, true, 24, 100);
	console_key(&c, 'b');
	r = console_key(&c, 'b');
	ok(!(r & REACT_REQUEST) && strstr(c.status, "READ-ONLY"), "read-only: no take");
}

int
main(void)
{
	fake_init(&f);
	test_overview();
	test_sizes();
	test_ascii();
	test_sanitize();
	test_follow();
	test_readonly();
	test_cancel();
	test_views();
	test_backups();
	test_switchover();
	console_free(&c);
	screen_free(&scr);
	return tap_done();
}
