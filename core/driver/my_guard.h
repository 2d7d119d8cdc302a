/*
 * my_guard.h: a deadline backstop for MariaDB/MySQL calls that block inside
 * the client library (TLS sessions); see my_guard.c. Internal to the driver.
 */
#ifndef DD_DRIVER_MY_GUARD_H
#define DD_DRIVER_MY_GUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/driver.h"

/* One guarded call (lives on the caller's stack between begin and end). */
struct my_guard {
	int fd;
	int64_t deadline_ns;
	bool armed;        /* registered (only its owner reads or writes it) */
	atomic_bool fired; /* the deadline passed: the socket was shut down */
	struct my_guard *next;
};

/*
 * Registers g: at deadline_ns the socket fd is shut down and g->fired set.
 * Nothing is registered for fd < 0 or DD_NO_DEADLINE (g->fired stays false).
 */
void my_guard_begin(struct my_guard *g, int fd, int64_t deadline_ns);
/* Unregisters g (if it is registered and has not fired). Safe to call on any g begun. */
void my_guard_end(struct my_guard *g);

#endif
