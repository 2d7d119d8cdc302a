/*
 * metrics.h: latency histograms and the Prometheus text exposition (format
 * 0.0.4) of every counter dbdeck keeps.
 *
 * Histogram: fixed log-linear buckets in nanoseconds, atomic counters, cheap
 * to record from many threads. Bucket 0 holds [0, 1024 ns]; then each power
 * of two from 2^10 ns (1.024 us) to 2^36 ns (68.7 s) is cut into 8 equal
 * buckets (lo, hi]; the last bucket holds everything above 2^36 ns. A
 * bucket's width is at most 1/8 of its lower bound, so a quantile read from a
 * snapshot is within one bucket width of the exact value: within 12.5 % for
 * values above 1.024 us, within 1.024 us below.
 *
 * Exposition: a builder that writes families in order (HELP, TYPE, then the
 * samples) into a growable buffer, checking names, escaping label values and
 * refusing what a strict scraper would reject. The family names operators
 * alert on (DESIGN.md §10) are in dd_metric_def().
 */
#ifndef DBDECK_METRICS_H
#define DBDECK_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* ---- histogram ---- */

#define DD_HIST_SUB_BITS 3  /* 8 buckets per power of two */
#define DD_HIST_MIN_EXP  10 /* 2^10 ns = 1.024 us */
#define DD_HIST_MAX_EXP  36 /* 2^36 ns = 68.7 s */
#define DD_HIST_BUCKETS  (2 + ((DD_HIST_MAX_EXP - DD_HIST_MIN_EXP) << DD_HIST_SUB_BITS))

/* A copy of a histogram at one moment; plain data, the caller owns it. */
struct dd_histogram_snapshot {
	uint64_t buckets[DD_HIST_BUCKETS]; /* per bucket, not cumulative */
	uint64_t count;                    /* sum of buckets[] */
	uint64_t sum_ns;                   /* sum of the recorded values */
	uint64_t max_ns;                   /* largest recorded value */
};

/* Returns a new, empty histogram; free with dd_histogram_free(). */
struct dd_histogram *dd_histogram_new(void);

/* Frees h (NULL allowed). No thread may still record into it. */
void dd_histogram_free(struct dd_histogram *h);

/* Records one duration (negative values count as 0). Lock-free, any thread. */
void dd_histogram_record(struct dd_histogram *h, int64_t ns);

/*
 * Copies h into *out. Each counter is read atomically; records that race with
 * the copy may be in some fields and not others, but count always equals the
 * sum of buckets[] (so a +Inf bucket always matches _count).
 */
void dd_histogram_snapshot(const struct dd_histogram *h, struct dd_histogram_snapshot *out);

/* Adds src into dst (e.g. the pools of one cluster into one series). */
void dd_histogram_snapshot_add(
    struct dd_histogram_snapshot *dst, const struct dd_histogram_snapshot *src);

/*
 * The q-quantile (0 <= q <= 1) in nanoseconds, interpolated linearly inside
 * the bucket holding the nearest-rank value sorted[ceil(q * count) - 1]
 * (rank 1 for q = 0). NaN when the snapshot is empty or q is out of range.
 */
double dd_histogram_quantile(const struct dd_histogram_snapshot *s, double q);

/* The bucket a value goes to, and a bucket's bounds (lo, hi] in ns (bucket 0: [0, hi]). */
int dd_histogram_bucket_of(int64_t ns);
int64_t dd_histogram_bucket_lo(int i);
/* INT64_MAX for the last bucket. */
int64_t dd_histogram_bucket_hi(int i);

/* ---- Prometheus text exposition ---- */

enum dd_prom_type {
	DD_PROM_COUNTER,
	DD_PROM_GAUGE,
	DD_PROM_HISTOGRAM,
	DD_PROM_UNTYPED,
};

struct dd_prom_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
	const char *value; /* any UTF-8; escaped on output */
};

/* Returns a new, empty builder; free with dd_prom_free(). */
struct dd_prom *dd_prom_new(void);
void dd_prom_free(struct dd_prom *p);

/* Empties the text and forgets the families, to build the next scrape. */
void dd_prom_reset(struct dd_prom *p);

/*
 * Starts a family: writes "# HELP" (when help is not NULL) and "# TYPE". The
 * samples that follow belong to it until the next family. Returns 0, or -1
 * (nothing written; see dd_prom_error) for a bad name or a family already
 * written. name and help are copied.
 */
int dd_prom_family(struct dd_prom *p, const char *name, enum dd_prom_type type, const char *help);

/*
 * One sample of the current counter, gauge or untyped family, with n labels
 * (labels may be NULL when n is 0). NaN and infinities are written as NaN,
 * +Inf, -Inf; a counter refuses negative values and NaN. Returns 0, or -1 for
 * no current family, a histogram family, a bad or duplicate label name, or a
 * label set already written in this family.
 */
int dd_prom_sample(struct dd_prom *p, const struct dd_prom_label *labels, size_t n, double value);

/*
 * One series of the current histogram family, in seconds: name_bucket with
 * cumulative counts at each power of two from 2^10 to 2^36 ns (le written as
 * exact decimals, e.g. "0.000001024", "1.073741824") and "+Inf" (= count),
 * then name_sum and name_count. The label "le" is refused. Returns 0 or -1.
 */
int dd_prom_histogram(struct dd_prom *p, const struct dd_prom_label *labels, size_t n,
    const struct dd_histogram_snapshot *s);

/* The text so far (always NUL-terminated); borrowed until the next call on p. */
const char *dd_prom_text(const struct dd_prom *p, size_t *len);

/* The first error since dd_prom_new/reset, or NULL. Borrowed like the text. */
const char *dd_prom_error(const struct dd_prom *p);

/* ---- the names of DESIGN.md §10 ---- */

enum dd_metric {
	DD_METRIC_POOL_SIZE,       /* gauge {cluster,node,state="active|idle|waiting"} */
	DD_METRIC_POOL_WAIT_TIME,  /* histogram {cluster,node}: acquire waits, seconds */
	DD_METRIC_POOL_ERRORS,     /* counter {cluster,node,reason} */
	DD_METRIC_REPLICATION_LAG, /* gauge {cluster,replica}: seconds */
	DD_METRIC_REPLICA_HEALTH,  /* gauge {cluster,replica}: 1 healthy, 0 not */
	DD_METRIC_QUERY_DURATION,  /* histogram {cluster,query_type="read|write"}: seconds */
	DD_METRIC_SLOW_QUERIES,    /* counter {cluster} */
	DD_METRIC_BREAKER_STATE,   /* gauge {cluster,node}: 0 closed, 1 open, 2 half-open */
	DD_METRIC_BACKUP_AGE,      /* gauge {cluster}: seconds since the newest good backup */
	DD_METRIC_COUNT_
};

struct dd_metric_def {
	const char *name; /* e.g. "db_connection_pool_size" */
	enum dd_prom_type type;
	const char *help;
	const char *labels; /* the label names the feeders use, comma-separated */
};

/* The definition of m (NULL when out of range). Static storage. */
const struct dd_metric_def *dd_metric_def(enum dd_metric m);

/* dd_prom_family() with the name, type and help of m. */
int dd_prom_family_def(struct dd_prom *p, enum dd_metric m);

#endif
