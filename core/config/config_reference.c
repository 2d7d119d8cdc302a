/*
 * config_reference.c: prints the key tables of docs/configuration.md from
 * the key table, so the reference cannot drift from the parser. The
 * config_reference tool writes them into the doc; a unit test compares.
 */
#include "config/config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* A growing string. */
struct buf {
	char *s;
	size_t len;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *add = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(add);
	b->s = xrealloc(b->s, b->len + n + 1);
	memcpy(b->s + b->len, add, n + 1);
	b->len += n;
	free(add);
}

static void
put_default(struct buf *b, const struct cfg_key *k)
{
	if (k->flags & CFG_REQUIRED) {
		put(b, "*required*");
	} else if (k->def_by_engine[0]) {
		for (int e = 0; e < 3; e++)
			put(b, "%s`%s` (%s)", e ? ", " : "", k->def_by_engine[e],
			    dd_engine_name((enum dd_engine)e));
	} else if (k->def_doc) {
		put(b, "%s", k->def_doc);
	} else if (k->def) {
		put(b, "`%s`", k->def);
	} else {
		put(b, "not set");
	}
}

static void
put_range(struct buf *b, const struct cfg_key *k)
{
	char lo[32], hi[32];

	if (k->type == CFG_DURATION) {
		dd_cfg_format_duration(k->min, lo, sizeof(lo));
		dd_cfg_format_duration(k->max, hi, sizeof(hi));
		put(b, "%s..%s", lo, hi);
	} else if (k->type == CFG_INT) {
		put(b, "%lld..%lld", (long long)k->min, (long long)k->max);
	} else if (k->type == CFG_ENUM) {
		for (size_t i = 0; k->choices[i]; i++)
			put(b, "%s`%s`", i ? " \\| " : "", k->choices[i]);
	} else {
		put(b, "—");
	}
	if (k->at_most)
		put(b, ", at most `%s`", k->at_most);
	if (k->at_least)
		put(b, ", at least `%s`", k->at_least);
}

static void
put_unit(struct buf *b, const struct cfg_key *k)
{
	if (k->unit)
		put(b, "%s", k->unit);
	else if (k->type == CFG_DURATION)
		put(b, "time");
	else
		put(b, "—");
}

static void
put_section(struct buf *b, enum cfg_section s)
{
	put(b, "### `[%s%s]`\n\n", dd_cfg_section_name(s), dd_cfg_section_single(s) ? "" : " NAME");
	put(b, "| Key | Type | Default | Range | Unit | Description |\n");
	put(b, "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		if (k->section != s)
			continue;
		put(b, "| `%s` | %s | ", k->name, dd_cfg_type_name(k->type));
		put_default(b, k);
		put(b, " | ");
		put_range(b, k);
		put(b, " | ");
		put_unit(b, k);
		put(b, " | %s |\n", k->doc);
	}
}

char *
dd_cfg_reference_markdown(void)
{
	struct buf b = {xstrdup(""), 0};

	for (int s = 0; s < CFG_NSECTIONS; s++) {
		if (s > 0)
			put(&b, "\n");
		put_section(&b, (enum cfg_section)s);
	}
	return b.s;
}
