/*
 * histogram_test.c: the latency histogram: bucket layout, quantiles against
 * exact sorted values from random data (error within one bucket width, 12.5 %
 * relative above 1.024 us), snapshots, and 8 threads recording at once.
 */
#include "tap.h"

#include "dbdeck/clock.h"
#include "dbdeck/metrics.h"

#include <math.h>
#include <pthread.h>

#define LAST (DD_HIST_BUCKETS - 1)

static void
test_layout(void)
{
	bool contiguous = true, own = true, narrow = true;

	is_int(DD_HIST_BUCKETS, 210, "210 buckets");
	is_int(dd_histogram_bucket_of(-5), 0, "negative values go to bucket 0");
	is_int(dd_histogram_bucket_of(0), 0, "0 ns: bucket 0");
	is_int(dd_histogram_bucket_of(1024), 0, "1024 ns: bucket 0 (upper bound inclusive)");
	is_int(dd_histogram_bucket_of(1025), 1, "1025 ns: bucket 1");
	is_int(dd_histogram_bucket_hi(LAST - 1), INT64_C(1) << 36,
	    "last finite bound 2^36 ns (68.7 s)");
	ok(dd_histogram_bucket_of(INT64_C(60000000000)) < LAST, "60 s is inside the finite range");
	is_int(dd_histogram_bucket_of(INT64_C(1) << 36), LAST - 1, "2^36 ns: last finite bucket");
	is_int(
	    dd_histogram_bucket_of((INT64_C(1) << 36) + 1), LAST, "above 2^36 ns: overflow bucket");
	is_int(dd_histogram_bucket_of(INT64_MAX), LAST, "INT64_MAX: overflow bucket");
	for (int i = 0; i < LAST; i++) {
		int64_t lo = dd_histogram_bucket_lo(i), hi = dd_histogram_bucket_hi(i);
		contiguous = contiguous && hi == dd_histogram_bucket_lo(i + 1);
		own = own && dd_histogram_bucket_of(hi) == i && dd_histogram_bucket_of(lo + 1) == i;
		if (i > 0)
			narrow = narrow && (hi - lo) * 8 <= lo;
	}
	ok(contiguous, "each bucket ends where the next begins");
	ok(own, "lo+1 and hi of every bucket map back to it");
	ok(narrow, "every bucket past the first is at most 1/8 of its lower bound wide");
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Checks quantiles of values[0..n) against the exact nearest-rank values. */
static void
check_quantiles(int64_t *values, size_t n, const char *what)
{
	static const double qs[] = {
	    0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};
	struct dd_histogram *h = dd_histogram_new();
	struct dd_histogram_snapshot s;
	bool within_bucket = true, within_rel = true;
	double worst = 0;

	for (size_t i = 0; i < n; i++)
		dd_histogram_record(h, values[i]);
	dd_histogram_snapshot(h, &s);
	qsort(values, n, sizeof(*values), cmp_i64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double r = ceil(qs[k] * (double)n);
		size_t rank = r < 1 ? 1 : (size_t)r;
		int64_t exact = values[rank - 1];
		double est = dd_histogram_quantile(&s, qs[k]);
		int b = dd_histogram_bucket_of(exact);
		double width =
		    b == LAST ? (double)s.max_ns - (double)dd_histogram_bucket_lo(b)
		              : (double)(dd_histogram_bucket_hi(b) - dd_histogram_bucket_lo(b));
		double err = fabs(est - (double)exact);
		within_bucket = within_bucket && err <= width;
		if (exact > 1024 && b != LAST) {
			within_rel = within_rel && err <= 0.125 * (double)exact;
			worst = fmax(worst, err / (double)exact);
		}
	}
	ok(within_bucket, "%s: every quantile within one bucket width of the exact value", what);
	ok(within_rel, "%s: relative error <= 12.5 %% in finite buckets (worst %.2f %%)", what,
	    worst * 100);
	is_int((long long)s.count, (long long)n, "count");
	dd_histogram_free(h);
}

static void
test_quantiles(void)
{
	enum { N = 100000 };
	int64_t *v = calloc(N, sizeof(*v));
	struct dd_xorshift x;
	dd_xorshift_seed(&x, 77);

	/* Log-uniform over 1 us .. 60 s: every octave of the layout gets data. */
	for (size_t i = 0; i < N; i++) {
		double u = (double)(dd_xorshift_next(&x) >> 11) / 9007199254740992.0;
		v[i] = (int64_t)(1000.0 * pow(60e9 / 1000.0, u));
	}
	check_quantiles(v, N, "log-uniform 1 us..60 s");

	/* Uniform over 0 .. 5 ms: small values, bucket 0 included. */
	for (size_t i = 0; i < N; i++)
		v[i] = (int64_t)(dd_xorshift_next(&x) % 5000000);
	check_quantiles(v, N, "uniform 0..5 ms");

	/* A handful of distinct values repeated: ties across ranks. */
	for (size_t i = 0; i < N; i++)
		v[i] = (int64_t)(1 + dd_xorshift_next(&x) % 4) * 7777777;
	check_quantiles(v, N, "4 repeated values");

	/* Beyond the finite range: interpolated up to the recorded maximum. */
	for (size_t i = 0; i < 1000; i++)
		v[i] = INT64_C(70000000000) + (int64_t)(dd_xorshift_next(&x) % 1000000000000);
	check_quantiles(v, 1000, "overflow bucket 70 s..1070 s");
	free(v);

	struct dd_histogram_snapshot empty = {0};
	ok(isnan(dd_histogram_quantile(&empty, 0.5)), "empty snapshot: NaN");
	struct dd_histogram *h = dd_histogram_new();
	dd_histogram_record(h, 5000);
	struct dd_histogram_snapshot s;
	dd_histogram_snapshot(h, &s);
	ok(isnan(dd_histogram_quantile(&s, 1.5)) && isnan(dd_histogram_quantile(&s, -0.1)) &&
	        isnan(dd_histogram_quantile(&s, NAN)),
	    "q outside [0, 1]: NaN");
	double one = dd_histogram_quantile(&s, 0.5);
	ok(one > 4096 && one <= 5120, "a single 5 us value: its bucket (4096, 5120] (got %.0f)",
	    one);
	dd_histogram_free(h);
}

static void
test_snapshot(void)
{
	struct dd_histogram *a = dd_histogram_new(), *b = dd_histogram_new();
	struct dd_histogram_snapshot sa, sb;

	dd_histogram_record(a, 1500);
	dd_histogram_record(a, -3);
	dd_histogram_record(a, 2000000);
	dd_histogram_record(b, 9000000000);
	dd_histogram_snapshot(a, &sa);
	is_int((long long)sa.count, 3, "count 3");
	is_int((long long)sa.sum_ns, 2001500, "sum (negative recorded as 0)");
	is_int((long long)sa.max_ns, 2000000, "max");
	is_int((long long)sa.buckets[0], 1, "the negative value is in bucket 0");
	dd_histogram_snapshot(b, &sb);
	dd_histogram_snapshot_add(&sa, &sb);
	is_int((long long)sa.count, 4, "merged count");
	is_int((long long)sa.max_ns, 9000000000, "merged max");
	is_int((long long)sa.buckets[dd_histogram_bucket_of(9000000000)], 1, "merged bucket");
	dd_histogram_free(a);
	dd_histogram_free(b);
	dd_histogram_free(NULL);
}

/* ---- threads ---- */

#define THREADS    8
#define PER_THREAD 100000

struct worker {
	struct dd_histogram *h;
	int id;
};

static int64_t
worker_value(int id, int i)
{
	return (int64_t)(i % 50000) * 1013 + id * 7;
}

static void *
record_thread(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < PER_THREAD; i++)
		dd_histogram_record(w->h, worker_value(w->id, i));
	return NULL;
}

static void
test_threads(void)
{
	struct dd_histogram *h = dd_histogram_new(), *ref = dd_histogram_new();
	pthread_t th[THREADS];
	struct worker w[THREADS];
	struct dd_histogram_snapshot s, r;

	for (int t = 0; t < THREADS; t++) {
		w[t] = (struct worker){h, t};
		pthread_create(&th[t], NULL, record_thread, &w[t]);
	}
	/* Snapshots taken while recording stay self-consistent. */
	bool consistent = true;
	for (int k = 0; k < 200; k++) {
		dd_histogram_snapshot(h, &s);
		uint64_t sum = 0;
		for (int i = 0; i < DD_HIST_BUCKETS; i++)
			sum += s.buckets[i];
		consistent = consistent && sum == s.count;
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < PER_THREAD; i++)
			dd_histogram_record(ref, worker_value(t, i));

	dd_histogram_snapshot(h, &s);
	dd_histogram_snapshot(ref, &r);
	ok(consistent, "snapshots during recording: count = sum of buckets");
	is_int(
	    (long long)s.count, THREADS * PER_THREAD, "8 threads x 100,000 records: count exact");
	is_int((long long)s.sum_ns, (long long)r.sum_ns, "sum exact");
	is_int((long long)s.max_ns, (long long)r.max_ns, "max exact");
	ok(memcmp(s.buckets, r.buckets, sizeof(s.buckets)) == 0, "every bucket exact");
	dd_histogram_free(h);
	dd_histogram_free(ref);
}

int
main(void)
{
	test_layout();
	test_quantiles();
	test_snapshot();
	test_threads();
	return tap_done();
}
