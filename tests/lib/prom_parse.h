/*
 * prom_parse.h: a strict parser of the Prometheus text exposition format
 * 0.0.4, for the tests only. It rejects more than Prometheus itself does:
 * every sample needs a TYPE line before it, a family's lines are contiguous,
 * no blanks inside label sets, no trailing blanks, only the canonical number
 * forms (digits, +Inf, -Inf, NaN), and histograms must be complete and
 * cumulative (+Inf bucket = _count, _sum present, le increasing).
 */
#ifndef DD_TEST_PROM_PARSE_H
#define DD_TEST_PROM_PARSE_H

#include <stdbool.h>
#include <stddef.h>

struct prom_label {
	char *name;
	char *value; /* unescaped */
};

struct prom_sample {
	char *name;   /* as written, e.g. "x_bucket" */
	char *family; /* e.g. "x" */
	struct prom_label *labels;
	size_t nlabels;
	double value;
};

struct prom_family {
	char *name;
	char *type; /* "counter", "gauge", "histogram", "summary", "untyped" */
	char *help; /* unescaped, or NULL */
	size_t nsamples;
};

struct prom_doc {
	struct prom_family *fam;
	size_t nfam;
	struct prom_sample *s;
	size_t ns;
};

/*
 * Parses text[0..len). Returns a new document (free with prom_doc_free), or
 * NULL with the reason and line number in err.
 */
struct prom_doc *prom_parse(const char *text, size_t len, char *err, size_t errlen);
void prom_doc_free(struct prom_doc *d);

/*
 * Finds the sample `name` whose label set is exactly `labels`, written as
 * "a=x,b=y" in any order ("" for none). Returns it or NULL. Borrowed from d.
 */
const struct prom_sample *prom_find(const struct prom_doc *d, const char *name, const char *labels);

/* The family called name, or NULL. */
const struct prom_family *prom_family(const struct prom_doc *d, const char *name);

#endif
