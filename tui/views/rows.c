/*
 * rows.c: the rows of the lists the views show, rebuilt from each snapshot:
 * which nodes, queries, events and alerts match the filter, in what order,
 * and the ids the selection follows (console.h). Pure; unit-tested.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "console_util.h"
#include "dbdeck/alerts.h"
#include "dbdeck/util.h"

void
rowset_clear(struct rowset *r)
{
	r->n = 0;
}

void
rowset_push(struct rowset *r, int idx, uint64_t id)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->idx = xrealloc(r->idx, (size_t)r->cap * sizeof(*r->idx));
		r->ids = xrealloc(r->ids, (size_t)r->cap * sizeof(*r->ids));
	}
	r->idx[r->n] = idx;
	r->ids[r->n] = id;
	r->n++;
}

void
rowset_free(struct rowset *r)
{
	free(r->idx);
	free(r->ids);
	memset(r, 0, sizeof(*r));
}

/* ---- filter ------------------------------------------------------------- */

/* How far the query text is searched: enough for any real statement, bounded for 1 MB ones. */
#define FILTER_TEXT_MAX (256 * 1024)

static bool
word_matches(const char *word, const struct filter_field *f, int n)
{
	const char *colon = strchr(word, ':');
	if (colon && colon > word) {
		size_t flen = (size_t)(colon - word);
		for (int i = 0; i < n; i++)
			if (strlen(f[i].name) == flen && strncmp(f[i].name, word, flen) == 0)
				return tui_contains(f[i].val, f[i].len, colon + 1);
		/* Not a field name: the whole word, colon included, is searched. */
	}
	for (int i = 0; i < n; i++)
		if (tui_contains(f[i].val, f[i].len, word))
			return true;
	return false;
}

bool
filter_match(const char *filter, const struct filter_field *f, int n)
{
	char word[FILTER_MAX];
	const char *p = filter ? filter : "";
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return true;
		size_t len = strcspn(p, " ");
		if (len >= sizeof(word))
			len = sizeof(word) - 1;
		memcpy(word, p, len);
		word[len] = '\0';
		p += strcspn(p, " ");
		bool neg = word[0] == '!' && word[1] != '\0';
		if (word_matches(neg ? word + 1 : word, f, n) == neg)
			return false;
	}
}

static struct filter_field
field(const char *name, const char *val)
{
	struct filter_field f = {name, val ? val : "", val ? strlen(val) : 0};
	return f;
}

/* ---- nodes -------------------------------------------------------------- */

uint64_t
rows_node_id(int node)
{
	return (uint64_t)node + 1;
}

void
rows_nodes(const struct dd_snapshot *s, const char *filter, struct rowset *out)
{
	rowset_clear(out);
	for (int i = 0; s && i < s->n_nodes; i++) {
		const struct dd_snap_node *n = &s->nodes[i];
		const char *cl = n->cluster >= 0 && n->cluster < s->n_clusters
		                     ? s->clusters[n->cluster].name
		                     : "";
		struct filter_field f[] = {field("node", n->name), field("cluster", cl),
		    field("role", dd_role_name(n->role)),
		    field("state", dd_node_state_name(n->state)), field("host", n->host)};
		if (filter_match(filter, f, (int)DD_ARRAY_LEN(f)))
			rowset_push(out, i, rows_node_id(i));
	}
}

/* ---- queries ------------------------------------------------------------ */

uint64_t
rows_query_id(const struct dd_snapshot *s, const struct dd_snap_query *q)
{
	/*
	 * PostgreSQL gives query_start to the microsecond; MariaDB's start is
	 * computed from TIME_MS at each probe and moves by a few ms, so there
	 * the statement's text stands in for it.
	 */
	bool pg = q->cluster >= 0 && q->cluster < s->n_clusters &&
	          s->clusters[q->cluster].engine == DD_ENGINE_POSTGRESQL;
	int64_t start = pg ? q->started_us : 0;
	uint64_t h = DD_FNV1A_INIT;
	h = dd_fnv1a(h, &q->cluster, sizeof(q->cluster));
	h = dd_fnv1a(h, &q->node, sizeof(q->node));
	h = dd_fnv1a(h, &q->pid, sizeof(q->pid));
	h = dd_fnv1a(h, &q->text_hash, sizeof(q->text_hash));
	h = dd_fnv1a(h, &start, sizeof(start));
	return h ? h : 1;
}

int
rows_find_query(const struct dd_snapshot *s, uint64_t id)
{
	for (int i = 0; s && i < s->n_queries; i++)
		if (rows_query_id(s, &s->queries[i]) == id)
			return i;
	return -1;
}

static const char *
query_node_name(const struct dd_snapshot *s, const struct dd_snap_query *q)
{
	return q->node >= 0 && q->node < s->n_nodes ? s->nodes[q->node].name : "";
}

static bool
query_matches(const struct dd_snapshot *s, const struct dd_snap_query *q, const char *filter)
{
	const char *cl =
	    q->cluster >= 0 && q->cluster < s->n_clusters ? s->clusters[q->cluster].name : "";
	size_t tlen = q->text ? q->text_len : 0;
	struct filter_field f[] = {field("node", query_node_name(s, q)), field("user", q->user),
	    field("db", q->database), field("state", q->state), field("cluster", cl),
	    {"query", q->text ? q->text : "", tlen < FILTER_TEXT_MAX ? tlen : FILTER_TEXT_MAX},
	    field("app", q->application), field("client", q->client), field("wait", q->wait_event)};
	return filter_match(filter, f, (int)DD_ARRAY_LEN(f));
}

const char *
rows_qsort_name(enum qsort_key k)
{
	static const char *const names[QSORT_COUNT] = {
	    "duration", "node", "user", "database", "state", "pid"};
	return k < QSORT_COUNT ? names[k] : "?";
}

struct qsort_ctx {
	const struct dd_snapshot *s;
	enum qsort_key key;
	bool asc;
};

static int
cmp_num(double a, double b)
{
	return (a > b) - (a < b);
}

static int
cmp_query(const void *pa, const void *pb, void *vctx)
{
	const struct qsort_ctx *ctx = vctx;
	const struct dd_snap_query *a = &ctx->s->queries[*(const int *)pa];
	const struct dd_snap_query *b = &ctx->s->queries[*(const int *)pb];
	int r = 0;
	switch (ctx->key) {
	case QSORT_DURATION: r = cmp_num(a->duration_s, b->duration_s); break;
	case QSORT_NODE:
		r = tui_strcasecmp0(query_node_name(ctx->s, a), query_node_name(ctx->s, b));
		break;
	case QSORT_USER: r = tui_strcasecmp0(a->user, b->user); break;
	case QSORT_DATABASE: r = tui_strcasecmp0(a->database, b->database); break;
	case QSORT_STATE: r = tui_strcasecmp0(a->state, b->state); break;
	case QSORT_PID: r = cmp_num((double)a->pid, (double)b->pid); break;
	default: break;
	}
	if (!ctx->asc)
		r = -r;
	if (r == 0)
		r = -cmp_num(a->duration_s, b->duration_s);
	if (r == 0)
		r = cmp_num((double)a->pid, (double)b->pid);
	if (r == 0)
		r = cmp_num(a->node, b->node);
	return r;
}

void
rows_queries(const struct dd_snapshot *s, const char *filter, enum qsort_key key, bool asc,
    struct rowset *out)
{
	rowset_clear(out);
	for (int i = 0; s && i < s->n_queries; i++)
		if (query_matches(s, &s->queries[i], filter))
			rowset_push(out, i, 0);
	if (out->n == 0)
		return;
	struct qsort_ctx ctx = {s, key, asc};
	qsort_r(out->idx, (size_t)out->n, sizeof(int), cmp_query, &ctx);
	for (int i = 0; i < out->n; i++)
		out->ids[i] = rows_query_id(s, &s->queries[out->idx[i]]);
}

/* ---- events and alerts -------------------------------------------------- */

void
rows_events(const struct dd_snapshot *s, const char *filter, struct rowset *out)
{
	rowset_clear(out);
	for (int i = s ? s->n_events - 1 : -1; i >= 0; i--) {
		const struct dd_snap_event *e = &s->events[i];
		struct filter_field f[] = {field("cluster", e->cluster), field("node", e->node),
		    field("kind", dd_event_kind_name(e->kind)),
		    field("severity", dd_severity_short_name(e->severity)),
		    field("message", e->message)};
		if (filter_match(filter, f, (int)DD_ARRAY_LEN(f)))
			rowset_push(out, i, (uint64_t)e->wall_ms ^ ((uint64_t)i << 48));
	}
}

void
rows_alerts(const struct dd_snapshot *s, const char *filter, struct rowset *out)
{
	rowset_clear(out);
	for (int i = 0; s && i < s->n_alerts; i++) {
		const struct dd_snap_alert *a = &s->alerts[i];
		struct filter_field f[] = {field("cluster", a->cluster), field("node", a->node),
		    field("rule", a->rule), field("severity", dd_severity_short_name(a->severity)),
		    field("message", a->message)};
		if (filter_match(filter, f, (int)DD_ARRAY_LEN(f)))
			rowset_push(out, i, (uint64_t)i + 1);
	}
}
