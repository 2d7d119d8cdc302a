/*
 * bench_pool.c: the pool's benchmark (`make bench`, against the harness in
 * $DD_HARNESS_ENV). Side by side in one run, for PostgreSQL (pg1) and MariaDB
 * (my1):
 *   1. acquire+release latency of a warm pool: 1 thread, 8 threads on 8
 *      connections, 8 threads on 4 connections (p50/p99, ns; each sample is
 *      one acquire+release between two clock reads, so it includes one
 *      clock read);
 *   2. `SELECT 1` throughput with 1/4/16 client threads through the pool
 *      (max_size = threads), over as many dedicated persistent connections
 *      (each thread holds one for a whole slice and runs its statements on
 *      it directly: the physical limit; see struct tp_thread), with a new
 *      connection per query, and (PostgreSQL) through a private PgBouncer in
 *      transaction mode (default_pool_size = threads).
 * For each thread count the pool (warm), the PgBouncer connections and the
 * worker threads are set up SETUPS times afresh; within a setup pool,
 * dedicated and PgBouncer take turns in short slices (ROUNDS per setup,
 * going through all six orders), so load from elsewhere on the machine falls
 * on all of them alike. A setup's ratio is the median of its per-round
 * ratios; the cell's is the geometric mean of its setups' ratios, since on a
 * small machine a setup's ratio still moves by a few per cent with how the
 * scheduler happens to place its threads and server processes.
 * Connect-per-query runs at the end of the last setup, for CONNECT_S in one
 * piece. `bench_pool pg 4` runs one engine (and one thread count) only.
 * Also: the pool's own cost per statement, measured on the in-memory fake
 * driver of the unit tests (no I/O, so no noise from the servers). It
 * prints a table, then one `RESULT <name> <value>` line per figure. It is
 * not a test: it never fails on a timing.
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_bouncer.h"
#include "bench_overhead.h"
#include "dbdeck/pool.h"
#include "harness.h"
#include "itlib.h"
#include "util/util.h"

#define MS        INT64_C(1000000)
#define CELL_S    6.0   /* per variant and throughput cell, over SETUPS x ROUNDS slices */
#define SETUPS    4     /* fresh pool, connections and workers per cell */
#define ROUNDS    15    /* slices per setup; variants rotate between slices */
#define CONNECT_S 3.0   /* connect-per-query, per cell */
#define AR_S      3.0   /* per acquire+release cell */
#define LAT_STEP  4     /* ns per latency bucket */
#define LAT_N     65536 /* buckets: up to 262 us, then "over" */

static const int thread_counts[] = {1, 4, 16};
#define NTC ((int)DD_ARRAY_LEN(thread_counts))

enum variant { V_POOL, V_DEDICATED, V_CONNECT, V_BOUNCER, V__COUNT };
static const char *const variant_names[V__COUNT] = {
    "pool",
    "dedicated",
    "connect_per_query",
    "pgbouncer",
};

struct eng {
	enum dd_engine engine;
	const char *node;
	const char *tag;    /* "pg" / "my": prefix of the throughput results */
	const char *ar_tag; /* "" / "my_": prefix of the latency results */
	bool bouncer;
};

static const struct eng engines[] = {
    {DD_ENGINE_POSTGRESQL, "pg1", "pg", "", true},
    {DD_ENGINE_MARIADB, "my1", "my", "my_", false},
};

static struct dd_harness H;
static char *password; /* itlib's, sodium_malloc */
static struct bouncer bouncer;
static bool have_bouncer;
static atomic_bool go, stop;    /* acquire+release cells */
static const char *only_engine; /* argv[1]: "pg" or "my", or NULL for both */
static int only_threads;        /* argv[2]: one thread count, or 0 for all */

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
on_signal(int sig)
{
	bouncer_stop_on_signal(&bouncer);
	signal(sig, SIG_DFL);
	raise(sig);
}

static struct dd_conn_params
node_params(const struct eng *e, int port, const char *database)
{
	struct dd_conn_params p = {
	    .host = H.host,
	    .port = port,
	    .database = database,
	    .user = H.user,
	    .password = password,
	    .tls = DD_TLS_DISABLE,
	    .application_name = "dbdeck-bench",
	    .connect_timeout_ms = 10000,
	};
	(void)e;
	return p;
}

struct lat {
	uint64_t *b;
	uint64_t over, n;
};

static void
lat_add(struct lat *l, int64_t ns)
{
	uint64_t i = ns < 0 ? 0 : (uint64_t)ns / LAT_STEP;

	if (i < LAT_N)
		l->b[i]++;
	else
		l->over++;
	l->n++;
}

/* Nearest-rank quantile in ns (bucket midpoint); -1 when it lies beyond the range. */
static int64_t
lat_quantile(const struct lat *l, double q)
{
	uint64_t rank = (uint64_t)(q * (double)l->n), seen = 0;

	for (int i = 0; i < LAT_N; i++) {
		seen += l->b[i];
		if (seen > rank)
			return (int64_t)i * LAT_STEP + LAT_STEP / 2;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Acquire + release latency                                          */

struct ar_thread {
	struct dd_pool *p;
	struct lat lat;
	int fails;
	pthread_t th;
};

static void *
ar_main(void *arg)
{
	struct ar_thread *t = arg;
	struct dd_pooled *c;
	int64_t t0, t1;

	while (!atomic_load(&go))
		;
	t0 = dd_now_mono_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (dd_pool_acquire(t->p, t0 + 5000 * MS, &c, NULL) != DD_POOL_OK) {
			t->fails++;
			t0 = dd_now_mono_ns();
			continue;
		}
		dd_pool_release(c);
		t1 = dd_now_mono_ns();
		lat_add(&t->lat, t1 - t0);
		t0 = t1;
	}
	return NULL;
}

static struct dd_pool *
warm_pool(const struct eng *e, int size)
{
	struct dd_conn_params prm = node_params(e, dd_harness_port(&H, e->node), H.database);
	struct dd_pool_config cfg;
	struct dd_pool_stats s;
	char err[256];
	struct dd_pool *p;

	dd_pool_config_default(&cfg);
	cfg.max_size = size;
	cfg.max_overflow = 0;
	cfg.min_idle = size;
	cfg.acquire_timeout_ms = 10000;
	dd_strlcpy(cfg.application_name, "dbdeck-bench-pool", sizeof(cfg.application_name));
	if (!(p = dd_pool_new(NULL, e->engine, &prm, &cfg, e->node, err, sizeof(err)))) {
		fprintf(stderr, "bench: pool: %s\n", err);
		exit(1);
	}
	for (int i = 0; i < 600; i++) {
		dd_pool_stats(p, &s);
		if (s.idle >= size)
			break;
		sleep_s(0.05);
	}
	return p;
}

struct ar_result {
	int64_t p50, p99;
	double mops;
};

static void
ar_cell(const struct eng *e, int threads, int conns, struct ar_result *out)
{
	struct dd_pool *p = warm_pool(e, conns);
	struct ar_thread *t = xcalloc((size_t)threads, sizeof(*t));
	struct lat all = {.b = xcalloc(LAT_N, sizeof(uint64_t))};
	int fails = 0;

	atomic_store(&go, false);
	atomic_store(&stop, false);
	for (int i = 0; i < threads; i++) {
		t[i].p = p;
		t[i].lat.b = xcalloc(LAT_N, sizeof(uint64_t));
		pthread_create(&t[i].th, NULL, ar_main, &t[i]);
	}
	atomic_store(&go, true);
	sleep_s(AR_S);
	atomic_store(&stop, true);
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i].th, NULL);
		for (int k = 0; k < LAT_N; k++)
			all.b[k] += t[i].lat.b[k];
		all.over += t[i].lat.over;
		all.n += t[i].lat.n;
		fails += t[i].fails;
		free(t[i].lat.b);
	}
	out->p50 = lat_quantile(&all, 0.50);
	out->p99 = lat_quantile(&all, 0.99);
	out->mops = (double)all.n / AR_S / 1e6;
	if (fails)
		fprintf(stderr, "bench: %d acquires failed\n", fails);
	free(all.b);
	free(t);
	dd_pool_free(p);
}

/* ------------------------------------------------------------------ */
/* SELECT 1 throughput                                                */

/*
 * A throughput worker. It lives for a whole setup and runs whatever variant
 * `mode` says, publishing the variant of the query it is on in `cur` and
 * counting finished queries per variant.
 *
 * Dedicated means: the worker takes one of the pool's connections when a
 * dedicated slice begins, runs its statements on it directly (dd_conn_query:
 * no acquire, no release, no bookkeeping) and gives it back when the slice
 * ends. Pool and dedicated thus run over the same server sessions, and with
 * the pool's thread affinity each worker over the same one. Separate
 * connections would not do on a small machine: how the scheduler happens to
 * pair a client thread with its server process sets that pair's speed for
 * as long as both live, by up to 20 %, and two sets of sessions compare
 * those pairings, not the pool.
 */
struct tp_thread {
	enum dd_engine engine;
	struct dd_pool *p;
	struct dd_pooled *held; /* the dedicated variant's connection, during its slices */
	struct dd_conn *bounced;
	struct dd_conn_params prm;
	atomic_int cur;
	atomic_uint_fast64_t ops[V__COUNT], errors[V__COUNT];
	int64_t cpu_ns[V__COUNT];                /* this thread's CPU time spent on each variant */
	int64_t vcsw[V__COUNT], ivcsw[V__COUNT]; /* its context switches (voluntary, not) */
	char last_error[256];
	pthread_t th;
};

#define MODE_STOP (-1)
static atomic_int mode;

static int
tp_one(struct tp_thread *t, enum variant v)
{
	struct dd_result *r = NULL;
	struct dd_db_error e;
	struct dd_pooled *pc;
	struct dd_conn *c;
	int64_t dl = dd_now_mono_ns() + 10000 * MS;
	int rc;

	switch (v) {
	case V_POOL:
		if ((rc = dd_pool_acquire(t->p, dl, &pc, &e)) != DD_POOL_OK)
			break;
		rc = dd_pool_query(pc, "SELECT 1", DD_POOL_DEFAULT_DEADLINE, &r, &e);
		dd_pool_release(pc);
		break;
	case V_CONNECT:
		if ((rc = dd_conn_open(t->engine, &t->prm, dl, &c, &e)) != 0)
			break;
		rc = dd_conn_query(c, "SELECT 1", dl, &r, &e);
		dd_conn_close(c, dd_now_mono_ns() + 1000 * MS);
		break;
	case V_DEDICATED:
		if (!t->held && (rc = dd_pool_acquire(t->p, dl, &t->held, &e)) != DD_POOL_OK)
			break;
		rc = dd_conn_query(dd_pooled_conn(t->held), "SELECT 1", dl, &r, &e);
		break;
	default: rc = dd_conn_query(t->bounced, "SELECT 1", dl, &r, &e); break;
	}
	dd_result_free(r);
	if (rc != 0)
		dd_strlcpy(t->last_error, e.message, sizeof(t->last_error));
	return rc;
}

static int64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* This thread's CPU time and context switches so far. */
struct thread_use {
	int64_t cpu_ns, vcsw, ivcsw;
};

static struct thread_use
thread_use(void)
{
	struct rusage ru;
	struct thread_use u = {.cpu_ns = thread_cpu_ns()};

	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		u.vcsw = ru.ru_nvcsw;
		u.ivcsw = ru.ru_nivcsw;
	}
	return u;
}

/* Charges what the thread used since *from to variant v; *from becomes now. */
static void
thread_charge(struct tp_thread *t, int v, struct thread_use *from)
{
	struct thread_use now = thread_use();

	if (v >= 0) {
		t->cpu_ns[v] += now.cpu_ns - from->cpu_ns;
		t->vcsw[v] += now.vcsw - from->vcsw;
		t->ivcsw[v] += now.ivcsw - from->ivcsw;
	}
	*from = now;
}

static void *
tp_main(void *arg)
{
	struct tp_thread *t = arg;
	struct thread_use use = {0};
	int m, last = -1;

	while ((m = atomic_load(&mode)) != MODE_STOP) {
		if (m != last) {
			if (t->held) {
				dd_pool_release(t->held);
				t->held = NULL;
			}
			thread_charge(t, last, &use);
			last = m;
			atomic_store(&t->cur, m);
		}
		if (tp_one(t, (enum variant)m) == 0)
			atomic_fetch_add_explicit(&t->ops[m], 1, memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&t->errors[m], 1, memory_order_relaxed);
	}
	thread_charge(t, last, &use);
	dd_pool_release(t->held);
	t->held = NULL;
	return NULL;
}

/*
 * One setup of a thread count, kept for all its slices: the pool (warm), per
 * thread a connection to PgBouncer, and the workers.
 */
struct tp_setup {
	int threads;
	struct dd_pool *pool;
	struct tp_thread *t;
};

static struct dd_conn *
open_conn(const struct eng *e, int port, const char *db, const char *what)
{
	struct dd_conn_params prm = node_params(e, port, db);
	struct dd_db_error err;
	struct dd_conn *c;

	if (dd_conn_open(e->engine, &prm, dd_now_mono_ns() + 10000 * MS, &c, &err)) {
		fprintf(stderr, "bench: %s connect: %s\n", what, err.message);
		exit(1);
	}
	return c;
}

static void
tp_setup_open(const struct eng *e, int threads, struct tp_setup *su)
{
	char db[DD_HARNESS_NAME_MAX + 16];
	int port = dd_harness_port(&H, e->node);

	snprintf(db, sizeof(db), "%s_t%d", H.database, threads);
	su->threads = threads;
	su->pool = warm_pool(e, threads);
	su->t = xcalloc((size_t)threads, sizeof(*su->t));
	atomic_store(&mode, V_DEDICATED);
	for (int i = 0; i < threads; i++) {
		struct tp_thread *t = &su->t[i];
		t->engine = e->engine;
		t->p = su->pool;
		t->prm = node_params(e, port, H.database);
		if (e->bouncer && have_bouncer)
			t->bounced = open_conn(e, bouncer.port, db, "pgbouncer");
		atomic_store(&t->cur, V_DEDICATED);
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&su->t[i].th, NULL, tp_main, &su->t[i]);
}

/* What a cell adds up over its setups. */
struct cell_sum {
	uint64_t ops[V__COUNT];     /* in the measured slices */
	double secs[V__COUNT];      /* length of the measured slices */
	double log_ratio[V__COUNT]; /* sum over setups of log(setup ratio) */
	int setups[V__COUNT];       /* setups with a ratio */
	int64_t cpu_ns[V__COUNT];   /* worker CPU time, whole setups */
	int64_t vcsw[V__COUNT];     /* worker context switches, voluntary (whole setups) */
	int64_t ivcsw[V__COUNT];    /* and involuntary */
	uint64_t cpu_ops[V__COUNT]; /* queries in that time */
};

/*
 * Stops the workers; adds, per variant, their errors to errors, and their
 * client CPU time, context switches and the queries they ran in that time to c.
 */
static void
tp_setup_close(struct tp_setup *su, uint64_t *errors, struct cell_sum *c)
{
	struct dd_pool_stats st;

	atomic_store(&mode, MODE_STOP);
	for (int i = 0; i < su->threads; i++) {
		struct tp_thread *t = &su->t[i];
		pthread_join(t->th, NULL);
		for (int v = 0; v < V__COUNT; v++) {
			errors[v] += atomic_load(&t->errors[v]);
			c->cpu_ns[v] += t->cpu_ns[v];
			c->vcsw[v] += t->vcsw[v];
			c->ivcsw[v] += t->ivcsw[v];
			c->cpu_ops[v] += atomic_load(&t->ops[v]) + atomic_load(&t->errors[v]);
		}
		if (t->last_error[0])
			fprintf(stderr, "bench: last error: %s\n", t->last_error);
		dd_conn_close(t->bounced, dd_now_mono_ns() + 1000 * MS);
	}
	dd_pool_stats(su->pool, &st);
	fprintf(stderr,
	    "bench: %s pool of %d: created %llu, resets %llu, pings %llu, "
	    "handoffs %llu, acquires %llu (lock-free %llu), wait p99 %lld ns\n",
	    dd_pool_name(su->pool), su->threads, (unsigned long long)st.created,
	    (unsigned long long)st.resets, (unsigned long long)st.pings,
	    (unsigned long long)st.handoffs, (unsigned long long)st.acquires,
	    (unsigned long long)st.fast, (long long)st.wait_p99_ns);
	dd_pool_free(su->pool);
	free(su->t);
	memset(su, 0, sizeof(*su));
}

static uint64_t
ops_of(const struct tp_setup *su, enum variant v)
{
	uint64_t n = 0;

	for (int i = 0; i < su->threads; i++)
		n += atomic_load(&su->t[i].ops[v]);
	return n;
}

/*
 * Switches every worker to variant v, waits until each is running it (a
 * query of the previous variant may still be finishing), then measures for
 * secs. Returns the queries finished in the window; adds the time to *elapsed.
 */
static uint64_t
tp_slice(struct tp_setup *su, enum variant v, double secs, double *elapsed)
{
	uint64_t n0;
	int64_t t0;

	atomic_store(&mode, v);
	for (int i = 0; i < su->threads; i++)
		while (atomic_load(&su->t[i].cur) != (int)v)
			sleep_s(0.0005);
	n0 = ops_of(su, v);
	t0 = dd_now_mono_ns();
	sleep_s(secs);
	*elapsed += (double)(dd_now_mono_ns() - t0) / 1e9;
	return ops_of(su, v) - n0;
}

/* ------------------------------------------------------------------ */
/* The run                                                            */

struct eng_results {
	struct ar_result ar[3]; /* 1t/8c, 8t/8c, 8t/4c */
	double qps[NTC][V__COUNT];
	/* pool / variant: the geometric mean over setups of the median per-round ratio */
	double ratio[NTC][V__COUNT];
	double cpu[NTC][V__COUNT]; /* client CPU ns per query (all worker threads) */
	double vcsw[NTC][V__COUNT], ivcsw[NTC][V__COUNT]; /* context switches per query */
	uint64_t errors[NTC][V__COUNT];
};

/* Median of the pool's throughput over variant v's in each round of one setup. */
static double
round_ratio_median(double slice[][V__COUNT], enum variant v)
{
	double r[ROUNDS];
	int n = 0;

	for (int i = 0; i < ROUNDS; i++)
		if (slice[i][v] > 0 && slice[i][V_POOL] > 0)
			r[n++] = slice[i][V_POOL] / slice[i][v];
	if (n == 0)
		return 0;
	qsort(r, (size_t)n, sizeof(r[0]), bench_cmp_dbl);
	return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

/* Whether engine i (and thread count index k, unless k < 0) was run. */
static bool
cell_ran(size_t i, int k)
{
	return (!only_engine || strcmp(only_engine, engines[i].tag) == 0) &&
	       (k < 0 || !only_threads || thread_counts[k] == only_threads);
}

static bool
variant_runs(const struct eng *e, enum variant v)
{
	return v != V_BOUNCER || (e->bouncer && have_bouncer);
}

/*
 * One setup of a cell: ROUNDS rounds in which pool, dedicated and PgBouncer
 * take turns, in all six orders in turn so that each follows each other one
 * equally often. With last set, connect-per-query runs afterwards: the
 * server processes it leaves behind would otherwise slow down whichever
 * variant came next.
 */
static void
run_setup(const struct eng *e, int threads, bool last, struct cell_sum *c, uint64_t *errors)
{
	static const enum variant order[6][3] = {
	    {V_POOL, V_DEDICATED, V_BOUNCER},
	    {V_DEDICATED, V_BOUNCER, V_POOL},
	    {V_BOUNCER, V_POOL, V_DEDICATED},
	    {V_POOL, V_BOUNCER, V_DEDICATED},
	    {V_BOUNCER, V_DEDICATED, V_POOL},
	    {V_DEDICATED, V_POOL, V_BOUNCER},
	};
	double slice[ROUNDS][V__COUNT] = {{0}};
	struct tp_setup su;

	tp_setup_open(e, threads, &su);
	for (int round = 0; round < ROUNDS; round++) {
		for (int j = 0; j < 3; j++) {
			enum variant v = order[round % 6][j];
			double before = c->secs[v];
			uint64_t n;
			if (!variant_runs(e, v))
				continue;
			n = tp_slice(&su, v, CELL_S / (SETUPS * ROUNDS), &c->secs[v]);
			c->ops[v] += n;
			slice[round][v] = (double)n / (c->secs[v] - before);
		}
	}
	for (int v = V_DEDICATED; v < V__COUNT; v++) {
		double r = round_ratio_median(slice, (enum variant)v);
		if (r > 0) {
			c->log_ratio[v] += log(r);
			c->setups[v]++;
		}
	}
	if (last)
		c->ops[V_CONNECT] += tp_slice(&su, V_CONNECT, CONNECT_S, &c->secs[V_CONNECT]);
	tp_setup_close(&su, errors, c);
}

static void
run_engine(const struct eng *e, struct eng_results *r)
{
	static const int ar_cfg[3][2] = {{1, 8}, {8, 8}, {8, 4}};

	for (int i = 0; i < 3; i++)
		ar_cell(e, ar_cfg[i][0], ar_cfg[i][1], &r->ar[i]);
	for (int k = 0; k < NTC; k++) {
		struct cell_sum c;
		if (only_threads && thread_counts[k] != only_threads)
			continue;
		memset(&c, 0, sizeof(c));
		for (int s = 0; s < SETUPS; s++)
			run_setup(e, thread_counts[k], s == SETUPS - 1, &c, r->errors[k]);
		for (int v = 0; v < V__COUNT; v++) {
			r->qps[k][v] = c.secs[v] > 0 ? (double)c.ops[v] / c.secs[v] : 0;
			r->ratio[k][v] = c.setups[v] ? exp(c.log_ratio[v] / c.setups[v]) : 0;
			double n = (double)c.cpu_ops[v];
			r->cpu[k][v] = n > 0 ? (double)c.cpu_ns[v] / n : 0;
			r->vcsw[k][v] = n > 0 ? (double)c.vcsw[v] / n : 0;
			r->ivcsw[k][v] = n > 0 ? (double)c.ivcsw[v] / n : 0;
		}
		r->ratio[k][V_CONNECT] = r->qps[k][V_POOL] / r->qps[k][V_CONNECT];
	}
}

static void
print_tables(const struct eng_results *res)
{
	static const char *const ar_names[3] = {
	    "1 thread, 8 conns", "8 threads, 8 conns", "8 threads, 4 conns"};

	printf("\nacquire+release latency (warm pool, ns)\n");
	printf("%-8s %-20s %10s %10s %12s\n", "engine", "case", "p50", "p99", "Mops/s");
	for (size_t i = 0; i < DD_ARRAY_LEN(engines); i++)
		for (int c = 0; c < 3 && cell_ran(i, -1); c++)
			printf("%-8s %-20s %10lld %10lld %12.2f\n", engines[i].tag, ar_names[c],
			    (long long)res[i].ar[c].p50, (long long)res[i].ar[c].p99,
			    res[i].ar[c].mops);
	printf(
	    "\nSELECT 1 throughput (queries/s, %.0f s per variant and cell; pool/ded and pool/pgb: "
	    "geometric mean over %d setups of the median of %d per-round ratios)\n",
	    CELL_S, SETUPS, ROUNDS);
	printf("%-6s %7s %10s %10s %10s %10s %9s %9s %9s\n", "engine", "threads", "pool",
	    "dedicated", "conn/query", "pgbouncer", "pool/ded", "pool/cpq", "pool/pgb");
	for (size_t i = 0; i < DD_ARRAY_LEN(engines); i++) {
		for (int k = 0; k < NTC; k++) {
			const double *q = res[i].qps[k], *rt = res[i].ratio[k];
			if (!cell_ran(i, k))
				continue;
			printf("%-6s %7d %10.0f %10.0f %10.0f ", engines[i].tag, thread_counts[k],
			    q[V_POOL], q[V_DEDICATED], q[V_CONNECT]);
			if (variant_runs(&engines[i], V_BOUNCER))
				printf("%10.0f %9.3f %9.1f %9.2f\n", q[V_BOUNCER], rt[V_DEDICATED],
				    rt[V_CONNECT], rt[V_BOUNCER]);
			else
				printf("%10s %9.3f %9.1f %9s\n", "-", rt[V_DEDICATED],
				    rt[V_CONNECT], "-");
		}
	}
}

static void
print_cpu_table(const struct eng_results *res)
{
	printf("\nclient CPU per query (ns, thread CPU time of the client threads) and context "
	       "switches per query (voluntary/involuntary)\n");
	printf("%-6s %7s %10s %10s %10s %10s %9s %11s %11s\n", "engine", "threads", "pool",
	    "dedicated", "conn/query", "pgbouncer", "pool/ded", "cs pool", "cs ded");
	for (size_t i = 0; i < DD_ARRAY_LEN(engines); i++) {
		for (int k = 0; k < NTC; k++) {
			const double *c = res[i].cpu[k], *v = res[i].vcsw[k], *iv = res[i].ivcsw[k];
			if (!cell_ran(i, k))
				continue;
			printf("%-6s %7d %10.0f %10.0f %10.0f %10.0f %9.3f %5.2f/%-5.2f "
			       "%5.2f/%-5.2f\n",
			    engines[i].tag, thread_counts[k], c[V_POOL], c[V_DEDICATED],
			    c[V_CONNECT], c[V_BOUNCER],
			    c[V_DEDICATED] > 0 ? c[V_POOL] / c[V_DEDICATED] : 0, v[V_POOL],
			    iv[V_POOL], v[V_DEDICATED], iv[V_DEDICATED]);
		}
	}
}

static void
print_results(const struct eng_results *res)
{
	static const char *const ar_sfx[3] = {"", "_8t", "_8t_4c"};

	printf("\n");
	for (size_t i = 0; i < DD_ARRAY_LEN(engines); i++) {
		const struct eng *e = &engines[i];
		if (!cell_ran(i, -1))
			continue;
		for (int c = 0; c < 3; c++) {
			printf("RESULT %sacquire_release%s_p50_ns %lld\n", e->ar_tag, ar_sfx[c],
			    (long long)res[i].ar[c].p50);
			printf("RESULT %sacquire_release%s_p99_ns %lld\n", e->ar_tag, ar_sfx[c],
			    (long long)res[i].ar[c].p99);
		}
		for (int k = 0; k < NTC; k++) {
			const double *q = res[i].qps[k], *rt = res[i].ratio[k];
			int n = thread_counts[k];
			if (!cell_ran(i, k))
				continue;
			for (int v = 0; v < V__COUNT; v++)
				if (variant_runs(e, (enum variant)v))
					printf("RESULT %s_%s_qps_%dt %.0f\n", e->tag,
					    variant_names[v], n, q[v]);
			printf(
			    "RESULT %s_pool_vs_dedicated_%dt %.3f\n", e->tag, n, rt[V_DEDICATED]);
			printf("RESULT %s_client_cpu_ns_per_query_pool_%dt %.0f\n", e->tag, n,
			    res[i].cpu[k][V_POOL]);
			printf("RESULT %s_client_cpu_ns_per_query_dedicated_%dt %.0f\n", e->tag, n,
			    res[i].cpu[k][V_DEDICATED]);
			printf("RESULT %s_pool_vs_connect_per_query_%dt %.1f\n", e->tag, n,
			    rt[V_CONNECT]);
			if (variant_runs(e, V_BOUNCER))
				printf("RESULT %s_pool_vs_pgbouncer_%dt %.3f\n", e->tag, n,
				    rt[V_BOUNCER]);
		}
	}
}

/* The error paths exit(1) from anywhere: PgBouncer must not outlive us. */
static void
stop_bouncer_at_exit(void)
{
	bouncer_stop(&bouncer);
}

static void
start_bouncer(void)
{
	char err[256];

	if (bouncer_start(&bouncer, dd_harness_port(&H, "pg1"), H.database, H.user, password,
	        thread_counts, NTC, "dbdeck-harness", err, sizeof(err)) != 0) {
		printf("pgbouncer: not available (%s); its cells are skipped\n", err);
		return;
	}
	have_bouncer = true;
}

/*
 * `bench_pool soak ENGINE THREADS VARIANT SECONDS`: one variant alone, for a
 * profiler (perf record -p). Prints its rate, client CPU and context
 * switches per query. Not part of `make bench`.
 */
static int
soak_main(char **argv)
{
	const struct eng *e = strcmp(argv[0], "my") == 0 ? &engines[1] : &engines[0];
	enum variant v = strcmp(argv[2], "pool") == 0 ? V_POOL : V_DEDICATED;
	int threads = atoi(argv[1]);
	double secs = atof(argv[3]), elapsed = 0;
	uint64_t errors[V__COUNT] = {0}, n;
	struct cell_sum c;
	struct tp_setup su;

	if (threads < 1 || threads > 64 || secs <= 0)
		return fprintf(stderr, "bench_pool soak: bad THREADS or SECONDS\n"), 2;
	password = it_harness_init(&H);
	memset(&c, 0, sizeof(c));
	tp_setup_open(e, threads, &su);
	n = tp_slice(&su, v, secs, &elapsed);
	tp_setup_close(&su, errors, &c);
	printf("%s %d threads %s: %.0f queries/s, client CPU %.0f ns/query, "
	       "context switches %.3f/%.3f per query, %llu errors\n",
	    e->tag, threads, variant_names[v], (double)n / elapsed,
	    (double)c.cpu_ns[v] / (double)c.cpu_ops[v], (double)c.vcsw[v] / (double)c.cpu_ops[v],
	    (double)c.ivcsw[v] / (double)c.cpu_ops[v], (unsigned long long)errors[v]);
	it_password_free();
	return 0;
}

int
main(int argc, char **argv)
{
	struct eng_results res[DD_ARRAY_LEN(engines)];

	memset(res, 0, sizeof(res));
	if (argc == 6 && strcmp(argv[1], "soak") == 0)
		return soak_main(argv + 2);
	if (argc > 3 || (argc > 1 && strcmp(argv[1], "pg") != 0 && strcmp(argv[1], "my") != 0))
		return fprintf(stderr,
		           "usage: bench_pool [pg|my [THREADS]]\n"
		           "       bench_pool soak pg|my THREADS pool|dedicated SECONDS\n"),
		       2;
	only_engine = argc > 1 ? argv[1] : NULL;
	only_threads = argc > 2 ? atoi(argv[2]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	password = it_harness_init(&H); /* bails out, naming what is missing */
	/* Also on a crash (abort() skips atexit): PgBouncer must not outlive us. */
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE};
	for (size_t i = 0; i < DD_ARRAY_LEN(sigs); i++)
		signal(sigs[i], on_signal);
	atexit(stop_bouncer_at_exit);
	start_bouncer();
	printf("bench_pool: %ld CPUs online\n", sysconf(_SC_NPROCESSORS_ONLN));
	double overhead = bench_pool_overhead_ns(password);
	for (size_t i = 0; i < DD_ARRAY_LEN(engines); i++) {
		if (!cell_ran(i, -1))
			continue;
		printf("running %s ...\n", engines[i].tag);
		run_engine(&engines[i], &res[i]);
	}
	bouncer_stop(&bouncer);
	print_tables(res);
	print_cpu_table(res);
	printf("\npool's own cost per statement (acquire + timed query + release, minus the same "
	       "statement on a dedicated connection; in-memory driver, no I/O): %.0f ns\n",
	    overhead);
	print_results(res);
	printf("RESULT pool_overhead_per_statement_ns %.0f\n", overhead);
	it_password_free();
	return 0;
}
