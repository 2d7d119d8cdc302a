/*
 * tap.h: a tiny Test Anything Protocol emitter for the C tests (header only).
 * meson runs every test with protocol 'tap', so each ok() line is reported.
 *
 *   ok(cond, "what was checked %d", n);   is_int(got, want, "name");
 *   is_str(got, want, "name");            return tap_done();
 */
#ifndef DD_TAP_H
#define DD_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count_;
static int tap_failed_;

__attribute__((format(printf, 2, 3), unused)) static bool
ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	tap_count_++;
	if (!cond)
		tap_failed_++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count_);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused)) static void
diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((unused)) static bool
is_int(long long got, long long want, const char *name)
{
	bool r = ok(got == want, "%s", name);
	if (!r)
		diag("  got %lld, want %lld", got, want);
	return r;
}

__attribute__((unused)) static bool
is_str(const char *got, const char *want, const char *name)
{
	bool r = ok(got && want && strcmp(got, want) == 0, "%s", name);
	if (!r)
		diag("  got '%s', want '%s'", got ? got : "(null)", want ? want : "(null)");
	return r;
}

/* Stops the test: the harness or a precondition is missing. Counts as failed. */
__attribute__((format(printf, 1, 2), noreturn, unused)) static void
bail_out(const char *fmt, ...)
{
	va_list ap;
	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

/* Prints the plan and returns the exit status: 0 when every check passed. */
__attribute__((unused)) static int
tap_done(void)
{
	printf("1..%d\n", tap_count_);
	return tap_failed_ ? 1 : 0;
}

#endif
