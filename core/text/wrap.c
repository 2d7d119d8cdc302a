/*
 * wrap.c: measuring and wrapping text that dd_text_sanitize() produced, for
 * the console's full-statement view and for sizing dialogs. Nothing here
 * copies text: lines are byte ranges of the caller's string.
 */
#include <string.h>

#include "dbdeck/text.h"

int
dd_text_width_n(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int widest = 0, line = 0;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = dd_text_decode(p + i, len - i, &cp);
		if (cp == '\n') {
			line = 0;
		} else {
			int w = cp == DD_TEXT_INVALID ? -1 : dd_text_cp_width(cp);
			if (w < 0)
				return -1;
			line += w;
			if (line > widest)
				widest = line;
		}
		i += n;
	}
	return widest;
}

int
dd_text_width(const char *s)
{
	return dd_text_width_n(s, strlen(s));
}

/*
 * The character at s[i] with the zero-width characters that follow it (its
 * combining marks): sets *w to its columns and returns its byte length.
 * Anything unprintable counts one column, so bad input still makes progress.
 */
static size_t
cluster_at(const unsigned char *s, size_t len, size_t i, int *w)
{
	uint32_t cp;
	size_t n = dd_text_decode(s + i, len - i, &cp), k = n;
	int cw = cp == DD_TEXT_INVALID ? -1 : dd_text_cp_width(cp);

	*w = cw < 0 ? 1 : cw;
	while (i + k < len) {
		n = dd_text_decode(s + i + k, len - i - k, &cp);
		if (cp == DD_TEXT_INVALID || dd_text_cp_width(cp) != 0)
			break;
		k += n;
	}
	return k;
}

/* Where the line that starts at start ends, where the next one starts, and its width. */
struct wrap_cut {
	size_t end, next;
	int cols;
};

/* The bytes after a run of spaces, also past a '\n' that ends the run. */
static size_t
skip_spaces(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && s[i] == ' ')
		i++;
	return i < len && s[i] == '\n' ? i + 1 : i;
}

static struct wrap_cut
wrap_one(const unsigned char *s, size_t len, size_t start, int cols)
{
	struct wrap_cut brk = {0, 0, 0}, cut;
	bool have_brk = false, seen_text = false;
	size_t i = start;
	int w = 0;

	while (i < len && s[i] != '\n') {
		int cw;
		size_t k;

		if (s[i] == ' ' && seen_text && i > start && s[i - 1] != ' ') {
			brk = (struct wrap_cut){i, skip_spaces(s, len, i), w};
			have_brk = true;
		}
		k = cluster_at(s, len, i, &cw);
		if (w + cw > cols && i > start) {
			if (have_brk)
				return brk;
			return (struct wrap_cut){i, i, w};
		}
		seen_text |= s[i] != ' ';
		w += cw;
		i += k;
	}
	cut.end = i;
	cut.next = i < len ? i + 1 : i;
	cut.cols = w;
	return cut;
}

size_t
dd_text_wrap(const char *text, int cols, struct dd_text_line *lines, size_t maxlines)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, count = 0;

	if (cols < 1)
		cols = 1;
	while (i < len) {
		struct wrap_cut c = wrap_one(s, len, i, cols);
		if (count < maxlines)
			lines[count] = (struct dd_text_line){i, c.end - i, c.cols};
		count++;
		i = c.next;
	}
	return count;
}
