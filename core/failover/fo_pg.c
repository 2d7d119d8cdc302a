/*
 * fo_pg.c: PostgreSQL's half of switchover and failover (one const table,
 * fo_engine_pg): its facts per node, its pre-checks, and its steps.
 *
 *   fence     ALTER SYSTEM SET default_transaction_read_only = on, reload,
 *             wait until this session sees it (so every backend forked from
 *             then on does), end the client sessions (waiting for each), then
 *             read pg_current_wal_lsn(): the position the candidate must have
 *   catch-up  switchover: the candidate has received that position and at
 *             least what any other replica received (a replica ahead of the
 *             new primary's fork point could not follow it); failover: no
 *             other replica has received more, and the candidate has
 *             replayed all it received
 *   promote   pg_promote(true, T); the soft fence reset on the new primary
 *   slots     the other replicas' primary_slot_name on the new primary,
 *             before they are repointed (slots are not replicated)
 *   repoint   primary_conninfo with only host and port changed (ALTER
 *             SYSTEM, built in secure memory: it may hold a password), reload
 *   rejoin    CHECKPOINT on the new primary first (pg_rewind reads its
 *             control file's timeline), then rejoin_command
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

#define SQL_MAX 2048
/*
 * A replica whose lag cannot be timed (no transaction replayed since it
 * started) passes when it is at most this much WAL behind (Patroni's
 * maximum_lag_on_failover default).
 */
#define PG_LAG_BYTES_OK 1048576

static int
pg_inspect(struct dd_fo_plan *p, struct fo_node *n, int64_t deadline)
{
	static const char sql[] =
	    "SELECT current_setting('primary_conninfo'), current_setting('primary_slot_name'),"
	    " coalesce((SELECT status FROM pg_stat_wal_receiver), ''),"
	    " current_setting('data_directory'), current_setting('server_version_num'),"
	    " current_setting('wal_log_hints') = 'on' OR current_setting('data_checksums') = 'on'";
	struct dd_db_error e;
	struct dd_result *r = NULL;
	const char *v;

	(void)p;
	dd_db_error_clear(&e);
	if (dd_conn_query(n->conn, sql, deadline, &r, &e) != 0 || dd_result_nrows(r) != 1) {
		dd_seterr(n->error, sizeof(n->error), "reading its settings: %s", e.message);
		dd_result_free(r);
		return -1;
	}
	v = dd_result_value(r, 0, 0);
	if (n->info.role == DD_ROLE_REPLICA && v)
		fo_conninfo_target(v, n->up_host, sizeof(n->up_host), &n->up_port);
	dd_strlcpy(n->slot, fo_text(r, 0, 1, ""), sizeof(n->slot));
	dd_strlcpy(n->wal_status, fo_text(r, 0, 2, ""), sizeof(n->wal_status));
	dd_strlcpy(n->data_dir, fo_text(r, 0, 3, ""), sizeof(n->data_dir));
	n->major = atoi(fo_text(r, 0, 4, "0")) / 10000;
	v = dd_result_value(r, 0, 5);
	n->rewindable = v && v[0] == 't';
	dd_result_free(r);
	return 0;
}

/* Replica lag against the primary's position, in ms; -1 unknown. */
static int64_t
pg_lag_ms(const struct dd_role_info *pri, const struct dd_role_info *c)
{
	if (pri->current_lsn && c->replay_lsn >= pri->current_lsn)
		return 0;
	if (c->last_replay_ms < 0 || c->server_now_ms <= 0)
		return -1;
	return c->server_now_ms > c->last_replay_ms ? c->server_now_ms - c->last_replay_ms : 0;
}

static void
pg_check_lag(struct dd_fo_plan *p, const struct fo_node *c)
{
	const struct fo_node *pri = &p->nodes[p->primary];
	int64_t lag = pg_lag_ms(&pri->info, &c->info);
	uint64_t behind = pri->info.current_lsn > c->info.replay_lsn
	                      ? pri->info.current_lsn - c->info.replay_lsn
	                      : 0;

	if (lag < 0 && behind <= PG_LAG_BYTES_OK)
		fo_check(p, "lag", DD_FO_CHECK_OK, false,
		    "%s is %" PRIu64 " bytes of WAL behind (no replayed transaction to time it)",
		    c->nc->name, behind);
	else if (lag < 0)
		fo_check(p, "lag", DD_FO_CHECK_FAIL, true,
		    "%s's lag is unknown (%" PRIu64 " bytes of WAL behind)", c->nc->name, behind);
	else if (lag > p->cc->lag_max_ms)
		fo_check(p, "lag", DD_FO_CHECK_FAIL, true,
		    "%s is %.1f s behind (%" PRIu64 " bytes), beyond lag_max %.1f s", c->nc->name,
		    (double)lag / 1000, behind, (double)p->cc->lag_max_ms / 1000);
	else
		fo_check(p, "lag", DD_FO_CHECK_OK, false,
		    "%s is %.1f s behind (%" PRIu64 " bytes), within lag_max", c->nc->name,
		    (double)lag / 1000, behind);
}

static void
pg_checks(struct dd_fo_plan *p)
{
	if (p->candidate < 0 || !p->nodes[p->candidate].reachable ||
	    p->nodes[p->candidate].info.role != DD_ROLE_REPLICA)
		return;
	const struct fo_node *c = &p->nodes[p->candidate];
	if (p->action == DD_FO_SWITCHOVER) {
		if (strcmp(c->wal_status, "streaming") == 0)
			fo_check(
			    p, "streaming", DD_FO_CHECK_OK, false, "%s streams WAL", c->nc->name);
		else
			fo_check(p, "streaming", DD_FO_CHECK_FAIL, false,
			    "%s is not streaming (WAL receiver: %s)", c->nc->name,
			    c->wal_status[0] ? c->wal_status : "none");
	}
	if (c->info.replay_paused)
		fo_check(p, "replay", DD_FO_CHECK_FAIL, true,
		    "WAL replay is paused on %s (--force resumes it)", c->nc->name);
	else
		fo_check(p, "replay", DD_FO_CHECK_OK, false, "WAL replay runs on %s", c->nc->name);
	if (p->action == DD_FO_SWITCHOVER && p->primary >= 0) {
		pg_check_lag(p, c);
		if (!p->nodes[p->primary].rewindable)
			fo_check(p, "rewind", DD_FO_CHECK_WARN, false,
			    "%s has neither wal_log_hints nor data checksums: pg_rewind cannot "
			    "rejoin it (a new base backup can)",
			    fo_name(p, p->primary));
	}
}

/* ---- steps ---- */

static int
pg_fence(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);
	char v[64];

	if (!c ||
	    fo_exec(c, "ALTER SYSTEM SET default_transaction_read_only = on", deadline, err, len) !=
	        0 ||
	    fo_exec(c, "SELECT pg_reload_conf()", deadline, err, len) != 0)
		return -1;
	/* this session sees the new value only after the postmaster has reloaded */
	do {
		if (fo_value(c, "SHOW default_transaction_read_only", deadline, v, sizeof(v), err,
		        len) != 0)
			return -1;
	} while (strcmp(v, "on") != 0 && !fo_nap(p, 5) && dd_now_mono_ns() < deadline);
	if (strcmp(v, "on") != 0) {
		dd_seterr(err, len, "the reload did not take effect in time");
		return -1;
	}
	if (fo_value(c,
	        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM "
	        "pg_stat_activity WHERE backend_type = 'client backend' AND pid <> "
	        "pg_backend_pid() AND application_name NOT LIKE 'ddlock %'",
	        deadline, v, sizeof(v), err, len) != 0)
		return -1;
	fo_log(p, "%s: read-only; %s client sessions ended", fo_name(p, s->node), v);
	if (fo_value(c, "SELECT pg_current_wal_lsn()", deadline, v, sizeof(v), err, len) != 0 ||
	    dd_lsn_parse(v, &p->target_lsn) != 0)
		return -1;
	fo_log(p, "%s: last WAL position %s", fo_name(p, s->node), v);
	return 0;
}

static int
pg_unfence(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);

	if (!c ||
	    fo_exec(c, "ALTER SYSTEM RESET default_transaction_read_only", deadline, err, len) != 0)
		return -1;
	return fo_exec(c, "SELECT pg_reload_conf()", deadline, err, len);
}

/* LSN of a one-value statement on node, 0 when it cannot be read. */
static uint64_t
pg_lsn_of(struct dd_fo_plan *p, int node, const char *sql, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, node, err, len);
	char v[64];
	uint64_t lsn = 0;

	if (c &&
	    fo_value(c, sql, dd_now_mono_ns() + INT64_C(2000000000), v, sizeof(v), err, len) == 0)
		dd_lsn_parse(v, &lsn);
	return lsn;
}

/* The most any other reachable replica has received (not the old primary). */
static uint64_t
pg_others_received(struct dd_fo_plan *p, int *who)
{
	char err[160];
	uint64_t most = 0, l;

	for (size_t i = 0; i < p->n; i++) {
		if ((int)i == p->candidate || (int)i == p->primary || !p->nodes[i].reachable)
			continue;
		l = pg_lsn_of(p, (int)i, "SELECT pg_last_wal_receive_lsn()", err, sizeof(err));
		if (l > most) {
			most = l;
			*who = (int)i;
		}
	}
	return most;
}

static int
pg_catchup(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	int64_t deadline = fo_deadline(p);
	uint64_t want = p->target_lsn, got = 0, others;
	int who = -1;
	char a[24], b[24];

	if (p->nodes[s->node].info.replay_paused) {
		struct dd_conn *c = fo_conn(p, s->node, err, len);
		if (c == NULL ||
		    fo_exec(c, "SELECT pg_wal_replay_resume()", deadline, err, len) != 0)
			return -1;
	}
	others = pg_others_received(p, &who);
	if (p->action == DD_FO_FAILOVER) {
		got = pg_lsn_of(p, s->node, "SELECT pg_last_wal_receive_lsn()", err, len);
		if (others > got && !p->force) {
			dd_lsn_format(others, a, sizeof(a));
			dd_lsn_format(got, b, sizeof(b));
			dd_seterr(err, len, "%s has received more (%s) than %s (%s)",
			    fo_name(p, who), a, fo_name(p, s->node), b);
			return -1;
		}
		want = got;
		others = 0;
	}
	const char *sql = p->action == DD_FO_FAILOVER ? "SELECT pg_last_wal_replay_lsn()"
	                                              : "SELECT pg_last_wal_receive_lsn()";
	while ((got = pg_lsn_of(p, s->node, sql, err, len)) < want || got < others) {
		if (fo_nap(p, 5) || dd_now_mono_ns() >= deadline) {
			dd_lsn_format(got, a, sizeof(a));
			dd_lsn_format(want > others ? want : others, b, sizeof(b));
			dd_seterr(err, len, "%s reached %s of %s within switchover_timeout",
			    fo_name(p, s->node), a, b);
			return -1;
		}
	}
	dd_lsn_format(got, a, sizeof(a));
	fo_log(p, "%s has WAL up to %s", fo_name(p, s->node), a);
	return 0;
}

/*
 * Calls pg_promote. *sent: whether the promotion may be under way. A server
 * error it raises before it signals the startup process (no privilege to
 * call it, recovery not in progress, no such function) means nothing was
 * promoted, so the plan rolls back. Any other failure (its own timeout, a
 * cancel at the statement deadline, a lost session) may come after the
 * signal: from then on the promotion counts as done.
 */
static int
pg_promote_call(struct dd_conn *c, const char *sql, int64_t deadline, char *v, size_t vlen,
    bool *sent, char *err, size_t len)
{
	static const char *const before_signal[] = {"42501", "55000", "42883"};
	struct dd_db_error e;
	struct dd_result *r = NULL;

	*sent = true;
	dd_db_error_clear(&e);
	if (dd_conn_query(c, sql, deadline, &r, &e) != 0) {
		for (size_t i = 0; i < DD_ARRAY_LEN(before_signal); i++)
			if (strcmp(e.sqlstate, before_signal[i]) == 0)
				*sent = false;
		fo_err_from(&e, err, len);
		return -1;
	}
	dd_strlcpy(v, fo_text(r, 0, 0, ""), vlen);
	dd_result_free(r);
	return 0;
}

static int
pg_promote(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);
	char sql[96], v[16];

	if (!c)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT pg_promote(true, %d)",
	    (int)(p->cc->switchover_timeout_ms / 1000));
	if (pg_promote_call(
	        c, sql, deadline + INT64_C(5000000000), v, sizeof(v), &p->promoted, err, len) != 0)
		return -1;
	if (v[0] != 't') {
		dd_seterr(err, len, "pg_promote did not finish within switchover_timeout");
		return -1;
	}
	/* a node fenced once (an earlier switchover) must not stay read-only */
	if (fo_exec(c, "ALTER SYSTEM RESET default_transaction_read_only", deadline, err, len) ||
	    fo_exec(c, "SELECT pg_reload_conf()", deadline, err, len))
		return -1;
	/* the timeline it writes now (its control file may still name the old one) */
	if (fo_value(c,
	        "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, "
	        "8))::bit(32)::bigint",
	        deadline, v, sizeof(v), err, len) != 0)
		return -1;
	p->new_timeline = (uint32_t)strtoul(v, NULL, 10);
	fo_log(p, "%s writes timeline %u", fo_name(p, s->node), p->new_timeline);
	return 0;
}

static bool
slot_name_ok(const char *s)
{
	return s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static int
pg_slots(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	char sql[400];

	if (!c)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		const char *slot = p->nodes[i].slot;
		if ((int)i == p->candidate || (int)i == p->primary || !slot_name_ok(slot))
			continue;
		snprintf(sql, sizeof(sql),
		    "SELECT pg_create_physical_replication_slot('%s', true) WHERE NOT EXISTS "
		    "(SELECT 1 FROM pg_replication_slots WHERE slot_name = '%s')",
		    slot, slot);
		if (fo_exec(c, sql, fo_deadline(p), err, len) != 0)
			return -1;
		fo_log(p, "slot %s on %s", slot, fo_name(p, s->node));
	}
	return 0;
}

static int
pg_repoint(struct dd_fo_plan *p, const struct fo_step *s, char *err, size_t len)
{
	const struct dd_node_config *to = p->nodes[p->candidate].nc;
	struct dd_conn *c = fo_conn(p, s->node, err, len);
	int64_t deadline = fo_deadline(p);
	char *cur = sodium_malloc(SQL_MAX), *next = sodium_malloc(SQL_MAX);
	char *sql = sodium_malloc(SQL_MAX * 2 + 64);
	int rc = -1;

	if (!cur || !next || !sql || !c)
		goto out;
	if (fo_value(c, "SELECT current_setting('primary_conninfo')", deadline, cur, SQL_MAX, err,
	        len) != 0)
		goto out;
	if (!fo_conninfo_repoint(cur, to->host, to->port, next, SQL_MAX)) {
		dd_seterr(err, len, "its primary_conninfo cannot be rewritten (URI form?)");
		goto out;
	}
	snprintf(sql, SQL_MAX * 2 + 64, "ALTER SYSTEM SET primary_conninfo = ");
	if (!fo_quote(sql, SQL_MAX * 2 + 64, next, false)) {
		dd_seterr(err, len, "primary_conninfo too long");
		goto out;
	}
	if (fo_exec_secret(c, sql, deadline, err, len) == 0 &&
	    fo_exec(c, "SELECT pg_reload_conf()", deadline, err, len) == 0)
		rc = 0;
	p->nodes[s->node].repointed = rc == 0;
	if (rc == 0)
		fo_log(p, "%s: primary_conninfo now names %s:%d", fo_name(p, s->node), to->host,
		    to->port);
out:
	sodium_free(cur);
	sodium_free(next);
	sodium_free(sql);
	return rc;
}

static int
pg_replicating(struct dd_fo_plan *p, int node, char *err, size_t len)
{
	struct dd_conn *c = fo_conn(p, node, err, len);
	struct dd_db_error e;
	struct dd_result *r = NULL;
	int rc = 0;

	if (!c)
		return 0; /* a rejoin restarts it: not yet */
	dd_db_error_clear(&e);
	/* streaming from it, and WAL of its new timeline received: the slot, the history work */
	if (dd_conn_query(c, "SELECT status, sender_port, received_tli FROM pg_stat_wal_receiver",
	        dd_now_mono_ns() + INT64_C(2000000000), &r, &e) != 0) {
		dd_seterr(err, len, "%s", e.message);
		return 0;
	}
	if (dd_result_nrows(r) == 1 && strcmp(fo_text(r, 0, 0, ""), "streaming") == 0 &&
	    atoi(fo_text(r, 0, 1, "0")) == p->nodes[p->candidate].nc->port &&
	    strtoul(fo_text(r, 0, 2, "0"), NULL, 10) >= p->new_timeline)
		rc = 1;
	else
		dd_seterr(err, len, "WAL receiver: %s, timeline %s of %u",
		    dd_result_nrows(r) == 1 ? fo_text(r, 0, 0, "?") : "not running",
		    dd_result_nrows(r) == 1 ? fo_text(r, 0, 2, "?") : "-", p->new_timeline);
	dd_result_free(r);
	return rc;
}

static void
pg_manual(const struct dd_fo_plan *p, const struct fo_step *s, char *buf, size_t len)
{
	const struct dd_node_config *to = p->nodes[p->candidate].nc;
	const struct fo_node *n = s->node >= 0 ? &p->nodes[s->node] : NULL;
	const char *dir = n && n->data_dir[0] ? n->data_dir : "DATADIR";

	switch (s->kind) {
	case FO_PROMOTE: snprintf(buf, len, "on %s: SELECT pg_promote();", to->name); break;
	case FO_SLOTS:
		snprintf(buf, len,
		    "on %s: SELECT pg_create_physical_replication_slot('SLOT', true); "
		    "for each replica's primary_slot_name",
		    to->name);
		break;
	case FO_REPOINT:
		snprintf(buf, len,
		    "on %s: ALTER SYSTEM SET primary_conninfo = '... host=%s port=%d "
		    "...' (only host and port changed); SELECT pg_reload_conf();",
		    n->nc->name, to->host, to->port);
		break;
	case FO_REJOIN:
		snprintf(buf, len,
		    "on %s's host, as the postgres user: pg_ctl -D %s stop -m fast; "
		    "psql -h %s -p %d -c CHECKPOINT; "
		    "pg_rewind -D %s --source-server='host=%s port=%d user=USER dbname=postgres'; "
		    "set primary_conninfo (host=%s port=%d) and primary_slot_name in "
		    "%s/postgresql.auto.conf "
		    "and drop default_transaction_read_only there; touch %s/standby.signal; "
		    "pg_ctl -D %s start",
		    n->nc->name, dir, to->host, to->port, dir, to->host, to->port, to->host,
		    to->port, dir, dir, dir);
		break;
	case FO_VERIFY:
		snprintf(buf, len,
		    "on each replica: SELECT status, sender_host, sender_port FROM "
		    "pg_stat_wal_receiver; (streaming from %s:%d)",
		    to->host, to->port);
		break;
	default: snprintf(buf, len, "see docs/switchover.md"); break;
	}
}

static const enum fo_kind pg_switchover[] = {FO_LOCK, FO_HOLD, FO_FENCE, FO_CATCHUP, FO_FENCE_HOOK,
    FO_PROMOTE, FO_SLOTS, FO_REPOINT, FO_FOLLOW, FO_REJOIN, FO_VERIFY};
static const enum fo_kind pg_failover[] = {FO_LOCK, FO_HOLD, FO_FENCE_HOOK, FO_CATCHUP, FO_PROMOTE,
    FO_SLOTS, FO_REPOINT, FO_FOLLOW, FO_REJOIN, FO_VERIFY};

const struct fo_engine fo_engine_pg = {
    .engine = DD_ENGINE_POSTGRESQL,
    .seq = {pg_switchover, pg_failover},
    .nseq = {DD_ARRAY_LEN(pg_switchover), DD_ARRAY_LEN(pg_failover)},
    .how =
        {
            [FO_FENCE] = "default_transaction_read_only, client sessions ended",
            [FO_CATCHUP] = "WAL positions",
            [FO_PROMOTE] = "pg_promote",
            [FO_SLOTS] = "pg_create_physical_replication_slot",
            [FO_REPOINT] = "primary_conninfo, reload",
        },
    .inspect = pg_inspect,
    .checks = pg_checks,
    .step =
        {
            [FO_FENCE] = pg_fence,
            [FO_CATCHUP] = pg_catchup,
            [FO_PROMOTE] = pg_promote,
            [FO_SLOTS] = pg_slots,
            [FO_REPOINT] = pg_repoint,
        },
    .undo = {[FO_FENCE] = pg_unfence},
    .before_rejoin_sql = "CHECKPOINT",
    .replicating = pg_replicating,
    .manual = pg_manual,
    .lock_try = fo_pg_lock_try,
    .lock_holder = fo_pg_lock_holder,
};
