/*
 * fo_lock.c: the cluster lock (DESIGN.md §8): one action per cluster, across
 * dbdeck processes and hosts.
 *
 * The lock lives on the cluster's own servers: a session-level advisory
 * lock (PostgreSQL pg_try_advisory_lock(K1, K2), K2 a hash of the cluster
 * name) or GET_LOCK('dbdeck:CLUSTER', 0) (MariaDB), taken without waiting
 * on a session of its own on every node that answers, and held until the
 * action ends (closing the session releases it; so does a crash of dbdeck
 * or of the server). The action needs it on a majority of the cluster's
 * configured nodes, so two processes can never both have it; --force lowers
 * that to a majority of the nodes that answer (a failover with most nodes
 * down), and says so.
 *
 * Who holds it: the lock session's application_name (PostgreSQL) / its
 * program_name connection attribute (MariaDB) is "ddlock h=HOST p=PID
 * u=OPERATOR t=EPOCH". A loser finds the holder's session through
 * pg_locks + pg_stat_activity, or IS_USED_LOCK + performance_schema's
 * session_connect_attrs (else information_schema.PROCESSLIST, which only
 * knows the client address), and names it in its refusal.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "failover/fo_int.h"
#include "util/util.h"

void
fo_lock_holder_text(char *buf, size_t len)
{
	char host[64] = "?", pwbuf[1024];
	struct passwd pw, *res = NULL;
	const char *user = "?";

	if (gethostname(host, sizeof(host)) != 0)
		dd_strlcpy(host, "?", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		user = res->pw_name;
	/* at most 63 bytes: PostgreSQL's application_name limit */
	snprintf(buf, len, "ddlock h=%.16s p=%d u=%.12s t=%lld", host, (int)getpid(), user,
	    (long long)time(NULL));
}

/* Finds "KEY=" in holder and copies its word. */
static void
field(const char *holder, const char *key, char *out, size_t len)
{
	const char *s = strstr(holder, key);
	size_t n = 0;

	out[0] = '\0';
	if (s == NULL)
		return;
	s += strlen(key);
	while (s[n] && s[n] != ' ' && n + 1 < len) {
		out[n] = s[n];
		n++;
	}
	out[n] = '\0';
}

void
fo_lock_describe(const char *holder, char *buf, size_t len)
{
	char h[32], p[16], u[32], t[24], when[40] = "?";
	time_t secs;
	struct tm tm;

	if (strncmp(holder, "ddlock ", 7) != 0) {
		snprintf(buf, len, "%s", holder);
		return;
	}
	field(holder, " h=", h, sizeof(h));
	field(holder, " p=", p, sizeof(p));
	field(holder, " u=", u, sizeof(u));
	field(holder, " t=", t, sizeof(t));
	secs = (time_t)strtoll(t, NULL, 10);
	if (secs > 0 && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "host %s, pid %s, operator %s, since %s", h, p, u, when);
}

/* ---- the engines' halves (used through fo_engine.lock_try / lock_holder) ---- */

#define PG_LOCK_CLASS 1684275201 /* "dd" 0x6464, 1 */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & 0x7fffffff;
}

int
fo_pg_lock_try(struct dd_conn *c, const char *cluster, int64_t deadline, char *err, size_t len)
{
	char sql[128], v[8];

	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d, %" PRIu32 ")", PG_LOCK_CLASS,
	    name_hash(cluster));
	if (fo_value(c, sql, deadline, v, sizeof(v), err, len) != 0)
		return -1;
	return v[0] == 't' ? 1 : 0;
}

int
fo_pg_lock_holder(
    struct dd_conn *c, const char *cluster, int64_t deadline, char *holder, size_t len)
{
	char sql[400], err[160];

	snprintf(sql, sizeof(sql),
	    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
	    " WHERE l.locktype = 'advisory' AND l.classid = %d AND l.objid = %" PRIu32
	    " AND l.objsubid = 2 AND l.granted AND l.pid <> pg_backend_pid() LIMIT 1",
	    PG_LOCK_CLASS, name_hash(cluster));
	holder[0] = '\0';
	if (fo_value(c, sql, deadline, holder, len, err, sizeof(err)) != 0 &&
	    strcmp(err, "no row") != 0)
		return -1;
	return 0;
}

static void
my_lock_name(const char *cluster, char *buf, size_t len)
{
	if (strlen(cluster) <= 56)
		snprintf(buf, len, "'dbdeck:%s'", cluster);
	else
		snprintf(buf, len, "'dbdeck:#%08" PRIx32 "'", name_hash(cluster));
}

int
fo_my_lock_try(struct dd_conn *c, const char *cluster, int64_t deadline, char *err, size_t len)
{
	char name[80], sql[128], v[8];

	/* cluster names are [A-Za-z0-9_.-] (config names): no quoting needed */
	my_lock_name(cluster, name, sizeof(name));
	snprintf(sql, sizeof(sql), "SELECT GET_LOCK(%s, 0)", name);
	if (fo_value(c, sql, deadline, v, sizeof(v), err, len) != 0)
		return -1;
	return v[0] == '1' ? 1 : 0;
}

int
fo_my_lock_holder(
    struct dd_conn *c, const char *cluster, int64_t deadline, char *holder, size_t len)
{
	char name[80], sql[300], id[24], err[160];

	my_lock_name(cluster, name, sizeof(name));
	snprintf(sql, sizeof(sql), "SELECT IS_USED_LOCK(%s)", name);
	holder[0] = '\0';
	if (fo_value(c, sql, deadline, id, sizeof(id), err, sizeof(err)) != 0)
		return -1;
	if (!id[0] || strspn(id, "0123456789") != strlen(id))
		return 0;
	snprintf(sql, sizeof(sql),
	    "SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs"
	    " WHERE PROCESSLIST_ID = %s AND ATTR_NAME = 'program_name'",
	    id);
	if (fo_value(c, sql, deadline, holder, len, err, sizeof(err)) == 0 &&
	    strncmp(holder, "ddlock ", 7) == 0)
		return 0;
	snprintf(sql, sizeof(sql),
	    "SELECT CONCAT('connection ', ID, ' of ', USER, '@', HOST, ', idle ', TIME, ' s')"
	    " FROM information_schema.PROCESSLIST WHERE ID = %s",
	    id);
	if (fo_value(c, sql, deadline, holder, len, err, sizeof(err)) != 0)
		snprintf(holder, len, "connection %s", id);
	return 0;
}

/* ---- taking and releasing it ---- */

static int64_t
lock_connect_ms(const struct dd_fo_plan *p)
{
	return p->cc->connect_timeout_ms < 3000 ? p->cc->connect_timeout_ms : 3000;
}

/* Tries node i; 1 got, 0 held elsewhere (holder filled), -1 unreachable. */
static int
try_node(struct dd_fo_plan *p, size_t i, char *holder, size_t hlen)
{
	struct dd_conn_params cp;
	struct dd_db_error e;
	struct dd_conn *c = NULL;
	int64_t deadline = dd_now_mono_ns() + lock_connect_ms(p) * 1000000;
	char err[160];
	int rc;

	fo_params(p, (int)i, p->holder, &cp);
	dd_db_error_clear(&e);
	if (dd_conn_open(p->cc->engine, &cp, deadline, &c, &e) != 0) {
		fo_log(p, "lock: %s does not answer: %s", fo_name(p, (int)i), e.message);
		return -1;
	}
	deadline = dd_now_mono_ns() + lock_connect_ms(p) * 1000000;
	rc = p->eng->lock_try(c, p->cc->name, deadline, err, sizeof(err));
	if (rc == 1) {
		p->nodes[i].lock = c;
		return 1;
	}
	if (rc == 0 && !holder[0])
		p->eng->lock_holder(c, p->cc->name, deadline, holder, hlen);
	if (rc < 0)
		fo_log(p, "lock: %s: %s", fo_name(p, (int)i), err);
	dd_conn_close(c, dd_now_mono_ns() + 100000000);
	return rc < 0 ? -1 : 0;
}

int
fo_lock_take(struct dd_fo_plan *p, char *err, size_t len)
{
	char holder[FO_HOLDER_MAX] = "", who[160];
	size_t i, reachable = 0, refused = 0, need = p->n / 2 + 1;

	if (!p->holder[0])
		fo_lock_holder_text(p->holder, sizeof(p->holder));
	p->locked = 0;
	for (i = 0; i < p->n; i++) {
		int rc = try_node(p, i, holder, sizeof(holder));
		reachable += rc >= 0;
		refused += rc == 0;
		p->locked += rc == 1;
	}
	if (p->force && reachable < p->n && (size_t)p->locked < need && refused == 0)
		need = reachable / 2 + 1;
	if ((size_t)p->locked >= need && reachable > 0) {
		fo_log(p, "lock: held on %d of %zu nodes (a majority is %zu)%s", p->locked, p->n,
		    need, need < p->n / 2 + 1 ? " (--force: of the reachable nodes)" : "");
		return 0;
	}
	fo_lock_release(p);
	if (refused > 0) {
		fo_lock_describe(holder[0] ? holder : "unknown holder", who, sizeof(who));
		dd_seterr(err, len, "another dbdeck holds the cluster lock (%s)", who);
		return 1;
	}
	dd_seterr(err, len, "the cluster lock needs a majority of %zu nodes; only %zu answer%s",
	    p->n, reachable, p->force ? "" : " (--force: a majority of the nodes that answer)");
	return 1;
}

void
fo_lock_release(struct dd_fo_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->nodes[i].lock) {
			dd_conn_close(p->nodes[i].lock, dd_now_mono_ns() + 500000000);
			p->nodes[i].lock = NULL;
		}
	}
	p->locked = 0;
}

void
fo_lock_peek(struct dd_fo_plan *p, char *holder, size_t len)
{
	int64_t deadline = dd_now_mono_ns() + lock_connect_ms(p) * 1000000;

	holder[0] = '\0';
	for (size_t i = 0; i < p->n && !holder[0]; i++)
		if (p->nodes[i].conn)
			p->eng->lock_holder(p->nodes[i].conn, p->cc->name, deadline, holder, len);
}
