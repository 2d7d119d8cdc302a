/*
 * cmd_serve.c: `dbdeck [-c FILE] serve [--listen ADDR:PORT]`, the headless
 * front end (docs/serve.md). Builds the same core and monitor as the
 * console, starts the HTTP server (core/serve, dbdeck/serve.h) and runs one
 * loop in the main thread: after every snapshot it renders the documents the
 * server hands out (so no HTTP handler ever waits on a database); SIGTERM
 * and SIGINT drain and exit 0; SIGHUP reloads the configuration.
 *
 * Signals are blocked in every thread before any is started and taken
 * through a signalfd in the loop: no work runs in a signal handler.
 *
 * Reload: the new file is loaded and checked; one with errors (or whose
 * credentials are not in the vault, or whose core cannot be built) is
 * refused, logged, and the old one keeps serving. Otherwise the monitor is
 * stopped, a new core is built from the file that takes over every cluster
 * configured the same as before with its pools, connections and router
 * (dd_core_new_adopting), a new monitor starts over it, and what is left
 * of the old core (clusters changed or removed) is shut down. Until the
 * new monitor's first round is done
 * (10 s at most) the last rendering of the old one keeps being served, so
 * that nodes do not show as down while they are first probed. The listening
 * socket stays; changes to
 * [serve] itself take effect at the next start (logged). The vault opened
 * at start stays open: entries added to the vault file later need a restart.
 *
 * Log: one line per event on stderr, "TIME dbdeck serve: MESSAGE", no
 * colours; requests themselves are not logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "cli_core.h"
#include "dbdeck/failover.h"
#include "dbdeck/monitor.h"
#include "dbdeck/serve.h"
#include "dbdeck/util.h"
#include "dbdeck/vault.h"

#define PEM_MAX          (1024 * 1024)
#define BACKUPS_EVERY_NS INT64_C(10000000000) /* re-read backup_dir every 10 s */
#define DRAIN_MS         2000
#define SETTLE_NS        INT64_C(10000000000) /* a reloaded core's first round: 10 s at most */

struct serve_run {
	const struct cli *cli;
	struct cli_core cc;               /* cfg, vault, core: the live ones */
	struct dd_core_options core_opts; /* pools_cold: serve runs no statements of its own */
	struct dd_monitor *mon;
	struct dd_serve *sv;
	struct dd_status_backup *backups;
	int n_backups;
	int64_t backups_at_ns;
	int64_t settle_until_ns; /* after a reload: keep the old rendering until then */
	bool ready;
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: dbdeck serve [--listen ADDR:PORT] [-c FILE] [--passphrase-file F]\n"
	             "Runs headless in the foreground and answers HTTP: /metrics (Prometheus),\n"
	             "/health, /status, /livez, /readyz and the load-balancer checks\n"
	             "/cluster/C/primary/N and /cluster/C/replica/N (docs/serve.md).\n"
	             "  --listen ADDR:PORT  overrides [serve] listen (default 127.0.0.1:9731)\n"
	             "SIGHUP reloads the configuration; SIGTERM or SIGINT drain and exit 0.\n"
	             "Exit codes: 0 stopped by a signal, 1 failed (e.g. the address is in use),\n"
	             "2 usage, 3 configuration error, 4 vault error.\n");
}

static void
log_line(void *ctx, const char *line)
{
	char at[40];

	(void)ctx;
	dd_iso_time_ms(dd_now_wall_ms(), at, sizeof(at));
	fprintf(stderr, "%s dbdeck serve: %s\n", at, line);
	fflush(stderr);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
logf_(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(NULL, line);
}

/* ---- start ---- */

/* A PEM file into secure memory (a private key may be in it). NULL with the reason in err. */
static char *
read_pem(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	if (fd < 0 || (buf = sodium_malloc(PEM_MAX + 1)) == NULL)
		goto fail;
	while (n < PEM_MAX && (r = read(fd, buf + n, PEM_MAX - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		n += (size_t)r;
	}
	buf[n] = '\0';
	close(fd);
	return buf;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOMEM));
	if (fd >= 0)
		close(fd);
	if (buf)
		sodium_free(buf);
	return NULL;
}

/* The server of [serve] (listen overridden by --listen); exit code. */
static int
start_server(struct serve_run *r, const char *listen)
{
	const struct dd_serve_config *sc = dd_config_serve(r->cc.cfg);
	struct dd_serve_options o = {
	    .listen = listen ? listen : sc->listen,
	    .max_connections = sc->max_connections,
	    .per_ip_connection_limit = sc->per_ip_connection_limit,
	    .connection_timeout_ms = sc->connection_timeout_ms,
	    .log = log_line,
	};
	char err[400];
	char *cert = NULL, *key = NULL;
	int rc = DD_EXIT_FAILED;

	if (sc->auth_credential) {
		const struct dd_credential *c = dd_vault_get(r->cc.vault, sc->auth_credential);
		if (c == NULL) {
			cli_error("[serve] auth_credential '%s' is not in the vault (add it with: "
			          "dbdeck vault set %s)",
			    sc->auth_credential, sc->auth_credential);
			return DD_EXIT_CONFIG;
		}
		o.auth_user = c->user;
		o.auth_password = c->password;
	}
	if (sc->tls_cert && (!(cert = read_pem(sc->tls_cert, err, sizeof(err))) ||
	                        !(key = read_pem(sc->tls_key, err, sizeof(err))))) {
		cli_error("[serve] TLS: %s", err);
		rc = DD_EXIT_CONFIG;
		goto out;
	}
	o.tls_cert_pem = cert;
	o.tls_key_pem = key;
	r->sv = dd_serve_new(&o, err, sizeof(err));
	if (r->sv == NULL) {
		cli_error("%s", err);
		goto out;
	}
	logf_("listening on %s (%s, %s)", o.listen, cert ? "https" : "http",
	    o.auth_user ? "HTTP Basic auth" : "no auth");
	rc = DD_EXIT_OK;
out:
	if (cert)
		sodium_free(cert);
	if (key)
		sodium_free(key);
	return rc;
}

static struct dd_monitor *
monitor_new(struct dd_core *core, char *err, size_t errlen)
{
	struct dd_monitor_options mo;

	dd_monitor_options_default(&mo);
	mo.read_only = true; /* serve starts no action */
	return dd_monitor_new(core, &mo, err, errlen);
}

/* ---- the loop ---- */

/* Ready: every cluster's topology known and no node still unknown. */
static bool
round_done(const struct dd_snapshot *s)
{
	for (int i = 0; i < s->n_clusters; i++)
		if (!s->clusters[i].topology_known)
			return false;
	for (int i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].state == DD_NODE_UNKNOWN)
			return false;
	return true;
}

static void
refresh_backups(struct serve_run *r, const struct dd_snapshot *s)
{
	int64_t now = dd_now_mono_ns();

	if (r->backups && r->n_backups == s->n_clusters &&
	    now - r->backups_at_ns < BACKUPS_EVERY_NS)
		return;
	free(r->backups);
	r->backups = xcalloc(s->n_clusters ? (size_t)s->n_clusters : 1, sizeof(*r->backups));
	r->n_backups = s->n_clusters;
	r->backups_at_ns = now;
	dd_status_backups_read(r->cc.cfg, s, r->backups);
}

static void
publish(struct serve_run *r)
{
	const struct dd_snapshot *s;

	dd_monitor_ack(r->mon);
	s = dd_monitor_current(r->mon);
	if (s == NULL)
		return;
	/*
	 * After a reload the new monitor's first snapshots show nodes not probed
	 * yet: keep serving the old rendering until its first round is done.
	 */
	if (r->settle_until_ns) {
		if (!round_done(s) && dd_now_mono_ns() < r->settle_until_ns) {
			dd_snapshot_unref(s);
			return;
		}
		r->settle_until_ns = 0;
	}
	refresh_backups(r, s);
	if (!r->ready && round_done(s))
		r->ready = true;
	dd_serve_publish(r->sv, r->cc.core, s, r->backups, r->ready);
	dd_snapshot_unref(s);
}

static bool
vault_has(void *ctx, const char *name)
{
	return dd_vault_has(ctx, name);
}

/* Whether the [serve] keys differ (they take effect at the next start). */
static bool
serve_changed(const struct dd_serve_config *a, const struct dd_serve_config *b)
{
	const char *sa[] = {a->listen, a->tls_cert, a->tls_key, a->auth_credential};
	const char *sb[] = {b->listen, b->tls_cert, b->tls_key, b->auth_credential};

	for (size_t i = 0; i < 4; i++)
		if ((sa[i] == NULL) != (sb[i] == NULL) || (sa[i] && strcmp(sa[i], sb[i]) != 0))
			return true;
	return a->max_connections != b->max_connections ||
	       a->per_ip_connection_limit != b->per_ip_connection_limit ||
	       a->connection_timeout_ms != b->connection_timeout_ms;
}

/* Clusters of cfg configured as in the running one (their pools are kept). */
static size_t
count_kept(const struct serve_run *r, const struct dd_config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < dd_config_cluster_count(cfg); i++)
		n += dd_config_cluster_same(r->cc.cfg, cfg, dd_config_cluster(cfg, i)->name);
	return n;
}

/*
 * A new core from cfg that takes the unchanged clusters over from the
 * running one, and its monitor. The running monitor is stopped first (the
 * clusters it reads may move); when the new core cannot be built, it is
 * started again over the old core and false returned (reason logged).
 */
static bool
build(struct serve_run *r, struct dd_config *cfg, struct dd_core **core)
{
	char err[512];

	dd_monitor_free(r->mon);
	r->mon = NULL;
	*core = dd_core_new_adopting(
	    cfg, r->cc.core, cli_vault_credential, r->cc.vault, &r->core_opts, err, sizeof(err));
	if (*core == NULL) {
		logf_("reload refused: %s", err);
		r->mon = monitor_new(r->cc.core, err, sizeof(err));
		return false;
	}
	return true;
}

static bool
credentials_ok(struct serve_run *r, struct dd_config *cfg)
{
	struct dd_diags *diags = dd_diags_new();
	bool ok = dd_config_check_credentials(cfg, vault_has, r->cc.vault, diags) == 0;

	if (!ok) {
		dd_diags_print(diags, stderr);
		logf_("reload refused: credentials missing from the vault");
	}
	dd_diags_free(diags);
	return ok;
}

/* A reload refused: logged and counted; the old configuration keeps serving. */
static void
refuse(struct serve_run *r, struct dd_config *cfg)
{
	if (cfg == NULL)
		logf_("reload refused: the configuration has errors (above); the old one keeps "
		      "serving");
	dd_config_free(cfg);
	dd_serve_note_reload(r->sv, false);
}

/* Returns false when serve cannot go on (no monitor could be started). */
static bool
reload(struct serve_run *r)
{
	struct dd_config *cfg = NULL;
	struct dd_core *core;
	char err[256];
	size_t kept;

	logf_("SIGHUP: reloading the configuration");
	if (cli_config_load(r->cli, &cfg) != DD_EXIT_OK || !credentials_ok(r, cfg)) {
		refuse(r, cfg);
		return true;
	}
	kept = count_kept(r, cfg);
	if (!build(r, cfg, &core)) {
		refuse(r, cfg);
		return r->mon != NULL;
	}
	if (serve_changed(dd_config_serve(r->cc.cfg), dd_config_serve(cfg)))
		logf_("[serve] changed: it takes effect at the next start");
	dd_fo_note_promotions(core, dd_config_console(cfg)->audit_log);
	r->mon = monitor_new(core, err, sizeof(err));
	/* what is left of the old core: the clusters that changed or went away */
	dd_core_shutdown(r->cc.core, dd_now_mono_ns() + (int64_t)DRAIN_MS * 1000000);
	dd_core_free(r->cc.core);
	dd_config_free(r->cc.cfg);
	r->cc.cfg = cfg;
	r->cc.core = core;
	if (r->mon == NULL) {
		logf_("monitor: %s", err);
		return false;
	}
	r->backups_at_ns = 0; /* re-read for the new clusters */
	r->settle_until_ns = dd_now_mono_ns() + SETTLE_NS;
	logf_("reloaded: %zu cluster(s), %zu of them unchanged (their pools kept)",
	    dd_config_cluster_count(cfg), kept);
	dd_serve_note_reload(r->sv, true);
	return true;
}

/* Runs until SIGTERM or SIGINT; returns the exit code. */
static int
loop(struct serve_run *r, int sigfd)
{
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = dd_monitor_wake_fd(r->mon), .events = POLLIN},
		};
		struct signalfd_siginfo si;

		if (poll(p, 2, 1000) < 0 && errno != EINTR) {
			logf_("poll: %s", strerror(errno));
			return DD_EXIT_FAILED;
		}
		if (p[1].revents & POLLIN)
			publish(r);
		if (!(p[0].revents & POLLIN) || read(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			if (!reload(r))
				return DD_EXIT_FAILED;
			continue;
		}
		logf_("%s: draining and stopping", strsignal((int)si.ssi_signo));
		return DD_EXIT_OK;
	}
}

static int
run(struct serve_run *r, const char *listen, int sigfd)
{
	char err[256];
	int rc;

	r->mon = monitor_new(r->cc.core, err, sizeof(err));
	if (r->mon == NULL) {
		cli_error("monitor: %s", err);
		return DD_EXIT_FAILED;
	}
	rc = start_server(r, listen);
	if (rc == DD_EXIT_OK)
		rc = loop(r, sigfd);
	dd_serve_stop(r->sv, dd_now_mono_ns() + (int64_t)DRAIN_MS * 1000000);
	dd_monitor_free(r->mon);
	r->mon = NULL;
	return rc;
}

enum { OPT_LISTEN = 0x200 };

static int
serve_opt(void *ctx, int val, const char *arg)
{
	if (val == OPT_LISTEN)
		*(const char **)ctx = arg;
	return DD_EXIT_OK;
}

/* Parses the options; returns -1 to go on, else the exit code. */
static int
parse(struct cli *cli, int argc, char **argv, const char **listen)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {NULL, 0, NULL, 0},
	};
	static const struct cli_syntax syn = {.name = "serve",
	    .usage = usage,
	    .opts = opts,
	    .opt = serve_opt,
	    .min_args = 0,
	    .max_args = 0,
	    .args = "no arguments"};
	struct sockaddr_storage a;
	socklen_t alen;
	char err[200], **pos;
	int npos, rc;

	if ((rc = cli_parse(cli, argc, argv, &syn, listen, &pos, &npos)) != CLI_GO_ON)
		return rc;
	/* checked after the argument count, as before the conversion */
	if (*listen && dd_config_parse_listen(*listen, &a, &alen, err, sizeof(err)) != 0) {
		cli_error("--listen: %s", err);
		return DD_EXIT_USAGE;
	}
	return -1;
}

int
cmd_serve(struct cli *cli, int argc, char **argv)
{
	struct serve_run r = {.cli = cli, .core_opts = {.pools_cold = true}};
	struct dd_config *cfg = NULL;
	const char *listen = NULL;
	sigset_t set, old;
	int rc = parse(cli, argc, argv, &listen), sigfd;

	if (rc >= 0)
		return rc;
	/* before any thread starts: every thread inherits the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		cli_error("signalfd: %s", strerror(errno));
		return DD_EXIT_FAILED;
	}
	if ((rc = cli_config_load(cli, &cfg)) == DD_EXIT_OK &&
	    (rc = cli_core_open(cli, cfg, &r.core_opts, isatty(STDIN_FILENO), &r.cc)) ==
	        DD_EXIT_OK) {
		rc = run(&r, listen, sigfd);
		cli_core_close(&r.cc, DRAIN_MS);
	}
	dd_serve_free(r.sv);
	free(r.backups);
	close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == DD_EXIT_OK)
		logf_("stopped");
	return rc;
}
