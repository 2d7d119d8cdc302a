/*
 * config_check.c: the checks that need the whole file, run once it is
 * read: defaults and required keys, bounds between keys of a section (from
 * the table's at_least/at_most), cluster-to-node links (unknown node, a node
 * in two clusters, a node in none), defaults that follow the cluster's
 * engine, and the credential check against the vault.
 */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void
label(const struct cfg_rec *rec, char *buf, size_t len)
{
	if (dd_cfg_section_single(rec->kind))
		snprintf(buf, len, "[%s]", dd_cfg_section_name(rec->kind));
	else if (rec->kind == CFG_CLUSTER)
		snprintf(buf, len, "[cluster %s]", rec->u.cluster.name);
	else
		snprintf(buf, len, "[node %s]", rec->u.node.name);
}

static bool
key_good(const struct cfg_rec *rec, size_t i)
{
	return rec->key_line[i] && !rec->key_bad[i];
}

/* Defaults for unset (or rejected) keys; an error for each missing required key. */
static void
apply_defaults(struct dd_config *cfg, struct cfg_rec *rec, struct dd_diags *diags, const char *file)
{
	char err[256], where[96];

	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		if (k->section != rec->kind || key_good(rec, i))
			continue;
		if ((k->flags & CFG_REQUIRED) && !rec->key_line[i]) {
			label(rec, where, sizeof(where));
			dd_diags_add(diags, DD_DIAG_ERROR, file, rec->line,
			    "missing required key '%s' in %s", k->name, where);
			continue;
		}
		if (k->def && !dd_cfg_set_value(rec, k, k->def, cfg->base_dir, err, sizeof(err)))
			dd_diags_add(diags, DD_DIAG_ERROR, file,
			    rec->key_line[i] ? rec->key_line[i] : rec->line,
			    "%s: the default %s: %s", k->name, k->def, err);
	}
}

static void
format_number(const struct cfg_key *k, int64_t v, char *buf, size_t len)
{
	if (k->type == CFG_DURATION)
		dd_cfg_format_duration(v, buf, len);
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* One at_least/at_most bound of key i; skipped when either side is bad or unset. */
static void
check_bound(struct cfg_rec *rec, size_t i, struct dd_diags *diags, const char *file)
{
	const struct cfg_key *k = &dd_cfg_keys[i];
	bool at_most = k->at_most != NULL;
	int oi = dd_cfg_key_find(rec->kind, at_most ? k->at_most : k->at_least);
	char a[32], b[32];

	if (oi < 0 || rec->key_bad[i] || rec->key_bad[oi])
		return;
	if ((!k->def && !rec->key_line[i]) || (!dd_cfg_keys[oi].def && !rec->key_line[oi]))
		return;
	int64_t v = dd_cfg_get_number(rec, k), o = dd_cfg_get_number(rec, &dd_cfg_keys[oi]);
	if (at_most ? v <= o : v >= o)
		return;
	int line = rec->key_line[i]    ? rec->key_line[i]
	           : rec->key_line[oi] ? rec->key_line[oi]
	                               : rec->line;
	format_number(k, v, a, sizeof(a));
	format_number(&dd_cfg_keys[oi], o, b, sizeof(b));
	dd_diags_add(diags, DD_DIAG_ERROR, file, line, "%s (%s) must be at %s %s (%s)", k->name, a,
	    at_most ? "most" : "least", dd_cfg_keys[oi].name, b);
}

static void
check_bounds(struct cfg_rec *rec, struct dd_diags *diags, const char *file)
{
	for (size_t i = 0; i < dd_cfg_nkeys; i++)
		if (dd_cfg_keys[i].section == rec->kind &&
		    (dd_cfg_keys[i].at_most || dd_cfg_keys[i].at_least))
			check_bound(rec, i, diags, file);
}

static struct cfg_rec *
find_node(struct dd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (strcmp(cfg->nodes[i]->u.node.name, name) == 0)
			return cfg->nodes[i];
	return NULL;
}

/* Node keys whose default follows the engine, applied once the node has a cluster. */
static void
engine_defaults(struct dd_config *cfg, struct cfg_rec *node, const struct cfg_rec *cluster)
{
	int ei = dd_cfg_key_find(CFG_CLUSTER, "engine");
	int engine = (int)cluster->u.cluster.engine;
	char err[128];

	if (!key_good(cluster, (size_t)ei) || engine < 0 || engine > 2)
		return;
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		if (k->section == CFG_NODE && k->def_by_engine[engine] && !key_good(node, i))
			dd_cfg_set_value(
			    node, k, k->def_by_engine[engine], cfg->base_dir, err, sizeof(err));
	}
}

static void
unknown_node(
    struct dd_config *cfg, const char *name, int line, struct dd_diags *diags, const char *file)
{
	const char **names = xcalloc(cfg->nnodes, sizeof(*names));

	for (size_t i = 0; i < cfg->nnodes; i++)
		names[i] = cfg->nodes[i]->u.node.name;
	const char *near = dd_text_suggest(name, names, cfg->nnodes);
	if (near)
		dd_diags_add(diags, DD_DIAG_ERROR, file, line,
		    "nodes: unknown node '%s' (no [node %s] section); did you mean '%s'?", name,
		    name, near);
	else
		dd_diags_add(diags, DD_DIAG_ERROR, file, line,
		    "nodes: unknown node '%s' (no [node %s] section)", name, name);
	free(names);
}

static void
link_cluster(struct dd_config *cfg, struct cfg_rec *cr, struct dd_diags *diags, const char *file)
{
	struct dd_cluster_config *c = &cr->u.cluster;
	int ki = dd_cfg_key_find(CFG_CLUSTER, "nodes");
	int line = cr->key_line[ki];

	c->nodes = xcalloc(c->node_names.n, sizeof(*c->nodes));
	for (size_t i = 0; i < c->node_names.n; i++) {
		const char *name = c->node_names.v[i];
		struct cfg_rec *nr = find_node(cfg, name);
		if (!nr) {
			unknown_node(cfg, name, line, diags, file);
		} else if (nr->u.node.cluster) {
			dd_diags_add(diags, DD_DIAG_ERROR, file, line,
			    "nodes: node '%s' is already in cluster '%s' (a node belongs to one "
			    "cluster)",
			    name, nr->u.node.cluster->name);
		} else {
			nr->u.node.cluster = c;
			c->nodes[c->n_nodes++] = &nr->u.node;
			engine_defaults(cfg, nr, cr);
		}
	}
}

/* verify_target must name one of the cluster's own nodes (a deep verify restores there). */
static void
check_verify_target(const struct cfg_rec *cr, struct dd_diags *diags, const char *file)
{
	const struct dd_cluster_config *c = &cr->u.cluster;
	int ki = dd_cfg_key_find(CFG_CLUSTER, "verify_target");

	if (!c->verify_target || !key_good(cr, (size_t)ki))
		return;
	for (size_t i = 0; i < c->node_names.n; i++)
		if (strcmp(c->node_names.v[i], c->verify_target) == 0)
			return;
	const char *near = dd_text_suggest(
	    c->verify_target, (const char *const *)c->node_names.v, c->node_names.n);
	dd_diags_add(diags, DD_DIAG_ERROR, file, cr->key_line[ki],
	    "verify_target: '%s' is not one of cluster %s's nodes%s%s%s", c->verify_target, c->name,
	    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

/* Links every cluster's nodes; warns of unused nodes unless a nodes list was rejected. */
static void
link_nodes(struct dd_config *cfg, struct dd_diags *diags, const char *file)
{
	int ki = dd_cfg_key_find(CFG_CLUSTER, "nodes");
	bool lists_good = true;

	for (size_t i = 0; i < cfg->nclusters; i++) {
		link_cluster(cfg, cfg->clusters[i], diags, file);
		check_verify_target(cfg->clusters[i], diags, file);
		lists_good = lists_good && !cfg->clusters[i]->key_bad[ki];
	}
	for (size_t i = 0; lists_good && i < cfg->nnodes; i++) {
		const struct dd_node_config *n = &cfg->nodes[i]->u.node;
		if (!n->cluster)
			dd_diags_add(diags, DD_DIAG_WARNING, file, n->line,
			    "node '%s' is in no cluster's nodes list; it is not used", n->name);
	}
}

void
dd_cfg_finish(struct dd_config *cfg, struct dd_diags *diags, const char *file)
{
	apply_defaults(cfg, cfg->console, diags, file);
	for (size_t i = 0; i < cfg->nclusters; i++) {
		apply_defaults(cfg, cfg->clusters[i], diags, file);
		check_bounds(cfg->clusters[i], diags, file);
	}
	for (size_t i = 0; i < cfg->nnodes; i++) {
		apply_defaults(cfg, cfg->nodes[i], diags, file);
		check_bounds(cfg->nodes[i], diags, file);
	}
	check_bounds(cfg->console, diags, file);
	apply_defaults(cfg, cfg->serve, diags, file);
	check_bounds(cfg->serve, diags, file);
	dd_cfg_check_serve(cfg, diags, file);
	link_nodes(cfg, diags, file);
	dd_cfg_check_tls(cfg, diags, file);
}

/* 1 when key `key` of cr names an entry has_credential does not know (diag added). */
static size_t
check_credential(const struct dd_config *cfg, const struct cfg_rec *cr, const char *key,
    const char *name, bool (*has_credential)(void *ctx, const char *name), void *ctx,
    struct dd_diags *diags)
{
	int ki = dd_cfg_key_find(CFG_CLUSTER, key);

	if (!key_good(cr, (size_t)ki) || !name || has_credential(ctx, name))
		return 0;
	dd_diags_add(diags, DD_DIAG_ERROR, cfg->path, cr->key_line[ki],
	    "%s '%s' is not in the vault (add it with: dbdeck vault set %s)", key, name, name);
	return 1;
}

size_t
dd_config_check_credentials(const struct dd_config *cfg,
    bool (*has_credential)(void *ctx, const char *name), void *ctx, struct dd_diags *diags)
{
	size_t missing = 0;

	for (size_t i = 0; i < cfg->nclusters; i++) {
		const struct cfg_rec *cr = cfg->clusters[i];
		missing += check_credential(
		    cfg, cr, "credential", cr->u.cluster.credential, has_credential, ctx, diags);
		missing += check_credential(cfg, cr, "admin_credential",
		    cr->u.cluster.admin_credential, has_credential, ctx, diags);
	}
	dd_diags_sort(diags);
	return missing;
}
