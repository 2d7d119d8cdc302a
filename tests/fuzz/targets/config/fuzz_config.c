/*
 * fuzz_config.c: feeds arbitrary bytes to the config loader as a dbdeck.ini
 * and checks what a clean load promises: every number within its key's
 * range, the cross-key bounds, every listed node linked, every port set.
 * Any violation aborts, so the fuzzer reports it like a crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config/config_internal.h"

static bool
has_even(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] % 2 == 0;
}

static void
check_rec(struct cfg_rec *rec)
{
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		if (k->section != rec->kind || (k->type != CFG_INT && k->type != CFG_DURATION))
			continue;
		int64_t v = dd_cfg_get_number(rec, k);
		if (rec->kind == CFG_NODE && !rec->u.node.cluster && !rec->key_line[i] && v == 0)
			continue; /* a port with no cluster to default it */
		if (v < k->min || v > k->max)
			abort();
	}
}

static void
check_clean(struct dd_config *cfg)
{
	check_rec(cfg->console);
	for (size_t i = 0; i < cfg->nclusters; i++) {
		const struct dd_cluster_config *c = &cfg->clusters[i]->u.cluster;
		check_rec(cfg->clusters[i]);
		if (c->n_nodes == 0 || c->n_nodes != c->node_names.n ||
		    c->min_idle > c->pool_size || c->lag_critical_ms < c->lag_max_ms ||
		    (int)c->engine > 2)
			abort();
		for (size_t j = 0; j < c->n_nodes; j++)
			if (c->nodes[j]->cluster != c || c->nodes[j]->port < 1)
				abort();
	}
	for (size_t i = 0; i < cfg->nnodes; i++)
		check_rec(cfg->nodes[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dd_diags *diags = dd_diags_new();
	struct dd_config *cfg = NULL;

	int rc = dd_config_load_buffer("fuzz/dbdeck.ini", (const char *)data, size, &cfg, diags);
	if (!cfg || (rc == 0) != (dd_diags_errors(diags) == 0))
		abort();
	if (rc == 0)
		check_clean(cfg);
	dd_config_check_credentials(cfg, has_even, NULL, diags);
	for (size_t i = 0; i < dd_diags_count(diags); i++)
		free(dd_diag_format(dd_diags_get(diags, i)));
	dd_config_free(cfg);
	dd_diags_free(diags);
	return 0;
}
