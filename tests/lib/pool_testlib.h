/*
 * pool_testlib.h: what the pool's unit tests share: a pool over the fake
 * driver with test-sized settings, an acquire that bails out on failure, the
 * identity every stats snapshot must satisfy, and a sleep.
 */
#ifndef DD_TEST_POOL_TESTLIB_H
#define DD_TEST_POOL_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/pool.h"

#define MS INT64_C(1000000)

void sleep_ms(int64_t ms);

/* Defaults with min_idle 0, acquire timeout 300 ms, no liveness pings, maintenance every 20 ms. */
struct dd_pool_config base_cfg(int max_size, int max_overflow);

/* A new pool "n1" over the fake driver (whose counters are reset); bails out on failure. */
struct dd_pool *mkpool(const struct dd_pool_config *cfg);

/* Acquires with the default deadline; bails out on failure. */
struct dd_pooled *must_acquire(struct dd_pool *p);

/* created - closed == idle + active + checking, and total adds up. */
bool stats_consistent(const struct dd_pool_stats *s);

#endif
