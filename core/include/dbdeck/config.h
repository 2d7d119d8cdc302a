/*
 * config.h: the dbdeck configuration file (DESIGN.md §4) as typed data.
 *
 * One INI file with a [console] section, [cluster NAME] sections and
 * [node NAME] sections. Every key is declared once, in the key table of
 * core/config/config_keys.c: that table drives parsing, defaults,
 * validation, `dbdeck check-config` and docs/configuration.md.
 *
 * Loading never stops at the first mistake: every error and warning is
 * collected, with its file and line, in a struct dd_diags. Durations are
 * stored as int64 milliseconds (fields end in _ms). Paths are stored with
 * `~` expanded to $HOME and relative paths made absolute against the
 * directory of the config file.
 *
 * The config is immutable once loaded: every pointer handed out by the
 * accessors is borrowed and valid until dd_config_free().
 */
#ifndef DBDECK_CONFIG_H
#define DBDECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dbdeck/engine.h"
#include "dbdeck/tls.h"

/* ---- diagnostics: errors and warnings with file:line ------------------- */

enum dd_diag_level {
	DD_DIAG_ERROR,
	DD_DIAG_WARNING,
};

struct dd_diag {
	enum dd_diag_level level;
	const char *file;    /* as given to the loader */
	int line;            /* 1-based; 0 when the message is about the whole file */
	const char *message; /* no file, line or level prefix */
};

struct dd_diags;

/* Returns a new, empty list; free with dd_diags_free(). */
struct dd_diags *dd_diags_new(void);
/* Frees the list and every message in it. NULL is allowed. */
void dd_diags_free(struct dd_diags *d);
/* Appends a message (copied). `file` is copied too. */
void dd_diags_add(struct dd_diags *d, enum dd_diag_level level, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t dd_diags_count(const struct dd_diags *d);
size_t dd_diags_errors(const struct dd_diags *d);
size_t dd_diags_warnings(const struct dd_diags *d);
/* Borrowed until the next dd_diags_add/dd_diags_sort/dd_diags_free. */
const struct dd_diag *dd_diags_get(const struct dd_diags *d, size_t i);
/* Stable sort by file, then line (so messages read in file order). */
void dd_diags_sort(struct dd_diags *d);
/*
 * Returns a new string "FILE:LINE: error: MESSAGE" ("FILE: error: ..." when
 * line is 0; "warning" for warnings). The caller frees it.
 */
char *dd_diag_format(const struct dd_diag *diag);
/* Writes every message, formatted as above, one per line. */
void dd_diags_print(const struct dd_diags *d, FILE *out);

/* ---- typed settings ---------------------------------------------------- */

enum dd_read_policy {
	DD_READ_POLICY_ROUND_ROBIN, /* "round-robin" */
	DD_READ_POLICY_WEIGHTED,    /* "weighted": by each node's weight */
	DD_READ_POLICY_LEAST_LAG,   /* "least-lag" */
};

/* What manages a cluster's roles (docs/patroni.md). */
enum dd_manager {
	DD_MANAGER_AUTO,    /* "auto": not said; a Patroni setup found is a warning */
	DD_MANAGER_NONE,    /* "none": dbdeck's own switchover and failover */
	DD_MANAGER_PATRONI, /* "patroni": read Patroni's view, act through its REST API */
};

/* What reads do when no replica is usable. */
enum dd_no_replica {
	DD_NO_REPLICA_PRIMARY, /* "primary": send them to the primary */
	DD_NO_REPLICA_FAIL,    /* "fail": fail them */
};

/* A cluster's accent colour (a role, for the tui to map to a colour pair). */
enum dd_colour {
	DD_COLOUR_NONE,
	DD_COLOUR_BLACK,
	DD_COLOUR_RED,
	DD_COLOUR_GREEN,
	DD_COLOUR_YELLOW,
	DD_COLOUR_BLUE,
	DD_COLOUR_MAGENTA,
	DD_COLOUR_CYAN,
	DD_COLOUR_WHITE,
};

/* A list value (`a, b, c`): n strings, owned by the config. */
struct dd_str_list {
	size_t n;
	char **v;
};

/* Grandfather-father-son retention counts: `daily:30 weekly:12 monthly:12`. */
struct dd_retention {
	int daily;
	int weekly;
	int monthly;
};

struct dd_console_config {
	int64_t refresh_ms;
	char *theme;
	char *vault;     /* path */
	char *audit_log; /* path */
	char *log_file;  /* path: where the console logs while curses owns the screen */
	bool read_only;
};

/* [serve]: the headless HTTP front end (`dbdeck serve`, docs/serve.md). */
struct dd_serve_config {
	char *listen;          /* ADDR:PORT; IPv6 as [ADDR]:PORT */
	char *tls_cert;        /* path of a PEM certificate (chain), or NULL */
	char *tls_key;         /* path of its PEM private key, or NULL */
	char *auth_credential; /* vault entry: HTTP Basic user and password, or NULL */
	int max_connections;
	int per_ip_connection_limit;
	int64_t connection_timeout_ms;
};

struct dd_cluster_config;

struct dd_node_config {
	char *name;
	int line; /* line of the [node NAME] header */
	char *host;
	int port; /* explicit, else 5432 (postgresql) / 3306 (mariadb, mysql); 0 if in no cluster */
	int weight;
	enum dd_tls_mode tls;   /* unset: verify-full, or prefer on a loopback host */
	enum dd_auth_mode auth; /* what the password may become on the wire */
	char *tls_ca;           /* path or NULL */
	char *tls_cert;         /* path or NULL */
	char *tls_key;          /* path or NULL */
	/* The cluster that lists this node (the first one), or NULL. Borrowed. */
	const struct dd_cluster_config *cluster;
};

struct dd_cluster_config {
	char *name;
	int line; /* line of the [cluster NAME] header */
	enum dd_engine engine;
	struct dd_str_list node_names; /* the `nodes` key, as written */
	/* The nodes of node_names that exist, in the same order. Borrowed pointers. */
	size_t n_nodes;
	const struct dd_node_config **nodes;
	char *database;
	char *credential;       /* a vault entry name */
	char *admin_credential; /* the actions' vault entry, or NULL (then credential) */
	int pool_size;
	int min_idle;
	int max_overflow;
	int64_t acquire_timeout_ms;
	int64_t connect_timeout_ms;
	int64_t query_timeout_ms;
	int64_t max_lifetime_ms;
	int64_t idle_timeout_ms;
	int64_t liveness_idle_ms;
	int64_t lag_max_ms;
	int64_t lag_critical_ms;
	enum dd_read_policy read_policy;
	enum dd_no_replica no_replica;
	int64_t ryw_window_ms;
	int breaker_threshold;
	int64_t breaker_recovery_ms;
	int retry_attempts;
	int64_t retry_max_time_ms;
	int64_t slow_query_ms;
	/* Alert rules (alerts.h). */
	int64_t alert_down_for_ms;
	int alert_down_probes; /* failed probes in a row before node_down */
	int64_t alert_lag_for_ms;
	int alert_pool_use; /* percent of pool_size + max_overflow */
	int64_t alert_pool_use_for_ms;
	int64_t alert_pool_wait_ms;
	int alert_slow_rate; /* new slow statements per minute */
	char *backup_dir;    /* path */
	struct dd_retention retention;
	char *backup_key;          /* a vault entry: encrypt backups; NULL when not set */
	int64_t backup_max_age_ms; /* the newest good backup older than this is stale */
	char *verify_target;       /* a node of the cluster for deep verify; NULL when not set */
	char *fence_command;       /* NULL when not set */
	char *rejoin_command;      /* NULL when not set */
	int64_t hook_timeout_ms;   /* fence_command / rejoin_command deadline */
	int64_t switchover_timeout_ms; /* catch-up and replicas resuming, per wait */
	char *replication_credential;  /* vault entry for CHANGE MASTER; NULL when not set */
	/* manager = patroni (docs/patroni.md) */
	enum dd_manager manager;
	char *patroni_url;        /* REST URLs, separated by commas or blanks; NULL when not set */
	char *patroni_credential; /* vault entry for the REST API's Basic auth; NULL when not set */
	char *patroni_tls_ca;     /* path: CA of the REST API's certificate; NULL when not set */

	char *theme; /* NULL: the console's theme */
	enum dd_colour accent;
	/* Schema health (schema.h, docs/schema.md). */
	int64_t schema_refresh_ms;      /* a probe round this often */
	struct dd_str_list databases;   /* n = 0: only `database` */
	char *schema_version_query;     /* NULL: detect the migration tools' tables */
	char *schema_group;             /* NULL: none; same group = same application */
	int64_t schema_timeout_ms;      /* statement timeout of each catalog query */
	int64_t schema_lock_timeout_ms; /* lock wait of each catalog query */
	int schema_top_n;               /* largest tables looked at per database */
};

struct dd_config;

/* ---- loading ----------------------------------------------------------- */

/*
 * Resolves the config file path: `given` (from -c) if not NULL, else
 * $DBDECK_CONFIG if set and not empty, else ~/.config/dbdeck/dbdeck.ini.
 * Returns a new string the caller frees, or NULL (reason in err) when HOME
 * is needed and not set.
 */
char *dd_config_default_path(const char *given, char *err, size_t errlen);

/*
 * Reads and checks the file at `path`. Every error and warning goes to
 * `diags` (file names in messages are `path` as given). Returns 0 when
 * there was no error (warnings allowed), -1 otherwise.
 *
 * *out: set to a new config the caller frees with dd_config_free() unless
 * the file could not be read (then NULL). A config loaded with errors holds
 * defaults in place of bad values: it is for reporting (e.g. the credential
 * check), never for running.
 */
int dd_config_load(const char *path, struct dd_config **out, struct dd_diags *diags);

/*
 * The same over `len` bytes of memory (which need not be NUL-terminated
 * and may hold any bytes). `name` is used in messages and its directory
 * anchors relative paths.
 */
int dd_config_load_buffer(
    const char *name, const char *buf, size_t len, struct dd_config **out, struct dd_diags *diags);

/*
 * Parses a duration as the file writes one ("250ms", "5s", "10m", "1h30m":
 * units ms s m h, largest first) into *ms, for command-line options that
 * take one (`dbdeck audit --since`). Returns false with the reason in err.
 */
bool dd_config_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);

/* Frees the config and everything it owns. NULL is allowed. */
void dd_config_free(struct dd_config *cfg);

/*
 * Checks that each cluster's `credential` (and `admin_credential`, when
 * set) names an entry for which
 * has_credential(ctx, name) is true (the CLI passes the vault's lookup).
 * Adds an error at the key's line for each one missing. Returns the number
 * of missing credentials.
 */
size_t dd_config_check_credentials(const struct dd_config *cfg,
    bool (*has_credential)(void *ctx, const char *name), void *ctx, struct dd_diags *diags);

/* ---- accessors (all borrowed until dd_config_free) ---------------------- */

/* The path as given to the loader. */
const char *dd_config_path(const struct dd_config *cfg);
const struct dd_console_config *dd_config_console(const struct dd_config *cfg);
/* True when `key` of [console] was set in the file (not defaulted). */
bool dd_config_console_has(const struct dd_config *cfg, const char *key);
/* The [serve] section (defaults when the file has none). */
const struct dd_serve_config *dd_config_serve(const struct dd_config *cfg);

/* Clusters and nodes in file order. */
size_t dd_config_cluster_count(const struct dd_config *cfg);
const struct dd_cluster_config *dd_config_cluster(const struct dd_config *cfg, size_t i);
/* NULL when there is no such cluster. */
const struct dd_cluster_config *dd_config_find_cluster(
    const struct dd_config *cfg, const char *name);
size_t dd_config_node_count(const struct dd_config *cfg);
const struct dd_node_config *dd_config_node(const struct dd_config *cfg, size_t i);
const struct dd_node_config *dd_config_find_node(const struct dd_config *cfg, const char *name);

/*
 * Parses a [serve] listen value, ADDR:PORT with a numeric IPv4 address or
 * [IPv6]:PORT, into *out. Returns 0, or -1 with the reason in err.
 */
int dd_config_parse_listen(
    const char *s, struct sockaddr_storage *out, socklen_t *outlen, char *err, size_t errlen);
/* Whether a parsed listen address is loopback (127/8, ::1). */
bool dd_config_listen_is_loopback(const struct sockaddr_storage *a);

/*
 * Whether cluster `name` is configured the same in a and b: every key of
 * the cluster and of each of its nodes (in order), and [console] refresh.
 * False when either has no such cluster. A reload keeps such a cluster's
 * pools (dd_core_new_adopting).
 */
bool dd_config_cluster_same(const struct dd_config *a, const struct dd_config *b, const char *name);

/* Names of the enum values as written in the file. Static storage. */
const char *dd_read_policy_name(enum dd_read_policy p);
const char *dd_no_replica_name(enum dd_no_replica p);
const char *dd_colour_name(enum dd_colour c);
const char *dd_manager_name(enum dd_manager m);

#endif
