/*
 * fuzz_sanitize.c: random bytes through dd_text_sanitize() with several
 * widths, byte limits and all four flag combinations. The first two input
 * bytes choose the limits, the rest is the text. Every result must pass
 * sanitize_check.h (valid UTF-8 or ASCII, no control, C1, bidi or other
 * forbidden code point, width within the limit and equal to the returned
 * one), be a prefix of the unlimited result when cut, and come back
 * unchanged when sanitized again. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sanitize_check.h"

static void
fail(const char *what, unsigned flags, int max_cols, size_t outsize)
{
	fprintf(stderr, "fuzz_sanitize: %s (flags %u, max_cols %d, outsize %zu)\n", what, flags,
	    max_cols, outsize);
	abort();
}

/* Sanitizes into a buffer of exactly outsize bytes so ASan sees any overrun. */
static char *
run(const char *in, size_t inlen, int max_cols, size_t outsize, unsigned flags, size_t *ret)
{
	char *out = malloc(outsize);
	if (!out)
		abort();
	*ret = dd_text_sanitize(out, outsize, in, inlen, max_cols, flags);
	const char *bad = check_sanitized(out, outsize, *ret, max_cols, flags);
	if (bad)
		fail(bad, flags, max_cols, outsize);
	return out;
}

static void
one(const char *in, size_t inlen, int max_cols, size_t outsize, unsigned flags)
{
	size_t ret, ret2, fret;
	size_t full_size = inlen * 9 + 16;
	char *full = run(in, inlen, INT_MAX, full_size, flags, &fret);
	char *out = run(in, inlen, max_cols, outsize, flags, &ret);
	const char *bad = check_prefix(out, full);
	if (bad)
		fail(bad, flags, max_cols, outsize);
	char *again = run(out, strlen(out), max_cols, outsize, flags, &ret2);
	if (strcmp(again, out) != 0 || ret2 != ret)
		fail("not idempotent", flags, max_cols, outsize);
	free(again);
	free(out);
	free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (!sanitize_check_init())
			fail("no C.UTF-8 locale", 0, 0, 0);
		ready = 1;
	}
	int max_cols = size > 0 ? data[0] % 100 : 40;
	size_t outsize = size > 1 ? (size_t)data[1] % 64 + 1 : 256;
	const char *in = size > 2 ? (const char *)data + 2 : "";
	size_t inlen = size > 2 ? size - 2 : 0;

	for (unsigned flags = 0; flags < 4; flags++) {
		one(in, inlen, max_cols, outsize, flags);
		one(in, inlen, max_cols, 4096, flags);
		one(in, inlen, 80, 4096, flags);
	}
	return 0;
}
