/*
 * theme_path.c: where themes are looked for (theme.h): the search path of
 * the console and check-config (user directories, beside the binary, the
 * install prefix), and finding a theme by name in it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbdeck/text.h"
#include "dbdeck/util.h"
#include "theme.h"
#include "theme_paths.h"

int
dd_theme_find(const char *name, const char *const dirs[], char *path, size_t pathlen, char *err,
    size_t errlen)
{
	static const char ok[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	char q[64], tried[256] = "";
	size_t used = 0, n = strlen(name);
	struct stat st;

	if (n == 0 || n > 64 || name[0] == '.' || strspn(name, ok) != n) {
		dd_text_sanitize(q, sizeof(q), name, n, 32, DD_TEXT_UTF8);
		snprintf(err, errlen, "invalid theme name '%s'", q);
		return -1;
	}
	for (size_t i = 0; dirs && dirs[i]; i++) {
		int len = snprintf(path, pathlen, "%s/%s.ini", dirs[i], name);
		if (len > 0 && (size_t)len < pathlen && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		if (used < sizeof(tried))
			used += (size_t)snprintf(
			    tried + used, sizeof(tried) - used, "%s%s", used ? ", " : "", dirs[i]);
	}
	if (pathlen > 0)
		path[0] = '\0';
	snprintf(err, errlen, "theme '%s' not found (looked in %s)", name,
	    used ? tried : "no directory");
	return -1;
}

/* Adds the directory a + b to the search path (once; a path too long is left out). */
static void
path_add(struct dd_theme_path *p, int *n, const char *a, const char *b)
{
	if (*n >= DD_THEME_DIRS)
		return;
	int len = snprintf(p->buf[*n], sizeof(p->buf[0]), "%s%s", a, b);
	if (len <= 0 || (size_t)len >= sizeof(p->buf[0]))
		return;
	for (int i = 0; i < *n; i++)
		if (strcmp(p->dirs[i], p->buf[*n]) == 0)
			return;
	p->dirs[*n] = p->buf[*n];
	(*n)++;
	p->dirs[*n] = NULL;
}

void
dd_theme_path_init(struct dd_theme_path *p, const char *exe_path)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n = 0;

	p->dirs[0] = NULL;
	if (xdg && xdg[0] == '/')
		path_add(p, &n, xdg, "/dbdeck/themes");
	else if (home && home[0] == '/')
		path_add(p, &n, home, "/.config/dbdeck/themes");
	if (exe_path && exe_path[0] == '/') {
		char dir[PATH_MAX];
		dd_strlcpy(dir, exe_path, sizeof(dir));
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		/* BUILDDIR/tui/dbdeck in a source tree; PREFIX/bin/dbdeck when installed. */
		path_add(p, &n, dir, "/../../themes");
		path_add(p, &n, dir, "/../share/dbdeck/themes");
	}
	path_add(p, &n, DD_THEMES_DIR, "");
	path_add(p, &n, "/usr/local/share/dbdeck/themes", "");
	path_add(p, &n, "/usr/share/dbdeck/themes", "");
}
