/*
 * rows_test.c: which rows the views show and in what order (tui/views/rows.c):
 * filter words, field:word, !word; sorting by every key both ways; query
 * ids that survive a new snapshot; events newest first.
 */
#include <string.h>

#include "console.h"
#include "fake_snap.h"
#include "tap.h"

static struct fake f;
static struct rowset r;

/* The pids of the filtered, sorted slow queries, as "101,202". */
static const char *
pids(const char *filter, enum qsort_key key, bool asc)
{
	static char buf[128];
	size_t n = 0;
	rows_queries(&f.s, filter, key, asc, &r);
	buf[0] = '\0';
	for (int i = 0; i < r.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld", i ? "," : "",
		    (long long)f.s.queries[r.idx[i]].pid);
	return buf;
}

static void
test_filter(void)
{
	is_str(pids("", QSORT_DURATION, false), "101,303,202", "no filter: all, longest first");
	is_str(pids("pg_sleep", QSORT_DURATION, false), "101", "a word matches the query text");
	is_str(pids("PG_SLEEP", QSORT_DURATION, false), "101", "case-insensitively");
	is_str(pids("user:bob", QSORT_DURATION, false), "202", "user:bob");
	is_str(pids("node:my", QSORT_DURATION, false), "303", "node:my (a substring of my2)");
	is_str(pids("cluster:pg", QSORT_DURATION, false), "101,202", "cluster:pg");
	is_str(pids("!bob", QSORT_DURATION, false), "101,303", "!bob excludes");
	is_str(pids("app select", QSORT_DURATION, false), "101,202", "two words must both match");
	is_str(pids("nothing-like-this", QSORT_DURATION, false), "", "no match: no rows");
	is_str(pids("zz:select", QSORT_DURATION, false), "",
	    "an unknown field name is searched as text");
	is_str(pids("state:active db:app", QSORT_DURATION, false), "101,303,202", "state: and db:");
}

static void
test_sort(void)
{
	is_str(pids("", QSORT_DURATION, true), "202,303,101", "duration ascending");
	is_str(pids("", QSORT_USER, true), "101,202,303", "user ascending (alice, bob, carol)");
	is_str(pids("", QSORT_USER, false), "303,202,101", "user descending");
	is_str(pids("", QSORT_NODE, true), "303,101,202", "node ascending (my2, pg1, pg2)");
	is_str(pids("", QSORT_PID, false), "303,202,101", "pid descending");
	is_str(pids("", QSORT_DATABASE, true), "101,303,202",
	    "equal keys fall back to the longest first");
}

static void
test_ids(void)
{
	uint64_t a = rows_query_id(&f.s, &f.queries[1]);
	struct fake g;
	fake_init(&g);
	g.queries[1].duration_s += 1;
	ok(rows_query_id(&g.s, &g.queries[1]) == a, "a query's id survives a new snapshot");
	g.queries[1].started_us += 1;
	ok(rows_query_id(&g.s, &g.queries[1]) != a,
	    "PostgreSQL: a new statement of the same pid has another id");
	uint64_t m = rows_query_id(&f.s, &f.queries[2]);
	g.queries[2].started_us += 3000;
	g.queries[2].started_wall_ms += 3;
	ok(rows_query_id(&g.s, &g.queries[2]) == m,
	    "MariaDB: a start that moves by a few ms keeps the id");
	g.queries[2].text_hash ^= 1;
	ok(rows_query_id(&g.s, &g.queries[2]) != m,
	    "MariaDB: another statement text is another id");
	is_int(rows_find_query(&f.s, a), 1, "found by id");
	is_int(rows_find_query(&f.s, 12345), -1, "an unknown id is not found");
	rows_nodes(&f.s, "role:primary", &r);
	ok(r.n == 2 && r.idx[0] == 0 && r.idx[1] == 3, "role:primary keeps pg1 and my1");
	rows_nodes(&f.s, "my", &r);
	is_int(r.n, 3, "'my' keeps the my cluster's three nodes");
}

static void
test_events(void)
{
	rows_events(&f.s, "", &r);
	ok(r.n == 2 && r.idx[0] == 1 && r.idx[1] == 0, "events newest first");
	rows_events(&f.s, "kind:alert", &r);
	ok(r.n == 1 && r.idx[0] == 1, "kind:alert");
	rows_alerts(&f.s, "pg3", &r);
	is_int(r.n, 1, "alerts filter by node");
	rows_alerts(&f.s, "!lag", &r);
	is_int(r.n, 0, "!lag hides the lag alert");
}

int
main(void)
{
	fake_init(&f);
	test_filter();
	test_sort();
	test_ids();
	test_events();
	rowset_free(&r);
	return tap_done();
}
