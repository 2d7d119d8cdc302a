/*
 * serve_routes.c: the HTTP access handler of dbdeck serve (docs/serve.md):
 *
 *   /livez                          200 while the process answers (no auth)
 *   /readyz                         200 after the first probe round, else 503 (no auth)
 *   /metrics                        Prometheus text 0.0.4
 *   /status                         the status document (= dbdeck status --json)
 *   /health                         the health document; 503 when unhealthy
 *   /cluster/C/primary/N            200 when N is C's writable primary, else 503
 *   /cluster/C/replica/N            200 when N is a running replica within lag_max, else 503
 *
 * Unknown paths, clusters and nodes 404; methods other than GET and HEAD
 * 405 (HEAD answers like GET, without the body: MHD leaves it out). With
 * auth_credential, everything but /livez and /readyz needs HTTP Basic with
 * that entry's user and password, compared in constant time through a hash.
 * Every answer is a copy of a rendered document: nothing here blocks.
 */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/metrics.h"
#include "serve/serve_int.h"
#include "util/util.h"

#define CT_TEXT   "text/plain; charset=utf-8"
#define CT_PROM   "text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON   "application/json"
#define AUTH_MAX  1024 /* longest Authorization value looked at */
#define REALM_HDR "Basic realm=\"dbdeck\", charset=\"UTF-8\""

/* Queues a response that takes ownership of body (malloc'd), or copies a constant. */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *type, char *body, size_t len, bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, REALM_HDR);
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned code, const char *text)
{
	return reply(c, code, CT_TEXT, (char *)text, strlen(text), false);
}

/* Whether the request carries the configured Basic credential. */
static bool
authorized(struct dd_serve *sv, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	unsigned char got[crypto_generichash_BYTES];
	char *plain;
	size_t n = 0, hl;
	bool ok = false;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	h += 6;
	h += strspn(h, " ");
	hl = strnlen(h, AUTH_MAX + 1);
	if (hl > AUTH_MAX || (plain = sodium_malloc(hl + 1)) == NULL)
		return false;
	if (sodium_base642bin((unsigned char *)plain, hl, h, hl, NULL, &n, NULL,
	        sodium_base64_VARIANT_ORIGINAL) == 0) {
		char *colon = memchr(plain, ':', n);
		if (colon) {
			dd_serve_auth_hash(plain, (size_t)(colon - plain), colon + 1,
			    n - (size_t)(colon - plain) - 1, got);
			ok = sodium_memcmp(got, sv->auth_hash, sizeof(got)) == 0;
			sodium_memzero(got, sizeof(got));
		}
	}
	sodium_free(plain);
	return ok;
}

/* The families only the moment of the request knows, appended to the rendered ones. */
static char *
metrics_body(struct dd_serve *sv, struct serve_docs *d, size_t *len)
{
	size_t ml;
	const char *body = serve_docs_metrics(sv, d, &ml);
	struct dd_prom *p = dd_prom_new();
	struct dd_prom_label ok = {"result", "ok"}, refused = {"result", "refused"};
	size_t tl;
	const char *tail;
	char *out;

	dd_prom_family(p, "dbdeck_http_requests_total", DD_PROM_COUNTER,
	    "HTTP requests dbdeck serve has answered, this one included");
	dd_prom_sample(p, NULL, 0, (double)atomic_load(&sv->requests));
	dd_prom_family(p, "dbdeck_config_reloads_total", DD_PROM_COUNTER,
	    "configuration reloads (SIGHUP) by result: ok, or refused (errors; the old one kept)");
	dd_prom_sample(p, &ok, 1, (double)atomic_load(&sv->reloads_ok));
	dd_prom_sample(p, &refused, 1, (double)atomic_load(&sv->reloads_refused));
	dd_prom_family(p, "dbdeck_render_duration_seconds", DD_PROM_GAUGE,
	    "how long rendering /metrics from the last snapshot took (at its first scrape)");
	dd_prom_sample(p, NULL, 0, d->render_s);
	dd_prom_family(p, "dbdeck_ready", DD_PROM_GAUGE, "1 once the first probe round is done");
	dd_prom_sample(p, NULL, 0, atomic_load(&sv->ready) ? 1 : 0);
	tail = dd_prom_text(p, &tl);
	out = xmalloc(ml + tl + 1);
	memcpy(out, body, ml);
	memcpy(out + ml, tail, tl + 1);
	*len = ml + tl;
	dd_prom_free(p);
	return out;
}

/* /cluster/C/primary/N and /cluster/C/replica/N. */
static enum MHD_Result
lb_check(struct MHD_Connection *c, const struct serve_docs *d, const char *path)
{
	char cl[128], kind[16], node[128], tail;
	bool primary;

	if (sscanf(path, "/cluster/%127[^/]/%15[^/]/%127[^/]%c", cl, kind, node, &tail) != 3)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(kind, "primary") != 0 && strcmp(kind, "replica") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	primary = kind[0] == 'p';
	for (size_t i = 0; i < d->n_lb; i++) {
		const struct serve_lb *l = &d->lb[i];
		if (strcmp(l->cluster, cl) != 0 || strcmp(l->node, node) != 0)
			continue;
		if (primary ? l->primary : l->replica)
			return reply_text(c, MHD_HTTP_OK, primary ? "primary\n" : "replica\n");
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    primary ? "not the writable primary\n" : "not a replica within lag_max\n");
	}
	return reply_text(c, MHD_HTTP_NOT_FOUND, "no such cluster or node\n");
}

static enum MHD_Result
route_docs(struct dd_serve *sv, struct MHD_Connection *c, const char *url)
{
	struct serve_docs *d = dd_serve_docs_get(sv);
	enum MHD_Result rc;
	size_t len;

	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/status") != 0 &&
	    strcmp(url, "/health") != 0 && strncmp(url, "/cluster/", 9) != 0)
		rc = reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	else if (d == NULL)
		rc = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
	else if (strcmp(url, "/metrics") == 0) {
		char *body = metrics_body(sv, d, &len);
		rc = reply(c, MHD_HTTP_OK, CT_PROM, body, len, true);
	} else if (strcmp(url, "/status") == 0) {
		const char *body = serve_docs_status(d, &len);
		rc = reply(c, MHD_HTTP_OK, CT_JSON, (char *)body, len, false);
	} else if (strcmp(url, "/health") == 0) {
		const char *body = serve_docs_health(d, &len);
		rc = reply(c, d->unhealthy ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, CT_JSON,
		    (char *)body, len, false);
	} else
		rc = lb_check(c, d, url);
	dd_serve_docs_put(d);
	return rc;
}

enum MHD_Result
dd_serve_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	static int first_call;
	struct dd_serve *sv = cls;

	(void)version;
	(void)upload;
	if (*req_cls == NULL) { /* headers only: answer once the request is complete */
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size != 0) { /* a body is read and dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&sv->requests, 1);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/livez") == 0)
		return reply_text(c, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/readyz") == 0)
		return atomic_load(&sv->ready)
		           ? reply_text(c, MHD_HTTP_OK, "ready\n")
		           : reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
	if (sv->auth_hash && !authorized(sv, c))
		return reply_text(c, MHD_HTTP_UNAUTHORIZED, "authentication required\n");
	return route_docs(sv, c, url);
}
