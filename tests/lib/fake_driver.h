/*
 * fake_driver.h: an in-memory driver table for the pool's unit tests. It
 * speaks no protocol: connections are numbered, statements are little
 * commands ("sleep:N", "dirty", "begin", "lost", "lost-once", "syntax",
 * "deadlock"), and every call is counted, so the pool's logic (states,
 * waiters, resets, retirement, breaker, retries) runs without a server.
 */
#ifndef DD_TEST_FAKE_DRIVER_H
#define DD_TEST_FAKE_DRIVER_H

#include <stdatomic.h>

#include "dbdeck/driver.h"

enum fake_connect_mode {
	FAKE_CONNECT_OK,
	FAKE_CONNECT_REFUSED, /* DD_ERR_TRANSIENT 08001: a node failure */
	FAKE_CONNECT_AUTH,    /* DD_ERR_AUTH 28P01 */
};

struct fake_counters {
	atomic_int connects; /* attempts */
	atomic_int opened;   /* successful */
	atomic_int closes;
	atomic_int pings;
	atomic_int resets;
	atomic_int queries;
	atomic_int connect_mode; /* enum fake_connect_mode */
	atomic_int reset_fails;  /* make resets fail */
	atomic_int connect_delay_ms;
	atomic_int lost_once; /* "lost-once" fails while this is 1, then clears it */
	atomic_int live;      /* open connections right now */
	atomic_int peak;      /* most connections open at once */
};

extern struct fake_counters fake;
extern const struct dd_driver fake_driver;

/* Zeroes every counter and mode. */
void fake_reset_all(void);
/* The server "kills" the session: the next ping/statement finds it lost. */
void fake_kill(struct dd_conn *c);

#endif
