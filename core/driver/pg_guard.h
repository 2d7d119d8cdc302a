/*
 * pg_guard.h: the PostgreSQL authentication guard (pg_guard.c), private to
 * the driver. libpq 15 has no require_auth (it came in libpq 16): it answers
 * any authentication request, clear text and md5 included, and over a
 * connection without TLS channel_binding=require cannot be used. So while a
 * connection without TLS authenticates, the guard sits between libpq and the
 * server: libpq's descriptor number is moved onto one end of a socketpair,
 * and every message from the server is checked before libpq can read it. An
 * authentication request other than SASL (SCRAM), GSSAPI/SSPI or "ok" ends
 * the connection before libpq ever sees it, so the password never leaves.
 * Once the server says ReadyForQuery, the real connection goes back under
 * libpq's descriptor number and the guard is gone: statements run directly.
 */
#ifndef DD_PG_GUARD_H
#define DD_PG_GUARD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PG_GUARD_BUF 4096

/* Bytes waiting to be written to one side. */
struct pg_guard_pipe {
	unsigned char buf[PG_GUARD_BUF];
	size_t off, len;
};

struct pg_guard {
	int lib_fd; /* libpq's descriptor number; -1 when not installed */
	int server; /* the server connection, moved away from lib_fd */
	int mine;   /* our end of the socketpair now under lib_fd */
	dev_t dev;  /* what lib_fd names while the guard is in place */
	ino_t ino;
	unsigned char head[9];     /* the current message's header: type, length, auth code */
	size_t have;               /* header bytes read so far */
	size_t left;               /* bytes of the current message still to pass on */
	bool last;                 /* the current message is ReadyForQuery */
	bool done;                 /* ReadyForQuery passed on: read nothing more */
	bool eof;                  /* the server closed (or failed) */
	int refused;               /* the refused authentication request code, or -1 */
	struct pg_guard_pipe down; /* checked server bytes for libpq */
	struct pg_guard_pipe up;   /* libpq's bytes for the server */
};

/* An empty, uninstalled guard. */
void pg_guard_init(struct pg_guard *g);
bool pg_guard_active(const struct pg_guard *g);

/*
 * Moves the connection under lib_fd (libpq's, which has sent its startup
 * packet and read nothing yet) aside and puts a socketpair end in its
 * place. Returns 0, or -1 with errno.
 */
int pg_guard_install(struct pg_guard *g, int lib_fd);

/*
 * Moves whatever can move without blocking, both ways, checking each server
 * message. Returns 0, or -1 when the server asked for a refused kind of
 * authentication (g->refused >= 0) or sent something that is not a message.
 */
int pg_guard_pump(struct pg_guard *g);

/*
 * True while lib_fd still names the guard's socketpair end. libpq closes
 * and reopens its socket when it moves on to another address; the new one
 * may get the same number, but not the same inode.
 */
bool pg_guard_owns(const struct pg_guard *g, int lib_fd);

/* The guard's two descriptors and the events it waits for, into pfd[0..1]. */
void pg_guard_pollfds(const struct pg_guard *g, struct pollfd pfd[2]);

/*
 * After libpq reported the connection made: puts the server connection back
 * under lib_fd and closes the guard's descriptors. Returns 0, or -1 with
 * errno (then the connection is unusable).
 */
int pg_guard_finish(struct pg_guard *g);

/* Closes the guard's own descriptors (never lib_fd, which libpq owns). */
void pg_guard_drop(struct pg_guard *g);

/* What a refused authentication request code asked for: "clear text", "md5", ... */
const char *pg_guard_request_name(int code);

#endif
