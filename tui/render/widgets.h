/*
 * widgets.h: the small drawings of the console: usage bars (█▒░ or #=.)
 * and sparklines (▁▂▃▄▅▆▇█ or _.,:-=+#). The arithmetic (how many cells,
 * which level, which colour) is in separate functions so that the unit tests
 * check it without a screen; the draw functions put the result into a screen
 * (screen.h) with the theme's roles.
 */
#ifndef DD_WIDGETS_H
#define DD_WIDGETS_H

#include <stdint.h>

#include "glyphs.h"
#include "screen.h"
#include "theme.h"

/* A usage bar: `used` (solid) and `idle` (shaded) out of `max`. */
struct bar_spec {
	double used, idle, max;      /* max <= 0 or NAN: unknown, the bar is drawn empty */
	double warn_frac, crit_frac; /* used/max from which the solid part turns warn / crit */
};

/*
 * Cells of a bar of `width` columns: *n_used solid, *n_idle shaded, the rest
 * empty. Any non-zero part gets at least one cell (as long as there is room),
 * and the parts never exceed width. Unknown or non-positive max: 0 and 0.
 */
void widget_bar_split(const struct bar_spec *b, int width, int *n_used, int *n_idle);

/* The role of the solid part: bar_fill, bar_warn or bar_crit. */
enum dd_theme_role widget_bar_role(const struct bar_spec *b);

/* Draws a bar at (y, x), `width` columns. Returns the columns drawn. */
int widget_bar(
    struct screen *scr, int y, int x, int width, const struct bar_spec *b, const struct glyphs *gl);

/*
 * The sparkline level (0 .. GLYPH_SPARK_LEVELS-1) of v on a scale whose top is
 * `scale`: 0 for v <= 0 or scale <= 0, the top level from scale up. -1 for NAN.
 */
int widget_spark_level(double v, double scale);

/*
 * The scale of a sparkline of the last `width` samples of s[0..n): the
 * largest of them, or `floor` if larger (so that values under the warning
 * line stay low). 0 when there is nothing to show.
 */
double widget_spark_scale(const float *s, int n, int width, double floor);

/* The role of one sample against the warning and critical thresholds (NAN: none). */
enum dd_theme_role widget_spark_role(double v, double warn, double crit);

/*
 * Draws the last `width` samples of s[0..n) (oldest first) at (y, x),
 * right-aligned: older samples fall off the left. Each sample is coloured
 * against warn / crit (sparkline, warn, crit roles); unknown samples are
 * blank. Returns the columns drawn (always width, padding included).
 */
int widget_sparkline(struct screen *scr, int y, int x, int width, const float *s, int n,
    double warn, double crit, const struct glyphs *gl);

#endif
