/*
 * ini_test.c: the strict INI line reader (dbdeck/ini.h) that the config file
 * and the themes share: what each line becomes, and on which line number.
 * Every call is logged as one line of text, and the log compared whole.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbdeck/ini.h"
#include "tap.h"

static char log_buf[4096];

__attribute__((format(printf, 1, 2))) static void
log_add(const char *fmt, ...)
{
	size_t used = strlen(log_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_buf + used, sizeof(log_buf) - used, fmt, ap);
	va_end(ap);
}

static void
on_section(void *ctx, int line, const char *inner, bool trailing)
{
	(void)ctx;
	log_add("%d S[%s]%s\n", line, inner, trailing ? " trailing" : "");
}

static void
on_key(void *ctx, int line, const char *key, const char *value)
{
	(void)ctx;
	log_add("%d K<%s>=<%s>\n", line, key, value);
}

static void
on_error(void *ctx, int line, enum dd_ini_error e)
{
	static const char *const names[] = {"NUL", "TOO_LONG", "NO_BRACKET", "GARBAGE"};
	(void)ctx;
	log_add("%d E%s\n", line, names[e]);
}

static const struct dd_ini_ops ops = {
    .max_line = 20,
    .section = on_section,
    .key = on_key,
    .error = on_error,
};

static void
is_read(const char *text, size_t len, const char *want, const char *name)
{
	log_buf[0] = '\0';
	is_int(dd_ini_parse(text, len, &ops, NULL), 0, name);
	is_str(log_buf, want, name);
}

#define READ(text, want, name) is_read(text, sizeof(text) - 1, want, name)

int
main(void)
{
	READ("", "", "an empty file calls nothing");
	READ("; c\n# c\n\n   \n", "", "comments and blank lines call nothing");
	READ("[a]\nk = v\n", "1 S[a]\n2 K<k>=<v>\n", "a section and a key, with their lines");
	READ("\xef\xbb\xbf[a]\r\nk=v\r\n", "1 S[a]\n2 K<k>=<v>\n", "BOM on line 1 and CR LF");
	READ("k = v\n\xef\xbb\xbf[a]\n", "1 K<k>=<v>\n2 EGARBAGE\n", "a BOM past line 1 is text");
	READ("  \t[ a b ]  \n\t k = v\n", "1 S[ a b ]\n2 K<k>=<v>\n",
	    "blanks trimmed at both ends; the section's inner text as written");
	READ("[a] junk\n[b] ; c\n[c] # c\n[d]]\n",
	    "1 S[a] trailing\n2 S[b]\n3 S[c]\n4 S[d] trailing\n",
	    "text after ']' is flagged, a comment is not");
	READ("[a\n[a ; b]\n[]\n", "1 ENO_BRACKET\n2 ENO_BRACKET\n3 S[]\n",
	    "a ']' after an inline comment does not close the header");
	READ("k: v\nk = a;b ; c\nk =\n= v\n", "1 K<k>=<v>\n2 K<k>=<a;b>\n3 K<k>=<>\n4 K<>=<v>\n",
	    "':' separates too; inline comments need a blank before ';'; empty key and value");
	READ("just words\nk ; = v\n", "1 EGARBAGE\n2 EGARBAGE\n",
	    "no separator before an inline comment is garbage");
	READ("a\0b = c\nk = v\n", "1 ENUL\n2 K<k>=<v>\n", "a NUL byte rejects its line only");
	READ("k = 1234567890123456\nk = 12345678901234567\n",
	    "1 K<k>=<1234567890123456>\n2 ETOO_LONG\n", "20 bytes pass, 21 do not");
	READ("k = 1234567890123456   \t\r\n", "1 K<k>=<1234567890123456>\n",
	    "trailing blanks do not count toward the limit");
	READ("  k = v\n    w = x\n", "1 K<k>=<v>\n2 K<w>=<x>\n",
	    "an indented line is a key, never a continuation");
	READ("[a]\nk = v", "1 S[a]\n2 K<k>=<v>\n", "the last line needs no newline");
	return tap_done();
}
