/*
 * stream_test.c: the backup module's pieces that need no server. The dump
 * writer and reader (plain, zstd, encrypted, both) give back exactly what
 * went in and the SHA-256 of the stored bytes; a truncated or altered file
 * is refused by the reader; the data key unwraps only with the right
 * secret, naming a wrong one; the manifest survives a round trip and a byte
 * changed anywhere in it is caught; the password files escape what they
 * must; database names; and the choice of the source node from a
 * hand-made snapshot.
 */
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "tap.h"
#include "util/util.h"

static char dir[] = "/tmp/dd-backup-unit-XXXXXX";

static unsigned char *
sample(size_t n)
{
	unsigned char *b = xmalloc(n);

	/* half text (compressible), half random */
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i % 2 ? "backup "[i % 7]
		                             : (unsigned char)randombytes_uniform(256));
	return b;
}

static void
write_file(const char *path, const unsigned char *data, size_t n, bool zstd,
    const unsigned char *key, char sha[65], uint64_t *stored)
{
	char err[256];
	uint64_t raw;
	struct bk_writer *w = bk_writer_open(path, zstd, key, err, sizeof(err));

	if (!w)
		bail_out("writer: %s", err);
	for (size_t off = 0; off < n; off += 100000)
		if (bk_writer_write(
		        w, data + off, n - off < 100000 ? n - off : 100000, err, sizeof(err)) != 0)
			bail_out("write: %s", err);
	if (bk_writer_finish(w, sha, &raw, stored, err, sizeof(err)) != 0)
		bail_out("finish: %s", err);
}

/* Reads path back; returns 0 with the data compared, or -1 with err. */
static int
read_file(const char *path, bool zstd, const unsigned char *key, const unsigned char *want,
    size_t n, char sha[65], char *err, size_t errlen)
{
	struct bk_reader *r = bk_reader_open(path, zstd, key, err, errlen);
	unsigned char *buf = xmalloc(65536);
	size_t got = 0, k;
	int rc = -1;

	if (!r)
		goto out;
	do {
		if (bk_reader_read(r, buf, 65536, &k, err, errlen) != 0)
			goto out;
		if (got + k > n || memcmp(buf, want + got, k) != 0) {
			snprintf(err, errlen, "different bytes at %zu", got);
			goto out;
		}
		got += k;
	} while (k > 0);
	rc = got == n ? 0 : -1;
	if (rc)
		snprintf(err, errlen, "%zu bytes of %zu", got, n);
out:
	bk_reader_close(r, sha);
	free(buf);
	return rc;
}

static void
test_stream_modes(void)
{
	size_t n = 3 * BK_CHUNK + 12345;
	unsigned char *data = sample(n), key[BK_KEY_BYTES];
	char path[256], sha_w[65], sha_r[65], sha_h[65], err[256];
	uint64_t stored, size;

	crypto_secretstream_xchacha20poly1305_keygen(key);
	for (int mode = 0; mode < 4; mode++) {
		bool zstd = mode & 1;
		const unsigned char *k = mode & 2 ? key : NULL;
		snprintf(path, sizeof(path), "%s/dump.%d", dir, mode);
		write_file(path, data, n, zstd, k, sha_w, &stored);
		int rc = read_file(path, zstd, k, data, n, sha_r, err, sizeof(err));
		ok(rc == 0, "mode %s%s: read back byte for byte%s%s", zstd ? "zstd" : "plain",
		    k ? "+encrypted" : "", rc ? ": " : "", rc ? err : "");
		bk_hash_file(path, NULL, sha_h, &size, err, sizeof(err));
		ok(strcmp(sha_w, sha_r) == 0 && strcmp(sha_w, sha_h) == 0 && size == stored,
		    "mode %d: the writer's SHA-256 is the stored file's", mode);
	}
	struct stat st;
	stat(path, &st);
	ok((st.st_mode & 0777) == 0600, "the dump file is 0600");
	for (int mode = 0; mode < 4; mode++) {
		snprintf(path, sizeof(path), "%s/dump.%d", dir, mode);
		unlink(path);
	}
	free(data);
}

static void
test_stream_damage(void)
{
	size_t n = 2 * BK_CHUNK + 777;
	unsigned char *data = sample(n), key[BK_KEY_BYTES], other[BK_KEY_BYTES];
	char path[256], sha[65], err[256];
	uint64_t stored;

	crypto_secretstream_xchacha20poly1305_keygen(key);
	crypto_secretstream_xchacha20poly1305_keygen(other);
	snprintf(path, sizeof(path), "%s/damaged", dir);
	for (int mode = 1; mode < 4; mode++) {
		bool zstd = mode & 1;
		const unsigned char *k = mode & 2 ? key : NULL;
		int cuts = 0, caught = 0;
		write_file(path, data, n, zstd, k, sha, &stored);
		for (uint64_t cut = 1; cut < stored; cut += stored / 9 + 1, cuts++) {
			unlink(path);
			write_file(path, data, n, zstd, k, sha, &stored);
			if (truncate(path, (off_t)(stored - cut)) != 0)
				bail_out("truncate");
			caught += read_file(path, zstd, k, data, n, sha, err, sizeof(err)) != 0;
		}
		is_int(caught, cuts,
		    mode == 1   ? "zstd: every truncation is refused"
		    : mode == 2 ? "encrypted: every truncation is refused"
		                : "zstd+encrypted: every truncation is refused");
		unlink(path);
	}
	write_file(path, data, n, false, key, sha, &stored);
	ok(read_file(path, false, other, data, n, sha, err, sizeof(err)) != 0,
	    "another data key does not decrypt");
	unlink(path);
	free(data);
}

static void
test_keys(void)
{
	struct bk_keywrap w;
	char err[256];
	unsigned char *dk = bk_key_new("s3cret", 6, "k", "0a1b2c3d", &w, err, sizeof(err));
	unsigned char *again = bk_key_unwrap("s3cret", 6, &w, "0a1b2c3d", err, sizeof(err));

	ok(dk && again && memcmp(dk, again, BK_KEY_BYTES) == 0, "the right secret unwraps the key");
	ok(strlen(w.fingerprint) == 32 && !strstr(w.fingerprint, "s3cret"),
	    "a 128-bit fingerprint");
	sodium_free(again);
	again = bk_key_unwrap("wrong!", 6, &w, "0a1b2c3d", err, sizeof(err));
	ok(!again && strstr(err, "wrong backup key"), "a wrong secret is named: %s", err);
	again = bk_key_unwrap("s3cret", 6, &w, "ffffffff", err, sizeof(err));
	ok(!again && strstr(err, "damaged"), "the key is bound to the backup's id");
	w.wrapped[3] ^= 1;
	again = bk_key_unwrap("s3cret", 6, &w, "0a1b2c3d", err, sizeof(err));
	ok(!again, "a damaged wrapped key is refused");
	struct bk_keywrap w2;
	unsigned char *dk2 = bk_key_new("s3cret", 6, "k", "99999999", &w2, err, sizeof(err));
	ok(dk2 && memcmp(dk, dk2, BK_KEY_BYTES) != 0 && strcmp(w.fingerprint, w2.fingerprint) == 0,
	    "each backup its own data key; the same key, the same fingerprint");
	sodium_free(dk);
	sodium_free(dk2);
}

static void
fill_manifest(struct bk_manifest *m)
{
	char err[256];

	memset(m, 0, sizeof(*m));
	strcpy(m->id, "0a1b2c3d");
	strcpy(m->name, "20250101T020000Z-0a1b2c3d");
	strcpy(m->cluster, "orders");
	strcpy(m->node, "pg-b");
	strcpy(m->node_role, "replica");
	strcpy(m->node_reason, "replica pg-b is up \"quoted\" \\ ünïcode");
	strcpy(m->engine, "postgresql");
	strcpy(m->database, "app");
	strcpy(m->server_version, "15.18");
	strcpy(m->tool, "pg_dump");
	strcpy(m->tool_version, "pg_dump (PostgreSQL) 15.18");
	strcpy(m->dump_format, "pg_dump custom");
	m->started_wall_ms = INT64_C(1735696800123);
	m->ended_wall_ms = m->started_wall_ms + 4567;
	strcpy(m->position_kind, "lsn");
	strcpy(m->position, "0/3000060");
	m->database_bytes = 123456789;
	strcpy(m->dbopts.encoding, "UTF8");
	strcpy(m->file, "dump.pgdump.enc");
	m->bytes_raw = 1000;
	m->bytes_stored = 1100;
	memset(m->sha256, 'a', 64);
	strcpy(m->compression, "none");
	m->encrypted = true;
	sodium_free(bk_key_new("pw", 2, "orders-backup", m->id, &m->wrap, err, sizeof(err)));
	m->n_tables = 2;
	m->tables = xcalloc(3, sizeof(*m->tables));
	m->tables[0] = (struct bk_table){xstrdup("public.a"), xstrdup("public"), xstrdup("a"), 42};
	m->tables[1] = (struct bk_table){xstrdup("s.b"), xstrdup("s"), xstrdup("b"), -1};
}

static void
test_manifest(void)
{
	struct bk_manifest m, back;
	char mdir[256], path[300], err[512];

	snprintf(mdir, sizeof(mdir), "%s/m", dir);
	mkdir(mdir, 0700);
	fill_manifest(&m);
	if (bk_manifest_write(mdir, &m, err, sizeof(err)) != 0)
		bail_out("manifest: %s", err);
	int rc = bk_manifest_read(mdir, &back, err, sizeof(err));
	ok(rc == 0, "the manifest reads back%s%s", rc ? ": " : "", rc ? err : "");
	ok(rc == 0 && strcmp(back.node_reason, m.node_reason) == 0 &&
	        back.started_wall_ms == m.started_wall_ms && back.n_tables == 2 &&
	        back.tables[0].rows == 42 && back.tables[1].rows == -1 && back.encrypted &&
	        memcmp(&back.wrap, &m.wrap, sizeof(m.wrap)) == 0,
	    "every field survives");
	bk_manifest_clear(&back);

	snprintf(path, sizeof(path), "%s/%s", mdir, BK_MANIFEST);
	FILE *f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f), missed = 0;
	for (long off = 0; off < size; off++) {
		fseek(f, off, SEEK_SET);
		int c = fgetc(f);
		fseek(f, off, SEEK_SET);
		fputc(c ^ 1, f);
		fflush(f);
		if (bk_manifest_read(mdir, &back, err, sizeof(err)) == 0) {
			missed++;
			bk_manifest_clear(&back);
		}
		fseek(f, off, SEEK_SET);
		fputc(c, f);
		fflush(f);
	}
	fclose(f);
	ok(missed == 0,
	    "a byte changed at any of the manifest's %ld offsets is caught (%ld missed)", size,
	    missed);
	ok(truncate(path, size - 1) == 0 && bk_manifest_read(mdir, &back, err, sizeof(err)) != 0,
	    "a truncated manifest is caught");
	unlink(path);
	ok(bk_manifest_read(mdir, &back, err, sizeof(err)) != 0 && strstr(err, "missing"),
	    "a missing manifest says so");
	rmdir(mdir);
	bk_manifest_clear(&m);
}

static void
test_pwfiles(void)
{
	const struct bk_engine *pg = bk_engine_for(DD_ENGINE_POSTGRESQL);
	const struct bk_engine *my = bk_engine_for(DD_ENGINE_MARIADB);
	size_t len;
	char *t = pg->pwfile_text("us:er", "p:a\\ss", &len);

	is_str(t, "*:*:*:us\\:er:p\\:a\\\\ss\n", "pgpass: ':' and '\\' escaped");
	sodium_free(t);
	t = my->pwfile_text("u", "p\"a\\s#s", &len);
	is_str(t, "[client]\nuser=\"u\"\npassword=\"p\\\"a\\\\s#s\"\n", "option file: quoted");
	sodium_free(t);
	ok(pg->pwfile_text("u", "line\nbreak", &len) == NULL, "a line break is refused");
}

static void
test_db_names(void)
{
	ok(dd_backup_db_name_valid("app_copy_2") && dd_backup_db_name_valid("_x"), "valid names");
	ok(!dd_backup_db_name_valid("") && !dd_backup_db_name_valid("1abc") &&
	        !dd_backup_db_name_valid("a-b") && !dd_backup_db_name_valid("a b") &&
	        !dd_backup_db_name_valid("x\"; drop") &&
	        !dd_backup_db_name_valid(
	            "a234567890123456789012345678901234567890123456789012345678901234"),
	    "invalid names: empty, digit first, '-', space, quotes, 64 characters");
}

static void
test_source(void)
{
	struct dd_snap_node nodes[3] = {
	    {.name = "a", .role = DD_ROLE_PRIMARY, .reachable = true, .lag_s = NAN},
	    {.name = "b", .role = DD_ROLE_REPLICA, .reachable = true, .lag_s = 0.5},
	    {.name = "c", .role = DD_ROLE_REPLICA, .reachable = true, .lag_s = 0.2},
	};
	struct dd_snap_cluster cl = {
	    .name = "k", .primary = 0, .first_node = 0, .n_nodes = 3, .topology_note = ""};
	struct dd_snapshot s = {.n_clusters = 1, .clusters = &cl, .n_nodes = 3, .nodes = nodes};
	char why[512];

	is_int(dd_backup_choose_source(&s, "k", 60000, why, sizeof(why)), 2,
	    "the replica with the least lag");
	nodes[2].state = DD_NODE_DOWN;
	nodes[2].reachable = false;
	is_int(dd_backup_choose_source(&s, "k", 60000, why, sizeof(why)), 1, "not a down one");
	nodes[1].lag_s = 75;
	is_int(dd_backup_choose_source(&s, "k", 60000, why, sizeof(why)), 0,
	    "none within lag_max: the primary");
	ok(strstr(why, "b: lag 75.0 s over lag_max 60.0 s") && strstr(why, "c: down") &&
	        strstr(why, "the primary a"),
	    "and why: %s", why);
	nodes[1].lag_s = NAN;
	nodes[0].reachable = false;
	is_int(dd_backup_choose_source(&s, "k", 60000, why, sizeof(why)), -1, "no usable node: -1");
	ok(strstr(why, "b: lag unknown") != NULL, "unknown lag counts as too much: %s", why);
}

static void
fake_backup(const char *cdir, const char *name, const char *id, int64_t t, bool manifest)
{
	struct bk_manifest m;
	char path[600], err[512];

	snprintf(path, sizeof(path), "%s/%s", cdir, name);
	mkdir(path, 0700);
	if (!manifest)
		return;
	fill_manifest(&m);
	snprintf(m.id, sizeof(m.id), "%s", id);
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.started_wall_ms = t;
	if (bk_manifest_write(path, &m, err, sizeof(err)) != 0)
		bail_out("%s", err);
	bk_manifest_clear(&m);
}

static void
test_catalog(void)
{
	char name[] = "orders";
	struct dd_cluster_config c = {.name = name, .retention = {.daily = 1}};
	struct dd_backup_ctx ctx = {.cluster = &c};
	struct dd_backup_list l;
	char cdir[300], path[600], err[512];
	int64_t t;

	c.backup_dir = dir;
	snprintf(cdir, sizeof(cdir), "%s/orders", dir);
	mkdir(cdir, 0700);
	fake_backup(cdir, "20250101T020000Z-0a1b2c3d", "0a1b2c3d", INT64_C(1735696800000), true);
	fake_backup(cdir, "20250102T020000Z-11111111", "11111111", INT64_C(1735783200000), true);
	snprintf(path, sizeof(path), "%s/20250102T020000Z-11111111", cdir);
	bk_check_write(path, false, false, "damaged", err, sizeof(err));
	fake_backup(cdir, "20250103T020000Z-22222222.partial", "", 0, false);
	fake_backup(cdir, "20250104T020000Z-33333333", "", 0, false);
	fake_backup(cdir, "notes", "", 0, false);
	ok(dd_backup_list(&c, &l, err, sizeof(err)) == 0 && l.n == 4, "four backups listed");
	ok(l.n == 4 && l.v[0].state == DD_BACKUP_DAMAGED && l.v[1].state == DD_BACKUP_STALE &&
	        l.v[2].check == DD_CHECK_FAILED && l.v[3].state == DD_BACKUP_COMPLETE &&
	        l.v[3].check == DD_CHECK_UNVERIFIED,
	    "newest first: damaged, stale, FAILED, unverified");
	const struct dd_backup_entry *e = dd_backup_find(&l, "latest", err, sizeof(err));
	ok(e && strcmp(e->id, "0a1b2c3d") == 0, "latest skips a FAILED backup");
	ok(!dd_backup_find(&l, "22222222", err, sizeof(err)) &&
	        dd_backup_find(&l, "20250104T020000Z-33333333", err, sizeof(err)),
	    "a .partial cannot be named; a damaged one can, by id or name");
	dd_backup_list_free(&l);
	ok(dd_backup_newest_good(&c, &t, err, sizeof(err)) == 0 && t == INT64_C(1735696800000),
	    "the newest good backup");
	ok(dd_backup_prune(&ctx, false, NULL, NULL, err, sizeof(err)) == DD_BACKUP_OK,
	    "prune with daily:1");
	ok(dd_backup_list(&c, &l, err, sizeof(err)) == 0 && l.n == 2 &&
	        l.v[0].state == DD_BACKUP_DAMAGED && strcmp(l.v[1].id, "0a1b2c3d") == 0,
	    "prune removed the FAILED one and the stale .partial, kept the damaged one");
	for (size_t i = 0; i < l.n; i++)
		bk_remove_dir(l.v[i].path, err, sizeof(err));
	dd_backup_list_free(&l);
	snprintf(path, sizeof(path), "%s/notes", cdir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.lock", cdir);
	unlink(path);
	rmdir(cdir);
}

int
main(void)
{
	if (sodium_init() < 0 || !mkdtemp(dir))
		bail_out("set-up");
	test_stream_modes();
	test_stream_damage();
	test_keys();
	test_manifest();
	test_pwfiles();
	test_db_names();
	test_source();
	test_catalog();
	if (rmdir(dir) != 0)
		ok(false, "the test's directory is left empty");
	return tap_done();
}
