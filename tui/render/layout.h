/*
 * layout.h: fitting table columns into the terminal's width. Each column has
 * a minimum and a maximum width and a priority; when the minimums do not fit,
 * the lowest-priority columns are hidden (width 0) until they do, then the
 * space left is shared out one column at a time, highest priority first, up
 * to each maximum. Pure arithmetic, unit-tested (tests/unit/tui/).
 */
#ifndef DD_LAYOUT_H
#define DD_LAYOUT_H

#include "screen.h"

enum layout_align { ALIGN_LEFT, ALIGN_RIGHT };

struct layout_col {
	const char *title; /* header text (our own, ASCII) */
	int min, max;      /* columns; max >= min >= 1 */
	int prio;          /* higher is kept longer; equal: the rightmost goes first */
	enum layout_align align;
};

#define LAYOUT_MAX_COLS 16

/*
 * Fills w[0..n) with the width of each column for a line of `width` columns
 * with `gap` spaces between visible columns; hidden columns get 0. Returns
 * the number of visible columns (0 when not even one fits).
 */
int layout_fit(const struct layout_col *cols, int n, int width, int gap, int *w);

/* The x of column i (after the gaps of the visible columns before it). */
int layout_x(const int *w, int i, int gap);

/* Draws the titles of the visible columns on row y from x in style. */
void layout_header(struct screen *scr, int y, int x, const struct layout_col *cols, int n,
    const int *w, int gap, uint16_t style);

/*
 * Draws (already sanitized) text in column i of row y, aligned as the column
 * says and cut to its width. Nothing for a hidden column. Returns columns.
 */
int layout_cell(struct screen *scr, int y, int x, const struct layout_col *cols, const int *w,
    int gap, int i, uint16_t style, const char *text);

#endif
