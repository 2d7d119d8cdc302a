/*
 * pg_connect.c: opening a libpq connection for the PostgreSQL driver
 * (driver_pg.c), with PQconnectStartParams + PQconnectPoll bounded by the
 * caller's deadline, and the password policy of docs/security.md
 * ("Credentials on the wire") applied before anything is sent:
 *
 *   auth = strict, TLS asked for (require, verify-ca, verify-full): libpq's
 *     channel_binding=require, so libpq answers nothing but SCRAM-SHA-256-PLUS
 *     bound to the TLS channel; a clear-text or md5 request, even inside TLS
 *     to whoever holds a certificate, is refused by libpq itself.
 *   auth = strict, no TLS (disable, a Unix socket): the guard (pg_guard.c)
 *     checks each authentication request before libpq sees it.
 *   auth = strict, prefer: TLS with channel binding as above; if the server
 *     answers the SSLRequest with 'N' (no TLS: a server without it, or a man
 *     in the middle), a second attempt without TLS, under the guard.
 *   auth = any: what libpq does by default.
 *
 * verify-ca and verify-full without tls_ca use the system trust store as
 * sslrootcert (libpq 15 has no sslrootcert=system), or fail when there is
 * none. Once connected, libpq's copy of the password (PQpass) is wiped: it
 * is only needed to authenticate, and dbdeck never calls PQreset.
 */
#include "driver/pg_int.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "driver/pg_guard.h"
#include "util/util.h"

/* How one attempt protects the password. */
struct pg_attempt {
	const char *sslmode;
	const char *rootcert; /* tls_ca, or the system trust store for verify-* */
	bool channel_binding; /* channel_binding=require */
	bool guard;           /* check authentication requests without TLS */
	bool probe_ssl;       /* prefer: watch the answer to the SSLRequest */
	bool ssl_answered;
	bool no_tls; /* out: the server answered 'N' */
	struct pg_guard g;
};

static const char cert_hint[] = "; set tls_ca to the CA that signed the server's certificate, "
                                "or choose a weaker tls mode on purpose (docs/security.md)";
static const char binding_hint[] = " (auth = strict: only SCRAM-SHA-256 bound to the TLS channel; "
                                   "auth = any for this node allows other methods)";

/* --- errors ----------------------------------------------------------------- */

void
drv_pg_connect_error(PGconn *pg, const struct dd_conn_params *p, struct dd_db_error *err)
{
	const char *msg = PQerrorMessage(pg);
	const char *state = drv_pg_connect_sqlstate(msg);

	if (!state)
		state = "08001";
	drv_seterr(err, dd_pg_classify_sqlstate(state, true), state, 0, "%s",
	    msg && *msg ? msg : "cannot connect");
	if (msg && strstr(msg, "channel binding") && p->auth == DD_AUTH_STRICT)
		drv_append(err, "%s", binding_hint);
	else if (msg && strstr(msg, "certificate") && dd_tls_verifies(p->tls))
		drv_append(err, "%s", cert_hint);
}

static void
guard_refused(const struct pg_guard *g, struct dd_db_error *err)
{
	if (g->refused == -2) {
		drv_seterr(err, DD_ERR_AUTH, "08P01", 0,
		    "the server sent something that is not a PostgreSQL message while "
		    "authenticating; nothing was sent");
		return;
	}
	drv_seterr(err, DD_ERR_AUTH, "28000", 0,
	    "the server asked for %s (auth request %d); auth = strict never sends it, "
	    "auth = any for this node would",
	    pg_guard_request_name(g->refused), g->refused);
}

/* --- the plan ---------------------------------------------------------------- */

/* Fills a for the first attempt, or for the fallback of prefer. Fills err on -1. */
static int
pg_plan(
    const struct dd_conn_params *p, bool fallback, struct pg_attempt *a, struct dd_db_error *err)
{
	bool socket = !p->host || p->host[0] == '/';
	bool pw = p->password && p->password[0];

	memset(a, 0, sizeof(*a));
	pg_guard_init(&a->g);
	a->sslmode = dd_tls_mode_name(p->tls);
	a->rootcert = p->tls_ca;
	if (!a->rootcert && dd_tls_verifies(p->tls) && !(a->rootcert = dd_tls_system_ca())) {
		drv_seterr(err, DD_ERR_AUTH, NULL, 0,
		    "tls = %s without tls_ca uses the system trust store, and none was found%s",
		    a->sslmode, cert_hint);
		return -1;
	}
	if (p->auth == DD_AUTH_ANY)
		return 0;
	if (socket || p->tls == DD_TLS_DISABLE || fallback) {
		a->sslmode = "disable";
		a->guard = true;
	} else if (pw) {
		a->channel_binding = true;
		if (p->tls == DD_TLS_PREFER) {
			a->sslmode = "require";
			a->probe_ssl = true;
		}
	}
	return 0;
}

/* Appends one keyword/value pair when the value is set. */
static void
pg_kv(const char **kw, const char **val, int *n, const char *k, const char *v)
{
	if (!v)
		return;
	kw[*n] = k;
	val[*n] = v;
	(*n)++;
}

/* Starts the connection attempt with keyword/value arrays (no conninfo string). */
static PGconn *
pg_start(const struct dd_conn_params *p, const struct pg_attempt *a)
{
	const char *kw[24], *val[24];
	char port[16];
	int n = 0;

#define KV(k, v) pg_kv(kw, val, &n, (k), (v))
	snprintf(port, sizeof(port), "%d", p->port > 0 ? p->port : 5432);
	KV("host", p->host);
	KV("port", port);
	KV("dbname", p->database);
	KV("user", p->user);
	KV("password", p->password);
	KV("sslmode", a->sslmode);
	KV("sslrootcert", a->rootcert);
	KV("sslcert", p->tls_cert);
	KV("sslkey", p->tls_key);
	KV("channel_binding", a->channel_binding ? "require" : NULL);
	/* TLS is the only transport protection (docs/drivers.md): no GSSAPI probe. */
	KV("gssencmode", "disable");
	KV("application_name", p->application_name ? p->application_name : "dbdeck");
	KV("client_encoding", "UTF8");
	KV("keepalives", "1");
	KV("keepalives_idle", "30");
	KV("keepalives_interval", "10");
	KV("keepalives_count", "3");
#undef KV
	kw[n] = NULL;
	val[n] = NULL;
	return PQconnectStartParams(kw, val, 0);
}

/* --- the poll loop --------------------------------------------------------------- */

/*
 * Puts the guard in place once libpq has sent its startup packet on a
 * socket (and read nothing yet); drops it when libpq has moved on to
 * another socket (another address).
 */
static int
guard_follow(PGconn *pg, struct pg_attempt *a, struct dd_db_error *err)
{
	if (!a->guard)
		return 0;
	if (pg_guard_active(&a->g) && !pg_guard_owns(&a->g, PQsocket(pg)))
		pg_guard_drop(&a->g);
	if (pg_guard_active(&a->g) || PQstatus(pg) != CONNECTION_AWAITING_RESPONSE)
		return 0;
	if (pg_guard_install(&a->g, PQsocket(pg)) == 0)
		return 0;
	drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "connect: %s", strerror(errno));
	return -1;
}

/*
 * prefer: the first byte after the SSLRequest is the server's answer. 'N'
 * (no TLS) ends this attempt before libpq reads it; pg_open retries
 * without TLS, under the guard.
 */
static int
probe_ssl_answer(PGconn *pg, struct pg_attempt *a, struct dd_db_error *err)
{
	char c;

	if (!a->probe_ssl || a->ssl_answered || PQstatus(pg) != CONNECTION_SSL_STARTUP)
		return 0;
	if (recv(PQsocket(pg), &c, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
		return 0; /* nothing yet, or an error libpq will report */
	a->ssl_answered = true;
	if (c != 'N')
		return 0;
	a->no_tls = true;
	drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "the server does not offer TLS");
	return -1;
}

/* Waits for libpq's socket (and the guard's); 1 when libpq may go on, 0 if not yet. */
static int
pg_wait_connect(
    PGconn *pg, struct pg_attempt *a, short ev, int64_t deadline_ns, struct dd_db_error *err)
{
	struct pollfd pfd[3] = {{.fd = PQsocket(pg), .events = ev}};
	int n = 1, ms = drv_remaining_ms(deadline_ns), r;

	if (ms == 0) {
		drv_timeout(NULL, err, "connect");
		return -1;
	}
	if (pg_guard_active(&a->g)) {
		pg_guard_pollfds(&a->g, pfd + 1);
		n = 3;
	}
	r = poll(pfd, (nfds_t)n, ms == INT_MAX ? -1 : ms);
	if (r < 0 && errno != EINTR) {
		drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "poll: %s", strerror(errno));
		return -1;
	}
	if (r <= 0)
		return 0;
	if (pg_guard_active(&a->g) && pg_guard_pump(&a->g) < 0) {
		guard_refused(&a->g, err);
		return -1;
	}
	if (pfd[0].revents == 0)
		return 0;
	return probe_ssl_answer(pg, a, err) < 0 ? -1 : 1;
}

static int
pg_connect_poll(PGconn *pg, const struct dd_conn_params *p, struct pg_attempt *a,
    int64_t deadline_ns, struct dd_db_error *err)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int ready;

	for (;;) {
		if (st == PGRES_POLLING_FAILED) {
			drv_pg_connect_error(pg, p, err);
			return -1;
		}
		if (st == PGRES_POLLING_OK)
			break;
		if (guard_follow(pg, a, err) < 0)
			return -1;
		ready = pg_wait_connect(
		    pg, a, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline_ns, err);
		if (ready < 0)
			return -1;
		if (ready)
			st = PQconnectPoll(pg);
	}
	if (pg_guard_active(&a->g) && pg_guard_finish(&a->g) < 0) {
		drv_seterr(err, DD_ERR_TRANSIENT, "08001", 0, "connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --- open ---------------------------------------------------------------------------- */

static PGconn *
pg_try(const struct dd_conn_params *p, bool fallback, int64_t deadline_ns, bool *no_tls,
    struct dd_db_error *err)
{
	struct pg_attempt a;
	PGconn *pg;

	*no_tls = false;
	if (pg_plan(p, fallback, &a, err) < 0)
		return NULL;
	if (!(pg = pg_start(p, &a))) {
		drv_seterr(err, DD_ERR_TRANSIENT, NULL, 0, "libpq: out of memory");
		return NULL;
	}
	if (PQstatus(pg) == CONNECTION_BAD || pg_connect_poll(pg, p, &a, deadline_ns, err) < 0) {
		if (err->cls == DD_ERR_NONE)
			drv_pg_connect_error(pg, p, err);
		pg_guard_drop(&a.g);
		PQfinish(pg); /* wipes libpq's copy of the password */
		*no_tls = a.no_tls;
		return NULL;
	}
	return pg;
}

PGconn *
drv_pg_open(const struct dd_conn_params *p, int64_t deadline_ns, struct dd_db_error *err)
{
	PGconn *pg;
	char *pass;
	bool no_tls;

	dd_db_error_clear(err);
	pg = pg_try(p, false, deadline_ns, &no_tls, err);
	if (!pg && no_tls) {
		dd_db_error_clear(err);
		pg = pg_try(p, true, deadline_ns, &no_tls, err);
	}
	if (!pg)
		return NULL;
	/* libpq's own copy (PQpass returns its pointer): not needed any more. */
	pass = PQpass(pg);
	if (pass && pass[0])
		sodium_memzero(pass, strlen(pass));
	return pg;
}
