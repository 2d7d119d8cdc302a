/*
 * cmdline_test.c: the ':' commands, durations, the refresh ladder, the line
 * editor with its history (tui/console/cmdline.c) and the dialogs (tui/console/dialog.c).
 */
#include <string.h>

#include "cmdline.h"
#include "dialog.h"
#include "keys.h"
#include "tap.h"

static int
parse(const char *line, struct ccmd *c, char *err)
{
	err[0] = '\0';
	return cmdline_parse(line, c, err, 256);
}

static void
test_parse(void)
{
	struct ccmd c;
	char err[256];
	ok(parse("q", &c, err) == 0 && c.def->kind == CCMD_QUIT, ":q quits");
	ok(parse("quit", &c, err) == 0 && c.def->kind == CCMD_QUIT, ":quit quits");
	ok(parse("theme light", &c, err) == 0 && c.def->kind == CCMD_THEME &&
	        strcmp(c.args[0], "light") == 0,
	    ":theme light");
	ok(parse("theme", &c, err) != 0 && strstr(err, ":theme NAME"),
	    ":theme without a name shows the usage (%s)", err);
	ok(parse("theme a b", &c, err) != 0 && strstr(err, "too many"), "too many arguments (%s)",
	    err);
	ok(parse("refresh 2s", &c, err) == 0 && c.ms == 2000, ":refresh 2s is 2000 ms");
	ok(parse("refresh 500ms", &c, err) == 0 && c.ms == 500, ":refresh 500ms");
	ok(parse("refresh 1.5", &c, err) == 0 && c.ms == 1500, ":refresh 1.5 (seconds)");
	ok(parse("refresh 1m", &c, err) == 0 && c.ms == 60000, ":refresh 1m");
	ok(parse("refresh 10ms", &c, err) != 0 && strstr(err, "out of range"),
	    "10ms is too short (%s)", err);
	ok(parse("refresh 2x", &c, err) != 0 && strstr(err, "bad duration"),
	    "2x is no duration (%s)", err);
	ok(parse("refresh -1s", &c, err) != 0, "a negative duration is refused");
	ok(parse("filter  user:bob  db:app ", &c, err) == 0 && c.def->kind == CCMD_FILTER &&
	        strcmp(c.args[0], "user:bob  db:app ") == 0,
	    ":filter keeps the rest of the line");
	ok(parse("filter", &c, err) == 0 && c.nargs == 0, ":filter alone clears");
	ok(parse("switchover pg2", &c, err) == 0 && c.def->kind == CCMD_SWITCHOVER &&
	        c.def->available && c.nargs == 1 && strcmp(c.args[0], "pg2") == 0,
	    ":switchover NODE");
	ok(parse("switchover", &c, err) != 0 && strstr(err, ":switchover NODE"),
	    ":switchover needs a node (%s)", err);
	ok(parse("failover", &c, err) == 0 && c.def->kind == CCMD_FAILOVER && c.nargs == 0,
	    ":failover alone");
	ok(parse("failover pg3", &c, err) == 0 && c.nargs == 1, ":failover NODE");
	ok(parse("backup", &c, err) != 0, ":backup needs a cluster");
	ok(parse("thme x", &c, err) != 0 && strstr(err, "did you mean 'theme'"),
	    "a typo gets a suggestion (%s)", err);
	ok(parse("\x1b[2Jzz", &c, err) != 0 && !strchr(err, 0x1b),
	    "an unknown command is named sanitized (%s)", err + 1);
	ok(parse("   ", &c, err) != 0, "an empty line is an error");
}

static void
test_ladder(void)
{
	is_int(cmdline_refresh_step(1000, +1), 2000, "+ from 1s is 2s");
	is_int(cmdline_refresh_step(1000, -1), 500, "- from 1s is 500ms");
	is_int(cmdline_refresh_step(1500, +1), 2000, "+ from 1.5s is 2s");
	is_int(cmdline_refresh_step(1500, -1), 1000, "- from 1.5s is 1s");
	is_int(cmdline_refresh_step(250, -1), 250, "- stops at 250ms");
	is_int(cmdline_refresh_step(60000, +1), 60000, "+ stops at 1m");
}

static void
type(struct lineedit *e, const char *s)
{
	while (*s)
		lineedit_key(e, (unsigned char)*s++);
}

static void
test_edit(void)
{
	struct lineedit e;
	memset(&e, 0, sizeof(e));
	lineedit_start(&e, NULL);
	type(&e, "helo");
	lineedit_key(&e, TK_LEFT);
	lineedit_key(&e, 'l');
	is_str(e.buf, "hello", "insert in the middle");
	lineedit_key(&e, TK_HOME);
	lineedit_key(&e, TK_DELETE);
	is_str(e.buf, "ello", "Home, Delete");
	lineedit_key(&e, TK_END);
	lineedit_key(&e, TK_BACKSPACE);
	is_str(e.buf, "ell", "End, Backspace");
	lineedit_key(&e, 0xe9);
	is_str(e.buf, "ell\xc3\xa9", "a non-ASCII character is stored as UTF-8");
	lineedit_key(&e, TK_BACKSPACE);
	is_str(e.buf, "ell", "Backspace removes the whole character");
	lineedit_key(&e, 0x1b);
	lineedit_key(&e, 7);
	is_str(e.buf, "ell", "control characters are not inserted");
	is_int(lineedit_key(&e, TK_ENTER), LE_ACCEPT, "Enter accepts");
	lineedit_remember(&e);
	lineedit_start(&e, NULL);
	type(&e, "second");
	lineedit_remember(&e);
	lineedit_start(&e, NULL);
	type(&e, "dra");
	lineedit_key(&e, TK_UP);
	is_str(e.buf, "second", "Up recalls the last line");
	lineedit_key(&e, TK_UP);
	is_str(e.buf, "ell", "Up again, the one before");
	lineedit_key(&e, TK_UP);
	is_str(e.buf, "ell", "the oldest stays");
	lineedit_key(&e, TK_DOWN);
	lineedit_key(&e, TK_DOWN);
	is_str(e.buf, "dra", "Down past the newest returns to the draft");
	lineedit_key(&e, TK_CTRL('U'));
	is_str(e.buf, "", "^U clears");
	is_int(lineedit_key(&e, TK_ESC), LE_CANCEL, "Esc cancels");
}

static void
test_dialog(void)
{
	struct dialog d;
	dialog_confirm(&d, "Cancel this query?", "Cancel query", false);
	is_int(d.focus, DIALOG_FOCUS_CANCEL, "a confirmation starts with the focus on Cancel");
	is_int(dialog_key(&d, TK_ENTER), DIALOG_NO, "Enter right away is Cancel");
	ok(!d.open, "and closes the dialog");
	dialog_confirm(&d, "t", "Cancel query", false);
	is_int(dialog_key(&d, TK_ESC), DIALOG_NO, "Esc is Cancel");
	dialog_confirm(&d, "t", "Cancel query", false);
	is_int(dialog_key(&d, 'y'), DIALOG_OPEN, "'y' does not confirm");
	is_int(dialog_key(&d, TK_TAB), DIALOG_OPEN, "Tab moves the focus");
	is_int(d.focus, DIALOG_FOCUS_ACTION, "to the action button");
	is_int(dialog_key(&d, TK_ENTER), DIALOG_YES, "Enter on the action confirms");
	dialog_confirm(&d, "t", "x", false);
	dialog_key(&d, TK_RIGHT);
	dialog_key(&d, TK_LEFT);
	is_int(dialog_key(&d, TK_ENTER), DIALOG_NO, "Right then Left is back on Cancel");

	dialog_typed(&d, "Switch over pg?", "Switch over", "pg");
	is_int(d.focus, DIALOG_FOCUS_INPUT, "a typed confirmation starts in its field");
	is_int(dialog_key(&d, TK_ENTER), DIALOG_OPEN, "Enter with nothing typed does not confirm");
	ok(strstr(d.note, "type 'pg'") != NULL, "and says what to type (%s)", d.note);
	is_int(d.focus, DIALOG_FOCUS_INPUT, "the focus stays in the field");
	dialog_key(&d, 'p');
	dialog_key(&d, 'G');
	is_int(dialog_key(&d, TK_ENTER), DIALOG_OPEN, "'pG' is not 'pg'");
	dialog_key(&d, TK_BACKSPACE);
	dialog_key(&d, 'g');
	is_int(dialog_key(&d, TK_ENTER), DIALOG_YES, "the exact name confirms");
	dialog_typed(&d, "t", "Switch over", "pg");
	dialog_key(&d, 'p');
	dialog_key(&d, 'g');
	dialog_key(&d, TK_TAB);
	is_int(d.focus, DIALOG_FOCUS_CANCEL, "Tab from the field goes to Cancel");
	is_int(dialog_key(&d, TK_ENTER), DIALOG_NO,
	    "Enter on Cancel cancels even with the name typed");
	dialog_typed(&d, "t", "Switch over", "pg");
	is_int(dialog_key(&d, TK_ESC), DIALOG_NO, "Esc cancels a typed confirmation");
	dialog_typed(&d, "t", "Switch over", "pg");
	dialog_key(&d, 'p');
	dialog_key(&d, TK_TAB);
	dialog_key(&d, TK_TAB);
	is_int(d.focus, DIALOG_FOCUS_ACTION, "Tab twice from the field: the action button");
	is_int(dialog_key(&d, TK_ENTER), DIALOG_OPEN,
	    "the action button refuses while the name is incomplete");

	struct screen scr = {0};
	char row[256];
	bool found = false, clean = true;
	screen_resize(&scr, 24, 80);
	dialog_confirm(&d, "Cancel this query?", "Cancel query", false);
	dialog_line_untrusted(&d, "query", "select 1 /*\x1b]0;owned\x07*/", 24, true);
	dialog_draw(&d, &scr, &glyphs_utf8);
	for (int y = 0; y < 24; y++) {
		screen_row_text(&scr, y, row, sizeof(row));
		if (strchr(row, 0x1b) || strchr(row, 0x07))
			clean = false;
		if (strstr(row, "[>Cancel<]"))
			found = true;
	}
	ok(clean, "no dialog row holds a control character");
	ok(found, "the focused Cancel button is drawn as [>Cancel<]");
	screen_free(&scr);
}

int
main(void)
{
	test_parse();
	test_ladder();
	test_edit();
	test_dialog();
	return tap_done();
}
