/*
 * screen.c: the cell grid the views draw into (screen.h). Characters are
 * decoded and measured one by one; anything that is not printable becomes '?'.
 */
#include "screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/util.h"
#include "dbdeck/text.h"

void
screen_resize(struct screen *scr, int rows, int cols)
{
	if (rows < 0)
		rows = 0;
	if (cols < 0)
		cols = 0;
	free(scr->cells);
	scr->rows = rows;
	scr->cols = cols;
	scr->cells = xcalloc((size_t)rows * (size_t)cols, sizeof(*scr->cells));
	screen_clear(scr, 0);
}

void
screen_free(struct screen *scr)
{
	free(scr->cells);
	scr->cells = NULL;
	scr->rows = scr->cols = 0;
}

static struct screen_cell *
cell(const struct screen *scr, int y, int x)
{
	if (y < 0 || x < 0 || y >= scr->rows || x >= scr->cols)
		return NULL;
	return &scr->cells[(size_t)y * (size_t)scr->cols + (size_t)x];
}

const struct screen_cell *
screen_cell_at(const struct screen *scr, int y, int x)
{
	return cell(scr, y, x);
}

static void
set_blank(struct screen_cell *c, uint16_t style)
{
	c->ch[0] = ' ';
	c->ch[1] = '\0';
	c->width = 1;
	c->style = style;
}

void
screen_clear(struct screen *scr, uint16_t style)
{
	for (size_t i = 0; i < (size_t)scr->rows * (size_t)scr->cols; i++)
		set_blank(&scr->cells[i], style);
}

/* Before (y, x) is overwritten: never leave half of a wide character behind. */
static void
unsplit(struct screen *scr, int y, int x, int w)
{
	struct screen_cell *c = cell(scr, y, x);
	if (c && c->width == 0) {
		struct screen_cell *left = cell(scr, y, x - 1);
		if (left)
			set_blank(left, left->style);
	}
	struct screen_cell *last = cell(scr, y, x + w - 1);
	if (last && last->width == 2) {
		struct screen_cell *right = cell(scr, y, x + w);
		if (right)
			set_blank(right, right->style);
	}
}

/* Stores one character of w columns (1 or 2) at (y, x). */
static void
store(struct screen *scr, int y, int x, uint16_t style, const char *bytes, size_t n, int w)
{
	unsplit(scr, y, x, w);
	struct screen_cell *c = cell(scr, y, x);
	if (!c)
		return;
	if (n >= SCREEN_CELL_BYTES)
		n = SCREEN_CELL_BYTES - 1;
	memcpy(c->ch, bytes, n);
	c->ch[n] = '\0';
	c->width = (uint8_t)w;
	c->style = style;
	struct screen_cell *r = w == 2 ? cell(scr, y, x + 1) : NULL;
	if (r) {
		r->ch[0] = '\0';
		r->width = 0;
		r->style = style;
	}
}

/* Appends a combining mark to the character of the cell before x, if there is room. */
static void
combine(struct screen *scr, int y, int x, const char *bytes, size_t n)
{
	struct screen_cell *c = cell(scr, y, x - 1);
	if (c && c->width == 0)
		c = cell(scr, y, x - 2);
	if (!c)
		return;
	size_t have = strlen(c->ch);
	if (have + n < SCREEN_CELL_BYTES) {
		memcpy(c->ch + have, bytes, n);
		c->ch[have + n] = '\0';
	}
}

int
screen_putn(
    struct screen *scr, int y, int x, uint16_t style, const char *text, size_t len, int maxcols)
{
	if (y < 0 || y >= scr->rows || x < 0 || x >= scr->cols || !text)
		return 0;
	int limit = scr->cols - x;
	if (maxcols < limit)
		limit = maxcols;
	int used = 0;
	size_t i = 0;
	while (i < len && used < limit) {
		uint32_t cp;
		size_t n = dd_text_decode((const unsigned char *)text + i, len - i, &cp);
		int w = cp == DD_TEXT_INVALID ? -1 : dd_text_cp_width(cp);
		const char *bytes = text + i;
		if (w < 0 || (scr->ascii && cp >= 0x80 && w != 0)) {
			bytes = "?";
			w = 1;
		}
		if (w == 0) {
			if (!scr->ascii && used > 0)
				combine(scr, y, x + used, text + i, n);
			i += n;
			continue;
		}
		if (used + w > limit)
			break;
		store(scr, y, x + used, style, bytes, bytes == text + i ? n : 1, w);
		used += w;
		i += n;
	}
	return used;
}

int
screen_put(struct screen *scr, int y, int x, uint16_t style, const char *text, int maxcols)
{
	return text ? screen_putn(scr, y, x, style, text, strlen(text), maxcols) : 0;
}

int
screen_printf(struct screen *scr, int y, int x, uint16_t style, int maxcols, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return screen_put(scr, y, x, style, buf, maxcols);
}

int
screen_fill(struct screen *scr, int y, int x, int n, uint16_t style, const char *glyph)
{
	int used = 0;
	for (int i = 0; i < n; i++) {
		int w = screen_put(scr, y, x + i, style, glyph, 1);
		if (w == 0)
			break;
		used += w;
	}
	return used;
}

void
screen_restyle(struct screen *scr, int y, int x, int n, uint16_t style)
{
	for (int i = 0; i < n; i++) {
		struct screen_cell *c = cell(scr, y, x + i);
		if (c)
			c->style = style;
	}
}

char *
screen_row_text(const struct screen *scr, int y, char *buf, size_t buflen)
{
	size_t len = 0, keep = 0;
	if (buflen == 0)
		return buf;
	for (int x = 0; x < scr->cols && y >= 0 && y < scr->rows; x++) {
		const struct screen_cell *c = cell(scr, y, x);
		size_t n = strlen(c->ch);
		if (len + n >= buflen)
			break;
		memcpy(buf + len, c->ch, n);
		len += n;
		if (!(n == 1 && c->ch[0] == ' '))
			keep = len;
	}
	buf[keep] = '\0';
	return buf;
}
