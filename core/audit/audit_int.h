/*
 * audit_int.h: what the audit log's writer (audit.c), record builder
 * (audit_record.c) and reader (audit_read.c) share. Internal to core/audit
 * and its tests.
 */
#ifndef DD_AUDIT_INT_H
#define DD_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "dbdeck/audit.h"
#include "dbdeck/clock.h"

/* A line longer than this is no record of ours (the reader and the writer refuse it). */
#define AUDIT_LINE_MAX (1024 * 1024)
/* Hex SHA-256 plus NUL. */
#define AUDIT_HASH_HEX 65

/* Who acts: read once when the log is opened (sanitized; "" when unknown). */
struct audit_who {
	char operator_name[64];
	char sudo_user[64];
	char ssh_client[64];
	char host[128];
	long long pid;
};

/* The login name of uid (getpwuid_r, sanitized), else "uid N". Returns buf. */
const char *audit_user_name(uid_t uid, char *buf, size_t len);

/* Fills w from getpwuid(getuid()), $SUDO_USER, $SSH_CONNECTION / $SSH_CLIENT, the host name. */
void audit_who_read(struct audit_who *w);

/* hex = lowercase hex SHA-256 of len bytes at buf. */
void audit_hash_hex(const void *buf, size_t len, char hex[AUDIT_HASH_HEX]);

/* The reverse; -1 when s is not in that form. */
int64_t audit_time_parse(const char *s);

/* A JSON string of s sanitized to one line of at most max_cols columns; json null for NULL. */
json_t *audit_text(const char *s, int max_cols);

/*
 * The start record of act (without prev): a new object the caller decrefs.
 * wall_ms is the record's time.
 */
json_t *audit_record_start(
    const struct audit_who *w, int64_t wall_ms, uint64_t id, const struct dd_audit_action *act);

/* The end record (without prev). action, cluster, target are as the start record had them. */
json_t *audit_record_end(const struct audit_who *w, int64_t wall_ms, uint64_t id,
    const char *action, const char *cluster, const char *target, const char *outcome,
    const char *detail, int64_t duration_ms);

/*
 * Reads the last line of the file open at fd (size bytes long) and hashes
 * it into hex (64 zeros for an empty file). *partial: the file does not end
 * with a newline (a cut-off write; the next record starts on a new line).
 * Returns 0, or -1 with err.
 */
int audit_tail_hash(
    int fd, off_t size, char hex[AUDIT_HASH_HEX], bool *partial, char *err, size_t errlen);

/*
 * Calls fn for each line of the file at path (bytes without the newline;
 * complete is false for a last line with no newline) until fn returns
 * non-zero. Returns 0, fn's value, or -1 with err.
 */
int audit_each_line(const char *path,
    int (*fn)(void *ctx, long lineno, const char *line, size_t len, bool complete), void *ctx,
    char *err, size_t errlen);

/* For tests: the clock the log reads (time of records, durations). NULL = the real one. */
void audit_set_clock(struct dd_audit *a, const struct dd_clock *clock);

#endif
