/*
 * vault_entries.c: the vault's credentials in memory and their plaintext
 * encoding (what is sealed inside the file).
 *
 * Each credential is one sodium_malloc block: the struct dd_credential, its
 * fields array and every string, so a pointer handed out by dd_vault_get stays
 * in guarded, locked memory and is wiped by sodium_free. The list of blocks is
 * kept sorted by name.
 *
 * Plaintext (little-endian), entries in strictly increasing name order:
 *   u32 count, then per entry:
 *   u8 name_len, name | u8 user_len, user | u16 pass_len, password |
 *   u8 nfields, then per field: u8 key_len, key | u16 value_len, value
 */
#include "vault/vault_format.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dbdeck/text.h"
#include "util/util.h"

struct entry_parts {
	struct vault_slice name, user, pass;
	size_t nfields;
	struct vault_slice keys[VAULT_FIELDS_MAX], vals[VAULT_FIELDS_MAX];
};

static struct vault_slice
slice_of(const char *s)
{
	return s ? (struct vault_slice){s, strlen(s)} : (struct vault_slice){"", 0};
}

static bool
slice_eq(struct vault_slice a, const char *b)
{
	return a.len == strlen(b) && memcmp(a.p, b, a.len) == 0;
}

static bool
has_nul(struct vault_slice s)
{
	return memchr(s.p, '\0', s.len) != NULL;
}

bool
vault_name_ok(struct vault_slice s)
{
	if (s.len < 1 || s.len > VAULT_NAME_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!okc)
			return false;
	}
	return true;
}

/* A user name reaches screens: well-formed UTF-8, no C0, DEL or C1 controls. */
static bool
user_ok(struct vault_slice s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	if (s.len < 1 || s.len > VAULT_USER_MAX)
		return false;
	for (size_t i = 0; i < s.len;) {
		uint32_t cp;
		i += dd_text_decode(p + i, s.len - i, &cp);
		if (cp == DD_TEXT_INVALID || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return false;
	}
	return true;
}

static int
fields_check(const struct entry_parts *e, char *err, size_t errlen)
{
	if (e->nfields > VAULT_FIELDS_MAX) {
		dd_seterr(err, errlen, "too many extra fields (at most %d)", VAULT_FIELDS_MAX);
		return DD_VAULT_ERR_INVALID;
	}
	for (size_t i = 0; i < e->nfields; i++) {
		struct vault_slice k = e->keys[i], v = e->vals[i];
		if (!vault_name_ok(k) || slice_eq(k, "name") || slice_eq(k, "user") ||
		    slice_eq(k, "password")) {
			dd_seterr(err, errlen,
			    "invalid field name: use 1-64 letters, digits, '.', '_' or '-', "
			    "other than name, user and password");
			return DD_VAULT_ERR_INVALID;
		}
		if (v.len > VAULT_SECRET_MAX || has_nul(v)) {
			dd_seterr(err, errlen, "invalid value of a field: at most %d bytes, no NUL",
			    VAULT_SECRET_MAX);
			return DD_VAULT_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (k.len == e->keys[j].len && memcmp(k.p, e->keys[j].p, k.len) == 0) {
				dd_seterr(err, errlen, "field %.*s given twice", (int)k.len, k.p);
				return DD_VAULT_ERR_INVALID;
			}
		}
	}
	return 0;
}

static int
parts_check(const struct entry_parts *e, char *err, size_t errlen)
{
	if (!vault_name_ok(e->name)) {
		dd_seterr(
		    err, errlen, "invalid entry name: use 1-64 letters, digits, '.', '_' or '-'");
		return DD_VAULT_ERR_INVALID;
	}
	if (!user_ok(e->user)) {
		dd_seterr(err, errlen,
		    "invalid user: 1-%d bytes of UTF-8 without control characters", VAULT_USER_MAX);
		return DD_VAULT_ERR_INVALID;
	}
	if (e->pass.len > VAULT_SECRET_MAX || has_nul(e->pass)) {
		dd_seterr(
		    err, errlen, "invalid password: at most %d bytes, no NUL", VAULT_SECRET_MAX);
		return DD_VAULT_ERR_INVALID;
	}
	return fields_check(e, err, errlen);
}

/* Copies a slice and its terminator to *at; returns the copy. */
static const char *
place(char **at, struct vault_slice s)
{
	char *dst = *at;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	*at += s.len + 1;
	return dst;
}

static size_t
block_size(const struct entry_parts *e)
{
	size_t n = sizeof(struct dd_credential) + e->nfields * sizeof(struct dd_vault_field);
	n += e->name.len + e->user.len + e->pass.len + 3;
	for (size_t i = 0; i < e->nfields; i++)
		n += e->keys[i].len + e->vals[i].len + 2;
	return (n + 15) & ~(size_t)15; /* sodium_malloc aligns only to the size */
}

static struct dd_credential *
block_build(const struct entry_parts *e)
{
	size_t size = block_size(e);
	struct dd_credential *c = vault_smalloc(size);
	struct dd_vault_field *f = (struct dd_vault_field *)(c + 1);
	char *at = (char *)(f + e->nfields);

	memset(c, 0, size);
	c->name = place(&at, e->name);
	c->user = place(&at, e->user);
	c->password = place(&at, e->pass);
	c->nfields = e->nfields;
	c->fields = e->nfields ? f : NULL;
	for (size_t i = 0; i < e->nfields; i++) {
		f[i].key = place(&at, e->keys[i]);
		f[i].value = place(&at, e->vals[i]);
	}
	return c;
}

struct dd_credential *
vault_entry_new(const struct dd_credential *c, char *err, size_t errlen)
{
	struct entry_parts *e = xcalloc(1, sizeof(*e));
	struct dd_credential *out = NULL;

	e->name = slice_of(c->name);
	e->user = slice_of(c->user);
	e->pass = slice_of(c->password ? c->password : "");
	e->nfields = c->nfields;
	if (e->nfields > VAULT_FIELDS_MAX) {
		dd_seterr(err, errlen, "too many extra fields (at most %d)", VAULT_FIELDS_MAX);
		goto out;
	}
	for (size_t i = 0; i < e->nfields; i++) {
		e->keys[i] = slice_of(c->fields[i].key);
		e->vals[i] = slice_of(c->fields[i].value ? c->fields[i].value : "");
	}
	if (parts_check(e, err, errlen) != 0)
		goto out;
	out = block_build(e);
out:
	free(e); /* holds only pointers to the caller's strings */
	return out;
}

void
vault_entry_free(struct dd_credential *c)
{
	sodium_free(c);
}

void
vault_entries_init(struct vault_entries *e)
{
	memset(e, 0, sizeof(*e));
}

void
vault_entries_free(struct vault_entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		vault_entry_free(e->v[i]);
	free(e->v);
	vault_entries_init(e);
}

/* Index of `name` if present, else where it would go (as -1 - index). */
static long
entries_search(const struct vault_entries *e, const char *name)
{
	size_t lo = 0, hi = e->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e->v[mid]->name, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1 - (long)lo;
}

long
vault_entries_find(const struct vault_entries *e, const char *name)
{
	long i = entries_search(e, name);
	return i >= 0 ? i : -1;
}

void
vault_entries_put(struct vault_entries *e, struct dd_credential *c)
{
	long i = entries_search(e, c->name);
	if (i >= 0) {
		vault_entry_free(e->v[i]);
		e->v[i] = c;
		return;
	}
	size_t at = (size_t)(-1 - i);
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	memmove(e->v + at + 1, e->v + at, (e->n - at) * sizeof(*e->v));
	e->v[at] = c;
	e->n++;
}

bool
vault_entries_remove(struct vault_entries *e, const char *name)
{
	long i = vault_entries_find(e, name);
	if (i < 0)
		return false;
	vault_entry_free(e->v[i]);
	memmove(e->v + i, e->v + i + 1, (e->n - (size_t)i - 1) * sizeof(*e->v));
	e->n--;
	return true;
}

/* A bounds-checked reader over the plaintext; `bad` sticks once set. */
struct reader {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static size_t
rd_uint(struct reader *r, size_t width)
{
	size_t v = 0;
	if (r->bad || r->len - r->off < width) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < width; i++)
		v |= (size_t)r->p[r->off + i] << (8 * i);
	r->off += width;
	return v;
}

static struct vault_slice
rd_bytes(struct reader *r, size_t width)
{
	size_t n = rd_uint(r, width);
	struct vault_slice s = {"", 0};
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return s;
	}
	s.p = (const char *)r->p + r->off;
	s.len = n;
	r->off += n;
	return s;
}

/* Reads one entry's parts; false when the bytes run out. */
static bool
rd_entry(struct reader *r, struct entry_parts *e)
{
	e->name = rd_bytes(r, 1);
	e->user = rd_bytes(r, 1);
	e->pass = rd_bytes(r, 2);
	e->nfields = rd_uint(r, 1);
	if (e->nfields > VAULT_FIELDS_MAX)
		return false;
	for (size_t i = 0; i < e->nfields; i++) {
		e->keys[i] = rd_bytes(r, 1);
		e->vals[i] = rd_bytes(r, 2);
	}
	return !r->bad;
}

static int
parse_one(struct reader *r, struct entry_parts *e, struct vault_entries *out, size_t i, char *err,
    size_t errlen)
{
	char why[160];
	if (!rd_entry(r, e)) {
		dd_seterr(err, errlen, "damaged entries: entry %zu is cut short", i + 1);
		return DD_VAULT_ERR_DAMAGED_ENTRIES;
	}
	if (parts_check(e, why, sizeof(why)) != 0) {
		dd_seterr(err, errlen, "damaged entries: entry %zu: %s", i + 1, why);
		return DD_VAULT_ERR_DAMAGED_ENTRIES;
	}
	struct dd_credential *c = block_build(e);
	if (out->n > 0 && strcmp(out->v[out->n - 1]->name, c->name) >= 0) {
		vault_entry_free(c);
		dd_seterr(err, errlen, "damaged entries: entry %zu is out of order", i + 1);
		return DD_VAULT_ERR_DAMAGED_ENTRIES;
	}
	vault_entries_put(out, c); /* appends: the name sorts last */
	return 0;
}

int
vault_entries_parse(
    const uint8_t *p, size_t len, struct vault_entries *out, char *err, size_t errlen)
{
	struct reader r = {p, len, 0, false};
	struct entry_parts *e = xcalloc(1, sizeof(*e));
	size_t count = rd_uint(&r, 4);
	int rc = DD_VAULT_ERR_DAMAGED_ENTRIES;

	if (r.bad || count > VAULT_ENTRIES_MAX) {
		dd_seterr(err, errlen, "damaged entries: bad entry count");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		rc = parse_one(&r, e, out, i, err, errlen);
		if (rc != 0)
			goto out;
	}
	rc = DD_VAULT_ERR_DAMAGED_ENTRIES;
	if (r.off != r.len) {
		dd_seterr(err, errlen, "damaged entries: %zu stray bytes after the last entry",
		    r.len - r.off);
		goto out;
	}
	rc = 0;
out:
	free(e); /* pointers into p only */
	if (rc != 0)
		vault_entries_free(out);
	return rc;
}

static void
wr_uint(uint8_t **at, size_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		(*at)[i] = (uint8_t)(v >> (8 * i));
	*at += width;
}

static void
wr_str(uint8_t **at, const char *s, size_t width)
{
	size_t n = strlen(s);
	wr_uint(at, n, width);
	memcpy(*at, s, n);
	*at += n;
}

static size_t
serialized_size(const struct vault_entries *e)
{
	size_t n = 4;
	for (size_t i = 0; i < e->n; i++) {
		const struct dd_credential *c = e->v[i];
		n += 1 + strlen(c->name) + 1 + strlen(c->user) + 2 + strlen(c->password) + 1;
		for (size_t j = 0; j < c->nfields; j++)
			n += 1 + strlen(c->fields[j].key) + 2 + strlen(c->fields[j].value);
	}
	return n;
}

size_t
vault_entries_size(const struct vault_entries *e)
{
	return serialized_size(e);
}

uint8_t *
vault_entries_serialize(const struct vault_entries *e, size_t *outlen)
{
	size_t n = serialized_size(e);
	uint8_t *buf = vault_smalloc(n), *at = buf;

	wr_uint(&at, e->n, 4);
	for (size_t i = 0; i < e->n; i++) {
		const struct dd_credential *c = e->v[i];
		wr_str(&at, c->name, 1);
		wr_str(&at, c->user, 1);
		wr_str(&at, c->password, 2);
		wr_uint(&at, c->nfields, 1);
		for (size_t j = 0; j < c->nfields; j++) {
			wr_str(&at, c->fields[j].key, 1);
			wr_str(&at, c->fields[j].value, 2);
		}
	}
	*outlen = n;
	return buf;
}
