/*
 * prom_parse_test.c: the strict exposition parser itself: every bad input of
 * the table must be rejected for the reason named beside it, and every good
 * input accepted with the right values. The writer's tests rely on it.
 */
#include "tap.h"

#include "prom_parse.h"

#include <math.h>

struct bad_case {
	const char *what;
	const char *text;
	const char *why; /* a fragment the error message must contain */
};

#define G "# TYPE x gauge\n"
#define H "# TYPE h histogram\n"

static const struct bad_case bad[] = {
    {"sample before any TYPE", "x 1\n", "before its TYPE"},
    {"sample with HELP but no TYPE", "# HELP x help\nx 1\n", "before its TYPE"},
    {"sample before its own TYPE", "x 1\n" G, "before its TYPE"},
    {"duplicate TYPE", G G "x 1\n", "duplicate TYPE"},
    {"duplicate HELP", "# HELP x a\n# HELP x b\n" G, "duplicate HELP"},
    {"TYPE after samples", G "x 1\n# TYPE x counter\n", "after its samples"},
    {"HELP after samples", G "x 1\n# HELP x late\n", "after its samples"},
    {"unknown type", "# TYPE x gaugey\n", "bad TYPE"},
    {"TYPE without a type", "# TYPE x\n", "bad TYPE"},
    {"TYPE with a trailing blank", "# TYPE x gauge \n", "bad TYPE"},
    {"metric name starting with a digit", "# TYPE 1x gauge\n", "bad metric name"},
    {"metric name with a dash", G "x-y 1\n", "one space"},
    {"sample name starting with a digit", G "9x 1\n", "bad metric name"},
    {"label name starting with a digit", G "x{1a=\"v\"} 1\n", "bad label name"},
    {"label name with a dot", G "x{a.b=\"v\"} 1\n", "expected =\""},
    {"reserved label name", G "x{__name__=\"v\"} 1\n", "reserved label"},
    {"duplicate label name", G "x{a=\"1\",a=\"2\"} 1\n", "given twice"},
    {"unquoted label value", G "x{a=v} 1\n", "expected =\""},
    {"blank inside a label set", G "x{a=\"1\", b=\"2\"} 1\n", "bad label name"},
    {"bad escape \\t in a label value", G "x{a=\"v\\t\"} 1\n", "bad escape"},
    {"escaped quote leaves the value open", G "x{a=\"v\\\"} 1\n", "unterminated"},
    {"unterminated label set", G "x{a=\"v\" 1\n", "expected , or }"},
    {"bad escape in HELP", "# HELP x a \\t b\n" G, "bad escape"},
    {"lone backslash at the end of HELP", "# HELP x a \\\n" G, "bad escape"},
    {"value 1.2.3", G "x 1.2.3\n", "unparsable value"},
    {"value inf (lower case)", G "x inf\n", "unparsable value"},
    {"value Infinity", G "x Infinity\n", "unparsable value"},
    {"value nan (lower case)", G "x nan\n", "unparsable value"},
    {"hex value", G "x 0x10\n", "unparsable value"},
    {"exponent without digits", G "x 1e\n", "unparsable value"},
    {"a lone dot", G "x .\n", "unparsable value"},
    {"no value", G "x\n", "no value"},
    {"two blanks before the value", G "x  1\n", "one space"},
    {"trailing blank", G "x 1 \n", "one space"},
    {"bad timestamp", G "x 1 12ab\n", "unparsable timestamp"},
    {"a third field", G "x 1 2 3\n", "junk"},
    {"missing trailing newline", G "x 1", "trailing newline"},
    {"missing trailing newline after a comment", "# hello", "trailing newline"},
    {"duplicate series", G "x{a=\"1\"} 1\nx{a=\"1\"} 2\n", "duplicate series"},
    {"duplicate series, labels reordered", G "x{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 1\n",
        "duplicate series"},
    {"duplicate unlabelled series", G "x 1\nx 1\n", "duplicate series"},
    {"family lines not contiguous", G "x{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx{a=\"2\"} 1\n",
        "not contiguous"},
    {"negative counter", "# TYPE c counter\nc -1\n", "negative"},
    {"NaN counter", "# TYPE c counter\nc NaN\n", "negative"},
    {"counter sample with a suffix", "# TYPE c counter\nc_count 1\n", "before its TYPE"},
    {"histogram sample without suffix", H "h 1\n", "needs _bucket"},
    {"histogram bucket without le", H "h_bucket 1\nh_sum 0\nh_count 1\n", "without a valid le"},
    {"histogram bucket with a bad le", H "h_bucket{le=\"x\"} 1\n", "without a valid le"},
    {"le outside a bucket", H "h_bucket{le=\"+Inf\"} 1\nh_sum{le=\"1\"} 0\n", "le outside"},
    {"non-cumulative buckets",
        H
        "h_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 5\n",
        "not cumulative"},
    {"le not increasing",
        H
        "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
        "le not increasing"},
    {"histogram without +Inf bucket", H "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "without a +Inf"},
    {"histogram with only _sum and _count", H "h_sum 1\nh_count 1\n", "without a +Inf"},
    {"+Inf bucket != _count", H "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 4\n", "!= _count"},
    {"histogram without _count", H "h_bucket{le=\"+Inf\"} 3\nh_sum 1\n", "without _sum or _count"},
    {"histogram without _sum", H "h_bucket{le=\"+Inf\"} 3\nh_count 3\n", "without _sum or _count"},
    {"a second series lacks +Inf",
        H "h_bucket{a=\"1\",le=\"+Inf\"} 1\nh_sum{a=\"1\"} 1\nh_count{a=\"1\"} 1\n"
          "h_bucket{a=\"2\",le=\"1\"} 1\nh_sum{a=\"2\"} 1\nh_count{a=\"2\"} 1\n",
        "without a +Inf"},
    {"fractional bucket count", H "h_bucket{le=\"+Inf\"} 1.5\nh_sum 1\nh_count 1.5\n",
        "whole number"},
    {"invalid UTF-8 in a label value", G "x{a=\"\xc3\x28\"} 1\n", "UTF-8"},
    {"overlong UTF-8", G "x{a=\"\xc0\xaf\"} 1\n", "UTF-8"},
    {"truncated UTF-8 at the end", G "x{a=\"\xe2\x82", "UTF-8"},
    {"NUL byte", G "x 1\n\0", "NUL"},
};

static void
test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		size_t len = strlen(bad[i].text);
		if (strstr(bad[i].what, "NUL"))
			len += 1;
		struct prom_doc *d = prom_parse(bad[i].text, len, err, sizeof(err));
		ok(d == NULL && strstr(err, bad[i].why) != NULL, "rejected: %s", bad[i].what);
		if (d || !strstr(err, bad[i].why))
			diag("  error was: %s", err);
		prom_doc_free(d);
	}
}

static struct prom_doc *
parse_ok(const char *text, const char *what)
{
	char err[256] = "";
	struct prom_doc *d = prom_parse(text, strlen(text), err, sizeof(err));
	ok(d != NULL, "accepted: %s", what);
	if (!d)
		diag("  error: %s", err);
	return d;
}

static void
test_good(void)
{
	struct prom_doc *d = parse_ok("", "the empty text");
	prom_doc_free(d);

	d = parse_ok(
	    "# a comment\n\n# TYPE x gauge\nx 1\n\n# another\n", "comments and blank lines");
	ok(d && d->ns == 1 && d->s[0].value == 1, "one sample read");
	prom_doc_free(d);

	d = parse_ok("# HELP x back\\\\slash and\\nnewline \"quoted\"\n# TYPE x untyped\n"
	             "x{a=\"b\\\\c\\\"d\\ne\",z=\"\",} -2.5e-3 1700000000000\n",
	    "escapes, an empty value, a trailing comma and a timestamp");
	if (d) {
		const struct prom_family *f = prom_family(d, "x");
		is_str(f ? f->help : NULL, "back\\slash and\nnewline \"quoted\"", "HELP unescaped");
		const struct prom_sample *s = prom_find(d, "x", "a=b\\c\"d\ne,z=");
		ok(s && s->value == -2.5e-3, "label value unescaped, value read");
	}
	prom_doc_free(d);

	d = parse_ok(G
	    "x{k=\"a\"} +Inf\nx{k=\"b\"} -Inf\nx{k=\"c\"} NaN\nx{k=\"d\"} .5\nx{k=\"e\"} 7E+2\n",
	    "special values and number forms");
	if (d) {
		ok(isinf(prom_find(d, "x", "k=a")->value), "+Inf read");
		ok(isnan(prom_find(d, "x", "k=c")->value), "NaN read");
		ok(prom_find(d, "x", "k=e")->value == 700, "7E+2 read");
	}
	prom_doc_free(d);

	d = parse_ok(H "h_bucket{p=\"1\",le=\"0.5\"} 1\nh_bucket{p=\"1\",le=\"1\"} 1\n"
	               "h_bucket{p=\"1\",le=\"+Inf\"} 3\nh_sum{p=\"1\"} 4.5\nh_count{p=\"1\"} 3\n"
	               "h_bucket{p=\"2\",le=\"+Inf\"} 0\nh_sum{p=\"2\"} 0\nh_count{p=\"2\"} 0\n",
	    "two histogram series");
	prom_doc_free(d);

	d = parse_ok(
	    "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.9\"} 2\ns_sum 9\ns_count 4\n"
	    "# TYPE c_total counter\nc_total 0\nc_total{r=\"x\"} 3\n# TYPE e_total counter\n",
	    "a summary, a counter, a family without samples");
	prom_doc_free(d);

	d = parse_ok(G "x{a=\"\xe2\x82\xac \xf0\x9f\x98\x80\"} 1\n", "UTF-8 label values");
	prom_doc_free(d);
}

int
main(void)
{
	test_bad();
	test_good();
	return tap_done();
}
