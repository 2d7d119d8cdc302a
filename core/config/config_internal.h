/*
 * config_internal.h: the declarative key table and the value parsers of the
 * config module (internal; tests and the reference generator include it).
 *
 * The table (config_keys.c) is the only place a key exists: its name,
 * section, type, default (written in the file's own syntax and parsed by the
 * same code as a user's value), range, unit, cross-key bound and one-line
 * doc. config_load.c parses with it, config_check.c validates with it and
 * config_reference.c prints docs/configuration.md's key tables from it.
 */
#ifndef DD_CONFIG_INTERNAL_H
#define DD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbdeck/config.h"
#include "dbdeck/text.h"

enum cfg_section {
	CFG_CONSOLE,
	CFG_CLUSTER,
	CFG_NODE,
	CFG_SERVE,
	CFG_NSECTIONS,
};

enum cfg_type {
	CFG_DURATION,  /* int64_t milliseconds: 250ms, 5s, 10m, 1h, 1h30m */
	CFG_INT,       /* int, decimal */
	CFG_BOOL,      /* bool: true/false/yes/no/on/off/1/0 */
	CFG_LIST,      /* struct dd_str_list of names: a, b, c */
	CFG_ENUM,      /* int (an enum), index into choices */
	CFG_STRING,    /* char *, any text */
	CFG_NAME,      /* char *, letters, digits, '.', '_', '-' */
	CFG_PATH,      /* char *, ~ expanded, made absolute */
	CFG_RETENTION, /* struct dd_retention */
};

/* Flags of a key. */
#define CFG_REQUIRED 0x1u /* no default: the section must set it */
#define CFG_OPTIONAL 0x2u /* no default: unset (NULL) unless set; empty means unset */

struct cfg_key {
	const char *name;
	enum cfg_section section;
	enum cfg_type type;
	unsigned flags;
	const char *def;              /* default in file syntax; NULL with REQUIRED/OPTIONAL */
	const char *def_by_engine[3]; /* [node] keys: default per enum dd_engine of the cluster */
	const char *def_doc;          /* the default as documented when def cannot say it */
	int64_t min, max;             /* CFG_INT: value; CFG_DURATION: milliseconds */
	const char *unit;             /* documentation of what the number counts, or NULL */
	const char *const *choices;   /* CFG_ENUM: NULL-terminated; index = stored value */
	const char *at_least;         /* a key of the same section this one must be >= */
	const char *at_most;          /* a key of the same section this one must be <= */
	size_t offset;                /* of the field in the section's public struct */
	const char *doc;              /* one line */
};

extern const struct cfg_key dd_cfg_keys[];
extern const size_t dd_cfg_nkeys;

/* "console", "cluster", "node", "serve". */
const char *dd_cfg_section_name(enum cfg_section s);
/* The table index of `name` in section s, or -1. */
int dd_cfg_key_find(enum cfg_section s, const char *name);
/* The type as documented: "duration", "integer", ... */
const char *dd_cfg_type_name(enum cfg_type t);
/* Enum choices (NULL-terminated), shared with the *_name() functions. */
extern const char *const dd_cfg_engine_choices[];
extern const char *const dd_cfg_read_policy_choices[];
extern const char *const dd_cfg_no_replica_choices[];
extern const char *const dd_cfg_tls_choices[];
extern const char *const dd_cfg_auth_choices[];
extern const char *const dd_cfg_colour_choices[];

/* ---- value parsers (config_value.c) -------------------------------------
 * Each returns true and stores the value, or returns false with the reason
 * in err (without the key name: the caller prefixes "key: "). They never
 * check a key's range: see dd_cfg_check_range().
 */
#define DD_CFG_MAX_NAME 64 /* longest cluster, node, theme or list item name */

bool dd_cfg_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);
bool dd_cfg_parse_int(const char *s, int64_t *v, char *err, size_t errlen);
bool dd_cfg_parse_bool(const char *s, bool *v, char *err, size_t errlen);
/* Splits on commas, trims, checks each item is a name and appears once. */
bool dd_cfg_parse_list(const char *s, struct dd_str_list *out, char *err, size_t errlen);
/* Case-insensitive; returns the index in choices or -1. */
int dd_cfg_parse_enum(const char *s, const char *const *choices, char *err, size_t errlen);
bool dd_cfg_check_name(const char *s, char *err, size_t errlen);
/*
 * `~` or `~/...` becomes $HOME...; a relative path is joined to base_dir
 * (if not NULL). *out is new, caller frees.
 */
bool dd_cfg_expand_path(const char *s, const char *base_dir, char **out, char *err, size_t errlen);
bool dd_cfg_parse_retention(const char *s, struct dd_retention *r, char *err, size_t errlen);
/* Writes ms with the largest unit that divides it exactly: 1h, 90s, 250ms. */
void dd_cfg_format_duration(int64_t ms, char *buf, size_t len);
/* Frees the items of a list and empties it. */
void dd_cfg_list_clear(struct dd_str_list *l);

/*
 * Values, keys and names are quoted in messages with dd_text_quote, and
 * "did you mean" comes from dd_text_suggest (dbdeck/text.h).
 */

/* ---- the loaded config (config_load.c, config_check.c) ------------------ */

/* One section of the file: its typed settings and where each key was set. */
struct cfg_rec {
	enum cfg_section kind;
	int line;      /* of the header; 0 for [console] when the file has none */
	int *key_line; /* per dd_cfg_keys index: line where set, 0 when not set */
	bool *key_bad; /* per index: the value on that line was rejected */
	union {
		struct dd_console_config console;
		struct dd_cluster_config cluster;
		struct dd_node_config node;
		struct dd_serve_config serve;
	} u;
};

struct dd_config {
	char *path;     /* as given */
	char *base_dir; /* absolute directory of path: anchors relative paths */
	struct cfg_rec *console;
	struct cfg_rec *serve; /* [serve], like [console] one unnamed section */
	struct cfg_rec **clusters;
	size_t nclusters;
	struct cfg_rec **nodes;
	size_t nnodes;
};

/* The public struct of a record, which the key offsets index. */
void *dd_cfg_rec_fields(struct cfg_rec *rec);
/*
 * Parses `value` for key k and stores it in rec (only on success; a key is
 * stored once). Empty values unset CFG_OPTIONAL keys and are errors
 * otherwise. The reason of a failure goes to err, without the key name.
 */
bool dd_cfg_set_value(struct cfg_rec *rec, const struct cfg_key *k, const char *value,
    const char *base_dir, char *err, size_t errlen);
/* A key's value as a number (CFG_INT, CFG_DURATION, CFG_ENUM), for cross checks. */
int64_t dd_cfg_get_number(const struct cfg_rec *rec, const struct cfg_key *k);
/*
 * After the whole file is read: defaults, required keys, cross-key bounds,
 * cluster/node links and engine-dependent ports. Reports to diags under `file`.
 */
void dd_cfg_finish(struct dd_config *cfg, struct dd_diags *diags, const char *file);

/*
 * The transport-security pass over every node (config_tls.c): the tls
 * default that follows the host (prefer on loopback), warnings for a
 * non-loopback node whose certificate is not verified and for auth = any,
 * and an error for verify-ca/verify-full with no CA at all.
 */
void dd_cfg_check_tls(struct dd_config *cfg, struct dd_diags *diags, const char *file);

/* The [serve] checks (config_serve.c): listen, the TLS pair, exposure warning. */
void dd_cfg_check_serve(struct dd_config *cfg, struct dd_diags *diags, const char *file);

/* Whether section s is a single unnamed one ([console], [serve]). */
bool dd_cfg_section_single(enum cfg_section s);

/* ---- the reference (config_reference.c) ---------------------------------- */

/*
 * Returns the markdown key tables of docs/configuration.md (one table per
 * section), as a new string the caller frees.
 */
char *dd_cfg_reference_markdown(void);
#define DD_CFG_REFERENCE_BEGIN                                                                     \
	"<!-- BEGIN KEY TABLES: generated by config_reference, do not edit -->"
#define DD_CFG_REFERENCE_END "<!-- END KEY TABLES -->"

#endif
