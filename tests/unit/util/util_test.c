/*
 * util_test.c: the core helpers: bounded copy, error buffers, clocks.
 */
#include "tap.h"
#include "util/util.h"

int
main(void)
{
	char buf[8];

	is_int((long long)dd_strlcpy(buf, "abcdefghij", sizeof(buf)), 10, "strlcpy returns source length");
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
	return tap_done();
}
