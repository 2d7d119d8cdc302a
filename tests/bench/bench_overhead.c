/*
 * bench_overhead.c: the pool's own cost per statement for bench_pool,
 * measured on the in-memory fake driver of the unit tests (no I/O, so no
 * noise from the servers), and a comparator the benchmarks share.
 */
#include <stdlib.h>

#include "bench_overhead.h"
#include "dbdeck/pool.h"
#include "fake_driver.h"
#include "util/util.h"

#define MS INT64_C(1000000)

/*
 * Runs n statements on the in-memory fake driver (tests/unit/pool), either
 * through the pool (acquire, dd_pool_query, release) or on one connection
 * (dd_conn_query); returns ns per statement.
 */
static double
fake_run(struct dd_pool *p, struct dd_conn *c, bool pooled, int n)
{
	struct dd_db_error e;
	int64_t t0 = dd_now_mono_ns();

	for (int i = 0; i < n; i++) {
		struct dd_result *r = NULL;
		struct dd_pooled *pc;
		if (pooled) {
			if (dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &pc, &e) != DD_POOL_OK)
				continue;
			dd_pool_query(pc, "select", DD_POOL_DEFAULT_DEADLINE, &r, &e);
			dd_pool_release(pc);
		} else {
			dd_conn_query(c, "select", dd_now_mono_ns() + 10000 * MS, &r, &e);
		}
		dd_result_free(r);
	}
	return (double)(dd_now_mono_ns() - t0) / n;
}

int
bench_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_pool_overhead_ns(const char *password)
{
	enum { R = 21, N = 20000 };
	struct dd_conn_params prm = {.host = "fake", .user = "u", .password = password};
	struct dd_pool_config cfg;
	struct dd_db_error e;
	struct dd_conn *c;
	double d[R];
	char err[256];
	struct dd_pool *p;

	dd_pool_config_default(&cfg);
	cfg.max_size = 1;
	if (!(p = dd_pool_new(
	          &fake_driver, DD_ENGINE_POSTGRESQL, &prm, &cfg, "fake", err, sizeof(err))) ||
	    fake_driver.connect(&prm, DD_ENGINE_POSTGRESQL, DD_NO_DEADLINE, &c, &e))
		return -1;
	fake_run(p, c, true, N); /* warm-up */
	for (int i = 0; i < R; i++) {
		/* Alternate which one runs first. */
		double a = fake_run(p, c, i % 2 == 0, N), b = fake_run(p, c, i % 2 != 0, N);
		d[i] = i % 2 == 0 ? a - b : b - a;
	}
	qsort(d, R, sizeof(d[0]), bench_cmp_dbl);
	dd_conn_close(c, DD_NO_DEADLINE);
	dd_pool_free(p);
	return d[R / 2];
}
