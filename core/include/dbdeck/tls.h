/*
 * tls.h: how a node's connection protects itself (DESIGN.md §4 `tls`, and
 * docs/security.md "Credentials on the wire"), shared by the config (which
 * parses and checks it) and the drivers (which apply it): the TLS mode, the
 * password policy (`auth`), the system trust store that verify-ca and
 * verify-full use when no tls_ca is given, and what counts as loopback.
 */
#ifndef DBDECK_TLS_H
#define DBDECK_TLS_H

#include <stdbool.h>

enum dd_tls_mode {
	DD_TLS_DISABLE,
	DD_TLS_PREFER,
	DD_TLS_REQUIRE,
	DD_TLS_VERIFY_CA,
	DD_TLS_VERIFY_FULL,
};

/* "disable", "prefer", "require", "verify-ca", "verify-full". Static storage. */
const char *dd_tls_mode_name(enum dd_tls_mode m);

/* True for verify-ca and verify-full: the server's certificate is checked. */
bool dd_tls_verifies(enum dd_tls_mode m);

/*
 * What the password may be turned into on the wire. DD_AUTH_STRICT (the
 * default, value 0): never clear text, never an md5 hash; PostgreSQL only
 * SCRAM-SHA-256 (channel-bound when TLS is used), MariaDB only
 * mysql_native_password and client_ed25519. DD_AUTH_ANY: whatever the
 * server asks for, as the client libraries do by default.
 */
enum dd_auth_mode {
	DD_AUTH_STRICT,
	DD_AUTH_ANY,
};

/* "strict", "any". Static storage. */
const char *dd_auth_mode_name(enum dd_auth_mode m);

/*
 * The CA bundle of the system trust store: $SSL_CERT_FILE when it is set
 * (OpenSSL's variable; "" or a file that cannot be read means "none"), else
 * the first readable one of the usual bundle paths (Debian, Red Hat, SUSE,
 * Alpine). NULL when there is none. Borrowed: static storage or the
 * environment, valid until the environment changes.
 */
const char *dd_tls_system_ca(void);

/*
 * True when host is a Unix socket path (starts with '/'), "localhost", or a
 * numeric loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x). Host names
 * other than "localhost" are not resolved: they count as not loopback.
 */
bool dd_host_is_loopback(const char *host);

#endif
