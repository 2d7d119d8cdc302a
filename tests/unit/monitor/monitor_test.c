/*
 * monitor_test.c: the monitor's public calls from several threads at once,
 * over a core whose nodes cannot be reached (their host is a Unix socket
 * directory that does not exist: every connect fails at once, no network).
 * Built with -Db_sanitize=thread, ThreadSanitizer reports any shared field
 * read or written without its lock or an atomic:
 *   - one-shot mode, dd_monitor_refresh_now from two threads at once (each
 *     runs the round on its own thread);
 *   - the scheduler reading the interval and the pause flag while another
 *     thread changes them and a third reads them and the snapshots.
 * And read-only mode enforced by the core: dd_monitor_cancel_query refuses
 * with DD_CANCEL_READ_ONLY when the monitor was made read-only or the
 * config says [console] read_only, before it looks for a connection.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dbdeck/config.h"
#include "dbdeck/core.h"
#include "dbdeck/monitor.h"
#include "tap.h"

#define MS INT64_C(1000000)

#define CLUSTER_TEXT                                                                               \
	"[cluster pg]\nengine = postgresql\nnodes = a, b\n"                                        \
	"database = app\ncredential = c\nconnect_timeout = 200ms\n"                                \
	"[node a]\nhost = /nonexistent-dbdeck-unit-test/a\n"                                       \
	"[node b]\nhost = /nonexistent-dbdeck-unit-test/b\n"

static const char config_text[] = "[console]\nrefresh = 100ms\n" CLUSTER_TEXT;
static const char config_ro_text[] = "[console]\nrefresh = 100ms\nread_only = true\n" CLUSTER_TEXT;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
credential(void *ctx, const char *name, const char **user, const char **password)
{
	(void)ctx;
	(void)name;
	*user = "u";
	*password = "p";
	return 0;
}

static struct dd_config *cfg, *cfg_ro;
static struct dd_core *core, *core_ro;

static struct dd_monitor *
monitor_of(struct dd_core *of, bool oneshot, bool read_only)
{
	struct dd_monitor_options mo;
	struct dd_monitor *m;
	char err[256];

	dd_monitor_options_default(&mo);
	mo.oneshot = oneshot;
	mo.read_only = read_only;
	m = dd_monitor_new(of, &mo, err, sizeof(err));
	if (m == NULL)
		bail_out("dd_monitor_new: %s", err);
	return m;
}

static struct dd_monitor *
monitor(bool oneshot)
{
	return monitor_of(core, oneshot, false);
}

/* ---- one-shot rounds from two threads ---- */

static void *
refresher(void *arg)
{
	struct dd_monitor *m = arg;
	intptr_t fails = 0;

	for (int i = 0; i < 3; i++)
		fails += dd_monitor_refresh_now(m, now_ns() + 5000 * MS) != 0;
	return (void *)fails;
}

static void
test_oneshot_concurrent(void)
{
	struct dd_monitor *m = monitor(true);
	const struct dd_snapshot *s;
	pthread_t t[2];
	void *fails[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, refresher, m);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &fails[i]);
	ok(fails[0] == NULL && fails[1] == NULL,
	    "one-shot: two threads refresh at once, 3 rounds each");
	s = dd_monitor_current(m);
	ok(s && s->n_nodes == 2 && s->nodes[0].state == DD_NODE_DOWN &&
	        s->nodes[1].state == DD_NODE_DOWN,
	    "the unreachable nodes are down");
	dd_snapshot_unref(s);
	dd_monitor_free(m);
}

/* ---- interval and pause while the scheduler runs ---- */

struct knobs {
	struct dd_monitor *m;
	int64_t until_ns;
};

static void *
turner(void *arg)
{
	struct knobs *k = arg;

	for (int i = 0; now_ns() < k->until_ns; i++) {
		dd_monitor_set_refresh(k->m, 100 + 50 * (i % 3));
		dd_monitor_pause(k->m, i % 2);
		struct timespec ts = {0, 20 * MS};
		nanosleep(&ts, NULL);
	}
	dd_monitor_pause(k->m, false);
	return NULL;
}

static void
test_knobs(void)
{
	struct knobs k = {.m = monitor(false), .until_ns = now_ns() + 1000 * MS};
	const struct dd_snapshot *s;
	int64_t r, bad = 0, snaps = 0;
	pthread_t t;

	pthread_create(&t, NULL, turner, &k);
	while (now_ns() < k.until_ns) {
		r = dd_monitor_refresh(k.m);
		bad += r < 100 || r > 200;
		(void)dd_monitor_paused(k.m);
		if ((s = dd_monitor_current(k.m)) != NULL) {
			snaps++;
			bad += s->refresh_ms < 100 || s->refresh_ms > 200;
			dd_snapshot_unref(s);
		}
		struct timespec ts = {0, 5 * MS};
		nanosleep(&ts, NULL);
	}
	pthread_join(t, NULL);
	ok(bad == 0 && snaps > 0,
	    "interval and pause changed while the scheduler runs (%lld reads)", (long long)snaps);
	dd_monitor_free(k.m);
}

/* ---- read-only ---- */

static int
cancel_once(struct dd_monitor *m, bool terminate, char *err, size_t errlen)
{
	struct dd_query_target t = {.cluster = 0, .node = 1, .pid = 4242, .started_us = 1};

	err[0] = '\0';
	return dd_monitor_cancel_query(m, &t, terminate, now_ns() + 2000 * MS, err, errlen);
}

static void
test_read_only(void)
{
	struct dd_monitor *m;
	char err[256];
	int rc;

	m = monitor_of(core, true, true);
	rc = cancel_once(m, false, err, sizeof(err));
	ok(rc == DD_CANCEL_READ_ONLY && strstr(err, "read-only"),
	    "read-only monitor (--read-only): cancel refused by the core (%d: %s)", rc, err);
	is_int(cancel_once(m, true, err, sizeof(err)), DD_CANCEL_READ_ONLY, "and terminate");
	dd_monitor_free(m);

	m = monitor_of(core_ro, true, false);
	rc = cancel_once(m, false, err, sizeof(err));
	ok(rc == DD_CANCEL_READ_ONLY, "[console] read_only = true: refused too (%d: %s)", rc, err);
	dd_monitor_free(m);

	m = monitor_of(core, true, false);
	rc = cancel_once(m, false, err, sizeof(err));
	ok(rc != DD_CANCEL_READ_ONLY && rc != DD_CANCEL_OK,
	    "not read-only: the cancel goes on (and fails: the node is unreachable) (%d: %s)", rc,
	    err);
	dd_monitor_free(m);
}

static struct dd_core *
core_from(const char *text, struct dd_config **out)
{
	struct dd_diags *d = dd_diags_new();
	struct dd_core *c;
	char err[256];

	if (dd_config_load_buffer("monitor_test.ini", text, strlen(text), out, d) != 0) {
		dd_diags_print(d, stdout);
		bail_out("the test config does not load");
	}
	dd_diags_free(d);
	c = dd_core_new(*out, credential, NULL, err, sizeof(err));
	if (c == NULL)
		bail_out("dd_core_new: %s", err);
	return c;
}

int
main(void)
{
	core = core_from(config_text, &cfg);
	core_ro = core_from(config_ro_text, &cfg_ro);
	test_oneshot_concurrent();
	test_knobs();
	test_read_only();
	dd_core_free(core);
	dd_core_free(core_ro);
	dd_config_free(cfg);
	dd_config_free(cfg_ro);
	return tap_done();
}
