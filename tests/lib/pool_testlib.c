/* pool_testlib.c: see pool_testlib.h. */
#include "pool_testlib.h"

#include <time.h>

#include "fake_driver.h"
#include "tap.h"

void
sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

struct dd_pool_config
base_cfg(int max_size, int max_overflow)
{
	struct dd_pool_config c;

	dd_pool_config_default(&c);
	c.max_size = max_size;
	c.max_overflow = max_overflow;
	c.min_idle = 0;
	c.acquire_timeout_ms = 300;
	c.liveness_idle_ms = -1;
	c.slow_query_ms = 0;
	c.maintenance_ms = 20;
	return c;
}

struct dd_pool *
mkpool(const struct dd_pool_config *cfg)
{
	static const char pw[] = "not-a-secret";
	struct dd_conn_params params = {.host = "fake", .user = "u", .password = pw};
	char err[200];
	struct dd_pool *p;

	fake_reset_all();
	p = dd_pool_new(&fake_driver, DD_ENGINE_POSTGRESQL, &params, cfg, "n1", err, sizeof(err));
	if (!p)
		bail_out("dd_pool_new: %s", err);
	return p;
}

struct dd_pooled *
must_acquire(struct dd_pool *p)
{
	struct dd_pooled *c = NULL;
	struct dd_db_error e;
	int rc = dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &c, &e);

	if (rc != DD_POOL_OK)
		bail_out("acquire: %s (%s)", dd_pool_err_name(rc), e.message);
	return c;
}

bool
stats_consistent(const struct dd_pool_stats *s)
{
	return s->created - s->closed == (uint64_t)(s->idle + s->active + s->checking) &&
	       s->total == s->idle + s->active + s->checking + s->connecting;
}
