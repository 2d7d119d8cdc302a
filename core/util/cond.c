/*
 * cond.c: condition variables on the monotonic clock (see util/util.h). Every
 * deadline in dbdeck is a dd_now_mono_ns() time, so a wait must not follow
 * the wall clock when it is set back or forward: the condition variables of
 * the pool, router, monitor and drivers are made here, and waited on here.
 */
#include <errno.h>
#include <time.h>

#include "util/util.h"

void
dd_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

bool
dd_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ns)
{
	struct timespec ts;

	if (deadline_ns == INT64_MAX) {
		pthread_cond_wait(cv, mu);
		return true;
	}
	if (dd_now_mono_ns() >= deadline_ns)
		return false;
	ts.tv_sec = (time_t)(deadline_ns / 1000000000);
	ts.tv_nsec = (long)(deadline_ns % 1000000000);
	return pthread_cond_timedwait(cv, mu, &ts) != ETIMEDOUT;
}
