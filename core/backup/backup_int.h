/*
 * backup_int.h: the pieces of the backup module (internal). One file per
 * responsibility:
 *   spawn.c     child tools: no shell, no terminal, the in-memory password
 *               file, stderr captured line by line
 *   engine.c    what differs between engines: one const table each (tools,
 *               arguments, SQL), and dbdeck's own connections
 *   crypt.c     the backup key: derivation, fingerprint, data-key wrapping
 *   stream.c    the dump file: zstd, secretstream, SHA-256, fsync; and back
 *   manifest.c  manifest.json with its own checksum
 *   catalog.c   the directory of a cluster's backups, locks, the check record
 *   retention.c grandfather-father-son, pure
 *   take.c, verify.c, restore.c, prune.c, source.c: the operations
 *   job.c       the operations as jobs of the runner (jobs.h)
 */
#ifndef DD_BACKUP_INT_H
#define DD_BACKUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dbdeck/backup.h"
#include "dbdeck/driver.h"

#define BK_ERR_MAX 512

/* ---- spawn.c ----------------------------------------------------------- */

/* The descriptor number the password file has in the child. */
#define BK_PWFD      3
#define BK_PWFD_PATH "/proc/self/fd/3"

/* A growable argv or envp (NULL-terminated), strings owned. */
struct bk_argv {
	size_t n, cap;
	char **v;
};
void bk_argv_add(struct bk_argv *a, const char *s);
void bk_argv_addf(struct bk_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bk_argv_free(struct bk_argv *a);

/*
 * A 0600 memfd holding `len` bytes of `text` (a password file), offset 0.
 * Returns the descriptor (close-on-exec; spawn gives it to the child as
 * BK_PWFD), or -1 with the reason in err. text is the caller's to wipe.
 */
int bk_pwfile(const char *text, size_t len, char *err, size_t errlen);

/* Which end of the child's standard streams dbdeck holds. */
enum bk_io {
	BK_IO_READ,  /* child stdout → data_fd (a dump); stdin /dev/null */
	BK_IO_WRITE, /* data_fd → child stdin (a restore); stdout joins stderr */
	BK_IO_NONE,  /* stdout → data_fd, small (tool --version) */
};

struct bk_child {
	pid_t pid;
	int data_fd;       /* non-blocking */
	int err_fd;        /* non-blocking: stderr (and stdout in BK_IO_WRITE) */
	char name[32];     /* the tool's name, for messages */
	char errbuf[1024]; /* the unfinished stderr line */
	size_t errlen;
	char last_err[256]; /* the last non-empty stderr line, sanitized */
	const struct dd_backup_hooks *hooks;
};

/*
 * Starts `path` with argv and envp (nothing else of dbdeck's environment)
 * in its own session, with no terminal; pwfd (-1: none) becomes BK_PWFD in
 * the child, every other descriptor is closed; it dies with dbdeck
 * (PR_SET_PDEATHSIG). Returns 0 or -1 (reason in err).
 */
int bk_spawn(const char *path, char *const argv[], char *const envp[], int pwfd, enum bk_io io,
    const struct dd_backup_hooks *hooks, struct bk_child *c, char *err, size_t errlen);

/* Reads what stderr has; each complete line goes to the log hook. 0, or -1 at EOF. */
int bk_child_drain_err(struct bk_child *c);

/*
 * Closes data_fd, reads stderr to its end and reaps the child. Returns 0 when
 * it exited 0, else -1 with "NAME exited with status N: LAST LINE" or "NAME
 * was killed by signal N" in err.
 */
int bk_child_finish(struct bk_child *c, char *err, size_t errlen);

/* Kills the child's process group (SIGTERM, then SIGKILL after 2 s) and reaps it. */
void bk_child_kill(struct bk_child *c);

/* The absolute path of `tool` on $PATH into out; false when not found. */
bool bk_find_tool(const char *tool, char *out, size_t len);

/*
 * `tool --version`, started (0, or -1 when it cannot be) and later read: its
 * first stdout line (sanitized) into out, "" when it failed. Run alongside
 * other work: the line waits in the pipe.
 */
int bk_tool_version_start(const char *path, struct bk_child *c);
void bk_tool_version_finish(struct bk_child *c, char *out, size_t len);

/* The signal number of a raised cancel flag; 0 when not raised. */
int bk_cancelled(const struct dd_backup_hooks *h);
/* "interrupted by SIGINT" / "cancelled" into err. */
void bk_cancel_message(const struct dd_backup_hooks *h, char *err, size_t errlen);
/* Sends a formatted line to the log hook. */
void bk_log(const struct dd_backup_hooks *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- engine.c ------------------------------------------------------------ */

/* Everything a tool's arguments are made of. */
struct bk_target {
	const struct dd_node_config *node;
	const char *database;
	const char *user;
	bool binlog;    /* MariaDB: the node writes a binlog (--master-data) */
	bool no_binlog; /* MariaDB restore: SET sql_log_bin=0 (a scratch copy) */
};

/* The source database's creation options (recorded in the manifest). */
struct bk_dbopts {
	char encoding[64]; /* PG encoding / MariaDB character set */
	char collate[128];
	char ctype[128]; /* PG only */
};

struct bk_table {
	char *name;   /* PG schema.table, MariaDB table */
	char *schema; /* PG schema; NULL for MariaDB */
	char *table;
	int64_t rows; /* the estimate; -1 unknown */
};

struct bk_engine {
	const char *dump_tool, *restore_tool;
	const char *file_name; /* the dump in the backup directory (".enc" added when encrypted) */
	const char *format;    /* "pg_dump custom" / "mariadb-dump sql" */
	bool zstd;             /* compressed by dbdeck (a text dump) */
	/* The password file's text (new, in sodium_malloc memory; sodium_free it). */
	char *(*pwfile_text)(const char *user, const char *password, size_t *len);
	void (*dump_argv)(struct bk_argv *a, const struct bk_target *t);
	void (*restore_argv)(struct bk_argv *a, const struct bk_target *t);
	void (*child_env)(struct bk_argv *env);
	/* SQL: one row, one value. */
	const char *sql_db_size;
	const char *sql_binlog; /* "1" when the node writes a binlog; NULL: n/a */
	/* A scratch copy's session: kept out of the binlog (NULL: nothing to do). */
	const char *sql_scratch_session;
	/* SQL: rows of (schema, table, estimate). */
	const char *sql_tables;
	/* SQL: one row (encoding, collate, ctype). */
	const char *sql_dbopts;
	/* Quotes an identifier into buf. */
	void (*quote_ident)(const char *s, char *buf, size_t len);
	/* Statements about a database (name already valid): into buf. */
	void (*sql_exists)(const char *db, char *buf, size_t len);
	void (*sql_create)(const char *db, const struct bk_dbopts *o, char *buf, size_t len);
	void (*sql_drop)(const char *db, bool force, char *buf, size_t len);
	void (*sql_count)(const char *db, const struct bk_table *t, char *buf, size_t len);
	/* Counting needs a connection to the restored database itself (PG). */
	bool count_in_db;
	/* Where statements about whole databases connect: always there, whatever was dropped. */
	const char *admin_db;
};

const struct bk_engine *bk_engine_for(enum dd_engine e);

/* Opens dbdeck's own connection to node/database with the ctx's credential. */
int bk_connect(const struct dd_backup_ctx *ctx, const struct dd_node_config *node,
    const char *database, struct dd_conn **out, char *err, size_t errlen);
/* Runs sql and returns the first value of the first row into out ("" for none). */
int bk_query_value(struct dd_conn *c, const char *sql, int64_t timeout_ms, char *out, size_t len,
    char *err, size_t errlen);
int bk_exec(struct dd_conn *c, const char *sql, int64_t timeout_ms, char *err, size_t errlen);
/* Reads the tables and their row estimates (new array, bk_tables_free). */
int bk_read_tables(const struct bk_engine *e, struct dd_conn *c, struct bk_table **out, size_t *n,
    char *err, size_t errlen);
void bk_tables_free(struct bk_table *t, size_t n);

/* ---- crypt.c ------------------------------------------------------------- */

#define BK_KEY_BYTES        32
#define BK_SALT_BYTES       16
#define BK_WRAP_NONCE_BYTES 24
#define BK_WRAPPED_BYTES    (BK_KEY_BYTES + 16)
#define BK_CHUNK            (1024 * 1024) /* plaintext bytes per secretstream message */

/* How a backup's data key is wrapped; all of it goes to the manifest. */
struct bk_keywrap {
	uint64_t opslimit;
	uint64_t memlimit;
	unsigned char salt[BK_SALT_BYTES];
	unsigned char nonce[BK_WRAP_NONCE_BYTES];
	unsigned char wrapped[BK_WRAPPED_BYTES];
	char fingerprint[33];
	char key_name[65];
};

/*
 * A new random data key (sodium_malloc'd, BK_KEY_BYTES; sodium_free it)
 * wrapped under the key derived from secret, bound to backup id `id`.
 * Returns NULL with the reason in err.
 */
unsigned char *bk_key_new(const char *secret, size_t len, const char *key_name, const char *id,
    struct bk_keywrap *w, char *err, size_t errlen);

/*
 * Unwraps the data key of a backup. Returns it (sodium_free), or NULL with
 * err saying whether the key is the wrong one (its fingerprint differs) or
 * the wrapped key is damaged.
 */
unsigned char *bk_key_unwrap(const char *secret, size_t len, const struct bk_keywrap *w,
    const char *id, char *err, size_t errlen);

/* ---- stream.c ------------------------------------------------------------ */

struct bk_writer;

/* Creates path (O_EXCL, 0600). data_key NULL: no encryption. */
struct bk_writer *bk_writer_open(
    const char *path, bool zstd, const unsigned char *data_key, char *err, size_t errlen);
int bk_writer_write(struct bk_writer *w, const void *buf, size_t len, char *err, size_t errlen);
/* Flushes, fsyncs and closes; fills the hash and sizes. Frees w. */
int bk_writer_finish(struct bk_writer *w, char sha_hex[65], uint64_t *raw, uint64_t *stored,
    char *err, size_t errlen);
/* Closes and frees w without finishing (the caller removes the file). */
void bk_writer_abort(struct bk_writer *w);

struct bk_reader;

/* Opens a stored dump to decode it (decrypt, decompress), hashing what it reads. */
struct bk_reader *bk_reader_open(
    const char *path, bool zstd, const unsigned char *data_key, char *err, size_t errlen);
/*
 * Up to cap decoded bytes into buf; *n = 0 at the end. At the end, checks
 * that the stream was complete (final tag, whole zstd frame). -1 with the
 * reason in err on damage.
 */
int bk_reader_read(struct bk_reader *r, void *buf, size_t cap, size_t *n, char *err, size_t errlen);
/* Stored bytes read so far, and (once at the end) their SHA-256. */
uint64_t bk_reader_stored(const struct bk_reader *r);
void bk_reader_close(struct bk_reader *r, char sha_hex[65]);

/*
 * SHA-256 and size of a whole file, reporting progress through hooks.
 * Returns 0, DD_BACKUP_CANCELLED, or -1 (reason in err).
 */
int bk_hash_file(const char *path, const struct dd_backup_hooks *h, char sha_hex[65],
    uint64_t *size, char *err, size_t errlen);

/* fsync of a path (a directory, usually). */
int bk_fsync_path(const char *path, char *err, size_t errlen);

/* Reports progress through the hook at most every 200 ms (or when force). */
struct bk_meter {
	enum dd_backup_phase phase;
	uint64_t total;
	int64_t start_ns, last_ns;
};
void bk_meter_start(struct bk_meter *m, enum dd_backup_phase phase, uint64_t total);
void bk_meter_tick(struct bk_meter *m, const struct dd_backup_hooks *h, uint64_t done, bool force);

/* ---- manifest.c ---------------------------------------------------------- */

#define BK_MANIFEST "manifest.json"
#define BK_FORMAT   "dbdeck-backup-1"

struct bk_manifest {
	char id[16], name[64];
	char cluster[65], node[65], node_role[16], node_reason[256];
	char engine[16], database[129];
	char server_version[128], tool[32], tool_version[160], dump_format[32];
	int64_t started_wall_ms, ended_wall_ms;
	char position_kind[8]; /* "lsn", "gtid", "" */
	char position[512];
	int64_t database_bytes; /* -1 unknown */
	struct bk_dbopts dbopts;
	char file[64];
	uint64_t bytes_raw, bytes_stored;
	char sha256[65];
	char compression[16]; /* "zstd" or "none" (pg_dump compresses itself) */
	bool encrypted;
	struct bk_keywrap wrap;
	size_t n_tables;
	struct bk_table *tables;
};

/* Writes dir/manifest.json (O_EXCL, 0600, fsync'd). */
int bk_manifest_write(const char *dir, const struct bk_manifest *m, char *err, size_t errlen);
/*
 * Reads dir/manifest.json: checks its own checksum, then parses. Returns 0,
 * or -1 with the reason in err ("manifest.json: missing", "... checksum
 * mismatch", "... field x: ..."). *m is the caller's (bk_manifest_clear).
 */
int bk_manifest_read(const char *dir, struct bk_manifest *m, char *err, size_t errlen);
void bk_manifest_clear(struct bk_manifest *m);

/* ---- catalog.c ----------------------------------------------------------- */

/* dir/name into out (name NULL: dir.partial); false when it does not fit. */
bool bk_join(char *out, size_t len, const char *dir, const char *name);
/* <backup_dir>/<cluster> into out; false when too long. */
bool bk_cluster_dir(const struct dd_cluster_config *c, char *out, size_t len);
/*
 * Makes <backup_dir>/<cluster> (0700) when backup_dir exists; -1 with a
 * message naming the cause (missing, not a directory, read-only) otherwise.
 */
int bk_cluster_dir_make(
    const struct dd_cluster_config *c, char *out, size_t len, char *err, size_t errlen);
/* Takes the cluster directory's lock (<dir>/.lock, flock): returns the fd, or -1. */
int bk_lock_cluster(const char *cdir, char *err, size_t errlen);
/* flock of a backup directory: the fd, or -1 when someone else holds it (errno EWOULDBLOCK). */
int bk_lock_dir(const char *path, bool exclusive);
void bk_unlock(int fd);
/* Removes stale .partial directories (the cluster lock held). Logs each one. */
void bk_clean_stale(const char *cdir, const struct dd_backup_hooks *h);
/* rm -r of a backup directory (plain files only inside). */
int bk_remove_dir(const char *path, char *err, size_t errlen);
/* Records a verify result beside a backup (check.json, atomically). */
int bk_check_write(
    const char *dir, bool ok, bool deep, const char *detail, char *err, size_t errlen);
/* Parses what dd_iso_time_ms writes; -1 on error. */
int64_t bk_parse_iso_time(const char *s);

/* ---- verify.c, feed.c: shared by verify and restore ---------------------- */

/*
 * Checks a backup against its manifest: the manifest's own checksum, its
 * cluster and id, the dump file's size and SHA-256. Fills *m (the caller
 * clears it on success). 0, DD_BACKUP_CANCELLED or -1 (reason names the file).
 */
int bk_check_files(const struct dd_backup_ctx *ctx, const struct dd_backup_entry *e,
    struct bk_manifest *m, char *err, size_t errlen);
/* The data key of an encrypted backup (*dk sodium_malloc'd), *dk NULL when plain. */
int bk_data_key(const struct dd_backup_ctx *ctx, const struct bk_manifest *m, unsigned char **dk,
    char *err, size_t errlen);
/*
 * Streams the backup in dir into the engine's restore tool, connected to
 * database db on node; no_binlog: MariaDB writes nothing to its binlog (a
 * scratch copy). The stored bytes are hashed again on the way: a mismatch
 * kills the tool before it sees the end of its input.
 */
int bk_feed(const struct dd_backup_ctx *ctx, const struct bk_manifest *m, const char *dir,
    const unsigned char *dk, const struct dd_node_config *node, const char *db, bool no_binlog,
    char *err, size_t errlen);
/* Database statements over a connection to the engine's admin database on node. */
int bk_db_exists(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    bool *exists, char *err, size_t errlen);
/* Creates db; first drops a leftover of the same name when drop_first (a scratch copy). */
int bk_db_create(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    const struct bk_dbopts *o, bool drop_first, char *err, size_t errlen);
/* force: end its sessions first (PostgreSQL WITH (FORCE); a scratch copy). */
int bk_db_drop(const struct dd_backup_ctx *ctx, const struct dd_node_config *node, const char *db,
    bool force, char *err, size_t errlen);

/* ---- audit glue (audit.c) ------------------------------------------------ */

/*
 * Writes the action's start record when ctx->audit is set. Returns 0 (id in
 * *id; 0 when there is no audit log) or -1: the action must not start.
 */
int bk_audit_begin(const struct dd_backup_ctx *ctx, const char *action, const char *target,
    const char *args, uint64_t *id, char *err, size_t errlen);
/* The end record: outcome from rc (done, failed, refused, cancelled). */
void bk_audit_end(const struct dd_backup_ctx *ctx, uint64_t id, int rc, const char *detail);

#endif
