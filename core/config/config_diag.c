/*
 * config_diag.c: a list of errors and warnings with file:line, so that a
 * checker can report every mistake of a file in one run (config, and any
 * other file format that wants the same reporting).
 */
#include "dbdeck/config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct dd_diags {
	struct dd_diag *v;
	size_t n, cap;
	size_t errors, warnings;
};

struct dd_diags *
dd_diags_new(void)
{
	return xcalloc(1, sizeof(struct dd_diags));
}

void
dd_diags_free(struct dd_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->v[i].file);
		free((char *)d->v[i].message);
	}
	free(d->v);
	free(d);
}

void
dd_diags_add(
    struct dd_diags *d, enum dd_diag_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	va_start(ap, fmt);
	d->v[d->n] = (struct dd_diag){
	    .level = level,
	    .file = xstrdup(file ? file : "-"),
	    .line = line,
	    .message = xvasprintf(fmt, ap),
	};
	va_end(ap);
	d->n++;
	if (level == DD_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

size_t
dd_diags_count(const struct dd_diags *d)
{
	return d->n;
}

size_t
dd_diags_errors(const struct dd_diags *d)
{
	return d->errors;
}

size_t
dd_diags_warnings(const struct dd_diags *d)
{
	return d->warnings;
}

const struct dd_diag *
dd_diags_get(const struct dd_diags *d, size_t i)
{
	return i < d->n ? &d->v[i] : NULL;
}

struct diag_slot {
	struct dd_diag d;
	size_t seq;
};

static int
diag_cmp(const void *pa, const void *pb)
{
	const struct diag_slot *a = pa, *b = pb;
	int c = strcmp(a->d.file, b->d.file);

	if (c == 0)
		c = (a->d.line > b->d.line) - (a->d.line < b->d.line);
	if (c == 0)
		c = (a->seq > b->seq) - (a->seq < b->seq);
	return c;
}

/* Stable: messages on one line keep the order they were added in. */
void
dd_diags_sort(struct dd_diags *d)
{
	struct diag_slot *s = xcalloc(d->n, sizeof(*s));

	for (size_t i = 0; i < d->n; i++)
		s[i] = (struct diag_slot){d->v[i], i};
	qsort(s, d->n, sizeof(*s), diag_cmp);
	for (size_t i = 0; i < d->n; i++)
		d->v[i] = s[i].d;
	free(s);
}

char *
dd_diag_format(const struct dd_diag *diag)
{
	const char *level = diag->level == DD_DIAG_ERROR ? "error" : "warning";

	if (diag->line > 0)
		return xasprintf("%s:%d: %s: %s", diag->file, diag->line, level, diag->message);
	return xasprintf("%s: %s: %s", diag->file, level, diag->message);
}

void
dd_diags_print(const struct dd_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = dd_diag_format(&d->v[i]);
		fprintf(out, "%s\n", s);
		free(s);
	}
}
