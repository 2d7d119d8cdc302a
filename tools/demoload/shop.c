/*
 * shop.c: the demo shop's statements and requests (shop.h). The engine
 * differences (table definition, the sleeping report) are in one const
 * table per engine; everything else is SQL both engines take. Values in
 * the statements are numbers this program draws, never outside input.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/clock.h"
#include "shop.h"

/* The statements that differ between the engines. */
struct shop_sql {
	const char *create[2]; /* run in order; NULL ends */
	const char *sleep_fn;  /* sleeps N seconds on the server */
};

static const struct shop_sql pg_sql = {
    .create = {"CREATE TABLE IF NOT EXISTS demo_orders (id bigserial PRIMARY KEY,"
               " customer int NOT NULL, amount numeric(10,2) NOT NULL,"
               " status text NOT NULL DEFAULT 'new',"
               " created_at timestamptz NOT NULL DEFAULT now())",
        "CREATE INDEX IF NOT EXISTS demo_orders_customer ON demo_orders (customer)"},
    .sleep_fn = "pg_sleep",
};

static const struct shop_sql my_sql = {
    .create = {"CREATE TABLE IF NOT EXISTS demo_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
               " customer INT NOT NULL, amount DECIMAL(10,2) NOT NULL,"
               " status VARCHAR(16) NOT NULL DEFAULT 'new',"
               " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
               " KEY demo_orders_customer (customer))",
        NULL},
    .sleep_fn = "SLEEP",
};

#define CUSTOMERS 500

struct shop {
	struct dd_router *router;
	const struct shop_sql *sql;
	char label[64];
	struct shop_counts counts;
	pthread_mutex_t mu; /* guards last_error */
	char last_error[300];
};

struct shop *
shop_new(struct dd_router *r, enum dd_engine engine, const char *label)
{
	struct shop *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->router = r;
	s->sql = engine == DD_ENGINE_POSTGRESQL ? &pg_sql : &my_sql;
	snprintf(s->label, sizeof(s->label), "%s", label);
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
shop_free(struct shop *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct shop_counts *
shop_counts(struct shop *s)
{
	return &s->counts;
}

/* Counts a failed call and keeps its reason for the next report. */
static void
failed(struct shop *s, const char *what, int rc, const struct dd_db_error *e)
{
	atomic_fetch_add(&s->counts.errors, 1);
	pthread_mutex_lock(&s->mu);
	if (rc == DD_ROUTER_ERR_QUERY && e != NULL)
		snprintf(s->last_error, sizeof(s->last_error), "%s: %s", what, e->message);
	else
		snprintf(
		    s->last_error, sizeof(s->last_error), "%s: %s", what, dd_router_err_name(rc));
	pthread_mutex_unlock(&s->mu);
}

void
shop_take_error(struct shop *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	snprintf(buf, len, "%s", s->last_error);
	s->last_error[0] = '\0';
	pthread_mutex_unlock(&s->mu);
}

static uint64_t
draw(uint64_t n)
{
	return dd_rand_next(NULL) % n;
}

int
shop_prepare(struct shop *s, char *err, size_t errlen)
{
	struct dd_route_decision why;
	struct dd_db_error e;
	int rc;

	for (size_t i = 0; i < 2 && s->sql->create[i] != NULL; i++) {
		rc = dd_router_exec(s->router, NULL, DD_INTENT_WRITE, s->sql->create[i],
		    DD_POOL_DEFAULT_DEADLINE, NULL, &why, &e);
		if (rc != 0) {
			snprintf(
			    err, errlen, "%s", rc == DD_ROUTER_ERR_QUERY ? e.message : why.reason);
			return -1;
		}
	}
	return 0;
}

/* Runs one statement through the router and counts it as a read or a write. */
static void
run(struct shop *s, struct dd_session *ss, enum dd_intent intent, const char *what, const char *sql)
{
	struct dd_db_error e;
	struct dd_result *res = NULL;
	int rc;

	if (intent == DD_INTENT_READ)
		rc = dd_router_query(
		    s->router, ss, intent, sql, DD_POOL_DEFAULT_DEADLINE, &res, NULL, &e);
	else
		rc = dd_router_exec(
		    s->router, ss, intent, sql, DD_POOL_DEFAULT_DEADLINE, NULL, NULL, &e);
	dd_result_free(res);
	if (rc != 0)
		failed(s, what, rc, &e);
	else
		atomic_fetch_add(
		    intent == DD_INTENT_READ ? &s->counts.reads : &s->counts.writes, 1);
}

/* Pays one of the newest orders and takes a new one, as one transaction on the primary. */
static void
pay_order(struct shop *s, struct dd_session *ss)
{
	struct dd_pooled *pc = NULL;
	struct dd_result *res = NULL;
	struct dd_db_error e = {0};
	const char *max;
	char sql[200];
	int rc;

	rc = dd_router_acquire(
	    s->router, ss, DD_INTENT_TRANSACTION, DD_POOL_DEFAULT_DEADLINE, &pc, NULL);
	if (rc != 0) {
		failed(s, "transaction", rc, NULL);
		return;
	}
	rc = dd_pool_exec(pc, "BEGIN", DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	if (rc == 0)
		rc = dd_pool_query(
		    pc, "SELECT max(id) FROM demo_orders", DD_POOL_DEFAULT_DEADLINE, &res, &e);
	max = rc == 0 ? dd_result_value(res, 0, 0) : NULL;
	if (max != NULL) {
		snprintf(sql, sizeof(sql), "UPDATE demo_orders SET status = 'paid' WHERE id = %lld",
		    strtoll(max, NULL, 10) - (long long)draw(20));
		rc = dd_pool_exec(pc, sql, DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	}
	if (rc == 0) {
		snprintf(sql, sizeof(sql),
		    "INSERT INTO demo_orders (customer, amount, status) VALUES (%d, %d.%02d, "
		    "'paid')",
		    (int)draw(CUSTOMERS), 1 + (int)draw(300), (int)draw(100));
		rc = dd_pool_exec(pc, sql, DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	}
	if (rc == 0)
		rc = dd_pool_exec(pc, "COMMIT", DD_POOL_DEFAULT_DEADLINE, NULL, &e);
	dd_result_free(res);
	/* After a failure the session is dirty: the pool rolls it back on release. */
	dd_router_release(s->router, ss, pc);
	if (rc != 0)
		failed(s, "transaction", DD_ROUTER_ERR_QUERY, &e);
	else
		atomic_fetch_add(&s->counts.txns, 1);
}

void
shop_request(struct shop *s, struct dd_session *ss)
{
	uint64_t pick = draw(100);
	char sql[200];

	if (pick < 55) {
		snprintf(sql, sizeof(sql),
		    "SELECT id, amount, status FROM demo_orders WHERE customer = %d"
		    " ORDER BY id DESC LIMIT 10",
		    (int)draw(CUSTOMERS));
		run(s, ss, DD_INTENT_READ, "orders of a customer", sql);
	} else if (pick < 70) {
		run(s, ss, DD_INTENT_READ, "orders by status",
		    "SELECT status, count(*), sum(amount) FROM demo_orders GROUP BY status");
	} else if (pick < 92) {
		snprintf(sql, sizeof(sql),
		    "INSERT INTO demo_orders (customer, amount) VALUES (%d, %d.%02d)",
		    (int)draw(CUSTOMERS), 1 + (int)draw(300), (int)draw(100));
		run(s, ss, DD_INTENT_WRITE, "new order", sql);
	} else {
		pay_order(s, ss);
	}
}

void
shop_slow_report(struct shop *s, int secs)
{
	struct dd_db_error e;
	struct dd_result *res = NULL;
	char sql[200];
	int rc;

	snprintf(sql, sizeof(sql),
	    "SELECT %s(%d) AS deliberately_slow_report, (SELECT count(*) FROM demo_orders) AS "
	    "orders",
	    s->sql->sleep_fn, secs);
	rc = dd_router_query(
	    s->router, NULL, DD_INTENT_READ, sql, DD_POOL_DEFAULT_DEADLINE, &res, NULL, &e);
	dd_result_free(res);
	if (rc != 0)
		failed(s, "slow report", rc, &e);
	else
		atomic_fetch_add(&s->counts.slow, 1);
}

void
shop_prune(struct shop *s, int64_t keep)
{
	struct dd_db_error e;
	struct dd_result *res = NULL;
	const char *max;
	char sql[120];
	int rc;

	rc = dd_router_query(s->router, NULL, DD_INTENT_WRITE, "SELECT max(id) FROM demo_orders",
	    DD_POOL_DEFAULT_DEADLINE, &res, NULL, &e);
	max = rc == 0 ? dd_result_value(res, 0, 0) : NULL;
	if (max != NULL && strtoll(max, NULL, 10) > keep) {
		snprintf(sql, sizeof(sql), "DELETE FROM demo_orders WHERE id <= %lld",
		    strtoll(max, NULL, 10) - (long long)keep);
		run(s, NULL, DD_INTENT_WRITE, "housekeeping", sql);
	} else if (rc != 0) {
		failed(s, "housekeeping", rc, &e);
	}
	dd_result_free(res);
}
