/*
 * page.h: a scrolling page of text lines (node detail, statement, help,
 * alerts & events). The view writes every line in order; the pager draws only
 * those between `top` and `top + height` and counts the rest, so a view never
 * has to know how long it is before drawing it.
 */
#ifndef DD_PAGE_H
#define DD_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "screen.h"

struct pager {
	struct screen *scr;
	int y0, h, x0, w;
	int top;  /* the first line shown */
	int line; /* the current line (-1 before the first pager_line) */
	int col;  /* the next column on the current line */
	bool utf8;
};

void pager_begin(
    struct pager *p, struct screen *scr, int y0, int h, int x0, int w, int top, bool utf8);
/* Starts a new line. Returns whether it is visible. */
bool pager_line(struct pager *p);
/* True when the current line is visible. */
bool pager_visible(const struct pager *p);
/* Moves to column col of the current line (never backwards). */
void pager_tab(struct pager *p, int col);
/* Appends our own text. */
void pager_text(struct pager *p, uint16_t style, const char *text);
void pager_printf(struct pager *p, uint16_t style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends untrusted text: sanitized to one line, cut to the room left (or max_cols). */
void pager_raw(struct pager *p, uint16_t style, const char *raw, size_t len, int max_cols);
/* Fills the rest of the current line with a glyph (rules under titles). */
void pager_rule(struct pager *p, uint16_t style, const char *glyph);
/* A line with a section title. */
void pager_title(struct pager *p, uint16_t style, const char *title);
/* Lines written so far. */
int pager_count(const struct pager *p);

#endif
