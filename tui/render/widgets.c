/*
 * widgets.c: usage bars and sparklines (widgets.h).
 */
#include "widgets.h"

#include <math.h>

static int
cells_of(double v, double max, int width)
{
	if (!(v > 0) || !(max > 0))
		return 0;
	double f = v / max;
	if (f > 1)
		f = 1;
	int n = (int)lround(f * width);
	return n < 1 ? 1 : n;
}

void
widget_bar_split(const struct bar_spec *b, int width, int *n_used, int *n_idle)
{
	*n_used = *n_idle = 0;
	if (width <= 0 || !(b->max > 0))
		return;
	int u = cells_of(b->used, b->max, width);
	double both = (b->used > 0 ? b->used : 0) + (b->idle > 0 ? b->idle : 0);
	int t = cells_of(both, b->max, width);
	int i = t - u;
	if (b->idle > 0 && i < 1 && u + 1 <= width)
		i = 1;
	if (i < 0)
		i = 0;
	if (u > width)
		u = width;
	if (u + i > width)
		i = width - u;
	*n_used = u;
	*n_idle = i;
}

enum dd_theme_role
widget_bar_role(const struct bar_spec *b)
{
	if (!(b->max > 0) || !(b->used > 0))
		return DD_STYLE_BAR_FILL;
	double f = b->used / b->max;
	if (b->crit_frac > 0 && f >= b->crit_frac)
		return DD_STYLE_BAR_CRIT;
	if (b->warn_frac > 0 && f >= b->warn_frac)
		return DD_STYLE_BAR_WARN;
	return DD_STYLE_BAR_FILL;
}

int
widget_bar(
    struct screen *scr, int y, int x, int width, const struct bar_spec *b, const struct glyphs *gl)
{
	int u, i;
	widget_bar_split(b, width, &u, &i);
	int n = screen_fill(scr, y, x, u, widget_bar_role(b), gl->bar_used);
	n += screen_fill(scr, y, x + n, i, DD_STYLE_BAR_FILL, gl->bar_idle);
	n += screen_fill(scr, y, x + n, width - u - i, DD_STYLE_BAR_EMPTY, gl->bar_empty);
	return n;
}

int
widget_spark_level(double v, double scale)
{
	if (isnan(v))
		return -1;
	if (!(v > 0) || !(scale > 0))
		return 0;
	if (v >= scale)
		return GLYPH_SPARK_LEVELS - 1;
	int l = (int)ceil(v / scale * GLYPH_SPARK_LEVELS) - 1;
	if (l < 0)
		l = 0;
	return l >= GLYPH_SPARK_LEVELS ? GLYPH_SPARK_LEVELS - 1 : l;
}

double
widget_spark_scale(const float *s, int n, int width, double floor)
{
	double top = 0;
	for (int i = n - width < 0 ? 0 : n - width; i < n; i++)
		if (!isnan(s[i]) && s[i] > top)
			top = s[i];
	if (top > 0 && floor > top)
		top = floor;
	return top;
}

enum dd_theme_role
widget_spark_role(double v, double warn, double crit)
{
	if (!isnan(crit) && crit > 0 && v >= crit)
		return DD_STYLE_CRIT;
	if (!isnan(warn) && warn > 0 && v >= warn)
		return DD_STYLE_WARN;
	return DD_STYLE_SPARKLINE;
}

int
widget_sparkline(struct screen *scr, int y, int x, int width, const float *s, int n, double warn,
    double crit, const struct glyphs *gl)
{
	if (width <= 0)
		return 0;
	double scale = widget_spark_scale(s, n, width, warn);
	int shown = n < width ? n : width;
	int pad = width - shown;
	screen_fill(scr, y, x, pad, DD_STYLE_DIM, gl->spark_none);
	for (int k = 0; k < shown; k++) {
		double v = s[n - shown + k];
		int level = widget_spark_level(v, scale);
		if (level < 0)
			screen_put(scr, y, x + pad + k, DD_STYLE_DIM, gl->spark_none, 1);
		else
			screen_put(scr, y, x + pad + k, widget_spark_role(v, warn, crit),
			    gl->spark[level], 1);
	}
	return width;
}
