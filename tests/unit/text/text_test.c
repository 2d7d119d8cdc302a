/*
 * text_test.c: the untrusted-text sanitizer, its width and wrap helpers, and
 * the message helpers (quote, "did you mean", UTF-8 validity).
 * Every sanitizer result is also judged by sanitize_check.h, which does not share the
 * sanitizer's decoder or width code.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbdeck/text.h"
#include "sanitize_check.h"
#include "tap.h"
#include "util/util.h"

#define U8 DD_TEXT_UTF8
#define NL DD_TEXT_KEEP_NEWLINES

static char out[8192];

/* Sanitizes len bytes of in and compares with want (and the width with want_cols >= 0). */
static void
is_san(const char *in, size_t len, int max, unsigned flags, const char *want, int want_cols,
    const char *name)
{
	size_t cols = dd_text_sanitize(out, sizeof(out), in, len, max, flags);
	const char *bad = check_sanitized(out, sizeof(out), cols, max, flags);
	bool same = strcmp(out, want) == 0 && (want_cols < 0 || cols == (size_t)want_cols);

	ok(!bad && same, "%s", name);
	if (bad)
		diag("  invalid output: %s", bad);
	if (!same)
		diag("  got '%s' (%zu cols), want '%s' (%d cols)", out, cols, want, want_cols);
}

#define SAN(lit, max, flags, want, cols, name)                                                     \
	is_san(lit, sizeof(lit) - 1, max, flags, want, cols, name)

static bool
has_byte_below_0x20(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return true;
	return false;
}

static void
test_before_setlocale(void)
{
	/* The process is still in the "C" locale: widths must not depend on it. */
	size_t cols = dd_text_sanitize(out, sizeof(out), "\xE6\xBC\xA2x", 4, 10, U8);
	ok(strcmp(out, "\xE6\xBC\xA2x") == 0 && cols == 3,
	    "widths do not depend on the process locale");
}

static void
test_injection(void)
{
	static const char title[] = "\x1b]0;owned\x07\x1b[2J";

	SAN(title, 80, U8, "\xE2\x90\x9B]0;owned\xE2\x90\x87\xE2\x90\x9B[2J", 14,
	    "title injection: ESC and BEL become control pictures");
	ok(!has_byte_below_0x20(out) && !strchr(out, 0x1b), "  no ESC or BEL byte is left");
	SAN(title, 80, 0, "^[]0;owned^G^[[2J", 17, "title injection in ASCII mode: caret notation");
	ok(!has_byte_below_0x20(out), "  no control byte is left");
	SAN("a\xC2\x9B"
	    "31mb\xC2\x9D",
	    80, U8, "a<9B>31mb<9D>", 13, "C1 CSI and OSC shown as <9B>, <9D>");
	SAN("\x7f", 80, U8, "\xE2\x90\xA1", 1, "DEL is U+2421");
	SAN("\x7f\x1f", 80, 0, "^?^_", 4, "DEL and 0x1F in caret notation");
	SAN("\xC2\x85", 80, U8, "<85>", 4, "NEL (C1) is not a line break");
}

static void
test_spoofing(void)
{
	SAN("user\xE2\x80\xAEgnp.exe", 80, U8, "user<U+202E>gnp.exe", 19,
	    "right-to-left override shown");
	SAN("a\xE2\x81\xA6"
	    "b\xE2\x81\xA9",
	    80, U8, "a<U+2066>b<U+2069>", 18, "bidi isolates shown");
	SAN("a\xE2\x80\xA8"
	    "b\xE2\x80\xA9",
	    80, U8, "a<U+2028>b<U+2029>", 18, "line and paragraph separators");
	SAN("ad\xE2\x80\x8Bmin", 80, U8, "ad<U+200B>min", 13, "zero-width space shown");
	SAN("\xEF\xBB\xBFx", 80, U8, "<U+FEFF>x", 9, "byte order mark shown");
	SAN("\xE2\x9D\xA4\xEF\xB8\x8F!", 80, U8, "\xE2\x9D\xA4!", 2,
	    "variation selector 16 dropped");
	SAN("\xEE\x80\x80", 80, U8, "<U+E000>", 8, "private use shown by number");
	SAN("\xE3\x85\xA4x", 80, U8, "<U+3164>x", 9, "Hangul filler shown");
	SAN("\xCD\xB8", 80, U8, "<U+0378>", 8, "unassigned code point shown");
	SAN("\xE2\x80\xAE", 80, 0, "<U+202E>", 8, "placeholders are the same in ASCII mode");
	SAN("a\xE2\x80\xAE", 5, U8, "a\xE2\x80\xA6", 2, "a placeholder is never split");
}

static void
test_invalid(void)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	char want[64];

	SAN("\x80", 10, U8, fffd, 1, "lone continuation byte");
	SAN("\xC0\xC1\xF5\xFF", 10, U8, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 4,
	    "bad lead bytes: one U+FFFD each");
	snprintf(want, sizeof(want), "%s%s", fffd, fffd);
	SAN("\xC0\xAF", 10, U8, want, 2, "two-byte overlong: two");
	snprintf(want, sizeof(want), "%s%s%s", fffd, fffd, fffd);
	SAN("\xE0\x80\xAF", 10, U8, want, 3, "three-byte overlong: three");
	SAN("\xED\xA0\x80", 10, U8, want, 3, "surrogate: three");
	snprintf(want, sizeof(want), "%s%s%s%s", fffd, fffd, fffd, fffd);
	SAN("\xF0\x80\x80\xAF", 10, U8, want, 4, "four-byte overlong: four");
	SAN("\xF4\x90\x80\x80", 10, U8, want, 4, "above U+10FFFF: four");
	snprintf(want, sizeof(want), "a%sb%sc", fffd, fffd);
	SAN("a\xE2\x82"
	    "b\xF0\x9F\x98"
	    "c",
	    10, U8, want, 5, "truncated sequences: one per maximal subpart");
	snprintf(want, sizeof(want), "x%s", fffd);
	SAN("x\xF0\x9F\x98", 10, U8, want, 2, "truncated at the end of input");
	SAN("a\xE2\x82"
	    "b\xC0\xAF\xED\xA0\x80",
	    20, 0, "a?b?????", 8, "ASCII mode: '?' per subpart");
	SAN("\xEF\xBF\xBD", 10, U8, fffd, 1, "a genuine U+FFFD passes");
}

static void
test_nul_and_whitespace(void)
{
	SAN("ab\0cd", 10, U8,
	    "ab\xE2\x90\x80"
	    "cd",
	    5, "NUL in the middle is U+2400");
	SAN("ab\0cd", 10, 0, "ab^@cd", 6, "NUL in ASCII mode is ^@");
	SAN("  SELECT\n\t1\r\n  FROM t \t\n", 80, U8, "SELECT 1 FROM t", 15,
	    "one-line: whitespace runs collapse, ends trimmed");
	SAN("a\x0b\x0c"
	    "b",
	    80, U8, "a b", 3, "one-line: VT and FF are whitespace");
	SAN(" \t\n ", 80, U8, "", 0, "whitespace only is empty");
	SAN("SELECT\n\tid,\r\n\tname\rFROM t", 80, U8 | NL,
	    "SELECT\n        id,\n        name\nFROM t", 35,
	    "keep-newlines: CR LF and CR become LF, tabs expand");
	SAN("ab\tc", 80, NL, "ab      c", 9, "keep-newlines: a tab goes to the next stop of 8");
	SAN("a  b ", 80, NL, "a  b ", 5, "keep-newlines: spaces are kept");
	SAN("a\x0b"
	    "b",
	    80, U8 | NL,
	    "a\xE2\x90\x8B"
	    "b",
	    3, "keep-newlines: VT is a control");
	SAN("a\n\nb", 2, U8 | NL, "a\n\nb", 2, "newlines take no columns");
}

static void
test_widths(void)
{
	SAN("abc", 0, U8, "", 0, "width 0: empty");
	SAN("abc", 1, U8, "\xE2\x80\xA6", 1, "width 1: the ellipsis");
	SAN("abc", 2, U8, "a\xE2\x80\xA6", 2, "width 2: one character and the ellipsis");
	SAN("abc", 3, U8, "abc", 3, "exact fit: no ellipsis");
	SAN("a", 1, U8, "a", 1, "one character in width 1");
	SAN("abc", -5, U8, "", 0, "negative width counts as 0");
	SAN("", 10, U8, "", 0, "empty input");
	SAN("abc", 1, 0, ".", 1, "ASCII width 1: one dot");
	SAN("abc", 2, 0, "..", 2, "ASCII width 2: two dots");
	SAN("abcd", 3, 0, "...", 3, "ASCII width 3");
	SAN("abcde", 4, 0, "a...", 4, "ASCII width 4");
	SAN("ab cdef", 4, U8, "ab\xE2\x80\xA6", 3, "no space before the ellipsis");
}

static void
test_cjk_and_marks(void)
{
	static const char kanji[] =
	    "\xE6\xBC\xA2\xE5\xAD\x97\xE3\x81\x8B\xE3\x81\xAA"; /* 漢字かな */

	SAN(kanji, 8, U8, kanji, 8, "four wide characters in 8 columns");
	SAN(kanji, 7, U8, "\xE6\xBC\xA2\xE5\xAD\x97\xE3\x81\x8B\xE2\x80\xA6", 7, "cut at 7");
	SAN(kanji, 5, U8, "\xE6\xBC\xA2\xE5\xAD\x97\xE2\x80\xA6", 5, "cut at 5");
	SAN(kanji, 4, U8, "\xE6\xBC\xA2\xE2\x80\xA6", 3,
	    "cut at 4: a wide character never straddles");
	SAN(kanji, 3, U8, "\xE6\xBC\xA2\xE2\x80\xA6", 3, "cut at 3");
	SAN(kanji, 2, U8, "\xE2\x80\xA6", 1, "cut at 2");
	SAN(kanji, 1, U8, "\xE2\x80\xA6", 1, "cut at 1");
	SAN("a\xE6\xBC\xA2"
	    "b",
	    3, U8, "a\xE2\x80\xA6", 2, "mixed narrow and wide");
	SAN(kanji, 20, 0, "????", 4, "ASCII mode: one '?' per character");
	SAN("cafe\xCC\x81", 4, U8, "cafe\xCC\x81", 4, "a combining mark takes no column");
	SAN("cafe\xCC\x81s", 4, U8, "caf\xE2\x80\xA6", 4, "cut before a base with its mark");
	SAN("\xCC\x81x", 20, U8, "<U+0301>x", 9, "a mark with no base is shown");
	SAN("a \xCC\x81", 20, U8, "a <U+0301>", 10, "a mark after whitespace is shown");
	SAN("a\xCC\x81\xCC\x82\xCC\x83\xCC\x84\xCC\x85\xCC\x86", 20, U8,
	    "a\xCC\x81\xCC\x82\xCC\x83\xCC\x84", 1, "at most 4 marks on one base");
	SAN("cafe\xCC\x81 caf\xC3\xA9", 20, 0, "cafe caf?", 9, "ASCII mode drops marks");
}

static void
test_byte_limit(void)
{
	size_t cols;

	cols = dd_text_sanitize(out, 4, "\xE6\xBC\xA2\xE5\xAD\x97", 6, 80, U8);
	ok(strcmp(out, "\xE2\x80\xA6") == 0 && cols == 1, "4-byte buffer: only the ellipsis fits");
	cols = dd_text_sanitize(out, 7, "\xE6\xBC\xA2\xE5\xAD\x97x", 7, 80, U8);
	ok(strcmp(out, "\xE6\xBC\xA2\xE2\x80\xA6") == 0 && cols == 3,
	    "7-byte buffer: no split character");
	cols = dd_text_sanitize(out, 3, "abcdef", 6, 80, U8);
	ok(strcmp(out, "..") == 0 && cols == 2, "3-byte buffer: dots instead of U+2026");
	cols = dd_text_sanitize(out, 1, "abc", 3, 80, U8);
	ok(out[0] == '\0' && cols == 0, "1-byte buffer: terminated, empty");
	ok(dd_text_sanitize(NULL, 0, "abc", 3, 80, U8) == 0, "outsize 0 writes nothing");
	ok(dd_text_sanitize(out, sizeof(out), NULL, 0, 80, U8) == 0 && out[0] == '\0',
	    "NULL input of length 0");
}

/* Text on a page followed by an unreadable page: reading past the cell faults. */
static void
test_stops_early(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map =
	    mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		bail_out("mmap failed");
	memset(map, 'x', (size_t)pg);
	if (mprotect(map + pg, (size_t)pg, PROT_NONE) != 0)
		bail_out("mprotect failed");
	/* The caller claims 1 MB; only the first page exists. */
	size_t cols = dd_text_sanitize(out, sizeof(out), map, 1 << 20, 60, U8);
	ok(cols == 60, "a 1 MB input is read only as far as its 60-column cell");
	munmap(map, (size_t)pg * 2);
}

static char *
make_big(size_t n, const char *unit)
{
	size_t ul = strlen(unit);
	char *big = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = unit[i % ul];
	return big;
}

/*
 * Behaviour, not speed: a one-line cell must not cost a scan of the whole
 * megabyte (bound 50 ms, measured ~0.01 ms). Inputs that force a full scan
 * (nothing visible to stop at) get a generous bound: other jobs share the
 * machine, and the figure is printed.
 */
static void
time_big(const char *what, const char *unit, int max, unsigned flags, int bound_ms)
{
	size_t n = 1 << 20;
	char *big = make_big(n, unit);
	static char cell[1 << 16];
	int64_t t0 = dd_now_mono_ns();
	size_t cols = dd_text_sanitize(cell, sizeof(cell), big, n, max, flags);
	int64_t ns = dd_now_mono_ns() - t0;
	const char *bad = check_sanitized(cell, sizeof(cell), cols, max, flags);

	ok(!bad && ns < bound_ms * 1000000LL, "1 MB of %s in %d columns: %.3f ms", what, max,
	    ns / 1e6);
	if (bad)
		diag("  invalid output: %s", bad);
	free(big);
}

static void
test_big(void)
{
	time_big("SQL", "SELECT o.id, o.total FROM orders o WHERE o.id = 42;\n", 120, U8, 50);
	time_big("SQL in ASCII mode", "SELECT o.id, o.total FROM orders o WHERE o.id = 42;\n", 120,
	    0, 50);
	time_big("CJK", "\xE6\xBC\xA2\xE5\xAD\x97 ", 120, U8, 50);
	time_big("whitespace (a full scan)", " \t\n", 120, U8, 2000);
	time_big("combining marks in ASCII mode (a full scan)", "\xCC\x81", 120, 0, 2000);
	time_big("SQL, keep-newlines", "SELECT 1;\n\tFROM t\n", 60000, U8 | NL, 2000);
}

static void
test_width_fn(void)
{
	is_int(dd_text_width("\xE6\xBC\xA2"
	                     "a"),
	    3, "width of wide + narrow");
	is_int(dd_text_width("ab\ncde\nf"), 3, "width is the widest line");
	is_int(dd_text_width(""), 0, "width of empty text");
	is_int(dd_text_width("a\x1b"), -1, "ESC is not sanitized text");
	is_int(dd_text_width("a\xC3"), -1, "invalid UTF-8 is not sanitized text");
	is_int(dd_text_width("e\xCC\x81"), 1, "marks are zero width");
	is_int(dd_text_cp_width(0x202E), -1, "U+202E is not printable as is");
	is_int(dd_text_cp_width(0x4E00), 2, "U+4E00 is wide");

	int disagree = 0;
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		int mine = dd_text_cp_width(cp), libc = wcwidth((wchar_t)cp);
		if (mine >= 0 && mine != libc)
			disagree++;
	}
	is_int(disagree, 0, "every printable width agrees with wcwidth in C.UTF-8");
}

/* Wraps text and compares the lines joined with '|'. */
static void
is_wrap(const char *text, int cols, const char *want, const char *name)
{
	struct dd_text_line lines[32];
	char got[512] = "";
	size_t n = dd_text_wrap(text, cols, lines, 32), used = 0;
	bool fits = true;

	for (size_t i = 0; i < n && i < 32; i++) {
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%.*s", i ? "|" : "",
		    (int)lines[i].len, text + lines[i].off);
		int w = dd_text_width_n(text + lines[i].off, lines[i].len);
		fits &= w == lines[i].cols && (w <= cols || cols < 2);
	}
	ok(strcmp(got, want) == 0 && fits, "%s", name);
	if (strcmp(got, want) != 0)
		diag("  got '%s', want '%s'", got, want);
}

static void
test_wrap(void)
{
	is_wrap("SELECT a, b FROM t WHERE x = 1", 10, "SELECT a,|b FROM t|WHERE x =|1",
	    "breaks at spaces");
	is_wrap("abcdefghij", 4, "abcd|efgh|ij", "hard breaks without spaces");
	is_wrap("\xE6\xBC\xA2\xE5\xAD\x97\xE3\x81\x8B", 3, "\xE6\xBC\xA2|\xE5\xAD\x97|\xE3\x81\x8B",
	    "wide characters never straddle");
	is_wrap("\xE6\xBC\xA2"
	        "a",
	    1, "\xE6\xBC\xA2|a", "a wide character alone when cols is 1");
	is_wrap("a\n\nb\n", 10, "a||b", "newlines end lines; a final one adds none");
	is_wrap("SELECT\n    id\nFROM t", 20, "SELECT|    id|FROM t", "indentation kept");
	is_wrap("abc   \ndef", 3, "abc|def", "spaces at a break belong to no line");
	is_wrap("cafe\xCC\x81 bar", 4, "cafe\xCC\x81|bar", "marks stay with their base");
	is_wrap("", 10, "", "empty text has no lines");
	struct dd_text_line one;
	ok(dd_text_wrap("a b c d", 1, &one, 1) == 4 && one.len == 1,
	    "returns the count beyond maxlines");
	ok(dd_text_wrap("ab", 0, NULL, 0) == 2, "cols < 1 counts as 1");
}

static void
test_suggest(void)
{
	static const char *const names[] = {"bold", "underline", "bright-red", "crit"};

	is_str(dd_text_suggest("blod", names, 4), "bold", "suggest: a swap is one edit");
	is_str(dd_text_suggest("UNDRLINE", names, 4), "underline", "suggest: case does not count");
	is_str(dd_text_suggest("bright_red", names, 4), "bright-red", "suggest: one substitution");
	ok(dd_text_suggest("purpel", names, 4) == NULL, "suggest: nothing close, no suggestion");
	ok(dd_text_suggest("cr", names, 4) == NULL,
	    "suggest: two edits on a short word is too many");
	ok(dd_text_suggest("", names, 4) == NULL, "suggest: empty word");
}

/* The config's cases (config keys, longer words), from config_value_test before the move. */
static void
test_suggest_keys(void)
{
	static const char *const keys[] = {"pool_size", "min_idle", "max_overflow"};
	static const char *const nodes[] = {"n1", "x"};
	static const char *const longer[] = {"acquire_timeout", "connect_timeout"};

	is_int((long long)dd_text_edit_distance("pool_sise", "pool_size"), 1, "edit: substitution");
	is_int(
	    (long long)dd_text_edit_distance("pool_szie", "pool_size"), 1, "edit: transposition");
	is_int((long long)dd_text_edit_distance("", "abc"), 3, "edit: from empty");
	is_int((long long)dd_text_edit_distance("abc", ""), 3, "edit: to empty");
	is_int((long long)dd_text_edit_distance("Pool_Size", "pool_size"), 0, "edit: ignores case");
	is_int((long long)dd_text_edit_distance("ca", "abc"), 3, "edit: OSA, not Damerau (ca/abc)");
	is_int((long long)dd_text_edit_distance("kitten", "sitting"), 3, "edit: kitten/sitting");
	char big[DD_TEXT_EDIT_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int((long long)dd_text_edit_distance(big, "a"), DD_TEXT_EDIT_MAX, "edit: capped");
	is_str(dd_text_suggest("poolsize", keys, 3), "pool_size", "suggest a deletion");
	is_str(dd_text_suggest("min_idel", keys, 3), "min_idle", "suggest a transposition");
	ok(dd_text_suggest("timeout", keys, 3) == NULL, "no suggestion when nothing is close");
	ok(dd_text_suggest("", keys, 3) == NULL, "no suggestion for an empty word");
	is_str(dd_text_suggest("n2", nodes, 2), "n1", "a short name one edit away");
	ok(dd_text_suggest("y", nodes, 2) == NULL,
	    "never a candidate rewritten whole ('y' for 'x')");
	is_str(dd_text_suggest("aquire_tmeout", longer, 2), "acquire_timeout",
	    "two edits on a long word");
	is_str(dd_text_suggest("aquiretmeout", longer, 2), "acquire_timeout",
	    "three edits on a word of more than 8 letters");
	ok(dd_text_suggest("aqiretmeout", longer, 2) == NULL, "four edits is too many");
}

static void
test_quote(void)
{
	char buf[80], long_s[200], small[6];

	is_str(dd_text_quote("plain", buf, sizeof(buf)), "plain", "quote keeps plain text");
	is_str(dd_text_quote("a\x1b[31mb\tc\x7f", buf, sizeof(buf)), "a?[31mb?c?",
	    "quote replaces control characters");
	is_str(dd_text_quote("caf\xc3\xa9", buf, sizeof(buf)), "caf\xc3\xa9", "quote keeps UTF-8");
	is_str(dd_text_quote("x\xc3(\xff\xc2\x9b", buf, sizeof(buf)), "x?(???",
	    "quote replaces invalid UTF-8 and C1 controls, one '?' per byte");
	is_str(dd_text_quote("\xe2\x82", buf, sizeof(buf)), "??", "a truncated sequence: two '?'");
	memset(long_s, 'x', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	dd_text_quote(long_s, buf, sizeof(buf));
	ok(strlen(buf) == 63 && strcmp(buf + 60, "...") == 0, "quote cuts long text with ...");
	is_str(dd_text_quote("ab\xc3\xa9", small, sizeof(small)), "ab...",
	    "a character that does not fit is not split");
	is_str(dd_text_quote("abc", small, 0), "ab...", "len 0 writes nothing");
}

static void
test_utf8_valid(void)
{
	ok(dd_text_utf8_valid("", 0), "valid: empty");
	ok(dd_text_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
	    "valid: 2, 3, 4 bytes");
	ok(dd_text_utf8_valid("\xc2\x9b", 2), "valid: C1 is well formed");
	ok(!dd_text_utf8_valid("\xc0\xaf", 2), "invalid: overlong");
	ok(!dd_text_utf8_valid("\xed\xa0\x80", 3), "invalid: surrogate");
	ok(!dd_text_utf8_valid("\xf4\x90\x80\x80", 4), "invalid: above U+10FFFF");
	ok(!dd_text_utf8_valid("\xe2\x82", 2), "invalid: truncated");
	ok(!dd_text_utf8_valid("a\x80", 2), "invalid: lone continuation byte");
}

int
main(void)
{
	test_before_setlocale();
	if (!sanitize_check_init())
		bail_out("no C.UTF-8 locale for the independent checks");
	test_injection();
	test_spoofing();
	test_invalid();
	test_nul_and_whitespace();
	test_widths();
	test_cjk_and_marks();
	test_byte_limit();
	test_stops_early();
	test_big();
	test_width_fn();
	test_wrap();
	test_suggest();
	test_suggest_keys();
	test_quote();
	test_utf8_valid();
	return tap_done();
}
