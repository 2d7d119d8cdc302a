/*
 * fake_driver.c: the in-memory driver of fake_driver.h. Connections embed the
 * driver's common head (driver_int.h) so the dd_conn_* wrappers work on them.
 */
#include "fake_driver.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/driver_int.h"
#include "util/util.h"

struct fake_conn {
	struct dd_conn head;
	atomic_bool killed;
};

struct fake_counters fake;
static atomic_int next_backend = 1000;

void
fake_reset_all(void)
{
	atomic_store(&fake.connects, 0);
	atomic_store(&fake.opened, 0);
	atomic_store(&fake.closes, 0);
	atomic_store(&fake.pings, 0);
	atomic_store(&fake.resets, 0);
	atomic_store(&fake.queries, 0);
	atomic_store(&fake.connect_mode, FAKE_CONNECT_OK);
	atomic_store(&fake.reset_fails, 0);
	atomic_store(&fake.connect_delay_ms, 0);
	atomic_store(&fake.lost_once, 0);
	atomic_store(&fake.peak, atomic_load(&fake.live));
}

void
fake_kill(struct dd_conn *c)
{
	atomic_store(&((struct fake_conn *)c)->killed, true);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int
fake_connect(const struct dd_conn_params *p, enum dd_engine engine, int64_t deadline_ns,
    struct dd_conn **out, struct dd_db_error *err)
{
	int delay = atomic_load(&fake.connect_delay_ms);
	struct fake_conn *c;

	(void)p;
	*out = NULL;
	atomic_fetch_add(&fake.connects, 1);
	if (delay > 0) {
		int64_t left = (deadline_ns - dd_now_mono_ns()) / 1000000;
		sleep_ms(delay < left ? delay : (left > 0 ? left : 0));
		if (delay > left) {
			drv_seterr(err, DD_ERR_TIMEOUT, NULL, 0, "connect timed out");
			return -1;
		}
	}
	switch (atomic_load(&fake.connect_mode)) {
	case FAKE_CONNECT_REFUSED:
		drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "connection refused");
		return -1;
	case FAKE_CONNECT_AUTH:
		drv_seterr(err, DD_ERR_AUTH, "28P01", 0, "password authentication failed");
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	drv_conn_init(&c->head, &fake_driver, engine);
	c->head.backend_id = atomic_fetch_add(&next_backend, 1);
	atomic_fetch_add(&fake.opened, 1);
	int live = atomic_fetch_add(&fake.live, 1) + 1;
	int peak = atomic_load(&fake.peak);
	while (live > peak && !atomic_compare_exchange_weak(&fake.peak, &peak, live))
		;
	*out = &c->head;
	return 0;
}

static void
fake_close(struct dd_conn *c, int64_t deadline_ns)
{
	(void)deadline_ns;
	atomic_fetch_add(&fake.closes, 1);
	atomic_fetch_sub(&fake.live, 1);
	free(c);
}

static int
lost(struct dd_conn *c, struct dd_db_error *err)
{
	c->broken = true;
	drv_seterr(err, DD_ERR_CONN_LOST, "08006", 0, "server closed the connection");
	return -1;
}

static int
fake_ping(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	(void)deadline_ns;
	atomic_fetch_add(&fake.pings, 1);
	if (atomic_load(&((struct fake_conn *)c)->killed))
		return lost(c, err);
	return 0;
}

/* Runs one fake statement; 0 or -1. */
static int
fake_run(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_db_error *err)
{
	atomic_fetch_add(&fake.queries, 1);
	if (atomic_load(&((struct fake_conn *)c)->killed))
		return lost(c, err);
	if (strncmp(sql, "sleep:", 6) == 0) {
		int64_t ms = atoll(sql + 6);
		int64_t left = (deadline_ns - dd_now_mono_ns()) / 1000000;
		if (ms > left) {
			sleep_ms(left > 0 ? left : 0);
			c->broken = true;
			drv_seterr(err, DD_ERR_TIMEOUT, NULL, 0, "query timed out");
			return -1;
		}
		sleep_ms(ms);
	} else if (strcmp(sql, "dirty") == 0) {
		c->dirty = true;
	} else if (strcmp(sql, "begin") == 0) {
		c->in_txn = true;
	} else if (strcmp(sql, "lost") == 0) {
		return lost(c, err);
	} else if (strcmp(sql, "lost-once") == 0) {
		if (atomic_exchange(&fake.lost_once, 0) == 1)
			return lost(c, err);
	} else if (strcmp(sql, "syntax") == 0) {
		drv_seterr(err, DD_ERR_PERMANENT, "42601", 0, "syntax error");
		return -1;
	} else if (strcmp(sql, "deadlock") == 0) {
		drv_seterr(err, DD_ERR_TRANSIENT, "40P01", 0, "deadlock detected");
		return -1;
	}
	return 0;
}

static int
fake_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	static const char *const row[1] = {"1"};

	if (fake_run(c, sql, deadline_ns, err) != 0)
		return -1;
	*out = drv_result_new(1);
	drv_result_set_colname(*out, 0, "x");
	drv_result_add_row(*out, row, NULL);
	return 0;
}

static int
fake_exec(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	if (fake_run(c, sql, deadline_ns, err) != 0)
		return -1;
	if (affected)
		*affected = 1;
	return 0;
}

static int
fake_reset(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	(void)deadline_ns;
	atomic_fetch_add(&fake.resets, 1);
	if (atomic_load(&fake.reset_fails)) {
		drv_seterr(err, DD_ERR_PERMANENT, "XX000", 0, "reset failed");
		return -1;
	}
	c->dirty = false;
	c->in_txn = false;
	return 0;
}

static int
fake_unsupported(struct dd_db_error *err)
{
	drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "not in the fake driver");
	return -1;
}

static int
fake_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	(void)c, (void)deadline_ns, (void)out;
	return fake_unsupported(err);
}

static int
fake_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err)
{
	(void)c, (void)deadline_ns, (void)out;
	return fake_unsupported(err);
}

static struct dd_cancel_key *
fake_cancel_key(struct dd_conn *c)
{
	(void)c;
	return NULL;
}

const struct dd_driver fake_driver = {
    .name = "fake",
    .default_port = 1,
    .connect = fake_connect,
    .close = fake_close,
    .ping = fake_ping,
    .query = fake_query,
    .exec = fake_exec,
    .reset = fake_reset,
    .probe_role = fake_probe_role,
    .write_position = fake_write_position,
    .cancel_key = fake_cancel_key,
};
