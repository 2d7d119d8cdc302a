/*
 * rt_common.h: shared setup of the router integration tests. Each test builds
 * a dd_core over one harness cluster (pg or my) from a config written for the
 * test, with the harness password in sodium_malloc memory, and identifies the
 * node that served a statement by the server's own port (PG
 * inet_server_port(), MariaDB @@port). Faults injected through it_fault()
 * are undone at exit, also when the test fails or is terminated (see
 * tests/lib/itlib.h).
 */
#ifndef RT_COMMON_H
#define RT_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/router.h"
#include "harness.h"
#include "itlib.h"

#define RT_NODES 3
#define RT_MS    INT64_C(1000000)

struct rt {
	struct dd_harness h;
	bool pg;                /* the PostgreSQL cluster, else MariaDB */
	char node[RT_NODES][8]; /* "pg1".. or "my1".. */
	int port[RT_NODES];
	struct dd_config *cfg;
	struct dd_core *core;
	struct dd_router *r;
};

/*
 * Loads the harness (bail_out when it is missing) and builds a core for
 * engine "pg" or "my" with the test defaults (refresh 500ms, lag_max 2s,
 * breaker_recovery 2s, short timeouts) followed by extra cluster keys (may
 * be NULL, "key = value" lines). Waits for a first probe round and for both
 * replicas to be in the read set with closed breakers (bail_out otherwise).
 */
void rt_setup(struct rt *t, const char *engine, const char *extra_keys);
/* The same; wait_replicas false skips waiting for both replicas to be usable. */
void rt_setup_ex(struct rt *t, const char *engine, const char *extra_keys, bool wait_replicas);
/*
 * Shuts the core down and frees everything; returns the connections still
 * borrowed at the drain deadline (0 = clean). (The TAP counters live in each
 * test's own file: this file never calls ok().)
 */
int rt_teardown(struct rt *t);

/* The engine argument of a test program: "pg" or "my" (bail_out otherwise). */
const char *rt_engine_arg(int argc, char **argv);

/* The SQL that returns the serving server's port. */
const char *rt_port_sql(const struct rt *t);
/* Node index of a port, or -1. */
int rt_node_of_port(const struct rt *t, int port);
/* Runs the port query on pc; node index or -1. */
int rt_conn_node(struct rt *t, struct dd_pooled *pc);
/* A routed read of the port through s (may be NULL); node index or -1; why filled. */
int rt_read_node(
    struct rt *t, struct dd_session *s, int64_t timeout_ms, struct dd_route_decision *why);
/* Index of node name ("pg2"), or -1. */
int rt_index(const struct rt *t, const char *name);

/* The router's view of node i. */
void rt_view(struct rt *t, int i, struct dd_router_node_view *v);
/* Waits until pred(t, arg) holds, polling every 100 ms, for at most timeout_ms; returns ms taken or
 * -1. */
int64_t rt_wait(struct rt *t, bool (*pred)(struct rt *, int), int arg, int64_t timeout_ms);

#endif
