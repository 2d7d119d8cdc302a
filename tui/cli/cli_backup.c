/*
 * cli_backup.c: the shared part of the backup commands (cli_backup.h). The
 * vault stays open for the whole command: the credential and the backup
 * key are read from its secure memory when a tool starts. Progress goes to
 * stderr as one rewritten line only when stderr is a terminal; log lines
 * (steps, the tools' sanitized stderr) go to stderr always.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_backup.h"
#include "cli_core.h"
#include "cli_vault.h"
#include "dbdeck/util.h"
#include "dbdeck/audit.h"
#include "dbdeck/core.h"
#include "dbdeck/jobs.h"
#include "dbdeck/monitor.h"
#include "dbdeck/vault.h"
#include "fmt.h"

#define ROUND_BUDGET_NS INT64_C(8000000000)

static atomic_int *cancel_flag;

static void
on_signal(int sig)
{
	if (cancel_flag)
		atomic_store(cancel_flag, sig);
}

void
cli_bk_signals(struct cli_bk *b)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	cancel_flag = &b->cancel;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL); /* a file size limit is an error (EFBIG), not a death */
}

int
cli_bk_exit(int rc)
{
	switch (rc) {
	case DD_BACKUP_OK: return DD_EXIT_OK;
	case DD_BACKUP_REFUSED: return DD_EXIT_REFUSED;
	default: return DD_EXIT_FAILED;
	}
}

const char *
cli_bk_time(int64_t wall_ms, char *buf, size_t len)
{
	return fmt_utc(buf, len, wall_ms, 1);
}

json_t *
cli_bk_json_time(int64_t wall_ms)
{
	char buf[40];

	if (wall_ms <= 0)
		return json_null();
	dd_iso_time_ms(wall_ms, buf, sizeof(buf));
	return json_string(buf);
}

/* ---- hooks ---------------------------------------------------------------------- */

void
cli_bk_clear_bar(struct cli_bk *b)
{
	if (b->bar_shown)
		fputs("\r\033[K", stderr);
	b->bar_shown = false;
}

static void
log_line(void *ctx, const char *line)
{
	struct cli_bk *b = ctx;

	cli_bk_clear_bar(b);
	fprintf(stderr, "  %s\n", line);
}

static void
progress(void *ctx, const struct dd_backup_progress *p)
{
	struct cli_bk *b = ctx;
	char done[16], rate[16], eta[16] = "";
	double secs = (double)p->elapsed_ns / 1e9;
	double bps = secs > 0 ? (double)p->done / secs : 0;

	if (!b->tty)
		return;
	fmt_bytes(done, sizeof(done), (int64_t)p->done);
	fmt_bytes(rate, sizeof(rate), (int64_t)bps);
	fprintf(stderr, "\r\033[K%s %s  %s/s", b->what ? b->what : "", done, rate);
	if (p->total > 0) {
		double f = (double)p->done / (double)p->total;
		if (f > 0.99)
			f = 0.99; /* the size is the server's estimate: never claim 100 % early */
		if (bps > 0 && p->done < p->total)
			fmt_secs(eta, sizeof(eta), (double)(p->total - p->done) / bps);
		fprintf(stderr, "  %3.0f%%%s%s", f * 100, eta[0] ? "  ETA " : "", eta);
	}
	fflush(stderr);
	b->bar_shown = true;
}

/* ---- opening ------------------------------------------------------------------- */

static int
open_secrets(struct cli_bk *b)
{
	const char *vault_path =
	    dd_config_console_has(b->cfg, "vault") ? dd_config_console(b->cfg)->vault : NULL;
	const char *cred = dd_backup_credential_name(b->cluster);
	int rc = cli_vault_open(b->cli, vault_path, isatty(STDIN_FILENO), &b->vault);

	if (rc != DD_EXIT_OK)
		return rc;
	const struct dd_credential *c = dd_vault_get(b->vault, cred);
	if (!c) {
		cli_error("credential '%s' is not in the vault (add it with: dbdeck vault set %s)",
		    cred, cred);
		return DD_EXIT_VAULT;
	}
	b->ctx.user = c->user;
	b->ctx.password = c->password;
	if (!b->cluster->backup_key)
		return DD_EXIT_OK;
	const struct dd_credential *k = dd_vault_get(b->vault, b->cluster->backup_key);
	if (!k || !k->password[0]) {
		cli_error(
		    "backup_key '%s' is not in the vault (or has an empty password): add it with "
		    "dbdeck vault set %s",
		    b->cluster->backup_key, b->cluster->backup_key);
		return DD_EXIT_VAULT;
	}
	b->ctx.key_secret = k->password;
	b->ctx.key_len = strlen(k->password);
	return DD_EXIT_OK;
}

static int
open_audit(struct cli_bk *b)
{
	const char *path = dd_config_console(b->cfg)->audit_log;
	char err[512];

	if (dd_audit_open(&b->audit, path, err, sizeof(err)) != 0) {
		cli_error("not started: the audit log cannot be opened: %s", err);
		return DD_EXIT_FAILED;
	}
	b->ctx.audit = b->audit;
	return DD_EXIT_OK;
}

int
cli_bk_open(const struct cli *cli, const char *cluster, unsigned needs, const char *action,
    struct cli_bk *b)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->cli = cli;
	b->tty = isatty(STDERR_FILENO);
	if ((rc = cli_config_load(cli, &b->cfg)) != DD_EXIT_OK)
		return rc;
	if (!(b->cluster = dd_config_find_cluster(b->cfg, cluster))) {
		cli_error("no cluster named '%s' in %s", cluster, dd_config_path(b->cfg));
		return DD_EXIT_USAGE;
	}
	if (action && (cli->read_only || dd_config_console(b->cfg)->read_only)) {
		cli_error("refused: %s is an action and this console is read-only (%s)", action,
		    cli->read_only ? "--read-only" : "[console] read_only = true");
		return DD_EXIT_REFUSED;
	}
	b->ctx.cluster = b->cluster;
	b->ctx.hooks = (struct dd_backup_hooks){
	    .log = log_line, .progress = progress, .ctx = b, .cancel = &b->cancel};
	if ((needs & CLI_BK_VAULT) && (rc = open_secrets(b)) != DD_EXIT_OK)
		return rc;
	if ((needs & CLI_BK_AUDIT) && (rc = open_audit(b)) != DD_EXIT_OK)
		return rc;
	return DD_EXIT_OK;
}

int
cli_bk_find(const struct cli_bk *b, const char *which, char id[16])
{
	struct dd_backup_list l;
	char err[512];
	int rc = DD_EXIT_OK;

	if (dd_backup_list(b->cluster, &l, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return DD_EXIT_FAILED;
	}
	const struct dd_backup_entry *e = dd_backup_find(&l, which, err, sizeof(err));
	if (e) {
		snprintf(id, 16, "%s", e->id);
	} else {
		cli_error("%s", err);
		rc = DD_EXIT_USAGE;
	}
	dd_backup_list_free(&l);
	return rc;
}

int
cli_bk_job(struct cli_bk *b, struct dd_backup_job *a, char *err, size_t errlen)
{
	struct dd_jobs_options o = {.max_running = 1};
	struct dd_job_status *st;
	struct dd_job *job;
	int rc;

	if (!b->runner && !(b->runner = dd_jobs_new(&o, err, errlen)))
		return DD_BACKUP_FAILED;
	a->ctx = b->ctx;
	if (dd_backup_submit(b->runner, a, NULL, &job, err, errlen) != DD_JOBS_OK)
		return DD_BACKUP_FAILED;
	dd_job_wait(job, 0);
	st = xmalloc(sizeof(*st));
	dd_job_read(job, st);
	rc = dd_backup_job_rc(st->outcome);
	snprintf(err, errlen, "%s", st->text);
	free(st);
	dd_job_unref(job);
	return rc;
}

void
cli_bk_close(struct cli_bk *b)
{
	cli_bk_clear_bar(b);
	dd_jobs_free(b->runner);
	dd_audit_close(b->audit);
	dd_vault_close(b->vault);
	dd_config_free(b->cfg);
	cancel_flag = NULL;
	memset(b, 0, sizeof(*b));
}

/* ---- one monitor round ----------------------------------------------------------- */

/* dd_credential_fn over the vault: user and password stay in its secure memory. */
static int
vault_credential(void *ctx, const char *name, const char **user, const char **password)
{
	const struct dd_credential *c = dd_vault_get(ctx, name);

	if (!c)
		return -1;
	*user = c->user;
	*password = c->password;
	return 0;
}

static const struct dd_node_config *
choose(struct cli_bk *b, const struct dd_snapshot *s, char *why, size_t len)
{
	int i = dd_backup_choose_source(s, b->cluster->name, b->cluster->lag_max_ms, why, len);

	return i < 0 ? NULL : dd_config_find_node(b->cfg, s->nodes[i].name);
}

const struct dd_node_config *
cli_bk_pick_node(struct cli_bk *b, char *why, size_t whylen)
{
	struct dd_core_options co;
	struct dd_monitor_options mo;
	const struct dd_node_config *n = NULL;
	char err[512];

	dd_core_options_default(&co);
	co.only_cluster = b->cluster->name;
	struct dd_core *core =
	    dd_core_new_with(b->cfg, vault_credential, b->vault, &co, err, sizeof(err));
	if (!core) {
		cli_error("%s", err);
		return NULL;
	}
	dd_monitor_options_default(&mo);
	mo.oneshot = true;
	struct dd_monitor *m = dd_monitor_new(core, &mo, err, sizeof(err));
	if (m) {
		dd_monitor_refresh_now(m, dd_now_mono_ns() + ROUND_BUDGET_NS);
		const struct dd_snapshot *s = dd_monitor_current(m);
		if (s && s->n_clusters == 1 && !(n = choose(b, s, why, whylen)))
			cli_error("%s", why);
		dd_snapshot_unref(s);
		dd_monitor_free(m);
	} else {
		cli_error("%s", err);
	}
	dd_core_shutdown(core, dd_now_mono_ns() + INT64_C(2000000000));
	dd_core_free(core);
	return n;
}
