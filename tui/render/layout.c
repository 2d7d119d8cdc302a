/*
 * layout.c: column fitting and aligned cells (layout.h).
 */
#include "layout.h"

#include "dbdeck/text.h"

static int
used_width(const int *w, int n, int gap)
{
	int sum = 0, vis = 0;
	for (int i = 0; i < n; i++)
		if (w[i] > 0) {
			sum += w[i];
			vis++;
		}
	return vis > 0 ? sum + gap * (vis - 1) : 0;
}

/* The visible column to hide next: the lowest priority, the rightmost on ties. */
static int
victim(const struct layout_col *cols, int n, const int *w)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (w[i] > 0 && (best < 0 || cols[i].prio <= cols[best].prio))
			best = i;
	return best;
}

/* One more column for the highest-priority column that can still grow (leftmost on ties). */
static bool
grow_one(const struct layout_col *cols, int n, int *w, int round)
{
	int best = -1;
	for (int i = 0; i < n; i++) {
		if (w[i] == 0 || w[i] >= cols[i].max || w[i] - cols[i].min > round)
			continue;
		if (best < 0 || cols[i].prio > cols[best].prio)
			best = i;
	}
	if (best < 0)
		return false;
	w[best]++;
	return true;
}

int
layout_fit(const struct layout_col *cols, int n, int width, int gap, int *w)
{
	for (int i = 0; i < n; i++)
		w[i] = cols[i].min > 0 ? cols[i].min : 1;
	while (used_width(w, n, gap) > width) {
		int v = victim(cols, n, w);
		if (v < 0)
			break;
		w[v] = 0;
	}
	/* Share the rest in rounds, so that columns grow evenly. */
	int extra = width - used_width(w, n, gap);
	for (int round = 0; extra > 0; round++) {
		bool grew = false;
		while (extra > 0 && grow_one(cols, n, w, round)) {
			extra--;
			grew = true;
		}
		bool any = false;
		for (int i = 0; i < n; i++)
			if (w[i] > 0 && w[i] < cols[i].max)
				any = true;
		if (!any || (!grew && round > width))
			break;
	}
	int vis = 0;
	for (int i = 0; i < n; i++)
		vis += w[i] > 0;
	return vis;
}

int
layout_x(const int *w, int i, int gap)
{
	int x = 0;
	for (int k = 0; k < i; k++)
		if (w[k] > 0)
			x += w[k] + gap;
	return x;
}

int
layout_cell(struct screen *scr, int y, int x, const struct layout_col *cols, const int *w, int gap,
    int i, uint16_t style, const char *text)
{
	if (w[i] <= 0)
		return 0;
	int cx = x + layout_x(w, i, gap);
	int tw = dd_text_width(text);
	if (tw < 0)
		tw = w[i];
	if (cols[i].align == ALIGN_RIGHT && tw < w[i])
		cx += w[i] - tw;
	return screen_put(scr, y, cx, style, text, w[i]);
}

void
layout_header(struct screen *scr, int y, int x, const struct layout_col *cols, int n, const int *w,
    int gap, uint16_t style)
{
	for (int i = 0; i < n; i++)
		layout_cell(scr, y, x, cols, w, gap, i, style, cols[i].title);
}
