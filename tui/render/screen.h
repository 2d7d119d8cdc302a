/*
 * screen.h: the console's in-memory screen, a grid of cells each holding one
 * character and a style number. Views draw into it; crt.c (the only file that
 * talks to curses) copies it to the terminal. Keeping the model apart from the
 * terminal (as tmux does with grid.c and tty.c) lets unit tests render a view
 * and read the text back.
 *
 * Every write decodes its text as UTF-8 and measures each character with
 * dd_text_cp_width(): a character that must not reach a terminal (a control,
 * an invalid byte) becomes '?', so nothing but printable text can get through
 * this layer even if a caller forgot to sanitize. In ASCII mode every
 * non-ASCII character becomes '?' as well. Text from servers and users still
 * goes through dd_text_sanitize() first (that is where it is shortened with an
 * ellipsis and where controls become visible pictures).
 */
#ifndef DD_SCREEN_H
#define DD_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One base character and up to a few combining marks, NUL-terminated. */
#define SCREEN_CELL_BYTES 20

struct screen_cell {
	char ch[SCREEN_CELL_BYTES]; /* "" on the right half of a wide character */
	uint8_t width;              /* 1 or 2; 0 on the right half of a wide character */
	uint16_t style;             /* a style number (console_theme.h) */
};

struct screen {
	int rows, cols;
	bool ascii;                /* only ASCII may be stored */
	struct screen_cell *cells; /* rows * cols, owned */
};

/* Sets the size (>= 0) and clears to spaces of style 0. */
void screen_resize(struct screen *scr, int rows, int cols);
/* Frees the cells; the screen can be resized again. */
void screen_free(struct screen *scr);
/* Every cell becomes a space of the given style. */
void screen_clear(struct screen *scr, uint16_t style);

/*
 * Writes text at (y, x) in style, at most maxcols columns and never past the
 * right edge; a wide character that does not fit entirely is left out.
 * Returns the columns written. Out-of-range positions write nothing.
 */
int screen_put(struct screen *scr, int y, int x, uint16_t style, const char *text, int maxcols);
/* The same for len bytes. */
int screen_putn(
    struct screen *scr, int y, int x, uint16_t style, const char *text, size_t len, int maxcols);
/* printf into a 512-byte buffer, then screen_put (for our own texts, not untrusted ones). */
int screen_printf(struct screen *scr, int y, int x, uint16_t style, int maxcols, const char *fmt,
    ...) __attribute__((format(printf, 6, 7)));
/* Repeats the one-column glyph n times from (y, x). Returns the columns written. */
int screen_fill(struct screen *scr, int y, int x, int n, uint16_t style, const char *glyph);
/* Gives n cells from (y, x) the style, keeping their characters. */
void screen_restyle(struct screen *scr, int y, int x, int n, uint16_t style);

/* The cell at (y, x), or NULL when out of range. Borrowed. */
const struct screen_cell *screen_cell_at(const struct screen *scr, int y, int x);

/*
 * Row y as UTF-8 text into buf (buflen bytes, always terminated), trailing
 * spaces removed. For tests and the docs captures. Returns buf.
 */
char *screen_row_text(const struct screen *scr, int y, char *buf, size_t buflen);

#endif
