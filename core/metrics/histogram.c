/*
 * histogram.c: the lock-free latency histogram of metrics.h.
 *
 * Layout (log-linear, like a floating-point number with a 3-bit mantissa):
 * a value v > 1024 ns goes by v - 1 (so buckets are (lo, hi], matching
 * Prometheus' inclusive "le"): the exponent e = floor(log2(v - 1)) picks the
 * power of two and the next 3 bits pick one of its 8 equal slices. Finding a
 * bucket is a count-leading-zeros and two shifts; recording is three relaxed
 * atomic adds and, rarely, a compare-and-swap for the maximum.
 */
#include "dbdeck/metrics.h"

#include "util/util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LAST_BUCKET (DD_HIST_BUCKETS - 1)

struct dd_histogram {
	_Atomic uint64_t buckets[DD_HIST_BUCKETS];
	_Atomic uint64_t sum_ns;
	_Atomic uint64_t max_ns;
};

struct dd_histogram *
dd_histogram_new(void)
{
	struct dd_histogram *h = xmalloc(sizeof(*h));
	for (int i = 0; i < DD_HIST_BUCKETS; i++)
		atomic_init(&h->buckets[i], 0);
	atomic_init(&h->sum_ns, 0);
	atomic_init(&h->max_ns, 0);
	return h;
}

void
dd_histogram_free(struct dd_histogram *h)
{
	free(h);
}

int
dd_histogram_bucket_of(int64_t ns)
{
	if (ns <= (INT64_C(1) << DD_HIST_MIN_EXP))
		return 0;
	uint64_t v = (uint64_t)ns - 1;
	int e = 63 - __builtin_clzll(v);
	if (e >= DD_HIST_MAX_EXP)
		return LAST_BUCKET;
	int sub = (int)(v >> (e - DD_HIST_SUB_BITS)) & ((1 << DD_HIST_SUB_BITS) - 1);
	return 1 + ((e - DD_HIST_MIN_EXP) << DD_HIST_SUB_BITS) + sub;
}

int64_t
dd_histogram_bucket_lo(int i)
{
	if (i <= 0)
		return 0;
	if (i >= LAST_BUCKET)
		return INT64_C(1) << DD_HIST_MAX_EXP;
	int e = DD_HIST_MIN_EXP + ((i - 1) >> DD_HIST_SUB_BITS);
	int sub = (i - 1) & ((1 << DD_HIST_SUB_BITS) - 1);
	return (INT64_C(1) << e) + ((int64_t)sub << (e - DD_HIST_SUB_BITS));
}

int64_t
dd_histogram_bucket_hi(int i)
{
	if (i <= 0)
		return INT64_C(1) << DD_HIST_MIN_EXP;
	if (i >= LAST_BUCKET)
		return INT64_MAX;
	int e = DD_HIST_MIN_EXP + ((i - 1) >> DD_HIST_SUB_BITS);
	return dd_histogram_bucket_lo(i) + (INT64_C(1) << (e - DD_HIST_SUB_BITS));
}

void
dd_histogram_record(struct dd_histogram *h, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	uint64_t v = (uint64_t)ns;
	atomic_fetch_add_explicit(&h->buckets[dd_histogram_bucket_of(ns)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, v, memory_order_relaxed);
	uint64_t max = atomic_load_explicit(&h->max_ns, memory_order_relaxed);
	while (v > max && !atomic_compare_exchange_weak_explicit(
	                      &h->max_ns, &max, v, memory_order_relaxed, memory_order_relaxed))
		;
}

void
dd_histogram_snapshot(const struct dd_histogram *h, struct dd_histogram_snapshot *out)
{
	/* The atomics are only read; the cast drops const for C11's load signature. */
	struct dd_histogram *hm = (struct dd_histogram *)h;

	out->count = 0;
	for (int i = 0; i < DD_HIST_BUCKETS; i++) {
		out->buckets[i] = atomic_load_explicit(&hm->buckets[i], memory_order_relaxed);
		out->count += out->buckets[i];
	}
	out->sum_ns = atomic_load_explicit(&hm->sum_ns, memory_order_relaxed);
	out->max_ns = atomic_load_explicit(&hm->max_ns, memory_order_relaxed);
}

void
dd_histogram_snapshot_add(
    struct dd_histogram_snapshot *dst, const struct dd_histogram_snapshot *src)
{
	for (int i = 0; i < DD_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

/* Linear interpolation of the rank-th value inside bucket i. */
static double
bucket_interpolate(const struct dd_histogram_snapshot *s, int i, uint64_t before, uint64_t rank)
{
	double lo = (double)dd_histogram_bucket_lo(i);
	double hi = (double)dd_histogram_bucket_hi(i);

	if (i == LAST_BUCKET)
		hi = s->max_ns > (uint64_t)lo ? (double)s->max_ns : lo;
	double frac = (double)(rank - before) / (double)s->buckets[i];
	return lo + (hi - lo) * frac;
}

double
dd_histogram_quantile(const struct dd_histogram_snapshot *s, double q)
{
	if (s->count == 0 || !(q >= 0.0 && q <= 1.0))
		return NAN;
	double r = ceil(q * (double)s->count);
	uint64_t rank = r < 1.0 ? 1 : (uint64_t)r;
	if (rank > s->count)
		rank = s->count;

	uint64_t before = 0;
	for (int i = 0; i < DD_HIST_BUCKETS; i++) {
		if (s->buckets[i] > 0 && before + s->buckets[i] >= rank)
			return bucket_interpolate(s, i, before, rank);
		before += s->buckets[i];
	}
	return NAN; /* unreachable: count is the sum of the buckets */
}
