/*
 * config_tls.c: the config's transport-security pass (docs/security.md,
 * "Credentials on the wire" and "TLS modes"), run once every node's keys
 * and defaults are in place:
 *
 *   - an unset `tls` is verify-full, except on a loopback host or a Unix
 *     socket, where it is prefer (the table's default is the safe one);
 *   - a non-loopback node whose server certificate is not verified
 *     (disable, prefer, require) is a warning that names the risk;
 *   - auth = any is a warning unless verify-full proves who the server is;
 *   - verify-ca/verify-full with no tls_ca and no system trust store is an
 *     error: such a node could never connect, and must not verify nothing.
 */
#include "config/config_internal.h"

#include "dbdeck/tls.h"

/* What an unverified mode leaves open, by enum dd_tls_mode (verify-* have none). */
static const char *const unverified_risk[] = {
    [DD_TLS_DISABLE] = "sends every query and result in clear, for anyone on the way to "
                       "read or change",
    [DD_TLS_PREFER] = "does not check the server's certificate and goes without TLS when "
                      "told the server has none: whoever can intercept the traffic can read "
                      "or change every query and result",
    [DD_TLS_REQUIRE] = "does not check the server's certificate: whoever can intercept the "
                       "traffic can pose as the server and read or change every query and "
                       "result",
};

static int
line_of(const struct cfg_rec *rec, int key)
{
	return key >= 0 && rec->key_line[key] ? rec->key_line[key] : rec->line;
}

static bool
key_set_good(const struct cfg_rec *rec, int key)
{
	return key >= 0 && rec->key_line[key] && !rec->key_bad[key];
}

static void
check_unverified(const struct cfg_rec *rec, int tls_key, struct dd_diags *diags, const char *file)
{
	const struct dd_node_config *n = &rec->u.node;

	if (dd_host_is_loopback(n->host) || n->tls > DD_TLS_REQUIRE)
		return;
	dd_diags_add(diags, DD_DIAG_WARNING, file, line_of(rec, tls_key),
	    "node '%s': tls = %s on a host that is not loopback (%s) %s; use tls = verify-full "
	    "with tls_ca (or the system trust store)",
	    n->name, dd_tls_mode_name(n->tls), n->host, unverified_risk[n->tls]);
}

static void
check_auth_any(const struct cfg_rec *rec, int auth_key, struct dd_diags *diags, const char *file)
{
	const struct dd_node_config *n = &rec->u.node;

	if (n->auth != DD_AUTH_ANY || n->tls == DD_TLS_VERIFY_FULL || n->host[0] == '/')
		return;
	dd_diags_add(diags, DD_DIAG_WARNING, file, line_of(rec, auth_key),
	    "node '%s': auth = any lets the server, or whoever answers in its place (tls = %s "
	    "does not prove who that is), ask for the password in clear text or as an md5 hash "
	    "and get it; leave auth unset (strict) unless this server needs it",
	    n->name, dd_tls_mode_name(n->tls));
}

static void
check_trust_store(const struct cfg_rec *rec, int tls_key, struct dd_diags *diags, const char *file)
{
	const struct dd_node_config *n = &rec->u.node;

	if (!dd_tls_verifies(n->tls) || n->tls_ca || dd_tls_system_ca())
		return;
	dd_diags_add(diags, DD_DIAG_ERROR, file, line_of(rec, tls_key),
	    "node '%s': tls = %s needs a CA: set tls_ca to the CA that signed the server's "
	    "certificate (no system trust store was found; SSL_CERT_FILE names one), or choose "
	    "a weaker tls on purpose",
	    n->name, dd_tls_mode_name(n->tls));
}

void
dd_cfg_check_tls(struct dd_config *cfg, struct dd_diags *diags, const char *file)
{
	int tls_key = dd_cfg_key_find(CFG_NODE, "tls");
	int auth_key = dd_cfg_key_find(CFG_NODE, "auth");

	for (size_t i = 0; i < cfg->nnodes; i++) {
		struct cfg_rec *rec = cfg->nodes[i];
		struct dd_node_config *n = &rec->u.node;
		if (!n->host || (tls_key >= 0 && rec->key_bad[tls_key]))
			continue;
		if (!key_set_good(rec, tls_key) && dd_host_is_loopback(n->host))
			n->tls = DD_TLS_PREFER;
		check_unverified(rec, tls_key, diags, file);
		if (auth_key >= 0 && !rec->key_bad[auth_key])
			check_auth_any(rec, auth_key, diags, file);
		check_trust_store(rec, tls_key, diags, file);
	}
}
