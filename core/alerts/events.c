/*
 * events.c: the bounded event log (alerts.h): alerts raised and cleared,
 * breaker transitions, role changes, nodes down and up, operator actions.
 * A ring of fixed-size records under a mutex; the monitor copies the newest
 * ones into each snapshot, and the console adds operator actions from its
 * job threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/alerts.h"
#include "util/util.h"

struct dd_event_log {
	pthread_mutex_t mu;
	size_t cap, n, head; /* head: index of the oldest */
	uint64_t added;
	struct dd_event *ev;
};

struct dd_event_log *
dd_event_log_new(size_t capacity)
{
	struct dd_event_log *log = xcalloc(1, sizeof(*log));

	log->cap = capacity > 0 ? capacity : 1;
	log->ev = xcalloc(log->cap, sizeof(*log->ev));
	pthread_mutex_init(&log->mu, NULL);
	return log;
}

void
dd_event_log_free(struct dd_event_log *log)
{
	if (log == NULL)
		return;
	pthread_mutex_destroy(&log->mu);
	free(log->ev);
	free(log);
}

void
dd_event_log_add(struct dd_event_log *log, enum dd_event_kind kind, enum dd_severity sev,
    int64_t wall_ms, const char *cluster, const char *node, const char *message)
{
	struct dd_event *e;

	pthread_mutex_lock(&log->mu);
	if (log->n < log->cap) {
		e = &log->ev[(log->head + log->n) % log->cap];
		log->n++;
	} else {
		e = &log->ev[log->head];
		log->head = (log->head + 1) % log->cap;
	}
	e->kind = kind;
	e->severity = sev;
	e->wall_ms = wall_ms;
	dd_strlcpy(e->cluster, cluster ? cluster : "", sizeof(e->cluster));
	dd_strlcpy(e->node, node ? node : "", sizeof(e->node));
	dd_strlcpy(e->message, message ? message : "", sizeof(e->message));
	log->added++;
	pthread_mutex_unlock(&log->mu);
}

size_t
dd_event_log_copy(struct dd_event_log *log, struct dd_event *out, size_t max)
{
	size_t n, skip, i;

	pthread_mutex_lock(&log->mu);
	n = log->n < max ? log->n : max;
	skip = log->n - n;
	for (i = 0; i < n; i++)
		out[i] = log->ev[(log->head + skip + i) % log->cap];
	pthread_mutex_unlock(&log->mu);
	return n;
}

uint64_t
dd_event_log_added(struct dd_event_log *log)
{
	uint64_t n;

	pthread_mutex_lock(&log->mu);
	n = log->added;
	pthread_mutex_unlock(&log->mu);
	return n;
}

const char *
dd_event_kind_name(enum dd_event_kind k)
{
	switch (k) {
	case DD_EVENT_ALERT_RAISED: return "alert";
	case DD_EVENT_ALERT_CLEARED: return "cleared";
	case DD_EVENT_BREAKER: return "breaker";
	case DD_EVENT_ROLE_CHANGE: return "role";
	case DD_EVENT_NODE_DOWN: return "down";
	case DD_EVENT_NODE_UP: return "up";
	case DD_EVENT_ACTION: return "action";
	}
	return "unknown";
}
