/*
 * core_int.h: the dd_core object's private state, shared by core.c (life
 * cycle, accessors) and core_prom.c (the Prometheus exposition). Internal.
 */
#ifndef DD_CORE_INT_H
#define DD_CORE_INT_H

#include "dbdeck/core.h"

struct dd_cluster {
	const struct dd_cluster_config *cc; /* borrowed from the core's config */
	size_t n;                           /* nodes */
	struct dd_pool **pools;             /* n, owned */
	struct dd_pool **admin_pools;       /* n, owned; NULL without admin_credential */
	struct dd_router *router;           /* owned */
};

struct dd_core {
	const struct dd_config *cfg; /* borrowed */
	size_t n;
	struct dd_cluster **clusters; /* n, owned */
	int64_t probe_interval_ms;
	int64_t probe_timeout_ms; /* 0 = per cluster: min(connect_timeout, 1 s) */
	char app[64];             /* application_name of the pools */
	char probe_app[64];       /* of the probers */
	char admin_app[64];       /* of the actions' connections (admin_credential) */
	bool pools_cold;          /* dd_core_options.pools_cold */
	bool shut_down;
};

#endif
