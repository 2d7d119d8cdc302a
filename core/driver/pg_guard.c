/*
 * pg_guard.c: checks a PostgreSQL server's authentication requests before
 * libpq can answer them, on connections without TLS (pg_guard.h says why).
 *
 * The server's byte stream is cut into messages (type byte, 4-byte length);
 * only a message whose header has been read and checked is passed on, and
 * never a byte past the current message is read from the server. An
 * authentication request ('R') is allowed only for the codes of
 * guard_allowed[]; anything else (clear text, md5, SCM credentials,
 * Kerberos V5, unknown codes) stops the guard before libpq has seen a byte
 * of it. That also covers a server that sends a SASL request and a
 * clear-text request in one segment: libpq gets the second only after the
 * guard has checked it. After ReadyForQuery nothing more is read, so
 * whatever follows stays in the socket for libpq once the guard is removed.
 */
#include "driver/pg_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Authentication request codes of the protocol (AuthenticationXxx). */
enum {
	AUTH_OK = 0,
	AUTH_KERBEROS_V5 = 2,
	AUTH_CLEARTEXT = 3,
	AUTH_MD5 = 5,
	AUTH_SCM = 6,
	AUTH_GSS = 7,
	AUTH_GSS_CONT = 8,
	AUTH_SSPI = 9,
	AUTH_SASL = 10,
	AUTH_SASL_CONT = 11,
	AUTH_SASL_FIN = 12,
};

/* What libpq may be asked: none of these reveal the password. */
static const int guard_allowed[] = {
    AUTH_OK,
    AUTH_GSS,
    AUTH_GSS_CONT,
    AUTH_SSPI,
    AUTH_SASL,
    AUTH_SASL_CONT,
    AUTH_SASL_FIN,
};

/* Longer server messages are not expected before ReadyForQuery. */
#define GUARD_MAX_MESSAGE (1u << 20)

void
pg_guard_init(struct pg_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->lib_fd = g->server = g->mine = -1;
	g->refused = -1;
}

bool
pg_guard_active(const struct pg_guard *g)
{
	return g->lib_fd >= 0;
}

const char *
pg_guard_request_name(int code)
{
	switch (code) {
	case AUTH_CLEARTEXT: return "the password in clear text";
	case AUTH_MD5: return "an md5 hash of the password";
	case AUTH_KERBEROS_V5: return "Kerberos V5";
	case AUTH_SCM: return "SCM credentials";
	default: return "an unknown kind of authentication";
	}
}

int
pg_guard_install(struct pg_guard *g, int lib_fd)
{
	struct stat st;
	int pair[2];

	if ((g->server = fcntl(lib_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
		goto fail;
	/* libpq's number now names pair[0]: atomically, so it never dangles. */
	if (dup3(pair[0], lib_fd, O_CLOEXEC) < 0) {
		close(pair[0]);
		close(pair[1]);
		goto fail;
	}
	close(pair[0]);
	g->mine = pair[1];
	g->lib_fd = lib_fd;
	if (fstat(lib_fd, &st) == 0) {
		g->dev = st.st_dev;
		g->ino = st.st_ino;
	}
	return 0;
fail:
	close(g->server);
	g->server = -1;
	return -1;
}

bool
pg_guard_owns(const struct pg_guard *g, int lib_fd)
{
	struct stat st;

	return g->lib_fd >= 0 && lib_fd == g->lib_fd && fstat(lib_fd, &st) == 0 &&
	       st.st_dev == g->dev && st.st_ino == g->ino;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
allowed(int code)
{
	for (size_t i = 0; i < sizeof(guard_allowed) / sizeof(guard_allowed[0]); i++)
		if (guard_allowed[i] == code)
			return true;
	return false;
}

/* Reads at most n bytes from the server; false when nothing came (or EOF). */
static bool
server_read(struct pg_guard *g, unsigned char *buf, size_t n, size_t *got)
{
	ssize_t r = recv(g->server, buf, n, MSG_DONTWAIT);

	*got = r > 0 ? (size_t)r : 0;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		g->eof = true;
	return r > 0;
}

/* Checks a complete header; on success it starts the message's passage. */
static int
header_check(struct pg_guard *g)
{
	uint32_t len = be32(g->head + 1);

	if (len < 4 || len > GUARD_MAX_MESSAGE || (g->head[0] == 'R' && len < 8)) {
		g->refused = -2; /* not a protocol message */
		return -1;
	}
	if (g->head[0] == 'R' && !allowed((int)be32(g->head + 5))) {
		g->refused = (int)be32(g->head + 5);
		return -1;
	}
	memcpy(g->down.buf + g->down.len, g->head, g->have);
	g->down.len += g->have;
	g->left = 1 + (size_t)len - g->have;
	g->last = g->head[0] == 'Z';
	g->done = g->left == 0 && g->last;
	g->have = 0;
	return 0;
}

/*
 * Reads the header of the next message, never past it: 5 bytes (type,
 * length), 9 for an authentication request (and its code). Returns 1 when
 * it is complete and checked, 0 when more must come, -1 when refused.
 */
static int
header_step(struct pg_guard *g)
{
	size_t need, got;

	for (;;) {
		need = g->have > 0 && g->head[0] == 'R' ? 9 : 5;
		if (g->have >= need)
			return header_check(g) < 0 ? -1 : 1;
		if (!server_read(g, g->head + g->have, need - g->have, &got))
			return 0;
		g->have += got;
	}
}

/* Server to libpq: checked messages only, never past ReadyForQuery. */
static int
pump_down(struct pg_guard *g)
{
	size_t room, got;
	int r;

	while (!g->done && !g->eof && g->down.len == 0) {
		g->down.off = 0;
		if (g->left == 0) {
			if ((r = header_step(g)) <= 0)
				return r;
			continue;
		}
		room = PG_GUARD_BUF - g->down.len;
		if (!server_read(
		        g, g->down.buf + g->down.len, g->left < room ? g->left : room, &got))
			return 0;
		g->down.len += got;
		g->left -= got;
		g->done = g->left == 0 && g->last;
	}
	return 0;
}

/* Writes what p holds to fd; false on a hard error. */
static bool
pipe_flush(struct pg_guard_pipe *p, int fd)
{
	ssize_t w;

	while (p->off < p->len) {
		w = send(fd, p->buf + p->off, p->len - p->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		p->off += (size_t)w;
	}
	p->off = p->len = 0;
	return true;
}

/* libpq to server: passed on as it comes. */
static void
pump_up(struct pg_guard *g)
{
	ssize_t r;

	if (g->up.len == 0) {
		r = recv(g->mine, g->up.buf, PG_GUARD_BUF, MSG_DONTWAIT);
		if (r > 0) {
			g->up.off = 0;
			g->up.len = (size_t)r;
		}
	}
	if (g->up.len > 0 && !pipe_flush(&g->up, g->server))
		g->eof = true;
}

int
pg_guard_pump(struct pg_guard *g)
{
	pump_up(g);
	for (;;) {
		if (pump_down(g) < 0)
			return -1;
		if (g->down.len == 0)
			break;
		if (!pipe_flush(&g->down, g->mine)) {
			g->eof = true; /* libpq's end is gone */
			g->down.off = g->down.len = 0;
			break;
		}
		if (g->down.len > 0)
			break; /* libpq has not read yet */
	}
	if (g->eof && g->down.len == 0)
		shutdown(g->mine, SHUT_WR); /* libpq reads the end of the stream */
	return 0;
}

void
pg_guard_pollfds(const struct pg_guard *g, struct pollfd pfd[2])
{
	pfd[0].fd = g->server;
	pfd[0].events =
	    (short)((g->done || g->eof || g->down.len ? 0 : POLLIN) | (g->up.len ? POLLOUT : 0));
	pfd[1].fd = g->mine;
	pfd[1].events = (short)((g->up.len ? 0 : POLLIN) | (g->down.len ? POLLOUT : 0));
	pfd[0].revents = pfd[1].revents = 0;
}

int
pg_guard_finish(struct pg_guard *g)
{
	int rc = dup3(g->server, g->lib_fd, O_CLOEXEC);

	pg_guard_drop(g);
	return rc < 0 ? -1 : 0;
}

void
pg_guard_drop(struct pg_guard *g)
{
	if (g->server >= 0)
		close(g->server);
	if (g->mine >= 0)
		close(g->mine);
	pg_guard_init(g);
}
