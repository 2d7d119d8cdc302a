/*
 * serve.c: the life of the HTTP server (serve.h): the libmicrohttpd daemon
 * on its own thread (epoll, connection limits and timeout set, PEM contents
 * for TLS), the documents swapped in by dd_serve_publish, and the drain on
 * the way out. The request handler is serve_routes.c.
 *
 * The daemon thread serves documents made from what dd_serve_publish hands
 * it (serve_docs): a snapshot the monitor already published, the core's
 * figures copied at that moment, the backups read on the owner's thread. A
 * document is rendered from those when first asked for, then kept until the
 * next publish: no handler waits on a database, a pool lock held across I/O,
 * or the disk, and nothing is rendered that nobody asks for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/metrics.h"
#include "serve/serve_int.h"
#include "util/util.h"

#define MEMORY_PER_CONNECTION (16 * 1024) /* request line + headers: more gets 431 */

void
dd_serve_logf(struct dd_serve *sv, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sv->log)
		sv->log(sv->log_ctx, line);
	else
		fprintf(stderr, "%s\n", line);
}

/* MHD's own error messages: one log line each, the last kept for dd_serve_new's err.
 * fmt is MHD's own format string (the attribute says so to the compiler). */
__attribute__((format(printf, 2, 0))) static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct dd_serve *sv = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	dd_strlcpy(sv->mhd_err, msg, sizeof(sv->mhd_err));
	dd_serve_logf(sv, "http: %s", msg);
}

void
dd_serve_auth_hash(const char *user, size_t ulen, const char *pw, size_t plen, unsigned char *out)
{
	crypto_generichash_state st;
	static const unsigned char zero = 0;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)user, ulen);
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, (const unsigned char *)pw, plen);
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof(st));
}

static int
set_auth(struct dd_serve *sv, const struct dd_serve_options *o, char *err, size_t errlen)
{
	if (!o->auth_user)
		return 0;
	if (sodium_init() < 0 || !(sv->auth_hash = sodium_malloc(crypto_generichash_BYTES))) {
		dd_seterr(err, errlen, "no secure memory for the HTTP credential");
		return -1;
	}
	dd_serve_auth_hash(o->auth_user, strlen(o->auth_user), o->auth_password,
	    strlen(o->auth_password), sv->auth_hash);
	sodium_mprotect_readonly(sv->auth_hash);
	return 0;
}

static uint16_t
listen_port(const struct sockaddr_storage *a)
{
	return ntohs(a->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)a)->sin6_port
	                                      : ((const struct sockaddr_in *)a)->sin_port);
}

static struct MHD_Daemon *
start_daemon(struct dd_serve *sv, const struct dd_serve_options *o,
    const struct sockaddr_storage *addr, char *err, size_t errlen)
{
	unsigned timeout_s = (unsigned)((o->connection_timeout_ms + 999) / 1000);
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[] = {
	    {MHD_OPTION_SOCK_ADDR, 0, (void *)addr},
	    {MHD_OPTION_CONNECTION_LIMIT, o->max_connections, NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_connection_limit, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, timeout_s ? timeout_s : 1, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_PER_CONNECTION, NULL},
	    {MHD_OPTION_END, 0, NULL}, /* TLS key and certificate go here */
	    {MHD_OPTION_END, 0, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d;

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->tls_cert_pem) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			dd_seterr(err, errlen, "this libmicrohttpd has no TLS support");
			return NULL;
		}
		flags |= MHD_USE_TLS;
		ops[5] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key_pem};
		ops[6] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->tls_cert_pem};
	}
	/* the logger first, or MHD logs the options' errors its own way */
	/* the port too, though MHD binds SOCK_ADDR: its messages name it */
	d = MHD_start_daemon(flags, listen_port(addr), NULL, NULL, dd_serve_on_request, sv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, sv, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (d == NULL)
		dd_seterr(err, errlen, "cannot serve on %s: %s", o->listen,
		    sv->mhd_err[0] ? sv->mhd_err : strerror(errno));
	return d;
}

struct dd_serve *
dd_serve_new(const struct dd_serve_options *o, char *err, size_t errlen)
{
	struct dd_serve *sv = xcalloc(1, sizeof(*sv));
	struct sockaddr_storage addr;
	socklen_t alen;

	sv->log = o->log;
	sv->log_ctx = o->log_ctx;
	pthread_mutex_init(&sv->mu, NULL);
	if (dd_config_parse_listen(o->listen, &addr, &alen, err, errlen) != 0)
		goto fail;
	if (set_auth(sv, o, err, errlen) != 0)
		goto fail;
	sv->daemon = start_daemon(sv, o, &addr, err, errlen);
	if (sv->daemon == NULL)
		goto fail;
	return sv;
fail:
	dd_serve_free(sv);
	return NULL;
}

struct serve_docs *
dd_serve_docs_get(struct dd_serve *sv)
{
	struct serve_docs *d;

	pthread_mutex_lock(&sv->mu);
	d = sv->docs;
	if (d)
		atomic_fetch_add(&d->refs, 1);
	pthread_mutex_unlock(&sv->mu);
	return d;
}

void
dd_serve_docs_put(struct serve_docs *d)
{
	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	for (size_t i = 0; i < d->n_lb; i++) {
		free(d->lb[i].cluster);
		free(d->lb[i].node);
	}
	free(d->lb);
	dd_snapshot_unref(d->snap);
	dd_core_scrape_free(d->core_figs);
	free(d->backups);
	free(d->metrics);
	free(d->status);
	free(d->health);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

const char *
serve_docs_metrics(struct dd_serve *sv, struct serve_docs *d, size_t *len)
{
	pthread_mutex_lock(&d->mu);
	if (d->metrics == NULL) {
		struct dd_prom *p = dd_prom_new();
		int64_t t0 = dd_now_mono_ns();
		int rc = dd_core_scrape_write(d->core_figs, p);
		size_t n;

		if (rc == 0)
			rc = dd_serve_write_prometheus(p, d->snap, d->backups);
		if (rc != 0)
			dd_serve_logf(sv, "metrics: %s", dd_prom_error(p));
		d->metrics = xstrdup(dd_prom_text(p, &n));
		d->metrics_len = n;
		dd_prom_free(p);
		d->render_s = (double)(dd_now_mono_ns() - t0) / 1e9;
	}
	pthread_mutex_unlock(&d->mu);
	*len = d->metrics_len;
	return d->metrics;
}

static char *
status_of(const struct serve_docs *d)
{
	return dd_status_json_text(d->snap, d->backups);
}

static char *
health_of(const struct serve_docs *d)
{
	return dd_health_json_text(d->snap);
}

/* *doc, rendered by render on the first call and kept; its length in *len. */
static const char *
lazy_doc(struct serve_docs *d, char **doc, size_t *doc_len,
    char *(*render)(const struct serve_docs *), size_t *len)
{
	pthread_mutex_lock(&d->mu);
	if (*doc == NULL) {
		*doc = render(d);
		*doc_len = strlen(*doc);
	}
	pthread_mutex_unlock(&d->mu);
	*len = *doc_len;
	return *doc;
}

const char *
serve_docs_status(struct serve_docs *d, size_t *len)
{
	return lazy_doc(d, &d->status, &d->status_len, status_of, len);
}

const char *
serve_docs_health(struct serve_docs *d, size_t *len)
{
	return lazy_doc(d, &d->health, &d->health_len, health_of, len);
}

static void
render_lb(struct serve_docs *d, const struct dd_snapshot *s)
{
	d->lb = xcalloc(s->n_nodes ? (size_t)s->n_nodes : 1, sizeof(*d->lb));
	for (int i = 0; i < s->n_nodes; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		struct serve_lb *l = &d->lb[d->n_lb++];
		l->cluster = xstrdup(s->clusters[n->cluster].name);
		l->node = xstrdup(n->name);
		l->primary = dd_serve_is_primary(s, n);
		l->replica = dd_serve_is_good_replica(s, n);
	}
}

void
dd_serve_publish(struct dd_serve *sv, struct dd_core *core, const struct dd_snapshot *s,
    const struct dd_status_backup *backups, bool ready)
{
	struct serve_docs *d = xcalloc(1, sizeof(*d)), *old;
	size_t nb = s->n_clusters > 0 ? (size_t)s->n_clusters : 1;

	atomic_init(&d->refs, 1);
	pthread_mutex_init(&d->mu, NULL);
	d->snap = dd_snapshot_ref(s);
	d->core_figs = dd_core_scrape_take(core);
	d->backups = xcalloc(nb, sizeof(*d->backups));
	if (backups)
		memcpy(d->backups, backups, (size_t)s->n_clusters * sizeof(*d->backups));
	d->unhealthy = s->health == DD_HEALTH_UNHEALTHY;
	render_lb(d, s);
	pthread_mutex_lock(&sv->mu);
	old = sv->docs;
	sv->docs = d;
	pthread_mutex_unlock(&sv->mu);
	dd_serve_docs_put(old);
	if (ready && !atomic_exchange(&sv->ready, true))
		dd_serve_logf(sv, "ready: the first probe round is done");
}

void
dd_serve_note_reload(struct dd_serve *sv, bool ok)
{
	atomic_fetch_add(ok ? &sv->reloads_ok : &sv->reloads_refused, 1);
}

static unsigned
connections(struct dd_serve *sv)
{
	const union MHD_DaemonInfo *i =
	    MHD_get_daemon_info(sv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return i ? i->num_connections : 0;
}

void
dd_serve_stop(struct dd_serve *sv, int64_t deadline_ns)
{
	MHD_socket fd;

	if (sv == NULL || sv->daemon == NULL || sv->stopped)
		return;
	sv->stopped = true;
	fd = MHD_quiesce_daemon(sv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (connections(sv) > 0 && dd_now_mono_ns() < deadline_ns) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(sv->daemon);
	sv->daemon = NULL;
}

void
dd_serve_free(struct dd_serve *sv)
{
	if (sv == NULL)
		return;
	dd_serve_stop(sv, 0);
	dd_serve_docs_put(sv->docs);
	if (sv->auth_hash)
		sodium_free(sv->auth_hash);
	pthread_mutex_destroy(&sv->mu);
	free(sv);
}
