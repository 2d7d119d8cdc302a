/*
 * layout_test.c: column fitting (tui/render/layout.c) and the selection that
 * follows an id (tui/views/selection.c).
 */
#include "layout.h"
#include "selection.h"
#include "tap.h"

static const struct layout_col cols[] = {
    {"A", 4, 10, 90, ALIGN_LEFT},
    {"B", 6, 6, 50, ALIGN_LEFT},
    {"C", 5, 40, 70, ALIGN_RIGHT},
    {"D", 3, 3, 10, ALIGN_LEFT},
};
#define N 4

static int
total(const int *w, int gap)
{
	int t = 0, v = 0;
	for (int i = 0; i < N; i++)
		if (w[i] > 0) {
			t += w[i];
			v++;
		}
	return v ? t + gap * (v - 1) : 0;
}

static void
test_fit(void)
{
	int w[N];
	is_int(layout_fit(cols, N, 200, 1, w), 4, "everything fits in 200 columns");
	is_int(w[0], 10, "A grows to its max");
	is_int(w[1], 6, "B stays at its max");
	is_int(w[2], 40, "C grows to its max");
	is_int(w[3], 3, "D stays at its max");

	is_int(layout_fit(cols, N, 21, 1, w), 4, "the minimums fit exactly (18 + 3 gaps)");
	is_int(total(w, 1), 21, "and fill the width");

	is_int(layout_fit(cols, N, 20, 1, w), 3, "one column too few: one hidden");
	is_int(w[3], 0, "the lowest priority (D) is hidden");
	ok(total(w, 1) <= 20, "what is left fits (%d)", total(w, 1));

	is_int(layout_fit(cols, N, 12, 1, w), 2, "12 columns: two shown");
	ok(w[0] > 0 && w[2] > 0 && w[1] == 0, "A and C (the highest priorities) stay");

	is_int(layout_fit(cols, N, 3, 1, w), 0, "nothing fits in 3 columns");

	layout_fit(cols, N, 30, 1, w);
	is_int(total(w, 1), 30, "30 columns are all used");
	ok(w[0] - 4 >= w[2] - 5 - 1 && w[2] - 5 >= w[0] - 4 - 1, "A and C grow evenly (%d, %d)",
	    w[0], w[2]);
	is_int(layout_x(w, 2, 1), w[0] + 1 + w[1] + 1, "layout_x skips the gaps");
}

static void
test_cells(void)
{
	struct screen scr = {0};
	int w[N];
	char row[256];
	screen_resize(&scr, 2, 40);
	layout_fit(cols, N, 40, 1, w);
	layout_cell(&scr, 0, 0, cols, w, 1, 2, 0, "42");
	screen_row_text(&scr, 0, row, sizeof(row));
	int x = layout_x(w, 2, 1) + w[2] - 2;
	is_str(row + x, "42", "a right-aligned cell ends at its column's right edge");
	layout_cell(&scr, 1, 0, cols, w, 1, 1, 0, "abcdefghij");
	screen_row_text(&scr, 1, row, sizeof(row));
	is_str(row + layout_x(w, 1, 1), "abcdef", "a cell is cut at its width");
	screen_free(&scr);
}

static void
test_selection(void)
{
	struct selection s = {0};
	uint64_t a[] = {10, 20, 30, 40};
	sel_sync(&s, a, 4);
	ok(s.has && s.id == 10 && s.row == 0, "an empty selection takes the first row");
	sel_move(&s, a, 4, 2);
	ok(s.id == 30 && s.row == 2, "moving down two rows selects id 30");

	uint64_t b[] = {5, 6, 10, 20, 30, 40};
	sel_sync(&s, b, 6);
	ok(s.id == 30 && s.row == 4, "rows inserted above: the selection follows id 30 to row 4");

	uint64_t c[] = {40, 30, 20};
	sel_sync(&s, c, 3);
	ok(s.id == 30 && s.row == 1, "reordered: still id 30, now row 1");

	uint64_t d[] = {40, 20, 50};
	sel_sync(&s, d, 3);
	ok(s.row == 1 && s.id == 20, "id 30 gone: the same position, and its new id (20)");

	sel_move(&s, d, 3, 10);
	ok(s.row == 2 && s.id == 50, "moving past the end stops at the last row");
	sel_move(&s, d, 3, -10);
	ok(s.row == 0 && s.id == 40, "moving past the start stops at the first row");

	sel_sync(&s, d, 0);
	ok(s.id == 40 && s.has, "an empty list keeps following the old id");
	sel_sync(&s, d, 3);
	ok(s.row == 0 && s.id == 40, "and finds it again when it comes back");

	ok(sel_select_id(&s, d, 3, 50) && s.row == 2, "select by id");
	ok(!sel_select_id(&s, d, 3, 99) && s.id == 50, "an absent id changes nothing");

	uint64_t many[100];
	for (int i = 0; i < 100; i++)
		many[i] = (uint64_t)i + 1;
	struct selection t = {0};
	sel_sync(&t, many, 100);
	sel_move(&t, many, 100, 50);
	sel_scroll(&t, 100, 10);
	ok(t.top <= 50 && t.top + 10 > 50, "scrolling keeps row 50 in a 10-row window (top %d)",
	    t.top);
	sel_move(&t, many, 100, -45);
	sel_scroll(&t, 100, 10);
	is_int(t.top, 5, "moving up scrolls so that the row is the first shown");
	sel_move(&t, many, 100, 200);
	sel_scroll(&t, 100, 10);
	is_int(t.top, 90, "at the end the window is full (top 90)");
}

int
main(void)
{
	test_fit();
	test_cells();
	test_selection();
	return tap_done();
}
