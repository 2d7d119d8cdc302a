/*
 * page.c: the scrolling page writer (page.h).
 */
#include "page.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/text.h"

void
pager_begin(struct pager *p, struct screen *scr, int y0, int h, int x0, int w, int top, bool utf8)
{
	p->scr = scr;
	p->y0 = y0;
	p->h = h;
	p->x0 = x0;
	p->w = w;
	p->top = top < 0 ? 0 : top;
	p->line = -1;
	p->col = 0;
	p->utf8 = utf8;
}

bool
pager_visible(const struct pager *p)
{
	return p->line >= p->top && p->line < p->top + p->h;
}

bool
pager_line(struct pager *p)
{
	p->line++;
	p->col = 0;
	return pager_visible(p);
}

void
pager_tab(struct pager *p, int col)
{
	if (col > p->col)
		p->col = col;
}

void
pager_text(struct pager *p, uint16_t style, const char *text)
{
	if (!pager_visible(p) || p->col >= p->w) {
		return;
	}
	int y = p->y0 + p->line - p->top;
	p->col += screen_put(p->scr, y, p->x0 + p->col, style, text, p->w - p->col);
}

void
pager_printf(struct pager *p, uint16_t style, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pager_text(p, style, buf);
}

void
pager_raw(struct pager *p, uint16_t style, const char *raw, size_t len, int max_cols)
{
	char buf[1024];
	if (!pager_visible(p))
		return;
	int room = p->w - p->col;
	if (max_cols > 0 && max_cols < room)
		room = max_cols;
	if (room <= 0)
		return;
	dd_text_sanitize(
	    buf, sizeof(buf), raw ? raw : "", raw ? len : 0, room, p->utf8 ? DD_TEXT_UTF8 : 0);
	pager_text(p, style, buf);
}

void
pager_rule(struct pager *p, uint16_t style, const char *glyph)
{
	if (!pager_visible(p))
		return;
	int y = p->y0 + p->line - p->top;
	p->col += screen_fill(p->scr, y, p->x0 + p->col, p->w - p->col, style, glyph);
}

void
pager_title(struct pager *p, uint16_t style, const char *title)
{
	pager_line(p);
	pager_text(p, style, title);
}

int
pager_count(const struct pager *p)
{
	return p->line + 1;
}
