/*
 * patroni_client.c: the REST client of Patroni's agents (patroni.h), on
 * libcurl. Every request has a connect and a total deadline, no signals
 * (CURLOPT_NOSIGNAL: safe in threads), no redirects, a bounded reply, and
 * TLS verification on (patroni_tls_ca when set). The cluster's URLs are
 * tried in order until one answers.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/patroni.h"
#include "dbdeck/text.h"
#include "util/util.h"

#define MAX_URLS  8
#define REPLY_MAX (256 * 1024)

struct dd_patroni {
	char urls[MAX_URLS][256];
	int n_urls;
	char *tls_ca; /* owned; NULL: the system's */
	const char *user, *password;
	int64_t timeout_ms;
};

struct buf {
	char *data;
	size_t len;
	bool overflow;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
dd_patroni_new(const struct dd_cluster_config *cc, const char *user, const char *password,
    int64_t timeout_ms, struct dd_patroni **out, char *err, size_t errlen)
{
	struct dd_patroni *p = xcalloc(1, sizeof(*p));

	*out = NULL;
	p->n_urls = dd_patroni_split_urls(cc->patroni_url, p->urls, MAX_URLS, err, errlen);
	if (p->n_urls <= 0) {
		if (p->n_urls == 0)
			dd_seterr(err, errlen, "cluster %s: manager = patroni needs patroni_url",
			    cc->name);
		free(p);
		return -1;
	}
	p->tls_ca = cc->patroni_tls_ca ? xstrdup(cc->patroni_tls_ca) : NULL;
	p->user = user;
	p->password = password;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
	pthread_once(&curl_once, curl_init);
	*out = p;
	return 0;
}

void
dd_patroni_set_timeout(struct dd_patroni *p, int64_t timeout_ms)
{
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
}

void
dd_patroni_free(struct dd_patroni *p)
{
	if (p == NULL)
		return;
	free(p->tls_ca);
	free(p);
}

static size_t
on_data(char *ptr, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;

	if (b->len + add > REPLY_MAX) {
		b->overflow = true;
		return 0;
	}
	b->data = xrealloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* The agent's base URL: scheme://host:port of url (a member's api_url ends in /patroni). */
static void
base_of(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	size_t n = slash ? (size_t)(slash - url) : strlen(url);

	if (n >= len)
		n = len - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

static void
set_options(struct dd_patroni *p, CURL *c, const char *method, const char *body)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT_MS, (long)(p->timeout_ms < 2000 ? p->timeout_ms : 2000));
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	if (p->tls_ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->tls_ca);
	if (p->user && p->password) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, p->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, p->password);
	}
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
}

/* One request to one agent: 0 with status and the raw body (caller frees), -1 with err. */
static int
request(struct dd_patroni *p, const char *base, const char *method, const char *path,
    const char *body, long *status, struct buf *b, char *err, size_t errlen)
{
	char url[512];
	struct curl_slist *hdr = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (c == NULL) {
		dd_seterr(err, errlen, "libcurl could not start a request");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	set_options(p, c, method, body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}
	rc = curl_easy_perform(c);
	bool reached = rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else if (b->overflow)
		dd_seterr(err, errlen, "%s: the answer is larger than %d bytes", base, REPLY_MAX);
	else
		dd_seterr(err, errlen, "%s: %s", base, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : reached ? -2 : -1;
}

int
dd_patroni_call(struct dd_patroni *p, const char *base, const char *method, const char *path,
    const char *body, long *status, char *reply, size_t replylen, char *err, size_t errlen)
{
	char one[256], why[200] = "";
	int rc = -1;

	/* the next agent only when this one could not be reached: a POST is not repeated */
	for (int i = 0; i < (base ? 1 : p->n_urls) && rc == -1; i++) {
		struct buf b = {0};
		base_of(base ? base : p->urls[i], one, sizeof(one));
		*status = 0;
		rc = request(p, one, method, path, body, status, &b, why, sizeof(why));
		if (rc == 0 && reply && replylen)
			dd_text_sanitize(
			    reply, replylen, b.data ? b.data : "", b.len, (int)replylen, 0);
		free(b.data);
	}
	if (rc == -1)
		dd_seterr(err, errlen, "no Patroni agent answered (%s)", why);
	else if (rc != 0)
		dd_seterr(err, errlen, "%s", why);
	return rc == 0 ? 0 : -1;
}

int
dd_patroni_get_cluster(struct dd_patroni *p, struct dd_patroni_view *out, char *err, size_t errlen)
{
	char why[240] = "no URL";

	for (int i = 0; i < p->n_urls; i++) {
		struct buf b = {0};
		long status = 0;
		int rc =
		    request(p, p->urls[i], "GET", "/cluster", NULL, &status, &b, why, sizeof(why));
		if (rc == 0 && status != 200)
			dd_seterr(why, sizeof(why), "%s: HTTP %ld", p->urls[i], status);
		else if (rc == 0 && dd_patroni_parse_cluster(
		                        b.data ? b.data : "", b.len, out, why, sizeof(why)) == 0) {
			dd_strlcpy(out->source, p->urls[i], sizeof(out->source));
			free(b.data);
			return 0;
		}
		free(b.data);
	}
	dd_seterr(err, errlen, "Patroni's /cluster: %s", why);
	return -1;
}

int
dd_patroni_get_agent(
    struct dd_patroni *p, const char *base, struct dd_patroni_agent *out, char *err, size_t errlen)
{
	char *reply = xmalloc(4096);
	long status = 0;
	int rc = -1;

	if (dd_patroni_call(p, base, "GET", "/patroni", NULL, &status, reply, 4096, err, errlen) !=
	    0)
		goto out;
	if (status != 200 && status != 503) { /* 503: a replica that is not running answers too */
		dd_seterr(err, errlen, "GET /patroni: HTTP %ld", status);
		goto out;
	}
	rc = dd_patroni_parse_agent(reply, strlen(reply), out, err, errlen);
out:
	free(reply);
	return rc;
}

bool
dd_patroni_detect(const struct dd_cluster_config *cc, int64_t timeout_ms, char *where, size_t len)
{
	struct dd_cluster_config probe;
	char url[300], why[200], *reply = xmalloc(2048);
	bool found = false;

	if (cc->manager != DD_MANAGER_AUTO || cc->engine != DD_ENGINE_POSTGRESQL)
		goto out;
	for (size_t i = 0; i < cc->n_nodes && !found; i++) {
		struct dd_patroni *api = NULL;
		long status = 0;
		if (cc->nodes[i]->host[0] == '/')
			continue; /* a Unix socket directory: no host to ask */
		memset(&probe, 0, sizeof(probe));
		probe.name = cc->name;
		snprintf(url, sizeof(url), "http://%s:8008", cc->nodes[i]->host);
		probe.patroni_url = url;
		if (dd_patroni_new(&probe, NULL, NULL, timeout_ms, &api, why, sizeof(why)) != 0)
			continue;
		found = dd_patroni_call(api, NULL, "GET", "/patroni", NULL, &status, reply, 2048,
		            why, sizeof(why)) == 0 &&
		        strstr(reply, "\"scope\"") != NULL;
		dd_patroni_free(api);
		if (found)
			dd_strlcpy(where, url, len);
	}
out:
	free(reply);
	return found;
}
