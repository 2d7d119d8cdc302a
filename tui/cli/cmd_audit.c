/*
 * cmd_audit.c: `dbdeck audit [--json] [--since DURATION]` prints the audit
 * log of operator actions (the config's [console] audit_log); `dbdeck audit
 * verify` checks its hash chain (core/audit, docs/security.md "Audit log").
 *
 * The table has one row per action: its start time, who, what, the outcome
 * and how long it took (an action whose end record is missing shows "(no
 * end)"). --json prints the records themselves, one JSON object a line.
 * --since keeps what happened within DURATION of now. Needs the config
 * file, never the vault.
 */
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_core.h"
#include "dbdeck/audit.h"
#include "dbdeck/text.h"
#include "fmt.h"

/* One action of the table, from its start and end records. */
struct row {
	uint64_t id;
	int64_t start_ms, end_ms; /* -1: no such record */
	char who[96], action[24], cluster[64], target[200];
	char outcome[16], detail[400];
	int64_t duration_ms;
};

struct table {
	struct row *rows;
	size_t n, cap;
	long bad;
	bool ascii;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: dbdeck audit [--json] [--since DURATION]\n"
	    "       dbdeck audit verify\n"
	    "Prints the audit log of operator actions (the config's [console] audit_log):\n"
	    "one row per action with its start time (UTC), operator, action, cluster,\n"
	    "target, outcome and duration; --json prints the records as JSON lines.\n"
	    "--since keeps the last DURATION (e.g. 30m, 24h). 'verify' checks the hash\n"
	    "chain and names the first line that breaks it.\n"
	    "Exit codes: 0 ok, 1 the log is unreadable or (verify) broken, 2 usage,\n"
	    "3 configuration error.\n");
}

static void
copy_clean(char *dst, size_t len, const char *s, bool ascii)
{
	dd_text_sanitize(
	    dst, len, s ? s : "", s ? strlen(s) : 0, (int)len - 1, ascii ? 0 : DD_TEXT_UTF8);
}

/* "alice", "root (sudo alice)", with "@192.0.2.7" when over SSH. */
static void
who_of(const struct dd_audit_record *r, char *buf, size_t len, bool ascii)
{
	char raw[256];
	snprintf(raw, sizeof(raw), "%s%s%s%s%s%s", r->operator_name ? r->operator_name : "?",
	    r->sudo_user ? " (sudo " : "", r->sudo_user ? r->sudo_user : "",
	    r->sudo_user ? ")" : "", r->ssh_client ? "@" : "", r->ssh_client ? r->ssh_client : "");
	copy_clean(buf, len, raw, ascii);
}

static struct row *
find_row(struct table *t, uint64_t id)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->rows[i].id == id)
			return &t->rows[i];
	return NULL;
}

static struct row *
new_row(struct table *t, const struct dd_audit_record *r)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (!t->rows) {
			cli_error("out of memory");
			exit(DD_EXIT_FAILED);
		}
	}
	struct row *w = &t->rows[t->n++];
	memset(w, 0, sizeof(*w));
	w->id = r->id;
	w->start_ms = w->end_ms = w->duration_ms = -1;
	who_of(r, w->who, sizeof(w->who), t->ascii);
	copy_clean(w->action, sizeof(w->action), r->action, t->ascii);
	copy_clean(w->cluster, sizeof(w->cluster), r->cluster, t->ascii);
	copy_clean(w->target, sizeof(w->target), r->target, t->ascii);
	return w;
}

static int
add_record(const struct dd_audit_record *r, void *ctx)
{
	struct table *t = ctx;
	if (r->bad) {
		t->bad++;
		return 0;
	}
	bool end = strcmp(r->phase, "end") == 0;
	struct row *w = end ? find_row(t, r->id) : NULL;
	if (!w)
		w = new_row(t, r);
	if (!end) {
		w->start_ms = r->time_ms;
		return 0;
	}
	w->end_ms = r->time_ms;
	w->duration_ms = r->duration_ms;
	copy_clean(w->outcome, sizeof(w->outcome), r->outcome, t->ascii);
	copy_clean(w->detail, sizeof(w->detail), r->detail, t->ascii);
	return 0;
}

/* Prints s (sanitized already) padded to cols columns, then two spaces. */
static void
cell(const char *s, int cols)
{
	int w = dd_text_width(s);
	char cut[256];
	if (w > cols) {
		dd_text_sanitize(cut, sizeof(cut), s, strlen(s), cols, DD_TEXT_UTF8);
		s = cut;
		w = dd_text_width(cut);
	}
	fputs(s, stdout);
	printf("%*s  ", cols - (w < 0 ? 0 : w), "");
}

static void
print_row(const struct row *w)
{
	char t[32], d[24];
	int64_t at = w->start_ms >= 0 ? w->start_ms : w->end_ms;
	cell(fmt_utc(t, sizeof(t), at, 1), 19);
	cell(w->who, 20);
	cell(w->action, 10);
	cell(w->cluster[0] ? w->cluster : "-", 10);
	cell(w->target[0] ? w->target : "-", 28);
	cell(w->end_ms >= 0 ? w->outcome : "(no end)", 10);
	cell(w->duration_ms >= 0 ? fmt_ns(d, sizeof(d), w->duration_ms * 1000000) : "-", 7);
	puts(w->detail);
}

static int
print_table(const char *path, int64_t since_ms, bool ascii)
{
	struct table t = {.ascii = ascii};
	char err[512];
	if (dd_audit_read(path, add_record, &t, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		free(t.rows);
		return DD_EXIT_FAILED;
	}
	printf("%-19s  %-20s  %-10s  %-10s  %-28s  %-10s  %-7s  %s\n", "TIME (UTC)", "OPERATOR",
	    "ACTION", "CLUSTER", "TARGET", "OUTCOME", "TOOK", "DETAIL");
	for (size_t i = 0; i < t.n; i++)
		if (t.rows[i].start_ms >= since_ms || t.rows[i].end_ms >= since_ms)
			print_row(&t.rows[i]);
	if (t.bad > 0)
		cli_error("%ld line%s of %s %s no record; run: dbdeck audit verify", t.bad,
		    t.bad == 1 ? "" : "s", path, t.bad == 1 ? "is" : "are");
	free(t.rows);
	return DD_EXIT_OK;
}

struct json_out {
	int64_t since_ms;
	long bad;
};

/* The line as written when it is clean text (it is, unless edited), else re-encoded as ASCII. */
static int
print_json_record(const struct dd_audit_record *r, void *ctx)
{
	struct json_out *o = ctx;
	if (r->bad) {
		o->bad++;
		return 0;
	}
	if (r->time_ms < o->since_ms)
		return 0;
	if (dd_text_width_n(r->raw, r->raw_len) >= 0) {
		fwrite(r->raw, 1, r->raw_len, stdout);
		putchar('\n');
		return 0;
	}
	json_t *j = json_loadb(r->raw, r->raw_len, 0, NULL);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(j);
	return 0;
}

static int
print_json(const char *path, int64_t since_ms)
{
	struct json_out o = {.since_ms = since_ms};
	char err[512];
	if (dd_audit_read(path, print_json_record, &o, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return DD_EXIT_FAILED;
	}
	if (o.bad > 0)
		cli_error("%ld line%s of %s %s no record; run: dbdeck audit verify", o.bad,
		    o.bad == 1 ? "" : "s", path, o.bad == 1 ? "is" : "are");
	return DD_EXIT_OK;
}

static int
verify(const char *path)
{
	char err[512];
	long n = 0;
	int rc = dd_audit_verify(path, &n, err, sizeof(err));
	if (rc < 0) {
		cli_error("%s", err);
		return DD_EXIT_FAILED;
	}
	if (rc > 0) {
		cli_error("audit log %s: %s", path, err);
		fprintf(
		    stderr, "dbdeck: %ld record%s before it checked out\n", n, n == 1 ? "" : "s");
		return DD_EXIT_FAILED;
	}
	printf("audit log %s: ok, %ld record%s, chain intact\n", path, n, n == 1 ? "" : "s");
	return DD_EXIT_OK;
}

static bool
utf8_locale(void)
{
	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

struct audit_opts {
	bool json;
	int64_t since_ms; /* -1: none */
};

static int
audit_opt(void *ctx, int val, const char *arg)
{
	struct audit_opts *o = ctx;
	char err[256];

	if (val == 'j') {
		o->json = true;
	} else if (!dd_config_parse_duration(arg, &o->since_ms, err, sizeof(err))) {
		cli_error("--since: %s", err);
		return DD_EXIT_USAGE;
	}
	return DD_EXIT_OK;
}

/* Parses the options into *o and *do_verify. Returns CLI_GO_ON or an exit. */
static int
parse(struct cli *cli, int argc, char **argv, struct audit_opts *o, bool *do_verify)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"since", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "audit",
	    .usage = usage,
	    .opts = opts,
	    .opt = audit_opt,
	    .max_args = 1,
	    .args = "no argument, or verify"};
	char **pos;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, o, &pos, &npos)) != CLI_GO_ON)
		return rc;
	*do_verify = npos == 1 && strcmp(pos[0], "verify") == 0;
	if (npos == 1 && !*do_verify) {
		cli_error("audit: unexpected argument '%s' (see dbdeck audit --help)", pos[0]);
		return DD_EXIT_USAGE;
	}
	if (*do_verify && (o->json || o->since_ms >= 0)) {
		cli_error("audit verify takes no --json or --since");
		return DD_EXIT_USAGE;
	}
	return CLI_GO_ON;
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	struct audit_opts o = {.since_ms = -1};
	bool do_verify = false;
	int rc = parse(cli, argc, argv, &o, &do_verify);
	if (rc != CLI_GO_ON)
		return rc;
	struct dd_config *cfg = NULL;
	if ((rc = cli_config_load(cli, &cfg)) != DD_EXIT_OK)
		return rc;
	const char *path = dd_config_console(cfg)->audit_log;
	if (do_verify) {
		rc = verify(path);
	} else if (access(path, F_OK) != 0) {
		fprintf(
		    stderr, "dbdeck: audit log %s does not exist: no action recorded yet\n", path);
		rc = DD_EXIT_OK;
	} else {
		int64_t since_ms =
		    o.since_ms < 0 ? INT64_MIN : (int64_t)time(NULL) * 1000 - o.since_ms;
		rc = o.json ? print_json(path, since_ms)
		            : print_table(path, since_ms, cli->ascii || !utf8_locale());
	}
	dd_config_free(cfg);
	return rc;
}
