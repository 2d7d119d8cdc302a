/*
 * driver_mysql_probe.c: the MariaDB/MySQL role probe and write position,
 * the SQL half of dd_conn_probe_role / dd_conn_write_position for
 * dd_driver_mysql (the I/O goes through drv_my_query in driver_mysql.c).
 *
 * Rule: a node with a replica status row is a replica, any other node a
 * primary; @@read_only is reported beside it. MariaDB and MySQL < 8.0.22 say
 * SHOW SLAVE STATUS, MySQL >= 8.0.22 SHOW REPLICA STATUS with renamed
 * columns, chosen by the version stored at connect. GTID lists are parsed in
 * MariaDB's domain-server-seq form; MySQL's UUID GTID sets are kept as text
 * only (MySQL is not tested here).
 */
#include "driver/driver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/text.h"
#include "util/util.h"

/* The value in row 0 of the first column named a (or b); NULL if absent/NULL. */
static const char *
col_value(const struct dd_result *r, const char *a, const char *b)
{
	int i = dd_result_colindex(r, a);

	if (i < 0 && b)
		i = dd_result_colindex(r, b);
	return i < 0 ? NULL : dd_result_value(r, 0, i);
}

static void
copy_text(char *dst, size_t len, const char *src)
{
	dd_strlcpy(dst, src ? src : "", len);
}

/* Parses text into set; an unparsable list leaves set empty. */
static void
parse_set(const char *text, struct dd_gtid_set *set)
{
	if (dd_gtid_parse(text, set, NULL, 0) < 0)
		memset(set, 0, sizeof(*set));
}

static bool
yes(const char *v)
{
	return v && strcasecmp(v, "Yes") == 0;
}

/* The four variables of probe_vars from row 0 of r, columns off.. (checked by the caller). */
static void
vars_read(const struct dd_result *r, int off, struct dd_role_info *out)
{
	const char *ro = dd_result_value(r, 0, off);

	out->read_only = ro && atoi(ro) != 0;
	copy_text(
	    out->gtid_binlog_pos, sizeof(out->gtid_binlog_pos), dd_result_value(r, 0, off + 1));
	copy_text(out->gtid_slave_pos, sizeof(out->gtid_slave_pos), dd_result_value(r, 0, off + 2));
	copy_text(
	    out->gtid_current_pos, sizeof(out->gtid_current_pos), dd_result_value(r, 0, off + 3));
	parse_set(out->gtid_binlog_pos, &out->binlog_set);
	parse_set(out->gtid_slave_pos, &out->slave_set);
	parse_set(out->gtid_current_pos, &out->current_set);
}

/* The role variables, as a select list. */
static const char *
vars_of(const struct dd_conn *c)
{
	return c->mariadb ? "@@read_only, @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos"
	                  : "@@read_only, @@global.gtid_executed, '', @@global.gtid_executed";
}

static int
probe_vars(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	struct dd_result *r = NULL;
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT %s", vars_of(c));
	if (drv_my_query(c, sql, deadline_ns, &r, err) < 0)
		return -1;
	if (dd_result_nrows(r) != 1 || dd_result_ncols(r) != 4) {
		dd_result_free(r);
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "role probe: unexpected result");
		return -1;
	}
	vars_read(r, 0, out);
	dd_result_free(r);
	return 0;
}

static void
fill_replica_status(const struct dd_result *r, struct dd_role_info *out)
{
	const char *v;

	out->has_replica_status = true;
	out->io_running = yes(col_value(r, "Slave_IO_Running", "Replica_IO_Running"));
	out->sql_running = yes(col_value(r, "Slave_SQL_Running", "Replica_SQL_Running"));
	v = col_value(r, "Seconds_Behind_Master", "Seconds_Behind_Source");
	out->seconds_behind = v ? strtoll(v, NULL, 10) : -1;
	copy_text(
	    out->source_host, sizeof(out->source_host), col_value(r, "Master_Host", "Source_Host"));
	v = col_value(r, "Master_Port", "Source_Port");
	out->source_port = v ? atoi(v) : 0;
	copy_text(
	    out->last_sql_error, sizeof(out->last_sql_error), col_value(r, "Last_SQL_Error", NULL));
	copy_text(
	    out->last_io_error, sizeof(out->last_io_error), col_value(r, "Last_IO_Error", NULL));
	/* A failed replicated statement is quoted in full: mask a password in it. */
	dd_text_redact_secrets(out->last_sql_error, sizeof(out->last_sql_error));
	dd_text_redact_secrets(out->last_io_error, sizeof(out->last_io_error));
	copy_text(out->gtid_io_pos, sizeof(out->gtid_io_pos),
	    col_value(r, "Gtid_IO_Pos", "Retrieved_Gtid_Set"));
	parse_set(out->gtid_io_pos, &out->io_set);
}

static int
probe_status(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	bool replica_words = !c->mariadb && c->version >= 80022;
	struct dd_result *r = NULL;

	if (drv_my_query(c, replica_words ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS",
	        deadline_ns, &r, err) < 0)
		return -1;
	if (dd_result_nrows(r) > 0)
		fill_replica_status(r, out);
	dd_result_free(r);
	return 0;
}

/* The role as probed, from what probe_vars and probe_status filled. */
static void
role_settle(struct dd_conn *c, struct dd_role_info *out)
{
	out->role = out->has_replica_status ? DD_ROLE_REPLICA : DD_ROLE_PRIMARY;
	if (out->current_set.n > 0) {
		out->applied.kind = DD_POS_GTID;
		out->applied.gtids = out->current_set;
	} else if (out->binlog_set.n > 0) {
		out->applied.kind = DD_POS_GTID;
		out->applied.gtids = out->binlog_set;
	} else if (c->mariadb) {
		/* No GTID yet: an empty position, reached by every want of nothing. */
		out->applied.kind = DD_POS_GTID;
	}
}

int
drv_my_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	if (probe_vars(c, deadline_ns, out, err) < 0 || probe_status(c, deadline_ns, out, err) < 0)
		return -1;
	role_settle(c, out);
	return 0;
}

/*
 * No probe_role_with here: the monitor's round wrapped in a derived table
 * with the role variables appended crashed MariaDB 10.11 (signal 11 in the
 * server, 201 nodes over three servers), so on MariaDB the role probe stays
 * its own two statements, on the same connection in the same round
 * (dd_conn_probe_role_with's fallback).
 */

int
drv_my_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err)
{
	struct dd_result *r = NULL;
	const char *last, *binlog;
	int rc = 0;

	if (!c->mariadb) {
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0,
		    "write position: MySQL GTID sets are not supported");
		return -1;
	}
	if (drv_my_query(c, "SELECT @@last_gtid, @@gtid_binlog_pos", deadline_ns, &r, err) < 0)
		return -1;
	last = dd_result_value(r, 0, 0);
	binlog = dd_result_value(r, 0, 1);
	out->kind = DD_POS_GTID;
	if (dd_gtid_parse(last && *last ? last : binlog, &out->gtids, err->message,
	        sizeof(err->message)) < 0) {
		err->cls = DD_ERR_PERMANENT;
		out->kind = DD_POS_NONE;
		rc = -1;
	}
	dd_result_free(r);
	return rc;
}
