/*
 * route_logic_test.c: the router's pure decisions (core/router/route_logic.c):
 * lag from positions and timestamps on both engines, the read-set rule and
 * its hysteresis, the three replica choice policies, the read-your-writes
 * check, the formatting helpers, and how probe outcomes feed a breaker.
 */
#include <string.h>

#include "router/route_logic.h"
#include "tap.h"

#define S(x) ((int64_t)(x)*INT64_C(1000000000))

static void
test_fmt(void)
{
	char b[32], small[8];
	struct dd_rl_buf buf;

	dd_rl_fmt_ms(250, b, sizeof(b));
	is_str(b, "250 ms", "fmt 250 ms");
	dd_rl_fmt_ms(1000, b, sizeof(b));
	is_str(b, "1 s", "fmt 1 s");
	dd_rl_fmt_ms(3200, b, sizeof(b));
	is_str(b, "3.2 s", "fmt 3.2 s");
	dd_rl_fmt_ms(-5, b, sizeof(b));
	is_str(b, "0 ms", "fmt negative → 0 ms");
	dd_rl_fmt_ms(125000, b, sizeof(b));
	is_str(b, "125 s", "fmt 125 s");

	dd_rl_buf_init(&buf, small, sizeof(small));
	dd_rl_buf_add(&buf, "%s", "abcdef");
	dd_rl_buf_add(&buf, "%s", "ghijkl");
	is_str(small, "abcdefg", "builder truncates and terminates");
	is_int((long long)buf.used, 7, "builder used stays within the buffer");
}

static void
hist_fill(struct dd_rl_lsn_history *h, int from_s, int to_s, uint64_t lsn0, uint64_t step)
{
	int t;

	for (t = from_s; t <= to_s; t++)
		dd_rl_lsn_history_add(h, S(t), lsn0 + (uint64_t)(t - from_s) * step);
}

static void
test_lag_pg(void)
{
	struct dd_rl_lsn_history h;
	struct dd_role_info ri;
	struct dd_rl_lag lag;

	memset(&ri, 0, sizeof(ri));
	dd_rl_lsn_history_clear(&h);
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(!lag.known, "pg: no replay position → unknown (%s)", lag.why);

	/* idle primary: same LSN for 60 rounds, last replayed xact 10 min ago */
	hist_fill(&h, 1, 60, 1000, 0);
	ri.replay_lsn = 1000;
	ri.server_now_ms = 1700000600000;
	ri.last_replay_ms = 1700000000000;
	dd_rl_lag_pg(&ri, S(60), &h, &lag);
	ok(lag.known && lag.ms == 0, "pg: idle primary, replica caught up → 0 (got %lld)",
	    (long long)lag.ms);

	/* the idle primary writes a non-transaction record (checkpoint) at round 61 */
	dd_rl_lsn_history_add(&h, S(61), 1040);
	dd_rl_lag_pg(&ri, S(61), &h, &lag);
	ok(lag.known && lag.ms == 1000,
	    "pg: checkpoint record on an idle primary → 1 s bound, not 10 min (got %lld)",
	    (long long)lag.ms);

	/* load: +100 per second; replay stuck at 300 (paused at t=3), probe at t=10 */
	dd_rl_lsn_history_clear(&h);
	hist_fill(&h, 1, 10, 100, 100);
	ri.replay_lsn = 300;
	ri.server_now_ms = 1700000010000;
	ri.last_replay_ms = 1700000010000 - 7200;
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(lag.known && lag.ms == 7000,
	    "pg: paused replay → min(7.2 s by timestamp, 7 s by "
	    "history) = 7 s (got %lld)",
	    (long long)lag.ms);
	ri.last_replay_ms = 1700000010000 - 40;
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(lag.known && lag.ms == 40, "pg: fresh replay timestamp under load → 40 ms (got %lld)",
	    (long long)lag.ms);

	/* no history: the timestamp alone */
	dd_rl_lsn_history_clear(&h);
	ri.last_replay_ms = 1700000010000 - 2500;
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(lag.known && lag.ms == 2500, "pg: no primary history → timestamp lag (got %lld)",
	    (long long)lag.ms);
	ri.last_replay_ms = -1;
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(!lag.known, "pg: no history and NULL replay timestamp → unknown");

	/* history entirely past the replica and no timestamp: only a lower bound */
	hist_fill(&h, 5, 10, 400, 10);
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(!lag.known, "pg: behind every sample, NULL timestamp → unknown (%s)", lag.why);
	ri.last_replay_ms = 1700000010000 - 6000;
	dd_rl_lag_pg(&ri, S(10), &h, &lag);
	ok(lag.known && lag.ms == 6000, "pg: behind every sample → the timestamp lag (got %lld)",
	    (long long)lag.ms);

	/* the ring keeps the newest DD_RL_LSN_HISTORY samples */
	dd_rl_lsn_history_clear(&h);
	hist_fill(&h, 1, 200, 1, 1);
	is_int(h.n, DD_RL_LSN_HISTORY, "history is bounded");
	dd_rl_lsn_history_add(&h, S(201), 0);
	is_int(h.n, DD_RL_LSN_HISTORY, "a zero LSN is not a sample");
}

static void
test_lag_mysql(void)
{
	struct dd_role_info ri;
	struct dd_gtid_set prim;
	struct dd_rl_lag lag;
	char err[64];

	memset(&ri, 0, sizeof(ri));
	dd_rl_lag_mysql(&ri, NULL, &lag);
	ok(!lag.known, "my: no replica status → unknown (%s)", lag.why);

	ri.has_replica_status = true;
	ri.io_running = true;
	ri.sql_running = false;
	ri.seconds_behind = -1;
	dd_gtid_parse("0-1-42", &ri.slave_set, err, sizeof(err));
	dd_gtid_parse("0-1-42", &prim, err, sizeof(err));
	dd_rl_lag_mysql(&ri, &prim, &lag);
	ok(!lag.known && strstr(lag.why, "SQL thread stopped"),
	    "my: SQL thread stopped → unknown (%s)", lag.why);

	ri.sql_running = true;
	dd_rl_lag_mysql(&ri, &prim, &lag);
	ok(lag.known && lag.ms == 0,
	    "my: gtid_slave_pos covers the primary → 0 (SBM NULL ignored)");

	dd_gtid_parse("0-1-50", &prim, err, sizeof(err));
	dd_rl_lag_mysql(&ri, &prim, &lag);
	ok(!lag.known && strstr(lag.why, "NULL"), "my: behind and SBM NULL → unknown (%s)",
	    lag.why);

	ri.seconds_behind = 3;
	dd_rl_lag_mysql(&ri, &prim, &lag);
	ok(lag.known && lag.ms == 3000, "my: behind, SBM 3 → 3 s");
	dd_rl_lag_mysql(&ri, NULL, &lag);
	ok(lag.known && lag.ms == 3000, "my: primary unknown, SBM 3 → 3 s");

	ri.io_running = false;
	ri.seconds_behind = -1;
	dd_rl_lag_mysql(&ri, &prim, &lag);
	ok(!lag.known && strstr(lag.why, "IO thread"), "my: IO thread stopped → unknown (%s)",
	    lag.why);
}

/* Lag from the primary's GTID positions (issue 5): grows with a stopped SQL thread, 0 when idle. */
static void
test_lag_mysql_hist(void)
{
	const int64_t s = INT64_C(1000000000);
	struct dd_rl_gtid_history h;
	struct dd_gtid_set set;
	struct dd_role_info ri;
	struct dd_rl_lag lag;
	char err[64], pos[32];

	dd_rl_gtid_history_clear(&h);
	memset(&ri, 0, sizeof(ri));
	ri.has_replica_status = true;
	ri.io_running = true;
	ri.sql_running = false;
	ri.seconds_behind = -1;
	dd_gtid_parse("0-1-10", &ri.slave_set, err, sizeof(err));
	dd_rl_lag_mysql_hist(&ri, 10 * s, &h, &lag);
	ok(!lag.known && strstr(lag.why, "SQL thread stopped"),
	    "my hist: no history, SQL stopped → unknown (%s)", lag.why);
	memset(&set, 0, sizeof(set));
	dd_rl_gtid_history_add(&h, 1 * s, &set);
	is_int(h.n, 0, "my hist: an empty position is not a sample");
	/* the primary at 0-1-10 for rounds 1..3, then writing 0-1-20, 0-1-30 at 4 and 5 */
	for (int t = 1; t <= 5; t++) {
		snprintf(pos, sizeof(pos), "0-1-%d", t <= 3 ? 10 : (t - 2) * 10);
		dd_gtid_parse(pos, &set, err, sizeof(err));
		dd_rl_gtid_history_add(&h, t * s, &set);
	}
	dd_rl_lag_mysql_hist(&ri, 5 * s + s / 2, &h, &lag);
	ok(lag.known && lag.ms == 2500,
	    "my hist: SQL stopped at 0-1-10 → since the last round at it (%lld ms)",
	    (long long)lag.ms);
	ri.sql_running = true;
	ri.seconds_behind = 1;
	dd_rl_lag_mysql_hist(&ri, 5 * s + s / 2, &h, &lag);
	ok(lag.known && lag.ms == 1000, "my hist: SQL running, SBM 1 s smaller → 1 s");
	dd_gtid_parse("0-1-30", &ri.slave_set, err, sizeof(err));
	ri.seconds_behind = -1;
	dd_rl_lag_mysql_hist(&ri, 5 * s + s / 2, &h, &lag);
	ok(lag.known && lag.ms == 0, "my hist: covers the newest position → 0");
	dd_gtid_parse("0-1-5", &ri.slave_set, err, sizeof(err));
	ri.seconds_behind = 7;
	dd_rl_lag_mysql_hist(&ri, 5 * s, &h, &lag);
	ok(lag.known && lag.ms == 7000, "my hist: behind every position held → SBM (7 s)");
	ri.has_replica_status = false;
	dd_rl_lag_mysql_hist(&ri, 5 * s, &h, &lag);
	ok(!lag.known, "my hist: no replica status → unknown");
	/* an idle primary: the same position every round, the replica has it */
	dd_rl_gtid_history_clear(&h);
	dd_gtid_parse("0-1-42", &set, err, sizeof(err));
	for (int t = 1; t <= 60; t++)
		dd_rl_gtid_history_add(&h, t * s, &set);
	memset(&ri, 0, sizeof(ri));
	ri.has_replica_status = true;
	ri.io_running = ri.sql_running = true;
	ri.seconds_behind = 0;
	dd_gtid_parse("0-1-42", &ri.slave_set, err, sizeof(err));
	dd_rl_lag_mysql_hist(&ri, 60 * s, &h, &lag);
	ok(lag.known && lag.ms == 0, "my hist: idle primary for a minute → 0");
}

static struct dd_rl_member
replica(int64_t lag_ms, bool in)
{
	struct dd_rl_member m;

	memset(&m, 0, sizeof(m));
	m.probed = m.reachable = true;
	m.role = DD_ROLE_REPLICA;
	m.weight = 1;
	m.lag.known = lag_ms >= 0;
	m.lag.ms = lag_ms;
	strcpy(m.lag.why, "Seconds_Behind_Master is NULL");
	m.in_read_set = in;
	return m;
}

static void
test_read_set(void)
{
	struct dd_rl_member m;
	char why[DD_RL_WHY_MAX];
	int flips = 0, i;
	bool prev;

	m = replica(900, true);
	ok(dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)) && why[0] == '\0',
	    "in, lag 0.9 s <= lag_max 1 s → stays in");
	m = replica(1100, true);
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "in, lag 1.1 s → out");
	is_str(why, "lag 1.1 s > lag_max 1 s", "out reason names lag and budget");
	m = replica(900, false);
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)),
	    "out, lag 0.9 s > 0.8 s → stays out (hysteresis)");
	is_str(why, "lag 900 ms, back in at <= 800 ms", "hysteresis reason");
	m = replica(800, false);
	ok(dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "out, lag 0.8 s → back in");
	m = replica(-1, true);
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "unknown lag → out");
	is_str(why, "lag unknown (Seconds_Behind_Master is NULL)", "unknown lag reason");
	m = replica(0, true);
	m.reachable = false;
	m.probe_error = "connect: timeout";
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "unreachable → out");
	is_str(why, "unreachable (connect: timeout)", "unreachable reason");
	m = replica(0, true);
	m.weight = 0;
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "weight 0 → never in");
	is_str(why, "weight 0", "weight 0 reason");
	m = replica(0, false);
	m.role = DD_ROLE_PRIMARY;
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)),
	    "a primary is not in the read set");
	m = replica(0, false);
	m.probed = m.reachable = false;
	ok(!dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why)), "never probed → out");
	is_str(why, "not probed yet", "never probed reason");
	m = replica(0, false);
	ok(dd_rl_read_set_update(&m, 0, 0.8, why, sizeof(why)),
	    "lag_max 0: a caught-up replica is in");

	/* lag wandering 950..1050 ms around a 1 s budget: one exit, no re-entry */
	m = replica(0, true);
	prev = true;
	for (i = 0; i < 100; i++) {
		m.lag.ms = 950 + (i % 2) * 100;
		dd_rl_read_set_update(&m, 1000, 0.8, why, sizeof(why));
		flips += m.in_read_set != prev;
		prev = m.in_read_set;
	}
	is_int(flips, 1, "lag hovering around lag_max flips the state once, not 100 times");
}

static int
pick(struct dd_rl_pick *st, enum dd_read_policy pol, struct dd_rl_cand *c, int n, int *order)
{
	return dd_rl_order(st, pol, c, n, order) > 0 ? order[0] : -1;
}

static void
test_round_robin(void)
{
	int64_t sw[4] = {0};
	struct dd_rl_pick st = {.nodes = 4, .swrr = sw};
	struct dd_rl_cand c[3] = {{1, 1, 0}, {2, 5, 0}, {3, 1, 0}};
	int count[4] = {0}, order[3], i, last = -1, repeats = 0, cur;

	for (i = 0; i < 300; i++) {
		cur = pick(&st, DD_READ_POLICY_ROUND_ROBIN, c, 3, order);
		count[cur]++;
		repeats += cur == last;
		last = cur;
	}
	ok(count[1] == 100 && count[2] == 100 && count[3] == 100 && count[0] == 0,
	    "round-robin: 100 each over 300 picks, weights ignored (%d %d %d)", count[1], count[2],
	    count[3]);
	is_int(repeats, 0, "round-robin never picks the same node twice in a row");
	pick(&st, DD_READ_POLICY_ROUND_ROBIN, c, 3, order);
	ok(order[0] != order[1] && order[1] != order[2] && order[0] != order[2],
	    "round-robin fallbacks list every other candidate once");
	is_int(dd_rl_order(&st, DD_READ_POLICY_ROUND_ROBIN, c, 0, order), 0, "no candidate → 0");
}

static void
test_weighted(void)
{
	int64_t sw[3] = {0};
	struct dd_rl_pick st = {.nodes = 3, .swrr = sw};
	struct dd_rl_cand c[2] = {{1, 1, 0}, {2, 3, 0}};
	struct dd_rl_cand c3[3] = {{0, 5, 0}, {1, 1, 0}, {2, 2, 0}};
	int count[3] = {0}, order[3], i, window_ok = 1, fallback_checks = 0;

	for (i = 0; i < 400; i++) {
		count[pick(&st, DD_READ_POLICY_WEIGHTED, c, 2, order)]++;
		if (i % 4 == 3) {
			window_ok &= count[1] == (i + 1) / 4;
		}
	}
	ok(count[1] == 100 && count[2] == 300, "weighted 1:3 → exactly 100/300 of 400 (%d/%d)",
	    count[1], count[2]);
	ok(window_ok, "weighted is smooth: every 4 picks hold exactly one of the weight-1 node");

	memset(sw, 0, sizeof(sw));
	memset(count, 0, sizeof(count));
	for (i = 0; i < 800; i++)
		count[pick(&st, DD_READ_POLICY_WEIGHTED, c3, 3, order)]++;
	ok(count[0] == 500 && count[1] == 100 && count[2] == 200,
	    "weighted 5:1:2 → 500/100/200 of 800 (%d/%d/%d)", count[0], count[1], count[2]);
	for (i = 0; i < 8; i++) {
		pick(&st, DD_READ_POLICY_WEIGHTED, c3, 3, order);
		if (order[0] != 1)
			continue;
		fallback_checks++;
		ok(order[1] == 0 && order[2] == 2, "weighted fallbacks by descending weight");
	}
	is_int(fallback_checks, 1, "the weight-1 node came first once in 8 picks");
}

static void
test_least_lag(void)
{
	int64_t sw[3] = {0};
	struct dd_rl_pick st = {.nodes = 3, .swrr = sw};
	struct dd_rl_cand c[3] = {{0, 1, 300}, {1, 1, 100}, {2, 1, 200}};
	struct dd_rl_cand tie[3] = {{0, 1, 100}, {1, 1, 100}, {2, 1, 500}};
	int order[3], i, all_one = 1, count[3] = {0};

	for (i = 0; i < 10; i++)
		all_one &= pick(&st, DD_READ_POLICY_LEAST_LAG, c, 3, order) == 1;
	ok(all_one, "least-lag always picks the least lagged replica");
	ok(order[0] == 1 && order[1] == 2 && order[2] == 0, "least-lag fallbacks by lag");
	for (i = 0; i < 100; i++)
		count[pick(&st, DD_READ_POLICY_LEAST_LAG, tie, 3, order)]++;
	ok(count[0] == 50 && count[1] == 50 && count[2] == 0, "least-lag ties alternate (%d/%d/%d)",
	    count[0], count[1], count[2]);
}

static void
test_ryw(void)
{
	struct dd_repl_pos want = {0}, have = {0};
	char b[64], err[64];

	ok(dd_rl_ryw_reached(&have, S(1), &want, S(2)), "ryw: nothing written → reached");
	want.kind = DD_POS_LSN;
	want.lsn = 0x3000060;
	have.kind = DD_POS_LSN;
	have.lsn = 0x3000060;
	ok(!dd_rl_ryw_reached(&have, S(1), &want, S(2)),
	    "ryw: a probe older than the write never counts");
	ok(dd_rl_ryw_reached(&have, S(3), &want, S(2)),
	    "ryw: newer probe at the position → reached");
	have.lsn = 0x3000059;
	ok(!dd_rl_ryw_reached(&have, S(3), &want, S(2)), "ryw: newer probe behind → not reached");
	dd_rl_fmt_pos(&want, b, sizeof(b));
	is_str(b, "0/3000060", "LSN formatted like PostgreSQL");

	want.kind = have.kind = DD_POS_GTID;
	dd_gtid_parse("0-1-42", &want.gtids, err, sizeof(err));
	dd_gtid_parse("0-1-41", &have.gtids, err, sizeof(err));
	ok(!dd_rl_ryw_reached(&have, S(3), &want, S(2)), "ryw: GTID 0-1-41 has not reached 0-1-42");
	dd_gtid_parse("0-1-42,1-2-7", &have.gtids, err, sizeof(err));
	ok(dd_rl_ryw_reached(&have, S(3), &want, S(2)), "ryw: GTID 0-1-42,1-2-7 covers 0-1-42");
	have.kind = DD_POS_NONE;
	ok(!dd_rl_ryw_reached(&have, S(3), &want, S(2)),
	    "ryw: unknown replica position → not reached");
	dd_rl_fmt_pos(&have, b, sizeof(b));
	is_str(b, "unknown", "unknown position formatted");
}

static enum dd_breaker_state
bstate(struct dd_breaker *b)
{
	return dd_breaker_state(b);
}

static void
test_feed_breaker(void)
{
	struct dd_breaker_config cfg = {.threshold = 3, .recovery_ns = S(3600)};
	struct dd_breaker *b = dd_breaker_new("n1", &cfg, NULL);
	struct dd_breaker_stats st;

	/* Failures apart, with good probes between, never open it. */
	for (int round = 0; round < 5; round++) {
		dd_breaker_record_probe(b, false, true, "probe: no answer within 1000 ms");
		dd_breaker_record_probe(b, false, true, "probe: no answer within 1000 ms");
		dd_breaker_record_probe(b, true, false, "");
	}
	is_int(
	    bstate(b), DD_BREAKER_CLOSED, "breaker: 2 failures then a good probe, 5 times: closed");
	dd_breaker_stats(b, &st);
	is_int(st.consecutive_failures, 0, "breaker: a good probe ends the run of failures");
	is_int((long long)st.successes_total, 5,
	    "breaker: only probes that end a run count as successes");
	dd_breaker_record_probe(b, true, false, "");
	dd_breaker_stats(b, &st);
	is_int((long long)st.successes_total, 5,
	    "breaker: a good probe with no failure before is not counted");

	dd_breaker_record_probe(b, false, false, "syntax error");
	dd_breaker_record_probe(b, false, false, "syntax error");
	dd_breaker_record_probe(b, false, false, "syntax error");
	is_int(
	    bstate(b), DD_BREAKER_CLOSED, "breaker: errors that are not the node's do not count");

	for (int i = 0; i < 3; i++)
		dd_breaker_record_probe(b, false, true, "connection refused");
	is_int(bstate(b), DD_BREAKER_OPEN, "breaker: 3 consecutive node failures open it");
	dd_breaker_record_probe(b, true, false, "");
	is_int(bstate(b), DD_BREAKER_OPEN,
	    "breaker: a good probe does not close an open breaker early");
	dd_breaker_free(b);

	cfg.recovery_ns = 0;
	b = dd_breaker_new("n2", &cfg, NULL);
	for (int i = 0; i < 3; i++)
		dd_breaker_record_probe(b, false, true, "connection refused");
	dd_breaker_record_probe(b, true, false, "");
	is_int(bstate(b), DD_BREAKER_CLOSED,
	    "breaker: after the recovery time a good probe is the trial: closed");
	dd_breaker_free(b);
}

int
main(void)
{
	test_fmt();
	test_lag_pg();
	test_lag_mysql();
	test_lag_mysql_hist();
	test_read_set();
	test_round_robin();
	test_weighted();
	test_least_lag();
	test_ryw();
	test_feed_breaker();
	return tap_done();
}
