/*
 * audit_read.c: reading the audit log (audit.h): the last line's hash for
 * the writer, the chain check (`dbdeck audit verify`) and the record reader
 * (`dbdeck audit`). Lines are bytes: a line's hash is over exactly what is
 * between two newlines, so any change to a byte shows.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "util/util.h"

#define CHUNK 4096

static const char zero_hash[AUDIT_HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Where the line ending at end starts (just after the previous newline, or 0). */
static int
line_start(int fd, off_t end, off_t *start, char *err, size_t errlen)
{
	char buf[CHUNK];
	off_t pos = end;
	while (pos > 0) {
		size_t n = pos < CHUNK ? (size_t)pos : CHUNK;
		if (pread(fd, buf, n, pos - (off_t)n) != (ssize_t)n) {
			dd_seterr(err, errlen, "read: %s", strerror(errno ? errno : EIO));
			return -1;
		}
		for (size_t i = n; i-- > 0;)
			if (buf[i] == '\n') {
				*start = pos - (off_t)n + (off_t)i + 1;
				return 0;
			}
		pos -= (off_t)n;
		if (end - pos > AUDIT_LINE_MAX) {
			dd_seterr(err, errlen,
			    "its last line is longer than %d bytes: not an audit log",
			    AUDIT_LINE_MAX);
			return -1;
		}
	}
	*start = 0;
	return 0;
}

int
audit_tail_hash(
    int fd, off_t size, char hex[AUDIT_HASH_HEX], bool *partial, char *err, size_t errlen)
{
	char buf[CHUNK];
	off_t start;
	*partial = false;
	memcpy(hex, zero_hash, AUDIT_HASH_HEX);
	if (size == 0)
		return 0;
	errno = 0;
	if (pread(fd, buf, 1, size - 1) != 1) {
		dd_seterr(err, errlen, "read: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	*partial = buf[0] != '\n';
	off_t end = *partial ? size : size - 1;
	if (line_start(fd, end, &start, err, errlen) != 0)
		return -1;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (off_t pos = start; pos < end;) {
		size_t n = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
		if (pread(fd, buf, n, pos) != (ssize_t)n) {
			dd_seterr(err, errlen, "read: %s", strerror(errno ? errno : EIO));
			return -1;
		}
		crypto_hash_sha256_update(&st, (const unsigned char *)buf, n);
		pos += (off_t)n;
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, AUDIT_HASH_HEX, h, sizeof(h));
	return 0;
}

int
audit_each_line(const char *path,
    int (*fn)(void *ctx, long lineno, const char *line, size_t len, bool complete), void *ctx,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		dd_seterr(err, errlen, "audit log %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		bool complete = line[n - 1] == '\n';
		rc = fn(ctx, ++lineno, line, (size_t)n - (complete ? 1 : 0), complete);
	}
	if (rc == 0 && ferror(f)) {
		dd_seterr(err, errlen, "audit log %s: read: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* What makes parsed JSON a record: every field the writer always writes, of the right type. */
static const char *
record_problem(json_t *r)
{
	if (!json_is_object(r))
		return "not a JSON object";
	const char *prev = json_string_value(json_object_get(r, "prev"));
	if (!prev || strlen(prev) != 64 || strspn(prev, "0123456789abcdef") != 64)
		return "no 'prev' hash";
	if (audit_time_parse(json_string_value(json_object_get(r, "time"))) < 0)
		return "no valid 'time'";
	const char *ph = json_string_value(json_object_get(r, "phase"));
	if (!ph || (strcmp(ph, "start") != 0 && strcmp(ph, "end") != 0))
		return "'phase' is neither start nor end";
	if (!json_is_integer(json_object_get(r, "id")))
		return "no 'id'";
	if (!json_is_string(json_object_get(r, "action")))
		return "no 'action'";
	return NULL;
}

/* Parses one line; *why when it is no record. The caller decrefs the result (NULL on a problem). */
static json_t *
parse_line(const char *line, size_t len, bool complete, char *why, size_t whylen)
{
	json_error_t je;
	if (!complete) {
		dd_seterr(why, whylen,
		    "incomplete record: the file ends without a newline (a write "
		    "was cut short, or the line was cut)");
		return NULL;
	}
	if (len == 0) {
		dd_seterr(why, whylen, "empty line");
		return NULL;
	}
	json_t *r = json_loadb(line, len, 0, &je);
	if (!r) {
		dd_seterr(why, whylen, "not a JSON record (%s at column %d)", je.text, je.column);
		return NULL;
	}
	const char *p = record_problem(r);
	if (p) {
		dd_seterr(why, whylen, "not an audit record: %s", p);
		json_decref(r);
		return NULL;
	}
	return r;
}

struct verify_state {
	char expect[AUDIT_HASH_HEX];
	long good;
	char *err;
	size_t errlen;
};

static int
verify_line(void *ctx, long lineno, const char *line, size_t len, bool complete)
{
	struct verify_state *v = ctx;
	char why[240];
	json_t *r = parse_line(line, len, complete, why, sizeof(why));
	if (!r) {
		dd_seterr(v->err, v->errlen, "line %ld: %s", lineno, why);
		return 1;
	}
	bool linked = strcmp(json_string_value(json_object_get(r, "prev")), v->expect) == 0;
	json_decref(r);
	if (!linked && lineno == 1) {
		dd_seterr(v->err, v->errlen,
		    "line 1: chain broken: the first record's prev is not 64 zeros (lines were "
		    "removed from the start of the file)");
		return 1;
	}
	if (!linked) {
		dd_seterr(v->err, v->errlen,
		    "line %ld: chain broken: its prev is not the SHA-256 of line %ld (line %ld was "
		    "changed, or lines were removed between them)",
		    lineno, lineno - 1, lineno - 1);
		return 1;
	}
	audit_hash_hex(line, len, v->expect);
	v->good++;
	return 0;
}

int
dd_audit_verify(const char *path, long *records, char *err, size_t errlen)
{
	struct verify_state v = {.good = 0, .err = err, .errlen = errlen};
	if (sodium_init() < 0) {
		dd_seterr(err, errlen, "libsodium could not start");
		return -1;
	}
	memcpy(v.expect, zero_hash, AUDIT_HASH_HEX);
	int rc = audit_each_line(path, verify_line, &v, err, errlen);
	if (records)
		*records = v.good;
	return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/* ---- dd_audit_read ---- */

struct read_state {
	int (*fn)(const struct dd_audit_record *r, void *ctx);
	void *ctx;
};

static const char *
field(json_t *r, const char *key)
{
	return json_string_value(json_object_get(r, key));
}

static void
fill_record(struct dd_audit_record *rec, json_t *r, char **args_text)
{
	json_t *args = json_object_get(r, "args"), *d = json_object_get(r, "duration_ms");
	rec->time = field(r, "time");
	rec->time_ms = audit_time_parse(rec->time);
	rec->phase = field(r, "phase");
	rec->id = (uint64_t)json_integer_value(json_object_get(r, "id"));
	rec->operator_name = field(r, "operator");
	rec->sudo_user = field(r, "sudo_user");
	rec->ssh_client = field(r, "ssh_client");
	rec->host = field(r, "host");
	rec->pid = json_integer_value(json_object_get(r, "pid"));
	rec->action = field(r, "action");
	rec->cluster = field(r, "cluster");
	rec->target = field(r, "target");
	if (json_is_object(args) || json_is_array(args))
		rec->args = *args_text = json_dumps(args, JSON_COMPACT);
	else
		rec->args = json_string_value(args);
	rec->outcome = field(r, "outcome");
	rec->detail = field(r, "detail");
	rec->duration_ms = json_is_integer(d) ? json_integer_value(d) : -1;
}

static int
read_line(void *ctx, long lineno, const char *line, size_t len, bool complete)
{
	struct read_state *s = ctx;
	char why[240], *args_text = NULL;
	struct dd_audit_record rec = {.line = lineno, .raw = line, .raw_len = len, .time_ms = -1};
	json_t *r = parse_line(line, len, complete, why, sizeof(why));
	if (r)
		fill_record(&rec, r, &args_text);
	else
		rec.bad = why;
	int rc = s->fn(&rec, s->ctx);
	free(args_text);
	json_decref(r);
	return rc;
}

int
dd_audit_read(const char *path, int (*fn)(const struct dd_audit_record *r, void *ctx), void *ctx,
    char *err, size_t errlen)
{
	struct read_state s = {.fn = fn, .ctx = ctx};
	return audit_each_line(path, read_line, &s, err, errlen);
}
