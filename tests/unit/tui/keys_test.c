/*
 * keys_test.c: the keymap tables (tui/console/keys.c) are complete and consistent,
 * every key of every table is in the help view, and docs/console.md lists
 * them all (the same generated lines). With --print it prints the markdown
 * tables that docs/console.md carries, instead of testing.
 * usage: keys_test DOCS_CONSOLE_MD | keys_test --print
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "tap.h"

/* The markdown line of one key group, as docs/console.md has it. */
static void
doc_line(const struct keymap *m, size_t i, size_t *next, char *buf, size_t len)
{
	char keys[128];
	keys_group(m, i, next, keys, sizeof(keys));
	const struct keybind *b = &m->binds[i];
	snprintf(buf, len, "| `%s` | %s%s |", keys, b->help,
	    (b->flags & KB_DANGER) ? " (dangerous)" : "");
}

static void
print_docs(void)
{
	char line[512];
	for (int k = 0; keymaps_all[k]; k++) {
		const struct keymap *m = keymaps_all[k];
		printf("### %s\n\n| Keys | What it does |\n|---|---|\n", m->name);
		for (size_t i = 0, next; i < m->n; i = next) {
			doc_line(m, i, &next, line, sizeof(line));
			printf("%s\n", line);
		}
		printf("\n");
	}
	printf("### Commands\n\n| Command | What it does |\n|---|---|\n");
	for (size_t i = 0; i < ccmd_count; i++)
		printf("| `%s` | %s%s |\n", ccmd_defs[i].usage, ccmd_defs[i].help,
		    ccmd_defs[i].available ? "" : " (not yet available)");
}

static void
test_tables(void)
{
	char name[32];
	int problems = 0, n = 0;
	for (int k = 0; keymaps_all[k]; k++) {
		const struct keymap *m = keymaps_all[k];
		for (size_t i = 0; i < m->n; i++) {
			const struct keybind *b = &m->binds[i];
			n++;
			keys_name(b->key, name, sizeof(name));
			if (!b->help || !b->help[0] || b->act == ACT_NONE ||
			    strncmp(name, "U+", 2) == 0) {
				diag("%s: binding %zu has no help, action or key name", m->name, i);
				problems++;
			}
			for (size_t j = 0; j < i; j++)
				if (m->binds[j].key == b->key) {
					diag("%s: key %s bound twice", m->name, name);
					problems++;
				}
			if ((b->flags & KB_HINT) && !b->hint && m != &keymap_move) {
				diag("%s: %s is a hint without a label", m->name, name);
				problems++;
			}
			if ((b->flags & KB_DANGER) &&
			    (!(b->flags & KB_ACTION) || !isupper(b->key))) {
				diag("%s: dangerous key %s must be an uppercase action key",
				    m->name, name);
				problems++;
			}
			if (b->key >= 'A' && b->key <= 'Z' && !(b->flags & KB_DANGER)) {
				diag("%s: uppercase %s is reserved for dangerous actions", m->name,
				    name);
				problems++;
			}
		}
	}
	ok(n > 40, "the keymaps hold %d bindings", n);
	is_int(problems, 0,
	    "every binding has help, a name, no duplicate; dangerous keys are uppercase actions");
}

static bool
screen_line_has(struct screen *scr, const char *a, const char *b)
{
	char row[1024];
	for (int y = 0; y < scr->rows; y++) {
		screen_row_text(scr, y, row, sizeof(row));
		char *p = strstr(row, a);
		if (p && strstr(p + strlen(a), b))
			return true;
	}
	return false;
}

static void
test_help(void)
{
	struct console c;
	struct screen scr = {0};
	char keys[128];
	int missing = 0, groups = 0;
	console_init(&c, &glyphs_utf8, true, false, 1000);
	c.view = VIEW_HELP;
	screen_resize(&scr, 400, 160);
	console_draw(&c, &scr);
	for (int k = 0; keymaps_all[k]; k++) {
		const struct keymap *m = keymaps_all[k];
		if (!screen_line_has(&scr, m->name, "")) {
			diag("help has no section '%s'", m->name);
			missing++;
		}
		for (size_t i = 0, next; i < m->n; i = next) {
			keys_group(m, i, &next, keys, sizeof(keys));
			groups++;
			if (!screen_line_has(&scr, keys, m->binds[i].help)) {
				diag("help lacks '%s  %s' (%s)", keys, m->binds[i].help, m->name);
				missing++;
			}
		}
	}
	for (size_t i = 0; i < ccmd_count; i++)
		if (!screen_line_has(&scr, ccmd_defs[i].usage, ccmd_defs[i].help)) {
			diag("help lacks the command %s", ccmd_defs[i].usage);
			missing++;
		}
	ok(groups > 30, "%d key groups", groups);
	is_int(missing, 0, "every key of every keymap and every command is in the help view");

	c.read_only = true;
	console_draw(&c, &scr);
	ok(screen_line_has(&scr, "K", "(disabled: read-only)"),
	    "read-only: the help marks K disabled");
	console_free(&c);
	screen_free(&scr);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

static void
test_docs(const char *path)
{
	char *doc = slurp(path);
	char line[512];
	int missing = 0;
	if (!ok(doc != NULL, "read %s", path))
		return;
	for (int k = 0; keymaps_all[k]; k++) {
		const struct keymap *m = keymaps_all[k];
		snprintf(line, sizeof(line), "### %s\n", m->name);
		if (!strstr(doc, line)) {
			diag("docs lack the section '%s'", m->name);
			missing++;
		}
		for (size_t i = 0, next; i < m->n; i = next) {
			doc_line(m, i, &next, line, sizeof(line));
			if (!strstr(doc, line)) {
				diag("docs lack: %s", line);
				missing++;
			}
		}
	}
	for (size_t i = 0; i < ccmd_count; i++) {
		snprintf(line, sizeof(line), "| `%s` |", ccmd_defs[i].usage);
		if (!strstr(doc, line)) {
			diag("docs lack the command %s", ccmd_defs[i].usage);
			missing++;
		}
	}
	is_int(missing, 0,
	    "docs/console.md lists every key and command (keys_test --print makes the tables)");
	free(doc);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--print") == 0) {
		print_docs();
		return 0;
	}
	test_tables();
	test_help();
	if (argc > 1)
		test_docs(argv[1]);
	else
		ok(false, "usage: keys_test DOCS_CONSOLE_MD");
	return tap_done();
}
