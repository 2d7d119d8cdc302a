/*
 * pitest.c: shared set-up of the pool's integration tests (see pitest.h).
 */
#include "pitest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/util.h"

#define MS INT64_C(1000000)

static const struct pit_engine pg_engine = {
    .engine = DD_ENGINE_POSTGRESQL,
    .name = "pg",
    .node = "pg1",
    .kill_pre = "SELECT pg_terminate_backend(",
    .kill_post = ", 5000)::int",
    .count_pre = "SELECT count(*) FROM pg_stat_activity WHERE application_name = '",
    .count_post = "'",
    .sleep_02 = "SELECT pg_sleep(0.2), 'secret-literal', 42 AS answer",
    .sleep_02_norm = "SELECT pg_sleep(?), ?, ? AS answer",
    .sleep_short = "SELECT pg_sleep(0.002)",
    .set_var = "SET search_path TO pg_catalog",
    .get_var = "SELECT current_setting('search_path')",
    .var_clean = "\"$user\", public",
    .set_mode = "SET statement_timeout = '12345ms'",
    .get_mode = "SELECT current_setting('statement_timeout')",
    .mode_clean_sql = "SELECT reset_val FROM pg_settings WHERE name = 'statement_timeout'",
    .create_temp = "CREATE TEMP TABLE pool_tmp (a int)",
    .select_temp =
        "SELECT count(*) FROM pg_class WHERE relname = 'pool_tmp' AND relpersistence = 't'",
    .create_table = "CREATE TABLE IF NOT EXISTS pool_txn (a int)",
    .begin = "BEGIN",
    .insert = "INSERT INTO pool_txn VALUES (1)",
    .count_rows = "SELECT count(*) FROM pool_txn",
};

static const struct pit_engine my_engine = {
    .engine = DD_ENGINE_MARIADB,
    .name = "my",
    .node = "my1",
    .kill_pre = "KILL ",
    .kill_post = "",
    .count_pre = "SELECT count(*) FROM performance_schema.session_connect_attrs "
                 "WHERE ATTR_NAME = 'program_name' AND ATTR_VALUE = '",
    .count_post = "'",
    .sleep_02 = "SELECT SLEEP(0.2), 'secret-literal', 42 AS answer",
    .sleep_02_norm = "SELECT SLEEP(?), ?, ? AS answer",
    .sleep_short = "SELECT SLEEP(0.002)",
    .set_var = "SET @x = 'leaked'",
    .get_var = "SELECT COALESCE(@x, 'unset')",
    .var_clean = "unset",
    .set_mode = "SET SESSION sql_mode = 'ANSI_QUOTES'",
    .get_mode = "SELECT @@SESSION.sql_mode",
    .mode_clean_sql = "SELECT @@GLOBAL.sql_mode",
    .create_temp = "CREATE TEMPORARY TABLE pool_tmp (a int)",
    .select_temp = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'pool_tmp'",
    .create_table = "CREATE TABLE IF NOT EXISTS pool_txn (a int) ENGINE=InnoDB",
    .begin = "START TRANSACTION",
    .insert = "INSERT INTO pool_txn VALUES (1)",
    .count_rows = "SELECT count(*) FROM pool_txn",
};

const struct pit_engine *E;
struct dd_harness H;
static char *password; /* it_password(): sodium_malloc */
static struct dd_conn *admin;
static int pool_seq;

void
pit_init(const char *engine_name)
{
	E = strcmp(it_engine_arg(engine_name, "pool_itest"), "pg") == 0 ? &pg_engine : &my_engine;
	password = it_harness_init(&H);
}

void
pit_done(void)
{
	dd_conn_close(admin, dd_now_mono_ns() + 1000 * MS);
	admin = NULL;
	it_password_free();
	password = NULL;
}

struct dd_pool_config
pit_config(int max_size, int max_overflow)
{
	struct dd_pool_config c;

	dd_pool_config_default(&c);
	c.max_size = max_size;
	c.max_overflow = max_overflow;
	c.min_idle = 0;
	c.acquire_timeout_ms = 5000;
	c.liveness_idle_ms = -1;
	c.slow_query_ms = 0;
	c.maintenance_ms = 100;
	return c;
}

static struct dd_conn_params
params_for(int port, const char *pw)
{
	struct dd_conn_params p = {
	    .host = H.host,
	    .port = port,
	    .database = H.database,
	    .user = H.user,
	    .password = pw,
	    .tls = DD_TLS_DISABLE,
	};
	return p;
}

struct dd_pool *
pit_pool(struct dd_pool_config *cfg, const char *tag, char *app)
{
	struct dd_conn_params params = params_for(dd_harness_port(&H, E->node), password);
	char err[256];
	struct dd_pool *p;

	snprintf(app, 64, "ddpool-%d-%d-%s", (int)getpid(), ++pool_seq, tag);
	dd_strlcpy(cfg->application_name, app, sizeof(cfg->application_name));
	p = dd_pool_new(NULL, E->engine, &params, cfg, E->node, err, sizeof(err));
	if (!p)
		bail_out("dd_pool_new: %s", err);
	return p;
}

struct dd_pool *
pit_pool_custom(struct dd_pool_config *cfg, int port, const char *pw, char *err, size_t errlen)
{
	struct dd_conn_params params = params_for(port, pw ? pw : password);

	return dd_pool_new(NULL, E->engine, &params, cfg, E->node, err, errlen);
}

struct dd_pooled *
pit_acquire(struct dd_pool *p)
{
	struct dd_pooled *c = NULL;
	struct dd_db_error e;
	int rc = dd_pool_acquire(p, DD_POOL_DEFAULT_DEADLINE, &c, &e);

	if (rc != DD_POOL_OK)
		bail_out("acquire: %s: %s", dd_pool_err_name(rc), e.message);
	return c;
}

struct dd_conn *
pit_admin(void)
{
	struct dd_conn_params params = params_for(dd_harness_port(&H, E->node), password);
	struct dd_db_error e;

	params.application_name = "ddpool-admin";
	if (!admin &&
	    dd_conn_open(E->engine, &params, dd_now_mono_ns() + 5000 * MS, &admin, &e) != 0)
		bail_out("admin connection: %s", e.message);
	return admin;
}

static long long
first_int(struct dd_conn *c, const char *sql)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	long long v = -1;

	if (dd_conn_query(c, sql, dd_now_mono_ns() + 10000 * MS, &r, &e) != 0) {
		diag("query failed: %s: %s", sql, e.message);
		return -1;
	}
	if (dd_result_nrows(r) > 0 && dd_result_value(r, 0, 0))
		v = atoll(dd_result_value(r, 0, 0));
	dd_result_free(r);
	return v;
}

long long
pit_admin_int(const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return first_int(pit_admin(), sql);
}

long long
pit_server_count(const char *app, long long want)
{
	long long n = -1;

	for (int i = 0; i < 60; i++) {
		n = pit_admin_int("%s%s%s", E->count_pre, app, E->count_post);
		if (n == want)
			break;
		pit_sleep_ms(50);
	}
	return n;
}

bool
pit_kill(int64_t backend_id)
{
	struct dd_db_error e;
	char sql[128];

	snprintf(sql, sizeof(sql), "%s%lld%s", E->kill_pre, (long long)backend_id, E->kill_post);
	if (dd_conn_exec(pit_admin(), sql, dd_now_mono_ns() + 10000 * MS, NULL, &e) != 0) {
		diag("kill failed: %s", e.message);
		return false;
	}
	return true;
}

bool
pit_value(struct dd_pooled *c, const char *sql, char *buf, size_t len)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	bool ok_ = false;

	if (dd_pool_query(c, sql, DD_POOL_DEFAULT_DEADLINE, &r, &e) != 0) {
		diag("query failed: %s: %s", sql, e.message);
		return false;
	}
	if (dd_result_nrows(r) > 0 && dd_result_value(r, 0, 0)) {
		dd_strlcpy(buf, dd_result_value(r, 0, 0), len);
		ok_ = true;
	}
	dd_result_free(r);
	return ok_;
}

void
pit_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

bool
pit_consistent(const struct dd_pool_stats *s)
{
	return s->created - s->closed == (uint64_t)(s->idle + s->active + s->checking);
}
