/*
 * replpos_test.c: LSN and MariaDB GTID parsing, formatting and comparison,
 * the read-your-writes predicate dd_repl_pos_reached(), and the buffered
 * result type the drivers return (NULL vs "" and lengths).
 */
#include <inttypes.h>
#include <string.h>

#include "dbdeck/driver.h"
#include "driver/driver_int.h"
#include "tap.h"

static void
test_lsn(void)
{
	uint64_t v = 0;
	char buf[32];

	ok(dd_lsn_parse("16/B374D848", &v) == 0 && v == 0x16B374D848ULL, "lsn 16/B374D848");
	ok(dd_lsn_parse("0/0", &v) == 0 && v == 0, "lsn 0/0");
	ok(dd_lsn_parse("FFFFFFFF/FFFFFFFF", &v) == 0 && v == UINT64_MAX, "lsn max");
	ok(dd_lsn_parse("0/3000060", &v) == 0 && v == 0x3000060, "lsn 0/3000060");
	ok(dd_lsn_parse("a/b", &v) == 0 && v == ((uint64_t)0xa << 32 | 0xb), "lsn lower case");
	ok(dd_lsn_parse("16B374D848", &v) < 0, "lsn without slash refused");
	ok(dd_lsn_parse("/1", &v) < 0, "lsn without high part refused");
	ok(dd_lsn_parse("1/", &v) < 0, "lsn without low part refused");
	ok(dd_lsn_parse("1/2x", &v) < 0, "lsn trailing garbage refused");
	ok(dd_lsn_parse("123456789/0", &v) < 0, "lsn 9 hex digits refused");
	ok(dd_lsn_parse("", &v) < 0, "lsn empty refused");
	ok(dd_lsn_parse(NULL, &v) < 0, "lsn NULL refused");
	dd_lsn_format(0x16B374D848ULL, buf, sizeof(buf));
	is_str(buf, "16/B374D848", "lsn format");
	dd_lsn_format(0, buf, sizeof(buf));
	is_str(buf, "0/0", "lsn format zero");
}

static void
test_gtid_parse(void)
{
	struct dd_gtid_set s;
	char err[128], buf[256];

	ok(dd_gtid_parse("0-1-42", &s, err, sizeof(err)) == 0 && s.n == 1 &&
	        s.gtid[0].domain == 0 && s.gtid[0].server_id == 1 && s.gtid[0].seq == 42,
	    "gtid single");
	ok(dd_gtid_parse("0-1-42,1-2-7", &s, err, sizeof(err)) == 0 && s.n == 2 &&
	        dd_gtid_set_seq(&s, 1) == 7 && dd_gtid_set_seq(&s, 0) == 42,
	    "gtid two domains");
	ok(dd_gtid_parse(" 0-1-42 ,\n 1-2-7\n", &s, err, sizeof(err)) == 0 && s.n == 2,
	    "gtid with blanks and newlines");
	ok(dd_gtid_parse("", &s, err, sizeof(err)) == 0 && s.n == 0, "gtid empty");
	ok(dd_gtid_parse(NULL, &s, err, sizeof(err)) == 0 && s.n == 0, "gtid NULL = empty");
	ok(dd_gtid_parse("0-1-5,0-2-9", &s, err, sizeof(err)) == 0 && s.n == 1 &&
	        dd_gtid_set_seq(&s, 0) == 9 && s.gtid[0].server_id == 2,
	    "gtid repeated domain keeps highest seq");
	ok(dd_gtid_parse("0-1-18446744073709551615", &s, err, sizeof(err)) == 0 &&
	        s.gtid[0].seq == UINT64_MAX,
	    "gtid max seq");
	ok(dd_gtid_parse("0-1-18446744073709551616", &s, err, sizeof(err)) < 0,
	    "gtid seq overflow refused");
	ok(dd_gtid_parse("4294967296-1-1", &s, err, sizeof(err)) < 0,
	    "gtid domain overflow refused");
	ok(dd_gtid_parse("0-1", &s, err, sizeof(err)) < 0, "gtid missing seq refused");
	ok(dd_gtid_parse("0-1-x", &s, err, sizeof(err)) < 0, "gtid non-numeric refused");
	ok(dd_gtid_parse("0-1-2;1-1-1", &s, err, sizeof(err)) < 0, "gtid bad separator refused");
	ok(dd_gtid_parse("-1-1-2", &s, err, sizeof(err)) < 0, "gtid negative refused");
	ok(dd_gtid_parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", &s, err, sizeof(err)) < 0,
	    "MySQL UUID GTID refused");
	ok(strlen(err) > 0, "gtid error has a reason");
	ok(dd_gtid_parse("0-1-1,1-1-1,2-1-1,3-1-1,4-1-1,5-1-1,6-1-1,7-1-1,8-1-1,9-1-1,"
	                 "10-1-1,11-1-1,12-1-1,13-1-1,14-1-1,15-1-1,16-1-1",
	       &s, err, sizeof(err)) < 0,
	    "gtid more than 16 domains refused");
	dd_gtid_parse("0-1-42,1-2-7", &s, NULL, 0);
	dd_gtid_set_format(&s, buf, sizeof(buf));
	is_str(buf, "0-1-42,1-2-7", "gtid format round trip");
	dd_gtid_set_format(&s, buf, 5);
	ok(strlen(buf) < 5, "gtid format truncates safely");
}

static struct dd_gtid_set
gset(const char *s)
{
	struct dd_gtid_set set;

	if (dd_gtid_parse(s, &set, NULL, 0) < 0)
		bail_out("test GTID '%s' does not parse", s);
	return set;
}

static void
test_gtid_covers(void)
{
	struct dd_gtid_set have = gset("0-1-100,1-2-50"), want;

	want = gset("0-1-100");
	ok(dd_gtid_set_covers(&have, &want), "covers: equal seq");
	want = gset("0-1-99");
	ok(dd_gtid_set_covers(&have, &want), "covers: lower seq");
	want = gset("0-1-101");
	ok(!dd_gtid_set_covers(&have, &want), "not covers: higher seq");
	want = gset("0-3-100");
	ok(dd_gtid_set_covers(&have, &want), "covers: server id does not matter");
	want = gset("0-1-100,1-2-51");
	ok(!dd_gtid_set_covers(&have, &want), "not covers: one domain behind");
	want = gset("2-1-1");
	ok(!dd_gtid_set_covers(&have, &want), "not covers: missing domain");
	want = gset("");
	ok(dd_gtid_set_covers(&have, &want), "covers: empty want");
	have = gset("");
	want = gset("0-1-1");
	ok(!dd_gtid_set_covers(&have, &want), "not covers: empty have");
}

static void
test_pos_reached(void)
{
	struct dd_repl_pos have = {0}, want = {0};

	ok(dd_repl_pos_reached(&have, &want), "reached: want unknown");
	want.kind = DD_POS_LSN;
	want.lsn = 100;
	ok(!dd_repl_pos_reached(&have, &want), "not reached: have unknown");
	have.kind = DD_POS_LSN;
	have.lsn = 99;
	ok(!dd_repl_pos_reached(&have, &want), "not reached: lsn behind");
	have.lsn = 100;
	ok(dd_repl_pos_reached(&have, &want), "reached: lsn equal");
	have.lsn = 101;
	ok(dd_repl_pos_reached(&have, &want), "reached: lsn ahead");
	have.kind = DD_POS_GTID;
	ok(!dd_repl_pos_reached(&have, &want), "not reached: kinds differ");
	want.kind = DD_POS_GTID;
	want.gtids = gset("0-1-5");
	have.gtids = gset("0-1-6");
	ok(dd_repl_pos_reached(&have, &want), "reached: gtid ahead");
	have.gtids = gset("0-1-4");
	ok(!dd_repl_pos_reached(&have, &want), "not reached: gtid behind");
}

static void
test_result(void)
{
	struct dd_result *r = drv_result_new(3);
	const char *row1[3] = {"1", NULL, ""};
	const char *row2[3] = {"a\0b", "x", "yz"};
	size_t len2[3] = {3, 1, 2};

	drv_result_set_colname(r, 0, "id");
	drv_result_set_colname(r, 1, "name");
	drv_result_set_colname(r, 2, "note");
	drv_result_add_row(r, row1, NULL);
	drv_result_add_row(r, row2, len2);
	for (int i = 0; i < 40; i++)
		drv_result_add_row(r, row1, NULL);
	drv_result_set_affected(r, 42);
	is_int(dd_result_nrows(r), 42, "result rows (grown past the first block)");
	is_int(dd_result_ncols(r), 3, "result cols");
	is_str(dd_result_colname(r, 1), "name", "result column name");
	ok(dd_result_colname(r, 3) == NULL, "result column out of range is NULL");
	is_int(dd_result_colindex(r, "note"), 2, "result column index");
	is_int(dd_result_colindex(r, "nope"), -1, "result unknown column");
	ok(dd_result_is_null(r, 0, 1) && dd_result_value(r, 0, 1) == NULL, "NULL stays NULL");
	ok(!dd_result_is_null(r, 0, 2) && strcmp(dd_result_value(r, 0, 2), "") == 0,
	    "empty string is not NULL");
	is_int((long long)dd_result_length(r, 1, 0), 3, "binary value keeps its length");
	ok(memcmp(dd_result_value(r, 1, 0), "a\0b", 3) == 0, "binary value bytes");
	ok(dd_result_value(r, 42, 0) == NULL && dd_result_value(r, -1, 0) == NULL,
	    "row out of range is NULL");
	is_int(dd_result_affected(r), 42, "affected rows");
	dd_result_free(r);
	dd_result_free(NULL);
	r = drv_result_new(0);
	is_int(dd_result_nrows(r), 0, "empty result has no rows");
	dd_result_free(r);
}

int
main(void)
{
	test_lsn();
	test_gtid_parse();
	test_gtid_covers();
	test_pos_reached();
	test_result();
	return tap_done();
}
