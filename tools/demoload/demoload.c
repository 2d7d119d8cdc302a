/*
 * demoload.c: the load behind `make demo` (tools/demo.sh), an application on
 * libdbdeck. It builds a dd_core from a dbdeck config and its vault, like any
 * program linking the library (docs/pool.md), and runs the demo shop
 * (shop.h) on every cluster of the config:
 *
 *   - a few worker threads per cluster, each a stream of customer requests
 *     (reads on the replicas, writes and small transactions on the
 *     primary), all through the router and the pools. Paced on the client
 *     by an absolute schedule: no statement sleeps on the server, so the
 *     ordinary statements never count as slow queries;
 *   - one thread per cluster that runs a deliberately slow report (the
 *     server sleeps a few seconds) every --slow-every seconds and keeps the
 *     table small.
 *
 * Why that rate of slow reports: the monitor's slow_queries rule
 * (core/alerts/alerts.c, rule_slow) counts, per cluster, the new statements
 * seen running past slow_query within the last minute, and raises a warning
 * above alert_slow_rate (20 by default). A MariaDB statement may be counted
 * once per refresh round it is seen in (its start time is recomputed from
 * TIME_MS each round), so a 3 s report can count 3 times at the demo's 1 s
 * refresh. One report every 20 s per cluster is then at most 9 a minute on
 * MariaDB and 3 on PostgreSQL, well below 20.
 *
 * It stops cleanly after --seconds or on SIGTERM, SIGINT or SIGHUP (those two
 * only when not ignored, as under nohup): the workers finish their request,
 * the core drains its pools, and it exits 0.
 * Every 10 s it prints what it did and its pools' figures on stdout.
 *
 * usage: demoload [OPTIONS] CONFIG PASSPHRASE_FILE
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbdeck/clock.h"
#include "dbdeck/core.h"
#include "dbdeck/text.h"
#include "dbdeck/vault.h"
#include "shop.h"

#define NS_PER_S       INT64_C(1000000000)
#define APP_NAME       "demo-shop" /* application_name on PostgreSQL */
#define REPORT_EVERY_S 10
#define KEEP_ORDERS    20000
#define MAX_CLUSTERS   16

struct options {
	long seconds, threads, rate, slow_every, slow_secs;
	const char *config, *passfile;
};

struct load; /* one cluster's */

struct worker {
	struct load *load;
	pthread_t tid;
	int64_t period_ns, offset_ns;
};

struct load {
	const char *name; /* borrowed from the core */
	struct shop *shop;
	struct worker *workers;
	long n_workers;
	struct worker reporter; /* the slow reports and housekeeping */
	bool started;
	int tries; /* failed prepares */
	struct dd_cluster *cl;
	uint64_t last[5]; /* the counters at the previous report */
};

/* The stop flag, and a condition on the monotonic clock the threads wait on. */
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv;
static bool stopping;
static struct options opt;

static int64_t
now_ns(void)
{
	return dd_clock_default()->mono_ns(NULL);
}

/* Sleeps until the monotonic time at; false when the load is stopping. */
static bool
wait_until(int64_t at)
{
	struct timespec ts = {.tv_sec = at / NS_PER_S, .tv_nsec = at % NS_PER_S};
	bool stop;

	pthread_mutex_lock(&stop_mu);
	while (!stopping && now_ns() < at)
		if (pthread_cond_timedwait(&stop_cv, &stop_mu, &ts) == ETIMEDOUT)
			break;
	stop = stopping;
	pthread_mutex_unlock(&stop_mu);
	return !stop;
}

static void
stop_all(void)
{
	pthread_mutex_lock(&stop_mu);
	stopping = true;
	pthread_cond_broadcast(&stop_cv);
	pthread_mutex_unlock(&stop_mu);
}

/* A stream of requests on an absolute schedule; it never bursts to catch up. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dd_session *ss = dd_session_new();
	int64_t next = now_ns() + w->offset_ns;

	while (wait_until(next)) {
		shop_request(w->load->shop, ss);
		next += w->period_ns;
		if (next < now_ns() - NS_PER_S)
			next = now_ns();
	}
	dd_session_free(ss);
	return NULL;
}

/* The slow report every period, then housekeeping. */
static void *
reporter_main(void *arg)
{
	struct worker *w = arg;
	int64_t next = now_ns() + w->offset_ns;

	while (wait_until(next)) {
		shop_slow_report(w->load->shop, (int)opt.slow_secs);
		shop_prune(w->load->shop, KEEP_ORDERS);
		next += w->period_ns;
		if (next < now_ns())
			next = now_ns() + w->period_ns;
	}
	return NULL;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: demoload [OPTIONS] CONFIG PASSPHRASE_FILE\n"
	             "\n"
	             "The demo's application: orders taken, read and paid on every cluster of\n"
	             "CONFIG through libdbdeck's router and pools, with the credentials of the\n"
	             "config's vault (opened with the passphrase in PASSPHRASE_FILE).\n"
	             "\n"
	             "  --seconds N      stop after N seconds (default 3600)\n"
	             "  --threads N      worker threads per cluster (default 3)\n"
	             "  --rate N         requests per second per cluster (default 15)\n"
	             "  --slow-every N   a deliberately slow report every N seconds per cluster\n"
	             "                   (default 20; 0: none)\n"
	             "  --slow-for N     how long the report sleeps on the server (default 3)\n"
	             "\n"
	             "SIGTERM, SIGINT or SIGHUP (unless ignored, as under nohup) stop it\n"
	             "cleanly. Exit codes: 0 ok, 1 failed, 2 usage, 3 config, 4 vault.\n");
}

/* Parses option name's value s into *out; false (with a message) unless it is in lo..hi. */
static bool
number(const char *name, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(
		    stderr, "demoload: --%s: '%s' is not a number in %ld..%ld\n", name, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"threads", required_argument, NULL, 't'},
	    {"rate", required_argument, NULL, 'r'},
	    {"slow-every", required_argument, NULL, 'e'},
	    {"slow-for", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	bool ok = true;

	opt = (struct options){
	    .seconds = 3600, .threads = 3, .rate = 15, .slow_every = 20, .slow_secs = 3};
	while (ok && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': ok = number("seconds", optarg, 1, 7 * 86400, &opt.seconds); break;
		case 't': ok = number("threads", optarg, 1, 64, &opt.threads); break;
		case 'r': ok = number("rate", optarg, 1, 10000, &opt.rate); break;
		case 'e': ok = number("slow-every", optarg, 0, 86400, &opt.slow_every); break;
		case 'f': ok = number("slow-for", optarg, 1, 60, &opt.slow_secs); break;
		case 'h': usage(stdout); exit(0);
		default: ok = false;
		}
	}
	if (ok && argc - optind != 2) {
		fprintf(stderr, "demoload: CONFIG and PASSPHRASE_FILE are needed\n");
		ok = false;
	}
	if (!ok) {
		fprintf(stderr,
		    "usage: demoload [OPTIONS] CONFIG PASSPHRASE_FILE (--help lists them)\n");
		return 2;
	}
	opt.config = argv[optind];
	opt.passfile = argv[optind + 1];
	return 0;
}

/* The passphrase file's first line, in secure memory (sodium_free), or NULL. */
static char *
read_passphrase(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *p = sodium_malloc(1024);

	if (f == NULL || p == NULL || fgets(p, 1024, f) == NULL) {
		fprintf(stderr, "demoload: cannot read the passphrase from %s\n", path);
		sodium_free(p);
		p = NULL;
	} else {
		p[strcspn(p, "\r\n")] = '\0';
		*len = strlen(p);
	}
	if (f)
		fclose(f);
	return p;
}

/* dd_credential_fn over the vault: user and password stay in its secure memory. */
static int
vault_credential(void *ctx, const char *name, const char **user, const char **password)
{
	const struct dd_credential *c = dd_vault_get(ctx, name);

	if (c == NULL)
		return -1;
	*user = c->user;
	*password = c->password;
	return 0;
}

/* Prints what each cluster's load did since the last report, and its pools. */
static void
report(struct load *loads, size_t n, int64_t secs)
{
	char line[1024], why[300], clean[300];

	for (size_t i = 0; i < n; i++) {
		struct load *l = &loads[i];
		struct shop_counts *c = shop_counts(l->shop);
		uint64_t now[5] = {c->reads, c->writes, c->txns, c->slow, c->errors};
		int len;

		if (!l->started)
			continue;
		len = snprintf(line, sizeof(line),
		    "%s: %llu reads, %llu writes, %llu transactions, %llu slow reports, %llu errors"
		    " in %llds; pools (active/idle):",
		    l->name, (unsigned long long)(now[0] - l->last[0]),
		    (unsigned long long)(now[1] - l->last[1]),
		    (unsigned long long)(now[2] - l->last[2]),
		    (unsigned long long)(now[3] - l->last[3]),
		    (unsigned long long)(now[4] - l->last[4]), (long long)secs);
		for (size_t k = 0; k < dd_cluster_node_count(l->cl) && len < (int)sizeof(line);
		     k++) {
			struct dd_pool *p = dd_cluster_pool(l->cl, k);
			struct dd_pool_stats st;

			dd_pool_stats(p, &st);
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %d/%d",
			    dd_pool_name(p), st.active, st.idle);
		}
		printf("demoload: %s\n", line);
		memcpy(l->last, now, sizeof(now));
		shop_take_error(l->shop, why, sizeof(why));
		if (why[0]) {
			dd_text_sanitize(clean, sizeof(clean), why, strlen(why), 200, DD_TEXT_UTF8);
			printf("demoload: %s: last error: %s\n", l->name, clean);
		}
	}
	fflush(stdout);
}

/* Waits up to ms for a stop signal; true when one came. */
static bool
signalled(const sigset_t *set, int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	int sig = sigtimedwait(set, NULL, &ts);

	if (sig > 0) {
		printf("demoload: %s, stopping\n", strsignal(sig));
		return true;
	}
	return false;
}

static void
launch(struct load *l, size_t index, size_t n_clusters)
{
	int64_t period = NS_PER_S * opt.threads / opt.rate;

	l->workers = calloc((size_t)opt.threads, sizeof(*l->workers));
	if (l->workers == NULL)
		abort();
	for (long i = 0; i < opt.threads; i++) {
		struct worker *w = &l->workers[i];
		*w = (struct worker){
		    .load = l, .period_ns = period, .offset_ns = period * i / opt.threads};
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			break;
		l->n_workers++;
	}
	if (opt.slow_every > 0) {
		/* The clusters' reports take turns: one every slow_every / n_clusters seconds. */
		l->reporter = (struct worker){.load = l,
		    .period_ns = opt.slow_every * NS_PER_S,
		    .offset_ns = 5 * NS_PER_S +
		                 opt.slow_every * NS_PER_S * (int64_t)index / (int64_t)n_clusters};
		if (pthread_create(&l->reporter.tid, NULL, reporter_main, &l->reporter) != 0)
			l->reporter.load = NULL;
	}
}

/*
 * Creates the table of each cluster whose load has not started yet and
 * starts those that are ready; the others are tried again at the next call
 * (a cluster still starting, or down). Says every 10th failure.
 */
static void
prepare_pending(struct load *loads, size_t n, size_t *started)
{
	char err[300] = "", clean[300];
	bool all_before = *started == n;

	for (size_t i = 0; i < n; i++) {
		struct load *l = &loads[i];

		if (l->started)
			continue;
		if (shop_prepare(l->shop, err, sizeof(err)) != 0) {
			if (l->tries++ % 10 == 9) {
				dd_text_sanitize(
				    clean, sizeof(clean), err, strlen(err), 200, DD_TEXT_UTF8);
				printf(
				    "demoload: %s: waiting for the cluster: %s\n", l->name, clean);
			}
			continue;
		}
		l->started = true;
		launch(l, (*started)++, n);
		printf("demoload: %s: running, %ld threads, %ld requests/s\n", l->name, opt.threads,
		    opt.rate);
	}
	if (!all_before && *started == n)
		printf("demoload: running on all %zu clusters for %lds\n", n, opt.seconds);
}

static void
join(struct load *l)
{
	for (long i = 0; i < l->n_workers; i++)
		pthread_join(l->workers[i].tid, NULL);
	if (opt.slow_every > 0 && l->reporter.load != NULL)
		pthread_join(l->reporter.tid, NULL);
	free(l->workers);
	shop_free(l->shop);
}

/* Runs the load on every cluster of core until the deadline or a signal. */
static int
run_load(struct dd_core *core, const sigset_t *set)
{
	size_t n = dd_core_cluster_count(core), started = 0;
	int64_t end = now_ns() + opt.seconds * NS_PER_S, last = now_ns();
	struct load loads[MAX_CLUSTERS] = {0};

	if (n > MAX_CLUSTERS) {
		printf("demoload: only the first %d clusters get a load\n", MAX_CLUSTERS);
		n = MAX_CLUSTERS;
	}
	for (size_t i = 0; i < n; i++) {
		struct dd_cluster *cl = dd_core_cluster_at(core, i);
		loads[i].cl = cl;
		loads[i].name = dd_cluster_name(cl);
		loads[i].shop = shop_new(
		    dd_cluster_router(cl), dd_cluster_config(cl)->engine, dd_cluster_name(cl));
	}
	for (;;) {
		prepare_pending(loads, n, &started);
		if (now_ns() >= end || signalled(set, 1000))
			break;
		if (now_ns() - last >= REPORT_EVERY_S * NS_PER_S) {
			report(loads, n, (now_ns() - last) / NS_PER_S);
			last = now_ns();
		}
	}
	if (started == 0)
		printf("demoload: no cluster could be prepared\n");
	stop_all();
	for (size_t i = 0; i < n; i++)
		join(&loads[i]);
	return started > 0 ? 0 : 1;
}

/*
 * The signals that stop the load, for the main thread's sigtimedwait (the
 * other threads inherit the mask): SIGTERM, and SIGINT and SIGHUP unless they
 * are ignored. A blocked signal is queued even when ignored, so waiting for
 * one that nohup (SIGHUP) or a non-interactive shell's `&` (SIGINT) ignores
 * would undo that: tools/demo.sh relies on the load outliving the terminal.
 */
static void
stop_signals(sigset_t *set)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	struct sigaction old;

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i] == SIGTERM || sigaction(sigs[i], NULL, &old) != 0 ||
		    old.sa_handler != SIG_IGN)
			sigaddset(set, sigs[i]);
}

int
main(int argc, char **argv)
{
	struct dd_config *cfg = NULL;
	struct dd_diags *diags = NULL;
	struct dd_vault *vault = NULL;
	struct dd_core *core = NULL;
	struct dd_core_options co;
	pthread_condattr_t ca;
	sigset_t set;
	char err[512], *pass = NULL;
	size_t passlen = 0;
	int rc = parse_args(argc, argv), left;

	if (rc != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&stop_cv, &ca);
	rc = 1;
	if (sodium_init() < 0 || (pass = read_passphrase(opt.passfile, &passlen)) == NULL)
		goto out;
	diags = dd_diags_new();
	if (dd_config_load(opt.config, &cfg, diags) != 0) {
		dd_diags_print(diags, stderr);
		rc = 3;
		goto out;
	}
	if (!dd_config_console_has(cfg, "vault")) {
		fprintf(stderr, "demoload: %s names no vault ([console] vault)\n", opt.config);
		rc = 3;
		goto out;
	}
	if (dd_vault_open(dd_config_console(cfg)->vault, pass, passlen, &vault, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "demoload: %s\n", err);
		rc = 4;
		goto out;
	}
	dd_core_options_default(&co);
	co.application_name = APP_NAME;
	core = dd_core_new_with(cfg, vault_credential, vault, &co, err, sizeof(err));
	if (core == NULL) {
		fprintf(stderr, "demoload: %s\n", err);
		goto out;
	}
	rc = run_load(core, &set);
	left = dd_core_shutdown(core, now_ns() + 10 * NS_PER_S);
	if (left > 0)
		printf("demoload: %d connection(s) still borrowed at shutdown\n", left);
	printf("demoload: stopped\n");
out:
	dd_core_free(core);
	dd_vault_close(vault);
	dd_config_free(cfg);
	dd_diags_free(diags);
	sodium_free(pass);
	return rc;
}
