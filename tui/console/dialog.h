/*
 * dialog.h: the confirmation dialogs of destructive actions.
 *
 *   DIALOG_CONFIRM  names its target in its lines (node, pid, user, query
 *                   start) and has two buttons, Cancel and the action; the
 *                   focus starts on Cancel, Esc is Cancel, and only Enter on
 *                   the action button confirms.
 *   DIALOG_TYPED    for cluster-wide actions (restore, switchover, failover):
 *                   the action button does nothing until the cluster's name
 *                   has been typed exactly in the dialog's field.
 *
 * The dialog's logic is pure (unit-tested); drawing goes into a screen.
 * Lines are sanitized when added (dialog_line_untrusted) or are our own text.
 */
#ifndef DD_DIALOG_H
#define DD_DIALOG_H

#include <stdbool.h>

#include "cmdline.h"
#include "glyphs.h"
#include "screen.h"

#define DIALOG_LINES    15
#define DIALOG_LINE_MAX 256

enum dialog_kind {
	DIALOG_CONFIRM,
	DIALOG_TYPED,
};

enum dialog_focus {
	DIALOG_FOCUS_CANCEL,
	DIALOG_FOCUS_ACTION,
	DIALOG_FOCUS_INPUT,
};

enum dialog_result {
	DIALOG_OPEN, /* still open */
	DIALOG_YES,  /* the action was confirmed: the dialog is closed */
	DIALOG_NO,   /* cancelled: the dialog is closed */
};

struct dialog {
	bool open;
	enum dialog_kind kind;
	bool danger; /* dialog_danger role (terminate, failover) */
	char title[80];
	char action[40]; /* the action button's label */
	char lines[DIALOG_LINES][DIALOG_LINE_MAX];
	int nlines;
	enum dialog_focus focus;
	char expect[128]; /* DIALOG_TYPED: what must be typed */
	struct lineedit input;
	char note[120]; /* a hint shown under the buttons */
};

/* Opens a confirmation with the focus on Cancel. */
void dialog_confirm(struct dialog *d, const char *title, const char *action, bool danger);
/* Opens a typed confirmation: `expect` (e.g. the cluster's name) must be typed. */
void dialog_typed(struct dialog *d, const char *title, const char *action, const char *expect);
/* Adds a line of our own text (printf). */
void dialog_line(struct dialog *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds "label: value" where value is untrusted (sanitized, cut to fit). */
void dialog_line_untrusted(
    struct dialog *d, const char *label, const char *value, size_t len, bool utf8);

/* Applies a key (keymap_dialog; characters go to the field of a typed dialog). */
enum dialog_result dialog_key(struct dialog *d, int key);

/* Draws the dialog centred on the screen. */
void dialog_draw(const struct dialog *d, struct screen *scr, const struct glyphs *gl);

/*
 * Draws a panel without buttons centred on the screen: a framed title, n
 * lines (our own text, already sanitized) and a last line foot. For a job
 * that is shown while it runs.
 */
void dialog_panel_draw(struct screen *scr, const struct glyphs *gl, bool danger, const char *title,
    const char (*lines)[160], int n, const char *foot);

#endif
