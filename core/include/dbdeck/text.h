/*
 * text.h: text transforms. Above all the one sanitizer for untrusted text
 * (STYLE.md habit 9); also UTF-8 decoding, "did you mean" and the SQL
 * normaliser, at the end.
 *
 * Everything that comes from a server or a user and reaches a terminal (query
 * text, error messages, user and database names, application_name, client
 * addresses, theme names) goes through dd_text_sanitize() first. Its output is
 * valid UTF-8 (or pure ASCII), holds no control character except '\n' in the
 * keep-newlines mode, and fits a given number of terminal columns.
 *
 * What the input becomes:
 *
 *   input                                 UTF-8 mode          ASCII mode
 *   printable ASCII                       itself              itself
 *   other printable character             itself              '?'
 *   combining mark (width 0)              itself, on its base dropped
 *   combining mark with no base           <U+0301>            dropped
 *   C0 control 0x00-0x1F, DEL 0x7F        U+2400-U+241F, U+2421 (control pictures: ␀ ␛ ␡)
 *                                                             ^@ .. ^_, ^?  (caret notation)
 *   C1 control U+0080-U+009F              <9B>                <9B>
 *   format/invisible/bidi characters,     <U+202E>            <U+202E>
 *     U+2028/2029, private use, Hangul
 *     fillers, non-printable (wcwidth<0)
 *   variation selectors                   dropped             dropped
 *   invalid UTF-8 (bad lead byte,         U+FFFD � per        '?' per
 *     truncated, overlong, surrogate,       maximal subpart     maximal subpart
 *     > U+10FFFF)
 *   whitespace (one-line mode)            runs of space/TAB/LF/CR/VT/FF become one
 *                                         space; leading and trailing runs vanish
 *   keep-newlines mode                    LF, CR LF and lone CR become LF; TAB
 *                                         becomes spaces to the next multiple of 8
 *                                         columns of its line; VT/FF as controls
 *   text longer than max_cols             cut with … (UTF-8) or ... (ASCII; fewer
 *                                         dots when max_cols < 3)
 *
 * "Maximal subpart" is Unicode's recommended practice (§3.9, the WHATWG
 * decoder): a lead byte plus the continuation bytes that can still belong to
 * it count as one error; an E0 80 80 overlong is three. A base character keeps
 * at most DD_TEXT_MAX_COMBINING marks; more are dropped (no "Zalgo" towers).
 *
 * Width: each code point is measured with the C library's wcwidth() under a
 * private C.UTF-8 locale object (newlocale + uselocale, per thread), so the
 * result does not depend on the caller's setlocale() and agrees with ncurses
 * in any UTF-8 locale. When no UTF-8 locale exists at all (a minimal libc),
 * every non-ASCII character measures as non-printable and is shown by its
 * number: never a wrong width, only a plainer display.
 *
 * All functions are thread-safe and allocate nothing (after the one-time
 * locale object).
 */
#ifndef DBDECK_TEXT_H
#define DBDECK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/engine.h"

/* Flags of dd_text_sanitize(). 0 is the safest: ASCII output, one line. */
#define DD_TEXT_UTF8          0x1u /* output may contain non-ASCII UTF-8 */
#define DD_TEXT_KEEP_NEWLINES 0x2u /* keep line breaks (full-statement view) */

/* Combining marks kept on one base character. */
#define DD_TEXT_MAX_COMBINING 4

/*
 * Sanitizes inlen bytes at in (any bytes, NUL included; in may be NULL when
 * inlen is 0) into out, a caller-owned buffer of outsize bytes. The result is
 * always NUL-terminated when outsize > 0 (nothing is written when it is 0).
 * Its display width is at most max_cols (negative counts as 0) and it is at
 * most outsize - 1 bytes; when either limit cuts the text, it ends with the
 * ellipsis, and a character (or a placeholder like <U+202E>) is never split.
 * In the keep-newlines mode the width is the sum over all lines (a length
 * cap); dd_text_wrap() then splits the lines for display.
 * Reads the input only up to the point where the limits are reached.
 * Returns the columns used.
 */
size_t dd_text_sanitize(
    char *out, size_t outsize, const char *in, size_t inlen, int max_cols, unsigned flags);

/*
 * The display width of already-sanitized text: the widest of its lines
 * ('\n' separates lines). Returns -1 when the text is not something the
 * sanitizer could have produced (invalid UTF-8, a control character other
 * than '\n', a non-printable code point). s is borrowed; len bytes are read.
 */
int dd_text_width_n(const char *s, size_t len);
/* The same for a NUL-terminated string. */
int dd_text_width(const char *s);

/* One line of dd_text_wrap(): bytes [off, off + len) of the text, cols wide. */
struct dd_text_line {
	size_t off;
	size_t len;
	int cols;
};

/*
 * Splits sanitized text into lines of at most cols columns for the wrapped
 * full-statement view: '\n' always ends a line; a longer line breaks at its
 * last space that fits (the spaces at the break belong to no line), else
 * before the character that does not fit. A character wider than cols (a
 * wide character when cols is 1) gets a line of its own. Leading spaces of a
 * line that follows '\n' are kept (indentation); a final '\n' does not start
 * an empty last line. Fills at most maxlines entries of lines (caller-owned,
 * may be NULL when maxlines is 0) and returns the number of lines the whole
 * text needs, which may be larger (call again with a bigger array). cols < 1
 * counts as 1. Text that is not valid sanitizer output is wrapped anyway,
 * each bad byte counting one column.
 */
size_t dd_text_wrap(const char *text, int cols, struct dd_text_line *lines, size_t maxlines);

/*
 * Lower-level helpers, shared by the functions above, the console, and every
 * module that reads UTF-8 (config, vault, metrics): the one decoder.
 *
 * dd_text_decode() decodes one UTF-8 character from s (n >= 1 bytes) into
 * *cp and returns the bytes it used (1-4). On invalid input it sets *cp to
 * DD_TEXT_INVALID and returns the length of the maximal subpart (1-3).
 */
#define DD_TEXT_INVALID UINT32_C(0xFFFFFFFF)
size_t dd_text_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encodes cp (<= U+10FFFF, not a surrogate) into buf (>= 4 bytes); returns the length. */
size_t dd_text_encode(uint32_t cp, char *buf);

/*
 * The terminal width of one code point: 0, 1 or 2, or -1 when it must not be
 * printed as is (controls, format and invisible characters, private use,
 * unassigned, anything wcwidth calls non-printable). Variation selectors
 * measure 0 here; the sanitizer drops them.
 */
int dd_text_cp_width(uint32_t cp);

/* True when len bytes at s are well-formed UTF-8 (no overlong form, surrogate or > U+10FFFF). */
bool dd_text_utf8_valid(const char *s, size_t len);

/*
 * Copies s (NUL-terminated, any bytes) into buf (len bytes, caller-owned) to
 * be quoted in a message: invalid UTF-8 and control characters (C0, DEL, C1)
 * become one '?' per byte, and text past DD_TEXT_QUOTE_MAX bytes (or what buf
 * holds) is cut with "...". Other UTF-8 passes as is. Returns buf.
 */
#define DD_TEXT_QUOTE_MAX 60
const char *dd_text_quote(const char *s, char *buf, size_t len);

/*
 * For "did you mean ...?" in messages about names people type (config keys
 * and values, theme roles and colours, console commands): the candidate
 * (borrowed from cands, the first of the closest) when it is a likely typo:
 * at most one edit for words of up to 4 letters, two up to 8, three beyond,
 * and fewer edits than the candidate has letters. Else NULL (always for an
 * empty word).
 */
const char *dd_text_suggest(const char *word, const char *const *cands, size_t n);

/*
 * The optimal string alignment distance between a and b: insertions,
 * deletions, substitutions and swaps of neighbours count one edit each; ASCII
 * case does not count. Strings longer than DD_TEXT_EDIT_MAX measure
 * DD_TEXT_EDIT_MAX.
 */
#define DD_TEXT_EDIT_MAX 64
size_t dd_text_edit_distance(const char *a, const char *b);

/*
 * The SQL normaliser (the pool's slow-query log keeps statements through it).
 * Writes sql with every literal replaced by '?' into out (always terminated,
 * truncated to outlen - 1): quoted strings ('...', E'...', X'..', $tag$...$tag$,
 * and "..." for MySQL/MariaDB, where it is a string), numbers (not parts of
 * names or $n parameters) and comments; runs of white space become one space.
 * An unterminated literal or comment swallows the rest of the text. sql may
 * be NULL (an empty result); out is caller-owned.
 */
void dd_sql_normalize(enum dd_engine engine, const char *sql, char *out, size_t outlen);

/*
 * Masks, in place, the passwords a server message may quote (redact.c has
 * the rule): the literal after a word ending in "password" (PASSWORD,
 * MASTER_PASSWORD, ...) or after IDENTIFIED BY, with optional '=' or '(' in
 * between, becomes '***'; an unclosed literal is masked to the end. s is a
 * NUL-terminated string in a buffer of size bytes (a short secret makes the
 * text longer: its end is cut to fit). Returns the number of values masked.
 */
size_t dd_text_redact_secrets(char *s, size_t size);

#endif
