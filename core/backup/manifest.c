/*
 * manifest.c: manifest.json, written with jansson (docs/backups.md lists
 * every field). The file protects itself: its last member is
 * "manifest_sha256", the SHA-256 (hex) of every byte of the file before that
 * member's opening quote, and the file must end with exactly
 *     "manifest_sha256": "<64 hex>"\n}\n
 * so a byte changed anywhere in it, a truncation or trailing bytes are all
 * caught before any field is believed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define MANIFEST_MAX (64 * 1024 * 1024)
#define CHECK_KEY    "\"manifest_sha256\": \""
#define HEX_LEN      64

static json_t *
hexval(const unsigned char *b, size_t n)
{
	char hex[2 * 64 + 1];

	sodium_bin2hex(hex, sizeof(hex), b, n);
	return json_string(hex);
}

static json_t *
timeval(int64_t ms)
{
	char buf[40];

	dd_iso_time_ms(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
encryption_json(const struct bk_manifest *m)
{
	const struct bk_keywrap *w = &m->wrap;

	if (!m->encrypted)
		return json_null();
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:o, s:o}", "cipher",
	    "xchacha20poly1305-secretstream", "chunk_bytes", (json_int_t)BK_CHUNK, "key_name",
	    w->key_name, "key_fingerprint", w->fingerprint, "kdf", "argon2id13", "kdf_opslimit",
	    (json_int_t)w->opslimit, "kdf_memlimit", (json_int_t)w->memlimit, "kdf_salt",
	    hexval(w->salt, sizeof(w->salt)), "wrap", "xchacha20poly1305-ietf", "wrap_nonce",
	    hexval(w->nonce, sizeof(w->nonce)), "wrapped_key",
	    hexval(w->wrapped, sizeof(w->wrapped)));
}

static json_t *
tables_json(const struct bk_manifest *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->n_tables; i++) {
		const struct bk_table *t = &m->tables[i];
		json_array_append_new(
		    a, json_pack("{s:o, s:s, s:I}", "schema",
		           t->schema ? json_string(t->schema) : json_null(), "table", t->table,
		           "rows_estimate", (json_int_t)t->rows));
	}
	return a;
}

static json_t *
manifest_json(const struct bk_manifest *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "format", json_string(BK_FORMAT));
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "cluster", json_string(m->cluster));
	json_object_set_new(o, "engine", json_string(m->engine));
	json_object_set_new(o, "database", json_string(m->database));
	json_object_set_new(o, "node", json_string(m->node));
	json_object_set_new(o, "node_role", json_string(m->node_role));
	json_object_set_new(o, "node_reason", json_string(m->node_reason));
	json_object_set_new(o, "server_version", json_string(m->server_version));
	json_object_set_new(o, "tool", json_string(m->tool));
	json_object_set_new(o, "tool_version", json_string(m->tool_version));
	json_object_set_new(o, "dump_format", json_string(m->dump_format));
	json_object_set_new(o, "started_at", timeval(m->started_wall_ms));
	json_object_set_new(o, "ended_at", timeval(m->ended_wall_ms));
	json_object_set_new(
	    o, "position", json_pack("{s:s, s:s}", "kind", m->position_kind, "value", m->position));
	json_object_set_new(o, "database_bytes", json_integer(m->database_bytes));
	json_object_set_new(o, "database_options",
	    json_pack("{s:s, s:s, s:s}", "encoding", m->dbopts.encoding, "collate",
	        m->dbopts.collate, "ctype", m->dbopts.ctype));
	json_object_set_new(o, "file", json_string(m->file));
	json_object_set_new(o, "bytes_raw", json_integer((json_int_t)m->bytes_raw));
	json_object_set_new(o, "bytes_stored", json_integer((json_int_t)m->bytes_stored));
	json_object_set_new(o, "sha256", json_string(m->sha256));
	json_object_set_new(o, "compression", json_string(m->compression));
	json_object_set_new(o, "encryption", encryption_json(m));
	json_object_set_new(o, "tables", tables_json(m));
	return o;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The text of the file: the members, then the checksum member over them. */
static char *
manifest_text(const struct bk_manifest *m, size_t *len)
{
	json_t *o = manifest_json(m);
	char *body = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[HEX_LEN + 1];

	json_decref(o);
	if (!body)
		abort();
	size_t n = strlen(body);
	body[n - 2] = '\0'; /* drop the closing "\n}" */
	char *prefix = xasprintf("%s,\n  ", body);
	free(body);
	crypto_hash_sha256(digest, (const unsigned char *)prefix, strlen(prefix));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	char *text = xasprintf("%s" CHECK_KEY "%s\"\n}\n", prefix, hex);
	free(prefix);
	*len = strlen(text);
	return text;
}

int
bk_manifest_write(const char *dir, const struct bk_manifest *m, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t len;
	int fd, rc = 0;

	bk_join(path, sizeof(path), dir, BK_MANIFEST);
	char *text = manifest_text(m, &len);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		dd_seterr(err, errlen, "cannot write %s: %s%s", path, strerror(errno),
		    errno == ENOSPC ? " (the disk is full)" : "");
		rc = -1;
	}
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		dd_seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

/* ---- reading ----------------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0) {
		dd_seterr(err, errlen, "%s: %s", path,
		    errno == ENOENT ? "missing (no manifest)" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || st.st_size > MANIFEST_MAX) {
		dd_seterr(err, errlen, "%s: unreadable or too large", path);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (ssize_t k; got < (size_t)st.st_size; got += (size_t)k)
		if ((k = read(fd, buf + got, (size_t)st.st_size - got)) <= 0)
			break;
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return buf;
}

/* The checksum member at the very end, and the hash of what precedes it. */
static int
check_self(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	const char *tail = "\"\n}\n";
	size_t klen = strlen(CHECK_KEY), tlen = strlen(tail);
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[HEX_LEN + 1];

	if (len < klen + HEX_LEN + tlen || memchr(text, '\0', len) ||
	    strcmp(text + len - tlen, tail) != 0 ||
	    memcmp(text + len - tlen - HEX_LEN - klen, CHECK_KEY, klen) != 0) {
		dd_seterr(
		    err, errlen, "%s: damaged (it does not end with its manifest_sha256)", path);
		return -1;
	}
	size_t plen = len - tlen - HEX_LEN - klen;
	crypto_hash_sha256(digest, (const unsigned char *)text, plen);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	if (memcmp(hex, text + plen + klen, HEX_LEN) != 0) {
		dd_seterr(
		    err, errlen, "%s: damaged (its checksum does not match its content)", path);
		return -1;
	}
	return 0;
}

struct jget {
	json_t *o;
	const char *path;
	char *err;
	size_t errlen;
	int bad;
};

static void
jstr(struct jget *g, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(g->o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= len) {
		if (!g->bad++)
			dd_seterr(
			    g->err, g->errlen, "%s: field '%s' is missing or bad", g->path, key);
		out[0] = '\0';
		return;
	}
	dd_strlcpy(out, json_string_value(v), len);
}

static int64_t
jint(struct jget *g, const char *key)
{
	json_t *v = json_object_get(g->o, key);

	if (!json_is_integer(v)) {
		if (!g->bad++)
			dd_seterr(
			    g->err, g->errlen, "%s: field '%s' is missing or bad", g->path, key);
		return 0;
	}
	return json_integer_value(v);
}

static void
jhex(struct jget *g, const char *key, unsigned char *out, size_t n)
{
	char hex[2 * 64 + 1];
	size_t got = 0;

	jstr(g, key, hex, sizeof(hex));
	if (sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL) != 0 || got != n) {
		if (!g->bad++)
			dd_seterr(g->err, g->errlen, "%s: field '%s' is not %zu bytes of hex",
			    g->path, key, n);
	}
}

static int64_t
jtime(struct jget *g, const char *key)
{
	char buf[40];

	jstr(g, key, buf, sizeof(buf));
	int64_t t = bk_parse_iso_time(buf);
	if (t < 0 && !g->bad++)
		dd_seterr(g->err, g->errlen, "%s: field '%s' is not a time", g->path, key);
	return t;
}

static void
read_encryption(struct jget *g, struct bk_manifest *m)
{
	json_t *e = json_object_get(g->o, "encryption");
	struct jget sub = *g;
	char cipher[64];

	m->encrypted = json_is_object(e);
	if (!m->encrypted)
		return;
	sub.o = e;
	jstr(&sub, "cipher", cipher, sizeof(cipher));
	jstr(&sub, "key_name", m->wrap.key_name, sizeof(m->wrap.key_name));
	jstr(&sub, "key_fingerprint", m->wrap.fingerprint, sizeof(m->wrap.fingerprint));
	m->wrap.opslimit = (uint64_t)jint(&sub, "kdf_opslimit");
	m->wrap.memlimit = (uint64_t)jint(&sub, "kdf_memlimit");
	jhex(&sub, "kdf_salt", m->wrap.salt, sizeof(m->wrap.salt));
	jhex(&sub, "wrap_nonce", m->wrap.nonce, sizeof(m->wrap.nonce));
	jhex(&sub, "wrapped_key", m->wrap.wrapped, sizeof(m->wrap.wrapped));
	if (!sub.bad && (strcmp(cipher, "xchacha20poly1305-secretstream") != 0 ||
	                    jint(&sub, "chunk_bytes") != BK_CHUNK)) {
		sub.bad++;
		dd_seterr(
		    g->err, g->errlen, "%s: an encryption this dbdeck does not know", g->path);
	}
	g->bad += sub.bad;
}

static void
read_tables(struct jget *g, struct bk_manifest *m)
{
	json_t *a = json_object_get(g->o, "tables");
	size_t i;
	json_t *t;

	if (!json_is_array(a)) {
		if (!g->bad++)
			dd_seterr(g->err, g->errlen, "%s: field 'tables' is missing", g->path);
		return;
	}
	m->tables = xcalloc(json_array_size(a) + 1, sizeof(*m->tables));
	json_array_foreach(a, i, t)
	{
		json_t *s = json_object_get(t, "schema"), *n = json_object_get(t, "table");
		json_t *r = json_object_get(t, "rows_estimate");
		if (!json_is_string(n) || !json_is_integer(r) ||
		    !(json_is_string(s) || json_is_null(s))) {
			if (!g->bad++)
				dd_seterr(
				    g->err, g->errlen, "%s: table %zu is malformed", g->path, i);
			return;
		}
		struct bk_table *bt = &m->tables[m->n_tables++];
		bt->schema = json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
		bt->table = xstrdup(json_string_value(n));
		bt->name =
		    bt->schema ? xasprintf("%s.%s", bt->schema, bt->table) : xstrdup(bt->table);
		bt->rows = json_integer_value(r);
	}
}

static void
read_fields(struct jget *g, struct bk_manifest *m)
{
	char fmt[32];
	json_t *pos = json_object_get(g->o, "position"),
	       *opts = json_object_get(g->o, "database_options");
	struct jget sub = *g;

	jstr(g, "format", fmt, sizeof(fmt));
	if (!g->bad && strcmp(fmt, BK_FORMAT) != 0 && !g->bad++)
		dd_seterr(g->err, g->errlen, "%s: unknown format '%s'", g->path, fmt);
	jstr(g, "id", m->id, sizeof(m->id));
	jstr(g, "name", m->name, sizeof(m->name));
	jstr(g, "cluster", m->cluster, sizeof(m->cluster));
	jstr(g, "engine", m->engine, sizeof(m->engine));
	jstr(g, "database", m->database, sizeof(m->database));
	jstr(g, "node", m->node, sizeof(m->node));
	jstr(g, "node_role", m->node_role, sizeof(m->node_role));
	jstr(g, "node_reason", m->node_reason, sizeof(m->node_reason));
	jstr(g, "server_version", m->server_version, sizeof(m->server_version));
	jstr(g, "tool", m->tool, sizeof(m->tool));
	jstr(g, "tool_version", m->tool_version, sizeof(m->tool_version));
	jstr(g, "dump_format", m->dump_format, sizeof(m->dump_format));
	m->started_wall_ms = jtime(g, "started_at");
	m->ended_wall_ms = jtime(g, "ended_at");
	sub.o = pos;
	jstr(&sub, "kind", m->position_kind, sizeof(m->position_kind));
	jstr(&sub, "value", m->position, sizeof(m->position));
	sub.o = opts;
	jstr(&sub, "encoding", m->dbopts.encoding, sizeof(m->dbopts.encoding));
	jstr(&sub, "collate", m->dbopts.collate, sizeof(m->dbopts.collate));
	jstr(&sub, "ctype", m->dbopts.ctype, sizeof(m->dbopts.ctype));
	g->bad += sub.bad;
	m->database_bytes = jint(g, "database_bytes");
	jstr(g, "file", m->file, sizeof(m->file));
	m->bytes_raw = (uint64_t)jint(g, "bytes_raw");
	m->bytes_stored = (uint64_t)jint(g, "bytes_stored");
	jstr(g, "sha256", m->sha256, sizeof(m->sha256));
	jstr(g, "compression", m->compression, sizeof(m->compression));
	read_encryption(g, m);
	read_tables(g, m);
}

int
bk_manifest_read(const char *dir, struct bk_manifest *m, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	size_t len = 0;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	bk_join(path, sizeof(path), dir, BK_MANIFEST);
	char *text = slurp(path, &len, err, errlen);
	if (!text)
		return -1;
	if (check_self(path, text, len, err, errlen) != 0)
		goto out;
	json_t *o = json_loadb(text, len, 0, &je);
	if (!json_is_object(o)) {
		dd_seterr(err, errlen, "%s: not JSON (line %d: %s)", path, je.line, je.text);
		json_decref(o);
		goto out;
	}
	struct jget g = {.o = o, .path = path, .err = err, .errlen = errlen};
	read_fields(&g, m);
	json_decref(o);
	rc = g.bad ? -1 : 0;
	if (!rc && strchr(m->file, '/'))
		rc = -1, dd_seterr(err, errlen, "%s: field 'file' is not a plain name", path);
out:
	free(text);
	if (rc != 0)
		bk_manifest_clear(m);
	return rc;
}

void
bk_manifest_clear(struct bk_manifest *m)
{
	bk_tables_free(m->tables, m->n_tables);
	sodium_memzero(&m->wrap, sizeof(m->wrap));
	memset(m, 0, sizeof(*m));
}
