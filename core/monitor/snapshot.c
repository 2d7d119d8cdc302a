/*
 * snapshot.c: where a snapshot lives (snapshot.h). A snapshot and everything
 * it points to (arrays, strings) are carved out of a few arena blocks that
 * belong to it, so building one is a handful of mallocs and freeing one is a
 * walk over its blocks. The reference count is atomic: readers on any thread
 * take and drop references without locks; the last one frees.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"
#include "util/util.h"

#define BLOCK_SIZE (16 * 1024)

struct block {
	struct block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct snap_build {
	struct dd_snapshot pub; /* first: the public pointer is the build's */
	atomic_int refs;
	struct block *blocks;
};

const char *
dd_health_name(enum dd_health h)
{
	switch (h) {
	case DD_HEALTH_HEALTHY: return "healthy";
	case DD_HEALTH_DEGRADED: return "degraded";
	case DD_HEALTH_UNHEALTHY: return "unhealthy";
	}
	return "unknown";
}

const char *
dd_node_state_name(enum dd_node_state s)
{
	switch (s) {
	case DD_NODE_UP: return "up";
	case DD_NODE_DOWN: return "down";
	case DD_NODE_LAGGING: return "lagging";
	case DD_NODE_UNKNOWN: return "unknown";
	}
	return "unknown";
}

const char *
dd_severity_name(enum dd_severity s)
{
	switch (s) {
	case DD_SEV_INFO: return "info";
	case DD_SEV_WARN: return "warn";
	case DD_SEV_CRIT: return "critical";
	}
	return "unknown";
}

const char *
dd_severity_short_name(enum dd_severity s)
{
	return s == DD_SEV_CRIT ? "crit" : dd_severity_name(s);
}

struct snap_build *
snap_build_new(void)
{
	struct snap_build *b = xcalloc(1, sizeof(*b));

	atomic_init(&b->refs, 1);
	return b;
}

static struct block *
block_new(size_t cap, struct block *next)
{
	struct block *bl = xmalloc(sizeof(*bl) + cap);

	bl->next = next;
	bl->used = 0;
	bl->cap = cap;
	return bl;
}

void *
snap_alloc(struct snap_build *b, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct block *bl = b->blocks;
	void *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (n > BLOCK_SIZE / 4) {
		/* a big array gets a block of its own, behind the current one */
		bl = block_new(n, NULL);
		if (b->blocks) {
			bl->next = b->blocks->next;
			b->blocks->next = bl;
		} else {
			b->blocks = bl;
		}
	} else if (bl == NULL || bl->cap - bl->used < n) {
		bl = b->blocks = block_new(BLOCK_SIZE, b->blocks);
	}
	p = bl->data + bl->used;
	bl->used += n;
	memset(p, 0, n);
	return p;
}

const char *
snap_strn(struct snap_build *b, const char *s, size_t n)
{
	char *p;

	if (s == NULL || n == 0)
		return "";
	p = snap_alloc(b, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *
snap_str(struct snap_build *b, const char *s)
{
	return snap_strn(b, s, s ? strlen(s) : 0);
}

struct dd_snapshot *
snap_build_snapshot(struct snap_build *b)
{
	return &b->pub;
}

const struct dd_snapshot *
snap_build_finish(struct snap_build *b)
{
	return &b->pub;
}

const struct dd_snapshot *
dd_snapshot_ref(const struct dd_snapshot *s)
{
	struct snap_build *b = (struct snap_build *)(uintptr_t)s;

	if (s != NULL)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return s;
}

void
dd_snapshot_unref(const struct dd_snapshot *s)
{
	struct snap_build *b = (struct snap_build *)(uintptr_t)s;
	struct block *bl, *next;

	if (s == NULL || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (bl = b->blocks; bl; bl = next) {
		next = bl->next;
		free(bl);
	}
	free(b);
}
