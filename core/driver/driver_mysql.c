/*
 * driver_mysql.c: the MariaDB/MySQL driver (dd_driver_mysql) over MariaDB
 * Connector/C's non-blocking API (MYSQL_OPT_NONBLOCK, the _start/_cont
 * pairs). Every wait is a poll() on mysql_get_socket bounded by the caller's
 * deadline, so deadlines have millisecond precision (the blocking API's
 * read/write timeouts are whole seconds). When a deadline passes mid-call
 * the socket is shut down and the pending call is driven to its (immediate)
 * failure, which leaves the MYSQL handle consistent and the connection
 * broken. Over TLS the library does its socket I/O blocking, out of this
 * loop's reach; there my_guard.c shuts the socket down at the deadline.
 *
 * Session state: SERVER_STATUS_IN_TRANS gives in_transaction. With
 * session_track_state_change = ON the server sets SERVER_SESSION_STATE_CHANGED
 * in the OK packet of a statement that changed system variables, temp
 * tables, prepared statements or the schema (verified on MariaDB 10.11).
 * It misses what some statements do: `SELECT 1 INTO @x` sets a variable
 * without the flag, GET_LOCK and LOCK TABLES are not tracked, and
 * statements returning rows end with an EOF packet that carries no status.
 * So user variables, locks and row-returning statements also go through
 * the keyword heuristic, and so does everything when the server refuses to
 * track. (mysql_session_track_get_first is not used: Connector/C 3.3 keeps
 * the last OK packet's data across row-returning statements.)
 *
 * Cancel: KILL QUERY <thread id> over a second short-lived connection whose
 * parameters (with the password in sodium_malloc memory) live in the
 * refcounted cancel key.
 *
 * The password on the wire (docs/security.md): with auth = strict only the
 * plugins of my_strict_plugins may answer the server, so a server (or a man
 * in the middle) that asks for mysql_clear_password, dialog, or the
 * sha256/caching_sha2 plugins (which send the password in clear over TLS,
 * or whenever the client merely asked for TLS) gets nothing. verify-ca and
 * verify-full without tls_ca verify against the system trust store:
 * Connector/C would otherwise check no chain for verify-ca. prefer and
 * require connect without the system trust store, which they never use
 * (my_trust.c: 0.85 MB per connection).
 */
#include "driver/driver_int.h"
#include "driver/my_guard.h"
#include "driver/my_trust.h"

#include <errno.h>
#include <limits.h>
#include <mysql.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/util.h"

struct my_cancel_key {
	struct dd_cancel_key base;
	char *host;
	char *user;
	char *password; /* sodium_malloc, or NULL */
	char *tls_ca, *tls_cert, *tls_key;
	int port;
	enum dd_tls_mode tls;
	enum dd_auth_mode auth;
	unsigned long thread_id;
};

struct my_conn {
	struct dd_conn base;
	MYSQL *my;
	struct my_cancel_key *key;
	bool tracking; /* the server reports session state changes */
};

/* One call in progress: the handle, its deadline, whether it passed. */
struct my_call {
	MYSQL *my;
	int64_t deadline_ns;
	bool timed_out;
	int spins;             /* _cont calls after the socket was shut down */
	bool tls;              /* a connect that may negotiate TLS */
	struct my_guard guard; /* over TLS the library blocks: my_guard.c */
};

static const char my_track_sql[] = "SET SESSION session_track_state_change = ON";

/*
 * auth = strict: the plugins that never reveal the password. Connector/C
 * checks a plugin's name with strstr() against this list, so no other
 * plugin name may be a substring of it (none of the client's is).
 */
static const char my_strict_plugins[] = "mysql_native_password,client_ed25519";

static const char my_cert_hint[] = "; set tls_ca to the CA that signed the server's certificate, "
                                   "or choose a weaker tls mode on purpose (docs/security.md)";

#define MY_CR_PLUGIN_NOT_ALLOWED 5010 /* CR_PLUGIN_NOT_ALLOWED, Connector/C 3.3 */

void (*drv_my_abandon_hook)(const char *library_copy);

static struct my_conn *
my_of(struct dd_conn *c)
{
	return (struct my_conn *)c;
}

/* --- the non-blocking loop ------------------------------------------------- */

static short
my_events(int status)
{
	short ev = 0;

	if (status & MYSQL_WAIT_READ)
		ev |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		ev |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		ev |= POLLPRI;
	return ev;
}

/*
 * The deadline passed: make every further I/O on the socket fail at once.
 * A connect then fails inside Connector/C, which frees its copy of the
 * password without wiping it: wipe it first.
 */
static int
my_abandon(struct my_call *call)
{
	int fd = mysql_get_socket(call->my);

	if (call->my->passwd)
		sodium_memzero(call->my->passwd, strlen(call->my->passwd));
	if (drv_my_abandon_hook)
		drv_my_abandon_hook(call->my->passwd);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	call->timed_out = true;
	return MYSQL_WAIT_READ | MYSQL_WAIT_WRITE;
}

/*
 * Waits for what the library asked for (status) until the call's deadline or
 * the library's own timeout; returns the status to pass to the _cont call.
 */
static int
my_wait(struct my_call *call, int status)
{
	struct pollfd pfd;
	int ms, lib_ms = -1, rc, ready = 0;

	if (call->timed_out)
		return MYSQL_WAIT_READ | MYSQL_WAIT_WRITE;
	for (;;) {
		ms = drv_remaining_ms(call->deadline_ns);
		if (ms == 0)
			return my_abandon(call);
		if (status & MYSQL_WAIT_TIMEOUT)
			lib_ms = (int)mysql_get_timeout_value_ms(call->my);
		if (lib_ms >= 0 && lib_ms < ms)
			ms = lib_ms;
		pfd.fd = mysql_get_socket(call->my);
		pfd.events = my_events(status);
		pfd.revents = 0;
		rc = poll(&pfd, 1, ms == INT_MAX ? -1 : ms);
		if (rc < 0 && errno == EINTR)
			continue;
		/* The TLS guard shut the socket: abandon here, not inside the library. */
		if (rc < 0 || atomic_load(&call->guard.fired))
			return my_abandon(call);
		if (rc == 0 && lib_ms >= 0 && !drv_deadline_passed(call->deadline_ns))
			return MYSQL_WAIT_TIMEOUT;
		if (rc == 0)
			continue; /* loop top sees the deadline */
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			ready |= MYSQL_WAIT_READ;
		if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
			ready |= MYSQL_WAIT_WRITE;
		if (pfd.revents & POLLPRI)
			ready |= MYSQL_WAIT_EXCEPT;
		return ready;
	}
}

/* Whether to go on calling _cont: false after too many calls on a dead socket. */
static bool
my_more(struct my_call *call)
{
	return !call->timed_out || ++call->spins < 64;
}

/*
 * Guards a TLS call's deadline (my_guard.c): Connector/C reads and writes TLS
 * records with blocking calls, so my_wait() may not get control back in time.
 */
static void
my_guard_on(struct my_call *call)
{
	if (call->guard.armed || !call->my)
		return;
	if (call->tls || mysql_get_ssl_cipher(call->my) != NULL)
		my_guard_begin(&call->guard, mysql_get_socket(call->my), call->deadline_ns);
}

static void
my_guard_off(struct my_call *call)
{
	my_guard_end(&call->guard);
	if (atomic_load(&call->guard.fired))
		call->timed_out = true;
}

/*
 * Runs START, then CONT(st_) after each wait, until the library is done.
 * The guard goes on before START (an open session: START may block over
 * TLS) or right after it (a connect: only then is there a socket).
 */
#define MY_ASYNC(call, START, CONT)                                                                \
	do {                                                                                       \
		my_guard_on(call);                                                                 \
		int st_ = (START);                                                                 \
		if (st_ != 0) /* done: a close has freed the handle */                             \
			my_guard_on(call);                                                         \
		while (st_ != 0 && my_more(call)) {                                                \
			st_ = my_wait((call), st_);                                                \
			st_ = (CONT);                                                              \
		}                                                                                  \
		my_guard_off(call);                                                                \
	} while (0)

/* --- errors ------------------------------------------------------------------ */

static int
my_fail(struct my_conn *mc, MYSQL *my, const struct my_call *call, bool at_connect,
    const char *during, struct dd_db_error *err)
{
	unsigned code;
	enum dd_err_class cls;

	if (call->timed_out) {
		drv_timeout(mc ? &mc->base : NULL, err, during);
		return -1;
	}
	code = mysql_errno(my);
	cls = code ? dd_mysql_classify((int)code, mysql_error(my), at_connect) : DD_ERR_CONN_LOST;
	drv_seterr(err, cls, mysql_sqlstate(my), (int)code, "%s",
	    code ? mysql_error(my) : "connection lost");
	if (mc && cls == DD_ERR_CONN_LOST)
		mc->base.broken = true;
	return -1;
}

/* --- connect ----------------------------------------------------------------- */

/* ca: tls_ca, or the system trust store for verify-ca/verify-full. */
static void
my_set_tls(MYSQL *my, const struct dd_conn_params *p, const char *ca)
{
	my_bool yes = 1, no = 0;

	if (p->tls == DD_TLS_DISABLE)
		return;
	/* Sets use_ssl: TLS when the server offers it ("prefer"). */
	mysql_ssl_set(my, p->tls_key, p->tls_cert, ca, NULL, NULL);
	if (p->tls == DD_TLS_PREFER)
		return;
	mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &yes);
	/* With a CA the chain is verified; the host name only for verify-full. */
	mysql_options(
	    my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, p->tls == DD_TLS_VERIFY_FULL ? &yes : &no);
}

static void
my_set_options(MYSQL *my, const struct dd_conn_params *p, const char *ca)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP;

	mysql_options(my, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!(p->host && p->host[0] == '/'))
		mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	mysql_optionsv(my, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
	    p->application_name ? p->application_name : "dbdeck");
	if (p->auth == DD_AUTH_STRICT)
		mysql_optionsv(my, MARIADB_OPT_RESTRICTED_AUTH, my_strict_plugins);
	my_set_tls(my, p, ca);
}

/* The CA file to verify with; false (err filled) when verify-* has none at all. */
static bool
my_ca(const struct dd_conn_params *p, const char **ca, struct dd_db_error *err)
{
	*ca = p->tls_ca;
	if (*ca || !dd_tls_verifies(p->tls) || (*ca = dd_tls_system_ca()))
		return true;
	drv_seterr(err, DD_ERR_AUTH, NULL, 0,
	    "tls = %s without tls_ca uses the system trust store, and none was found%s",
	    dd_tls_mode_name(p->tls), my_cert_hint);
	return false;
}

/* A failed connect's error, said in dbdeck's terms where the library's are unclear. */
static void
my_connect_fail(
    const struct dd_conn_params *p, MYSQL *my, const struct my_call *call, struct dd_db_error *err)
{
	my_fail(NULL, my, call, true, "connect", err);
	if (err->code == MY_CR_PLUGIN_NOT_ALLOWED)
		/* The library's message names the greeting's plugin, not the one refused. */
		drv_seterr(err, DD_ERR_AUTH, "28000", MY_CR_PLUGIN_NOT_ALLOWED,
		    "the server asked for an authentication plugin that can reveal the password; "
		    "auth = strict allows only %s, auth = any for this node would allow it",
		    my_strict_plugins);
	else if (err->cls == DD_ERR_AUTH && err->code == 2026 && dd_tls_verifies(p->tls))
		drv_append(err, "%s", my_cert_hint);
}

/* Connector/C keeps the password for reconnects, which we never do: wipe it. */
static void
my_wipe_password(MYSQL *my)
{
	if (my->passwd)
		sodium_memzero(my->passwd, strlen(my->passwd));
}

/* Opens a raw handle; used for sessions and for cancel connections. */
static int
my_open(const struct dd_conn_params *p, int64_t deadline_ns, MYSQL **out, struct dd_db_error *err)
{
	struct my_call call = {.deadline_ns = deadline_ns, .tls = p->tls != DD_TLS_DISABLE};
	const char *host = p->host, *sock = NULL, *ca;
	MYSQL *ret = NULL;

	*out = NULL;
	if (!my_ca(p, &ca, err))
		return -1;
	if (!(call.my = mysql_init(NULL))) {
		drv_seterr(err, DD_ERR_TRANSIENT, NULL, 0, "mysql_init: out of memory");
		return -1;
	}
	my_set_options(call.my, p, ca);
	if (host && host[0] == '/') {
		sock = host;
		host = "localhost";
	}
	/* prefer/require: no system trust store in the connection (my_trust.c). */
	drv_my_trust_skip(!dd_tls_verifies(p->tls));
	MY_ASYNC(&call,
	    mysql_real_connect_start(&ret, call.my, host, p->user, p->password, p->database,
	        (unsigned)(p->port > 0 ? p->port : 3306), sock, 0),
	    mysql_real_connect_cont(&ret, call.my, st_));
	drv_my_trust_skip(false);
	if (!ret || call.timed_out) {
		my_connect_fail(p, call.my, &call, err);
		my_wipe_password(call.my); /* if the library still holds it */
		mysql_close(call.my);
		return -1;
	}
	my_wipe_password(call.my);
	drv_set_keepalive(mysql_get_socket(call.my));
	*out = call.my;
	return 0;
}

/* Says goodbye (COM_QUIT) within the deadline and frees the handle. */
static void
my_close_raw(MYSQL *my, bool broken, int64_t deadline_ns)
{
	struct my_call call = {.my = my, .deadline_ns = deadline_ns};

	if (broken || drv_deadline_passed(deadline_ns))
		my_abandon(&call);
	MY_ASYNC(&call, mysql_close_start(my), mysql_close_cont(my, st_));
}

/* --- statements -------------------------------------------------------------- */

static struct dd_result *
my_convert(MYSQL_RES *res)
{
	unsigned ncols = mysql_num_fields(res);
	MYSQL_FIELD *fields = mysql_fetch_fields(res);
	struct dd_result *r = drv_result_new((int)ncols);
	MYSQL_ROW row;
	unsigned long *lens;
	size_t *sizes = xcalloc(ncols + 1, sizeof(size_t));

	for (unsigned i = 0; i < ncols; i++)
		drv_result_set_colname(r, (int)i, fields[i].name);
	while ((row = mysql_fetch_row(res)) != NULL) {
		lens = mysql_fetch_lengths(res);
		for (unsigned i = 0; i < ncols; i++)
			sizes[i] = lens[i];
		drv_result_add_row(r, (const char *const *)row, sizes);
	}
	free(sizes);
	return r;
}

/* The server's OK packet says the session state changed (tracker on). */
static bool
my_state_changed(MYSQL *my)
{
	unsigned int status = 0;

	if (mariadb_get_infov(my, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
		return false;
	return (status & SERVER_SESSION_STATE_CHANGED) != 0;
}

/* Reads the result of the current statement (if any) into *out. */
static int
my_take_result(struct my_call *call, struct dd_result **out, bool *had_rows)
{
	MYSQL_RES *res = NULL;

	if (mysql_field_count(call->my) == 0)
		return 0;
	MY_ASYNC(call, mysql_store_result_start(&res, call->my),
	    mysql_store_result_cont(&res, call->my, st_));
	if (!res || call->timed_out) {
		if (res)
			mysql_free_result(res);
		return -1;
	}
	*had_rows = true;
	if (out) {
		dd_result_free(*out);
		*out = my_convert(res);
	}
	mysql_free_result(res);
	return 0;
}

/* Runs sql on a raw handle; *changed says whether session state changed. */
static int
my_run_raw(struct my_call *call, const char *sql, struct dd_result **out, int64_t *affected,
    bool *changed, bool *had_rows)
{
	int qret = 1;

	MY_ASYNC(call, mysql_real_query_start(&qret, call->my, sql, strlen(sql)),
	    mysql_real_query_cont(&qret, call->my, st_));
	if (qret != 0 || call->timed_out)
		return -1;
	for (;;) {
		*changed |= my_state_changed(call->my);
		if (my_take_result(call, out, had_rows) < 0)
			return -1;
		if (affected && mysql_field_count(call->my) == 0)
			*affected = (int64_t)mysql_affected_rows(call->my);
		if (!mysql_more_results(call->my))
			return 0;
		MY_ASYNC(call, mysql_next_result_start(&qret, call->my),
		    mysql_next_result_cont(&qret, call->my, st_));
		if (qret > 0 || call->timed_out)
			return -1;
	}
}

static void
my_after_statement(struct my_conn *mc, const char *sql, bool track, bool changed, bool had_rows)
{
	unsigned int status = 0;

	if (mariadb_get_infov(mc->my, MARIADB_CONNECTION_SERVER_STATUS, &status) == 0)
		mc->base.in_txn = (status & SERVER_STATUS_IN_TRANS) != 0;
	if (!track)
		return;
	if (changed || drv_mysql_sql_untracked_state(sql) ||
	    ((!mc->tracking || had_rows) && drv_mysql_sql_dirties(sql)))
		mc->base.dirty = true;
}

static int
my_run(struct my_conn *mc, const char *sql, bool track, int64_t deadline_ns, struct dd_result **out,
    int64_t *affected, struct dd_db_error *err)
{
	struct my_call call = {.my = mc->my, .deadline_ns = deadline_ns};
	bool changed = false, had_rows = false;
	int rc;

	rc = my_run_raw(&call, sql, out, affected, &changed, &had_rows);
	if (rc < 0) {
		dd_result_free(out ? *out : NULL);
		if (out)
			*out = NULL;
		my_fail(mc, mc->my, &call, false, "statement", err);
	}
	if (!mc->base.broken)
		my_after_statement(mc, sql, track, changed, had_rows);
	if (rc == 0 && out && !*out) {
		*out = drv_result_new(0);
		drv_result_set_affected(*out, affected ? *affected : 0);
	}
	return rc;
}

static int
my_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	int64_t affected = 0;

	return my_run(my_of(c), sql, true, deadline_ns, out, &affected, err);
}

static int
my_exec(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	return my_run(my_of(c), sql, true, deadline_ns, NULL, affected, err);
}

static int
my_ping(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	struct my_conn *mc = my_of(c);
	struct my_call call = {.my = mc->my, .deadline_ns = deadline_ns};
	int ret = 1;

	MY_ASYNC(&call, mysql_ping_start(&ret, mc->my), mysql_ping_cont(&ret, mc->my, st_));
	if (ret != 0 || call.timed_out)
		return my_fail(mc, mc->my, &call, false, "ping", err);
	return 0;
}

/* Turns the session tracker on; remembers whether the server agreed. */
static int
my_enable_tracking(struct my_conn *mc, int64_t deadline_ns, struct dd_db_error *err)
{
	if (my_run(mc, my_track_sql, false, deadline_ns, NULL, NULL, err) == 0) {
		mc->tracking = true;
		return 0;
	}
	mc->tracking = false;
	/* An old server without the variable is fine; a dead one is not. */
	return err->cls == DD_ERR_PERMANENT ? 0 : -1;
}

static int
my_reset(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	struct my_conn *mc = my_of(c);
	struct my_call call = {.my = mc->my, .deadline_ns = deadline_ns};
	int ret = 1;

	if (c->in_txn && my_run(mc, "ROLLBACK", false, deadline_ns, NULL, NULL, err) < 0)
		return -1;
	if (c->dirty) {
		MY_ASYNC(&call, mysql_reset_connection_start(&ret, mc->my),
		    mysql_reset_connection_cont(&ret, mc->my, st_));
		if (ret != 0 || call.timed_out)
			return my_fail(mc, mc->my, &call, false, "reset", err);
		/* COM_RESET_CONNECTION also reset the tracker to the server default. */
		if (my_enable_tracking(mc, deadline_ns, err) < 0)
			return -1;
	}
	c->dirty = false;
	c->in_txn = false;
	return 0;
}

/* --- cancel key -------------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct my_cancel_key *
my_key_new(const struct dd_conn_params *p, unsigned long thread_id)
{
	struct my_cancel_key *k = xcalloc(1, sizeof(*k));
	size_t n;

	k->base.drv = &dd_driver_mysql;
	atomic_init(&k->base.refs, 1);
	k->host = dup_or_null(p->host);
	k->user = dup_or_null(p->user);
	k->tls_ca = dup_or_null(p->tls_ca);
	k->tls_cert = dup_or_null(p->tls_cert);
	k->tls_key = dup_or_null(p->tls_key);
	k->port = p->port;
	k->tls = p->tls;
	k->auth = p->auth;
	k->thread_id = thread_id;
	if (p->password) {
		n = strlen(p->password) + 1;
		if (!(k->password = sodium_malloc(n))) {
			fprintf(stderr, "dbdeck: out of secure memory\n");
			abort();
		}
		memcpy(k->password, p->password, n);
	}
	return k;
}

static void
my_key_unref(struct my_cancel_key *k)
{
	if (!k || !drv_cancel_key_unref(&k->base))
		return;
	if (k->password)
		sodium_free(k->password); /* wipes */
	free(k->host);
	free(k->user);
	free(k->tls_ca);
	free(k->tls_cert);
	free(k->tls_key);
	free(k);
}

static int
my_cancel_fire(struct dd_cancel_key *base, int64_t deadline_ns, struct dd_db_error *err)
{
	struct my_cancel_key *k = (struct my_cancel_key *)base;
	struct dd_conn_params p = {
	    .host = k->host,
	    .port = k->port,
	    .user = k->user,
	    .password = k->password,
	    .tls = k->tls,
	    .auth = k->auth,
	    .tls_ca = k->tls_ca,
	    .tls_cert = k->tls_cert,
	    .tls_key = k->tls_key,
	    .application_name = "dbdeck-cancel",
	};
	struct my_call call = {.deadline_ns = deadline_ns};
	bool changed = false, rows = false;
	char sql[64];
	int rc;

	if (my_open(&p, deadline_ns, &call.my, err) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", k->thread_id);
	rc = my_run_raw(&call, sql, NULL, NULL, &changed, &rows);
	if (rc < 0)
		my_fail(NULL, call.my, &call, false, "cancel", err);
	my_close_raw(call.my, call.timed_out, deadline_ns);
	return rc;
}

static struct dd_cancel_key *
my_cancel_key(struct dd_conn *c)
{
	return drv_cancel_key_ref(&my_of(c)->key->base);
}

static void
my_cancel_key_free(struct dd_cancel_key *k)
{
	my_key_unref((struct my_cancel_key *)k);
}

/* --- connect and close ----------------------------------------------------------- */

static void
my_fill_head(struct my_conn *mc)
{
	const char *v = mysql_get_server_info(mc->my);

	mc->base.version = mysql_get_server_version(mc->my);
	dd_strlcpy(mc->base.version_str, v ? v : "", sizeof(mc->base.version_str));
	mc->base.mariadb = v && strstr(v, "MariaDB") != NULL;
	mc->base.backend_id = (int64_t)mysql_thread_id(mc->my);
}

bool
drv_my_holds_password(struct dd_conn *c)
{
	MYSQL *my = my_of(c)->my;

	return my->passwd && my->passwd[0];
}

static void
my_close(struct dd_conn *c, int64_t deadline_ns)
{
	struct my_conn *mc = my_of(c);

	my_close_raw(mc->my, c->broken, deadline_ns);
	my_key_unref(mc->key);
	free(mc);
}

static int
my_connect(const struct dd_conn_params *p, enum dd_engine engine, int64_t deadline_ns,
    struct dd_conn **out, struct dd_db_error *err)
{
	struct my_conn *mc;
	MYSQL *my;

	if (sodium_init() < 0) {
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "libsodium cannot initialise");
		return -1;
	}
	if (p->connect_timeout_ms > 0) {
		int64_t cap = dd_now_mono_ns() + (int64_t)p->connect_timeout_ms * 1000000;
		if (cap < deadline_ns)
			deadline_ns = cap;
	}
	if (my_open(p, deadline_ns, &my, err) < 0)
		return -1;
	mc = xcalloc(1, sizeof(*mc));
	drv_conn_init(&mc->base, &dd_driver_mysql, engine);
	mc->my = my;
	my_fill_head(mc);
	mc->key = my_key_new(p, mysql_thread_id(my));
	if (my_enable_tracking(mc, deadline_ns, err) < 0) {
		my_close(&mc->base, deadline_ns);
		return -1;
	}
	mc->base.dirty = false;
	*out = &mc->base;
	return 0;
}

int
drv_my_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	*out = NULL;
	return my_run(my_of(c), sql, false, deadline_ns, out, NULL, err);
}

const struct dd_driver dd_driver_mysql = {
    .name = "mysql",
    .default_port = 3306,
    .connect = my_connect,
    .close = my_close,
    .ping = my_ping,
    .query = my_query,
    .exec = my_exec,
    .reset = my_reset,
    .probe_role = drv_my_probe_role,
    .write_position = drv_my_write_position,
    .cancel_key = my_cancel_key,
    .cancel_fire = my_cancel_fire,
    .cancel_key_free = my_cancel_key_free,
};
