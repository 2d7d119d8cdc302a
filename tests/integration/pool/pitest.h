/*
 * pitest.h: what the pool's integration tests share: the engine under test
 * (the SQL that differs between PostgreSQL and MariaDB), the harness and the
 * password in sodium_malloc memory, pools with a unique application name, and
 * an admin connection that counts and kills the pool's sessions server-side.
 */
#ifndef DD_POOL_ITEST_H
#define DD_POOL_ITEST_H

#include <stdbool.h>
#include <stdint.h>

#include "dbdeck/pool.h"
#include "harness.h"
#include "itlib.h"

struct pit_engine {
	enum dd_engine engine;
	const char *name;                   /* "pg" or "my" */
	const char *node;                   /* the primary: "pg1" / "my1" */
	const char *kill_pre, *kill_post;   /* around a session id: kills it */
	const char *count_pre, *count_post; /* around an application name: counts its sessions */
	const char *sleep_02;               /* a 0.2 s sleep with literals around it */
	const char *sleep_02_norm;          /* what the slow-query log must keep of it */
	const char *sleep_short;            /* a ~2 ms sleep */
	const char *set_var, *get_var,
	    *var_clean; /* a session variable, its reader, its clean value */
	const char *set_mode, *get_mode, *mode_clean_sql; /* a session setting; the clean value */
	const char *create_temp, *select_temp;
	const char *create_table, *begin, *insert, *count_rows;
};

extern const struct pit_engine *E;
extern struct dd_harness H;

/* Loads the harness and the password; bails out when they are missing. */
void pit_init(const char *engine_name);
void pit_done(void);

/* Defaults for tests: no min_idle, fast maintenance, no liveness pings, no slow log. */
struct dd_pool_config pit_config(int max_size, int max_overflow);
/*
 * A pool on the engine's primary with a unique application name (written to
 * app, 64 bytes) so server-side counts see only this pool. Bails out on error.
 */
struct dd_pool *pit_pool(struct dd_pool_config *cfg, const char *tag, char *app);
/* Like pit_pool on another port / password; NULL + err on failure. */
struct dd_pool *pit_pool_custom(
    struct dd_pool_config *cfg, int port, const char *password, char *err, size_t errlen);

/* Acquire with the default deadline; bails out on failure. */
struct dd_pooled *pit_acquire(struct dd_pool *p);

/* The admin connection (opened on first use, closed by pit_done). */
struct dd_conn *pit_admin(void);
/* First value of a one-row query on the admin connection as an integer; -1 on error. */
long long pit_admin_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sessions on the server with application name app (waits up to 3 s for it to reach want). */
long long pit_server_count(const char *app, long long want);
/* Kills a session from the admin connection; true on success. */
bool pit_kill(int64_t backend_id);
/* First value of a one-row query on a pooled connection into buf; false on error. */
bool pit_value(struct dd_pooled *c, const char *sql, char *buf, size_t len);

void pit_sleep_ms(int64_t ms);
/* Checks created - closed == idle + active + checking. */
bool pit_consistent(const struct dd_pool_stats *s);

#endif
