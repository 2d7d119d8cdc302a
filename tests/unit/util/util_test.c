/*
 * util_test.c: the helpers of dbdeck/util.h (core, tui and tests share
 * them): bounded copy, error buffers, clocks, the FNV-1a hash; and core's
 * condition variable on the monotonic clock (util/util.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "dbdeck/util.h"
#include "tap.h"
#include "util/util.h"

#define MS INT64_C(1000000)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static bool flag;

static void *
signaller(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	flag = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
test_cond(void)
{
	pthread_t th;
	int64_t t0;
	bool woke = true;

	dd_cond_init_mono(&cv);
	pthread_mutex_lock(&mu);
	t0 = dd_now_mono_ns();
	ok(!dd_cond_wait_until(&cv, &mu, t0 - MS), "a deadline in the past: false at once");
	while (woke && dd_now_mono_ns() < t0 + 30 * MS)
		woke = dd_cond_wait_until(&cv, &mu, t0 + 30 * MS);
	ok(!woke && dd_now_mono_ns() >= t0 + 30 * MS,
	    "false once the deadline has passed, not before");
	pthread_create(&th, NULL, signaller, NULL);
	while (!flag && dd_cond_wait_until(&cv, &mu, dd_now_mono_ns() + 60000 * MS))
		;
	ok(flag, "a signal wakes the wait before its deadline");
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	pthread_cond_destroy(&cv);
}

int
main(void)
{
	char buf[8];

	is_int((long long)dd_strlcpy(buf, "abcdefghij", sizeof(buf)), 10,
	    "strlcpy returns source length");
	is_str(buf, "abcdefg", "strlcpy truncates and terminates");
	dd_strlcpy(buf, "", sizeof(buf));
	is_str(buf, "", "strlcpy of the empty string");

	char err[16];
	dd_seterr(err, sizeof(err), "bad %s at %d", "value", 12345678);
	is_str(err, "bad value at 12", "seterr truncates into the caller's buffer");
	dd_seterr(NULL, 0, "ignored %d", 1);
	ok(true, "seterr accepts a NULL buffer");

	char *s = xasprintf("%s-%d", "node", 3);
	is_str(s, "node-3", "xasprintf formats");
	free(s);

	int64_t a = dd_now_mono_ns(), b = dd_now_mono_ns();
	ok(b >= a, "monotonic clock does not go back");
	ok(dd_now_wall_ms() > 1600000000000LL, "wall clock is in milliseconds since 1970");

	/* Reference values of 64-bit FNV-1a. */
	ok(dd_fnv1a(DD_FNV1A_INIT, "", 0) == UINT64_C(0xcbf29ce484222325), "fnv1a of nothing");
	ok(dd_fnv1a(DD_FNV1A_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c), "fnv1a of 'a'");
	ok(dd_fnv1a(dd_fnv1a(DD_FNV1A_INIT, "foo", 3), "bar", 3) == UINT64_C(0x85944171f73967e8),
	    "fnv1a continues from h: foo then bar is foobar");
	test_cond();
	char *d = xstrndup("abcdef", 3);
	is_str(d, "abc", "xstrndup copies at most n bytes");
	free(d);
	char iso[32];
	dd_iso_time_ms(INT64_C(1700000000123), iso, sizeof(iso));
	is_str(iso, "2023-11-14T22:13:20.123Z", "ISO 8601 UTC with milliseconds");
	dd_iso_time_ms(INT64_C(1700000000123), iso, 11);
	is_str(iso, "2023-11-14", "cut to the buffer, terminated");
	return tap_done();
}
