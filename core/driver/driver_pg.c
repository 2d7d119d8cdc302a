/*
 * driver_pg.c: the PostgreSQL driver (dd_driver_pg) over libpq's
 * asynchronous API only. Connect is PQconnectStartParams + PQconnectPoll,
 * in pg_connect.c with the password policy (auth, tls) of docs/security.md;
 * statements are PQsendQuery + PQflush + PQconsumeInput/PQisBusy, and every
 * wait is a poll() on PQsocket bounded by the caller's deadline
 * (drv_wait_fd). The connection is in non-blocking mode so PQfinish never
 * waits either.
 *
 * Cancel: PQcancel blocks until the postmaster closes the cancel socket, so
 * it runs on a short-lived detached thread (pg_cancel_thread) that owns a
 * reference on the cancel key; the caller waits for it only until its
 * deadline. After a statement timeout the same thread is fired without
 * waiting, so the server stops working for a caller that has gone. At most
 * PG_CANCEL_THREADS_MAX cancel threads exist at a time.
 *
 * Session state: PQtransactionStatus after every statement gives
 * in_transaction; the keyword heuristic drv_pg_sql_dirties() gives dirty.
 */
#include "driver/pg_int.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

struct pg_cancel_key {
	struct dd_cancel_key base;
	PGcancel *cancel;
};

struct pg_conn {
	struct dd_conn base;
	PGconn *pg;
	struct pg_cancel_key *key;
};

/* Options for pg_run. */
enum {
	RUN_TRACK = 1, /* the statement may dirty the session: check it */
};

static struct pg_conn *
pg_of(struct dd_conn *c)
{
	return (struct pg_conn *)c;
}

static void
pg_notice_ignore(void *arg, const char *message)
{
	/* Notices would reach stderr, i.e. the console's screen: drop them. */
	(void)arg;
	(void)message;
}

/* --- errors --------------------------------------------------------------- */

/* Fills err from the connection's error text; lost when the connection is bad. */
static int
pg_conn_error(struct pg_conn *pc, struct dd_db_error *err, const char *during)
{
	const char *msg = PQerrorMessage(pc->pg);

	if (PQstatus(pc->pg) == CONNECTION_BAD) {
		pc->base.broken = true;
		drv_seterr(err, DD_ERR_CONN_LOST, "08006", 0, "%s: %s", during,
		    msg && *msg ? msg : "connection lost");
	} else {
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "%s: %s", during,
		    msg && *msg ? msg : "libpq error");
	}
	return -1;
}

static void
pg_result_error(struct pg_conn *pc, const PGresult *res, struct dd_db_error *err)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	enum dd_err_class cls = dd_pg_classify_sqlstate(state, false);

	if (!msg)
		msg = PQresultErrorMessage(res);
	if (PQstatus(pc->pg) == CONNECTION_BAD) {
		cls = DD_ERR_CONN_LOST;
		if (!state || !*state)
			state = "08006";
	}
	if (cls == DD_ERR_CONN_LOST)
		pc->base.broken = true;
	drv_seterr(err, cls, state, 0, "%s", msg && *msg ? msg : "server error");
}

/* --- cancel ------------------------------------------------------------------ */

/*
 * Cancel threads blocked on a stopped server only end when it answers again:
 * cap how many may be in flight so that a long outage cannot pile them up.
 */
#define PG_CANCEL_THREADS_MAX 16
static atomic_int pg_cancel_threads;

/* One PQcancel on its own thread; shared by that thread and (maybe) a waiter. */
struct pg_cancel_job {
	struct pg_cancel_key *key;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int refs;
	bool done;
	bool ok;
	char errbuf[200];
};

static void
pg_key_unref(struct pg_cancel_key *k)
{
	if (!k || !drv_cancel_key_unref(&k->base))
		return;
	if (k->cancel)
		PQfreeCancel(k->cancel);
	free(k);
}

static void
pg_job_unref(struct pg_cancel_job *job)
{
	if (atomic_fetch_sub(&job->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&job->mu);
	pthread_cond_destroy(&job->cv);
	pg_key_unref(job->key);
	free(job);
}

static void *
pg_cancel_thread(void *arg)
{
	struct pg_cancel_job *job = arg;
	char buf[sizeof(job->errbuf)];
	bool ok;

	buf[0] = '\0';
	/* May block for as long as the server does not answer: that is why it is here. */
	ok = job->key->cancel && PQcancel(job->key->cancel, buf, (int)sizeof(buf));
	pthread_mutex_lock(&job->mu);
	job->ok = ok;
	job->done = true;
	dd_strlcpy(job->errbuf, buf, sizeof(job->errbuf));
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
	pg_job_unref(job);
	atomic_fetch_sub(&pg_cancel_threads, 1);
	return NULL;
}

static struct pg_cancel_job *
pg_job_new(struct pg_cancel_key *key, int refs)
{
	struct pg_cancel_job *job = xcalloc(1, sizeof(*job));

	job->key = (struct pg_cancel_key *)drv_cancel_key_ref(&key->base);
	pthread_mutex_init(&job->mu, NULL);
	dd_cond_init_mono(&job->cv);
	atomic_init(&job->refs, refs);
	return job;
}

/* Starts the detached cancel thread. On failure drops the thread's reference. */
static bool
pg_job_start(struct pg_cancel_job *job)
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (atomic_fetch_add(&pg_cancel_threads, 1) >= PG_CANCEL_THREADS_MAX) {
		atomic_fetch_sub(&pg_cancel_threads, 1);
		pg_job_unref(job);
		return false;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, pg_cancel_thread, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&pg_cancel_threads, 1);
		pg_job_unref(job);
	}
	return rc == 0;
}

/* Waits for job until the deadline; fills err unless it succeeded. */
static int
pg_job_wait(struct pg_cancel_job *job, int64_t deadline_ns, struct dd_db_error *err)
{
	int rc;

	pthread_mutex_lock(&job->mu);
	while (!job->done && dd_cond_wait_until(&job->cv, &job->mu, deadline_ns))
		;
	if (!job->done)
		drv_seterr(err, DD_ERR_TIMEOUT, NULL, 0, "deadline passed during cancel");
	else if (!job->ok)
		drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "cancel: %s", job->errbuf);
	rc = job->done && job->ok ? 0 : -1;
	pthread_mutex_unlock(&job->mu);
	return rc;
}

static int
pg_cancel_fire(struct dd_cancel_key *k, int64_t deadline_ns, struct dd_db_error *err)
{
	struct pg_cancel_key *key = (struct pg_cancel_key *)k;
	struct pg_cancel_job *job = pg_job_new(key, 2);
	int rc;

	if (!pg_job_start(job)) {
		pg_job_unref(job);
		drv_seterr(err, DD_ERR_TRANSIENT, NULL, 0,
		    "cancel: too many cancel requests in flight, or no thread");
		return -1;
	}
	rc = pg_job_wait(job, deadline_ns, err);
	pg_job_unref(job);
	return rc;
}

/* Fire and forget: after a statement timeout, stop the server's work. */
static void
pg_cancel_detached(struct pg_conn *pc)
{
	if (pc->key)
		(void)pg_job_start(pg_job_new(pc->key, 1));
}

static struct dd_cancel_key *
pg_cancel_key(struct dd_conn *c)
{
	return drv_cancel_key_ref(&pg_of(c)->key->base);
}

static void
pg_cancel_key_free(struct dd_cancel_key *k)
{
	pg_key_unref((struct pg_cancel_key *)k);
}

/* --- waiting on the socket ------------------------------------------------- */

/* Called when a deadline passes mid-statement: broken, and cancel server-side. */
static int
pg_timed_out(struct pg_conn *pc, struct dd_db_error *err, const char *during)
{
	drv_timeout(&pc->base, err, during);
	pg_cancel_detached(pc);
	return -1;
}

static int
pg_wait(struct pg_conn *pc, short events, int64_t deadline_ns, short *rev, struct dd_db_error *err)
{
	int w = drv_wait_fd(PQsocket(pc->pg), events, deadline_ns, rev);

	if (w == 0)
		return pg_timed_out(pc, err, "statement");
	if (w < 0) {
		pc->base.broken = true;
		drv_seterr(err, DD_ERR_CONN_LOST, "08006", 0, "poll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Pushes the outgoing buffer out, reading input meanwhile (libpq's advice). */
static int
pg_flush(struct pg_conn *pc, int64_t deadline_ns, struct dd_db_error *err)
{
	short rev;
	int r;

	while ((r = PQflush(pc->pg)) != 0) {
		if (r < 0)
			return pg_conn_error(pc, err, "send");
		if (pg_wait(pc, POLLOUT | POLLIN, deadline_ns, &rev, err) < 0)
			return -1;
		if ((rev & (POLLIN | POLLHUP | POLLERR)) && !PQconsumeInput(pc->pg))
			return pg_conn_error(pc, err, "receive");
	}
	return 0;
}

/* Waits until PQgetResult can be called without blocking. */
static int
pg_wait_ready(struct pg_conn *pc, int64_t deadline_ns, struct dd_db_error *err)
{
	short rev;

	while (PQisBusy(pc->pg)) {
		if (pg_wait(pc, POLLIN, deadline_ns, &rev, err) < 0)
			return -1;
		if (!PQconsumeInput(pc->pg))
			return pg_conn_error(pc, err, "receive");
	}
	return 0;
}

/* --- statements ------------------------------------------------------------- */

static struct dd_result *
pg_convert(const PGresult *res)
{
	int ncols = PQnfields(res), nrows = PQntuples(res);
	struct dd_result *r = drv_result_new(ncols);
	const char **vals = xcalloc((size_t)ncols + 1, sizeof(char *));
	size_t *lens = xcalloc((size_t)ncols + 1, sizeof(size_t));
	const char *aff = PQcmdTuples((PGresult *)res);

	for (int i = 0; i < ncols; i++)
		drv_result_set_colname(r, i, PQfname(res, i));
	for (int row = 0; row < nrows; row++) {
		for (int i = 0; i < ncols; i++) {
			vals[i] = PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
			lens[i] = (size_t)PQgetlength(res, row, i);
		}
		drv_result_add_row(r, vals, lens);
	}
	drv_result_set_affected(r, aff && *aff ? strtoll(aff, NULL, 10) : 0);
	free(vals);
	free(lens);
	return r;
}

static void
pg_after_statement(struct pg_conn *pc, const char *sql, int flags)
{
	PGTransactionStatusType ts = PQtransactionStatus(pc->pg);

	pc->base.in_txn = ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
	if ((flags & RUN_TRACK) && drv_pg_sql_dirties(sql))
		pc->base.dirty = true;
}

/* Reads every result of the statement; keeps the last good one in *last. */
static int
pg_collect(struct pg_conn *pc, int64_t deadline_ns, PGresult **last, struct dd_db_error *err)
{
	PGresult *res;
	bool failed = false;

	for (;;) {
		if (pg_wait_ready(pc, deadline_ns, err) < 0)
			return -1;
		if (!(res = PQgetResult(pc->pg)))
			break;
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
		case PGRES_EMPTY_QUERY:
			PQclear(*last);
			*last = res;
			continue;
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			PQclear(res);
			pc->base.broken = true;
			drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "COPY is not supported");
			return -1;
		default:
			if (!failed)
				pg_result_error(pc, res, err);
			failed = true;
			PQclear(res);
		}
	}
	return failed ? -1 : 0;
}

/* Runs sql; on success *out (when out is not NULL) gets the last result. */
static int
pg_run(struct pg_conn *pc, const char *sql, int flags, int64_t deadline_ns, struct dd_result **out,
    int64_t *affected, struct dd_db_error *err)
{
	PGresult *last = NULL;
	const char *aff;
	int rc;

	if (!PQsendQuery(pc->pg, sql))
		return pg_conn_error(pc, err, "send");
	if (pg_flush(pc, deadline_ns, err) < 0)
		return -1;
	rc = pg_collect(pc, deadline_ns, &last, err);
	if (!pc->base.broken)
		pg_after_statement(pc, sql, flags);
	if (rc == 0 && last) {
		if (out)
			*out = pg_convert(last);
		aff = PQcmdTuples(last);
		if (affected)
			*affected = aff && *aff ? strtoll(aff, NULL, 10) : 0;
	} else if (rc == 0 && out) {
		*out = drv_result_new(0);
	}
	PQclear(last);
	return rc;
}

static int
pg_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	return pg_run(pg_of(c), sql, RUN_TRACK, deadline_ns, out, NULL, err);
}

static int
pg_exec(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	return pg_run(pg_of(c), sql, RUN_TRACK, deadline_ns, NULL, affected, err);
}

static int
pg_ping(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	/* The empty query: one round trip, no parsing, no effect. */
	return pg_run(pg_of(c), "", 0, deadline_ns, NULL, NULL, err);
}

static int
pg_reset(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	struct pg_conn *pc = pg_of(c);

	if (c->in_txn && pg_run(pc, "ROLLBACK", 0, deadline_ns, NULL, NULL, err) < 0)
		return -1;
	if (c->dirty && pg_run(pc, "DISCARD ALL", 0, deadline_ns, NULL, NULL, err) < 0)
		return -1;
	c->dirty = false;
	c->in_txn = false;
	return 0;
}

/* --- connect and close -------------------------------------------------------- */

static void
pg_fill_head(struct pg_conn *pc)
{
	const char *v = PQparameterStatus(pc->pg, "server_version");

	pc->base.version = (unsigned long)PQserverVersion(pc->pg);
	dd_strlcpy(pc->base.version_str, v ? v : "", sizeof(pc->base.version_str));
	pc->base.backend_id = PQbackendPID(pc->pg);
}

static int
pg_connect(const struct dd_conn_params *p, enum dd_engine engine, int64_t deadline_ns,
    struct dd_conn **out, struct dd_db_error *err)
{
	struct pg_conn *pc;
	PGconn *pg;

	if (p->connect_timeout_ms > 0) {
		int64_t cap = dd_now_mono_ns() + (int64_t)p->connect_timeout_ms * 1000000;
		if (cap < deadline_ns)
			deadline_ns = cap;
	}
	if (!(pg = drv_pg_open(p, deadline_ns, err)))
		return -1;
	PQsetNoticeProcessor(pg, pg_notice_ignore, NULL);
	PQsetnonblocking(pg, 1);
	pc = xcalloc(1, sizeof(*pc));
	drv_conn_init(&pc->base, &dd_driver_pg, engine);
	pc->pg = pg;
	pc->key = xcalloc(1, sizeof(*pc->key));
	pc->key->base.drv = &dd_driver_pg;
	atomic_init(&pc->key->base.refs, 1);
	pc->key->cancel = PQgetCancel(pg);
	pg_fill_head(pc);
	*out = &pc->base;
	return 0;
}

bool
drv_pg_holds_password(struct dd_conn *c)
{
	const char *pw = PQpass(pg_of(c)->pg);

	return pw && pw[0];
}

static void
pg_close(struct dd_conn *c, int64_t deadline_ns)
{
	struct pg_conn *pc = pg_of(c);

	/* Non-blocking mode: PQfinish queues Terminate and never waits. */
	(void)deadline_ns;
	PQfinish(pc->pg);
	pg_key_unref(pc->key);
	free(pc);
}

/* --- role probe and write position ---------------------------------------- */

static const char pg_probe_sql[] =
    "SELECT pg_is_in_recovery(),"
    " current_setting('default_transaction_read_only') = 'on',"
    " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
    " pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,"
    " (extract(epoch from pg_last_xact_replay_timestamp()) * 1000)::bigint,"
    " (extract(epoch from now()) * 1000)::bigint,"
    " CASE WHEN pg_is_in_recovery() THEN NULL ELSE"
    " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint END";

static uint64_t
pg_lsn_at(const struct dd_result *r, int col)
{
	uint64_t lsn = 0;
	const char *v = dd_result_value(r, 0, col);

	if (v && dd_lsn_parse(v, &lsn) < 0)
		lsn = 0;
	return lsn;
}

static bool
pg_bool_at(const struct dd_result *r, int col)
{
	const char *v = dd_result_value(r, 0, col);
	return v && v[0] == 't';
}

static int64_t
pg_ms_at(const struct dd_result *r, int col)
{
	const char *v = dd_result_value(r, 0, col);
	return v ? strtoll(v, NULL, 10) : -1;
}

#define PG_ROLE_COLS 9

/* The role from the PG_ROLE_COLS columns at off of row 0 of r (checked by the caller). */
static void
pg_role_read(const struct dd_result *r, int off, struct dd_role_info *out)
{
	out->role = pg_bool_at(r, off) ? DD_ROLE_REPLICA : DD_ROLE_PRIMARY;
	out->read_only = pg_bool_at(r, off) || pg_bool_at(r, off + 1);
	out->current_lsn = pg_lsn_at(r, off + 2);
	out->receive_lsn = pg_lsn_at(r, off + 3);
	out->replay_lsn = pg_lsn_at(r, off + 4);
	out->replay_paused = pg_bool_at(r, off + 5);
	out->last_replay_ms = pg_ms_at(r, off + 6);
	out->server_now_ms = pg_ms_at(r, off + 7);
	out->timeline = pg_ms_at(r, off + 8) > 0 ? (uint32_t)pg_ms_at(r, off + 8) : 0;
	out->applied.kind = DD_POS_LSN;
	out->applied.lsn = out->role == DD_ROLE_REPLICA ? out->replay_lsn : out->current_lsn;
}

static int
pg_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	struct dd_result *r = NULL;

	if (pg_run(pg_of(c), pg_probe_sql, 0, deadline_ns, &r, NULL, err) < 0)
		return -1;
	if (dd_result_nrows(r) != 1 || dd_result_ncols(r) != PG_ROLE_COLS) {
		dd_result_free(r);
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "role probe: unexpected result");
		return -1;
	}
	pg_role_read(r, 0, out);
	dd_result_free(r);
	return 0;
}

/*
 * The role probe and another SELECT as one statement: every row of extra
 * with the role's columns after its own (dd_conn_probe_role_with).
 */
static int
pg_probe_role_with(struct dd_conn *c, const char *extra, int extra_cols, int64_t deadline_ns,
    struct dd_role_info *out, struct dd_result **rows, struct dd_db_error *err)
{
	int lead = drv_lead_comment(extra);
	char *sql = xasprintf("%.*s SELECT x.*, r.* FROM (%s) x CROSS JOIN (%s) r", lead, extra,
	    extra + lead, pg_probe_sql);
	struct dd_result *r = NULL;
	int rc = pg_run(pg_of(c), sql, 0, deadline_ns, &r, NULL, err);

	free(sql);
	if (rc < 0)
		return -1;
	if (dd_result_nrows(r) < 1 || dd_result_ncols(r) != extra_cols + PG_ROLE_COLS) {
		dd_result_free(r);
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "role probe: unexpected result");
		return -1;
	}
	pg_role_read(r, extra_cols, out);
	*rows = r;
	return 0;
}

static int
pg_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err)
{
	static const char sql[] =
	    "SELECT CASE WHEN pg_is_in_recovery()"
	    " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text";
	struct dd_result *r = NULL;
	int rc = -1;

	if (pg_run(pg_of(c), sql, 0, deadline_ns, &r, NULL, err) < 0)
		return -1;
	if (dd_result_nrows(r) == 1 && dd_lsn_parse(dd_result_value(r, 0, 0), &out->lsn) == 0) {
		out->kind = DD_POS_LSN;
		rc = 0;
	} else {
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "write position: no LSN");
	}
	dd_result_free(r);
	return rc;
}

const struct dd_driver dd_driver_pg = {
    .name = "postgresql",
    .default_port = 5432,
    .connect = pg_connect,
    .close = pg_close,
    .ping = pg_ping,
    .query = pg_query,
    .exec = pg_exec,
    .reset = pg_reset,
    .probe_role = pg_probe_role,
    .probe_role_with = pg_probe_role_with,
    .write_position = pg_write_position,
    .cancel_key = pg_cancel_key,
    .cancel_fire = pg_cancel_fire,
    .cancel_key_free = pg_cancel_key_free,
};
