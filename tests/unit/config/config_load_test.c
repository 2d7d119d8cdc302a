/*
 * config_load_test.c: the loader over whole files. A table of small files,
 * each with the exact messages it must produce (FILE:LINE: level: text, in
 * order, nothing more), then the typed values of docs/example.ini, the
 * credential check, the path resolution and the in-memory entry point.
 *
 * Usage: config_load_test SOURCE_ROOT
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "tap.h"
#include "util/util.h"

#define MAXMSG 8

struct load_case {
	const char *name;
	const char *text;
	/* Each prefixed with the file's path: ":LINE: error: ..." or ": error: ...". */
	const char *want[MAXMSG];
};

#define MINI  "engine = postgresql\nnodes = n1\ndatabase = d\ncredential = c\n"
#define NODE1 "[node n1]\nhost = h\n"

static const struct load_case cases[] = {
    {"empty", "", {NULL}},
    {"comments only", "; nothing\n# here\n\n   \n", {NULL}},
    {"minimal", "[cluster a]\n" MINI NODE1, {NULL}},
    {"console only", "[console]\nrefresh = 250ms\nread_only = on\n", {NULL}},
    {"bom and crlf", "\xef\xbb\xbf[cluster a]\r\n" MINI NODE1, {NULL}},
    {"indented keys are keys",
        "[cluster a]\n  engine = mysql\n\tnodes = n1\n database = d\n"
        "credential = c\n" NODE1,
        {NULL}},
    {"bad duration", "[cluster a]\n" MINI "lag_max = 5x\n" NODE1,
        {":6: error: lag_max: '5x' is not a duration (use e.g. 250ms, 5s, 10m, 1h)"}},
    {"unknown key with suggestion", "[cluster a]\n" MINI "pool_sise = 3\n" NODE1,
        {":6: error: unknown key 'pool_sise' in [cluster a]; did you mean 'pool_size'?"}},
    {"unknown key without suggestion", "[console]\ncolour_scheme = x\n",
        {":2: error: unknown key 'colour_scheme' in [console]"}},
    {"key of another section", "[cluster a]\n" MINI "host = h\n" NODE1,
        {":6: error: 'host' belongs in a [node NAME] section, not in [cluster a]"}},
    {"out of range int", "[cluster a]\n" MINI "pool_size = 0\n" NODE1,
        {":6: error: pool_size: 0 is out of range (1..1000)"}},
    {"out of range duration", "[console]\nrefresh = 50ms\n",
        {":2: error: refresh: 50ms is out of range (100ms..1h)"}},
    {"negative duration", "[console]\nrefresh = -1s\n",
        {":2: error: refresh: '-1s' is negative (a duration is e.g. 250ms, 5s, 10m, 1h)"}},
    {"duration overflow", "[console]\nrefresh = 99999999999999999999h\n",
        {":2: error: refresh: '99999999999999999999h' is too large"}},
    {"bad bool", "[console]\nread_only = maybe\n",
        {":2: error: read_only: 'maybe' is not a boolean (use true/false, yes/no, on/off, 1/0)"}},
    {"bad enum", "[node n]\nhost = h\ntls = verify\n",
        {":1: warning: node 'n' is in no cluster's nodes list; it is not used",
            ":3: error: tls: 'verify' is not one of disable, prefer, require, verify-ca, "
            "verify-full"}},
    {"duplicate key", "[console]\ntheme = mono\ntheme = light\n",
        {":3: error: duplicate key 'theme' (first set on line 2)"}},
    {"duplicate sections",
        "[cluster a]\n" MINI NODE1 "[cluster a]\nengine = oracle\n[node n1]\n[console]\n"
        "[console]\n",
        {":8: error: duplicate section [cluster a] (first on line 1)",
            ":9: error: engine: 'oracle' is not one of postgresql, mariadb, mysql",
            ":10: error: duplicate section [node n1] (first on line 6)",
            ":12: error: duplicate section [console] (first on line 11)"}},
    {"missing required keys point at the header", "\n[cluster a]\nengine = mariadb\n",
        {":2: error: missing required key 'nodes' in [cluster a]",
            ":2: error: missing required key 'database' in [cluster a]",
            ":2: error: missing required key 'credential' in [cluster a]"}},
    {"node without host", "[cluster a]\n" MINI "[node n1]\nport = 5433\n",
        {":6: error: missing required key 'host' in [node n1]"}},
    {"unknown node",
        "[cluster a]\nengine = mysql\nnodes = n1, n2\ndatabase = d\n"
        "credential = c\n" NODE1,
        {":3: error: nodes: unknown node 'n2' (no [node n2] section); did you mean 'n1'?"}},
    {"node in two clusters", "[cluster a]\n" MINI "[cluster b]\n" MINI NODE1,
        {":8: error: nodes: node 'n1' is already in cluster 'a' (a node belongs to one "
         "cluster)"}},
    {"node in no cluster is a warning", "[cluster a]\n" MINI NODE1 "[node spare]\nhost = h\n",
        {":8: warning: node 'spare' is in no cluster's nodes list; it is not used"}},
    {"cluster with an empty nodes list",
        "[cluster a]\nengine = mysql\nnodes =\ndatabase = d\ncredential = c\n",
        {":3: error: nodes: no value (expected a list of names, e.g. a, b, c)"}},
    {"bad list",
        "[cluster a]\nengine = mysql\nnodes = n1,,n1\ndatabase = d\ncredential = c\n" NODE1,
        {":3: error: nodes: empty item in the list 'n1,,n1'"}},
    {"min_idle above pool_size", "[cluster a]\n" MINI "pool_size = 4\nmin_idle = 5\n" NODE1,
        {":7: error: min_idle (5) must be at most pool_size (4)"}},
    {"min_idle above the default pool_size", "[cluster a]\n" MINI "min_idle = 21\n" NODE1,
        {":6: error: min_idle (21) must be at most pool_size (20)"}},
    {"lag_critical below lag_max", "[cluster a]\n" MINI "lag_max = 3m\n" NODE1,
        {":6: error: lag_critical (2m) must be at least lag_max (3m)"}},
    {"no cascade from a bad bound key", "[cluster a]\n" MINI "pool_size = x\nmin_idle = 30\n" NODE1,
        {":6: error: pool_size: 'x' is not an integer"}},
    {"unknown section", "[clusters a]\nengine = mysql\n[foo]\nx = 1\n",
        {":1: error: unknown section [clusters a]; did you mean [cluster a]?",
            ":3: error: unknown section [foo] (expected [console], [cluster NAME], [node NAME] or "
            "[serve])"}},
    {"section header mistakes",
        "[cluster]\n[node a b]\n[console x]\n[cluster a\nengine = x\n[console] junk\n",
        {":1: error: [cluster] needs a name: [cluster NAME]",
            ":2: error: [node NAME]: 'a b' is not a valid name (1 to 64 letters, digits, '.', '_' "
            "or '-')",
            ":3: error: [console] takes no name", ":4: error: missing ']' in the section header",
            ":6: error: unexpected text after ']'"}},
    {"key outside any section", "refresh = 1s\n[console]\n",
        {":1: error: 'refresh' is outside any section (keys go under [console], [cluster NAME] "
         "or [node NAME])"}},
    {"malformed lines", "[console]\njust words\n= 5\nrefresh ; = 1s\n",
        {":2: error: expected 'key = value', a [section] header or a comment",
            ":3: error: missing key name before '='",
            ":4: error: expected 'key = value', a [section] header or a comment"}},
    {"empty value of a defaulted key", "[console]\nrefresh =\n",
        {":2: error: refresh: no value (expected a duration, e.g. 250ms, 5s, 10m, 1h)"}},
    {"empty optional values unset",
        "[cluster a]\n" MINI "fence_command =\ntheme =   ; none\n" NODE1, {NULL}},
    {"bad port and retention",
        "[cluster a]\n" MINI "retention = daily:7 hourly:2\n[node n1]\nhost = h\nport = 70000\n",
        {":6: error: retention: 'daily:7 hourly:2' is not a retention (use e.g. daily:30 "
         "weekly:12 monthly:12)",
            ":9: error: port: 70000 is out of range (1..65535)"}},
    {"verify_target not a node of the cluster",
        "[cluster a]\n" MINI "verify_target = n2\n" NODE1 "[node n2]\nhost = h\n",
        {":6: error: verify_target: 'n2' is not one of cluster a's nodes (did you mean 'n1'?)",
            ":9: warning: node 'n2' is in no cluster's nodes list; it is not used"}},
    {"bad backup keys", "[cluster a]\n" MINI "backup_key = a b\nbackup_max_age = 10s\n" NODE1,
        {":6: error: backup_key: 'a b' is not a valid name (1 to 64 letters, digits, '.', '_' "
         "or '-')",
            ":7: error: backup_max_age: 10s is out of range (1m..720h)"}},
    {"path with ~user", "[console]\nvault = ~root/vault\n",
        {":2: error: vault: '~root/vault': only ~ and ~/ are expanded (to $HOME)"}},
    {"control characters are not echoed", "[console]\ntheme = a\x1b[2Jb\n",
        {":2: error: theme: 'a?[2Jb' is not a valid name (1 to 64 letters, digits, '.', '_' "
         "or '-')"}},
    {"NUL byte and long line",
        "[console]\nre\0fresh = 1s\nfence = "
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        {":2: error: the line holds a NUL byte",
            ":3: error: the line is longer than 197 characters"}},
    /* Transport security (config_tls.c); SSL_CERT_FILE names a trust store (main). */
    {"tls unset on a network host: verify-full, no warning",
        "[cluster a]\n" MINI "[node n1]\nhost = 10.0.0.1\n", {NULL}},
    {"tls = require on a network host",
        "[cluster a]\n" MINI "[node n1]\nhost = 10.0.0.1\ntls = require\n",
        {":8: warning: node 'n1': tls = require on a host that is not loopback (10.0.0.1) does "
         "not check the server's certificate: whoever can intercept the traffic can pose as "
         "the server and read or change every query and result; use tls = verify-full with "
         "tls_ca (or the system trust store)"}},
    {"[serve] on loopback: no warning",
        "[cluster a]\n" MINI NODE1 "[serve]\nlisten = 127.0.0.1:9731\nmax_connections = 50\n",
        {NULL}},
    {"[serve] mistakes",
        "[cluster a]\n" MINI NODE1 "[serve x]\n[serve]\nlisten = localhost:80\n"
        "tls_cert = /c.pem\nconnection_timeout = 0s\n",
        {":8: error: [serve] takes no name",
            ":10: error: listen: 'localhost:80': the address must be a numeric IPv4 or [IPv6] "
            "address",
            ":12: error: connection_timeout: 0s is out of range (1s..1h)"}},
    {"[serve] wide open is a warning", "[cluster a]\n" MINI NODE1 "[serve]\nlisten = [::]:9731\n",
        {":9: warning: [serve] listen = [::]:9731 is not loopback and has no TLS: anyone who "
         "reaches it can read every cluster's state in clear; set tls_cert, tls_key and "
         "auth_credential"}},
    {"tls = prefer on a network host",
        "[cluster a]\n" MINI "[node n1]\nhost = db.example.com\ntls = prefer\n",
        {":8: warning: node 'n1': tls = prefer on a host that is not loopback (db.example.com) "
         "does not check the server's certificate and goes without TLS when told the server "
         "has none: whoever can intercept the traffic can read or change every query and "
         "result; use tls = verify-full with tls_ca (or the system trust store)"}},
    {"tls = disable on a network host",
        "[cluster a]\n" MINI "[node n1]\nhost = 10.0.0.1\ntls = disable\n",
        {":8: warning: node 'n1': tls = disable on a host that is not loopback (10.0.0.1) sends "
         "every query and result in clear, for anyone on the way to read or change; use tls = "
         "verify-full with tls_ca (or the system trust store)"}},
    {"unverified tls on loopback and sockets: no warning",
        "[cluster a]\nengine = postgresql\nnodes = n1, n2, n3\ndatabase = d\ncredential = c\n"
        "[node n1]\nhost = 127.0.0.1\ntls = require\n[node n2]\nhost = ::1\ntls = disable\n"
        "[node n3]\nhost = /run/postgresql\n",
        {NULL}},
    {"auth = any without verify-full",
        "[cluster a]\n" MINI "[node n1]\nhost = 127.0.0.1\nauth = any\n",
        {":8: warning: node 'n1': auth = any lets the server, or whoever answers in its place "
         "(tls = prefer does not prove who that is), ask for the password in clear text or as "
         "an md5 hash and get it; leave auth unset (strict) unless this server needs it"}},
    {"auth = any with verify-full, or on a socket: no warning",
        "[cluster a]\nengine = postgresql\nnodes = n1, n2\ndatabase = d\ncredential = c\n"
        "[node n1]\nhost = 10.0.0.1\nauth = any\n[node n2]\nhost = /run/pg\nauth = any\n",
        {NULL}},
    {"bad auth", "[cluster a]\n" MINI "[node n1]\nhost = 10.0.0.1\nauth = maybe\n",
        {":8: error: auth: 'maybe' is not one of strict, any"}},
    {"inline comments and colons",
        "[cluster a]\n" MINI "fence_command = stop;now ; comment\n[node n1]\nhost: h\n", {NULL}},
};

/* Text of the NUL case has an embedded NUL: its length must be given. */
static size_t
case_len(const struct load_case *c)
{
	size_t n = strlen(c->text);

	if (strcmp(c->name, "NUL byte and long line") == 0)
		n += 1 + strlen(c->text + n + 1);
	return n;
}

static char tmpdir[] = "/tmp/dd-config-test-XXXXXX";

static char *
write_file(const char *base, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, base);
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		bail_out("cannot write %s", path);
	return path;
}

static void
run_case(const struct load_case *c, size_t idx)
{
	char base[32];
	snprintf(base, sizeof(base), "case%02zu.ini", idx);
	char *path = write_file(base, c->text, case_len(c));
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;
	size_t nwant = 0, nerr_want = 0, mismatch = 0;

	int rc = dd_config_load(path, &cfg, d);
	for (; nwant < MAXMSG && c->want[nwant]; nwant++)
		nerr_want += strstr(c->want[nwant], ": error: ") != NULL;
	for (size_t i = 0; i < dd_diags_count(d) || i < nwant; i++) {
		char *got = i < dd_diags_count(d) ? dd_diag_format(dd_diags_get(d, i)) : NULL;
		char *want = i < nwant ? xasprintf("%s%s", path, c->want[i]) : NULL;
		if (!got || !want || strcmp(got, want) != 0) {
			mismatch++;
			diag("  got  %s", got ? got : "(nothing)");
			diag("  want %s", want ? want : "(nothing)");
		}
		free(got);
		free(want);
	}
	ok(mismatch == 0 && cfg != NULL && rc == (nerr_want ? -1 : 0), "%s: %zu message(s), rc %d",
	    c->name, nwant, rc);
	dd_config_free(cfg);
	dd_diags_free(d);
	free(path);
}

static const struct dd_config *
load_example(const char *root, struct dd_config **cfg)
{
	char *path = xasprintf("%s/docs/example.ini", root);
	struct dd_diags *d = dd_diags_new();
	int rc = dd_config_load(path, cfg, d);

	ok(rc == 0 && dd_diags_count(d) == 0 && *cfg, "docs/example.ini loads without a message");
	if (dd_diags_count(d))
		dd_diags_print(d, stdout);
	dd_diags_free(d);
	free(path);
	if (!*cfg)
		bail_out("docs/example.ini did not load");
	return *cfg;
}

static void
test_example_values(const char *root)
{
	struct dd_config *cfg = NULL;
	const struct dd_config *c = load_example(root, &cfg);
	const struct dd_console_config *con = dd_config_console(c);
	const struct dd_cluster_config *orders = dd_config_find_cluster(c, "orders");
	const struct dd_cluster_config *catalog = dd_config_find_cluster(c, "catalog");

	is_int(con->refresh_ms, 1000, "console refresh");
	is_str(con->vault, "/home/op/.config/dbdeck/vault", "console vault: ~ expanded");
	is_str(con->log_file, "/home/op/.local/state/dbdeck/dbdeck.log", "console log_file");
	ok(!con->read_only, "console read_only");
	ok(dd_config_console_has(c, "vault") && !dd_config_console_has(c, "nope"),
	    "console_has tells set keys");
	is_int((long long)dd_config_cluster_count(c), 2, "two clusters");
	is_int((long long)dd_config_node_count(c), 6, "six nodes");
	if (!orders || !catalog)
		bail_out("clusters missing");
	ok(dd_config_cluster(c, 0) == orders && dd_config_cluster(c, 2) == NULL, "file order");
	is_int(orders->engine, DD_ENGINE_POSTGRESQL, "orders engine");
	is_int(catalog->engine, DD_ENGINE_MARIADB, "catalog engine");
	is_str(orders->credential, "orders-ops", "orders credential");
	is_int(orders->min_idle, 2, "orders min_idle");
	is_int(orders->read_policy, DD_READ_POLICY_LEAST_LAG, "orders read_policy");
	is_int(orders->accent, DD_COLOUR_RED, "orders accent");
	is_str(orders->fence_command, "/usr/local/sbin/fence-node", "orders fence_command");
	is_int(orders->breaker_recovery_ms, 120000, "orders breaker_recovery");
	is_int((long long)orders->n_nodes, 3, "orders has 3 nodes");
	is_str(orders->nodes[2]->name, "pg-c", "orders nodes in listed order");
	ok(orders->nodes[0]->cluster == orders, "node links back to its cluster");
	is_int(orders->nodes[1]->port, 5432, "pg-b port defaults to 5432 (postgresql)");
	is_int(orders->nodes[0]->tls, DD_TLS_VERIFY_FULL, "pg-a tls");
	is_str(orders->nodes[0]->tls_ca, "/etc/dbdeck/ca.pem", "pg-a tls_ca");
	ok(orders->nodes[0]->tls_key == NULL, "unset optional path is NULL");
	is_int(catalog->nodes[0]->port, 3306, "maria-a port defaults to 3306 (mariadb)");
	is_int(catalog->nodes[0]->weight, 0, "maria-a weight");
	is_int(catalog->acquire_timeout_ms, 5000, "catalog acquire_timeout default");
	is_int(catalog->liveness_idle_ms, 30000, "catalog liveness_idle default");
	is_int(catalog->no_replica, DD_NO_REPLICA_PRIMARY, "catalog no_replica default");
	is_int(catalog->accent, DD_COLOUR_NONE, "catalog accent default");
	ok(catalog->fence_command == NULL && catalog->theme == NULL, "catalog optional unset");
	ok(catalog->retention.daily == 14 && catalog->retention.weekly == 8 &&
	        catalog->retention.monthly == 0,
	    "catalog retention");
	is_str(catalog->backup_dir, "/var/backups/dbdeck", "catalog backup_dir default");
	is_str(catalog->backup_key, "catalog-backup", "catalog backup_key");
	is_str(catalog->verify_target, "maria-c", "catalog verify_target");
	is_int(catalog->backup_max_age_ms, 26 * 3600 * 1000, "catalog backup_max_age");
	ok(orders->backup_key == NULL && orders->verify_target == NULL,
	    "orders backup_key and verify_target unset");
	is_int(orders->backup_max_age_ms, 26 * 3600 * 1000, "orders backup_max_age default");
	is_int(catalog->lag_critical_ms, 90000, "catalog lag_critical");
	ok(dd_config_find_node(c, "maria-c") == catalog->nodes[2] && !dd_config_find_node(c, "x"),
	    "find_node");
	dd_config_free(cfg);
}

static bool
has_orders_only(void *ctx, const char *name)
{
	(*(int *)ctx)++;
	return strcmp(name, "orders-ops") == 0;
}

static void
test_credentials(const char *root)
{
	struct dd_config *cfg = NULL;
	struct dd_diags *d = dd_diags_new();
	int calls = 0;
	char *path = xasprintf("%s/docs/example.ini", root);

	dd_config_load(path, &cfg, d);
	size_t missing = dd_config_check_credentials(cfg, has_orders_only, &calls, d);
	is_int((long long)missing, 1, "one credential missing from the vault");
	is_int(calls, 2, "each cluster's credential looked up once");
	char *got = dd_diags_count(d) ? dd_diag_format(dd_diags_get(d, 0)) : NULL;
	char *want = xasprintf("%s:84: error: credential 'catalog-ops' is not in the vault (add it "
	                       "with: dbdeck vault set catalog-ops)",
	    path);
	is_str(got, want, "missing credential reported at its line");
	free(got);
	free(want);
	free(path);
	dd_config_free(cfg);
	dd_diags_free(d);
}

static void
test_default_path(void)
{
	char err[256] = "", *p;

	setenv("DBDECK_CONFIG", "/etc/dbdeck/env.ini", 1);
	p = dd_config_default_path("given.ini", err, sizeof(err));
	is_str(p, "given.ini", "-c wins over everything");
	free(p);
	p = dd_config_default_path(NULL, err, sizeof(err));
	is_str(p, "/etc/dbdeck/env.ini", "then $DBDECK_CONFIG");
	free(p);
	setenv("DBDECK_CONFIG", "", 1);
	p = dd_config_default_path(NULL, err, sizeof(err));
	is_str(p, "/home/op/.config/dbdeck/dbdeck.ini", "empty $DBDECK_CONFIG is ignored");
	free(p);
	unsetenv("DBDECK_CONFIG");
	unsetenv("HOME");
	p = dd_config_default_path(NULL, err, sizeof(err));
	ok(p == NULL && strstr(err, "HOME is not set"), "no HOME: NULL with a reason");
	setenv("HOME", "/home/op", 1);
}

static void
test_unreadable(void)
{
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = (struct dd_config *)1;
	char *path = xasprintf("%s/missing.ini", tmpdir);

	is_int(dd_config_load(path, &cfg, d), -1, "a missing file fails");
	ok(cfg == NULL, "  and gives no config");
	char *got = dd_diags_count(d) ? dd_diag_format(dd_diags_get(d, 0)) : NULL;
	char *want = xasprintf("%s: error: cannot read: No such file or directory", path);
	is_str(got, want, "  with a clear message");
	free(got);
	free(want);
	dd_diags_free(d);
	d = dd_diags_new();
	is_int(dd_config_load(tmpdir, &cfg, d), -1, "a directory fails");
	got = dd_diags_count(d) ? dd_diag_format(dd_diags_get(d, 0)) : NULL;
	want = xasprintf("%s: error: cannot read: Is a directory", tmpdir);
	is_str(got, want, "  with a clear message");
	free(got);
	free(want);
	free(path);
	dd_diags_free(d);
}

/* The typed results of the transport-security pass. */
static void
test_tls_values(void)
{
	static const char text[] = "[cluster a]\nengine = mariadb\nnodes = a, b, c, d, e\n"
	                           "database = d\ncredential = c\n"
	                           "[node a]\nhost = 10.0.0.1\n[node b]\nhost = 127.0.0.1\n"
	                           "[node c]\nhost = localhost\n[node d]\nhost = /run/my.sock\n"
	                           "[node e]\nhost = 127.0.0.1\ntls = verify-ca\nauth = any\n";
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;

	dd_config_load_buffer("tls.ini", text, sizeof(text) - 1, &cfg, d);
	is_int(dd_config_find_node(cfg, "a")->tls, DD_TLS_VERIFY_FULL,
	    "tls unset, network host: verify-full");
	is_int(dd_config_find_node(cfg, "b")->tls, DD_TLS_PREFER, "tls unset, 127.0.0.1: prefer");
	is_int(dd_config_find_node(cfg, "c")->tls, DD_TLS_PREFER, "tls unset, localhost: prefer");
	is_int(dd_config_find_node(cfg, "d")->tls, DD_TLS_PREFER, "tls unset, a socket: prefer");
	is_int(dd_config_find_node(cfg, "e")->tls, DD_TLS_VERIFY_CA, "tls set: kept on loopback");
	is_int(dd_config_find_node(cfg, "a")->auth, DD_AUTH_STRICT, "auth unset: strict");
	is_int(dd_config_find_node(cfg, "e")->auth, DD_AUTH_ANY, "auth = any");
	dd_config_free(cfg);
	dd_diags_free(d);

	/* No system trust store: verify-* without tls_ca can never connect. */
	static const char none[] = "[cluster a]\n" MINI "[node n1]\nhost = 10.0.0.1\n";
	char *old = xstrdup(getenv("SSL_CERT_FILE"));
	setenv("SSL_CERT_FILE", "", 1);
	d = dd_diags_new();
	cfg = NULL;
	is_int(dd_config_load_buffer("none.ini", none, sizeof(none) - 1, &cfg, d), -1,
	    "verify-full, no tls_ca, no system trust store: an error");
	char *msg = dd_diags_count(d) ? dd_diag_format(dd_diags_get(d, 0)) : xstrdup("");
	is_str(msg,
	    "none.ini:6: error: node 'n1': tls = verify-full needs a CA: set tls_ca to the CA that "
	    "signed the server's certificate (no system trust store was found; SSL_CERT_FILE "
	    "names one), or choose a weaker tls on purpose",
	    "  that says how to set tls_ca or choose a weaker mode");
	free(msg);
	dd_config_free(cfg);
	dd_diags_free(d);
	setenv("SSL_CERT_FILE", old, 1);
	free(old);
}

static void
test_buffer_and_relative(void)
{
	static const char text[] = "[cluster a]\n" MINI "backup_dir = dumps\n" NODE1;
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;

	/* Not NUL-terminated: the loader must stop at len. */
	char *buf = xmalloc(sizeof(text) - 1);
	memcpy(buf, text, sizeof(text) - 1);
	is_int(dd_config_load_buffer("/srv/dd/x.ini", buf, sizeof(text) - 1, &cfg, d), 0,
	    "load_buffer over bytes without a NUL");
	is_str(dd_config_cluster(cfg, 0)->backup_dir, "/srv/dd/dumps",
	    "relative path anchored at the config's directory");
	is_str(dd_config_path(cfg), "/srv/dd/x.ini", "path as given");
	free(buf);
	dd_config_free(cfg);
	dd_diags_free(d);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		bail_out("usage: config_load_test SOURCE_ROOT");
	if (!mkdtemp(tmpdir))
		bail_out("mkdtemp failed");
	setenv("HOME", "/home/op", 1);
	unsetenv("DBDECK_CONFIG");
	/* A trust store (any readable file), so that no case depends on the machine's. */
	char *store = write_file("store.pem", "", 0);
	setenv("SSL_CERT_FILE", store, 1);
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++)
		run_case(&cases[i], i);
	test_example_values(argv[1]);
	test_credentials(argv[1]);
	test_default_path();
	test_unreadable();
	test_buffer_and_relative();
	test_tls_values();
	unlink(store);
	free(store);
	for (size_t i = 0; i < DD_ARRAY_LEN(cases); i++) {
		char *p = xasprintf("%s/case%02zu.ini", tmpdir, i);
		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
	return tap_done();
}
