/*
 * dialog.c: confirmation and typed-confirmation dialogs (dialog.h).
 */
#include "dialog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/util.h"
#include "dbdeck/text.h"
#include "keys.h"
#include "theme.h"

static void
open_common(struct dialog *d, enum dialog_kind kind, const char *title, const char *action)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->kind = kind;
	dd_strlcpy(d->title, title, sizeof(d->title));
	dd_strlcpy(d->action, action, sizeof(d->action));
	d->focus = DIALOG_FOCUS_CANCEL;
}

void
dialog_confirm(struct dialog *d, const char *title, const char *action, bool danger)
{
	open_common(d, DIALOG_CONFIRM, title, action);
	d->danger = danger;
}

void
dialog_typed(struct dialog *d, const char *title, const char *action, const char *expect)
{
	open_common(d, DIALOG_TYPED, title, action);
	d->danger = true;
	dd_strlcpy(d->expect, expect, sizeof(d->expect));
	lineedit_start(&d->input, NULL);
	d->focus = DIALOG_FOCUS_INPUT;
}

void
dialog_line(struct dialog *d, const char *fmt, ...)
{
	if (d->nlines >= DIALOG_LINES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->lines[d->nlines++], DIALOG_LINE_MAX, fmt, ap);
	va_end(ap);
}

void
dialog_line_untrusted(struct dialog *d, const char *label, const char *value, size_t len, bool utf8)
{
	char clean[DIALOG_LINE_MAX];
	int room = 60 - (int)strlen(label);
	dd_text_sanitize(
	    clean, sizeof(clean), value, len, room < 8 ? 8 : room, utf8 ? DD_TEXT_UTF8 : 0);
	dialog_line(d, "%s: %s", label, clean);
}

static bool
typed_ok(const struct dialog *d)
{
	return d->kind != DIALOG_TYPED || strcmp(d->input.buf, d->expect) == 0;
}

static enum dialog_result
close_with(struct dialog *d, enum dialog_result r)
{
	d->open = false;
	return r;
}

/* Says what must be typed (a typed confirmation whose field does not match yet). */
static enum dialog_result
typed_note(struct dialog *d)
{
	char want[80];
	dd_text_sanitize(want, sizeof(want), d->expect, strlen(d->expect), 40, 0);
	snprintf(d->note, sizeof(d->note), "type '%s' exactly to confirm", want);
	return DIALOG_OPEN;
}

static enum dialog_result
choose(struct dialog *d)
{
	if (d->focus == DIALOG_FOCUS_CANCEL)
		return close_with(d, DIALOG_NO);
	if (!typed_ok(d))
		return typed_note(d);
	return close_with(d, DIALOG_YES);
}

static void
focus_move(struct dialog *d, int dir)
{
	int n = d->kind == DIALOG_TYPED ? 3 : 2;
	/* Order on screen: [input,] Cancel, action. */
	static const enum dialog_focus order3[] = {
	    DIALOG_FOCUS_INPUT, DIALOG_FOCUS_CANCEL, DIALOG_FOCUS_ACTION};
	const enum dialog_focus *order = d->kind == DIALOG_TYPED ? order3 : order3 + 1;
	int at = 0;
	for (int i = 0; i < n; i++)
		if (order[i] == d->focus)
			at = i;
	d->focus = order[(at + dir + n) % n];
}

enum dialog_result
dialog_key(struct dialog *d, int key)
{
	if (!d->open)
		return DIALOG_NO;
	enum action a = keys_lookup(&keymap_dialog, key, NULL);
	bool in_field = d->kind == DIALOG_TYPED && d->focus == DIALOG_FOCUS_INPUT;
	if (in_field && (a == ACT_FOCUS_NEXT || a == ACT_FOCUS_PREV) && key != TK_TAB &&
	    key != TK_BTAB)
		a = ACT_NONE; /* Left/Right move the cursor inside the field */
	switch (a) {
	case ACT_DISMISS: return close_with(d, DIALOG_NO);
	case ACT_FOCUS_NEXT: focus_move(d, +1); return DIALOG_OPEN;
	case ACT_FOCUS_PREV: focus_move(d, -1); return DIALOG_OPEN;
	case ACT_CHOOSE:
		if (in_field && !typed_ok(d))
			return typed_note(d); /* the focus stays in the field */
		if (in_field)
			d->focus = DIALOG_FOCUS_ACTION;
		return choose(d);
	default: break;
	}
	if (in_field && lineedit_key(&d->input, key) == LE_CHANGED)
		d->note[0] = '\0';
	return DIALOG_OPEN;
}

/* ---- drawing ------------------------------------------------------------ */

static void
frame(struct screen *scr, int y, int x, int h, int w, uint16_t st, const struct glyphs *gl)
{
	for (int r = 0; r < h; r++)
		screen_fill(scr, y + r, x, w, st, " ");
	screen_put(scr, y, x, st, gl->tl, 1);
	screen_fill(scr, y, x + 1, w - 2, st, gl->hline);
	screen_put(scr, y, x + w - 1, st, gl->tr, 1);
	for (int r = 1; r < h - 1; r++) {
		screen_put(scr, y + r, x, st, gl->vline, 1);
		screen_put(scr, y + r, x + w - 1, st, gl->vline, 1);
	}
	screen_put(scr, y + h - 1, x, st, gl->bl, 1);
	screen_fill(scr, y + h - 1, x + 1, w - 2, st, gl->hline);
	screen_put(scr, y + h - 1, x + w - 1, st, gl->br, 1);
}

static int
button(struct screen *scr, int y, int x, const char *label, bool focused)
{
	char buf[64];
	snprintf(buf, sizeof(buf), focused ? "[>%s<]" : "[ %s ]", label);
	return screen_put(scr, y, x, focused ? DD_STYLE_BUTTON_FOCUS : DD_STYLE_BUTTON, buf, 60);
}

static void
draw_input(const struct dialog *d, struct screen *scr, int y, int x, int w)
{
	char shown[LINEEDIT_MAX * 3];
	bool f = d->focus == DIALOG_FOCUS_INPUT;
	screen_fill(scr, y, x, w, DD_STYLE_INPUT, " ");
	dd_text_sanitize(
	    shown, sizeof(shown), d->input.buf, d->input.len, w - 2, scr->ascii ? 0 : DD_TEXT_UTF8);
	int n = screen_put(scr, y, x, DD_STYLE_INPUT, shown, w - 1);
	if (f)
		screen_put(scr, y, x + n, DD_STYLE_BUTTON_FOCUS, "_", 1);
}

void
dialog_panel_draw(struct screen *scr, const struct glyphs *gl, bool danger, const char *title,
    const char (*lines)[160], int n, const char *foot)
{
	int w = scr->cols - 4 < 96 ? scr->cols - 4 : 96;
	int h = n + 5;
	if (h > scr->rows - 2)
		h = scr->rows - 2;
	int y = (scr->rows - h) / 2, x = (scr->cols - w) / 2;
	uint16_t st = danger ? DD_STYLE_DIALOG_DANGER : DD_STYLE_DIALOG;
	frame(scr, y, x, h, w, st, gl);
	screen_printf(scr, y, x + 2, st, w - 4, " %s ", title);
	for (int i = 0; i < n && 2 + i < h - 2; i++)
		screen_put(scr, y + 2 + i, x + 2, st, lines[i], w - 4);
	screen_put(scr, y + h - 2, x + 2, st, foot, w - 4);
}

void
dialog_draw(const struct dialog *d, struct screen *scr, const struct glyphs *gl)
{
	if (!d->open)
		return;
	int w = scr->cols - 4 < 72 ? scr->cols - 4 : 72;
	int h = d->nlines + 6 + (d->kind == DIALOG_TYPED ? 2 : 0);
	int y = (scr->rows - h) / 2, x = (scr->cols - w) / 2;
	uint16_t st = d->danger ? DD_STYLE_DIALOG_DANGER : DD_STYLE_DIALOG;
	frame(scr, y, x, h, w, st, gl);
	screen_printf(scr, y, x + 2, st, w - 4, " %s ", d->title);
	for (int i = 0; i < d->nlines; i++)
		screen_put(scr, y + 2 + i, x + 2, st, d->lines[i], w - 4);
	int by = y + 2 + d->nlines + 1;
	if (d->kind == DIALOG_TYPED) {
		char want[80];
		dd_text_sanitize(want, sizeof(want), d->expect, strlen(d->expect), 40,
		    gl->utf8 ? DD_TEXT_UTF8 : 0);
		screen_printf(scr, by - 1, x + 2, st, w - 4, "Type %s to confirm:", want);
		draw_input(d, scr, by, x + 2, w - 4);
		by += 2;
	}
	int bx = x + 2;
	bx += button(scr, by, bx, "Cancel", d->focus == DIALOG_FOCUS_CANCEL) + 2;
	button(scr, by, bx, d->action, d->focus == DIALOG_FOCUS_ACTION);
	if (d->note[0])
		screen_put(scr, by + 1, x + 2, st, d->note, w - 4);
}
