/*
 * fo_sql.c: small SQL helpers of the failover steps: one value of a
 * statement, a statement whose error must not quote it (it carries a
 * password), SQL string literals, and libpq conninfo strings with only the
 * host and port changed (a replica's primary_conninfo, repointed).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

void
fo_err_from(const struct dd_db_error *e, char *err, size_t errlen)
{
	char one[sizeof(e->message)];
	size_t i;

	dd_strlcpy(one, e->message, sizeof(one));
	for (i = 0; one[i]; i++)
		if (one[i] == '\n' || one[i] == '\r' || one[i] == '\t')
			one[i] = ' ';
	dd_seterr(err, errlen, "%s", one[0] ? one : dd_err_class_name(e->cls));
}

int
fo_value(struct dd_conn *c, const char *sql, int64_t deadline, char *out, size_t outlen, char *err,
    size_t errlen)
{
	struct dd_db_error e;
	struct dd_result *r = NULL;
	const char *v;

	dd_db_error_clear(&e);
	if (dd_conn_query(c, sql, deadline, &r, &e) != 0) {
		fo_err_from(&e, err, errlen);
		return -1;
	}
	if (dd_result_nrows(r) < 1 || dd_result_ncols(r) < 1) {
		dd_seterr(err, errlen, "no row");
		dd_result_free(r);
		return -1;
	}
	v = dd_result_value(r, 0, 0);
	dd_strlcpy(out, v ? v : "", outlen);
	dd_result_free(r);
	return 0;
}

const char *
fo_text(const struct dd_result *r, int row, int col, const char *dflt)
{
	const char *v = dd_result_value(r, row, col);

	return v ? v : dflt;
}

int
fo_exec(struct dd_conn *c, const char *sql, int64_t deadline, char *err, size_t errlen)
{
	struct dd_db_error e;

	dd_db_error_clear(&e);
	if (dd_conn_exec(c, sql, deadline, NULL, &e) != 0) {
		fo_err_from(&e, err, errlen);
		return -1;
	}
	return 0;
}

int
fo_exec_secret(struct dd_conn *c, const char *sql, int64_t deadline, char *err, size_t errlen)
{
	struct dd_db_error e;

	dd_db_error_clear(&e);
	if (dd_conn_exec_secret(c, sql, deadline, NULL, &e) == 0)
		return 0;
	fo_err_from(&e, err, errlen); /* the driver kept no quoted text (driver.h) */
	return -1;
}

bool
fo_quote(char *buf, size_t len, const char *s, bool backslash)
{
	size_t used = strlen(buf);

#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (used + 1 >= len)                                                               \
			return false;                                                              \
		buf[used++] = (ch);                                                                \
	} while (0)
	PUT('\'');
	for (; *s; s++) {
		if (*s == '\'')
			PUT('\'');
		else if (*s == '\\' && backslash)
			PUT('\\');
		PUT(*s);
	}
	PUT('\'');
#undef PUT
	buf[used] = '\0';
	return true;
}

/* ---- conninfo: key = value pairs, values bare or '...' with \' and \\ ---- */

struct kv {
	char key[32];
	char val[512];
};

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Reads one pair at *sp; false at the end or on a syntax error (*bad set). */
static bool
next_pair(const char **sp, struct kv *kv, bool *bad)
{
	const char *s = skip_blank(*sp);
	size_t k = 0, v = 0;

	if (*s == '\0')
		return false;
	*bad = true;
	while (*s && *s != '=' && *s != ' ' && *s != '\t' && k + 1 < sizeof(kv->key))
		kv->key[k++] = *s++;
	kv->key[k] = '\0';
	s = skip_blank(s);
	if (k == 0 || *s++ != '=')
		return false;
	s = skip_blank(s);
	if (*s == '\'') {
		for (s++; *s && *s != '\''; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (v + 1 >= sizeof(kv->val))
				return false;
			kv->val[v++] = *s;
		}
		if (*s++ != '\'')
			return false;
	} else {
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\\' && s[1])
				s++;
			if (v + 1 >= sizeof(kv->val))
				return false;
			kv->val[v++] = *s++;
		}
	}
	kv->val[v] = '\0';
	*sp = s;
	*bad = false;
	return true;
}

/* Appends key='value' (escaped) to out. */
static bool
put_pair(char *out, size_t len, const char *key, const char *val)
{
	size_t used = strlen(out);
	int n = snprintf(out + used, len - used, "%s%s='", used ? " " : "", key);

	if (n < 0 || (size_t)n >= len - used)
		return false;
	used += (size_t)n;
	for (; *val; val++) {
		if (used + 3 >= len)
			return false;
		if (*val == '\'' || *val == '\\')
			out[used++] = '\\';
		out[used++] = *val;
	}
	if (used + 2 > len)
		return false;
	out[used++] = '\'';
	out[used] = '\0';
	return true;
}

bool
fo_conninfo_repoint(const char *in, const char *host, int port, char *out, size_t len)
{
	struct kv kv;
	bool bad = false, ok = true;
	char portbuf[16];
	const char *s = in;

	if (len == 0 || strstr(in, "://") != NULL)
		return false; /* the URI form is not rewritten */
	out[0] = '\0';
	while (ok && next_pair(&s, &kv, &bad)) {
		if (strcmp(kv.key, "host") == 0 || strcmp(kv.key, "hostaddr") == 0 ||
		    strcmp(kv.key, "port") == 0)
			continue;
		ok = put_pair(out, len, kv.key, kv.val);
	}
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	ok = ok && !bad && put_pair(out, len, "host", host) && put_pair(out, len, "port", portbuf);
	sodium_memzero(&kv, sizeof(kv));
	if (!ok)
		sodium_memzero(out, len);
	return ok;
}

void
fo_conninfo_target(const char *in, char *host, size_t hlen, int *port)
{
	struct kv kv;
	bool bad = false;
	const char *s = in;

	host[0] = '\0';
	*port = 0;
	while (next_pair(&s, &kv, &bad)) {
		if (strcmp(kv.key, "host") == 0 || (strcmp(kv.key, "hostaddr") == 0 && !host[0]))
			dd_strlcpy(host, kv.val, hlen);
		else if (strcmp(kv.key, "port") == 0)
			*port = atoi(kv.val);
	}
	sodium_memzero(&kv, sizeof(kv));
}
