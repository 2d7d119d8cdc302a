/*
 * tls.h: the TLS modes of a node's connection (DESIGN.md §4 `tls`), shared by
 * the config (which parses them) and the drivers (which apply them).
 */
#ifndef DBDECK_TLS_H
#define DBDECK_TLS_H

enum dd_tls_mode {
	DD_TLS_DISABLE,
	DD_TLS_PREFER,
	DD_TLS_REQUIRE,
	DD_TLS_VERIFY_CA,
	DD_TLS_VERIFY_FULL,
};

/* "disable", "prefer", "require", "verify-ca", "verify-full". Static storage. */
const char *dd_tls_mode_name(enum dd_tls_mode m);

#endif
