/*
 * pg_int.h: what driver_pg.c and pg_connect.c share (private to the
 * driver): opening a libpq connection under the password policy, and the
 * connect-error filling that knows the node's tls and auth settings.
 */
#ifndef DD_PG_INT_H
#define DD_PG_INT_H

#include <libpq-fe.h>

#include "driver/driver_int.h"

/*
 * Opens a connection (pg_connect.c says how the password is protected) and
 * wipes libpq's copy of the password once it is made. Returns the new
 * connection (the caller PQfinishes it), or NULL with err filled.
 */
PGconn *drv_pg_open(const struct dd_conn_params *p, int64_t deadline_ns, struct dd_db_error *err);

/* Fills err from a failed connection's message, with a hint for p's tls/auth. */
void drv_pg_connect_error(PGconn *pg, const struct dd_conn_params *p, struct dd_db_error *err);

#endif
