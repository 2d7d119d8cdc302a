/*
 * config_keys.c: the one table of configuration keys (DESIGN.md §4).
 *
 * Every key exists here and nowhere else: the loader parses and checks with
 * it, applies its defaults (written in the file's own syntax, parsed by the
 * same code as a user's value), and config_reference prints the key tables of
 * docs/configuration.md from it; a unit test fails when the two disagree. To
 * add a key: a field in config.h, a row here, then regenerate the docs.
 */
#include "config/config_internal.h"

#include <string.h>

#include "util/util.h"

/*
 * Field offsets, checked against the field's C type: a row whose type does
 * not match its field does not compile.
 */
/* clang-format off */
#define FIELD(sect, f, T) \
	(offsetof(struct sect, f) + 0 * sizeof(_Generic(((struct sect *)0)->f, T: 1)))
#define ENUM_FIELD(sect, f) offsetof(struct sect, f)

#define CON(f, T)  FIELD(dd_console_config, f, T)
#define CLU(f, T)  FIELD(dd_cluster_config, f, T)
#define NOD(f, T)  FIELD(dd_node_config, f, T)
#define SRV(f, T)  FIELD(dd_serve_config, f, T)
#define CLU_ENUM(f) ENUM_FIELD(dd_cluster_config, f)
#define NOD_ENUM(f) ENUM_FIELD(dd_node_config, f)

/* clang-format on */

/* Enums are stored through an int. */
_Static_assert(sizeof(enum dd_engine) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_read_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_no_replica) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_tls_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_auth_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_colour) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_manager) == sizeof(int), "enum size");

/* In the order of each enum's values. */
const char *const dd_cfg_engine_choices[] = {"postgresql", "mariadb", "mysql", NULL};
const char *const dd_cfg_read_policy_choices[] = {"round-robin", "weighted", "least-lag", NULL};
const char *const dd_cfg_no_replica_choices[] = {"primary", "fail", NULL};
const char *const dd_cfg_tls_choices[] = {
    "disable", "prefer", "require", "verify-ca", "verify-full", NULL};
const char *const dd_cfg_auth_choices[] = {"strict", "any", NULL};
const char *const dd_cfg_manager_choices[] = {"auto", "none", "patroni", NULL};
const char *const dd_cfg_colour_choices[] = {
    "none", "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", NULL};

/* One row per key reads better than one line per field. */
/* clang-format off */
#define MS(n)   ((int64_t)(n))
#define SEC(n)  ((int64_t)(n) * 1000)
#define MIN(n)  ((int64_t)(n) * 60 * 1000)
#define HOUR(n) ((int64_t)(n) * 3600 * 1000)

const struct cfg_key dd_cfg_keys[] = {
	/* [console] */
	{.name = "refresh", .section = CFG_CONSOLE, .type = CFG_DURATION, .def = "1s",
	    .min = MS(100), .max = HOUR(1), .offset = CON(refresh_ms, int64_t),
	    .doc = "how often every node is probed and the screen redrawn"},
	{.name = "theme", .section = CFG_CONSOLE, .type = CFG_NAME, .def = "default",
	    .offset = CON(theme, char *),
	    .doc = "colour theme: the name of a file in themes/ without .ini"},
	{.name = "vault", .section = CFG_CONSOLE, .type = CFG_PATH, .def = "~/.config/dbdeck/vault",
	    .offset = CON(vault, char *),
	    .doc = "the encrypted credentials vault (--vault overrides it)"},
	{.name = "audit_log", .section = CFG_CONSOLE, .type = CFG_PATH,
	    .def = "~/.local/state/dbdeck/audit.log", .offset = CON(audit_log, char *),
	    .doc = "log of operator actions: JSON lines, 0600, hash-chained (`dbdeck audit`; docs/security.md §12)"},
	{.name = "read_only", .section = CFG_CONSOLE, .type = CFG_BOOL, .def = "false",
	    .offset = CON(read_only, bool),
	    .doc = "true: no action (backup, restore, switchover, ...) can be started"},
	{.name = "log_file", .section = CFG_CONSOLE, .type = CFG_PATH,
	    .def = "~/.local/state/dbdeck/dbdeck.log", .offset = CON(log_file, char *),
	    .doc = "where the console logs while the full-screen interface owns the terminal"},

	/* [cluster NAME] */
	{.name = "engine", .section = CFG_CLUSTER, .type = CFG_ENUM, .flags = CFG_REQUIRED,
	    .choices = dd_cfg_engine_choices, .offset = CLU_ENUM(engine),
	    .doc = "the database engine of every node of the cluster"},
	{.name = "nodes", .section = CFG_CLUSTER, .type = CFG_LIST, .flags = CFG_REQUIRED,
	    .offset = CLU(node_names, struct dd_str_list),
	    .doc = "the cluster's [node] sections, by name; roles are discovered, not configured"},
	{.name = "database", .section = CFG_CLUSTER, .type = CFG_STRING, .flags = CFG_REQUIRED,
	    .offset = CLU(database, char *), .doc = "the database to connect to"},
	{.name = "credential", .section = CFG_CLUSTER, .type = CFG_NAME, .flags = CFG_REQUIRED,
	    .offset = CLU(credential, char *),
	    .doc = "the vault entry holding the user and password (never a password itself)"},
	{.name = "admin_credential", .section = CFG_CLUSTER, .type = CFG_NAME,
	    .flags = CFG_OPTIONAL, .def_doc = "credential", .offset = CLU(admin_credential, char *),
	    .doc = "the vault entry used only by actions (cancel, terminate, switchover, failover); "
	           "probing and the pools use credential"},
	{.name = "pool_size", .section = CFG_CLUSTER, .type = CFG_INT, .def = "20", .min = 1,
	    .max = 1000, .unit = "connections", .offset = CLU(pool_size, int),
	    .doc = "connections kept per node at most (before overflow)"},
	{.name = "min_idle", .section = CFG_CLUSTER, .type = CFG_INT, .def = "1", .min = 0,
	    .max = 1000, .unit = "connections", .at_most = "pool_size",
	    .offset = CLU(min_idle, int),
	    .doc = "idle connections kept open per node (`serve` keeps none: docs/serve.md)"},
	{.name = "max_overflow", .section = CFG_CLUSTER, .type = CFG_INT, .def = "10", .min = 0,
	    .max = 1000, .unit = "connections", .offset = CLU(max_overflow, int),
	    .doc = "extra connections opened under load, closed when returned"},
	{.name = "acquire_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "5s",
	    .min = MS(1), .max = MIN(10), .offset = CLU(acquire_timeout_ms, int64_t),
	    .doc = "how long a caller waits for a free connection"},
	{.name = "connect_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "3s",
	    .min = MS(100), .max = MIN(5), .offset = CLU(connect_timeout_ms, int64_t),
	    .doc = "deadline of opening one connection"},
	{.name = "query_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "10s",
	    .min = MS(1), .max = HOUR(24), .offset = CLU(query_timeout_ms, int64_t),
	    .doc = "deadline of one query, probes included"},
	{.name = "max_lifetime", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "1h",
	    .min = SEC(1), .max = HOUR(168), .offset = CLU(max_lifetime_ms, int64_t),
	    .doc = "connections older than this are closed when returned"},
	{.name = "idle_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "10m",
	    .min = SEC(1), .max = HOUR(24), .offset = CLU(idle_timeout_ms, int64_t),
	    .doc = "idle connections above min_idle are closed after this"},
	{.name = "liveness_idle", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "30s",
	    .min = MS(0), .max = HOUR(1), .offset = CLU(liveness_idle_ms, int64_t),
	    .doc = "a connection idle longer than this is pinged before checkout (0: always)"},
	{.name = "lag_max", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "60s",
	    .min = MS(0), .max = HOUR(24), .offset = CLU(lag_max_ms, int64_t),
	    .doc = "replicas further behind get no reads (warning alert)"},
	{.name = "lag_critical", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "120s",
	    .min = MS(0), .max = HOUR(24), .at_least = "lag_max",
	    .offset = CLU(lag_critical_ms, int64_t),
	    .doc = "replica lag that raises a critical alert"},
	{.name = "read_policy", .section = CFG_CLUSTER, .type = CFG_ENUM, .def = "round-robin",
	    .choices = dd_cfg_read_policy_choices, .offset = CLU_ENUM(read_policy),
	    .doc = "how reads choose among usable replicas (weighted: by node weight)"},
	{.name = "no_replica", .section = CFG_CLUSTER, .type = CFG_ENUM, .def = "primary",
	    .choices = dd_cfg_no_replica_choices, .offset = CLU_ENUM(no_replica),
	    .doc = "what reads do when no replica is usable: go to the primary, or fail"},
	{.name = "ryw_window", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "5s",
	    .min = MS(0), .max = HOUR(1), .offset = CLU(ryw_window_ms, int64_t),
	    .doc = "read-your-writes: reads stay on the primary this long after a write when "
		   "replica positions are unknown (0: off)"},
	{.name = "breaker_threshold", .section = CFG_CLUSTER, .type = CFG_INT, .def = "3", .min = 1,
	    .max = 100, .unit = "failures", .offset = CLU(breaker_threshold, int),
	    .doc = "consecutive failures that open a node's circuit breaker"},
	{.name = "breaker_recovery", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "120s",
	    .min = SEC(1), .max = HOUR(24), .offset = CLU(breaker_recovery_ms, int64_t),
	    .doc = "how long an open breaker waits before letting one trial through"},
	{.name = "retry_attempts", .section = CFG_CLUSTER, .type = CFG_INT, .def = "3", .min = 1,
	    .max = 10, .unit = "attempts", .offset = CLU(retry_attempts, int),
	    .doc = "tries of an idempotent operation on a transient error, the first included"},
	{.name = "retry_max_time", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "2s",
	    .min = MS(0), .max = HOUR(1), .offset = CLU(retry_max_time_ms, int64_t),
	    .doc = "total time retries may add, backoff included"},
	{.name = "slow_query", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "100ms",
	    .min = MS(1), .max = HOUR(1), .offset = CLU(slow_query_ms, int64_t),
	    .doc = "queries running longer are shown and counted as slow"},
	{.name = "alert_down_for", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "0s",
	    .min = MS(0), .max = HOUR(1), .offset = CLU(alert_down_for_ms, int64_t),
	    .doc = "a node down, or no (or two) primaries, this long raises a critical alert"},
	{.name = "alert_down_probes", .section = CFG_CLUSTER, .type = CFG_INT, .def = "2",
	    .min = 1, .max = 10, .unit = "probes", .offset = CLU(alert_down_probes, int),
	    .doc = "probe rounds in a row a node must be down (node_down), or a cluster "
		   "without primary (no_primary), before the critical alert"},
	{.name = "alert_lag_for", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "30s",
	    .min = MS(0), .max = HOUR(1), .offset = CLU(alert_lag_for_ms, int64_t),
	    .doc = "replica lag above lag_max (warning) or lag_critical (critical) this long "
		   "raises an alert"},
	{.name = "alert_pool_use", .section = CFG_CLUSTER, .type = CFG_INT, .def = "90", .min = 1,
	    .max = 100, .unit = "percent", .offset = CLU(alert_pool_use, int),
	    .doc = "share of pool_size + max_overflow in use that raises a warning"},
	{.name = "alert_pool_use_for", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "5m",
	    .min = MS(0), .max = HOUR(24), .offset = CLU(alert_pool_use_for_ms, int64_t),
	    .doc = "how long the pool must stay above alert_pool_use before the warning"},
	{.name = "alert_pool_wait", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "1s",
	    .min = MS(1), .max = HOUR(1), .offset = CLU(alert_pool_wait_ms, int64_t),
	    .doc = "an acquire waiting longer raises a warning (held for a minute)"},
	{.name = "alert_slow_rate", .section = CFG_CLUSTER, .type = CFG_INT, .def = "20", .min = 1,
	    .max = 1000000, .unit = "per minute", .offset = CLU(alert_slow_rate, int),
	    .doc = "more new slow statements (over slow_query) in a minute raise a warning"},
	{.name = "backup_dir", .section = CFG_CLUSTER, .type = CFG_PATH,
	    .def = "/var/backups/dbdeck", .offset = CLU(backup_dir, char *),
	    .doc = "backups go to BACKUP_DIR/CLUSTER/UTC-TIME-ID/"},
	{.name = "retention", .section = CFG_CLUSTER, .type = CFG_RETENTION,
	    .def = "daily:30 weekly:12 monthly:12", .offset = CLU(retention, struct dd_retention),
	    .doc = "backups kept: the newest of each of the last N days, weeks, months"},
	{.name = "backup_key", .section = CFG_CLUSTER, .type = CFG_NAME, .flags = CFG_OPTIONAL,
	    .offset = CLU(backup_key, char *),
	    .doc = "a vault entry whose password encrypts backups (unset: not encrypted)"},
	{.name = "backup_max_age", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "26h",
	    .min = MIN(1), .max = HOUR(24 * 30), .offset = CLU(backup_max_age_ms, int64_t),
	    .doc = "the newest good backup older than this is stale (alert backup_stale)"},
	{.name = "verify_target", .section = CFG_CLUSTER, .type = CFG_NAME, .flags = CFG_OPTIONAL,
	    .offset = CLU(verify_target, char *),
	    .doc = "the node (one of nodes) where a deep verify restores its scratch database"},
	{.name = "fence_command", .section = CFG_CLUSTER, .type = CFG_STRING, .flags = CFG_OPTIONAL,
	    .offset = CLU(fence_command, char *),
	    .doc = "hook: stop (fence) an old primary; run before promotion (docs/switchover.md)"},
	{.name = "rejoin_command", .section = CFG_CLUSTER, .type = CFG_STRING, .flags = CFG_OPTIONAL,
	    .offset = CLU(rejoin_command, char *),
	    .doc = "hook: make the old primary a streaming replica of the new one (docs/switchover.md)"},
	{.name = "hook_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "60s",
	    .min = SEC(1), .max = HOUR(1), .offset = CLU(hook_timeout_ms, int64_t),
	    .doc = "a hook still running after this is killed and counts as failed"},
	{.name = "switchover_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "30s",
	    .min = SEC(1), .max = HOUR(1), .offset = CLU(switchover_timeout_ms, int64_t),
	    .doc = "switchover/failover: how long to wait for the candidate to catch up, and for each replica to resume"},
	{.name = "replication_credential", .section = CFG_CLUSTER, .type = CFG_NAME,
	    .flags = CFG_OPTIONAL, .offset = CLU(replication_credential, char *),
	    .doc = "vault entry: the replication account MariaDB replicas connect with (CHANGE MASTER)"},
	{.name = "manager", .section = CFG_CLUSTER, .type = CFG_ENUM, .def = "auto",
	    .choices = dd_cfg_manager_choices, .offset = CLU_ENUM(manager),
	    .doc = "what manages the roles: none (dbdeck's own switchover), patroni (dbdeck acts "
		   "through Patroni), auto (not said: a Patroni setup found is a warning and "
		   "dbdeck's own switchover refuses; docs/patroni.md)"},
	{.name = "patroni_url", .section = CFG_CLUSTER, .type = CFG_STRING, .flags = CFG_OPTIONAL,
	    .offset = CLU(patroni_url, char *),
	    .doc = "manager = patroni: the agents' REST URLs (http[s]://HOST:PORT), separated by "
		   "commas or blanks; tried in order"},
	{.name = "patroni_credential", .section = CFG_CLUSTER, .type = CFG_NAME,
	    .flags = CFG_OPTIONAL, .offset = CLU(patroni_credential, char *),
	    .doc = "vault entry: user and password for the REST API's Basic auth (unset: none)"},
	{.name = "patroni_tls_ca", .section = CFG_CLUSTER, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = CLU(patroni_tls_ca, char *),
	    .doc = "CA certificates to verify an https patroni_url with (unset: the system's)"},
	{.name = "theme", .section = CFG_CLUSTER, .type = CFG_NAME, .flags = CFG_OPTIONAL,
	    .def_doc = "[console] theme", .offset = CLU(theme, char *),
	    .doc = "colour theme for this cluster's panels"},
	{.name = "accent", .section = CFG_CLUSTER, .type = CFG_ENUM, .def = "none",
	    .choices = dd_cfg_colour_choices, .offset = CLU_ENUM(accent),
	    .doc = "a colour that marks this cluster everywhere (e.g. red for production)"},
	{.name = "schema_refresh", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "5m",
	    .min = MS(0), .max = HOUR(24), .offset = CLU(schema_refresh_ms, int64_t),
	    .doc = "how often the console's schema health probe reads the catalogs (docs/schema.md); "
		   "0: never (`dbdeck schema` still works)"},
	{.name = "databases", .section = CFG_CLUSTER, .type = CFG_LIST, .flags = CFG_OPTIONAL,
	    .def_doc = "database", .offset = CLU(databases, struct dd_str_list),
	    .doc = "the databases the schema health probe reads"},
	{.name = "schema_version_query", .section = CFG_CLUSTER, .type = CFG_STRING,
	    .flags = CFG_OPTIONAL, .offset = CLU(schema_version_query, char *),
	    .doc = "a query whose first row gives the migration version (column 1) and when it was "
		   "applied (column 2); unset: the common tools' tables are detected"},
	{.name = "schema_group", .section = CFG_CLUSTER, .type = CFG_NAME, .flags = CFG_OPTIONAL,
	    .offset = CLU(schema_group, char *),
	    .doc = "clusters of one group serve one application: their migration versions must match"},
	{.name = "schema_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "5s",
	    .min = MS(100), .max = MIN(10), .offset = CLU(schema_timeout_ms, int64_t),
	    .doc = "statement timeout of each schema health catalog query"},
	{.name = "schema_lock_timeout", .section = CFG_CLUSTER, .type = CFG_DURATION, .def = "1s",
	    .min = MS(10), .max = MIN(10), .at_most = "schema_timeout",
	    .offset = CLU(schema_lock_timeout_ms, int64_t),
	    .doc = "how long a schema health catalog query waits for a lock held by DDL"},
	{.name = "schema_top_n", .section = CFG_CLUSTER, .type = CFG_INT, .def = "500", .min = 1,
	    .max = 100000, .unit = "tables", .offset = CLU(schema_top_n, int),
	    .doc = "the schema health probe looks at this many of the largest tables per database"},

	/* [node NAME] */
	{.name = "host", .section = CFG_NODE, .type = CFG_STRING, .flags = CFG_REQUIRED,
	    .offset = NOD(host, char *), .doc = "host name, IP address or Unix socket directory"},
	{.name = "port", .section = CFG_NODE, .type = CFG_INT,
	    .def_by_engine = {[DD_ENGINE_POSTGRESQL] = "5432", [DD_ENGINE_MARIADB] = "3306",
		[DD_ENGINE_MYSQL] = "3306"},
	    .min = 1, .max = 65535, .offset = NOD(port, int),
	    .doc = "TCP port; the default follows the cluster's engine"},
	{.name = "weight", .section = CFG_NODE, .type = CFG_INT, .def = "1", .min = 0, .max = 1000,
	    .offset = NOD(weight, int),
	    .doc = "share of reads under read_policy = weighted (0: none)"},
	{.name = "tls", .section = CFG_NODE, .type = CFG_ENUM, .def = "verify-full",
	    .def_doc = "`verify-full`; `prefer` when host is loopback or a Unix socket",
	    .choices = dd_cfg_tls_choices, .offset = NOD_ENUM(tls),
	    .doc = "TLS mode, as libpq's sslmode (mapped to the MariaDB client's options); "
		   "what each protects against: docs/security.md"},
	{.name = "auth", .section = CFG_NODE, .type = CFG_ENUM, .def = "strict",
	    .choices = dd_cfg_auth_choices, .offset = NOD_ENUM(auth),
	    .doc = "strict: the password never leaves in clear text or as an md5 hash; any: "
		   "whatever the server asks (docs/security.md)"},
	{.name = "tls_ca", .section = CFG_NODE, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = NOD(tls_ca, char *),
	    .doc = "CA certificates to verify the server with (not set: the system trust store)"},
	{.name = "tls_cert", .section = CFG_NODE, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = NOD(tls_cert, char *), .doc = "client certificate"},
	{.name = "tls_key", .section = CFG_NODE, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = NOD(tls_key, char *), .doc = "client certificate's private key"},

	/* [serve] */
	{.name = "listen", .section = CFG_SERVE, .type = CFG_STRING, .def = "127.0.0.1:9731",
	    .offset = SRV(listen, char *),
	    .doc = "ADDR:PORT (IPv6: [ADDR]:PORT) of `dbdeck serve`; --listen overrides it"},
	{.name = "tls_cert", .section = CFG_SERVE, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = SRV(tls_cert, char *),
	    .doc = "PEM certificate (chain) for HTTPS; with tls_key"},
	{.name = "tls_key", .section = CFG_SERVE, .type = CFG_PATH, .flags = CFG_OPTIONAL,
	    .offset = SRV(tls_key, char *), .doc = "PEM private key of tls_cert"},
	{.name = "auth_credential", .section = CFG_SERVE, .type = CFG_NAME, .flags = CFG_OPTIONAL,
	    .offset = SRV(auth_credential, char *),
	    .doc = "vault entry whose user and password every request must send (HTTP Basic); "
		   "/livez and /readyz excepted"},
	{.name = "max_connections", .section = CFG_SERVE, .type = CFG_INT, .def = "256",
	    .min = 1, .max = 1000, .offset = SRV(max_connections, int),
	    .doc = "HTTP connections open at once; more are refused"},
	{.name = "per_ip_connection_limit", .section = CFG_SERVE, .type = CFG_INT, .def = "0",
	    .min = 0, .max = 1000, .offset = SRV(per_ip_connection_limit, int),
	    .doc = "HTTP connections open at once from one address (0: no limit of its own)"},
	{.name = "connection_timeout", .section = CFG_SERVE, .type = CFG_DURATION, .def = "10s",
	    .min = SEC(1), .max = HOUR(1), .offset = SRV(connection_timeout_ms, int64_t),
	    .doc = "an HTTP connection with no traffic for this long is closed"},
};

/* clang-format on */

const size_t dd_cfg_nkeys = DD_ARRAY_LEN(dd_cfg_keys);

const char *
dd_cfg_section_name(enum cfg_section s)
{
	switch (s) {
	case CFG_CONSOLE: return "console";
	case CFG_CLUSTER: return "cluster";
	case CFG_NODE: return "node";
	case CFG_SERVE: return "serve";
	case CFG_NSECTIONS: break;
	}
	return "?";
}

bool
dd_cfg_section_single(enum cfg_section s)
{
	return s == CFG_CONSOLE || s == CFG_SERVE;
}

int
dd_cfg_key_find(enum cfg_section s, const char *name)
{
	for (size_t i = 0; i < dd_cfg_nkeys; i++)
		if (dd_cfg_keys[i].section == s && strcmp(dd_cfg_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
dd_cfg_type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_DURATION: return "duration";
	case CFG_INT: return "integer";
	case CFG_BOOL: return "boolean";
	case CFG_LIST: return "list of names";
	case CFG_ENUM: return "one of";
	case CFG_STRING: return "string";
	case CFG_NAME: return "name";
	case CFG_PATH: return "path";
	case CFG_RETENTION: return "retention";
	}
	return "?";
}

static const char *
choice_name(const char *const *choices, int v)
{
	for (int i = 0; choices[i]; i++)
		if (i == v)
			return choices[i];
	return "unknown";
}

const char *
dd_read_policy_name(enum dd_read_policy p)
{
	return choice_name(dd_cfg_read_policy_choices, (int)p);
}

const char *
dd_no_replica_name(enum dd_no_replica p)
{
	return choice_name(dd_cfg_no_replica_choices, (int)p);
}

const char *
dd_colour_name(enum dd_colour c)
{
	return choice_name(dd_cfg_colour_choices, (int)c);
}

const char *
dd_manager_name(enum dd_manager m)
{
	return choice_name(dd_cfg_manager_choices, (int)m);
}
