/*
 * widgets_test.c: bars and sparklines (tui/render/widgets.c) in both glyph sets, the
 * screen's own safety net (tui/render/screen.c) and figure formatting (tui/render/fmt.c).
 */
#include <math.h>
#include <string.h>

#include "fmt.h"
#include "tap.h"
#include "widgets.h"

static char row[512];

static const char *
draw_bar(const struct glyphs *gl, int width, double used, double idle, double max)
{
	struct screen scr = {0};
	struct bar_spec b = {used, idle, max, 0.75, 0.9};
	screen_resize(&scr, 1, width);
	scr.ascii = !gl->utf8;
	widget_bar(&scr, 0, 0, width, &b, gl);
	screen_row_text(&scr, 0, row, sizeof(row));
	screen_free(&scr);
	return row;
}

static const char *
draw_spark(const struct glyphs *gl, int width, const float *s, int n, double warn, double crit,
    uint16_t *styles)
{
	struct screen scr = {0};
	screen_resize(&scr, 1, width);
	scr.ascii = !gl->utf8;
	widget_sparkline(&scr, 0, 0, width, s, n, warn, crit, gl);
	screen_row_text(&scr, 0, row, sizeof(row));
	for (int i = 0; styles && i < width; i++)
		styles[i] = screen_cell_at(&scr, 0, i)->style;
	screen_free(&scr);
	return row;
}

static void
test_bar(void)
{
	int u, i;
	struct bar_spec b = {5, 5, 20, 0, 0};
	widget_bar_split(&b, 10, &u, &i);
	ok(u == 3 && i == 2,
	    "5+5 of 20 in 10 cells: 3 solid (rounded up from 2.5) and 2 idle (got %d, %d)", u, i);
	b = (struct bar_spec){1, 0, 1000, 0, 0};
	widget_bar_split(&b, 10, &u, &i);
	ok(u == 1 && i == 0, "a tiny non-zero value still gets one cell");
	b = (struct bar_spec){50, 50, 20, 0, 0};
	widget_bar_split(&b, 10, &u, &i);
	ok(u == 10 && i == 0, "over the max: full, never past the width");
	b = (struct bar_spec){3, 2, -1, 0, 0};
	widget_bar_split(&b, 10, &u, &i);
	ok(u == 0 && i == 0, "unknown max: an empty bar");
	b = (struct bar_spec){19, 0, 20, 0.75, 0.9};
	is_int(widget_bar_role(&b), DD_STYLE_BAR_CRIT, "95% is past the critical fraction");
	b.used = 16;
	is_int(widget_bar_role(&b), DD_STYLE_BAR_WARN, "80% is past the warning fraction");
	b.used = 2;
	is_int(widget_bar_role(&b), DD_STYLE_BAR_FILL, "10% is fine");

	is_str(draw_bar(&glyphs_utf8, 10, 5, 5, 20),
	    "\u2588\u2588\u2588\u2592\u2592\u2591\u2591\u2591\u2591\u2591",
	    "UTF-8 bar: solid, shaded, light");
	is_str(draw_bar(&glyphs_ascii, 10, 5, 5, 20), "###==.....", "ASCII bar: # = .");
	is_str(draw_bar(&glyphs_ascii, 4, 0, 0, 0), "....", "an unknown bar is all empty");
}

static void
test_spark(void)
{
	is_int(widget_spark_level(NAN, 10), -1, "NAN has no level");
	is_int(widget_spark_level(0, 10), 0, "0 is the lowest level");
	is_int(widget_spark_level(10, 10), 7, "the scale's top is the highest level");
	is_int(widget_spark_level(20, 10), 7, "above the scale: still the highest");
	is_int(widget_spark_level(5, 10), 3, "half the scale is level 3 (of 0..7)");
	is_int(widget_spark_level(0.01, 10), 0, "a small value is level 0");

	float s[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	is_int((int)widget_spark_scale(s, 9, 9, 0), 8, "the scale is the largest sample");
	is_int((int)widget_spark_scale(s, 9, 3, 20), 20, "or the floor (lag_max) when larger");
	is_int((int)widget_spark_scale(s, 9, 3, 0), 8, "only the samples shown count");

	is_str(draw_spark(&glyphs_utf8, 9, s, 9, 0, 0, NULL),
	    "\u2581\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588", "UTF-8 sparkline ▁▁▂▃▄▅▆▇█");
	is_str(draw_spark(&glyphs_ascii, 9, s, 9, 0, 0, NULL), "__.,:-=+#",
	    "ASCII sparkline _.,:-=+#");
	float few[] = {1, 2};
	is_str(draw_spark(&glyphs_ascii, 5, few, 2, 0, 0, NULL), "   :#",
	    "fewer samples than columns: right-aligned");
	float gap[] = {4, NAN, 4};
	is_str(
	    draw_spark(&glyphs_ascii, 3, gap, 3, 0, 0, NULL), "# #", "an unknown sample is blank");

	uint16_t st[9];
	float lag[] = {0.5f, 1, 2.5f, 6};
	draw_spark(&glyphs_utf8, 4, lag, 4, 2, 5, st);
	ok(st[0] == DD_STYLE_SPARKLINE && st[1] == DD_STYLE_SPARKLINE,
	    "under lag_max: sparkline colour");
	is_int(st[2], DD_STYLE_WARN, "past lag_max: warn colour");
	is_int(st[3], DD_STYLE_CRIT, "past lag_critical: crit colour");
}

static void
test_screen(void)
{
	struct screen scr = {0};
	screen_resize(&scr, 1, 20);
	screen_put(&scr, 0, 0, 0, "a\x1b]0;x\x07z", 20);
	screen_row_text(&scr, 0, row, sizeof(row));
	is_str(row, "a?]0;x?z", "the screen turns controls into '?' even unsanitized");
	ok(strchr(row, 0x1b) == NULL, "no ESC reaches the screen");
	screen_clear(&scr, 0);
	screen_put(&scr, 0, 0, 0, "\xe4\xb8\xad\xe6\x96\x87", 3);
	screen_row_text(&scr, 0, row, sizeof(row));
	is_str(row, "\xe4\xb8\xad", "a wide character that does not fit is left out");
	screen_put(&scr, 0, 1, 0, "x", 1);
	screen_row_text(&scr, 0, row, sizeof(row));
	is_str(row, " x", "overwriting the right half of a wide character blanks its left half");
	scr.ascii = true;
	screen_clear(&scr, 0);
	screen_put(&scr, 0, 0, 0, "caf\xc3\xa9 \xe2\x96\x88", 20);
	screen_row_text(&scr, 0, row, sizeof(row));
	is_str(row, "caf? ?", "ASCII mode: every non-ASCII character becomes '?'");
	screen_free(&scr);
}

static void
test_fmt(void)
{
	char b[32];
	is_str(fmt_secs(b, sizeof(b), 0.25), "0.2s", "0.25 s");
	is_str(fmt_secs(b, sizeof(b), 12.7), "12s", "12.7 s");
	is_str(fmt_secs(b, sizeof(b), 184), "3m04s", "184 s");
	is_str(fmt_secs(b, sizeof(b), 7500), "2h05m", "7500 s");
	is_str(fmt_secs(b, sizeof(b), NAN), "-", "unknown seconds");
	is_str(fmt_count(b, sizeof(b), 999), "999", "999");
	is_str(fmt_count(b, sizeof(b), 1234), "1.2k", "1234");
	is_str(fmt_count(b, sizeof(b), 56789), "56k", "56789");
	is_str(fmt_count(b, sizeof(b), 2.5), "2.5", "a small rate keeps a decimal");
	is_str(fmt_bytes(b, sizeof(b), 3 * 1024 * 1024), "3.0MB", "3 MiB");
	is_str(fmt_ns(b, sizeof(b), 1500000), "1.5ms", "1.5 ms");
	is_str(fmt_utc(b, sizeof(b), 1700000000000, 1), "2023-11-14 22:13:20", "UTC date and time");
	is_str(fmt_interval(b, sizeof(b), 2000), "2s", "interval 2 s");
	is_str(fmt_interval(b, sizeof(b), 250), "250ms", "interval 250 ms");
}

int
main(void)
{
	test_bar();
	test_spark();
	test_screen();
	test_fmt();
	return tap_done();
}
