/*
 * shop.h: the demo's make-believe application, a shop that takes orders
 * (tools/demoload). One table, demo_orders, per cluster; requests that look
 * like an application's (look up a customer's orders, count them by status,
 * take an order, pay one in a transaction), a deliberately slow report now
 * and then, and housekeeping that keeps the table small. Every statement
 * goes through the cluster's router and so through libdbdeck's pools.
 * The statements of each engine are in one const table (shop.c).
 */
#ifndef DEMOLOAD_SHOP_H
#define DEMOLOAD_SHOP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/router.h"

/* What one cluster's load did; updated by every thread of that cluster. */
struct shop_counts {
	atomic_uint_fast64_t reads, writes, txns, slow, errors;
};

struct shop;

/*
 * A shop on router r (borrowed until shop_free), for engine. label (copied)
 * names it in messages. Returns a new shop; aborts on out-of-memory.
 */
struct shop *shop_new(struct dd_router *r, enum dd_engine engine, const char *label);
void shop_free(struct shop *s);

/* The counters of s. Borrowed until shop_free. */
struct shop_counts *shop_counts(struct shop *s);

/*
 * Creates demo_orders on the primary when it is missing. Returns 0, or -1
 * with the reason in err (e.g. no primary yet: the caller tries again).
 */
int shop_prepare(struct shop *s, char *err, size_t errlen);

/*
 * One request of a customer, chosen at random: reads go to a replica,
 * writes and the transaction to the primary, all through session ss (one
 * per thread, so that a customer reads its own writes). Counts it.
 */
void shop_request(struct shop *s, struct dd_session *ss);

/*
 * The deliberately slow report: one statement that sleeps secs seconds on
 * the server (pg_sleep / SLEEP), routed as a read. Counts it.
 */
void shop_slow_report(struct shop *s, int secs);

/* Deletes all but the newest `keep` orders, so the table stays small. */
void shop_prune(struct shop *s, int64_t keep);

/* The last error of s ("" when none), copied into buf and cleared. */
void shop_take_error(struct shop *s, char *buf, size_t len);

#endif
