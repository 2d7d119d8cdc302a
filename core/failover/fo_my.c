/*
 * fo_my.c: MariaDB's half of switchover and failover (one const table,
 * fo_engine_my), all over SQL, after MaxScale's documented sequence with
 * orchestrator's undo rule.
 *
 *   fence     SET GLOBAL read_only = 1 (needs READ_ONLY ADMIN, which also
 *             lets its holders write: so every client session is ended, not
 *             only theirs), then @@gtid_binlog_pos read until stable
 *   prepare   switchover, before writes are held: the candidate catches up
 *             while writes still flow (rounds of MASTER_GTID_WAIT, bounded)
 *   catch-up  switchover: MASTER_GTID_WAIT(that position) on the candidate;
 *             failover: no other replica has received more (Gtid_IO_Pos),
 *             and the candidate's SQL thread has applied all its IO thread
 *             received (RESET SLAVE ALL discards what it has not)
 *   promote   STOP SLAVE (slow on a semi-sync replica whose master is gone),
 *             RESET SLAVE ALL, SET GLOBAL read_only = 0
 *   repoint   STOP SLAVE; CHANGE MASTER TO host, port [, user, password of
 *             replication_credential], MASTER_USE_GTID = slave_pos; START
 *             SLAVE. The statement is built in secure memory and its error
 *             keeps no quoted text.
 *   demote    (switchover) the old primary, still read_only: gtid_slave_pos
 *             set to its own binlog position, then repointed the same way
 *   semi-sync the master side of semi-synchronous replication moves with
 *             the primary: on on the promoted node, off on the demoted one
 *             (left on, a replica's SQL thread would wait for acknowledgements
 *             of its own commits from replicas it does not have)
 * Undo: read_only = 0 on the old primary when the promotion did not happen.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

#define CM_MAX 1024

static int
my_inspect(struct dd_fo_plan *p, struct fo_node *n, int64_t deadline)
{
	struct dd_db_error e;
	struct dd_result *r = NULL;
	char v[16], err[160];
	int col;

	(void)p;
	if (fo_value(n->conn, "SELECT @@log_slave_updates", deadline, v, sizeof(v), n->error,
	        sizeof(n->error)) != 0)
		return -1;
	n->log_slave_updates = v[0] == '1';
	if (fo_value(n->conn,
	        "SELECT CONCAT(@@rpl_semi_sync_master_enabled, "
	        "@@rpl_semi_sync_slave_enabled)",
	        deadline, v, sizeof(v), err, sizeof(err)) == 0) {
		n->semi_master = v[0] == '1';
		n->semi_slave = v[0] && v[1] == '1';
	}
	/* a no-op set that still checks the privilege (READ_ONLY ADMIN, or SUPER before 10.11) */
	n->may_read_only = fo_exec(n->conn, "SET GLOBAL read_only = @@global.read_only", deadline,
	                       err, sizeof(err)) == 0;
	if (n->info.has_replica_status) {
		dd_strlcpy(n->up_host, n->info.source_host, sizeof(n->up_host));
		n->up_port = n->info.source_port;
	}
	dd_db_error_clear(&e);
	if (dd_conn_query(n->conn, "SHOW SLAVE STATUS", deadline, &r, &e) == 0 &&
	    dd_result_nrows(r) >= 1 && (col = dd_result_colindex(r, "Using_Gtid")) >= 0)
		dd_strlcpy(n->using_gtid, fo_text(r, 0, col, ""), sizeof(n->using_gtid));
	dd_result_free(r);
	return 0;
}

static void
my_check_lag(struct dd_fo_plan *p, const struct fo_node *c)
{
	const struct fo_node *pri = &p->nodes[p->primary];
	int64_t s = c->info.seconds_behind;

	if (dd_gtid_set_covers(&c->info.current_set, &pri->info.binlog_set))
		fo_check(p, "lag", DD_FO_CHECK_OK, false, "%s has applied all of %s (%s)",
		    c->nc->name, pri->nc->name, pri->info.gtid_binlog_pos);
	else if (s < 0)
		fo_check(p, "lag", DD_FO_CHECK_FAIL, true, "%s's lag is unknown", c->nc->name);
	else if (s * 1000 > p->cc->lag_max_ms)
		fo_check(p, "lag", DD_FO_CHECK_FAIL, true,
		    "%s is %lld s behind, beyond lag_max %.1f s", c->nc->name, (long long)s,
		    (double)p->cc->lag_max_ms / 1000);
	else
		fo_check(p, "lag", DD_FO_CHECK_OK, false, "%s is %lld s behind, within lag_max",
		    c->nc->name, (long long)s);
}

static void
my_check_gtid(struct dd_fo_plan *p)
{
	char bad[160] = "";

	for (size_t i = 0; i < p->n; i++) {
		const struct fo_node *n = &p->nodes[i];
		if (!n->reachable || !n->info.has_replica_status ||
		    (n->using_gtid[0] && strcmp(n->using_gtid, "No") != 0))
			continue;
		size_t used = strlen(bad);
		snprintf(bad + used, sizeof(bad) - used, "%s%s", used ? ", " : "", n->nc->name);
	}
	if (bad[0])
		fo_check(p, "gtid", DD_FO_CHECK_FAIL, false,
		    "%s replicate without GTID (Using_Gtid = No): CHANGE MASTER TO "
		    "MASTER_USE_GTID = slave_pos first",
		    bad);
	else
		fo_check(p, "gtid", DD_FO_CHECK_OK, false, "every replica uses GTID");
}

static void
my_check_privileges(struct dd_fo_plan *p)
{
	int need[2] = {p->candidate, p->action == DD_FO_SWITCHOVER ? p->primary : -1};

	for (int k = 0; k < 2; k++) {
		const struct fo_node *n = need[k] >= 0 ? &p->nodes[need[k]] : NULL;
		if (n && n->reachable && !n->may_read_only) {
			fo_check(p, "privilege", DD_FO_CHECK_FAIL, false,
			    "the action credential may not SET GLOBAL read_only on %s (it needs "
			    "READ_ONLY ADMIN: set admin_credential to an account that has it)",
			    n->nc->name);
			return;
		}
	}
	fo_check(p, "privilege", DD_FO_CHECK_OK, false, "the action credential may set read_only");
}

/* Whether the cluster replicates semi-synchronously (its master side then moves). */
static bool
my_semisync(const struct dd_fo_plan *p)
{
	if (p->action == DD_FO_SWITCHOVER && p->primary >= 0)
		return p->nodes[p->primary].semi_master;
	return p->candidate >= 0 && p->nodes[p->candidate].semi_slave;
}

static void
my_checks(struct dd_fo_plan *p)
{
	my_check_gtid(p);
	if (p->candidate < 0 || !p->nodes[p->candidate].reachable ||
	    p->nodes[p->candidate].info.role != DD_ROLE_REPLICA)
		return;
	const struct fo_node *c = &p->nodes[p->candidate];
	if (c->log_slave_updates)
		fo_check(
		    p, "binlog", DD_FO_CHECK_OK, false, "%s has log_slave_updates", c->nc->name);
	else
		fo_check(p, "binlog", DD_FO_CHECK_FAIL, false,
		    "%s has log_slave_updates off: the other replicas could not follow it",
		    c->nc->name);
	if (p->action == DD_FO_SWITCHOVER && !(c->info.io_running && c->info.sql_running))
		fo_check(p, "threads", DD_FO_CHECK_FAIL, false,
		    "%s: replication threads not both running (IO %s, SQL %s)", c->nc->name,
		    c->info.io_running ? "yes" : "no", c->info.sql_running ? "yes" : "no");
	else if (!c->info.sql_running)
		fo_check(p, "threads", DD_FO_CHECK_FAIL, false,
		    "%s: the SQL thread is stopped (START SLAVE SQL_THREAD, or choose another)",
		    c->nc->name);
	else
		fo_check(p, "threads", DD_FO_CHECK_OK, false, "%s: replication threads run",
		    c->nc->name);
	if (p->action == DD_FO_SWITCHOVER && p->primary >= 0)
		my_check_lag(p, c);
	my_check_privileges(p);
	if (my_semisync(p))
		fo_check(p, "semisync", DD_FO_CHECK_OK, false,
		    "semi-synchronous replication: its master side moves to %s", c->nc->name);
	if (p->repl_user)
		fo_check(p, "replication", DD_FO_CHECK_OK, false,
		    "replicas connect as %s (replication_credential)", p->repl_user);
	else if (p->action == DD_FO_SWITCHOVER)
		fo_check(p, "replication", DD_FO_CHECK_FAIL, false,
		    "no replication_credential: the old primary cannot be made a replica");
	else
		fo_check(p, "replication", DD_FO_CHECK_WARN, false,
		    "no replication_credential: the replicas keep their replication account");
}

/* ---- steps ---- */

/* Ends every client session on c's server but c and our lock session. */
static int
my_end_sessions(struct dd_fo_plan *p, int node, struct dd_conn *c, char *err, size_t len)
{
	struct dd_db_error e;
	struct dd_result *r = NULL;
	char sql[512];
	long long lock_id =
	    p->nodes[node].lock ? (long long)dd_conn_backend_id(p->nodes[node].lock) : -1;
	int killed = 0;

	snprintf(sql, sizeof(sql),
	    "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND ID <> "
	    "%lld"
	    " AND COMMAND NOT IN ('Binlog Dump', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker')"
	    " AND USER NOT IN ('system user', 'event_scheduler')",
	    lock_id);
	dd_db_error_clear(&e);
	if (dd_conn_query(c, sql, fo_deadline(p), &r, &e) != 0) {
		dd_seterr(err, len, "listing sessions: %s", e.message);
		return -1;
	}
	for (int i = 0; i < dd_result_nrows(r); i++) {
		snprintf(sql, sizeof(sql), "KILL CONNECTION %s", fo_text(r, i, 0, "0"));
		killed += fo_exec(c, sql, fo_deadline(p), err, len) == 0;
	}
	dd_result_free(r);
	fo_log(p, "%s: read_only; %d client sessions ended", fo_name(p, node), killed);
	return 0;
}

static int
my_fence(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);
	char prev[256] = "-";

	if (!c || fo_exec(c, "SET GLOBAL read_only = 1", deadline, err, len) != 0 ||
	    my_end_sessions(p, s->node, c, err, len) != 0)
		return -1;
	for (int i = 0; i < 50; i++) {
		if (fo_value(c, "SELECT @@gtid_binlog_pos", deadline, p->target_gtid,
		        sizeof(p->target_gtid), err, len) != 0)
			return -1;
		if (strcmp(prev, p->target_gtid) == 0)
			break;
		dd_strlcpy(prev, p->target_gtid, sizeof(prev));
		if (fo_nap(p, 20)) {
			dd_seterr(err, len, "cancelled");
			return -1;
		}
	}
	fo_log(p, "%s: gtid_binlog_pos %s", fo_name(p, s->node), p->target_gtid);
	return 0;
}

static int
my_unfence(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);

	return c ? fo_exec(c, "SET GLOBAL read_only = 0", fo_deadline(p), err, len) : -1;
}

/* MASTER_GTID_WAIT(pos, switchover_timeout) on node: 0 reached, -1 not. */
static int
my_wait_gtid(struct dd_fo_plan *p, int node, const char *pos, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, node, err, len);
	char sql[400] = "SELECT MASTER_GTID_WAIT(", v[16];
	int secs = (int)(p->cc->switchover_timeout_ms / 1000);

	if (!c)
		return -1;
	fo_quote(sql, sizeof(sql), pos, true);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ", %d)", secs);
	if (fo_value(c, sql, fo_deadline(p) + INT64_C(5000000000), v, sizeof(v), err, len) != 0)
		return -1;
	if (strcmp(v, "0") != 0) {
		dd_seterr(err, len, "%s did not reach %s within switchover_timeout",
		    fo_name(p, node), pos);
		return -1;
	}
	return 0;
}

/*
 * Switchover, before writes are held: rounds of MASTER_GTID_WAIT on the
 * candidate for the primary's gtid_binlog_pos of that moment, while writes
 * still flow. Each round leaves only what was written during it, so when
 * the candidate applies faster than the primary writes, the backlog it must
 * apply after the fence shrinks from what a full-speed writer keeps queued
 * (seconds, on a loaded host) to one short round's worth. Stops when a
 * round took under PREP_CLOSE_NS, when two rounds in a row did not shrink
 * (the candidate does not gain: the catch-up step waits), or after
 * PREP_MAX_NS (at most half of switchover_timeout).
 */
#define PREP_MAX_NS   INT64_C(10000000000)
#define PREP_CLOSE_NS INT64_C(40000000)
#define PREP_ROUNDS   30

struct prep_conns {
	struct dd_conn *pri, *cand;
};

/* One round: the candidate reaches the primary's position of now; its duration, -1 failed. */
static int64_t my_prepare_round(struct prep_conns *pc, int64_t end, char *err, size_t len);

static void
my_prepare(struct dd_fo_plan *p)
{
	int64_t start = dd_now_mono_ns(), end = start + PREP_MAX_NS, took = -1, prev = INT64_MAX;
	int round = 0, worse = 0;
	char err[160] = "";
	struct prep_conns pc;

	if (p->cc->switchover_timeout_ms * INT64_C(500000) < PREP_MAX_NS)
		end = start + p->cc->switchover_timeout_ms * INT64_C(500000);
	if (p->action != DD_FO_SWITCHOVER || p->primary < 0 || p->candidate < 0 ||
	    (pc.pri = fo_conn(p, p->primary, err, sizeof(err))) == NULL ||
	    (pc.cand = fo_conn(p, p->candidate, err, sizeof(err))) == NULL)
		return;
	while (round < PREP_ROUNDS && dd_now_mono_ns() < end && !dd_job_cancelled(p->job)) {
		round++;
		if ((took = my_prepare_round(&pc, end, err, sizeof(err))) < 0 ||
		    took < PREP_CLOSE_NS)
			break;
		worse = took >= prev ? worse + 1 : 0;
		prev = took;
		if (worse == 2)
			break;
	}
	if (took >= 0 && took < PREP_CLOSE_NS)
		fo_log(p, "%s caught up while writes flowed: %d round(s) in %.3f s",
		    fo_name(p, p->candidate), round, (double)(dd_now_mono_ns() - start) / 1e9);
	else
		fo_log(p,
		    "%s still behind after %d round(s) in %.3f s (%s): the catch-up step waits",
		    fo_name(p, p->candidate), round, (double)(dd_now_mono_ns() - start) / 1e9,
		    took >= 0 ? "it does not gain on the writes"
		    : err[0]  ? err
		              : "a round timed out");
}

static int64_t
my_prepare_round(struct prep_conns *pc, int64_t end, char *err, size_t len)
{
	int64_t t0 = dd_now_mono_ns();
	char pos[256], v[16], sql[400];

	if (fo_value(pc->pri, "SELECT @@gtid_binlog_pos", end, pos, sizeof(pos), err, len) != 0)
		return -1;
	dd_strlcpy(sql, "SELECT MASTER_GTID_WAIT(", sizeof(sql));
	if (!fo_quote(sql, sizeof(sql), pos, true))
		return -1;
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ", %.3f)", (double)(end - t0) / 1e9);
	if (fo_value(pc->cand, sql, end + INT64_C(2000000000), v, sizeof(v), err, len) != 0 ||
	    strcmp(v, "0") != 0)
		return -1;
	return dd_now_mono_ns() - t0;
}

/* Failover: a fresh look at what each replica received; the candidate's IO position. */
static int
my_received(struct dd_fo_plan *p, int cand, char *io, size_t iolen, char *err, size_t len)
{
	struct dd_db_error e;

	for (size_t i = 0; i < p->n; i++) {
		if (!p->nodes[i].reachable || (int)i == p->primary || !fo_conn(p, (int)i, err, len))
			continue;
		dd_db_error_clear(&e);
		dd_conn_probe_role(p->nodes[i].conn, fo_deadline(p), &p->nodes[i].info, &e);
	}
	for (size_t i = 0; i < p->n; i++)
		if ((int)i != cand && (int)i != p->primary && p->nodes[i].reachable &&
		    fo_compare_received(p, (int)i, cand) > 0 && !p->force) {
			dd_seterr(err, len, "%s has received more than %s", fo_name(p, (int)i),
			    fo_name(p, cand));
			return -1;
		}
	dd_strlcpy(io, p->nodes[cand].info.gtid_io_pos, iolen);
	return 0;
}

static int
my_catchup(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	char io[256];

	if (p->action == DD_FO_SWITCHOVER)
		return my_wait_gtid(p, s->node, p->target_gtid, err, len);
	if (my_received(p, s->node, io, sizeof(io), err, len) != 0)
		return -1;
	fo_log(p, "%s: applying up to its Gtid_IO_Pos %s", fo_name(p, s->node), io);
	return io[0] ? my_wait_gtid(p, s->node, io, err, len) : 0;
}

static int
my_promote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);

	/*
	 * Until RESET SLAVE ALL has succeeded the candidate is still a stopped
	 * replica: a failure up to there rolls back (START SLAVE, the old primary
	 * unfenced) instead of leaving the cluster with no writable primary.
	 */
	if (!c || fo_exec(c, "STOP SLAVE", deadline, err, len) != 0 ||
	    fo_exec(c, "RESET SLAVE ALL", deadline, err, len) != 0)
		return -1;
	p->promoted = true;
	if (fo_exec(c, "SET GLOBAL read_only = 0", deadline, err, len) != 0)
		return -1;
	if (my_semisync(p) &&
	    fo_exec(c, "SET GLOBAL rpl_semi_sync_master_enabled = ON", deadline, err, len) != 0)
		return -1;
	return 0;
}

static int
my_unpromote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);

	return c ? fo_exec(c, "START SLAVE", fo_deadline(p), err, len) : -1;
}

/* STOP SLAVE; CHANGE MASTER TO the candidate; START SLAVE on node. */
static int
my_follow(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	const struct dd_node_config *to = p->nodes[p->candidate].nc;
	struct dd_conn *c = fo_conn(p, node, err, len);
	char *sql = sodium_malloc(CM_MAX);
	int rc = -1;

	if (!sql || !c || fo_exec(c, "STOP SLAVE", fo_deadline(p), err, len) != 0)
		goto out;
	snprintf(sql, CM_MAX, "CHANGE MASTER TO MASTER_HOST = ");
	bool ok = fo_quote(sql, CM_MAX, to->host, true);
	snprintf(sql + strlen(sql), CM_MAX - strlen(sql), ", MASTER_PORT = %d", to->port);
	if (p->repl_user) {
		dd_strlcpy(sql + strlen(sql), ", MASTER_USER = ", CM_MAX - strlen(sql));
		ok = ok && fo_quote(sql, CM_MAX, p->repl_user, true);
		dd_strlcpy(sql + strlen(sql), ", MASTER_PASSWORD = ", CM_MAX - strlen(sql));
		ok = ok && fo_quote(sql, CM_MAX, p->repl_password, true);
	}
	dd_strlcpy(sql + strlen(sql), ", MASTER_USE_GTID = slave_pos", CM_MAX - strlen(sql));
	if (!ok)
		dd_seterr(err, len, "CHANGE MASTER statement too long");
	else if (fo_exec_secret(c, sql, fo_deadline(p), err, len) == 0 &&
	         fo_exec(c, "START SLAVE", fo_deadline(p), err, len) == 0)
		rc = 0;
	p->nodes[node].repointed = rc == 0;
	if (rc == 0)
		fo_log(p, "%s: replicates from %s:%d", fo_name(p, node), to->host, to->port);
out:
	sodium_free(sql);
	return rc;
}

static int
my_repoint(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	return my_follow(p, s->node, err, len);
}

static int
my_demote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	char sql[400] = "SET GLOBAL gtid_slave_pos = ";

	if (!c)
		return -1;
	fo_quote(sql, sizeof(sql), p->target_gtid, true);
	if (fo_exec(c, "STOP SLAVE", fo_deadline(p), err, len) != 0 ||
	    fo_exec(c, sql, fo_deadline(p), err, len) != 0)
		return -1;
	if (my_semisync(p) && (fo_exec(c, "SET GLOBAL rpl_semi_sync_master_enabled = OFF",
	                           fo_deadline(p), err, len) ||
	                          fo_exec(c, "SET GLOBAL rpl_semi_sync_slave_enabled = ON",
	                              fo_deadline(p), err, len)))
		return -1;
	return my_follow(p, s->node, err, len);
}

static int
my_replicating(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, node, err, len);
	struct dd_role_info ri;
	struct dd_db_error e;

	if (!c)
		return 0;
	dd_db_error_clear(&e);
	if (dd_conn_probe_role(c, dd_now_mono_ns() + INT64_C(2000000000), &ri, &e) != 0) {
		dd_seterr(err, len, "%s", e.message);
		return 0;
	}
	if (ri.has_replica_status && ri.io_running && ri.sql_running &&
	    ri.source_port == p->nodes[p->candidate].nc->port)
		return 1;
	dd_seterr(err, len, "IO %s, SQL %s%s%.100s", ri.io_running ? "yes" : "no",
	    ri.sql_running ? "yes" : "no", ri.last_io_error[0] ? ": " : "", ri.last_io_error);
	return 0;
}

static void
my_manual(const struct dd_fo_plan *p, const struct fo_step *s, char *buf, size_t len)
{
	const struct dd_node_config *to = p->nodes[p->candidate].nc;
	const char *n = fo_name(p, s->node), *user = p->repl_user ? p->repl_user : "REPL_USER";

	switch (s->kind) {
	case FO_PROMOTE:
		snprintf(
		    buf, len, "on %s: STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;", n);
		break;
	case FO_REPOINT:
	case FO_DEMOTE:
	case FO_REJOIN:
		snprintf(buf, len,
		    "on %s (read_only = ON in its my.cnf%s): STOP SLAVE;%s CHANGE MASTER TO "
		    "MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s', MASTER_PASSWORD = "
		    "'<the password of vault entry %s>', MASTER_USE_GTID = slave_pos; START SLAVE; "
		    "(if it holds transactions %s lacks, reclone it from %s instead)",
		    n, s->kind == FO_REPOINT ? "" : ", started",
		    s->kind == FO_REPOINT ? "" : " SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos;",
		    to->host, to->port, user,
		    p->cc->replication_credential ? p->cc->replication_credential : "REPL",
		    to->name, to->name);
		break;
	case FO_VERIFY:
		snprintf(buf, len,
		    "on each replica: SHOW SLAVE STATUS (Slave_IO_Running and "
		    "Slave_SQL_Running Yes, Master_Port %d)",
		    to->port);
		break;
	default: snprintf(buf, len, "see docs/switchover.md"); break;
	}
}

static const enum fo_kind my_switchover[] = {FO_LOCK, FO_HOLD, FO_FENCE, FO_CATCHUP, FO_PROMOTE,
    FO_REPOINT, FO_FOLLOW, FO_DEMOTE, FO_VERIFY};
static const enum fo_kind my_failover[] = {FO_LOCK, FO_HOLD, FO_FENCE_HOOK, FO_CATCHUP, FO_PROMOTE,
    FO_REPOINT, FO_FOLLOW, FO_REJOIN, FO_VERIFY};

const struct fo_engine fo_engine_my = {
    .engine = DD_ENGINE_MARIADB,
    .seq = {my_switchover, my_failover},
    .nseq = {DD_ARRAY_LEN(my_switchover), DD_ARRAY_LEN(my_failover)},
    .how =
        {
            [FO_FENCE] = "read_only = 1, client sessions ended",
            [FO_CATCHUP] = "MASTER_GTID_WAIT",
            [FO_PROMOTE] = "STOP SLAVE, RESET SLAVE ALL, read_only = 0",
            [FO_REPOINT] = "CHANGE MASTER, START SLAVE",
            [FO_DEMOTE] = "CHANGE MASTER, read_only kept",
        },
    .inspect = my_inspect,
    .checks = my_checks,
    .prepare = my_prepare,
    .step =
        {
            [FO_FENCE] = my_fence,
            [FO_CATCHUP] = my_catchup,
            [FO_PROMOTE] = my_promote,
            [FO_REPOINT] = my_repoint,
            [FO_DEMOTE] = my_demote,
        },
    .undo = {[FO_FENCE] = my_unfence, [FO_PROMOTE] = my_unpromote},
    .replicating = my_replicating,
    .manual = my_manual,
    .lock_try = fo_my_lock_try,
    .lock_holder = fo_my_lock_holder,
};
