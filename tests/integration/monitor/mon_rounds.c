/*
 * mon_rounds.c: one probe round per node per interval (issue 14). A core
 * and its monitor watch both harness clusters at a 500 ms refresh for 8 s,
 * while this test counts, on the servers themselves, the probe statements
 * that one replica of each engine receives:
 *   pg2  the calls of statements that read pg_is_in_recovery()
 *        (pg_stat_statements; both the router's role probe and the
 *        monitor's round did, each on its own connection);
 *   my3  Com_select (the router's role variables and the monitor's round
 *        were one SELECT each) and Com_show_slave_status.
 * Per interval a node now gets one round: on PostgreSQL one statement (two
 * before, one per prober). On MariaDB the round keeps its three statements
 * (the monitor's SELECT, the role variables, SHOW SLAVE STATUS) on one
 * connection: folding the first two into one crashed MariaDB 10.11 (see
 * driver_mysql_probe.c); the counts there guard against more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbdeck/driver.h"
#include "dbdeck/util.h"
#include "mt_common.h"
#include "tap.h"

#define REFRESH_MS 500
#define WINDOW_MS  8000

static struct dd_conn *
open_node(struct mt *t, const char *node, enum dd_engine engine)
{
	struct dd_conn_params p = {
	    .host = t->h.host,
	    .port = dd_harness_port(&t->h, node),
	    .database = t->h.database,
	    .user = t->h.user,
	    .password = it_password(&t->h),
	    .tls = DD_TLS_DISABLE,
	    .application_name = "mon_rounds",
	    .connect_timeout_ms = 5000,
	};
	struct dd_db_error err;
	struct dd_conn *c = NULL;

	dd_db_error_clear(&err);
	if (dd_conn_open(engine, &p, dd_now_mono_ns() + INT64_C(5000000000), &c, &err) != 0)
		bail_out("connect to %s: %s", node, err.message);
	return c;
}

/* The sum of the first column over the rows of sql (-1 on failure). */
static long long
count(struct dd_conn *c, const char *sql, int col)
{
	struct dd_db_error err;
	struct dd_result *r = NULL;
	long long n = 0;

	dd_db_error_clear(&err);
	if (dd_conn_query(c, sql, dd_now_mono_ns() + INT64_C(5000000000), &r, &err) != 0) {
		diag("%s: %s", sql, err.message);
		return -1;
	}
	for (int i = 0; i < dd_result_nrows(r); i++)
		n += dd_result_value(r, i, col) ? atoll(dd_result_value(r, i, col)) : 0;
	dd_result_free(r);
	return n;
}

static const char pg_sql[] =
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
    " WHERE query LIKE '%pg_is_in_recovery()%' AND query NOT LIKE '%sum(calls) FROM pg_stat%'";
static const char my_sel_sql[] = "SHOW GLOBAL STATUS WHERE Variable_name = 'Com_select'";
static const char my_show_sql[] =
    "SHOW GLOBAL STATUS WHERE Variable_name = 'Com_show_slave_status'";

int
main(void)
{
	struct mt t;
	struct dd_conn *pg, *my;
	long long pg0, sel0, show0, pg1, sel1, show1;
	int64_t t0;
	double intervals, ms;
	int snaps = 0;

	mt_setup(&t, REFRESH_MS, NULL);
	pg = open_node(&t, "pg2", DD_ENGINE_POSTGRESQL);
	my = open_node(&t, "my3", DD_ENGINE_MARIADB);
	pg0 = count(pg, pg_sql, 0);
	sel0 = count(my, my_sel_sql, 1);
	show0 = count(my, my_show_sql, 1);
	t0 = it_now_ms();
	while (it_now_ms() - t0 < WINDOW_MS) {
		const struct dd_snapshot *s = mt_next(&t, 2000);
		snaps += s != NULL;
		dd_snapshot_unref(s);
	}
	pg1 = count(pg, pg_sql, 0);
	sel1 = count(my, my_sel_sql, 1);
	show1 = count(my, my_show_sql, 1);
	ms = (double)(it_now_ms() - t0);
	intervals = ms / REFRESH_MS;
	diag("%.0f ms, %.1f intervals, %d snapshots; pg2: %lld probe statements; my3: %lld "
	     "SELECT, %lld SHOW SLAVE STATUS",
	    ms, intervals, snaps, pg1 - pg0, sel1 - sel0, show1 - show0);
	ok(pg0 >= 0 && pg1 >= 0 && sel0 >= 0 && sel1 >= 0, "the counters could be read");
	ok(snaps >= intervals * 0.7, "the monitor published every interval (%d snapshots)", snaps);
	ok((pg1 - pg0) <= intervals * 1.3 && (pg1 - pg0) >= intervals * 0.7,
	    "pg2 got one probe statement per interval (%.2f)", (double)(pg1 - pg0) / intervals);
	/* the monitor's top statements (every 2 s here) are one SELECT more every 4 intervals */
	ok((sel1 - sel0) <= intervals * 2.6 && (sel1 - sel0) >= intervals * 1.4,
	    "my3 got two SELECTs per interval (%.2f, digests included)",
	    (double)(sel1 - sel0) / intervals);
	ok((show1 - show0) <= intervals * 1.3, "my3 got one SHOW SLAVE STATUS per interval (%.2f)",
	    (double)(show1 - show0) / intervals);
	dd_conn_close(pg, dd_now_mono_ns() + 100000000);
	dd_conn_close(my, dd_now_mono_ns() + 100000000);
	mt_teardown(&t);
	return tap_done();
}
