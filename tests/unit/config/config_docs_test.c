/*
 * config_docs_test.c: docs/configuration.md documents every key of the key
 * table, and its key tables are exactly what config_reference generates.
 *
 * Usage: config_docs_test SOURCE_ROOT
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "tap.h"
#include "util/util.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, chunk[4096];
	size_t len = 0, n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = xrealloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The text of the `### [section]` table up to the next heading or marker. */
static char *
section_text(const char *doc, enum cfg_section s)
{
	char *head = xasprintf(
	    "### `[%s%s]`", dd_cfg_section_name(s), dd_cfg_section_single(s) ? "" : " NAME");
	const char *b = strstr(doc, head), *e;

	free(head);
	if (!b)
		return xstrdup("");
	e = strstr(b + 3, "\n#");
	const char *m = strstr(b, "<!--");
	if (!e || (m && m < e))
		e = m ? m : b + strlen(b);
	return xstrndup(b, (size_t)(e - b));
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		bail_out("usage: config_docs_test SOURCE_ROOT");
	char *path = xasprintf("%s/docs/configuration.md", argv[1]);
	char *doc = slurp(path);
	if (!doc)
		bail_out("cannot read %s", path);

	/* Every key is documented in its own section's table. */
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		char *sect = section_text(doc, k->section);
		char *row = xasprintf("\n| `%s` |", k->name);
		ok(strstr(sect, row) != NULL, "[%s] %s is documented in docs/configuration.md",
		    dd_cfg_section_name(k->section), k->name);
		free(row);
		free(sect);
	}

	/* The tables are the generated ones. */
	char *tables = dd_cfg_reference_markdown();
	char *want =
	    xasprintf("%s\n\n%s\n%s", DD_CFG_REFERENCE_BEGIN, tables, DD_CFG_REFERENCE_END);
	bool same = strstr(doc, want) != NULL;
	ok(same, "docs/configuration.md key tables match the key table");
	if (!same)
		diag("docs/configuration.md is out of date; regenerate it with:\n"
		     "#   ninja -C BUILDDIR tests/unit/config/config_reference &&\n"
		     "#   BUILDDIR/tests/unit/config/config_reference --write "
		     "docs/configuration.md");
	free(want);
	free(tables);
	free(doc);
	free(path);
	return tap_done();
}
