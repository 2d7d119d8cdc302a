/*
 * selection.c: a selection that follows an id across rebuilt lists (selection.h).
 */
#include "selection.h"

static int
find(const uint64_t *ids, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	return -1;
}

static void
take(struct selection *s, const uint64_t *ids, int n, int row)
{
	if (n <= 0) {
		s->row = 0;
		return; /* keep following the old id: it may come back */
	}
	if (row >= n)
		row = n - 1;
	if (row < 0)
		row = 0;
	s->row = row;
	s->id = ids[row];
	s->has = true;
}

void
sel_sync(struct selection *s, const uint64_t *ids, int n)
{
	int at = s->has ? find(ids, n, s->id) : -1;
	if (at >= 0)
		s->row = at;
	else
		take(s, ids, n, s->has ? s->row : 0);
}

void
sel_move(struct selection *s, const uint64_t *ids, int n, int delta)
{
	sel_sync(s, ids, n);
	long row = (long)s->row + delta;
	take(s, ids, n, row > n ? n : row < 0 ? 0 : (int)row);
}

bool
sel_select_id(struct selection *s, const uint64_t *ids, int n, uint64_t id)
{
	int at = find(ids, n, id);
	if (at < 0)
		return false;
	take(s, ids, n, at);
	return true;
}

void
sel_scroll(struct selection *s, int n, int visible)
{
	if (visible < 1)
		visible = 1;
	if (s->row < s->top)
		s->top = s->row;
	if (s->row >= s->top + visible)
		s->top = s->row - visible + 1;
	if (s->top > n - visible)
		s->top = n - visible;
	if (s->top < 0)
		s->top = 0;
}
