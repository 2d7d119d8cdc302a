/*
 * router_switch_test.c: the router follows a switchover without a restart
 * (MariaDB; argument my). The test switches the harness's MariaDB cluster
 * over by hand with GTID (my1 read-only, my2 catches up and is promoted, my1
 * and my3 replicate from my2), checks that the running router sends writes
 * to my2 and treats my1 as a replica, then switches back to my1 the same
 * way and waits until the cluster is as the other tests expect it. The SQL
 * goes through the router's own per-node pools. (A PostgreSQL switchover
 * needs the old primary rebuilt as a replica, which the shared harness
 * cannot afford between tests; the role discovery it relies on,
 * pg_is_in_recovery(), is the same probe the other router tests exercise.)
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "itlib.h"
#include "rt_common.h"
#include "tap.h"
#include "util/util.h"

static const char *secret; /* the harness password (itlib's): CHANGE MASTER needs it */

/*
 * Runs sql on node i through the router's pool for it; 0, or -1 with a
 * diagnostic. label names the statement in it (the SQL itself may hold the
 * password, and so may a server message that quotes it: then only the code).
 */
static int
node_exec_as(struct rt *t, int i, const char *sql, const char *label)
{
	struct dd_db_error e;

	if (dd_pool_run_exec(dd_router_node_pool(t->r, (size_t)i), sql, NULL, NULL, NULL, &e) == 0)
		return 0;
	if (label)
		diag("%s: %s: error %d (%s; message withheld)", t->node[i], label, e.code,
		    dd_err_class_name(e.cls));
	else
		diag("%s: %s: %s", t->node[i], sql, e.message);
	return -1;
}

static int
node_exec(struct rt *t, int i, const char *sql)
{
	return node_exec_as(t, i, sql, NULL);
}

/* The first value of a one-row query on node i into buf; 0 or -1. */
static int
node_value(struct rt *t, int i, const char *sql, char *buf, size_t len)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	const char *v;
	int rc = -1;

	if (dd_pool_run_query(dd_router_node_pool(t->r, (size_t)i), sql, NULL, &r, NULL, &e) != 0) {
		diag("%s: %s: %s", t->node[i], sql, e.message);
		return -1;
	}
	if (dd_result_nrows(r) == 1 && (v = dd_result_value(r, 0, 0)) != NULL) {
		dd_strlcpy(buf, v, len);
		rc = 0;
	}
	dd_result_free(r);
	return rc;
}

/* Node i replicates from node `from` by GTID (pos: slave_pos, or current_pos for an old primary).
 */
static int
replicate_from(struct rt *t, int i, int from, const char *pos)
{
	char sql[1024];
	int rc;

	snprintf(sql, sizeof(sql),
	    "CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, MASTER_USER='%s', "
	    "MASTER_PASSWORD='%s', MASTER_USE_GTID=%s, MASTER_CONNECT_RETRY=1",
	    t->h.host, t->port[from], t->h.user, secret, pos);
	rc = node_exec(t, i, "STOP SLAVE") || node_exec_as(t, i, sql, "CHANGE MASTER TO ...") ||
	     node_exec(t, i, "START SLAVE");
	sodium_memzero(sql, sizeof(sql));
	return rc ? -1 : 0;
}

/* read_only on node i, through the harness (as root: the operator cannot set it). */
static int
set_read_only(struct rt *t, int i, bool on)
{
	if (dd_harness_run(&t->h, "my-read-only %s %s", t->node[i], on ? "on" : "off") == 0)
		return 0;
	diag("%s: my-read-only %s failed", t->node[i], on ? "on" : "off");
	return -1;
}

/*
 * A GTID switchover from node `from` to node `to`: writes stop on `from`,
 * `to` applies everything `from` wrote and is promoted, the others follow
 * it. Returns 0, or -1 at the first step that failed.
 */
static int
switch_over(struct rt *t, int from, int to)
{
	char pos[256], sql[320], got[32];

	if (set_read_only(t, from, true) ||
	    node_value(t, from, "SELECT @@gtid_binlog_pos", pos, sizeof(pos)))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 20)", pos);
	if (node_value(t, to, sql, got, sizeof(got)) || strcmp(got, "0") != 0) {
		diag("%s did not reach %s's position %s", t->node[to], t->node[from], pos);
		return -1;
	}
	if (node_exec(t, to, "STOP SLAVE") || node_exec(t, to, "RESET SLAVE ALL") ||
	    set_read_only(t, to, false))
		return -1;
	for (int i = 0; i < RT_NODES; i++)
		if (i != to && replicate_from(t, i, to, i == from ? "current_pos" : "slave_pos"))
			return -1;
	return 0;
}

/* Node `arg` is where writes go, and both others are streaming replicas in the read set. */
static bool
primary_is(struct rt *t, int arg)
{
	struct dd_router_node_view v[RT_NODES];

	dd_router_nodes(t->r, v, RT_NODES);
	for (int i = 0; i < RT_NODES; i++) {
		if (i == arg && !(v[i].is_primary && v[i].role == DD_ROLE_PRIMARY))
			return false;
		if (i != arg && !(v[i].role == DD_ROLE_REPLICA && v[i].io_running &&
		                    v[i].sql_running && v[i].in_read_set))
			return false;
	}
	return true;
}

/* A routed write; the node it ran on, or -1. */
static int
routed_write(struct rt *t)
{
	struct dd_route_decision why;
	struct dd_db_error e;
	struct dd_pooled *pc;
	int n = -1;

	if (dd_router_acquire(t->r, NULL, DD_INTENT_WRITE, DD_POOL_DEFAULT_DEADLINE, &pc, &why) !=
	    0) {
		diag("write acquire: %s", why.reason);
		return -1;
	}
	if (dd_pool_exec(pc, "REPLACE INTO router_switch VALUES (1, NOW(6))",
	        DD_POOL_DEFAULT_DEADLINE, NULL, &e) == 0)
		n = rt_conn_node(t, pc);
	else
		diag("write: %s", e.message);
	dd_router_release(t->r, NULL, pc);
	return n;
}

int
main(int argc, char **argv)
{
	struct rt t;
	int64_t ms;

	if (strcmp(rt_engine_arg(argc, argv), "my") != 0)
		bail_out("router_switch runs on the MariaDB cluster only (argument my)");
	rt_setup(&t, "my", NULL);
	secret = it_password(&t.h);
	if (node_exec(&t, 0,
	        "CREATE TABLE IF NOT EXISTS router_switch (id int PRIMARY KEY, at "
	        "datetime(6))"))
		bail_out("cannot create the test table on my1");
	is_int(routed_write(&t), 0, "before: writes go to my1");

	ok(switch_over(&t, 0, 1) == 0, "switchover my1 -> my2 (GTID) done on the servers");
	ms = rt_wait(&t, primary_is, 1, 20000);
	ok(ms >= 0,
	    "the running router follows: my2 primary, my1 and my3 streaming replicas (%lld ms)",
	    (long long)ms);
	is_int(routed_write(&t), 1, "writes now go to my2 (server port)");

	ok(switch_over(&t, 1, 0) == 0, "switchover back my2 -> my1 done on the servers");
	ms = rt_wait(&t, primary_is, 0, 20000);
	ok(ms >= 0, "and back: my1 primary, my2 and my3 streaming replicas again (%lld ms)",
	    (long long)ms);
	is_int(routed_write(&t), 0, "writes go to my1 again");
	node_exec(&t, 0, "DROP TABLE IF EXISTS router_switch");
	is_int(rt_teardown(&t), 0, "no connection left borrowed");
	return tap_done();
}
