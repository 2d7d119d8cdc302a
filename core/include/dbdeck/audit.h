/*
 * audit.h: the audit log of operator actions (DESIGN.md §8, issue 12).
 *
 * Every action an operator starts (cancel and terminate a query, backup,
 * verify, restore, prune, switchover, failover) writes two records to the
 * `[console] audit_log` file: one when it starts, one when it ends. The file
 * is JSON lines, mode 0600, opened O_APPEND; each record is written with
 * one write() and fsync'd before the call returns. An action whose start
 * record cannot be written must not start.
 *
 * A record (one line, written with jansson, fields in this order):
 *   time        UTC, ISO 8601 with milliseconds: "2025-06-01T12:00:03.250Z"
 *   phase       "start" | "end"
 *   id          the action's number (random, < 2^53), the same in both records
 *   operator    login name of the real user (getpwuid(getuid()))
 *   sudo_user   $SUDO_USER, when set
 *   ssh_client  the client address of $SSH_CONNECTION (else $SSH_CLIENT), when set
 *   host, pid   where the action ran
 *   action, cluster, target   as given (cluster, target null when not given)
 *   args        start only: the arguments (a JSON object/array when the
 *               caller's text is one, else a string; null when none)
 *   outcome, duration_ms, detail   end only
 *   prev        hex SHA-256 of the previous line's bytes (without its
 *               newline); 64 zeros for the first line of the file
 * Every string is sanitized (core/text: no control character, capped).
 *
 * The chain: prev links each line to the one before, so an edited line
 * breaks the link to the next line and a deleted line breaks the link of
 * the one that followed it; dd_audit_verify reports the first broken link
 * by line number. The last line can be edited undetected (nothing follows
 * it); a copy of the newest hash kept elsewhere closes that gap.
 *
 * Several processes may write one file: each append takes an exclusive
 * flock on it and re-reads the last line under the lock, so the chain stays
 * whole. A file replaced under a running process (log rotation) is noticed
 * at the next record and the new file opened with the same checks.
 *
 * Threads: a struct dd_audit is thread-safe (one mutex). The reading
 * functions share nothing.
 */
#ifndef DBDECK_AUDIT_H
#define DBDECK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dd_audit; /* opaque; thread-safe (one mutex) */

struct dd_audit_action {
	const char *action;  /* "cancel", "terminate", "backup", "verify", "restore", "prune",
	                        "switchover", "failover" */
	const char *cluster; /* may be NULL */
	const char *target;  /* node, backup id, database...; may be NULL */
	const char *args;    /* arguments without secrets, free text or JSON text; may be NULL */
};

/*
 * Opens (creating, 0600, O_APPEND, O_CLOEXEC, parent dirs 0700) the log at
 * path. Refuses a symlink or a file not owned by the user or with
 * group/other bits (a clear message in err, naming the fix). Reads the last
 * record to continue the chain. Returns 0 with *out (the caller's:
 * dd_audit_close), or -1 with err.
 */
int dd_audit_open(struct dd_audit **out, const char *path, char *err, size_t errlen);

/*
 * Closes the file and frees a. Actions begun and not ended keep only their
 * start record. NULL is a no-op.
 */
void dd_audit_close(struct dd_audit *a);

/*
 * Writes and fsyncs the start record of act (borrowed; copied); *id
 * identifies the action for dd_audit_end. Returns 0, or -1 with err when the
 * record cannot be written: the action must then not start.
 */
int dd_audit_begin(
    struct dd_audit *a, const struct dd_audit_action *act, uint64_t *id, char *err, size_t errlen);

/*
 * Writes and fsyncs the end record of action id: outcome "done" | "failed" |
 * "refused" | "incomplete" | "cancelled", detail free text without secrets
 * (may be NULL), duration measured since dd_audit_begin. Returns 0, or -1
 * with err (unknown id or outcome, or the record could not be written).
 */
int dd_audit_end(struct dd_audit *a, uint64_t id, const char *outcome, const char *detail,
    char *err, size_t errlen);

/*
 * Verifies the chain of the file at path; on a break writes the 1-based
 * line number and what is wrong into err. *records (may be NULL) gets the
 * number of records that checked out. Returns 0 ok, 1 broken, -1 unreadable
 * (missing file, I/O error).
 */
int dd_audit_verify(const char *path, long *records, char *err, size_t errlen);

/* ---- reading the log (`dbdeck audit`, the console) ---- */

/*
 * One line of the log as dd_audit_read hands it over. Every pointer is
 * borrowed for the callback's duration only. Strings are NULL when the
 * record has no such field.
 */
struct dd_audit_record {
	long line;       /* 1-based */
	const char *raw; /* the line's bytes (raw_len, no newline; not NUL-terminated) */
	size_t raw_len;
	const char *bad;   /* not NULL: the line is no record (why); the fields below are empty */
	const char *time;  /* as written */
	int64_t time_ms;   /* time as ms since the epoch; -1 when unreadable */
	const char *phase; /* "start" | "end" */
	uint64_t id;
	const char *operator_name, *sudo_user, *ssh_client, *host;
	long long pid;
	const char *action, *cluster, *target;
	const char *args; /* JSON args as compact JSON text */
	const char *outcome, *detail;
	int64_t duration_ms; /* -1 when absent */
};

/*
 * Calls fn for each line of the file at path, in order, until fn returns
 * non-zero. Lines that are not records come with `bad` set (they are not
 * skipped). Does not check the chain (dd_audit_verify does). Returns 0, the
 * callback's non-zero value, or -1 with err when the file cannot be read
 * (errno ENOENT is kept for a missing file).
 */
int dd_audit_read(const char *path, int (*fn)(const struct dd_audit_record *r, void *ctx),
    void *ctx, char *err, size_t errlen);

/* True when s is one of the outcomes dd_audit_end accepts. */
bool dd_audit_outcome_valid(const char *s);

#endif
