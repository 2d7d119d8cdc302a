/*
 * prom_parse.c: the strict exposition-format parser of prom_parse.h, used to
 * check what the metrics writer produces. Written from the format's
 * description (Prometheus "Exposition formats", text format 0.0.4), line by
 * line: metadata (# HELP, # TYPE), comments, samples; then whole-document
 * checks (duplicate series, histogram completeness).
 */
#include "prom_parse.h"

#include "util/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct prom_doc *d;
	size_t cap_fam, cap_s;
	long current; /* index of the family whose lines we are in, or -1 */
	bool *closed; /* per family: another family started after its lines */
	int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static bool
reject(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dd_seterr(p->err, p->errlen, "line %d: %s", p->line, msg);
	return false;
}

/* ---- lexical pieces ---- */

static bool
is_name_char(char c, bool first, bool colon_ok)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':'))
		return true;
	return !first && c >= '0' && c <= '9';
}

/* Reads a metric (colon_ok) or label name at *s; returns a new string or NULL. */
static char *
read_name(const char **s, const char *end, bool colon_ok)
{
	const char *b = *s;
	while (*s < end && is_name_char(**s, *s == b, colon_ok))
		(*s)++;
	return *s > b ? xstrndup(b, (size_t)(*s - b)) : NULL;
}

/* The canonical number forms: [+-]digits[.digits][e[+-]digits], .5, +Inf, -Inf, NaN. */
static bool
parse_number(const char *tok, double *out)
{
	if (strcmp(tok, "+Inf") == 0 || strcmp(tok, "-Inf") == 0) {
		*out = tok[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	if (strcmp(tok, "NaN") == 0) {
		*out = NAN;
		return true;
	}
	const char *c = tok;
	int digits = 0;
	if (*c == '+' || *c == '-')
		c++;
	for (; *c >= '0' && *c <= '9'; c++)
		digits++;
	if (*c == '.')
		for (c++; *c >= '0' && *c <= '9'; c++)
			digits++;
	if (digits == 0)
		return false;
	if (*c == 'e' || *c == 'E') {
		c++;
		if (*c == '+' || *c == '-')
			c++;
		if (!(*c >= '0' && *c <= '9'))
			return false;
		while (*c >= '0' && *c <= '9')
			c++;
	}
	if (*c != '\0')
		return false;
	*out = strtod(tok, NULL);
	return true;
}

static bool
parse_int64(const char *tok)
{
	const char *c = tok + (*tok == '-');
	if (!*c || strlen(c) > 18)
		return false;
	for (; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/*
 * Unescapes s[0..n): "\\" and "\n" always, "\"" only in label values (quoted).
 * Returns a new string, or NULL on any other escape or a trailing backslash.
 */
static char *
unescape(const char *s, size_t n, bool quoted)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		char e = ++i < n ? s[i] : '\0';
		if (e == '\\' || (quoted && e == '"'))
			*o++ = e;
		else if (e == 'n')
			*o++ = '\n';
		else {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

static bool
valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80                 ? 0
		           : c >= 0xc2 && c <= 0xdf ? 1
		           : c >= 0xe0 && c <= 0xef ? 2
		           : c >= 0xf0 && c <= 0xf4 ? 3
		                                    : 9;
		if (k == 9 || i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		if (k > 0 && ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
		                 (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f)))
			return false;
		i += k + 1;
	}
	return true;
}

/* ---- families ---- */

static long
family_index(const struct prom_doc *d, const char *name)
{
	for (size_t i = 0; i < d->nfam; i++)
		if (strcmp(d->fam[i].name, name) == 0)
			return (long)i;
	return -1;
}

static long
family_add(struct parser *p, const char *name)
{
	struct prom_doc *d = p->d;
	if (d->nfam == p->cap_fam) {
		p->cap_fam = p->cap_fam ? p->cap_fam * 2 : 16;
		d->fam = xrealloc(d->fam, p->cap_fam * sizeof(*d->fam));
		p->closed = xrealloc(p->closed, p->cap_fam * sizeof(*p->closed));
	}
	d->fam[d->nfam] = (struct prom_family){.name = xstrdup(name)};
	p->closed[d->nfam] = false;
	return (long)d->nfam++;
}

/* Moves to family f; refuses to come back to a family another one interrupted. */
static bool
enter_family(struct parser *p, long f)
{
	if (f == p->current)
		return true;
	if (p->closed[f])
		return reject(p, "lines of %s are not contiguous", p->d->fam[f].name);
	if (p->current >= 0)
		p->closed[p->current] = true;
	p->current = f;
	return true;
}

static bool
parse_meta(struct parser *p, const char *s, const char *end, bool help)
{
	char *name = read_name(&s, end, true);
	bool ok = false;
	if (!name)
		return reject(p, "bad metric name in %s", help ? "HELP" : "TYPE");
	long f = family_index(p->d, name);
	if (f < 0)
		f = family_add(p, name);
	struct prom_family *fam = &p->d->fam[f];
	if (!enter_family(p, f))
		goto out;
	if (fam->nsamples > 0) {
		reject(p, "%s for %s after its samples", help ? "HELP" : "TYPE", name);
		goto out;
	}
	if (help ? fam->help != NULL : fam->type != NULL) {
		reject(p, "duplicate %s for %s", help ? "HELP" : "TYPE", name);
		goto out;
	}
	if (help) {
		if (s < end && *s != ' ') {
			reject(p, "bad HELP line");
			goto out;
		}
		s += s < end;
		fam->help = unescape(s, (size_t)(end - s), false);
		if (!fam->help) {
			reject(p, "bad escape in HELP of %s", name);
			goto out;
		}
	} else {
		static const char *const types[] = {
		    "counter", "gauge", "histogram", "summary", "untyped"};
		for (size_t i = 0; i < DD_ARRAY_LEN(types) && !fam->type; i++)
			if ((size_t)(end - s) == strlen(types[i]) + 1 && *s == ' ' &&
			    memcmp(s + 1, types[i], strlen(types[i])) == 0)
				fam->type = xstrdup(types[i]);
		if (!fam->type) {
			reject(p, "bad TYPE line for %s", name);
			goto out;
		}
	}
	ok = true;
out:
	free(name);
	return ok;
}

static bool
parse_comment(struct parser *p, const char *s, const char *end)
{
	s++; /* '#' */
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	bool help = (size_t)(end - s) > 5 && memcmp(s, "HELP ", 5) == 0;
	bool type = (size_t)(end - s) > 5 && memcmp(s, "TYPE ", 5) == 0;
	if (!help && !type)
		return true; /* a plain comment */
	s += 5;
	return parse_meta(p, s, end, help);
}

/* ---- samples ---- */

static void
sample_free(struct prom_sample *x)
{
	for (size_t i = 0; i < x->nlabels; i++) {
		free(x->labels[i].name);
		free(x->labels[i].value);
	}
	free(x->labels);
	free(x->name);
	free(x->family);
}

/* Parses {a="x",b="y"} at *s into x->labels. */
static bool
parse_labels(struct parser *p, const char **sp, const char *end, struct prom_sample *x)
{
	const char *s = *sp + 1;
	size_t cap = 0;
	while (s < end && *s != '}') {
		char *name = read_name(&s, end, false);
		if (!name)
			return reject(p, "bad label name");
		if (x->nlabels == cap) {
			cap = cap ? cap * 2 : 4;
			x->labels = xrealloc(x->labels, cap * sizeof(*x->labels));
		}
		x->labels[x->nlabels++] = (struct prom_label){.name = name};
		if (strncmp(name, "__", 2) == 0)
			return reject(p, "reserved label name %s", name);
		for (size_t i = 0; i + 1 < x->nlabels; i++)
			if (strcmp(x->labels[i].name, name) == 0)
				return reject(p, "label %s given twice", name);
		if (end - s < 2 || s[0] != '=' || s[1] != '"')
			return reject(p, "expected =\" after label %s", name);
		s += 2;
		const char *v = s;
		while (s < end && *s != '"')
			s += (*s == '\\' && s + 1 < end) ? 2 : 1;
		if (s >= end)
			return reject(p, "unterminated label value");
		x->labels[x->nlabels - 1].value = unescape(v, (size_t)(s - v), true);
		if (!x->labels[x->nlabels - 1].value)
			return reject(p, "bad escape in label %s", name);
		s++;
		if (s < end && *s == ',')
			s++;
		else if (s < end && *s != '}')
			return reject(p, "expected , or } after label %s", name);
	}
	if (s >= end)
		return reject(p, "unterminated label set");
	*sp = s + 1;
	return true;
}

/* Which family a sample name belongs to; checks the suffix fits the type. */
static long
sample_family(struct parser *p, const char *name)
{
	long f = family_index(p->d, name);
	if (f >= 0 && p->d->fam[f].type && strcmp(p->d->fam[f].type, "histogram") != 0)
		return f;
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	for (size_t i = 0; i < DD_ARRAY_LEN(sfx); i++) {
		size_t n = strlen(name), k = strlen(sfx[i]);
		if (n <= k || strcmp(name + n - k, sfx[i]) != 0)
			continue;
		char *base = xstrndup(name, n - k);
		long b = family_index(p->d, base);
		free(base);
		if (b < 0 || !p->d->fam[b].type)
			continue;
		const char *t = p->d->fam[b].type;
		if (strcmp(t, "histogram") == 0 || (strcmp(t, "summary") == 0 && i > 0))
			return b;
	}
	if (f >= 0 && p->d->fam[f].type)
		reject(p, "histogram %s needs _bucket, _sum or _count", name);
	else
		reject(p, "sample %s before its TYPE", name);
	return -1;
}

static bool
sample_checks(struct parser *p, const struct prom_sample *x, const struct prom_family *fam)
{
	const char *le = NULL;
	double v;
	for (size_t i = 0; i < x->nlabels; i++)
		if (strcmp(x->labels[i].name, "le") == 0)
			le = x->labels[i].value;
	bool bucket = strcmp(fam->type, "histogram") == 0 &&
	              strcmp(x->name + strlen(fam->name), "_bucket") == 0;
	if (bucket && (!le || !parse_number(le, &v) || isnan(v)))
		return reject(p, "%s: bucket without a valid le", x->name);
	if (!bucket && le && strcmp(fam->type, "histogram") == 0)
		return reject(p, "%s: le outside a bucket", x->name);
	if (strcmp(fam->type, "counter") == 0 && !(x->value >= 0))
		return reject(p, "%s: counter is negative or NaN", x->name);
	return true;
}

static bool
parse_sample(struct parser *p, const char *s, const char *end)
{
	struct prom_sample x = {0};
	char tok[64] = "";
	bool ok = false;

	x.name = read_name(&s, end, true);
	if (!x.name) {
		reject(p, "bad metric name");
		goto out;
	}
	if (s < end && *s == '{' && !parse_labels(p, &s, end, &x))
		goto out;
	if (s == end) {
		reject(p, "%s: no value", x.name);
		goto out;
	}
	/* value [ timestamp ], single spaces, nothing after */
	for (int field = 0; field < 2 && s < end; field++) {
		if (*s != ' ' || s + 1 >= end || s[1] == ' ') {
			reject(p, "%s: expected one space before a value", x.name);
			goto out;
		}
		const char *b = ++s;
		while (s < end && *s != ' ')
			s++;
		size_t n = (size_t)(s - b);
		snprintf(tok, sizeof(tok), "%.*s", (int)(n < sizeof(tok) ? n : 0), b);
		if (field == 0 ? !parse_number(tok, &x.value) : !parse_int64(tok)) {
			reject(p, "%s: unparsable %s", x.name, field == 0 ? "value" : "timestamp");
			goto out;
		}
		if (field == 0 && s == end)
			break;
	}
	if (s != end) {
		reject(p, "%s: junk after the sample", x.name);
		goto out;
	}
	long f = sample_family(p, x.name);
	if (f < 0 || !enter_family(p, f) || !sample_checks(p, &x, &p->d->fam[f]))
		goto out;
	x.family = xstrdup(p->d->fam[f].name);
	p->d->fam[f].nsamples++;
	if (p->d->ns == p->cap_s) {
		p->cap_s = p->cap_s ? p->cap_s * 2 : 64;
		p->d->s = xrealloc(p->d->s, p->cap_s * sizeof(*p->d->s));
	}
	p->d->s[p->d->ns++] = x;
	return true;
out:
	sample_free(&x);
	return ok;
}

/* ---- whole-document checks ---- */

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct prom_label *)a)->name, ((const struct prom_label *)b)->name);
}

/* name + sorted labels, skipping `skip` (e.g. "le"); new string. */
static char *
series_key(const struct prom_sample *x, const char *name, const char *skip)
{
	struct prom_label *l = xmalloc((x->nlabels + 1) * sizeof(*l));
	size_t n = 0, len = strlen(name) + 2;
	for (size_t i = 0; i < x->nlabels; i++)
		if (!skip || strcmp(x->labels[i].name, skip) != 0) {
			l[n++] = x->labels[i];
			len += strlen(x->labels[i].name) + strlen(x->labels[i].value) + 2;
		}
	qsort(l, n, sizeof(*l), label_cmp);
	char *key = xmalloc(len), *k = key;
	k += sprintf(k, "%s\x01", name);
	for (size_t i = 0; i < n; i++)
		k += sprintf(k, "%s\x02%s\x01", l[i].name, l[i].value);
	free(l);
	return key;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
check_duplicates(struct parser *p)
{
	size_t n = p->d->ns;
	char **keys = xmalloc((n + 1) * sizeof(*keys));
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		keys[i] = series_key(&p->d->s[i], p->d->s[i].name, NULL);
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (size_t i = 1; i < n && ok; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0) {
			p->line = 0;
			ok = reject(p, "duplicate series %s", strtok(keys[i], "\x01"));
		}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return ok;
}

/* One label set of a histogram, as its lines are met in order. */
struct hgroup {
	char *key;
	double last_le;
	double last_count;
	bool has_bucket, has_inf, has_sum, has_count;
	double inf_count, count;
};

static bool
histogram_line(struct parser *p, struct hgroup *g, const struct prom_sample *x, const char *sfx)
{
	if (strcmp(sfx, "_bucket") == 0) {
		double le = 0;
		for (size_t i = 0; i < x->nlabels; i++)
			if (strcmp(x->labels[i].name, "le") == 0)
				parse_number(x->labels[i].value, &le);
		if (g->has_bucket && !(le > g->last_le))
			return reject(p, "%s: le not increasing", x->name);
		if (g->has_bucket && !(x->value >= g->last_count))
			return reject(p, "%s: buckets not cumulative", x->name);
		if (!(x->value >= 0) || x->value != floor(x->value))
			return reject(p, "%s: bucket count is not a whole number", x->name);
		g->has_bucket = true;
		g->last_le = le;
		g->last_count = x->value;
		if (isinf(le)) {
			g->has_inf = true;
			g->inf_count = x->value;
		}
	} else if (strcmp(sfx, "_sum") == 0) {
		g->has_sum = true;
	} else {
		g->has_count = true;
		g->count = x->value;
	}
	return true;
}

static bool
check_histogram(struct parser *p, const struct prom_family *fam)
{
	struct hgroup *g = xcalloc(fam->nsamples + 1, sizeof(*g));
	size_t ng = 0;
	bool ok = true;
	p->line = 0;
	for (size_t i = 0; i < p->d->ns && ok; i++) {
		const struct prom_sample *x = &p->d->s[i];
		if (strcmp(x->family, fam->name) != 0)
			continue;
		char *key = series_key(x, fam->name, "le");
		size_t j = 0;
		while (j < ng && strcmp(g[j].key, key) != 0)
			j++;
		if (j == ng)
			g[ng++].key = key;
		else
			free(key);
		ok = histogram_line(p, &g[j], x, x->name + strlen(fam->name));
	}
	for (size_t j = 0; j < ng && ok; j++) {
		if (!g[j].has_inf)
			ok = reject(p, "histogram %s without a +Inf bucket", fam->name);
		else if (!g[j].has_count || !g[j].has_sum)
			ok = reject(p, "histogram %s without _sum or _count", fam->name);
		else if (g[j].inf_count != g[j].count)
			ok = reject(p, "histogram %s: +Inf bucket != _count", fam->name);
	}
	for (size_t j = 0; j < ng; j++)
		free(g[j].key);
	free(g);
	return ok;
}

/* ---- entry points ---- */

static bool
parse_lines(struct parser *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		p->line++;
		if (!nl)
			return reject(p, "missing trailing newline");
		bool ok = nl == s     ? true
		          : *s == '#' ? parse_comment(p, s, nl)
		                      : parse_sample(p, s, nl);
		if (!ok)
			return false;
		s = nl + 1;
	}
	return true;
}

struct prom_doc *
prom_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {.current = -1, .err = err, .errlen = errlen};
	bool ok = true;

	p.d = xcalloc(1, sizeof(*p.d));
	if (memchr(text, '\0', len))
		ok = reject(&p, "NUL byte in the text");
	else if (!valid_utf8((const unsigned char *)text, len))
		ok = reject(&p, "text is not UTF-8");
	ok = ok && parse_lines(&p, text, len) && check_duplicates(&p);
	for (size_t i = 0; ok && i < p.d->nfam; i++)
		if (p.d->fam[i].type && strcmp(p.d->fam[i].type, "histogram") == 0)
			ok = check_histogram(&p, &p.d->fam[i]);
	free(p.closed);
	if (!ok) {
		prom_doc_free(p.d);
		return NULL;
	}
	return p.d;
}

void
prom_doc_free(struct prom_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ns; i++)
		sample_free(&d->s[i]);
	for (size_t i = 0; i < d->nfam; i++) {
		free(d->fam[i].name);
		free(d->fam[i].type);
		free(d->fam[i].help);
	}
	free(d->s);
	free(d->fam);
	free(d);
}

/* Does sample x carry exactly the labels "a=x,b=y"? */
static bool
labels_match(const struct prom_sample *x, const char *spec)
{
	size_t count = 0;
	char *copy = xstrdup(spec), *save = NULL;
	bool ok = true;
	for (char *kv = strtok_r(copy, ",", &save); kv && ok; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		ok = false;
		if (!eq)
			break;
		*eq = '\0';
		for (size_t i = 0; i < x->nlabels; i++)
			if (strcmp(x->labels[i].name, kv) == 0 &&
			    strcmp(x->labels[i].value, eq + 1) == 0)
				ok = true;
		count++;
	}
	free(copy);
	return ok && count == x->nlabels;
}

const struct prom_sample *
prom_find(const struct prom_doc *d, const char *name, const char *labels)
{
	for (size_t i = 0; i < d->ns; i++)
		if (strcmp(d->s[i].name, name) == 0 && labels_match(&d->s[i], labels))
			return &d->s[i];
	return NULL;
}

const struct prom_family *
prom_family(const struct prom_doc *d, const char *name)
{
	long f = family_index(d, name);
	return f < 0 ? NULL : &d->fam[f];
}
