/*
 * bench_monitor.c: what watching costs (`make bench`, against the harness in
 * $DD_HARNESS_ENV). One process builds the core over both harness clusters
 * (six nodes: pools, routers and their probers) and the monitor at a 1 s
 * refresh, and reads every snapshot it publishes as the console would
 * (wake-up descriptor, take a reference, walk the nodes, drop it). After a
 * warm-up it measures, over DD_BENCH_SECONDS (default 60):
 *   - CPU time of the whole process (getrusage user + sys) as a share of one
 *     core, and the part spent on the monitor's own threads (named "ddmon*",
 *     from /proc/self/task/STAR/stat);
 *   - peak resident memory (ru_maxrss, and VmHWM from /proc/self/status).
 * It prints a small table and `RESULT monitor_cpu_pct_6_nodes <pct>` and
 * `RESULT monitor_rss_mb_6_nodes <MB>`. The harness's servers offer TLS;
 * the nodes are configured `tls = disable`, as in the figures before they
 * did, unless `--tls MODE` (e.g. prefer) says otherwise. Not a test: it never fails on a
 * figure (only when it cannot run at all).
 */
#include <dirent.h>
#include <malloc.h>
#include <stdbool.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dbdeck/core.h"
#include "dbdeck/monitor.h"
#include "dbdeck/util.h"
#include "harness.h"

#define WARMUP_S 5

static struct dd_harness H;
static char *secret;

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of this process's threads whose name starts with prefix (schedstat, ns). */
static double
threads_cpu_s(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double total = 0;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		unsigned long long ns = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				total += (double)ns / 1e9;
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return total;
}

static long
vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int
credential(void *ctx, const char *name, const char **user, const char **password)
{
	(void)ctx;
	(void)name;
	*user = H.user;
	*password = secret;
	return 0;
}

static const char *tls_mode = "disable"; /* --tls MODE */

static struct dd_config *
config(void)
{
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[console]\nrefresh = 1s\n");
	for (int c = 0; c < 2; c++) {
		const char *e = c ? "my" : "pg";
		fprintf(f, "\n[cluster %s]\nengine = %s\nnodes = %s1, %s2, %s3\n", e,
		    c ? "mariadb" : "postgresql", e, e, e);
		fprintf(f, "database = %s\ncredential = harness\n", H.database);
		for (int i = 1; i <= 3; i++) {
			char node[8];
			snprintf(node, sizeof(node), "%s%d", e, i);
			fprintf(f, "\n[node %s]\nhost = %s\nport = %d\ntls = %s\n", node, H.host,
			    dd_harness_port(&H, node), tls_mode);
		}
	}
	fclose(f);
	if (dd_config_load_buffer("bench-monitor.ini", text, len, &cfg, d) != 0) {
		dd_diags_print(d, stderr);
		exit(1);
	}
	free(text);
	dd_diags_free(d);
	return cfg;
}

/* Waits for snapshots until `until` (mono ns) and reads each; returns how many. */
static int
watch(struct dd_monitor *m, int64_t until, int *up)
{
	struct pollfd p = {.fd = m ? dd_monitor_wake_fd(m) : -1, .events = POLLIN};
	int n = 0;

	while (dd_now_mono_ns() < until) {
		int64_t left = (until - dd_now_mono_ns()) / 1000000;
		if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0)
			continue;
		dd_monitor_ack(m);
		const struct dd_snapshot *s = dd_monitor_current(m);
		*up = 0;
		for (int i = 0; s && i < s->n_nodes; i++)
			*up += s->nodes[i].state != DD_NODE_DOWN;
		dd_snapshot_unref(s);
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("DD_BENCH_SECONDS");
	bool core_only = false;
	int seconds = env ? atoi(env) : 60, up = 0, snaps;
	struct dd_config *cfg;
	struct dd_core *core;
	struct dd_monitor *m;
	struct rusage ru;
	double c0, c1, mon0, mon1, wall;
	int64_t t0;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--core-only") == 0)
			core_only = true;
		else if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc)
			tls_mode = argv[++i];
		else
			return fprintf(stderr, "usage: bench_monitor [--core-only] [--tls MODE]\n"),
			       2;
	}
	if (seconds <= 0)
		seconds = 60;
	if (dd_harness_load(&H, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_monitor: no harness: %s\n", err);
		return 1;
	}
	if (sodium_init() < 0 || !(secret = sodium_malloc(512)) ||
	    dd_harness_password(&H, secret, 512, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_monitor: password: %s\n", err);
		return 1;
	}
	cfg = config();
	core = dd_core_new(cfg, credential, NULL, err, sizeof(err));
	m = core && !core_only ? dd_monitor_new(core, NULL, err, sizeof(err)) : NULL;
	if (!core || (!m && !core_only)) {
		fprintf(stderr, "bench_monitor: %s\n", err);
		return 1;
	}
	watch(m, dd_now_mono_ns() + (int64_t)WARMUP_S * 1000000000, &up);
	c0 = cpu_s();
	mon0 = threads_cpu_s("ddmon");
	t0 = dd_now_mono_ns();
	snaps = watch(m, t0 + (int64_t)seconds * 1000000000, &up);
	wall = (double)(dd_now_mono_ns() - t0) / 1e9;
	c1 = cpu_s();
	mon1 = threads_cpu_s("ddmon");
	getrusage(RUSAGE_SELF, &ru);
	double pct = 100.0 * (c1 - c0) / wall, mon_pct = 100.0 * (mon1 - mon0) / wall;
	double rss_mb = (double)ru.ru_maxrss / 1024.0;
	printf("%s: 6 nodes (pg1-3, my1-3), tls = %s, refresh 1 s, %d s measured after %d s "
	       "warm-up\n",
	    core_only ? "core only (pools, routers; no monitor)" : "monitor", tls_mode, seconds,
	    WARMUP_S);
	printf("  %-44s %10d\n", "snapshots read", snaps);
	printf("  %-44s %10d\n", "nodes up at the end", up);
	printf("  %-44s %9.3f%%\n", "CPU, whole process (share of one core)", pct);
	printf("  %-44s %9.3f%%\n", "  of which monitor threads (ddmon*)", mon_pct);
	printf("  %-44s %9.1f MB\n", "peak RSS (ru_maxrss)", rss_mb);
	printf("  %-44s %9.1f MB\n", "peak RSS (VmHWM)", (double)vm_hwm_kb() / 1024.0);
	if (getenv("DD_BENCH_MALLOC_STATS"))
		malloc_stats(); /* per-arena use, on stderr: where the anonymous memory is */
	if (!core_only) {
		printf("RESULT monitor_cpu_pct_6_nodes %.3f\n", pct);
		printf("RESULT monitor_rss_mb_6_nodes %.1f\n", rss_mb);
	}
	dd_monitor_free(m);
	dd_core_free(core);
	dd_config_free(cfg);
	sodium_free(secret);
	return 0;
}
