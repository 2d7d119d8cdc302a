/*
 * fo_checks.c: the pre-checks both engines share (the engines add their
 * own through fo_engine.checks): the nodes that answer and the majority the
 * lock needs, the lock not held elsewhere, one primary (switchover) or none
 * answering (failover), the candidate, its lag or whether another replica
 * is ahead of it, and the hooks. Each check is a row with a state; --force
 * turns a failed overridable row into "forced" and names it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "failover/fo_int.h"
#include "util/util.h"

void
fo_check(struct dd_fo_plan *p, const char *name, enum dd_fo_check_state st, bool overridable,
    const char *fmt, ...)
{
	struct dd_fo_check *c;
	va_list ap;

	if (p->n_checks == FO_MAX_CHECKS)
		return;
	c = &p->checks[p->n_checks++];
	dd_strlcpy(c->name, name, sizeof(c->name));
	c->overridable = overridable;
	c->state = st == DD_FO_CHECK_FAIL && overridable && p->force ? DD_FO_CHECK_FORCED : st;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

int
fo_compare_received(const struct dd_fo_plan *p, int a, int b)
{
	const struct dd_role_info *x = &p->nodes[a].info, *y = &p->nodes[b].info;

	if (p->cc->engine == DD_ENGINE_POSTGRESQL) {
		uint64_t ra = x->receive_lsn ? x->receive_lsn : x->replay_lsn;
		uint64_t rb = y->receive_lsn ? y->receive_lsn : y->replay_lsn;
		return ra > rb ? 1 : ra < rb ? -1 : 0;
	}
	const struct dd_gtid_set *ga = x->io_set.n ? &x->io_set : &x->current_set;
	const struct dd_gtid_set *gb = y->io_set.n ? &y->io_set : &y->current_set;
	bool ab = dd_gtid_set_covers(ga, gb), ba = dd_gtid_set_covers(gb, ga);
	return ab && !ba ? 1 : ba && !ab ? -1 : 0;
}

static bool
is_replica(const struct dd_fo_plan *p, int i)
{
	return p->nodes[i].reachable && p->nodes[i].info.role == DD_ROLE_REPLICA;
}

int
fo_most_advanced(const struct dd_fo_plan *p)
{
	int best = -1;

	for (int i = 0; i < (int)p->n; i++)
		if (is_replica(p, i) && (best < 0 || fo_compare_received(p, i, best) > 0))
			best = i;
	return best;
}

static void
check_nodes(struct dd_fo_plan *p)
{
	size_t i, up = 0, need = p->n / 2 + 1;
	char down[200] = "";

	for (i = 0; i < p->n; i++) {
		if (p->nodes[i].reachable) {
			up++;
			continue;
		}
		size_t used = strlen(down);
		snprintf(down + used, sizeof(down) - used, "%s%s (%.60s)", used ? ", " : "",
		    fo_name(p, (int)i), p->nodes[i].error);
	}
	if (up == p->n)
		fo_check(p, "nodes", DD_FO_CHECK_OK, false, "all %zu nodes answer", p->n);
	else
		fo_check(p, "nodes", DD_FO_CHECK_WARN, false, "%zu of %zu answer; down: %s", up,
		    p->n, down);
	if (up >= need)
		fo_check(p, "majority", DD_FO_CHECK_OK, false,
		    "the cluster lock can be held on %zu of %zu nodes (a majority is %zu)", up,
		    p->n, need);
	else
		fo_check(p, "majority", DD_FO_CHECK_FAIL, true,
		    "only %zu of %zu nodes answer; the cluster lock needs %zu", up, p->n, need);
}

static void
check_lock(struct dd_fo_plan *p)
{
	char holder[FO_HOLDER_MAX], who[160];

	fo_lock_peek(p, holder, sizeof(holder));
	if (!holder[0]) {
		fo_check(p, "lock", DD_FO_CHECK_OK, false, "no other action holds the cluster");
		return;
	}
	fo_lock_describe(holder, who, sizeof(who));
	fo_check(
	    p, "lock", DD_FO_CHECK_FAIL, false, "another dbdeck holds the cluster lock (%s)", who);
}

static void
check_primary(struct dd_fo_plan *p)
{
	int writable = 0;
	char names[160] = "";

	for (size_t i = 0; i < p->n; i++) {
		const struct fo_node *n = &p->nodes[i];
		if (!n->reachable || n->info.role != DD_ROLE_PRIMARY || n->info.read_only)
			continue;
		size_t used = strlen(names);
		snprintf(names + used, sizeof(names) - used, "%s%s", writable++ ? ", " : "",
		    n->nc->name);
	}
	if (p->action == DD_FO_SWITCHOVER) {
		if (writable == 1 && p->primary >= 0)
			fo_check(p, "primary", DD_FO_CHECK_OK, false, "%s is the primary",
			    fo_name(p, p->primary));
		else if (writable == 0)
			fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
			    "no node answers as a writable primary: use failover");
		else
			fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
			    "SPLIT-BRAIN: %s all accept writes; resolve it first "
			    "(docs/switchover.md)",
			    names);
		return;
	}
	if (writable > 0)
		fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
		    "%s answers as a writable primary: a failover would make two; use switchover",
		    names);
	else if (p->primary < 0)
		fo_check(p, "primary", DD_FO_CHECK_FAIL, false,
		    "no replica names a configured node as its primary");
	else
		fo_check(p, "primary", DD_FO_CHECK_OK, false, "%s (the replicas' primary) %s",
		    fo_name(p, p->primary),
		    p->nodes[p->primary].reachable ? "is not a writable primary"
		                                   : "does not answer");
}

static void
check_candidate(struct dd_fo_plan *p)
{
	int best;

	if (p->candidate < 0) {
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false, "no replica answers");
		return;
	}
	const struct fo_node *c = &p->nodes[p->candidate];
	if (p->candidate == p->primary)
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false, "%s is the primary already",
		    c->nc->name);
	else if (!c->reachable)
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false, "%s does not answer: %s",
		    c->nc->name, c->error);
	else if (c->info.role != DD_ROLE_REPLICA)
		fo_check(
		    p, "candidate", DD_FO_CHECK_FAIL, false, "%s is not a replica", c->nc->name);
	else if (p->primary >= 0 && c->upstream != p->primary)
		fo_check(p, "candidate", DD_FO_CHECK_FAIL, false,
		    "%s does not replicate from %s directly", c->nc->name, fo_name(p, p->primary));
	else
		fo_check(p, "candidate", DD_FO_CHECK_OK, false, "%s is a replica of %s",
		    c->nc->name, fo_name(p, p->primary));
	if (p->action != DD_FO_FAILOVER || !is_replica(p, p->candidate))
		return;
	best = fo_most_advanced(p);
	if (best >= 0 && fo_compare_received(p, best, p->candidate) > 0)
		fo_check(p, "ahead", DD_FO_CHECK_FAIL, true,
		    "%s has received more than %s: promoting %s loses what only %s has",
		    fo_name(p, best), c->nc->name, c->nc->name, fo_name(p, best));
	else
		fo_check(p, "ahead", DD_FO_CHECK_OK, false, "no replica has received more than %s",
		    c->nc->name);
}

/* Whether the engine's sequence for this action has a step of kind k. */
static bool
has_kind(const struct dd_fo_plan *p, enum fo_kind k)
{
	int a = p->action == DD_FO_FAILOVER;

	for (size_t i = 0; i < p->eng->nseq[a]; i++)
		if (p->eng->seq[a][i] == k)
			return true;
	return false;
}

static void
check_hooks(struct dd_fo_plan *p)
{
	bool failover = p->action == DD_FO_FAILOVER;
	bool rejoin_needed = has_kind(p, FO_REJOIN);

	if (!has_kind(p, FO_FENCE_HOOK))
		fo_check(p, "fence", DD_FO_CHECK_OK, false,
		    "%s is fenced over SQL and then made a replica over SQL",
		    fo_name(p, p->primary));
	else if (p->fence_argv)
		fo_check(p, "fence", DD_FO_CHECK_OK, false, "fence_command stops %s",
		    fo_name(p, p->primary));
	else if (!failover)
		fo_check(p, "fence", DD_FO_CHECK_OK, false,
		    "no fence_command: %s is fenced over SQL only", fo_name(p, p->primary));
	else if (p->no_fence)
		fo_check(p, "fence", DD_FO_CHECK_WARN, false,
		    "--no-fence: %s is not stopped; if it comes back it accepts writes "
		    "(SPLIT-BRAIN)",
		    fo_name(p, p->primary));
	else
		fo_check(p, "fence", DD_FO_CHECK_FAIL, false,
		    "no fence_command: a failover needs --no-fence --yes (the old primary could "
		    "come back and accept writes)");
	if (!rejoin_needed)
		return;
	if (p->rejoin_argv)
		fo_check(p, "rejoin", DD_FO_CHECK_OK, false,
		    "rejoin_command makes %s a replica of the new primary", fo_name(p, p->primary));
	else
		fo_check(p, "rejoin", DD_FO_CHECK_WARN, false,
		    "no rejoin_command: %s stays fenced and the outcome is incomplete "
		    "(the steps to rejoin it by hand are printed)",
		    fo_name(p, p->primary));
}

void
fo_checks_common(struct dd_fo_plan *p)
{
	check_nodes(p);
	check_lock(p);
	if (p->cc->manager == DD_MANAGER_PATRONI)
		return; /* Patroni's view decides the rest (fo_patroni.c) */
	fo_patroni_detect_check(p);
	check_primary(p);
	check_candidate(p);
	check_hooks(p);
}
