/*
 * bench_overhead.h: the pool's own cost per statement, without I/O (see
 * bench_overhead.c), and a qsort comparator for doubles.
 */
#ifndef DD_BENCH_OVERHEAD_H
#define DD_BENCH_OVERHEAD_H

/* qsort comparator: ascending doubles. */
int bench_cmp_dbl(const void *a, const void *b);

/*
 * Median over alternating rounds of (pooled - direct) ns per statement on
 * the fake driver: acquire, timed dd_pool_query, release, minus the same
 * statement on one connection. password: any string the fake accepts.
 * Returns -1 when the fake pool cannot be set up.
 */
double bench_pool_overhead_ns(const char *password);

#endif
