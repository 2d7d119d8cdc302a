/*
 * tls.c: the transport-security helpers of tls.h that the config and both
 * drivers share: the names of the auth modes, the system trust store used
 * by verify-ca/verify-full without tls_ca, and the loopback test behind the
 * config's host-dependent tls default and warnings.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbdeck/tls.h"
#include "util/util.h"

/* The usual CA bundles, most common first (one file each, PEM). */
static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Arch, Gentoo */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Red Hat, Fedora, CentOS */
    "/etc/ssl/ca-bundle.pem",             /* openSUSE */
    "/etc/ssl/cert.pem",                  /* Alpine, macOS, the BSDs */
};

bool
dd_tls_verifies(enum dd_tls_mode m)
{
	return m == DD_TLS_VERIFY_CA || m == DD_TLS_VERIFY_FULL;
}

const char *
dd_auth_mode_name(enum dd_auth_mode m)
{
	switch (m) {
	case DD_AUTH_STRICT: return "strict";
	case DD_AUTH_ANY: return "any";
	}
	return "unknown";
}

const char *
dd_tls_system_ca(void)
{
	const char *env = getenv("SSL_CERT_FILE");

	if (env)
		return env[0] && access(env, R_OK) == 0 ? env : NULL;
	for (size_t i = 0; i < DD_ARRAY_LEN(system_bundles); i++)
		if (access(system_bundles[i], R_OK) == 0)
			return system_bundles[i];
	return NULL;
}

bool
dd_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!host || !*host)
		return false;
	if (host[0] == '/' || strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return false;
}
