/*
 * audit_record.c: what goes into an audit record (audit.h): who acts, the
 * time, the sanitized fields, and the hash that chains records. Pure apart
 * from audit_who_read (environment, passwd, host name).
 */
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "dbdeck/text.h"
#include "util/util.h"

/* Width caps of the fields (columns). */
#define COLS_NAME   64
#define COLS_TARGET 400
#define COLS_TEXT   2000
#define ARGS_MAX    16384 /* longer args are kept as (cut) text, not parsed */

static void
clean(char *out, size_t outlen, const char *in, int max_cols)
{
	dd_text_sanitize(out, outlen, in ? in : "", in ? strlen(in) : 0, max_cols, DD_TEXT_UTF8);
}

/* The client address of "ADDR PORT ADDR PORT" ($SSH_CONNECTION) or "ADDR PORT PORT". */
static void
ssh_address(char *out, size_t outlen)
{
	const char *v = getenv("SSH_CONNECTION");
	if (!v || !*v)
		v = getenv("SSH_CLIENT");
	if (!v || !*v) {
		out[0] = '\0';
		return;
	}
	char first[64];
	size_t n = strcspn(v, " ");
	if (n >= sizeof(first))
		n = sizeof(first) - 1;
	memcpy(first, v, n);
	first[n] = '\0';
	clean(out, outlen, first, 46);
}

const char *
audit_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name)
		clean(buf, len, res->pw_name, 32);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

void
audit_who_read(struct audit_who *w)
{
	memset(w, 0, sizeof(*w));
	audit_user_name(getuid(), w->operator_name, sizeof(w->operator_name));
	clean(w->sudo_user, sizeof(w->sudo_user), getenv("SUDO_USER"), 32);
	ssh_address(w->ssh_client, sizeof(w->ssh_client));
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	clean(w->host, sizeof(w->host), host, 64);
	w->pid = (long long)getpid();
}

void
audit_hash_hex(const void *buf, size_t len, char hex[AUDIT_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, buf, len);
	sodium_bin2hex(hex, AUDIT_HASH_HEX, h, sizeof(h));
}

int64_t
audit_time_parse(const char *s)
{
	struct tm tm = {0};
	int msec, used = 0;
	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec, &used) != 7 ||
	    used != 24 || s[used] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 + msec;
}

json_t *
audit_text(const char *s, int max_cols)
{
	if (!s)
		return json_null();
	size_t cap = (size_t)max_cols * 4 + 8;
	char *buf = xmalloc(cap);
	clean(buf, cap, s, max_cols);
	json_t *j = json_string(buf);
	free(buf);
	return j ? j : json_string("?");
}

/* A copy of v with every key and string sanitized (depth-limited by jansson's parser). */
static json_t *
sanitize_json(json_t *v)
{
	if (json_is_string(v))
		return audit_text(json_string_value(v), COLS_TARGET);
	if (json_is_array(v)) {
		json_t *out = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(out, sanitize_json(json_array_get(v, i)));
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			char key[COLS_NAME * 4 + 8];
			clean(key, sizeof(key), json_object_iter_key(it), COLS_NAME);
			json_object_set_new(out, key, sanitize_json(json_object_iter_value(it)));
		}
		return out;
	}
	return json_deep_copy(v); /* numbers, true, false, null */
}

/* args as a JSON object/array when the text is one, else a sanitized string. */
static json_t *
args_value(const char *args)
{
	if (!args)
		return json_null();
	size_t len = strlen(args);
	if (len < ARGS_MAX && (args[0] == '{' || args[0] == '[')) {
		json_t *parsed = json_loadb(args, len, JSON_REJECT_DUPLICATES, NULL);
		if (parsed) {
			json_t *out = sanitize_json(parsed);
			json_decref(parsed);
			return out;
		}
	}
	return audit_text(args, COLS_TEXT);
}

static json_t *
record_head(const struct audit_who *w, int64_t wall_ms, const char *phase, uint64_t id)
{
	char t[40];
	dd_iso_time_ms(wall_ms, t, sizeof(t));
	json_t *r = json_object();
	json_object_set_new(r, "time", json_string(t));
	json_object_set_new(r, "phase", json_string(phase));
	json_object_set_new(r, "id", json_integer((json_int_t)id));
	json_object_set_new(r, "operator", json_string(w->operator_name));
	if (w->sudo_user[0])
		json_object_set_new(r, "sudo_user", json_string(w->sudo_user));
	if (w->ssh_client[0])
		json_object_set_new(r, "ssh_client", json_string(w->ssh_client));
	json_object_set_new(r, "host", json_string(w->host));
	json_object_set_new(r, "pid", json_integer(w->pid));
	return r;
}

static void
set_what(json_t *r, const char *action, const char *cluster, const char *target)
{
	json_object_set_new(r, "action", audit_text(action ? action : "?", COLS_NAME));
	json_object_set_new(r, "cluster", audit_text(cluster, COLS_NAME));
	json_object_set_new(r, "target", audit_text(target, COLS_TARGET));
}

json_t *
audit_record_start(
    const struct audit_who *w, int64_t wall_ms, uint64_t id, const struct dd_audit_action *act)
{
	json_t *r = record_head(w, wall_ms, "start", id);
	set_what(r, act->action, act->cluster, act->target);
	json_object_set_new(r, "args", args_value(act->args));
	return r;
}

json_t *
audit_record_end(const struct audit_who *w, int64_t wall_ms, uint64_t id, const char *action,
    const char *cluster, const char *target, const char *outcome, const char *detail,
    int64_t duration_ms)
{
	json_t *r = record_head(w, wall_ms, "end", id);
	set_what(r, action, cluster, target);
	json_object_set_new(r, "outcome", json_string(outcome));
	json_object_set_new(r, "duration_ms", json_integer(duration_ms < 0 ? 0 : duration_ms));
	json_object_set_new(r, "detail", audit_text(detail, COLS_TEXT));
	return r;
}

bool
dd_audit_outcome_valid(const char *s)
{
	static const char *const names[] = {"done", "failed", "refused", "incomplete", "cancelled"};
	for (size_t i = 0; s && i < DD_ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}
