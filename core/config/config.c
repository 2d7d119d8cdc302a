/*
 * config.c: where the config file is (-c, $DBDECK_CONFIG, the default under
 * ~/.config) and the read-only accessors over a loaded config.
 */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

char *
dd_config_default_path(const char *given, char *err, size_t errlen)
{
	const char *env = getenv("DBDECK_CONFIG"), *home;

	if (given)
		return xstrdup(given);
	if (env && *env)
		return xstrdup(env);
	home = getenv("HOME");
	if (!home || !*home) {
		dd_seterr(err, errlen,
		    "HOME is not set: give the config file with -c FILE or $DBDECK_CONFIG");
		return NULL;
	}
	return xasprintf("%s/.config/dbdeck/dbdeck.ini", home);
}

const char *
dd_config_path(const struct dd_config *cfg)
{
	return cfg->path;
}

const struct dd_console_config *
dd_config_console(const struct dd_config *cfg)
{
	return &cfg->console->u.console;
}

const struct dd_serve_config *
dd_config_serve(const struct dd_config *cfg)
{
	return &cfg->serve->u.serve;
}

bool
dd_config_console_has(const struct dd_config *cfg, const char *key)
{
	int i = dd_cfg_key_find(CFG_CONSOLE, key);

	return i >= 0 && cfg->console->key_line[i] && !cfg->console->key_bad[i];
}

size_t
dd_config_cluster_count(const struct dd_config *cfg)
{
	return cfg->nclusters;
}

const struct dd_cluster_config *
dd_config_cluster(const struct dd_config *cfg, size_t i)
{
	return i < cfg->nclusters ? &cfg->clusters[i]->u.cluster : NULL;
}

const struct dd_cluster_config *
dd_config_find_cluster(const struct dd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i]->u.cluster.name, name) == 0)
			return &cfg->clusters[i]->u.cluster;
	return NULL;
}

size_t
dd_config_node_count(const struct dd_config *cfg)
{
	return cfg->nnodes;
}

const struct dd_node_config *
dd_config_node(const struct dd_config *cfg, size_t i)
{
	return i < cfg->nnodes ? &cfg->nodes[i]->u.node : NULL;
}

const struct dd_node_config *
dd_config_find_node(const struct dd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (strcmp(cfg->nodes[i]->u.node.name, name) == 0)
			return &cfg->nodes[i]->u.node;
	return NULL;
}
