/*
 * console_theme.c: which theme the console uses and the style table crt.c
 * turns into colour pairs. Styles are the theme's roles plus, per cluster, a
 * title and a border style: a cluster whose config sets `theme` or `accent`
 * gets its block title and frame from that theme / in that colour, so that
 * production does not look like staging. Without colours (--no-color,
 * NO_COLOR, a terminal without colours) every theme is the mono one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "dbdeck/util.h"

const char *const console_shipped_themes[] = {
    "default",
    "light",
    "high-contrast",
    "solarized-dark",
    "mono",
    NULL,
};

uint16_t
style_cluster_title(int cluster)
{
	if (cluster < 0 || cluster >= STYLE_CLUSTERS)
		return DD_STYLE_ACCENT;
	return (uint16_t)(DD_STYLE_COUNT + 2 * cluster);
}

uint16_t
style_cluster_border(int cluster)
{
	if (cluster < 0 || cluster >= STYLE_CLUSTERS)
		return DD_STYLE_BORDER;
	return (uint16_t)(DD_STYLE_COUNT + 2 * cluster + 1);
}

void
console_theme_dirs(struct console *c, const char *exe_path)
{
	dd_theme_path_init(&c->theme_path, exe_path);
}

static int
shipped_index(const char *name)
{
	for (int i = 0; console_shipped_themes[i]; i++)
		if (strcmp(console_shipped_themes[i], name) == 0)
			return i;
	return -1;
}

/* Loads theme `name` into *t; on failure the default theme and the first message in msg. */
static int
load_named(const struct console *c, const char *name, struct dd_theme *t, char *msg, size_t msglen)
{
	char path[PATH_MAX], err[256], msgs[1024];
	if (dd_theme_find(name, c->theme_path.dirs, path, sizeof(path), err, sizeof(err)) != 0) {
		dd_theme_default(t);
		snprintf(msg, msglen, "%s", err);
		return -1;
	}
	if (dd_theme_load(path, t, msgs, sizeof(msgs)) != 0) {
		msgs[strcspn(msgs, "\n")] = '\0';
		snprintf(msg, msglen, "%.*s", (int)(msglen > 1 ? msglen - 1 : 0), msgs);
		return -1;
	}
	return 0;
}

int
console_theme_use(struct console *c, const char *name)
{
	char msg[300];
	int rc = 0;
	if (!c->color) {
		dd_theme_mono(&c->theme);
		c->theme_index = shipped_index("mono");
		if (strcmp(name, "mono") != 0) {
			console_status(c, DD_STYLE_WARN,
			    "no colours (--no-color, NO_COLOR or the terminal): mono theme");
			rc = -1;
		}
	} else if (load_named(c, name, &c->theme, msg, sizeof(msg)) != 0) {
		c->theme_index = 0;
		console_status(c, DD_STYLE_WARN, "theme not applied (default in use): %s", msg);
		rc = -1;
	} else {
		c->theme_index = shipped_index(name);
	}
	console_styles_rebuild(c);
	return rc;
}

int
console_theme_next(struct console *c)
{
	int n = 0;
	while (console_shipped_themes[n])
		n++;
	int next = (c->theme_index + 1) % n;
	int rc = console_theme_use(c, console_shipped_themes[next]);
	if (rc == 0)
		console_status(c, DD_STYLE_STATUS_BAR, "theme %s", c->theme.name);
	return rc;
}

static const struct console_cluster_look *
look_of(const struct console *c, const char *cluster)
{
	for (int i = 0; i < c->n_looks; i++)
		if (strcmp(c->looks[i].name, cluster) == 0)
			return &c->looks[i];
	return NULL;
}

/* The title and border styles of a cluster block. */
static void
cluster_styles(struct console *c, const struct console_cluster_look *lk,
    struct dd_theme_style *title, struct dd_theme_style *border)
{
	struct dd_theme t = c->theme;
	char msg[300];
	bool own = false;
	if (lk && lk->theme[0] && c->color) {
		if (load_named(c, lk->theme, &t, msg, sizeof(msg)) != 0) {
			console_status(c, DD_STYLE_WARN, "cluster %s: %s", lk->name, msg);
			t = c->theme;
		}
		own = true;
	}
	if (lk && lk->accent[0] && dd_theme_apply_accent(&t, lk->accent, msg, sizeof(msg)) == 0 &&
	    dd_theme_has_color(&t)) {
		*title = t.role[DD_STYLE_TITLE];
		*border = t.role[DD_STYLE_ACCENT];
		return;
	}
	*title = t.role[DD_STYLE_ACCENT];
	*border = t.role[own ? DD_STYLE_ACCENT : DD_STYLE_BORDER];
}

void
console_styles_rebuild(struct console *c)
{
	for (int r = 0; r < DD_STYLE_COUNT; r++)
		c->styles[r] = c->theme.role[r];
	for (int k = 0; k < STYLE_CLUSTERS; k++) {
		const struct console_cluster_look *lk = NULL;
		if (c->snap && k < c->snap->n_clusters)
			lk = look_of(c, c->snap->clusters[k].name);
		else if (!c->snap && k < c->n_looks)
			lk = &c->looks[k];
		cluster_styles(
		    c, lk, &c->styles[style_cluster_title(k)], &c->styles[style_cluster_border(k)]);
	}
	c->styles_gen++;
}
