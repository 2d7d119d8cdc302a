/*
 * config_reference.c: prints the key tables of docs/configuration.md from
 * the config module's key table, or with --write FILE replaces the part of
 * FILE between the BEGIN/END KEY TABLES markers. Regenerate the doc with:
 *
 *   ninja -C build tests/unit/config/config_reference &&
 *     build/tests/unit/config/config_reference --write docs/configuration.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "util/util.h"

/* The whole file in a new string, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = xrealloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = xstrdup("");
	buf[len] = '\0';
	return buf;
}

static int
write_doc(const char *path, const char *tables)
{
	char *doc = slurp(path), *begin, *end;
	FILE *f;

	if (!doc) {
		perror(path);
		return 1;
	}
	begin = strstr(doc, DD_CFG_REFERENCE_BEGIN);
	end = begin ? strstr(begin, DD_CFG_REFERENCE_END) : NULL;
	if (!begin || !end) {
		fprintf(stderr, "%s: no '%s' ... '%s' markers\n", path, DD_CFG_REFERENCE_BEGIN,
		    DD_CFG_REFERENCE_END);
		free(doc);
		return 1;
	}
	*begin = '\0';
	if (!(f = fopen(path, "w"))) {
		perror(path);
		free(doc);
		return 1;
	}
	fprintf(f, "%s%s\n\n%s\n%s", doc, DD_CFG_REFERENCE_BEGIN, tables, end);
	free(doc);
	return fclose(f) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	char *tables = dd_cfg_reference_markdown();
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		rc = write_doc(argv[2], tables);
	} else if (argc == 1) {
		fputs(tables, stdout);
	} else {
		fprintf(stderr, "usage: config_reference [--write docs/configuration.md]\n");
		rc = 2;
	}
	free(tables);
	return rc;
}
