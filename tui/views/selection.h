/*
 * selection.h: the selected row of a list that is rebuilt on every snapshot.
 * The selection follows the row's id (a node, a query), not its position: when
 * rows come and go above it, the same node or query stays selected. When the
 * selected row disappears, the selection stays at the same position (clamped)
 * and adopts the id found there. Pure logic, unit-tested.
 */
#ifndef DD_SELECTION_H
#define DD_SELECTION_H

#include <stdbool.h>
#include <stdint.h>

struct selection {
	uint64_t id; /* the followed id; meaningful when has */
	bool has;
	int row; /* its position in the last list it was synced with */
	int top; /* the first visible row */
};

/* Re-finds the followed id in ids[0..n) (the rebuilt list). */
void sel_sync(struct selection *s, const uint64_t *ids, int n);

/* Moves by delta rows (clamped) and follows the id found there. */
void sel_move(struct selection *s, const uint64_t *ids, int n, int delta);

/* Selects the row with this id if present; returns whether it was. */
bool sel_select_id(struct selection *s, const uint64_t *ids, int n, uint64_t id);

/* Adjusts s->top so that s->row is within `visible` rows (>= 1) from it. */
void sel_scroll(struct selection *s, int n, int visible);

#endif
