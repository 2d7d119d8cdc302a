/*
 * my_guard.c: the deadline backstop of the MariaDB/MySQL driver.
 *
 * The driver runs every call through Connector/C's non-blocking API and
 * polls the socket itself until the call's deadline (driver_mysql.c). Over
 * TLS that is not enough: Debian's Connector/C reads and writes TLS records
 * with blocking socket calls inside the library (measured: a 5 s statement
 * held a 300 ms deadline for 5 s), so the poll loop never gets control back
 * while the server is silent. For such calls a guard is registered with the
 * call's socket and deadline; one process-wide thread sleeps until the
 * earliest registered deadline and shuts the socket of every guard past its
 * deadline down (shutdown(2) wakes a blocked read or write at once), marking
 * it fired, so the call fails as a timeout and the connection as broken.
 *
 * The guard thread costs nothing until the first TLS session (it starts
 * then) and one mutex and list operation per guarded call after that.
 *
 * The lock makes unregistering final: once my_guard_end() has returned, the
 * thread will not touch that socket, so a descriptor the caller closes and
 * the process reuses is never shut down by mistake.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "driver/my_guard.h"
#include "util/util.h"

static struct {
	pthread_once_t once;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC: a new earliest deadline */
	struct my_guard *head;
} G = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER};

/* The earliest deadline, or DD_NO_DEADLINE when none is registered. Caller holds G.mu. */
static int64_t
earliest(void)
{
	int64_t t = DD_NO_DEADLINE;

	for (struct my_guard *g = G.head; g; g = g->next)
		if (g->deadline_ns < t)
			t = g->deadline_ns;
	return t;
}

/* Shuts down and unlinks every guard past its deadline. Caller holds G.mu. */
static void
fire_due(int64_t now)
{
	struct my_guard **pp = &G.head;

	while (*pp) {
		struct my_guard *g = *pp;
		if (g->deadline_ns > now) {
			pp = &g->next;
			continue;
		}
		shutdown(g->fd, SHUT_RDWR);
		atomic_store(&g->fired, true);
		*pp = g->next;
	}
}

static void *
guard_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&G.mu);
	for (;;) {
		fire_due(dd_now_mono_ns());
		dd_cond_wait_until(&G.cv, &G.mu, earliest()); /* DD_NO_DEADLINE: until signalled */
	}
	return NULL;
}

static void
guard_init(void)
{
	pthread_attr_t ta;
	pthread_t th;

	dd_cond_init_mono(&G.cv);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 64 * 1024);
	if (pthread_create(&th, &ta, guard_main, NULL) != 0) {
		fprintf(stderr, "dbdeck: driver: cannot start the TLS deadline thread\n");
		abort();
	}
	pthread_attr_destroy(&ta);
}

void
my_guard_begin(struct my_guard *g, int fd, int64_t deadline_ns)
{
	bool first;

	atomic_init(&g->fired, false);
	g->armed = false;
	if (fd < 0 || deadline_ns == DD_NO_DEADLINE)
		return;
	pthread_once(&G.once, guard_init);
	g->fd = fd;
	g->deadline_ns = deadline_ns;
	pthread_mutex_lock(&G.mu);
	first = deadline_ns < earliest();
	g->next = G.head;
	G.head = g;
	g->armed = true;
	if (first)
		pthread_cond_signal(&G.cv);
	pthread_mutex_unlock(&G.mu);
}

void
my_guard_end(struct my_guard *g)
{
	struct my_guard **pp;

	if (!g->armed)
		return;
	pthread_mutex_lock(&G.mu);
	for (pp = &G.head; *pp; pp = &(*pp)->next)
		if (*pp == g) { /* not fired: still registered */
			*pp = g->next;
			break;
		}
	pthread_mutex_unlock(&G.mu);
	g->armed = false;
}
