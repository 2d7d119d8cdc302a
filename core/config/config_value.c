/*
 * config_value.c: the parsers of the config value types (durations,
 * integers, booleans, lists, enums, names, paths, retention). Pure
 * functions: the loader applies ranges and key names. User text in their
 * messages is quoted with dd_text_quote, typos get dd_text_suggest (text.h).
 */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define DURATION_HINT "use e.g. 250ms, 5s, 10m, 1h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads decimal digits at *p into *v; false on no digit or overflow. */
static bool
read_digits(const char **p, int64_t *v, bool *overflow)
{
	const char *s = *p;
	int64_t n = 0;

	*overflow = false;
	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		int d = *s - '0';
		if (n > (INT64_MAX - d) / 10)
			*overflow = true;
		else
			n = n * 10 + d;
	}
	*p = s;
	*v = n;
	return true;
}

/* Milliseconds per unit, or 0 for an unknown unit. Units: ms s m h. */
static int64_t
unit_ms(const char *u, size_t len)
{
	if (len == 2 && memcmp(u, "ms", 2) == 0)
		return 1;
	if (len != 1)
		return 0;
	switch (u[0]) {
	case 's': return 1000;
	case 'm': return 60 * 1000;
	case 'h': return 60 * 60 * 1000;
	default: return 0;
	}
}

bool
dd_cfg_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	char q[80];
	const char *p = s;
	int64_t total = 0, last_unit = INT64_MAX;

	dd_text_quote(s, q, sizeof(q));
	if (*p == '-') {
		dd_seterr(
		    err, errlen, "'%s' is negative (a duration is e.g. 250ms, 5s, 10m, 1h)", q);
		return false;
	}
	if (!is_digit(*p))
		goto bad;
	if (p[strspn(p, "0")] == '\0') { /* a bare 0 needs no unit */
		*ms = 0;
		return true;
	}
	while (*p) {
		int64_t n;
		bool overflow;
		if (!read_digits(&p, &n, &overflow))
			goto bad;
		const char *u = p;
		while (*p >= 'a' && *p <= 'z')
			p++;
		if (p == u) {
			dd_seterr(err, errlen, "'%s' has no unit (" DURATION_HINT ")", q);
			return false;
		}
		int64_t mult = unit_ms(u, (size_t)(p - u));
		if (mult == 0 || mult >= last_unit)
			goto bad; /* unknown unit, or units not largest first (1h30m) */
		last_unit = mult;
		if (overflow || n > (INT64_MAX - total) / mult) {
			dd_seterr(err, errlen, "'%s' is too large", q);
			return false;
		}
		total += n * mult;
	}
	*ms = total;
	return true;
bad:
	dd_seterr(err, errlen, "'%s' is not a duration (" DURATION_HINT ")", q);
	return false;
}

bool
dd_config_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	return dd_cfg_parse_duration(s, ms, err, errlen);
}

bool
dd_cfg_parse_int(const char *s, int64_t *v, char *err, size_t errlen)
{
	char q[80];
	const char *p = s;
	bool neg = false, overflow;
	int64_t n;

	dd_text_quote(s, q, sizeof(q));
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!read_digits(&p, &n, &overflow) || *p != '\0') {
		dd_seterr(err, errlen, "'%s' is not an integer", q);
		return false;
	}
	if (overflow) {
		dd_seterr(err, errlen, "'%s' is too large", q);
		return false;
	}
	*v = neg ? -n : n;
	return true;
}

bool
dd_cfg_parse_bool(const char *s, bool *v, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char q[80];

	for (size_t i = 0; i < DD_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return true;
		}
	}
	dd_seterr(err, errlen, "'%s' is not a boolean (use true/false, yes/no, on/off, 1/0)",
	    dd_text_quote(s, q, sizeof(q)));
	return false;
}

bool
dd_cfg_check_name(const char *s, char *err, size_t errlen)
{
	char q[80];
	size_t len = strlen(s);
	bool good = len > 0 && len <= DD_CFG_MAX_NAME;

	for (const char *p = s; good && *p; p++)
		good = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || is_digit(*p) ||
		       *p == '.' || *p == '_' || *p == '-';
	if (!good)
		dd_seterr(err, errlen,
		    "'%s' is not a valid name (1 to %d letters, digits, '.', '_' or '-')",
		    dd_text_quote(s, q, sizeof(q)), DD_CFG_MAX_NAME);
	return good;
}

void
dd_cfg_list_clear(struct dd_str_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool
list_has(const struct dd_str_list *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], item) == 0)
			return true;
	return false;
}

/* Appends the trimmed item [b, e) of list text `s`. */
static bool
list_add(
    struct dd_str_list *l, const char *s, const char *b, const char *e, char *err, size_t errlen)
{
	char q[80];

	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (b == e) {
		dd_seterr(
		    err, errlen, "empty item in the list '%s'", dd_text_quote(s, q, sizeof(q)));
		return false;
	}
	char *item = xstrndup(b, (size_t)(e - b));
	if (!dd_cfg_check_name(item, err, errlen) || list_has(l, item)) {
		if (list_has(l, item))
			dd_seterr(err, errlen, "'%s' is listed twice", item);
		free(item);
		return false;
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = item;
	return true;
}

bool
dd_cfg_parse_list(const char *s, struct dd_str_list *out, char *err, size_t errlen)
{
	struct dd_str_list l = {0, NULL};
	const char *b = s;

	if (*s == '\0')
		goto done;
	for (;;) {
		const char *e = strchr(b, ',');
		if (!e)
			e = b + strlen(b);
		if (!list_add(&l, s, b, e, err, errlen)) {
			dd_cfg_list_clear(&l);
			return false;
		}
		if (*e == '\0')
			break;
		b = e + 1;
	}
done:
	*out = l;
	return true;
}

int
dd_cfg_parse_enum(const char *s, const char *const *choices, char *err, size_t errlen)
{
	char q[80], all[256] = "";
	size_t n = 0;

	for (; choices[n]; n++) {
		if (strcasecmp(s, choices[n]) == 0)
			return (int)n;
		if (n > 0)
			strncat(all, ", ", sizeof(all) - strlen(all) - 1);
		strncat(all, choices[n], sizeof(all) - strlen(all) - 1);
	}
	const char *near = dd_text_suggest(s, choices, n);
	dd_text_quote(s, q, sizeof(q));
	if (near)
		dd_seterr(err, errlen, "'%s' is not one of %s; did you mean '%s'?", q, all, near);
	else
		dd_seterr(err, errlen, "'%s' is not one of %s", q, all);
	return -1;
}

bool
dd_cfg_expand_path(const char *s, const char *base_dir, char **out, char *err, size_t errlen)
{
	char q[80];

	dd_text_quote(s, q, sizeof(q));
	if (s[0] == '~') {
		if (s[1] != '\0' && s[1] != '/') {
			dd_seterr(err, errlen, "'%s': only ~ and ~/ are expanded (to $HOME)", q);
			return false;
		}
		const char *home = getenv("HOME");
		if (!home || !*home) {
			dd_seterr(err, errlen, "'%s' needs $HOME, which is not set", q);
			return false;
		}
		*out = xasprintf("%s%s", home, s + 1);
		return true;
	}
	if (s[0] == '/' || !base_dir || !*base_dir)
		*out = xstrdup(s);
	else
		*out = xasprintf("%s/%s", base_dir, s);
	return true;
}

/* Parses one `kind:N` token into r; `seen` tracks kinds given. */
static bool
retention_token(const char *tok, struct dd_retention *r, unsigned *seen, char *err, size_t errlen)
{
	static const char *const kinds[] = {"daily", "weekly", "monthly"};
	int *slot[] = {&r->daily, &r->weekly, &r->monthly};
	const char *colon = strchr(tok, ':');
	int64_t n;

	for (size_t k = 0; colon && k < DD_ARRAY_LEN(kinds); k++) {
		if (strlen(kinds[k]) != (size_t)(colon - tok) ||
		    strncmp(tok, kinds[k], strlen(kinds[k])))
			continue;
		if (*seen & (1u << k)) {
			dd_seterr(err, errlen, "'%s' is given twice", kinds[k]);
			return false;
		}
		if (!dd_cfg_parse_int(colon + 1, &n, NULL, 0) || n < 0 || n > 10000) {
			dd_seterr(err, errlen, "'%s' needs a count from 0 to 10000", kinds[k]);
			return false;
		}
		*seen |= 1u << k;
		*slot[k] = (int)n;
		return true;
	}
	return false;
}

bool
dd_cfg_parse_retention(const char *s, struct dd_retention *r, char *err, size_t errlen)
{
	struct dd_retention tmp = {0, 0, 0};
	unsigned seen = 0;
	char q[80], tok[64], why[128] = "";
	const char *p = s;

	dd_text_quote(s, q, sizeof(q));
	while (*p) {
		size_t n = strcspn(p, " \t");
		if (n >= sizeof(tok))
			goto bad;
		if (n > 0) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			if (!retention_token(tok, &tmp, &seen, why, sizeof(why)))
				goto bad;
		}
		p += n;
		p += strspn(p, " \t");
	}
	if (seen == 0)
		goto bad;
	if (tmp.daily + tmp.weekly + tmp.monthly == 0) {
		dd_seterr(err, errlen, "'%s' keeps no backup at all", q);
		return false;
	}
	*r = tmp;
	return true;
bad:
	dd_seterr(err, errlen,
	    "'%s' is not a retention%s%s (use e.g. daily:30 weekly:12 monthly:12)", q,
	    *why ? ": " : "", why);
	return false;
}

void
dd_cfg_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % (3600 * 1000) == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / (3600 * 1000)));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}
