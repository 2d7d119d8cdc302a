/*
 * replpos.c: replication positions as numbers the router can compare:
 * PostgreSQL LSNs ("16/B374D848" → uint64) and MariaDB GTID lists
 * ("0-1-42,1-2-7" → one seq per domain), and the read-your-writes test
 * dd_repl_pos_reached(). Pure functions, unit-tested.
 */
#include "driver/driver_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Parses an unsigned decimal at *s (digits only), advancing *s. */
static bool
parse_u64(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return true;
}

static const char *
skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Adds g to set, keeping the highest seq per domain. */
static bool
gtid_set_put(struct dd_gtid_set *set, const struct dd_gtid *g)
{
	for (int i = 0; i < set->n; i++) {
		if (set->gtid[i].domain != g->domain)
			continue;
		if (g->seq > set->gtid[i].seq)
			set->gtid[i] = *g;
		return true;
	}
	if (set->n >= DD_GTID_MAX_DOMAINS)
		return false;
	set->gtid[set->n++] = *g;
	return true;
}

/* One "d-s-n" at *s. */
static bool
parse_one_gtid(const char **s, struct dd_gtid *g)
{
	uint64_t d, srv, seq;

	if (!parse_u64(s, UINT32_MAX, &d) || **s != '-')
		return false;
	(*s)++;
	if (!parse_u64(s, UINT32_MAX, &srv) || **s != '-')
		return false;
	(*s)++;
	if (!parse_u64(s, UINT64_MAX, &seq))
		return false;
	g->domain = (uint32_t)d;
	g->server_id = (uint32_t)srv;
	g->seq = seq;
	return true;
}

int
dd_gtid_parse(const char *s, struct dd_gtid_set *out, char *err, size_t errlen)
{
	const char *p = skip_ws(s ? s : "");
	struct dd_gtid g;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *start = p;
		if (!parse_one_gtid(&p, &g)) {
			dd_seterr(err, errlen, "bad GTID at offset %zu", (size_t)(start - s));
			return -1;
		}
		if (!gtid_set_put(out, &g)) {
			dd_seterr(err, errlen, "more than %d GTID domains", DD_GTID_MAX_DOMAINS);
			return -1;
		}
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p) {
			dd_seterr(
			    err, errlen, "bad GTID list separator at offset %zu", (size_t)(p - s));
			return -1;
		}
	}
	return 0;
}

uint64_t
dd_gtid_set_seq(const struct dd_gtid_set *set, uint32_t domain)
{
	for (int i = 0; i < set->n; i++)
		if (set->gtid[i].domain == domain)
			return set->gtid[i].seq;
	return 0;
}

static bool
gtid_set_has_domain(const struct dd_gtid_set *set, uint32_t domain)
{
	for (int i = 0; i < set->n; i++)
		if (set->gtid[i].domain == domain)
			return true;
	return false;
}

bool
dd_gtid_set_covers(const struct dd_gtid_set *have, const struct dd_gtid_set *want)
{
	for (int i = 0; i < want->n; i++) {
		const struct dd_gtid *w = &want->gtid[i];
		if (!gtid_set_has_domain(have, w->domain))
			return false;
		if (dd_gtid_set_seq(have, w->domain) < w->seq)
			return false;
	}
	return true;
}

void
dd_gtid_set_format(const struct dd_gtid_set *set, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < set->n && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64,
		    i ? "," : "", set->gtid[i].domain, set->gtid[i].server_id, set->gtid[i].seq);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Up to 8 hex digits at *s. */
static bool
parse_hex32(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;
	int n = 0;

	for (; isxdigit((unsigned char)*p); p++, n++) {
		if (n == 8)
			return false;
		v = (v << 4) |
		    (uint32_t)(isdigit((unsigned char)*p) ? *p - '0'
		                                          : tolower((unsigned char)*p) - 'a' + 10);
	}
	if (n == 0)
		return false;
	*s = p;
	*out = v;
	return true;
}

int
dd_lsn_parse(const char *s, uint64_t *out)
{
	uint32_t hi, lo;

	if (!s || !parse_hex32(&s, &hi) || *s != '/')
		return -1;
	s++;
	if (!parse_hex32(&s, &lo) || *s != '\0')
		return -1;
	*out = ((uint64_t)hi << 32) | lo;
	return 0;
}

void
dd_lsn_format(uint64_t lsn, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

bool
dd_repl_pos_reached(const struct dd_repl_pos *have, const struct dd_repl_pos *want)
{
	if (want->kind == DD_POS_NONE)
		return true;
	if (have->kind != want->kind)
		return false;
	if (want->kind == DD_POS_LSN)
		return have->lsn >= want->lsn;
	return dd_gtid_set_covers(&have->gtids, &want->gtids);
}
