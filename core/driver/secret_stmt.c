/*
 * secret_stmt.c: statements that carry a secret (a replication password in
 * CHANGE MASTER TO ... MASTER_PASSWORD, a role's password), and what their
 * errors may say.
 *
 * Every driver error message is already run through dd_text_redact_secrets()
 * (drv_seterr), which masks a password that follows its keyword. For a
 * statement known to carry a secret that is not enough: a parse error quotes
 * the statement from the point of the error on, which may start at the
 * password itself ("... near 's3cret', MASTER_USE_GTID=...'"), with no
 * keyword before it. So the error of such a statement keeps only the
 * server's words up to the first quote (what kind of error it is) and never
 * any quoted text; the statement itself is never copied into an error.
 */
#include <string.h>

#include "driver/driver_int.h"
#include "util/util.h"

static const char withheld[] = " [rest withheld: it may quote a secret]";

void
dd_db_error_withhold_quoted(struct dd_db_error *err)
{
	char *m = err->message;
	size_t cut = strcspn(m, "'\"`");
	size_t room = sizeof(err->message) - sizeof(withheld);

	if (!m[cut])
		return;
	if (cut > room)
		cut = room;
	while (cut > 0 && m[cut - 1] == ' ')
		cut--;
	memcpy(m + cut, withheld, sizeof(withheld));
}

int
dd_conn_exec_secret(struct dd_conn *c, const char *sql, int64_t deadline_ns, int64_t *affected,
    struct dd_db_error *err)
{
	int rc = dd_conn_exec(c, sql, deadline_ns, affected, err);

	if (rc != 0)
		dd_db_error_withhold_quoted(err);
	return rc;
}
