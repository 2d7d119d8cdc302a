/*
 * driver.c: what both engine drivers share: lookup of the table by engine,
 * the dd_conn_* wrappers that dispatch through a connection's table, the
 * accessors of the common connection head, cancel-key reference counting,
 * error filling and the poll()-with-deadline helper every network wait uses.
 */
#include "driver/driver_int.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dbdeck/text.h"
#include "util/util.h"

const struct dd_driver *
dd_driver_for(enum dd_engine engine)
{
	switch (engine) {
	case DD_ENGINE_POSTGRESQL: return &dd_driver_pg;
	case DD_ENGINE_MARIADB:
	case DD_ENGINE_MYSQL: return &dd_driver_mysql;
	}
	return NULL;
}

const char *
dd_err_class_name(enum dd_err_class cls)
{
	switch (cls) {
	case DD_ERR_NONE: return "none";
	case DD_ERR_TRANSIENT: return "transient";
	case DD_ERR_PERMANENT: return "permanent";
	case DD_ERR_AUTH: return "auth";
	case DD_ERR_TIMEOUT: return "timeout";
	case DD_ERR_CONN_LOST: return "conn-lost";
	case DD_ERR_CANCELED: return "canceled";
	}
	return "unknown";
}

const char *
dd_tls_mode_name(enum dd_tls_mode m)
{
	switch (m) {
	case DD_TLS_DISABLE: return "disable";
	case DD_TLS_PREFER: return "prefer";
	case DD_TLS_REQUIRE: return "require";
	case DD_TLS_VERIFY_CA: return "verify-ca";
	case DD_TLS_VERIFY_FULL: return "verify-full";
	}
	return "unknown";
}

const char *
dd_role_name(enum dd_role role)
{
	switch (role) {
	case DD_ROLE_UNKNOWN: return "unknown";
	case DD_ROLE_PRIMARY: return "primary";
	case DD_ROLE_REPLICA: return "replica";
	}
	return "unknown";
}

void
dd_db_error_clear(struct dd_db_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void
drv_seterr(struct dd_db_error *err, enum dd_err_class cls, const char *sqlstate, int code,
    const char *fmt, ...)
{
	char full[1024]; /* the whole text first: a password is masked before any cut */
	va_list ap;
	size_t n;

	memset(err, 0, sizeof(*err));
	err->cls = cls;
	err->code = code;
	if (sqlstate)
		dd_strlcpy(err->sqlstate, sqlstate, sizeof(err->sqlstate));
	va_start(ap, fmt);
	vsnprintf(full, sizeof(full), fmt, ap);
	va_end(ap);
	dd_text_redact_secrets(full, sizeof(full)); /* a server message may quote one */
	dd_strlcpy(err->message, full, sizeof(err->message));
	sodium_memzero(full, sizeof(full));
	/* Server messages end with a newline (libpq); drop trailing space. */
	n = strlen(err->message);
	while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
		err->message[--n] = '\0';
}

void
drv_append(struct dd_db_error *err, const char *fmt, ...)
{
	size_t n = strlen(err->message);
	va_list ap;

	if (n + 1 >= sizeof(err->message))
		return;
	va_start(ap, fmt);
	vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
	va_end(ap);
}

void
drv_timeout(struct dd_conn *c, struct dd_db_error *err, const char *during)
{
	if (c)
		c->broken = true;
	drv_seterr(err, DD_ERR_TIMEOUT, NULL, 0, "deadline passed during %s", during);
}

/* --- deadlines ------------------------------------------------------- */

int
drv_remaining_ms(int64_t deadline_ns)
{
	int64_t now, left;

	if (deadline_ns == DD_NO_DEADLINE)
		return INT_MAX;
	now = dd_now_mono_ns();
	if (now >= deadline_ns)
		return 0;
	left = (deadline_ns - now + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

bool
drv_deadline_passed(int64_t deadline_ns)
{
	return deadline_ns != DD_NO_DEADLINE && dd_now_mono_ns() >= deadline_ns;
}

int
drv_wait_fd(int fd, short events, int64_t deadline_ns, short *revents)
{
	struct pollfd pfd;
	int rc, ms;

	for (;;) {
		if (drv_deadline_passed(deadline_ns))
			return 0;
		ms = drv_remaining_ms(deadline_ns);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, ms == INT_MAX ? -1 : ms);
		if (rc > 0) {
			*revents = pfd.revents;
			return 1;
		}
		if (rc < 0 && errno != EINTR)
			return -1;
		/* timeout or EINTR: loop re-checks the deadline */
	}
}

void
drv_set_keepalive(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;

	if (fd < 0)
		return;
	/* Best effort: a Unix socket refuses the TCP options, which is fine. */
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* --- the common connection head ---------------------------------------- */

void
drv_conn_init(struct dd_conn *c, const struct dd_driver *drv, enum dd_engine engine)
{
	c->drv = drv;
	c->engine = engine;
	c->broken = false;
	c->in_txn = false;
	c->dirty = false;
	c->mariadb = false;
	c->version = 0;
	c->version_str[0] = '\0';
	c->backend_id = 0;
	c->created_ns = dd_now_mono_ns();
}

struct dd_cancel_key *
drv_cancel_key_ref(struct dd_cancel_key *k)
{
	atomic_fetch_add(&k->refs, 1);
	return k;
}

bool
drv_cancel_key_unref(struct dd_cancel_key *k)
{
	return atomic_fetch_sub(&k->refs, 1) == 1;
}

/* --- dispatching wrappers ------------------------------------------------ */

int
dd_conn_open(enum dd_engine engine, const struct dd_conn_params *p, int64_t deadline_ns,
    struct dd_conn **out, struct dd_db_error *err)
{
	const struct dd_driver *drv = dd_driver_for(engine);

	*out = NULL;
	dd_db_error_clear(err);
	if (!drv) {
		drv_seterr(err, DD_ERR_PERMANENT, NULL, 0, "unknown engine %d", (int)engine);
		return -1;
	}
	return drv->connect(p, engine, deadline_ns, out, err);
}

void
dd_conn_close(struct dd_conn *c, int64_t deadline_ns)
{
	if (c)
		c->drv->close(c, deadline_ns);
}

/* Common entry checks: a broken connection or a passed deadline fail early. */
static int
conn_precheck(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	dd_db_error_clear(err);
	if (c->broken) {
		drv_seterr(err, DD_ERR_CONN_LOST, "08003", 0, "connection is broken");
		return -1;
	}
	if (drv_deadline_passed(deadline_ns)) {
		/* Nothing was sent: the connection stays usable. */
		drv_seterr(err, DD_ERR_TIMEOUT, NULL, 0, "deadline passed before the call");
		return -1;
	}
	return 0;
}

int
dd_conn_ping(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->ping(c, deadline_ns, err);
}

int
dd_conn_query(struct dd_conn *c, const char *sql, int64_t deadline_ns, struct dd_result **out,
    struct dd_db_error *err)
{
	*out = NULL;
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->query(c, sql, deadline_ns, out, err);
}

int
dd_conn_exec(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	if (affected)
		*affected = 0;
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->exec(c, sql, deadline_ns, affected, err);
}

int
dd_conn_reset(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->reset(c, deadline_ns, err);
}

int
dd_conn_probe_role(
    struct dd_conn *c, int64_t deadline_ns, struct dd_role_info *out, struct dd_db_error *err)
{
	memset(out, 0, sizeof(*out));
	out->seconds_behind = -1;
	out->last_replay_ms = -1;
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->probe_role(c, deadline_ns, out, err);
}

int
drv_lead_comment(const char *sql)
{
	const char *end;

	if (strncmp(sql, "/*", 2) != 0 || (end = strstr(sql + 2, "*/")) == NULL)
		return 0;
	return (int)(end + 2 - sql);
}

int
dd_conn_probe_role_with(struct dd_conn *c, const char *extra, int extra_cols, int64_t deadline_ns,
    struct dd_role_info *out, struct dd_result **rows, struct dd_db_error *err)
{
	*rows = NULL;
	memset(out, 0, sizeof(*out));
	out->seconds_behind = -1;
	out->last_replay_ms = -1;
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	if (c->drv->probe_role_with != NULL)
		return c->drv->probe_role_with(c, extra, extra_cols, deadline_ns, out, rows, err);
	if (c->drv->query(c, extra, deadline_ns, rows, err) < 0)
		return -1;
	if (c->drv->probe_role(c, deadline_ns, out, err) < 0) {
		dd_result_free(*rows);
		*rows = NULL;
		return -1;
	}
	return 0;
}

int
dd_conn_write_position(
    struct dd_conn *c, int64_t deadline_ns, struct dd_repl_pos *out, struct dd_db_error *err)
{
	memset(out, 0, sizeof(*out));
	if (conn_precheck(c, deadline_ns, err) < 0)
		return -1;
	return c->drv->write_position(c, deadline_ns, out, err);
}

struct dd_cancel_key *
dd_conn_cancel_key(struct dd_conn *c)
{
	return c->drv->cancel_key(c);
}

int
dd_cancel_key_fire(struct dd_cancel_key *k, int64_t deadline_ns, struct dd_db_error *err)
{
	dd_db_error_clear(err);
	return k->drv->cancel_fire(k, deadline_ns, err);
}

void
dd_cancel_key_free(struct dd_cancel_key *k)
{
	if (k)
		k->drv->cancel_key_free(k);
}

int
dd_conn_cancel(struct dd_conn *c, int64_t deadline_ns, struct dd_db_error *err)
{
	struct dd_cancel_key *k = dd_conn_cancel_key(c);
	int rc = dd_cancel_key_fire(k, deadline_ns, err);

	dd_cancel_key_free(k);
	return rc;
}

/* --- accessors ------------------------------------------------------------ */

enum dd_engine
dd_conn_engine(const struct dd_conn *c)
{
	return c->engine;
}

const struct dd_driver *
dd_conn_driver(const struct dd_conn *c)
{
	return c->drv;
}

bool
dd_conn_is_broken(const struct dd_conn *c)
{
	return c->broken;
}

void
dd_conn_mark_broken(struct dd_conn *c)
{
	c->broken = true;
}

bool
dd_conn_in_transaction(const struct dd_conn *c)
{
	return c->in_txn;
}

bool
dd_conn_session_dirty(const struct dd_conn *c)
{
	return c->dirty;
}

unsigned long
dd_conn_server_version(const struct dd_conn *c)
{
	return c->version;
}

const char *
dd_conn_server_version_str(const struct dd_conn *c)
{
	return c->version_str;
}

bool
dd_conn_is_mariadb(const struct dd_conn *c)
{
	return c->mariadb;
}

int64_t
dd_conn_backend_id(const struct dd_conn *c)
{
	return c->backend_id;
}

int64_t
dd_conn_created_ns(const struct dd_conn *c)
{
	return c->created_ns;
}
