/*
 * config_same.c: whether a cluster is configured the same in two loaded
 * configs (dd_config_cluster_same), so that a reload (dbdeck serve's SIGHUP)
 * can keep that cluster's pools and router. Compared through the key table:
 * every key of the cluster's section and of each of its nodes' sections, in
 * the nodes' order, and [console] refresh (the probers' interval). Line
 * numbers do not count.
 */
#include "config/config_internal.h"

#include <string.h>

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
list_same(const struct dd_str_list *a, const struct dd_str_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!str_same(a->v[i], b->v[i]))
			return false;
	return true;
}

static bool
field_same(const struct cfg_key *k, const char *a, const char *b)
{
	switch (k->type) {
	case CFG_DURATION: return *(const int64_t *)a == *(const int64_t *)b;
	case CFG_INT:
	case CFG_ENUM: return memcmp(a, b, sizeof(int)) == 0;
	case CFG_BOOL: return *(const bool *)a == *(const bool *)b;
	case CFG_LIST: return list_same((const void *)a, (const void *)b);
	case CFG_RETENTION: return memcmp(a, b, sizeof(struct dd_retention)) == 0;
	case CFG_STRING:
	case CFG_NAME:
	case CFG_PATH: return str_same(*(char *const *)a, *(char *const *)b);
	}
	return false;
}

static bool
rec_same(const struct cfg_rec *a, const struct cfg_rec *b)
{
	const char *fa = (const char *)dd_cfg_rec_fields((struct cfg_rec *)a);
	const char *fb = (const char *)dd_cfg_rec_fields((struct cfg_rec *)b);

	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		if (k->section == a->kind && !field_same(k, fa + k->offset, fb + k->offset))
			return false;
	}
	return true;
}

static const struct cfg_rec *
cluster_rec(const struct dd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i]->u.cluster.name, name) == 0)
			return cfg->clusters[i];
	return NULL;
}

static const struct cfg_rec *
node_rec(const struct dd_config *cfg, const struct dd_node_config *n)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (&cfg->nodes[i]->u.node == n)
			return cfg->nodes[i];
	return NULL;
}

bool
dd_config_cluster_same(const struct dd_config *a, const struct dd_config *b, const char *name)
{
	const struct cfg_rec *ca = cluster_rec(a, name), *cb = cluster_rec(b, name);

	if (ca == NULL || cb == NULL || !rec_same(ca, cb) ||
	    a->console->u.console.refresh_ms != b->console->u.console.refresh_ms ||
	    ca->u.cluster.n_nodes != cb->u.cluster.n_nodes)
		return false;
	for (size_t i = 0; i < ca->u.cluster.n_nodes; i++) {
		const struct cfg_rec *na = node_rec(a, ca->u.cluster.nodes[i]);
		const struct cfg_rec *nb = node_rec(b, cb->u.cluster.nodes[i]);
		if (na == NULL || nb == NULL || !str_same(na->u.node.name, nb->u.node.name) ||
		    !rec_same(na, nb))
			return false;
	}
	return true;
}
