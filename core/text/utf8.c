/*
 * utf8.c: the character level of the text sanitizer (see dbdeck/text.h):
 * a strict UTF-8 decoder that reports maximal subparts, an encoder, and the
 * width of one code point.
 *
 * Width comes from the C library's wcwidth() evaluated under a private UTF-8
 * locale object, so it does not depend on the process locale and matches
 * what ncurses measures in any UTF-8 locale. Switching a thread's locale costs
 * ten times a wcwidth() call, so the first call snapshots wcwidth over the
 * planes where characters are assigned (0-3 and 14) into a table of runs of
 * equal width (about 2000 runs, 16 KB, a few milliseconds, once per process);
 * lookups are then a binary search with no locale involved. Before the
 * table, a short list of our own marks the code points that are printable for
 * the C library but must not reach a terminal as is: format and bidi
 * controls, line and paragraph separators, invisible fillers and private use.
 */
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wchar.h>

#include "dbdeck/text.h"
#include "util/util.h"

#ifndef __STDC_ISO_10646__
#error "wchar_t must hold Unicode code points (wcwidth is called with them)"
#endif

struct cp_range {
	uint32_t lo, hi;
};

/*
 * Shown as <U+XXXX> even where wcwidth would print them: they are invisible,
 * reorder text (bidi), break lines, or have a width that depends on the font.
 * General category Cf (Unicode 15), Zl, Zp, the Hangul fillers, private use.
 */
static const struct cp_range hidden[] = {
    {0x00AD, 0x00AD}, /* soft hyphen */
    {0x0600, 0x0605}, /* Arabic number signs */
    {0x061C, 0x061C}, /* Arabic letter mark (bidi) */
    {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x0890, 0x0891}, {0x08E2, 0x08E2},
    {0x115F, 0x1160}, /* Hangul choseong / jungseong fillers */
    {0x180E, 0x180E}, /* Mongolian vowel separator */
    {0x200B, 0x200F}, /* zero-width space, (non-)joiner, LRM, RLM */
    {0x2028, 0x202E}, /* line/paragraph separators, bidi embeddings and overrides */
    {0x2060, 0x206F}, /* word joiner, invisible operators, bidi isolates */
    {0x3164, 0x3164}, /* Hangul filler */
    {0xE000, 0xF8FF}, /* private use */
    {0xFEFF, 0xFEFF}, /* zero-width no-break space (BOM) */
    {0xFFA0, 0xFFA0}, /* halfwidth Hangul filler */
    {0xFFF9, 0xFFFB}, /* interlinear annotation */
    {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, /* language tag */
    {0xE0020, 0xE007F},                     /* tag characters */
    {0xF0000, 0x10FFFF},                    /* supplementary private use planes */
};

/* wcwidth() of [lo, next run's lo) is w; the last run reaches U+10FFFF. */
struct width_run {
	uint32_t lo;
	int32_t w;
};

static struct width_run *width_runs; /* built once, never freed */
static size_t width_nruns;
static pthread_once_t width_once = PTHREAD_ONCE_INIT;

static void
runs_add(size_t *cap, uint32_t lo, int w)
{
	if (width_nruns > 0 && width_runs[width_nruns - 1].w == w)
		return;
	if (width_nruns == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		width_runs = xrealloc(width_runs, *cap * sizeof(*width_runs));
	}
	width_runs[width_nruns++] = (struct width_run){lo, w};
}

/* A UTF-8 LC_CTYPE, or 0 when the C library has none. */
static locale_t
utf8_locale(void)
{
	static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		locale_t loc = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
		if (!loc)
			continue;
		if (strcmp(nl_langinfo_l(CODESET, loc), "UTF-8") == 0)
			return loc;
		freelocale(loc);
	}
	return (locale_t)0;
}

/* Snapshots wcwidth(): planes 0-3 and the first page of plane 14; the rest is unassigned. */
static void
width_init(void)
{
	static const uint32_t spans[][2] = {{0, 0x3FFFF}, {0xE0000, 0xE0FFF}};
	locale_t loc = utf8_locale(), old;
	size_t cap = 0;

	runs_add(&cap, 0, -1);
	if (!loc)
		return;
	old = uselocale(loc);
	for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
		for (uint32_t cp = spans[s][0]; cp <= spans[s][1]; cp++)
			runs_add(&cap, cp, wcwidth((wchar_t)cp));
		runs_add(&cap, spans[s][1] + 1, -1);
	}
	uselocale(old);
	freelocale(loc);
}

static int
width_lookup(uint32_t cp)
{
	size_t lo = 0, hi = width_nruns;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (width_runs[mid].lo <= cp)
			lo = mid;
		else
			hi = mid;
	}
	return width_runs[lo].w;
}

static bool
cp_hidden(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(hidden) / sizeof(hidden[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < hidden[mid].lo)
			hi = mid;
		else if (cp > hidden[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

size_t
dd_text_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t v;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b < 0xC2 || b > 0xF4) {
		*cp = DD_TEXT_INVALID;
		return 1;
	}
	if (b < 0xE0) {
		need = 1;
		v = b & 0x1Fu;
	} else if (b < 0xF0) {
		need = 2;
		v = b & 0x0Fu;
		lo = b == 0xE0 ? 0xA0 : 0x80; /* overlong */
		hi = b == 0xED ? 0x9F : 0xBF; /* surrogates */
	} else {
		need = 3;
		v = b & 0x07u;
		lo = b == 0xF0 ? 0x90 : 0x80; /* overlong */
		hi = b == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = DD_TEXT_INVALID;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3Fu);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

size_t
dd_text_encode(uint32_t cp, char *buf)
{
	unsigned char *b = (unsigned char *)buf;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

int
dd_text_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return -1;
	if (cp < 0x7F)
		return 1;
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp_hidden(cp))
		return -1;
	pthread_once(&width_once, width_init);
	int w = width_lookup(cp);
	return w > 2 ? -1 : w;
}
