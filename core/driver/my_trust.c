/*
 * my_trust.c: keeps MariaDB Connector/C from loading the system trust store
 * into connections that never use it (docs/security.md §11, "Memory").
 *
 * Connector/C 3.3 (OpenSSL build, Debian's libmariadb3) gives every TLS
 * connection its own SSL_CTX. When neither a CA file nor a CA directory is
 * set it calls SSL_CTX_set_default_verify_paths(), which parses the whole
 * system bundle (about 140 certificates, ~0.85 MB) into that context, and
 * then does not verify the server at all (SSL_VERIFY_NONE). Setting a CA of
 * our own is no way out: any CA turns verification on, and tls = prefer or
 * require must accept any certificate. The library has no option for it.
 *
 * So the executable defines SSL_CTX_set_default_verify_paths itself (the
 * link exports it, core/meson.build), and the dynamic linker binds the
 * library's call to it. It skips the load only on a thread that is inside a
 * MariaDB connect of a node whose tls mode does not verify (my_open sets the
 * flag around the connect); every other caller gets OpenSSL's own function.
 * verify-ca and verify-full always hand the library a CA file (tls_ca or the
 * system bundle, my_ca), so the library never calls this for them. An empty
 * store can only make a verification fail, never pass.
 */
#include "driver/my_trust.h"

#include <dlfcn.h>
#include <stddef.h>

struct ssl_ctx_st; /* OpenSSL's SSL_CTX; no OpenSSL header needed */

typedef int (*set_paths_fn)(struct ssl_ctx_st *);

static _Thread_local bool skip_system_store;

void
drv_my_trust_skip(bool on)
{
	skip_system_store = on;
}

/* Interposes OpenSSL's function of the same name (see the top of the file). */
int SSL_CTX_set_default_verify_paths(struct ssl_ctx_st *ctx);

int
SSL_CTX_set_default_verify_paths(struct ssl_ctx_st *ctx)
{
	set_paths_fn real;

	if (skip_system_store)
		return 1; /* the store stays empty; nothing will be verified with it */
	*(void **)&real = dlsym(RTLD_NEXT, "SSL_CTX_set_default_verify_paths");
	return real ? real(ctx) : 0;
}
