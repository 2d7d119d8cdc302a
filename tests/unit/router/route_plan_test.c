/*
 * route_plan_test.c: the router's plans and their explanations, without a
 * network. A router is built without its prober over pools that never
 * connect (min_idle 0, nothing acquired); synthetic probe rounds are fed to
 * router_apply_round, and dd_route_explain / dd_router_nodes /
 * dd_router_status are checked: reads on replicas, writes on the primary,
 * the lag budget with hysteresis, open breakers, the no-replica policies,
 * read-your-writes with known and unknown positions, split brain, and
 * writes held during a switchover (dd_router_hold_writes).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "dbdeck/pool.h"
#include "dbdeck/router.h"
#include "router/router_int.h"
#include "tap.h"
#include "util/util.h"

#define S(x) ((int64_t)(x)*INT64_C(1000000000))
#define N    3

static struct dd_pool *pools[N];
static const char *names_pg[N] = {"pg1", "pg2", "pg3"};
static const char *names_my[N] = {"my1", "my2", "my3"};

static void
make_pools(const char **names, enum dd_engine engine)
{
	struct dd_conn_params cp = {
	    .host = "127.0.0.1", .port = 1, .database = "app", .user = "nobody", .password = ""};
	struct dd_pool_config pc;
	char err[200];
	int i;

	dd_pool_config_default(&pc);
	pc.min_idle = 0;
	for (i = 0; i < N; i++) {
		pools[i] = dd_pool_new(NULL, engine, &cp, &pc, names[i], err, sizeof(err));
		if (pools[i] == NULL)
			bail_out("dd_pool_new: %s", err);
	}
}

static void
free_pools(void)
{
	int i;

	for (i = 0; i < N; i++)
		dd_pool_free(pools[i]);
}

static struct dd_router *
make_router(const char **names, enum dd_engine engine, enum dd_read_policy pol,
    enum dd_no_replica nr, const int *weights)
{
	struct dd_router_node nodes[N];
	struct dd_router_config cfg;
	struct dd_router *r;
	char err[200];
	int i;

	dd_router_config_default(&cfg);
	cfg.cluster = engine == DD_ENGINE_POSTGRESQL ? "pg" : "my";
	cfg.engine = engine;
	cfg.read_policy = pol;
	cfg.no_replica = nr;
	cfg.lag_max_ms = 1000;
	memset(nodes, 0, sizeof(nodes));
	for (i = 0; i < N; i++) {
		nodes[i].name = names[i];
		nodes[i].weight = weights ? weights[i] : 1;
		nodes[i].pool = pools[i];
		nodes[i].params.host = "127.0.0.1";
		nodes[i].params.port = 1;
	}
	r = router_new(&cfg, nodes, N, false, err, sizeof(err));
	if (r == NULL)
		bail_out("router_new: %s", err);
	return r;
}

/* A PostgreSQL round: primary index, its LSN; per replica its replay LSN and replay age. */
static void
pg_round(struct dd_router *r, int64_t t, int primary, uint64_t lsn, const uint64_t *replay,
    const int64_t *age_ms)
{
	struct rnode_result res[N];
	int i;

	memset(res, 0, sizeof(res));
	for (i = 0; i < N; i++) {
		res[i].ok = true;
		res[i].start_ns = t;
		res[i].end_ns = t + 1000000;
		res[i].info.server_now_ms = 1700000000000;
		if (i == primary) {
			res[i].info.role = DD_ROLE_PRIMARY;
			res[i].info.current_lsn = lsn;
			res[i].info.applied.kind = DD_POS_LSN;
			res[i].info.applied.lsn = lsn;
			continue;
		}
		res[i].info.role = DD_ROLE_REPLICA;
		res[i].info.read_only = true;
		res[i].info.replay_lsn = replay[i];
		res[i].info.applied.kind = DD_POS_LSN;
		res[i].info.applied.lsn = replay[i];
		res[i].info.last_replay_ms = 1700000000000 - age_ms[i];
	}
	router_apply_round(r, res, t, t + 2000000);
}

static void
explain_is(struct dd_router *r, enum dd_intent in, struct dd_session *s, const char *want,
    const char *name)
{
	char buf[DD_ROUTE_REASON_MAX];

	dd_route_explain(r, in, s, buf, sizeof(buf));
	is_str(buf, want, name);
}

/* pg3 does not answer this round: out, with a short reason; the view keeps the details. */
static void
test_unreachable(struct dd_router *r)
{
	struct dd_router_node_view v[N];
	struct rnode_result res[N];

	memset(res, 0, sizeof(res));
	res[0].ok = res[1].ok = true;
	res[0].info.role = DD_ROLE_PRIMARY;
	res[0].info.current_lsn = 1000;
	res[1].info.role = DD_ROLE_REPLICA;
	res[1].info.replay_lsn = 1000;
	snprintf(res[2].error, sizeof(res[2].error), "connect: timeout: no answer");
	snprintf(res[2].brief, sizeof(res[2].brief), "connect timed out");
	res[2].node_failure = true;
	router_apply_round(r, res, S(24), S(24));
	explain_is(r, DD_INTENT_READ, NULL,
	    "read \u2192 pg2 (round-robin; pg3 out: unreachable (connect timed out))",
	    "an unreachable replica is out");
	dd_router_nodes(r, v, N);
	ok(v[2].role == DD_ROLE_REPLICA && !v[2].reachable,
	    "an unreachable node keeps its last known role");
	is_str(v[2].last_error, "connect: timeout: no answer", "the view keeps the full error");
}

static void
test_pg_basic(void)
{
	uint64_t replay[N] = {0, 1000, 1000};
	int64_t age[N] = {0, 50, 50};
	struct dd_router_node_view v[N];
	struct dd_router_status st;
	char buf[DD_ROUTE_REASON_MAX];
	struct dd_router *r;

	make_pools(names_pg, DD_ENGINE_POSTGRESQL);
	r = make_router(names_pg, DD_ENGINE_POSTGRESQL, DD_READ_POLICY_ROUND_ROBIN,
	    DD_NO_REPLICA_PRIMARY, NULL);
	is_int(dd_route_explain(r, DD_INTENT_READ, NULL, buf, sizeof(buf)), -1,
	    "no round yet: nothing to explain");

	pg_round(r, S(10), 0, 1000, replay, age);
	dd_router_status(r, &st);
	ok(st.topology == DD_TOPO_OK && st.primary == 0, "one primary discovered: pg1");
	explain_is(
	    r, DD_INTENT_WRITE, NULL, "write \u2192 pg1 (primary)", "writes go to the primary");
	explain_is(r, DD_INTENT_TRANSACTION, NULL, "transaction \u2192 pg1 (primary)",
	    "transactions go to the primary");
	explain_is(
	    r, DD_INTENT_READ, NULL, "read \u2192 pg2 (round-robin)", "reads go to a replica");
	explain_is(r, DD_INTENT_READ, NULL, "read \u2192 pg2 (round-robin)",
	    "explaining does not move round-robin");

	/* pg3's replay stops at 500 (primary moved 500 → 1000 between t=10 and t=20) */
	replay[2] = 500;
	age[2] = 3200;
	pg_round(r, S(10), 0, 500, (uint64_t[]){0, 500, 500}, (int64_t[]){0, 0, 0});
	pg_round(r, S(20), 0, 1000, replay, age);
	explain_is(r, DD_INTENT_READ, NULL,
	    "read \u2192 pg2 (round-robin; pg3 out: lag 3.2 s > lag_max 1 s)",
	    "a lagging replica is out, and the reason says so");
	dd_router_nodes(r, v, N);
	ok(v[1].in_read_set && !v[2].in_read_set && v[2].lag_known && v[2].lag_ms == 3200,
	    "node view: pg2 in, pg3 out with lag 3200 ms");
	ok(v[0].is_primary && v[0].role == DD_ROLE_PRIMARY && v[2].role == DD_ROLE_REPLICA,
	    "node view: roles");

	/* hysteresis: 900 ms is within lag_max but above 0.8 × lag_max */
	replay[2] = 900;
	age[2] = 900;
	pg_round(r, S(21), 0, 1000, replay, age);
	dd_router_nodes(r, v, N);
	is_str(v[2].why, "lag 900 ms, back in at <= 800 ms", "pg3 stays out until 800 ms");
	age[2] = 700;
	pg_round(r, S(22), 0, 1000, replay, age);
	dd_router_nodes(r, v, N);
	ok(v[2].in_read_set, "pg3 back in at 700 ms");

	/* open breaker on pg2, pg3 lagging → fallback to the primary */
	age[2] = 3200;
	pg_round(r, S(23), 0, 1000, replay, age);
	dd_breaker_force_open(dd_pool_breaker(pools[1]), "test");
	explain_is(r, DD_INTENT_READ, NULL,
	    "read \u2192 pg1 (fallback: no usable replica: pg2 breaker open, "
	    "pg3 lag 3.2 s > lag_max 1 s)",
	    "no usable replica → fallback, with every reason");
	dd_router_nodes(r, v, N);
	ok(v[1].breaker == DD_BREAKER_OPEN, "node view shows the open breaker");
	dd_breaker_reset(dd_pool_breaker(pools[1]), "test");

	test_unreachable(r);
	dd_router_free(r);
	free_pools();
}

static void
test_pg_ryw(void)
{
	uint64_t replay[N] = {0, 0x3000000, 0x2000000};
	int64_t age[N] = {0, 10, 5000};
	struct dd_repl_pos pos = {.kind = DD_POS_LSN, .lsn = 0x3000060};
	struct dd_session *s = dd_session_new(), *other = dd_session_new();
	struct dd_router *r;
	int64_t t;

	make_pools(names_pg, DD_ENGINE_POSTGRESQL);
	r = make_router(
	    names_pg, DD_ENGINE_POSTGRESQL, DD_READ_POLICY_ROUND_ROBIN, DD_NO_REPLICA_FAIL, NULL);
	t = dd_now_mono_ns();
	pg_round(r, t, 0, 0x3000000, replay, age);
	dd_session_note_write(s, r, &pos);
	explain_is(r, DD_INTENT_READ, s,
	    "read \u2192 pg1 (primary: read-your-writes, pg2 has not replayed 0/3000060 yet; "
	    "pg3 out: lag 5 s > lag_max 1 s)",
	    "ryw: the probe predates the write → primary, even with no_replica = fail");
	explain_is(r, DD_INTENT_READ, other,
	    "read \u2192 pg2 (round-robin; pg3 out: lag 5 s > "
	    "lag_max 1 s)",
	    "ryw: another session reads from the replica");
	replay[1] = 0x3000060;
	pg_round(r, dd_now_mono_ns() + 1, 0, 0x3000060, replay, age);
	explain_is(r, DD_INTENT_READ, s,
	    "read \u2192 pg2 (round-robin; pg3 out: lag 5 s > lag_max 1 s)",
	    "ryw: once pg2 has replayed the write, the session reads from it");

	dd_session_note_write(s, r, NULL);
	explain_is(r, DD_INTENT_READ, s,
	    "read \u2192 pg1 (primary: read-your-writes, write "
	    "position unknown, ryw_window 5 s)",
	    "ryw: unknown position → primary for ryw_window");

	/* no_replica = fail once pg2 lags too */
	age[1] = 5000;
	replay[1] = 0x2000000;
	pg_round(r, dd_now_mono_ns() + 2, 0, 0x3000060, replay, age);
	is_int(dd_route_explain(
	           r, DD_INTENT_READ, other, (char[DD_ROUTE_REASON_MAX]){0}, DD_ROUTE_REASON_MAX),
	    -1, "no_replica = fail: no node");
	explain_is(r, DD_INTENT_READ, other,
	    "read \u2192 none (no_replica = fail: no usable replica: "
	    "pg2 lag 5 s > lag_max 1 s, pg3 lag 5 s > lag_max 1 s)",
	    "no_replica = fail explains itself");
	dd_session_free(s);
	dd_session_free(other);
	dd_router_free(r);
	free_pools();
}

static void
test_topology(void)
{
	struct rnode_result res[N];
	struct dd_router_status st;
	struct dd_router *r;
	int i;

	make_pools(names_pg, DD_ENGINE_POSTGRESQL);
	r = make_router(names_pg, DD_ENGINE_POSTGRESQL, DD_READ_POLICY_ROUND_ROBIN,
	    DD_NO_REPLICA_PRIMARY, NULL);
	memset(res, 0, sizeof(res));
	for (i = 0; i < N; i++) {
		res[i].ok = true;
		res[i].info.role = i == 2 ? DD_ROLE_REPLICA : DD_ROLE_PRIMARY;
		res[i].info.current_lsn = 100;
		res[i].info.replay_lsn = 100;
	}
	router_apply_round(r, res, S(1), S(1));
	dd_router_status(r, &st);
	ok(st.topology == DD_TOPO_MULTI_PRIMARY && st.primary == -1 && st.writable_primaries == 2,
	    "two writable primaries → visible, no primary chosen");
	explain_is(r, DD_INTENT_WRITE, NULL,
	    "write \u2192 none (no primary: SPLIT-BRAIN: pg1 and pg2 accept writes (none "
	    "routed); which is newer is unknown: compare their data, keep one, fence and "
	    "rejoin the other)",
	    "split brain refuses writes");
	res[0].info.timeline = 3;
	res[1].info.timeline = 4;
	router_apply_round(r, res, S(2), S(2));
	dd_router_status(r, &st);
	ok(strstr(st.why, "keep pg2 (timeline 4 > 3), fence and rejoin pg1") != NULL,
	    "split brain: the newer timeline is the one to keep (%s)", st.why);
	res[0].info.timeline = res[1].info.timeline = 0;
	dd_router_note_promotion(r, "pg1", 1700000000000);
	router_apply_round(r, res, S(3), S(3));
	dd_router_status(r, &st);
	ok(strstr(st.why, "keep pg1 (promoted by dbdeck at 2023-11-14T22:13:20Z), fence and "
	                  "rejoin pg2") != NULL,
	    "split brain: without timelines, the one dbdeck promoted (%s)", st.why);
	res[1].info.read_only = true;
	router_apply_round(r, res, S(2), S(2));
	dd_router_status(r, &st);
	ok(st.topology == DD_TOPO_OK && st.primary == 0,
	    "a fenced (read-only) old primary is ignored");
	/* switchover: pg2 becomes the primary, pg1 a replica */
	res[0].info.role = DD_ROLE_REPLICA;
	res[1].info.role = DD_ROLE_PRIMARY;
	res[1].info.read_only = false;
	router_apply_round(r, res, S(3), S(3));
	explain_is(r, DD_INTENT_WRITE, NULL, "write \u2192 pg2 (primary)",
	    "the router follows a new primary");
	for (i = 0; i < N; i++)
		res[i].info.role = DD_ROLE_REPLICA;
	router_apply_round(r, res, S(4), S(4));
	dd_router_status(r, &st);
	ok(st.topology == DD_TOPO_NO_PRIMARY, "no primary → visible");
	explain_is(r, DD_INTENT_WRITE, NULL,
	    "write \u2192 none (no primary: no node is a writable primary)",
	    "no primary explained");
	dd_router_free(r);
	free_pools();
}

static void
test_mysql(void)
{
	int weights[N] = {1, 1, 0};
	struct rnode_result res[N];
	struct dd_router *r;
	char err[64];
	int i;

	make_pools(names_my, DD_ENGINE_MARIADB);
	r = make_router(
	    names_my, DD_ENGINE_MARIADB, DD_READ_POLICY_WEIGHTED, DD_NO_REPLICA_PRIMARY, weights);
	memset(res, 0, sizeof(res));
	for (i = 0; i < N; i++) {
		res[i].ok = true;
		res[i].info.role = i == 0 ? DD_ROLE_PRIMARY : DD_ROLE_REPLICA;
		res[i].info.has_replica_status = i != 0;
		res[i].info.io_running = res[i].info.sql_running = true;
		res[i].info.seconds_behind = 0;
		dd_gtid_parse("0-1-42", &res[i].info.binlog_set, err, sizeof(err));
		dd_gtid_parse("0-1-42", &res[i].info.slave_set, err, sizeof(err));
	}
	router_apply_round(r, res, S(1), S(1));
	explain_is(r, DD_INTENT_READ, NULL, "read \u2192 my2 (weighted; my3 out: weight 0)",
	    "weight 0 never reads");
	res[1].info.sql_running = false;
	res[1].info.seconds_behind = -1;
	router_apply_round(r, res, S(2), S(2));
	explain_is(r, DD_INTENT_READ, NULL,
	    "read \u2192 my1 (fallback: no usable replica: "
	    "my2 lag unknown (SQL thread stopped), my3 weight 0)",
	    "SQL thread stopped → out");
	dd_router_free(r);
	free_pools();
}

static void *
release_later(void *arg)
{
	struct timespec ts = {0, 200000000};

	nanosleep(&ts, NULL);
	dd_router_hold_writes(arg, false, NULL);
	return NULL;
}

/* Writes held: they wait for the hold, fail with "held" at their deadline; reads do not wait. */
static void
test_hold(void)
{
	uint64_t replay[N] = {0, 1000, 1000};
	int64_t age[N] = {0, 50, 50};
	struct dd_route_decision d;
	struct dd_router_status st;
	struct dd_pooled *pc;
	struct dd_router *r;
	pthread_t t;
	int64_t t0;
	int rc;

	make_pools(names_pg, DD_ENGINE_POSTGRESQL);
	r = make_router(names_pg, DD_ENGINE_POSTGRESQL, DD_READ_POLICY_ROUND_ROBIN,
	    DD_NO_REPLICA_PRIMARY, NULL);
	pg_round(r, S(10), 0, 1000, replay, age);
	dd_router_hold_writes(r, true, "switchover of pg in progress");
	dd_router_status(r, &st);
	ok(st.writes_held && strcmp(st.held_why, "switchover of pg in progress") == 0,
	    "hold: shown in the status");
	t0 = dd_now_mono_ns();
	rc = dd_router_acquire(r, NULL, DD_INTENT_WRITE, t0 + 100000000, &pc, &d);
	ok(rc == DD_ROUTER_ERR_HELD && dd_now_mono_ns() - t0 >= 95000000 && pc == NULL,
	    "hold: a write waits until its deadline, then fails with held (%s)",
	    dd_router_err_name(rc));
	ok(strstr(d.reason, "writes held: switchover of pg in progress") != NULL,
	    "hold: the decision says why (%s)", d.reason);
	t0 = dd_now_mono_ns();
	rc = dd_router_acquire(r, NULL, DD_INTENT_READ, t0 + 100000000, &pc, &d);
	ok(rc != DD_ROUTER_ERR_HELD, "hold: reads do not wait for it (%s)", dd_router_err_name(rc));
	dd_router_release(r, NULL, pc);
	pthread_create(&t, NULL, release_later, r);
	t0 = dd_now_mono_ns();
	rc = dd_router_acquire(r, NULL, DD_INTENT_TRANSACTION, t0 + S(5), &pc, &d);
	int64_t waited = dd_now_mono_ns() - t0;
	pthread_join(t, NULL);
	ok(rc != DD_ROUTER_ERR_HELD && waited >= 150000000 && strstr(d.reason, "write") == NULL &&
	        strstr(d.reason, "held") == NULL,
	    "hold: released from another thread, the waiting transaction goes on to the "
	    "primary (%s, %s)",
	    dd_router_err_name(rc), d.reason);
	dd_router_release(r, NULL, pc);
	dd_router_free(r);
	free_pools();
}

int
main(void)
{
	test_pg_basic();
	test_pg_ryw();
	test_topology();
	test_mysql();
	test_hold();
	return tap_done();
}
