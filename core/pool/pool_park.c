/*
 * pool_park.c: thread affinity and the pool's lock-free fast path.
 *
 * A thread that runs statement after statement through the pool should cost
 * about what a connection of its own costs. Through the lock, every loan
 * takes p->mu twice and moves the slot between two shared lists; on a small
 * machine those cache lines travel between CPUs on every statement, which
 * measured 2-5 % more client CPU per query than a held connection
 * (docs/performance.md). So, while nobody waits, the pool is not draining
 * and holds no overflow (p->fast_ok):
 *
 *   - a release of a clean, unexpired connection parks it in the releasing
 *     thread's affinity entry (one compare-and-swap on the thread's own
 *     cache line) instead of moving it to the idle list;
 *   - that thread's next acquire swaps it back out (one exchange), unless it
 *     has been idle past the liveness window or past a reported failure, in
 *     which case it goes to the idle list and the locked path pings it.
 *
 * A parked slot stays in the ACTIVE list and is counted idle by the stats.
 * Whoever swaps it out of the entry owns it, so the lock holders that need
 * idle connections simply take parked ones too (pool_unpark_all): an
 * acquire that finds the idle list empty, a waiter right after it queues,
 * drain, and every maintenance pass (so idle and lifetime retirement see
 * them). The race between a park and a waiter that queues (or a drain) is
 * closed Dekker-style: the parker publishes the slot, then re-reads fast_ok;
 * the waiter clears fast_ok (under the lock), then sweeps the entries. At
 * least one of them sees the other, and the swap decides who has the slot.
 *
 * Why "at least one sees the other" holds in the C11 model, as a litmus
 * (store buffering; s != NULL, fast_ok true and a->parked NULL at first):
 *
 *     parker (pool_park)                 waiter (queue, drain; holds p->mu)
 *     A: CAS a->parked NULL->s  seq_cst  C: store fast_ok = false   seq_cst
 *     B: r1 = load fast_ok      seq_cst  F: fence                   seq_cst
 *                                        D: r2 = load a->parked     relaxed
 *     forbidden: r1 == true && r2 == NULL
 *
 * A, B, C and F are in the single total order S of seq_cst operations,
 * which agrees with program order (A before B, C before F). If A precedes F
 * in S, D (after the fence F) reads A's value or a later one (the C11/C++11
 * model, [atomics.order]: a load sequenced after a seq_cst fence sees the
 * last seq_cst modification before that fence in S, or a later one): the
 * waiter sees s, or whoever swapped it out first owns it. Otherwise C < F < A < B, and B, a seq_cst
 * load, reads C's false (or a later store, made under p->mu once nobody waits): the parker sees the
 * waiter and takes its slot back. When fast_ok was already false and this waiter stored nothing,
 * the store that cleared it was made under p->mu before this waiter took the lock, so it happens
 * before F and precedes F in S all the same.
 *
 * Without F the outcome is allowed: D is relaxed, outside S, and nothing
 * makes it see A. On AArch64 C is an STLR and D a plain LDR, which may be
 * satisfied before the STLR is visible (only LDAR waits for it), so the
 * waiter would sleep beside a parked connection until maintenance or its
 * timeout. On x86 a seq_cst store is an XCHG, a full barrier, so no test
 * there can show the difference; the reasoning above is the proof. The
 * fence costs nothing on the fast path: it is in pool_unpark_all, which
 * runs only under p->mu (queueing, an empty idle list, maintenance, drain),
 * and the parker's side was seq_cst already.
 */
#include "pool/pool_int.h"

void (*pool_test_hook)(struct dd_pool *p, enum pool_hook_point where);

/*
 * This thread's token: a number handed out in sequence on its first use of
 * any pool, never 0. Threads started one after another then get distinct
 * affinity entries, which hashing an address does not promise.
 */
static atomic_uintptr_t thread_tokens;
static _Thread_local uintptr_t thread_token;

static uintptr_t
my_token(void)
{
	if (!thread_token)
		thread_token =
		    atomic_fetch_add_explicit(&thread_tokens, 1, memory_order_relaxed) + 1;
	return thread_token;
}

#define AFFINITY_PROBES 4

static struct pool_affinity *
entry_at(struct dd_pool *p, size_t home, size_t k)
{
	return &p->affinity[(home + k) % POOL_AFFINITY_N];
}

struct pool_affinity *
pool_affinity_find(struct dd_pool *p)
{
	uintptr_t me = my_token();
	size_t h = (size_t)(me % POOL_AFFINITY_N);

	for (size_t k = 0; k < AFFINITY_PROBES; k++) {
		struct pool_affinity *a = entry_at(p, h, k);
		if (atomic_load_explicit(&a->owner, memory_order_relaxed) == me)
			return a;
	}
	return NULL;
}

/* Its own entry, else a free one, else its home (taken over from its owner). */
void
pool_affinity_note(struct dd_pool *p, struct dd_pooled *s)
{
	uintptr_t me = my_token();
	size_t h = (size_t)(me % POOL_AFFINITY_N);
	struct pool_affinity *a = pool_affinity_find(p);

	for (size_t k = 0; !a && k < AFFINITY_PROBES; k++)
		if (atomic_load_explicit(&entry_at(p, h, k)->owner, memory_order_relaxed) == 0)
			a = entry_at(p, h, k);
	if (!a)
		a = entry_at(p, h, 0);
	/* A connection the old owner parked here stays; whoever swaps it out has it. */
	atomic_store_explicit(&a->owner, me, memory_order_relaxed);
	a->last = s;
}

void
pool_fast_sync(struct dd_pool *p)
{
	bool ok = p->nwait == 0 && !p->draining && pool_total(p) <= p->max_size;

	if (atomic_load_explicit(&p->fast_ok, memory_order_relaxed) != ok)
		atomic_store(&p->fast_ok, ok); /* seq_cst: see the top of this file */
}

bool
pool_needs_check(const struct dd_pool *p, const struct dd_pooled *s, int64_t now, bool probe)
{
	if (probe ||
	    s->idle_since_ns < atomic_load_explicit(&p->check_before_ns, memory_order_relaxed))
		return true;
	return p->liveness_ns >= 0 && now - s->idle_since_ns >= p->liveness_ns;
}

bool
pool_park(struct dd_pool *p, struct dd_pooled *s, int64_t now)
{
	struct pool_affinity *a;
	struct dd_pooled *expect = NULL;

	if (!atomic_load(&p->fast_ok) || !(a = pool_affinity_find(p)))
		return false;
	if (pool_test_hook)
		pool_test_hook(p, POOL_HOOK_PARK);
	s->idle_since_ns = now;
	atomic_store_explicit(&s->parked, true, memory_order_relaxed);
	if (!atomic_compare_exchange_strong(&a->parked, &expect, s)) {
		/* The thread returns a second connection: that one goes the slow way. */
		atomic_store_explicit(&s->parked, false, memory_order_relaxed);
		return false;
	}
	if (atomic_load(&p->fast_ok))
		return true;
	/* Somebody started to wait (or drain) meanwhile: take it back, unless they did. */
	expect = s;
	if (!atomic_compare_exchange_strong(&a->parked, &expect, NULL))
		return true;
	atomic_store_explicit(&s->parked, false, memory_order_relaxed);
	return false;
}

/* Counts an acquire in the slot: only its borrower writes the count. */
static void
count_fast_acquire(struct dd_pooled *s)
{
	atomic_store_explicit(&s->fast_acquires,
	    atomic_load_explicit(&s->fast_acquires, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/*
 * Files a slot swapped out of an entry: to the first waiter, else to the
 * idle list. Never closed here, even above max_size (the next release
 * through the lock trims overflow), so the caller need not drop the lock.
 * Caller holds p->mu.
 */
static void
unpark_one(struct dd_pool *p, struct pool_affinity *a, struct dd_pooled *s)
{
	atomic_store_explicit(&s->parked, false, memory_order_relaxed);
	a->last = s;
	if (p->wq_head)
		(void)pool_slot_available(p, s, s->idle_since_ns); /* a handoff: never closes */
	else
		pool_slot_set_state(p, s, SLOT_IDLE, POOL_CLOSE_NONE);
}

struct dd_pooled *
pool_take_parked(struct dd_pool *p, int64_t now)
{
	struct pool_affinity *a = pool_affinity_find(p);
	struct dd_pooled *s;

	if (!a || !atomic_load_explicit(&a->parked, memory_order_relaxed))
		return NULL;
	if (!(s = atomic_exchange(&a->parked, NULL)))
		return NULL;
	atomic_store_explicit(&s->parked, false, memory_order_relaxed);
	if (atomic_load(&p->fast_ok) && !pool_needs_check(p, s, now, false)) {
		count_fast_acquire(s);
		return s;
	}
	/*
	 * Due for a ping, or somebody waits, or the pool drains: back through
	 * the lock like any return (to the waiter, the idle list, or closed).
	 */
	pool_return(p, s, s->idle_since_ns);
	return NULL;
}

void
pool_unpark_all(struct dd_pool *p)
{
	/* F of the litmus at the top: the sweep's loads come after fast_ok's store. */
	atomic_thread_fence(memory_order_seq_cst);
	for (int i = 0; i < POOL_AFFINITY_N; i++) {
		struct pool_affinity *a = &p->affinity[i];
		struct dd_pooled *s;
		if (!atomic_load_explicit(&a->parked, memory_order_relaxed))
			continue;
		if ((s = atomic_exchange(&a->parked, NULL)) != NULL)
			unpark_one(p, a, s);
	}
}

int
pool_parked_count(const struct dd_pool *p)
{
	const struct slot_list *l = &p->lists[SLOT_ACTIVE];
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += atomic_load_explicit(&l->v[i]->parked, memory_order_relaxed);
	return n;
}
