/*
 * stream.c: the dump file. The writer takes the tool's bytes and stores them:
 * zstd (one frame with its content checksum) for a text dump, then, when the
 * backup is encrypted, crypto_secretstream_xchacha20poly1305 (the 24-byte
 * header, then messages of BK_CHUNK plaintext bytes plus 17, the last one
 * shorter and tagged FINAL), then SHA-256 over exactly the bytes that reach
 * the disk, then write(2); finish fsyncs. The reader undoes it for a restore
 * or a deep verify, checking that the stream is complete (the FINAL tag, a
 * whole zstd frame) and hashing what it reads. Also the plain re-hash of a
 * file and the progress meter.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "backup/backup_int.h"
#include "util/util.h"

#define SS_ABYTES    crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HEADER    crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define IO_CHUNK     (1024 * 1024)
#define ZSTD_LEVEL   3
#define METER_NS     INT64_C(200000000)
#define WRITE_BEHIND (UINT64_C(8) << 20)

struct bk_writer {
	int fd;
	char *path;
	ZSTD_CCtx *zc;
	unsigned char *zout;                             /* ZSTD_CStreamOutSize() */
	crypto_secretstream_xchacha20poly1305_state *ss; /* sodium_malloc; NULL: plain */
	unsigned char *plain;                            /* BK_CHUNK bytes waiting to be sealed */
	size_t plain_len;
	unsigned char *sealed; /* BK_CHUNK + ABYTES */
	crypto_hash_sha256_state sha;
	uint64_t raw, stored;
	uint64_t flushed; /* bytes handed to write-back so far */
};

static void
io_error(const char *what, const char *path, int e, char *err, size_t errlen)
{
	const char *hint = e == ENOSPC   ? " (the disk is full)"
	                   : e == EFBIG  ? " (the file size limit was reached)"
	                   : e == EDQUOT ? " (over the disk quota)"
	                   : e == EROFS  ? " (a read-only file system)"
	                                 : "";
	dd_seterr(err, errlen, "cannot %s %s: %s%s", what, path, strerror(e), hint);
}

/*
 * Write-behind: every WRITE_BEHIND bytes, the range before is handed to the
 * kernel's write-back (sync_file_range, no wait) and the range before that,
 * written by now, is dropped from the page cache. The final fsync then has
 * little left to do, and a large backup does not push the servers' data out
 * of the cache. Best effort: errors show at fsync.
 */
static void
write_behind(struct bk_writer *w)
{
	if (w->stored - w->flushed < WRITE_BEHIND)
		return;
	sync_file_range(
	    w->fd, (off_t)w->flushed, (off_t)(w->stored - w->flushed), SYNC_FILE_RANGE_WRITE);
	if (w->flushed >= WRITE_BEHIND)
		posix_fadvise(
		    w->fd, (off_t)(w->flushed - WRITE_BEHIND), WRITE_BEHIND, POSIX_FADV_DONTNEED);
	w->flushed = w->stored;
}

/* The last stage: hash and write all of it. */
static int
put(struct bk_writer *w, const unsigned char *p, size_t n, char *err, size_t errlen)
{
	crypto_hash_sha256_update(&w->sha, p, n);
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			io_error("write", w->path, k < 0 ? errno : ENOSPC, err, errlen);
			return -1;
		}
		p += k;
		n -= (size_t)k;
		w->stored += (uint64_t)k;
	}
	write_behind(w);
	return 0;
}

static int
seal(struct bk_writer *w, unsigned char tag, char *err, size_t errlen)
{
	unsigned long long clen = 0;

	crypto_secretstream_xchacha20poly1305_push(
	    w->ss, w->sealed, &clen, w->plain, w->plain_len, NULL, 0, tag);
	w->plain_len = 0;
	return put(w, w->sealed, (size_t)clen, err, errlen);
}

/* After compression: buffered into whole messages when encrypting. */
static int
stage_encrypt(struct bk_writer *w, const unsigned char *p, size_t n, char *err, size_t errlen)
{
	if (!w->ss)
		return put(w, p, n, err, errlen);
	while (n > 0) {
		size_t k = BK_CHUNK - w->plain_len < n ? BK_CHUNK - w->plain_len : n;
		memcpy(w->plain + w->plain_len, p, k);
		w->plain_len += k;
		p += k;
		n -= k;
		if (w->plain_len == BK_CHUNK &&
		    seal(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
compress(struct bk_writer *w, const void *buf, size_t len, ZSTD_EndDirective mode, char *err,
    size_t errlen)
{
	ZSTD_inBuffer in = {buf, len, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {w->zout, ZSTD_CStreamOutSize(), 0};
		left = ZSTD_compressStream2(w->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			dd_seterr(err, errlen, "zstd: %s", ZSTD_getErrorName(left));
			return -1;
		}
		if (stage_encrypt(w, w->zout, out.pos, err, errlen) != 0)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

struct bk_writer *
bk_writer_open(const char *path, bool zstd, const unsigned char *data_key, char *err, size_t errlen)
{
	struct bk_writer *w = xcalloc(1, sizeof(*w));
	unsigned char header[SS_HEADER];

	w->path = xstrdup(path);
	crypto_hash_sha256_init(&w->sha);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		io_error("create", path, errno, err, errlen);
		bk_writer_abort(w);
		return NULL;
	}
	if (zstd) {
		w->zc = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, ZSTD_LEVEL);
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
		/* Compression on a worker thread while this one reads, hashes and writes
		 * (as `tool | zstd` runs two processes); ignored by a single-threaded libzstd. */
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, 1);
		w->zout = xmalloc(ZSTD_CStreamOutSize());
	}
	if (data_key) {
		w->ss = sodium_malloc(sizeof(*w->ss));
		if (!w->ss)
			abort();
		w->plain = xmalloc(BK_CHUNK);
		w->sealed = xmalloc(BK_CHUNK + SS_ABYTES);
		crypto_secretstream_xchacha20poly1305_init_push(w->ss, header, data_key);
		if (put(w, header, sizeof(header), err, errlen) != 0) {
			bk_writer_abort(w);
			return NULL;
		}
	}
	return w;
}

int
bk_writer_write(struct bk_writer *w, const void *buf, size_t len, char *err, size_t errlen)
{
	w->raw += len;
	if (w->zc)
		return compress(w, buf, len, ZSTD_e_continue, err, errlen);
	return stage_encrypt(w, buf, len, err, errlen);
}

int
bk_writer_finish(struct bk_writer *w, char sha_hex[65], uint64_t *raw, uint64_t *stored, char *err,
    size_t errlen)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	int rc = -1;

	if (w->zc && compress(w, "", 0, ZSTD_e_end, err, errlen) != 0)
		goto out;
	if (w->ss && seal(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err, errlen) != 0)
		goto out;
	if (fsync(w->fd) != 0) {
		io_error("fsync", w->path, errno, err, errlen);
		goto out;
	}
	if (close(w->fd) != 0) {
		w->fd = -1;
		io_error("close", w->path, errno, err, errlen);
		goto out;
	}
	w->fd = -1;
	crypto_hash_sha256_final(&w->sha, digest);
	sodium_bin2hex(sha_hex, 65, digest, sizeof(digest));
	*raw = w->raw;
	*stored = w->stored;
	rc = 0;
out:
	bk_writer_abort(w);
	return rc;
}

void
bk_writer_abort(struct bk_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->zc);
	free(w->zout);
	sodium_free(w->ss);
	if (w->plain)
		sodium_memzero(w->plain, BK_CHUNK);
	free(w->plain);
	free(w->sealed);
	free(w->path);
	free(w);
}

/* ---- reading back ------------------------------------------------------------ */

struct bk_reader {
	int fd;
	char *path;
	crypto_hash_sha256_state sha;
	uint64_t stored;
	bool file_eof;
	/* stage 1: the file's bytes, decrypted when encrypted */
	crypto_secretstream_xchacha20poly1305_state *ss;
	bool final_seen;
	unsigned char *sealed; /* one message */
	unsigned char *mid;    /* decrypted (or plain) bytes */
	size_t mid_pos, mid_len;
	/* stage 2: zstd */
	ZSTD_DCtx *zd;
	size_t zlast;  /* last ZSTD_decompressStream result: 0 = a frame ended */
	bool zany;     /* any compressed input seen */
	bool zpending; /* the last call filled the output: zstd may hold more */
};

/* Reads up to n bytes (fewer only at the end of the file), hashing them. */
static int
read_full(struct bk_reader *r, unsigned char *buf, size_t n, size_t *got, char *err, size_t errlen)
{
	*got = 0;
	while (*got < n && !r->file_eof) {
		ssize_t k = read(r->fd, buf + *got, n - *got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			io_error("read", r->path, errno, err, errlen);
			return -1;
		}
		if (k == 0)
			r->file_eof = true;
		*got += (size_t)k;
	}
	crypto_hash_sha256_update(&r->sha, buf, *got);
	r->stored += *got;
	return 0;
}

static int
open_stream(struct bk_reader *r, const unsigned char *key, char *err, size_t errlen)
{
	unsigned char header[SS_HEADER];
	size_t got;

	r->ss = sodium_malloc(sizeof(*r->ss));
	if (!r->ss)
		abort();
	r->sealed = xmalloc(BK_CHUNK + SS_ABYTES);
	if (read_full(r, header, sizeof(header), &got, err, errlen) != 0)
		return -1;
	if (got < sizeof(header) ||
	    crypto_secretstream_xchacha20poly1305_init_pull(r->ss, header, key) != 0) {
		dd_seterr(err, errlen, "%s: truncated (no encryption header)", r->path);
		return -1;
	}
	return 0;
}

struct bk_reader *
bk_reader_open(const char *path, bool zstd, const unsigned char *data_key, char *err, size_t errlen)
{
	struct bk_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	crypto_hash_sha256_init(&r->sha);
	r->mid = xmalloc(BK_CHUNK);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		io_error("open", path, errno, err, errlen);
		goto fail;
	}
	if (data_key && open_stream(r, data_key, err, errlen) != 0)
		goto fail;
	if (zstd) {
		r->zd = ZSTD_createDCtx();
		r->zlast = 1;
	}
	return r;
fail:
	bk_reader_close(r, NULL);
	return NULL;
}

/* Refills mid from the file: one message when encrypted. *end when nothing is left. */
static int
refill(struct bk_reader *r, bool *end, char *err, size_t errlen)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t got;

	r->mid_pos = r->mid_len = 0;
	if (!r->ss) {
		if (read_full(r, r->mid, BK_CHUNK, &got, err, errlen) != 0)
			return -1;
		r->mid_len = got;
		*end = got == 0;
		return 0;
	}
	if (read_full(r, r->sealed, BK_CHUNK + SS_ABYTES, &got, err, errlen) != 0)
		return -1;
	if (got == 0 && !r->final_seen) {
		dd_seterr(
		    err, errlen, "%s: truncated (the final encrypted chunk is missing)", r->path);
		return -1;
	}
	*end = got == 0;
	if (got == 0)
		return 0;
	if (r->final_seen) {
		dd_seterr(
		    err, errlen, "%s: damaged (data after the final encrypted chunk)", r->path);
		return -1;
	}
	if (crypto_secretstream_xchacha20poly1305_pull(
	        r->ss, r->mid, &mlen, &tag, r->sealed, got, NULL, 0) != 0) {
		dd_seterr(err, errlen,
		    "%s: damaged (an encrypted chunk does not authenticate at byte %llu)", r->path,
		    (unsigned long long)(r->stored - got));
		return -1;
	}
	r->final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	r->mid_len = (size_t)mlen;
	return 0;
}

static int
decompress(struct bk_reader *r, void *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	ZSTD_inBuffer in = {r->mid, r->mid_len, r->mid_pos};
	ZSTD_outBuffer out = {buf, cap, 0};
	size_t z = ZSTD_decompressStream(r->zd, &out, &in);

	if (ZSTD_isError(z)) {
		dd_seterr(err, errlen, "%s: damaged (zstd: %s)", r->path, ZSTD_getErrorName(z));
		return -1;
	}
	r->zany = r->zany || in.pos > r->mid_pos;
	r->zlast = z;
	r->zpending = out.pos == out.size;
	r->mid_pos = in.pos;
	*n = out.pos;
	return 0;
}

int
bk_reader_read(struct bk_reader *r, void *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	while (*n == 0) {
		bool end = false;
		if (r->mid_pos == r->mid_len && !(r->zd && r->zpending)) {
			if (refill(r, &end, err, errlen) != 0)
				return -1;
			if (end && r->zd && (r->zlast != 0 || !r->zany)) {
				dd_seterr(err, errlen,
				    "%s: truncated (the zstd frame is incomplete)", r->path);
				return -1;
			}
			if (end)
				return 0;
		}
		if (r->zd) {
			if (decompress(r, buf, cap, n, err, errlen) != 0)
				return -1;
			continue;
		}
		*n = r->mid_len - r->mid_pos < cap ? r->mid_len - r->mid_pos : cap;
		memcpy(buf, r->mid + r->mid_pos, *n);
		r->mid_pos += *n;
	}
	return 0;
}

uint64_t
bk_reader_stored(const struct bk_reader *r)
{
	return r->stored;
}

void
bk_reader_close(struct bk_reader *r, char sha_hex[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	if (!r)
		return;
	if (sha_hex) {
		crypto_hash_sha256_final(&r->sha, digest);
		sodium_bin2hex(sha_hex, 65, digest, sizeof(digest));
	}
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->zd);
	sodium_free(r->ss);
	if (r->mid)
		sodium_memzero(r->mid, BK_CHUNK);
	free(r->mid);
	free(r->sealed);
	free(r->path);
	free(r);
}

/* ---- the plain re-hash ------------------------------------------------------- */

int
bk_hash_file(const char *path, const struct dd_backup_hooks *h, char sha_hex[65], uint64_t *size,
    char *err, size_t errlen)
{
	struct bk_reader *r = bk_reader_open(path, false, NULL, err, errlen);
	struct bk_meter m;
	struct stat st;
	size_t got;
	int rc = 0;

	if (!r)
		return -1;
	bk_meter_start(&m, DD_BACKUP_PHASE_HASH, fstat(r->fd, &st) == 0 ? (uint64_t)st.st_size : 0);
	do {
		if (bk_cancelled(h)) {
			bk_cancel_message(h, err, errlen);
			rc = DD_BACKUP_CANCELLED;
			break;
		}
		r->mid_pos = r->mid_len = 0;
		if (read_full(r, r->mid, IO_CHUNK, &got, err, errlen) != 0) {
			rc = -1;
			break;
		}
		bk_meter_tick(&m, h, r->stored, r->file_eof);
	} while (got > 0);
	*size = r->stored;
	bk_reader_close(r, sha_hex);
	return rc;
}

int
bk_fsync_path(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;

	if (rc != 0)
		io_error("fsync", path, errno, err, errlen);
	if (fd >= 0)
		close(fd);
	return rc;
}

void
bk_meter_start(struct bk_meter *m, enum dd_backup_phase phase, uint64_t total)
{
	m->phase = phase;
	m->total = total;
	m->start_ns = dd_now_mono_ns();
	m->last_ns = 0;
}

void
bk_meter_tick(struct bk_meter *m, const struct dd_backup_hooks *h, uint64_t done, bool force)
{
	int64_t now;

	if (!h || !h->progress)
		return;
	now = dd_now_mono_ns();
	if (!force && now - m->last_ns < METER_NS)
		return;
	m->last_ns = now;
	struct dd_backup_progress p = {
	    .phase = m->phase, .done = done, .total = m->total, .elapsed_ns = now - m->start_ns};
	h->progress(h->ctx, &p);
}
