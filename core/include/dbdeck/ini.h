/*
 * ini.h: the one strict INI line reader, shared by dbdeck.ini (config) and
 * the theme files (tui/theme). It reads a buffer line by line and tells the
 * caller about every line, so that every mistake is reported with its line
 * number, not only the first:
 *
 *   - line numbers are physical lines ('\n' ends a line; CR LF is fine);
 *   - a UTF-8 byte order mark on line 1 is skipped;
 *   - blanks (space, TAB, CR, VT, FF) at both ends of a line are trimmed, so
 *     an indented key is a key (there are no continuation lines);
 *   - blank lines and lines starting with ';' or '#' are comments;
 *   - "[...]" is a section header: the caller gets the text between '[' and
 *     the first ']' as written, and whether anything but blanks or a comment
 *     follows the ']'; the reader keeps no section of its own;
 *   - "key = value" (or "key: value") goes to the caller with blanks and an
 *     inline comment (" ; ...", the ';' after a blank) stripped, by inih;
 *   - everything else is an error the caller words: a NUL byte, a line
 *     longer than the caller's limit, a '[' without ']' (before an inline
 *     comment), or a line that is none of the above.
 *
 * The messages, the meaning of sections and keys, and what an error does to
 * the rest of the file stay with the caller.
 */
#ifndef DBDECK_INI_H
#define DBDECK_INI_H

#include <stdbool.h>
#include <stddef.h>

/* The longest line a caller may accept (inih's 200-byte buffer, less '\n' and NUL). */
#define DD_INI_MAX_LINE 198

enum dd_ini_error {
	DD_INI_NUL,        /* the line holds a NUL byte */
	DD_INI_TOO_LONG,   /* longer than max_line bytes (trimmed) */
	DD_INI_NO_BRACKET, /* '[' with no ']' before the end or an inline comment */
	DD_INI_GARBAGE,    /* neither a comment, a [section] nor key = value */
};

struct dd_ini_ops {
	/* The longest line accepted, blanks at the ends not counted; at most DD_INI_MAX_LINE. */
	int max_line;
	/*
	 * A section header. inner: the text between '[' and ']' as written (blanks
	 * kept), borrowed for the call. trailing: something other than blanks or
	 * a comment (';' or '#') follows the ']'.
	 */
	void (*section)(void *ctx, int line, const char *inner, bool trailing);
	/* A key line: key and value trimmed, the value without its inline comment; key may be "".
	 */
	void (*key)(void *ctx, int line, const char *key, const char *value);
	/* A line rejected with e; nothing else is called for that line. */
	void (*error)(void *ctx, int line, enum dd_ini_error e);
};

/*
 * Reads len bytes at buf (any bytes; borrowed) and calls ops for each line
 * in order, with ctx. Returns 0, or the first line that inih itself found
 * wrong (not expected: it only sees well-formed key lines). Aborts when out
 * of memory, like xmalloc.
 */
int dd_ini_parse(const char *buf, size_t len, const struct dd_ini_ops *ops, void *ctx);

#endif
