/*
 * sqlnorm_test.c: dd_sql_normalize keeps the shape of a statement and drops
 * every value: strings of both engines, numbers, dollar quotes, comments
 * (512 bytes: the size of the pool's slow-query entries, DD_POOL_SQL_MAX).
 */
#include <string.h>

#include "dbdeck/text.h"
#include "tap.h"

static void
check(enum dd_engine e, const char *sql, const char *want)
{
	char out[512];

	dd_sql_normalize(e, sql, out, sizeof(out));
	is_str(out, want, sql);
}

int
main(void)
{
	enum dd_engine pg = DD_ENGINE_POSTGRESQL, my = DD_ENGINE_MARIADB;
	char small[8];

	check(pg, "SELECT pg_sleep(0.2)", "SELECT pg_sleep(?)");
	check(pg, "select * from t where name = 'O''Brien' and id=42",
	    "select * from t where name = ? and id=?");
	check(pg, "select 'a\\' , secret", "select ? , secret");
	check(pg, "select E'it\\'s', x", "select E?, x");
	check(pg, "select \"Col1\" from t1 where c2 = -3.5e+10",
	    "select \"Col1\" from t1 where c2 = -?");
	check(
	    pg, "select $1, $body$ secret $x$ $body$, $$ more $$ from t", "select $1, ?, ? from t");
	check(pg, "select 1 -- card 4111111111111111\n from t", "select ? from t");
	check(pg, "select /* a /* nested */ 123 */ 7", "select ?");
	check(pg, "  select\n\t  x  ,y  ", "select x ,y");
	check(pg, "select x from t where y = 'unterminated secret", "select x from t where y = ?");
	check(pg, "insert into t values (.5, 0x1F, 1_000)", "insert into t values (?, ?, ?)");
	check(my, "SELECT * FROM t WHERE a = \"secret\" AND b = 'it\\'s' AND c = 7",
	    "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?");
	check(my, "SELECT `col 1` FROM t # 4111 1111\nWHERE x = 1",
	    "SELECT `col 1` FROM t WHERE x = ?");
	check(my, "SELECT SLEEP(0.2), x'ABCD', ?", "SELECT SLEEP(?), x?, ?");
	check(my, "SET @x = 12, SESSION sql_mode = 'ANSI'", "SET @x = ?, SESSION sql_mode = ?");
	check(pg, "", "");
	dd_sql_normalize(pg, "select 'secret' from tablename", small, sizeof(small));
	is_str(small, "select ", "truncated to the buffer");
	dd_sql_normalize(pg, NULL, small, sizeof(small));
	is_str(small, "", "NULL statement");
	return tap_done();
}
