/*
 * cli_patroni.h: Patroni's view of a cluster as JSON, shared by `dbdeck
 * patroni CLUSTER show --json` and `dbdeck status --json` (its `patroni`
 * object per manager = patroni cluster).
 */
#ifndef DD_CLI_PATRONI_H
#define DD_CLI_PATRONI_H

#include <jansson.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"

/*
 * Reads GET /cluster of cluster cc (patroni_credential through
 * get_credential, may be NULL when cc has none) and returns a new JSON
 * object: {"source", "leader", "timeline", "paused", "scheduled_switchover"
 * (null or {"at","from","to"}), "members": [{"name","role","state","host",
 * "port","timeline","lag","pending_restart"}], "error": null}; when Patroni
 * cannot be read, {"error": "why"} with the other fields absent. Strings are
 * sanitized. The caller owns the result (json_decref).
 */
json_t *cli_patroni_json(
    const struct dd_cluster_config *cc, dd_credential_fn get_credential, void *cred_ctx);

#endif
