/*
 * schema_prober.c: schema health rounds on their own thread (schema.h).
 * One thread per process: a round at start, then every schema_refresh (the
 * smallest of the clusters'), or at once when asked (dd_schema_prober_
 * refresh). Each round builds a new immutable result and swaps the pointer
 * under the mutex; readers take a reference (dd_schema_current) and never
 * wait for a round. A round never waits on a server past its statement and
 * lock timeouts, so stopping waits at most that long.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_internal.h"
#include "util/util.h"

struct dd_schema_prober {
	const struct dd_config *cfg;
	dd_credential_fn cred;
	void *ctx;
	int64_t interval_ns;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, want, busy;
	atomic_bool stopping; /* read by a running round between its queries */
	const struct dd_schema_result *current;
};

static void *
prober_main(void *arg)
{
	struct dd_schema_prober *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		const struct dd_schema_result *old;
		struct dd_schema_result *r;
		int64_t next;
		p->want = false;
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		r = schema_probe_until(p->cfg, NULL, p->cred, p->ctx, &p->stopping);
		pthread_mutex_lock(&p->mu);
		old = p->current;
		p->current = r;
		p->busy = false;
		pthread_mutex_unlock(&p->mu);
		dd_schema_unref(old);
		pthread_mutex_lock(&p->mu);
		next = dd_now_mono_ns() + p->interval_ns;
		while (!p->stop && !p->want && dd_now_mono_ns() < next)
			dd_cond_wait_until(&p->cv, &p->mu, next);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct dd_schema_prober *
dd_schema_prober_new(const struct dd_config *cfg, dd_credential_fn get_credential, void *ctx,
    char *err, size_t errlen)
{
	struct dd_schema_prober *p = xcalloc(1, sizeof(*p));
	int64_t ms = INT64_MAX;

	for (size_t i = 0; i < dd_config_cluster_count(cfg); i++) {
		int64_t r = dd_config_cluster(cfg, i)->schema_refresh_ms;
		if (r > 0 && r < ms)
			ms = r;
	}
	if (ms == INT64_MAX) {
		dd_seterr(err, errlen, "every cluster has schema_refresh = 0");
		free(p);
		return NULL;
	}
	p->cfg = cfg;
	p->cred = get_credential;
	p->ctx = ctx;
	p->interval_ns = ms * INT64_C(1000000);
	atomic_init(&p->stopping, false);
	pthread_mutex_init(&p->mu, NULL);
	dd_cond_init_mono(&p->cv);
	if (pthread_create(&p->thread, NULL, prober_main, p) != 0) {
		dd_seterr(err, errlen, "cannot start the schema prober thread");
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void
dd_schema_prober_refresh(struct dd_schema_prober *p)
{
	pthread_mutex_lock(&p->mu);
	p->want = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

const struct dd_schema_result *
dd_schema_current(struct dd_schema_prober *p)
{
	const struct dd_schema_result *r;

	if (!p)
		return NULL;
	pthread_mutex_lock(&p->mu);
	r = dd_schema_ref(p->current);
	pthread_mutex_unlock(&p->mu);
	return r;
}

bool
dd_schema_prober_busy(struct dd_schema_prober *p)
{
	bool b;

	pthread_mutex_lock(&p->mu);
	b = p->busy;
	pthread_mutex_unlock(&p->mu);
	return b;
}

void
dd_schema_prober_free(struct dd_schema_prober *p)
{
	if (!p)
		return;
	atomic_store(&p->stopping, true);
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	dd_schema_unref(p->current);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
