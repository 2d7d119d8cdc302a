/*
 * writer.c: a continuous writer through libdbdeck's router, for the zero
 * lost writes tests and the switchover benchmark (issue 13).
 *
 *   writer pg|my SECONDS [PROBE_MS]
 *
 * SECONDS 0: until SIGTERM or SIGINT (at most 10 minutes), then the same
 * check and line.
 * Against the harness of $DD_HARNESS_ENV it builds a dd_core over the
 * engine's three nodes (public API only, as an application would), makes
 * table dd_writes(seq) afresh on the primary, and for SECONDS inserts 1, 2, 3, ...
 * as fast as it can through dd_router_exec (intent write), one statement
 * at a time. A sequence number counts as acknowledged only when its INSERT
 * returned success. Meanwhile a test switches the cluster over or fails it
 * over. At the end it reads every seq on the primary of that moment (the
 * new one) and prints one line:
 *
 *   RESULT acked=N failed=F missing=M gap_s=G gap_at_s=T primary=NODE
 *
 * missing counts acknowledged numbers absent from the primary (must be 0);
 * gap_s is the longest time between two acknowledged inserts, gap_at_s when
 * that gap began (seconds since the start). Exit 0 when missing is 0 and
 * the table could be read, 1 otherwise, 2 for a usage or setup error.
 * DD_WRITER_NOCREATE=1: the table is neither dropped nor made (a check
 * that a cluster takes no writes: acked must stay 0).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/router.h"
#include "harness.h"
#include "itlib.h"

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * DROP and CREATE dd_writes on the primary, retried for up to 10 s: on a
 * loaded host the router's first probe round may time out and leave it
 * without a primary for a moment (the benchmark starts a writer right after
 * a switchover).
 */
static int
make_table(struct dd_router *r)
{
	int64_t until = now_ns() + INT64_C(10000000000);

	do {
		if (dd_router_exec(r, NULL, DD_INTENT_WRITE, "DROP TABLE IF EXISTS dd_writes",
		        now_ns() + INT64_C(2000000000), NULL, NULL, NULL) == 0 &&
		    dd_router_exec(r, NULL, DD_INTENT_WRITE,
		        "CREATE TABLE dd_writes (seq bigint PRIMARY KEY)",
		        now_ns() + INT64_C(2000000000), NULL, NULL, NULL) == 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
	} while (now_ns() < until);
	return -1;
}

static struct dd_config *
load(const struct dd_harness *h, const char *eng)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct dd_diags *d = dd_diags_new();
	struct dd_config *cfg = NULL;

	fprintf(f, "[console]\nrefresh = 1s\n\n[cluster w]\nengine = %s\n",
	    strcmp(eng, "pg") == 0 ? "postgresql" : "mariadb");
	fprintf(f, "nodes = %s1, %s2, %s3\ndatabase = %s\ncredential = harness\n", eng, eng, eng,
	    h->database);
	fprintf(f, "pool_size = 2\nmin_idle = 0\nacquire_timeout = 1s\nconnect_timeout = 1s\n"
	           "query_timeout = 2s\nbreaker_threshold = 3\nbreaker_recovery = 1s\n");
	for (int i = 1; i <= 3; i++) {
		char node[8];
		snprintf(node, sizeof(node), "%s%d", eng, i);
		fprintf(f, "\n[node %s]\nhost = %s\nport = %d\n", node, h->host,
		    dd_harness_port(h, node));
	}
	fclose(f);
	if (dd_config_load_buffer("writer.ini", text, len, &cfg, d) != 0) {
		dd_diags_print(d, stderr);
		dd_config_free(cfg);
		cfg = NULL;
	}
	dd_diags_free(d);
	free(text);
	return cfg;
}

struct acks {
	uint64_t *seq;
	size_t n, cap;
	int64_t last_ns, gap_ns, gap_at_ns;
};

static void
ack(struct acks *a, uint64_t seq, int64_t t, int64_t start)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4096;
		a->seq = realloc(a->seq, a->cap * sizeof(*a->seq));
	}
	a->seq[a->n++] = seq;
	if (a->last_ns && t - a->last_ns > a->gap_ns) {
		a->gap_ns = t - a->last_ns;
		a->gap_at_ns = a->last_ns - start;
	}
	a->last_ns = t;
}

/* Every seq on the current primary into a bitmap of max+1 bits; -1 when unreadable. */
static int
read_back(struct dd_router *r, uint64_t max, unsigned char *have)
{
	struct dd_result *res = NULL;
	struct dd_db_error e;
	int64_t until = now_ns() + INT64_C(30000000000);

	while (dd_router_query(r, NULL, DD_INTENT_WRITE, "SELECT seq FROM dd_writes",
	           now_ns() + INT64_C(5000000000), &res, NULL, &e) != 0) {
		if (now_ns() > until) {
			fprintf(stderr, "writer: cannot read dd_writes: %s\n", e.message);
			return -1;
		}
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < dd_result_nrows(res); i++) {
		uint64_t s = strtoull(dd_result_value(res, i, 0), NULL, 10);
		if (s <= max)
			have[s / 8] |= (unsigned char)(1u << (s % 8));
	}
	dd_result_free(res);
	return 0;
}

static const char *
primary_name(struct dd_router *r)
{
	struct dd_router_status st;

	dd_router_status(r, &st);
	return st.primary >= 0 ? dd_router_node_name(r, (size_t)st.primary) : "none";
}

int
main(int argc, char **argv)
{
	struct dd_harness h;
	struct dd_core_options o;
	struct acks a = {0};
	char err[512];
	uint64_t seq = 0, failed = 0, missing = 0;
	int64_t start, end;

	if (argc < 3) {
		fprintf(stderr, "usage: writer pg|my SECONDS [PROBE_MS]\n");
		return 2;
	}
	it_harness_init(&h);
	struct dd_config *cfg = load(&h, argv[1]);
	if (!cfg)
		return 2;
	dd_core_options_default(&o);
	o.probe_interval_ms = argc > 3 ? atoi(argv[3]) : 200;
	o.application_name = "dbdeck-writer";
	struct dd_core *core = dd_core_new_with(cfg, it_credential, &h, &o, err, sizeof(err));
	if (!core) {
		fprintf(stderr, "writer: %s\n", err);
		return 2;
	}
	struct dd_router *r = dd_cluster_router(dd_core_cluster(core, "w"));
	dd_router_probe_now(r, now_ns() + INT64_C(5000000000));
	if (!getenv("DD_WRITER_NOCREATE") && make_table(r) != 0) {
		fprintf(stderr, "writer: cannot create dd_writes\n");
		return 2;
	}
	start = now_ns();
	end = start + (int64_t)(atoi(argv[2]) > 0 ? atoi(argv[2]) : 600) * 1000000000;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	while (now_ns() < end && !stop) {
		char sql[80];
		snprintf(sql, sizeof(sql), "INSERT INTO dd_writes (seq) VALUES (%llu)",
		    (unsigned long long)++seq);
		struct dd_route_decision why;
		struct dd_db_error e;
		int64_t t0 = now_ns();
		if (dd_router_exec(r, NULL, DD_INTENT_WRITE, sql, now_ns() + INT64_C(2000000000),
		        NULL, &why, &e) == 0) {
			ack(&a, seq, now_ns(), start);
		} else {
			if (getenv("DD_WRITER_DEBUG")) {
				struct dd_router_status st;
				dd_router_status(r, &st);
				fprintf(stderr, "%.3f +%.3f round %llu (%lld ms) %s | %s\n",
				    (double)(t0 - start) / 1e9, (double)(now_ns() - t0) / 1e9,
				    (unsigned long long)st.rounds, (long long)st.last_round_ms,
				    why.reason, e.message);
			}
			failed++;
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
	}
	unsigned char *have = calloc(seq / 8 + 1, 1);
	int rc = read_back(r, seq, have);
	for (size_t i = 0; rc == 0 && i < a.n; i++)
		if (!(have[a.seq[i] / 8] & (1u << (a.seq[i] % 8)))) {
			if (missing++ < 5)
				fprintf(stderr, "writer: acknowledged seq %llu is missing\n",
				    (unsigned long long)a.seq[i]);
		}
	printf("RESULT acked=%zu failed=%llu missing=%llu gap_s=%.3f gap_at_s=%.3f primary=%s\n",
	    a.n, (unsigned long long)failed, (unsigned long long)missing, (double)a.gap_ns / 1e9,
	    (double)a.gap_at_ns / 1e9, primary_name(r));
	fflush(stdout);
	free(have);
	free(a.seq);
	dd_core_shutdown(core, now_ns() + INT64_C(3000000000));
	dd_core_free(core);
	dd_config_free(cfg);
	it_password_free();
	return rc == 0 && missing == 0 ? 0 : 1;
}
