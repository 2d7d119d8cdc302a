/*
 * config_serve.c: the checks of the [serve] section, run once its keys and
 * defaults are in place: `listen` must be a numeric ADDR:PORT (IPv6 as
 * [ADDR]:PORT; no host names, so the address served is the one written),
 * tls_cert and tls_key come together, and a listen address that is not
 * loopback without both TLS and auth_credential is a warning (anyone who
 * reaches the port could read every cluster's figures, in clear).
 */
#include "config/config_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int
dd_config_parse_listen(
    const char *s, struct sockaddr_storage *out, socklen_t *outlen, char *err, size_t errlen)
{
	char host[64], *end;
	const char *colon, *h = s;
	size_t hl;
	long port;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		h = s + 1;
		hl = rb ? (size_t)(rb - h) : 0;
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : 0;
	}
	if (!colon || hl == 0 || hl >= sizeof(host)) {
		dd_seterr(err, errlen, "'%s' is not ADDR:PORT (IPv6: [ADDR]:PORT)", s);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || port < 1 || port > 65535) {
		dd_seterr(err, errlen, "'%s': the port must be 1..65535", s);
		return -1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*outlen = sizeof(*v4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*outlen = sizeof(*v6);
		return 0;
	}
	dd_seterr(err, errlen, "'%s': the address must be a numeric IPv4 or [IPv6] address", s);
	return -1;
}

bool
dd_config_listen_is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return false;
}

static int
key_line(const struct cfg_rec *rec, const char *key)
{
	int k = dd_cfg_key_find(CFG_SERVE, key);

	return k >= 0 && rec->key_line[k] ? rec->key_line[k] : rec->line;
}

void
dd_cfg_check_serve(struct dd_config *cfg, struct dd_diags *diags, const char *file)
{
	const struct cfg_rec *rec = cfg->serve;
	const struct dd_serve_config *sv = &rec->u.serve;
	struct sockaddr_storage a;
	socklen_t alen;
	char err[200];

	if (!sv->listen)
		return;
	if (dd_config_parse_listen(sv->listen, &a, &alen, err, sizeof(err)) != 0) {
		dd_diags_add(
		    diags, DD_DIAG_ERROR, file, key_line(rec, "listen"), "listen: %s", err);
		return;
	}
	if (!sv->tls_cert != !sv->tls_key)
		dd_diags_add(diags, DD_DIAG_ERROR, file,
		    key_line(rec, sv->tls_cert ? "tls_cert" : "tls_key"),
		    "[serve] needs both tls_cert and tls_key for HTTPS, or neither");
	if (!dd_config_listen_is_loopback(&a) && (!sv->tls_cert || !sv->auth_credential))
		dd_diags_add(diags, DD_DIAG_WARNING, file, key_line(rec, "listen"),
		    "[serve] listen = %s is not loopback and has no %s: anyone who reaches it can "
		    "read every cluster's state%s; set tls_cert, tls_key and auth_credential",
		    sv->listen, sv->tls_cert ? "auth_credential" : "TLS",
		    sv->tls_cert ? "" : " in clear");
}
