/*
 * theme_test.c: the theme parser (tui/theme/theme.c): the shipped themes, the
 * built-in ones, every kind of bad file and its exact message, colour
 * fallbacks, accents and finding themes on disk.
 * usage: theme_test THEMES_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "theme.h"

static const char *themes_dir;
static char msgs[4096];

static bool
same_styles(const struct dd_theme *a, const struct dd_theme *b)
{
	return memcmp(a->role, b->role, sizeof(a->role)) == 0;
}

static int
load_text(const char *text, struct dd_theme *t)
{
	return dd_theme_load_buffer("bad.ini", text, strlen(text), t, msgs, sizeof(msgs));
}

/* A broken file: the exact messages, and the default theme instead. */
static void
is_bad(const char *text, const char *want, const char *name)
{
	struct dd_theme t, def;
	int rc = load_text(text, &t);

	dd_theme_default(&def);
	ok(rc == -1 && strcmp(msgs, want) == 0 && same_styles(&t, &def) &&
	        strcmp(t.name, "default") == 0,
	    "%s", name);
	if (strcmp(msgs, want) != 0)
		diag("  got:\n%s  want:\n%s", msgs, want);
}

#define FALLBACK "bad.ini: using the default theme\n"

static void
test_bad_files(void)
{
	is_bad("[colors]\nfoo = red\n", "bad.ini:2: unknown role 'foo'\n" FALLBACK, "unknown role");
	is_bad("[colors]\n\ncrt = red\n",
	    "bad.ini:3: unknown role 'crt' (did you mean 'crit'?)\n" FALLBACK,
	    "unknown role with a suggestion");
	is_bad("[colors]\nok = purpel\n", "bad.ini:2: unknown colour 'purpel'\n" FALLBACK,
	    "unknown colour");
	is_bad("[colors]\nok = yelow bold\n",
	    "bad.ini:2: unknown colour 'yelow' (did you mean 'yellow'?)\n" FALLBACK,
	    "unknown colour with a suggestion");
	is_bad("[colors]\nok = green blod\n",
	    "bad.ini:2: unknown attribute 'blod' (did you mean 'bold'?)\n" FALLBACK,
	    "bad attribute");
	is_bad("[colors]\nok = undrline\n",
	    "bad.ini:2: unknown attribute 'undrline' (did you mean 'underline'?)\n" FALLBACK,
	    "bad attribute in first place");
	is_bad("[colors]\nok = white red\n",
	    "bad.ini:2: expected 'on' before the background colour 'red'\n" FALLBACK,
	    "missing 'on'");
	is_bad("[colors]\nok = white on\n", "bad.ini:2: missing colour after 'on'\n" FALLBACK,
	    "'on' without a background");
	is_bad("[colors]\nok = bold red\n",
	    "bad.ini:2: unexpected colour 'red' after the attributes\n" FALLBACK,
	    "colour after attributes");
	is_bad("[colors]\nthis is not a setting\n",
	    "bad.ini:2: expected 'role = style' or '[section]'\n" FALLBACK, "garbage line");
	is_bad("[colors]\nok = green\nwarn = yellow\nok = red\n",
	    "bad.ini:4: duplicate role 'ok' (first set on line 2)\n" FALLBACK, "duplicate role");
	is_bad("[colours2]\nok = red\n", "bad.ini:1: unknown section 'colours2'\n" FALLBACK,
	    "unknown section");
	is_bad("[colors\nok = red\n", "bad.ini:1: expected ']' after the section name\n" FALLBACK,
	    "unterminated section");
	is_bad("[colors]\nok = color256\n",
	    "bad.ini:2: unknown colour 'color256' (numbers go from color0 to color255)\n" FALLBACK,
	    "colour number out of range");
	is_bad("[colors]\nok = color33/color100\n",
	    "bad.ini:2: bad fallback in 'color33/color100' (after '/' comes one of the 16 basic "
	    "colours)\n" FALLBACK,
	    "fallback that is not basic");
	is_bad("ok = green\n", "bad.ini:1: 'ok' outside a section ([theme] or [colors])\n" FALLBACK,
	    "key outside a section");
	is_bad("[theme]\nnmae = x\n",
	    "bad.ini:2: unknown key 'nmae' (did you mean 'name'?)\n" FALLBACK,
	    "unknown key in [theme]");
	is_bad("[theme]\nbase = fancy\n",
	    "bad.ini:2: unknown base theme 'fancy' (default or mono)\n" FALLBACK, "unknown base");
	is_bad(
	    "[colors]\nok =\n", "bad.ini:2: empty style for role 'ok'\n" FALLBACK, "empty style");
	is_bad("[colors]\nfoo = red\nok = purpel\n",
	    "bad.ini:2: unknown role 'foo'\nbad.ini:3: unknown colour 'purpel'\n" FALLBACK,
	    "every error is reported, not only the first");

	struct dd_theme t;
	ok(dd_theme_load_buffer(
	       "nul.ini", "[colors]\nok = gr\0een\n", 21, &t, msgs, sizeof(msgs)) == -1 &&
	        strcmp(msgs,
	            "nul.ini:2: NUL byte in the line\nnul.ini: using the default theme\n") == 0,
	    "a NUL byte is an error");
	char long_line[400];
	snprintf(long_line, sizeof(long_line), "[colors]\nok = %0300d\n", 7);
	ok(load_text(long_line, &t) == -1 && strstr(msgs, "bad.ini:2: line longer than"),
	    "an overlong line is an error");
	load_text("[colors]\n\x1b]0;owned\x07 = red\n", &t);
	ok(!strchr(msgs, 0x1b) && !strchr(msgs, 0x07) && strstr(msgs, "bad.ini:2: unknown role"),
	    "messages quote file text sanitized");
}

static void
test_many_errors_and_small_buffer(void)
{
	char text[2048] = "[colors]\n";
	struct dd_theme t;
	char small[40];

	for (int i = 0; i < 25; i++)
		strcat(text, "nope = red\n");
	load_text(text, &t);
	ok(strstr(msgs, "bad.ini:21: unknown role") && !strstr(msgs, "bad.ini:22:") &&
	        strstr(msgs, "bad.ini: 5 more errors\n"),
	    "after 20 messages the rest are counted");
	dd_theme_load_buffer("x.ini", "[colors]\nfoo = red\n", 19, &t, small, sizeof(small));
	is_str(small, "x.ini:2: unknown role 'foo'\n", "a small buffer keeps whole lines only");
}

static void
test_good_files(void)
{
	struct dd_theme t;
	int rc;

	static const char custom[] = "[colors]\nok = color208/yellow on black underline\n";
	rc = dd_theme_load_buffer("/x/custom.ini", custom, strlen(custom), &t, msgs, sizeof(msgs));
	ok(rc == 0 && msgs[0] == '\0', "a partial theme loads");
	ok(t.role[DD_STYLE_OK].fg == 208 && t.role[DD_STYLE_OK].fg16 == 3 &&
	        t.role[DD_STYLE_OK].bg == 0 && t.role[DD_STYLE_OK].attrs == DD_ATTR_UNDERLINE,
	    "  colour, fallback, background, attribute");
	ok(t.set[DD_STYLE_OK] && !t.set[DD_STYLE_WARN], "  set[] tells which roles the file named");
	struct dd_theme def;
	dd_theme_default(&def);
	ok(memcmp(&t.role[DD_STYLE_WARN], &def.role[DD_STYLE_WARN], sizeof(def.role[0])) == 0,
	    "  other roles come from the default theme");
	is_str(t.name, "custom", "  a theme without a name is named after its file");

	rc = load_text(
	    "\xEF\xBB\xBF[theme]\r\n  name = Mine\r\n[colors]\r\n  OK = Green BOLD ; nice\r\n", &t);
	ok(rc == 0 && t.role[DD_STYLE_OK].fg == 2 && t.role[DD_STYLE_OK].attrs == DD_ATTR_BOLD &&
	        strcmp(t.name, "Mine") == 0,
	    "BOM, CRLF, indentation, case and inline comments");
	rc = load_text("[colors]\nnormal = white on black\nok = green\n", &t);
	ok(rc == 0 && t.role[DD_STYLE_OK].bg == 0 && t.role[DD_STYLE_WARN].bg == 0 &&
	        t.role[DD_STYLE_CRIT].bg == 1,
	    "'default' means normal's colours");
	rc = load_text("[theme]\nbase = mono\n[colors]\nok = bold\n", &t);
	ok(rc == 0 && !dd_theme_has_color(&t) && t.role[DD_STYLE_OK].attrs == DD_ATTR_BOLD,
	    "base = mono starts from the mono theme");
	rc = load_text("[colors]\ncrit = on red\n", &t);
	ok(rc == 0 && t.role[DD_STYLE_CRIT].fg == -1 && t.role[DD_STYLE_CRIT].bg == 1,
	    "a background alone");
}

static void
test_shipped(void)
{
	static const char *const names[] = {
	    "default", "mono", "light", "high-contrast", "solarized-dark"};
	static const enum dd_theme_role key_roles[] = {DD_STYLE_NORMAL, DD_STYLE_OK, DD_STYLE_WARN,
	    DD_STYLE_CRIT, DD_STYLE_SELECTION, DD_STYLE_TITLE, DD_STYLE_HEADER,
	    DD_STYLE_DIALOG_DANGER};
	char path[512];
	struct dd_theme t;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.ini", themes_dir, names[i]);
		int rc = dd_theme_load(path, &t, msgs, sizeof(msgs));
		bool all = true, keys_differ;
		for (int r = 0; r < DD_STYLE_COUNT; r++)
			all &= t.set[r];
		const struct dd_theme_style *o = &t.role[DD_STYLE_OK], *w = &t.role[DD_STYLE_WARN],
		                            *c = &t.role[DD_STYLE_CRIT];
		keys_differ = memcmp(o, w, sizeof(*o)) && memcmp(w, c, sizeof(*o)) &&
		              memcmp(o, c, sizeof(*o));
		for (size_t k = 0; k < sizeof(key_roles) / sizeof(key_roles[0]); k++)
			all &= t.set[key_roles[k]];
		ok(rc == 0 && msgs[0] == '\0' && strcmp(t.name, names[i]) == 0 &&
		        t.description[0] && all && keys_differ,
		    "%s.ini: no messages, every role set, ok/warn/crit distinct", names[i]);
		if (msgs[0])
			diag("%s", msgs);
		ok(dd_theme_has_color(&t) == (strcmp(names[i], "mono") != 0), "%s.ini: %s",
		    names[i], strcmp(names[i], "mono") ? "uses colour" : "uses no colour at all");
	}
	struct dd_theme def, mono;
	dd_theme_default(&def);
	dd_theme_mono(&mono);
	snprintf(path, sizeof(path), "%s/default.ini", themes_dir);
	dd_theme_load(path, &t, msgs, sizeof(msgs));
	ok(same_styles(&t, &def) && strcmp(t.description, def.description) == 0,
	    "default.ini and the built-in default agree");
	snprintf(path, sizeof(path), "%s/mono.ini", themes_dir);
	dd_theme_load(path, &t, msgs, sizeof(msgs));
	ok(same_styles(&t, &mono) && strcmp(t.description, mono.description) == 0,
	    "mono.ini and the built-in mono agree");
	ok(!dd_theme_has_color(&mono) && mono.role[DD_STYLE_SELECTION].attrs == DD_ATTR_REVERSE,
	    "built-in mono: attributes only");
}

static void
test_load_errors(void)
{
	struct dd_theme t;

	ok(dd_theme_load("/nonexistent/x.ini", &t, msgs, sizeof(msgs)) == -1, "missing file fails");
	is_str(msgs,
	    "/nonexistent/x.ini: cannot open: No such file or directory\n"
	    "/nonexistent/x.ini: using the default theme\n",
	    "  with the reason");
	ok(dd_theme_load("/dev/null", &t, msgs, sizeof(msgs)) == -1 &&
	        strcmp(msgs,
	            "/dev/null: not a regular file\n/dev/null: using the default theme\n") == 0,
	    "a device is refused");
	ok(dd_theme_load(themes_dir, &t, msgs, sizeof(msgs)) == -1 &&
	        strstr(msgs, "not a regular file"),
	    "a directory is refused");
	char *big = malloc(70000);
	memset(big, '\n', 70000);
	ok(dd_theme_load_buffer("big.ini", big, 70000, &t, msgs, sizeof(msgs)) == -1 &&
	        strcmp(msgs,
	            "big.ini: larger than 65536 bytes\nbig.ini: using the default theme\n") == 0,
	    "a file over 64 KiB is refused");
	free(big);
}

static void
test_fallback(void)
{
	is_int(dd_theme_color_fallback(196, 16), 9, "color196 (#ff0000) -> bright-red on 16");
	is_int(dd_theme_color_fallback(196, 8), 1, "color196 -> red on 8");
	is_int(dd_theme_color_fallback(21, 16), 4, "color21 (#0000ff) -> blue");
	is_int(dd_theme_color_fallback(46, 16), 10, "color46 (#00ff00) -> bright-green");
	is_int(dd_theme_color_fallback(226, 8), 3, "color226 (#ffff00) -> yellow on 8");
	is_int(dd_theme_color_fallback(231, 16), 15, "color231 (#ffffff) -> bright-white");
	is_int(dd_theme_color_fallback(232, 16), 0, "color232 (dark grey) -> black");
	is_int(dd_theme_color_fallback(244, 16), 8, "color244 (grey) -> bright-black on 16");
	is_int(dd_theme_color_fallback(244, 8), 7, "color244 -> white on 8, never invisible black");
	is_int(dd_theme_color_fallback(8, 8), 7, "bright-black -> white on 8");
	is_int(dd_theme_color_fallback(12, 8), 4, "bright-blue -> blue on 8");
	is_int(dd_theme_color_fallback(5, 8), 5, "basic colours stay");
	is_int(dd_theme_color_fallback(100, 256), 100, "256 colours: unchanged");
	is_int(dd_theme_color_fallback(100, 2), -1, "no colours: default");
	is_int(dd_theme_color_fallback(-1, 16), -1, "default stays default");
	is_int(dd_theme_color_fallback(300, 256), -1, "out of range: default");

	struct dd_theme t;
	char path[512];
	int fg, bg;
	snprintf(path, sizeof(path), "%s/solarized-dark.ini", themes_dir);
	dd_theme_load(path, &t, msgs, sizeof(msgs));
	dd_theme_resolve(&t.role[DD_STYLE_NORMAL], 256, &fg, &bg);
	ok(fg == 244 && bg == 234, "resolve at 256 colours: the palette values");
	dd_theme_resolve(&t.role[DD_STYLE_NORMAL], 16, &fg, &bg);
	ok(fg == 7 && bg == 0, "resolve at 16 colours: the file's fallbacks");
	dd_theme_resolve(&t.role[DD_STYLE_PRIMARY], 8, &fg, &bg);
	ok(fg == 4 && bg == 0, "resolve at 8 colours: bright-blue becomes blue");
	dd_theme_resolve(&t.role[DD_STYLE_NORMAL], 0, &fg, &bg);
	ok(fg == -1 && bg == -1, "resolve without colours: terminal defaults");
}

static void
test_accent(void)
{
	struct dd_theme t, before;
	char err[128];

	dd_theme_default(&t);
	ok(dd_theme_apply_accent(&t, "red", err, sizeof(err)) == 0, "accent red applies");
	ok(t.role[DD_STYLE_ACCENT].fg == 1 && t.role[DD_STYLE_TITLE].bg == 1 &&
	        t.role[DD_STYLE_TITLE].fg == 15,
	    "  accent text red; title bar red with bright-white text");
	dd_theme_default(&t);
	dd_theme_apply_accent(&t, "bright-yellow", err, sizeof(err));
	ok(t.role[DD_STYLE_TITLE].bg == 11 && t.role[DD_STYLE_TITLE].fg == 0,
	    "a light accent gets black title text");
	dd_theme_default(&t);
	dd_theme_apply_accent(&t, "color208/yellow", err, sizeof(err));
	ok(t.role[DD_STYLE_ACCENT].fg == 208 && t.role[DD_STYLE_ACCENT].fg16 == 3 &&
	        t.role[DD_STYLE_TITLE].bg16 == 3,
	    "a 256-colour accent keeps its fallback");
	load_text("[colors]\ntitle = bold\n", &t);
	dd_theme_apply_accent(&t, "magenta", err, sizeof(err));
	ok(t.role[DD_STYLE_TITLE].fg == 5 && t.role[DD_STYLE_TITLE].bg == -1,
	    "a title without a bar takes the accent as text colour");
	dd_theme_default(&t);
	before = t;
	ok(dd_theme_apply_accent(&t, "yelow", err, sizeof(err)) == -1 &&
	        strcmp(err, "unknown colour 'yelow' (did you mean 'yellow'?)") == 0 &&
	        memcmp(&t, &before, sizeof(t)) == 0,
	    "an unknown accent is refused, theme unchanged");
	dd_theme_default(&t);
	before = t;
	ok(dd_theme_apply_accent(&t, "none", err, sizeof(err)) == 0 &&
	        memcmp(&t, &before, sizeof(t)) == 0,
	    "accent none (the config's default) changes nothing");
	dd_theme_mono(&t);
	before = t;
	ok(dd_theme_apply_accent(&t, "red", err, sizeof(err)) == 0 &&
	        memcmp(&t, &before, sizeof(t)) == 0,
	    "mono stays without colour");
}

static void
test_find(void)
{
	char path[512], err[512], tmp[] = "/tmp/dd_theme_testXXXXXX";
	const char *dirs[] = {themes_dir, NULL};

	ok(dd_theme_find("solarized-dark", dirs, path, sizeof(path), err, sizeof(err)) == 0 &&
	        strstr(path, "/solarized-dark.ini"),
	    "finds a shipped theme");
	ok(dd_theme_find("nope", dirs, path, sizeof(path), err, sizeof(err)) == -1 &&
	        strstr(err, "theme 'nope' not found (looked in "),
	    "a missing theme says where it looked");
	ok(dd_theme_find("../etc/passwd", dirs, path, sizeof(path), err, sizeof(err)) == -1 &&
	        strcmp(err, "invalid theme name '../etc/passwd'") == 0,
	    "a path is not a theme name");
	ok(dd_theme_find(".hidden", dirs, path, sizeof(path), err, sizeof(err)) == -1,
	    "no hidden names");
	if (!mkdtemp(tmp))
		bail_out("mkdtemp failed");
	char own[600];
	snprintf(own, sizeof(own), "%s/default.ini", tmp);
	FILE *f = fopen(own, "w");
	fputs("[colors]\nok = red\n", f);
	fclose(f);
	const char *both[] = {tmp, themes_dir, NULL};
	ok(dd_theme_find("default", both, path, sizeof(path), err, sizeof(err)) == 0 &&
	        strcmp(path, own) == 0,
	    "the first directory wins");
	unlink(own);
	rmdir(tmp);
}

static void
test_roles(void)
{
	bool all = true;

	for (int r = 0; r < DD_STYLE_COUNT; r++)
		all &= dd_theme_role_name(r) && dd_theme_role_lookup(dd_theme_role_name(r)) == r;
	ok(all, "every role has a name that looks it up");
	is_int(dd_theme_role_lookup("BAR_FILL"), DD_STYLE_BAR_FILL, "lookup ignores case");
	is_int(dd_theme_role_lookup("bar-fill"), -1, "unknown names are -1");
	ok(dd_theme_role_name(DD_STYLE_COUNT) == NULL, "no name past the last role");
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		bail_out("usage: theme_test THEMES_DIR");
	themes_dir = argv[1];
	test_roles();
	test_bad_files();
	test_many_errors_and_small_buffer();
	test_good_files();
	test_shipped();
	test_load_errors();
	test_fallback();
	test_accent();
	test_find();
	return tap_done();
}
