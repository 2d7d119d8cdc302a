/*
 * schema_probe.c: one schema health round over the clusters of a config
 * (dd_schema_probe). Per cluster and per database of `databases`: connect
 * to every node with the cluster's credential (a short session of our own,
 * never a pooled one), find the primary, set the statement and lock
 * timeouts, run the engine's catalog queries (schema_pg.c, schema_my.c) on
 * the primary and the index usage on every node, then the checks. After the
 * clusters: migration drift inside each schema_group.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_internal.h"
#include "util/util.h"

#define SCHEMA_DEADLINE_SLACK_MS 2000 /* client-side deadline beyond the server's timeout */

char *
schema_sql(const char *tmpl, int n, int64_t stmt_ms, int64_t lock_ms, const char *t, const char *c,
    const char *y, const char *q)
{
	size_t cap = strlen(tmpl) + 64, o = 0;
	char *out = xmalloc(cap), num[32];

	for (const char *p = tmpl; *p; p++) {
		const char *sub = NULL;
		if (p[0] == '{' && p[1] && p[2] == '}') {
			switch (p[1]) {
			case 'N':
				snprintf(num, sizeof(num), "%d", n);
				sub = num;
				break;
			case 'S':
				snprintf(num, sizeof(num), "%lld", (long long)stmt_ms);
				sub = num;
				break;
			case 'L':
				snprintf(num, sizeof(num), "%lld", (long long)lock_ms);
				sub = num;
				break;
			case 's':
				snprintf(num, sizeof(num), "%.3f", (double)stmt_ms / 1000);
				sub = num;
				break;
			case 'l':
				snprintf(
				    num, sizeof(num), "%lld", (long long)(lock_ms + 999) / 1000);
				sub = num;
				break;
			case 'T': sub = t ? t : ""; break;
			case 'C': sub = c ? c : ""; break;
			case 'Y': sub = y ? y : ""; break;
			case 'Q': sub = q ? q : ""; break;
			}
		}
		if (sub) {
			size_t l = strlen(sub);
			cap += l;
			out = xrealloc(out, cap);
			memcpy(out + o, sub, l);
			o += l;
			p += 2;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

/* ---- the accumulator ---- */

#define GROW(arr, n, cap)                                                                          \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? 2 * (cap) : 16;                                            \
			(arr) = xrealloc((arr), (size_t)(cap) * sizeof(*(arr)));                   \
		}                                                                                  \
	} while (0)

void
schema_add_finding(struct schema_acc *a, enum dd_schema_kind kind, enum dd_severity sev,
    const char *object, const char *fix, const char *evfmt, ...)
{
	struct dd_schema_cluster *cl = a->cl;
	struct dd_schema_finding *f;
	va_list ap;

	GROW(cl->findings, cl->n_findings, a->cap_f);
	f = &cl->findings[cl->n_findings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = sev;
	dd_strlcpy(f->database, a->db ? a->db : "", sizeof(f->database));
	dd_strlcpy(f->object, object, sizeof(f->object));
	dd_strlcpy(f->fix, fix ? fix : "", sizeof(f->fix));
	va_start(ap, evfmt);
	vsnprintf(f->evidence, sizeof(f->evidence), evfmt, ap);
	va_end(ap);
}

struct dd_schema_table *
schema_add_table(struct schema_acc *a)
{
	struct dd_schema_cluster *cl = a->cl;
	struct dd_schema_table *t;

	GROW(cl->tables, cl->n_tables, a->cap_t);
	t = &cl->tables[cl->n_tables++];
	memset(t, 0, sizeof(*t));
	dd_strlcpy(t->database, a->db, sizeof(t->database));
	return t;
}

struct dd_schema_migration *
schema_add_migration(struct schema_acc *a)
{
	struct dd_schema_cluster *cl = a->cl;
	struct dd_schema_migration *m;

	GROW(cl->migrations, cl->n_migrations, a->cap_m);
	m = &cl->migrations[cl->n_migrations++];
	memset(m, 0, sizeof(*m));
	dd_strlcpy(m->database, a->db, sizeof(m->database));
	return m;
}

void
schema_note(struct schema_acc *a, const char *fmt, ...)
{
	char *n = a->cl->notes, buf[256];
	size_t len = strlen(n);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strstr(n, buf))
		return;
	snprintf(n + len, sizeof(a->cl->notes) - len, "%s%s", len ? "; " : "", buf);
}
