/*
 * glyphs.h: the two glyph sets of the console. UTF-8 (box drawing, block
 * bars, ▁▂▃▄▅▆▇█ sparklines) when the locale's codeset is UTF-8, plain ASCII
 * otherwise or with --ascii. Every glyph is one terminal column wide.
 */
#ifndef DD_GLYPHS_H
#define DD_GLYPHS_H

#include <stdbool.h>

#define GLYPH_SPARK_LEVELS 8

struct glyphs {
	bool utf8;
	const char *hline, *vline;     /* frames */
	const char *tl, *tr, *bl, *br; /* corners */
	const char *bar_used, *bar_idle, *bar_empty;
	const char *spark[GLYPH_SPARK_LEVELS]; /* lowest to highest */
	const char *spark_none;                /* an unknown sample */
	const char *ellipsis;                  /* "…" or "..." */
	const char *sep;                       /* between items of the top line */
	const char *up, *down;                 /* sort order, scroll marks */
	const char *cursor;                    /* the selected row's marker */
};

extern const struct glyphs glyphs_utf8;
extern const struct glyphs glyphs_ascii;

/* The set for a terminal: UTF-8 only when the locale says so and ASCII was not asked for. */
const struct glyphs *glyphs_pick(bool locale_utf8, bool force_ascii);

#endif
