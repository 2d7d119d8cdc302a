/*
 * bench_bouncer.h: starts and stops a private PgBouncer for bench_pool, in
 * transaction mode in front of one PostgreSQL node, on a free loopback port.
 */
#ifndef DD_BENCH_BOUNCER_H
#define DD_BENCH_BOUNCER_H

#include <stddef.h>
#include <sys/types.h>

struct bouncer {
	pid_t pid; /* process group of the pgbouncer (or runuser) child */
	int port;
	char dir[256];      /* temp dir with the ini, the 0600 userlist and the log */
	char files[3][300]; /* their paths, made at start for bouncer_stop_on_signal */
};

/*
 * Starts pgbouncer for database `database` on 127.0.0.1:pg_port, with one
 * virtual database per pool size in sizes[] named "<database>_t<size>"
 * (default_pool_size of that database = size), auth_type scram-sha-256 and a
 * userlist holding user/password (written 0600; the password never reaches
 * argv). As root it runs as `runas` through runuser. Returns 0, or -1 with
 * the reason in err.
 */
int bouncer_start(struct bouncer *b, int pg_port, const char *database, const char *user,
    const char *password, const int *sizes, size_t nsizes, const char *runas, char *err,
    size_t errlen);

/* Stops it (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
void bouncer_stop(struct bouncer *b);

/*
 * The same from a signal handler: only async-signal-safe calls (kill,
 * waitpid, nanosleep, unlink, rmdir); the userlist is removed, not wiped.
 */
void bouncer_stop_on_signal(struct bouncer *b);

#endif
