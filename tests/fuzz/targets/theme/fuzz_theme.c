/*
 * fuzz_theme.c: random bytes through dd_theme_load_buffer() (tui/theme/theme.c,
 * from the tui library). Whatever the input, the result must be a
 * usable theme: success with no messages, or the default theme with
 * messages that are safe to print (sanitized, one per line); every colour in
 * range. The accent path gets the input's first line as a colour name.
 * Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/text.h"
#include "theme.h"

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_theme: %s\n", what);
	abort();
}

static void
check_style(const struct dd_theme_style *s)
{
	if (s->fg < -1 || s->fg > 255 || s->bg < -1 || s->bg > 255)
		fail("colour out of range");
	if (s->fg16 < -1 || s->fg16 > 15 || s->bg16 < -1 || s->bg16 > 15)
		fail("16-colour fallback out of range");
	if ((s->fg == -1) != (s->fg16 == -1) || (s->bg == -1) != (s->bg16 == -1))
		fail("a colour without a fallback, or the reverse");
	if (s->attrs & ~0x3Fu)
		fail("unknown attribute bits");
	for (int n = 0; n <= 256; n += 8) {
		int fg, bg;
		dd_theme_resolve(s, n, &fg, &bg);
		if (fg < -1 || fg >= (n >= 256 ? 256 : n) || bg < -1 || bg >= (n >= 256 ? 256 : n))
			fail("resolved colour outside the terminal's palette");
	}
}

static void
check_theme(const struct dd_theme *t)
{
	if (memchr(t->name, '\0', sizeof(t->name)) == NULL ||
	    memchr(t->description, '\0', sizeof(t->description)) == NULL)
		fail("unterminated name or description");
	if (dd_text_width(t->name) < 0 || dd_text_width(t->description) < 0 ||
	    strchr(t->name, '\n'))
		fail("name or description not sanitized");
	for (int r = 0; r < DD_STYLE_COUNT; r++)
		check_style(&t->role[r]);
}

static void
check_msgs(const char *msgs, size_t size, int rc)
{
	size_t len = strnlen(msgs, size);

	if (len == size)
		fail("messages not terminated");
	if ((rc == 0) != (len == 0))
		fail("success with messages, or failure without");
	if (rc != 0 && (msgs[len - 1] != '\n' || dd_text_width(msgs) < 0))
		fail("messages are not sanitized whole lines");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dd_theme t, def;
	char msgs[2048], err[256], color[64];
	int rc = dd_theme_load_buffer("fuzz.ini", (const char *)data, size, &t, msgs, sizeof(msgs));

	check_msgs(msgs, sizeof(msgs), rc);
	check_theme(&t);
	dd_theme_default(&def);
	if (rc != 0 && memcmp(&t, &def, sizeof(t)) != 0)
		fail("a failed load is not the default theme");

	char small[48];
	int rc2 =
	    dd_theme_load_buffer("fuzz.ini", (const char *)data, size, &t, small, sizeof(small));
	if (rc2 != rc || strnlen(small, sizeof(small)) == sizeof(small))
		fail("a small message buffer changes the result or is not terminated");

	size_t n = 0;
	while (n < size && n < sizeof(color) - 1 && data[n] != '\n' && data[n] != '\0')
		n++;
	memcpy(color, data, n);
	color[n] = '\0';
	struct dd_theme before = t;
	if (dd_theme_apply_accent(&t, color, err, sizeof(err)) != 0) {
		if (memcmp(&t, &before, sizeof(t)) != 0 || dd_text_width(err) < 0)
			fail("a refused accent changed the theme or left an unsafe message");
	}
	check_theme(&t);
	return 0;
}
