/*
 * prom.c: the Prometheus text exposition builder (format 0.0.4) of metrics.h.
 *
 * The builder checks everything a strict scraper checks before it writes a
 * byte, so a refused call leaves the text as it was: metric and label names,
 * UTF-8, one HELP/TYPE per family, samples only inside their family, no label
 * set twice in a family, counters not negative. The HTTP endpoint serves
 * dd_prom_text() as is.
 */
#include "dbdeck/metrics.h"

#include "dbdeck/text.h"
#include "util/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of strings, open addressing on a 64-bit FNV-1a hash (a family of 200 nodes' series). */
struct strset {
	char **slot; /* cap entries, NULL = empty */
	size_t n, cap;
};

struct dd_prom {
	char *text;
	size_t len, cap;
	struct strset families; /* names written so far */
	struct strset series;   /* canonical label sets of the current family */
	char *cur_name;         /* current family, or NULL */
	enum dd_prom_type cur_type;
	char err[256];
};

/* ---- small containers ---- */

static uint64_t
str_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* The slot of s: where it is, or the empty one where it would go. */
static char **
strset_find(const struct strset *ss, const char *s)
{
	size_t i = (size_t)str_hash(s) & (ss->cap - 1);

	while (ss->slot[i] && strcmp(ss->slot[i], s) != 0)
		i = (i + 1) & (ss->cap - 1);
	return &ss->slot[i];
}

static bool
strset_has(const struct strset *ss, const char *s)
{
	return ss->n > 0 && *strset_find(ss, s) != NULL;
}

/* Adds s (taking it; not in the set yet), growing at half full. */
static void
strset_add(struct strset *ss, char *s)
{
	if (2 * (ss->n + 1) > ss->cap) {
		struct strset big = {xcalloc(ss->cap ? ss->cap * 2 : 32, sizeof(char *)), ss->n,
		    ss->cap ? ss->cap * 2 : 32};
		for (size_t i = 0; i < ss->cap; i++)
			if (ss->slot[i])
				*strset_find(&big, ss->slot[i]) = ss->slot[i];
		free(ss->slot);
		*ss = big;
	}
	*strset_find(ss, s) = s;
	ss->n++;
}

static void
strset_clear(struct strset *ss)
{
	for (size_t i = 0; i < ss->cap && ss->n > 0; i++)
		if (ss->slot[i]) {
			free(ss->slot[i]);
			ss->slot[i] = NULL;
			ss->n--;
		}
}

static void
put(struct dd_prom *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		while (p->len + n + 1 > p->cap)
			p->cap = p->cap ? p->cap * 2 : 4096;
		p->text = xrealloc(p->text, p->cap);
	}
	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
}

static void
puts_(struct dd_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Records the first error; always returns -1 so callers can `return fail(...)`. */
__attribute__((format(printf, 2, 3))) static int
fail(struct dd_prom *p, const char *fmt, ...)
{
	if (p->err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- lifecycle ---- */

struct dd_prom *
dd_prom_new(void)
{
	struct dd_prom *p = xcalloc(1, sizeof(*p));
	put(p, "", 0);
	return p;
}

void
dd_prom_reset(struct dd_prom *p)
{
	p->len = 0;
	p->text[0] = '\0';
	strset_clear(&p->families);
	strset_clear(&p->series);
	free(p->cur_name);
	p->cur_name = NULL;
	p->err[0] = '\0';
}

void
dd_prom_free(struct dd_prom *p)
{
	if (!p)
		return;
	dd_prom_reset(p);
	free(p->families.slot);
	free(p->series.slot);
	free(p->text);
	free(p);
}

const char *
dd_prom_text(const struct dd_prom *p, size_t *len)
{
	if (len)
		*len = p->len;
	return p->text;
}

const char *
dd_prom_error(const struct dd_prom *p)
{
	return p->err[0] ? p->err : NULL;
}

/* ---- checks ---- */

static bool
valid_name(const char *s, bool colon_ok)
{
	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
		             (colon_ok && *c == ':');
		if (!alpha && !(c > s && *c >= '0' && *c <= '9'))
			return false;
	}
	return true;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
valid_utf8(const char *str)
{
	return dd_text_utf8_valid(str, strlen(str));
}

static int
check_labels(struct dd_prom *p, const struct dd_prom_label *l, size_t n, bool le_reserved)
{
	for (size_t i = 0; i < n; i++) {
		if (!valid_name(l[i].name, false) || strncmp(l[i].name, "__", 2) == 0)
			return fail(p, "%s: bad label name", p->cur_name);
		if (le_reserved && strcmp(l[i].name, "le") == 0)
			return fail(p, "%s: label \"le\" is reserved in a histogram", p->cur_name);
		if (!l[i].value || !valid_utf8(l[i].value))
			return fail(p, "%s: label %s: value is not UTF-8", p->cur_name, l[i].name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i].name, l[j].name) == 0)
				return fail(p, "%s: label %s given twice", p->cur_name, l[i].name);
	}
	return 0;
}

/* ---- formatting ---- */

static void
put_escaped(struct dd_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (quote && *s == '"')
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

/* v in decimal into out (21 bytes or more); returns the length (not snprintf: 200 nodes). */
static size_t
format_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, len;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (len = 0; len < n; len++)
		out[len] = tmp[n - 1 - len];
	out[len] = '\0';
	return len;
}

/* Shortest text that reads back as the same double; NaN, +Inf, -Inf. */
static void
format_value(char *out, size_t outlen, double v)
{
	if (isnan(v)) {
		snprintf(out, outlen, "NaN");
	} else if (isinf(v)) {
		snprintf(out, outlen, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0 && outlen >= 24) {
		char *o = out;
		if (signbit(v))
			*o++ = '-';
		format_u64(o, (uint64_t)fabs(v));
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, outlen, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

/* ns as exact decimal seconds: 1024 -> "0.000001024", 2^30 -> "1.073741824". */
static void
format_le(char *out, size_t outlen, int64_t ns)
{
	char frac[24];
	uint64_t r = (uint64_t)(ns % 1000000000);
	size_t n, f;

	out[0] = '\0';
	if (outlen < 32)
		return;
	n = format_u64(out, (uint64_t)(ns / 1000000000));
	if (r == 0)
		return;
	out[n++] = '.';
	f = format_u64(frac, r);
	for (size_t z = f; z < 9; z++) /* the fraction's leading zeros */
		out[n++] = '0';
	while (frac[f - 1] == '0') /* its trailing ones go */
		frac[--f] = '\0';
	memcpy(out + n, frac, f + 1);
}

/* Writes `name{l1="v1",...,le="x"} value\n`; le may be NULL. */
static void
put_line(struct dd_prom *p, const char *suffix, const struct dd_prom_label *l, size_t n,
    const char *le, const char *value)
{
	puts_(p, p->cur_name);
	puts_(p, suffix);
	if (n > 0 || le) {
		put(p, "{", 1);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				put(p, ",", 1);
			puts_(p, l[i].name);
			puts_(p, "=\"");
			put_escaped(p, l[i].value, true);
			put(p, "\"", 1);
		}
		if (le) {
			puts_(p, n > 0 ? ",le=\"" : "le=\"");
			puts_(p, le);
			put(p, "\"", 1);
		}
		put(p, "}", 1);
	}
	put(p, " ", 1);
	puts_(p, value);
	put(p, "\n", 1);
}

/*
 * The label set in a canonical form (sorted by name), to find a series
 * written twice. Returns a new string the caller frees.
 */
static char *
series_key(const struct dd_prom_label *l, size_t n)
{
	size_t *idx = xcalloc(n ? n : 1, sizeof(*idx));
	size_t total = 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && strcmp(l[idx[j - 1]].name, l[i].name) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		total += strlen(l[i].name) + strlen(l[i].value) + 2;
	}
	char *key = xmalloc(total);
	char *k = key;
	for (size_t i = 0; i < n; i++)
		k += sprintf(k, "%s\x01%s\x02", l[idx[i]].name, l[idx[i]].value);
	*k = '\0';
	free(idx);
	return key;
}

/* Registers the series of the current family; -1 if it was written already. */
static int
claim_series(struct dd_prom *p, const struct dd_prom_label *l, size_t n)
{
	char *key = series_key(l, n);
	if (strset_has(&p->series, key)) {
		free(key);
		return fail(p, "%s: the same label set written twice", p->cur_name);
	}
	strset_add(&p->series, key);
	return 0;
}

/* ---- the builder ---- */

static const char *
type_name(enum dd_prom_type t)
{
	switch (t) {
	case DD_PROM_COUNTER: return "counter";
	case DD_PROM_GAUGE: return "gauge";
	case DD_PROM_HISTOGRAM: return "histogram";
	case DD_PROM_UNTYPED: return "untyped";
	}
	return NULL;
}

int
dd_prom_family(struct dd_prom *p, const char *name, enum dd_prom_type type, const char *help)
{
	if (!valid_name(name, true))
		return fail(p, "bad metric name \"%s\"", name ? name : "");
	if (!type_name(type))
		return fail(p, "%s: unknown metric type", name);
	if (strset_has(&p->families, name))
		return fail(p, "%s: family written twice", name);
	if (help && !valid_utf8(help))
		return fail(p, "%s: help text is not UTF-8", name);
	strset_add(&p->families, xstrdup(name));
	strset_clear(&p->series);
	free(p->cur_name);
	p->cur_name = xstrdup(name);
	p->cur_type = type;
	if (help) {
		puts_(p, "# HELP ");
		puts_(p, name);
		put(p, " ", 1);
		put_escaped(p, help, false);
		put(p, "\n", 1);
	}
	puts_(p, "# TYPE ");
	puts_(p, name);
	put(p, " ", 1);
	puts_(p, type_name(type));
	put(p, "\n", 1);
	return 0;
}

int
dd_prom_sample(struct dd_prom *p, const struct dd_prom_label *labels, size_t n, double value)
{
	char num[64];

	if (!p->cur_name)
		return fail(p, "sample written before any family");
	if (p->cur_type == DD_PROM_HISTOGRAM)
		return fail(p, "%s: a histogram takes dd_prom_histogram()", p->cur_name);
	if (p->cur_type == DD_PROM_COUNTER && !(value >= 0))
		return fail(p, "%s: a counter cannot be negative or NaN", p->cur_name);
	if (check_labels(p, labels, n, false) < 0 || claim_series(p, labels, n) < 0)
		return -1;
	format_value(num, sizeof(num), value);
	put_line(p, "", labels, n, NULL, num);
	return 0;
}

int
dd_prom_histogram(struct dd_prom *p, const struct dd_prom_label *labels, size_t n,
    const struct dd_histogram_snapshot *s)
{
	char num[64], sum[64], le[32];
	uint64_t cum = 0;
	int next = 0;

	if (!p->cur_name)
		return fail(p, "histogram written before any family");
	if (p->cur_type != DD_PROM_HISTOGRAM)
		return fail(p, "%s: not a histogram family", p->cur_name);
	if (check_labels(p, labels, n, true) < 0 || claim_series(p, labels, n) < 0)
		return -1;
	/* One bucket line per power of two: every 8th bucket boundary. */
	for (int i = 0; i < DD_HIST_BUCKETS - 1; i++) {
		cum += s->buckets[i];
		if (i != next)
			continue;
		next = i + (1 << DD_HIST_SUB_BITS);
		format_le(le, sizeof(le), dd_histogram_bucket_hi(i));
		format_u64(num, cum);
		put_line(p, "_bucket", labels, n, le, num);
	}
	/* +Inf and _count from the same total, whatever s->count says. */
	cum += s->buckets[DD_HIST_BUCKETS - 1];
	format_u64(num, cum);
	put_line(p, "_bucket", labels, n, "+Inf", num);
	format_value(sum, sizeof(sum), (double)s->sum_ns / 1e9);
	put_line(p, "_sum", labels, n, NULL, sum);
	put_line(p, "_count", labels, n, NULL, num);
	return 0;
}
