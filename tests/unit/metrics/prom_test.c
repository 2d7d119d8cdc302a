/*
 * prom_test.c: the Prometheus text writer: exact output for escapes, numbers
 * and histograms; every refusal leaves the text unchanged; and a realistic
 * scrape with all DESIGN.md §10 families, read back by the strict parser.
 */
#include "tap.h"

#include "dbdeck/breaker.h"
#include "dbdeck/metrics.h"
#include "prom_parse.h"
#include "util/util.h"

#include <math.h>

#define L(...)      ((const struct dd_prom_label[]){__VA_ARGS__})
#define NL(...)     (sizeof((const struct dd_prom_label[]){__VA_ARGS__}) / sizeof(struct dd_prom_label))
#define LABELS(...) L(__VA_ARGS__), NL(__VA_ARGS__)

static struct prom_doc *
parse_text(struct dd_prom *p, const char *what)
{
	char err[256] = "";
	size_t len;
	const char *text = dd_prom_text(p, &len);
	struct prom_doc *d = prom_parse(text, len, err, sizeof(err));
	ok(d != NULL, "strict parser accepts: %s", what);
	if (!d)
		diag("  %s", err);
	return d;
}

static void
test_escapes(void)
{
	struct dd_prom *p = dd_prom_new();

	dd_prom_family(p, "x", DD_PROM_GAUGE, "a \\ back\nslash \"q\"");
	dd_prom_sample(p, LABELS({"path", "C:\\dir\\"}, {"msg", "say \"hi\"\nbye"}), 1);
	dd_prom_sample(p, NULL, 0, 2);
	is_str(dd_prom_text(p, NULL),
	    "# HELP x a \\\\ back\\nslash \"q\"\n"
	    "# TYPE x gauge\n"
	    "x{path=\"C:\\\\dir\\\\\",msg=\"say \\\"hi\\\"\\nbye\"} 1\n"
	    "x 2\n",
	    "HELP escapes \\ and newline; label values escape \\, \" and newline");
	struct prom_doc *d = parse_text(p, "escaped text");
	if (d) {
		ok(prom_find(d, "x", "path=C:\\dir\\,msg=say \"hi\"\nbye") != NULL,
		    "label values read back unchanged");
		is_str(prom_family(d, "x")->help, "a \\ back\nslash \"q\"",
		    "help reads back unchanged");
	}
	prom_doc_free(d);
	dd_prom_free(p);
}

static void
test_values(void)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0, "0"},
	    {3, "3"},
	    {-42, "-42"},
	    {0.1, "0.1"},
	    {1e-9, "1e-09"},
	    {2.5e-3, "0.0025"},
	    {1e300, "1e+300"},
	    {123456.789, "123456.789"},
	    {9007199254740993.0, "9007199254740992"},
	    {1.0 / 3, "0.3333333333333333"},
	    {0.1 + 0.2, "0.30000000000000004"},
	    {INFINITY, "+Inf"},
	    {-INFINITY, "-Inf"},
	    {NAN, "NaN"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dd_prom *p = dd_prom_new();
		char want[128];
		dd_prom_family(p, "v", DD_PROM_GAUGE, NULL);
		dd_prom_sample(p, NULL, 0, cases[i].v);
		snprintf(want, sizeof(want), "# TYPE v gauge\nv %s\n", cases[i].text);
		is_str(dd_prom_text(p, NULL), want, cases[i].text);
		const char *t = dd_prom_text(p, NULL) + strlen("# TYPE v gauge\nv ");
		double back = strtod(t, NULL);
		ok(isnan(cases[i].v) ? isnan(back) : back == cases[i].v, "%s reads back exactly",
		    cases[i].text);
		dd_prom_free(p);
	}
}

/* Calls that must fail, each leaving the text as it was. */
static void
test_refusals(void)
{
	struct dd_prom *p = dd_prom_new();
	struct dd_histogram_snapshot s = {0};
	size_t len;

	ok(dd_prom_sample(p, NULL, 0, 1) < 0, "sample before any family refused");
	is_str(dd_prom_error(p), "sample written before any family", "first error kept");
	dd_prom_family(p, "c_total", DD_PROM_COUNTER, "c");
	dd_prom_sample(p, LABELS({"a", "1"}), 1);
	const char *before = xstrdup(dd_prom_text(p, &len));

	ok(dd_prom_family(p, "c_total", DD_PROM_GAUGE, NULL) < 0, "family written twice refused");
	ok(dd_prom_family(p, "1bad", DD_PROM_GAUGE, NULL) < 0, "bad metric name refused");
	ok(dd_prom_family(p, "bad-name", DD_PROM_GAUGE, NULL) < 0,
	    "metric name with a dash refused");
	ok(dd_prom_family(p, "", DD_PROM_GAUGE, NULL) < 0, "empty metric name refused");
	ok(dd_prom_family(p, NULL, DD_PROM_GAUGE, NULL) < 0, "NULL metric name refused");
	ok(dd_prom_family(p, "t", (enum dd_prom_type)99, NULL) < 0, "unknown type refused");
	ok(dd_prom_family(p, "u", DD_PROM_GAUGE, "\xff") < 0, "help that is not UTF-8 refused");
	ok(dd_prom_sample(p, LABELS({"a", "1"}), 2) < 0, "same label set twice refused");
	ok(dd_prom_sample(p, LABELS({"9a", "1"}), 2) < 0, "bad label name refused");
	ok(dd_prom_sample(p, LABELS({"__a", "1"}), 2) < 0, "reserved label name refused");
	ok(dd_prom_sample(p, LABELS({"a", "1"}, {"a", "2"}), 2) < 0, "repeated label refused");
	ok(dd_prom_sample(p, LABELS({"a", "\xc3"}), 2) < 0, "label value not UTF-8 refused");
	ok(dd_prom_sample(p, LABELS({"a", NULL}), 2) < 0, "NULL label value refused");
	ok(dd_prom_sample(p, LABELS({"a", "2"}), -1) < 0, "negative counter refused");
	ok(dd_prom_sample(p, LABELS({"a", "2"}), NAN) < 0, "NaN counter refused");
	ok(dd_prom_histogram(p, NULL, 0, &s) < 0, "histogram in a counter family refused");
	is_str(dd_prom_text(p, NULL), before, "refused calls wrote nothing");
	is_str(dd_prom_error(p), "sample written before any family", "still the first error");

	ok(dd_prom_sample(p, LABELS({"b", "1"}, {"a", "2"}), 0) == 0, "a new label set is fine");
	ok(dd_prom_sample(p, LABELS({"a", "2"}, {"b", "1"}), 0) < 0,
	    "the same set in another order refused");

	dd_prom_family(p, "h", DD_PROM_HISTOGRAM, NULL);
	ok(dd_prom_sample(p, NULL, 0, 1) < 0, "plain sample in a histogram family refused");
	ok(dd_prom_histogram(p, LABELS({"le", "1"}), &s) < 0, "label le refused in a histogram");

	struct prom_doc *d = parse_text(p, "text after refusals");
	prom_doc_free(d);
	dd_prom_reset(p);
	is_str(dd_prom_text(p, NULL), "", "reset empties the text");
	ok(dd_prom_error(p) == NULL, "reset clears the error");
	ok(dd_prom_family(p, "c_total", DD_PROM_COUNTER, NULL) == 0, "reset forgets the families");
	free((void *)before);
	dd_prom_free(p);
	dd_prom_free(NULL);
}

static void
test_histogram_text(void)
{
	struct dd_histogram *h = dd_histogram_new();
	struct dd_histogram_snapshot s;
	struct dd_prom *p = dd_prom_new();

	dd_histogram_record(h, 1024);         /* le 0.000001024 */
	dd_histogram_record(h, 1025);         /* le 0.000002048 */
	dd_histogram_record(h, 1500000);      /* 1.5 ms: le 0.002097152 */
	dd_histogram_record(h, 100000000000); /* 100 s: only +Inf */
	dd_histogram_snapshot(h, &s);
	dd_prom_family(p, "w_seconds", DD_PROM_HISTOGRAM, "wait");
	ok(dd_prom_histogram(p, LABELS({"node", "pg-a"}), &s) == 0, "histogram written");

	const char *t = dd_prom_text(p, NULL);
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"0.000001024\"} 1\n") != NULL,
	    "first bucket: 1.024 us");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"0.000002048\"} 2\n") != NULL,
	    "cumulative at 2.048 us");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"0.001048576\"} 2\n") != NULL,
	    "cumulative at 1.05 ms");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"0.002097152\"} 3\n") != NULL,
	    "cumulative at 2.1 ms");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"1.073741824\"} 3\n") != NULL,
	    "le of 2^30 ns");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"68.719476736\"} 3\n") != NULL,
	    "last finite le");
	ok(strstr(t, "w_seconds_bucket{node=\"pg-a\",le=\"+Inf\"} 4\n") != NULL, "+Inf = count");
	ok(strstr(t, "w_seconds_sum{node=\"pg-a\"} 100.001502049\n") != NULL, "_sum in seconds");
	ok(strstr(t, "w_seconds_count{node=\"pg-a\"} 4\n") != NULL, "_count");
	int lines = 0;
	for (const char *c = t; *c; c++)
		lines += *c == '\n';
	is_int(lines, 2 + 27 + 1 + 2, "HELP, TYPE, 27 powers of two, +Inf, _sum, _count");

	struct dd_histogram_snapshot empty = {0};
	ok(dd_prom_histogram(p, NULL, 0, &empty) == 0, "an empty series without labels");
	struct prom_doc *d = parse_text(p, "histogram text");
	if (d) {
		const struct prom_sample *c = prom_find(d, "w_seconds_count", "");
		ok(c && c->value == 0, "empty series: _count 0");
	}
	prom_doc_free(d);
	dd_prom_free(p);
	dd_histogram_free(h);
}

/* ---- a realistic scrape ---- */

static const char *const nodes[] = {"pg-a", "pg-b", "pg-c"};

static void
fill_histogram(struct dd_histogram_snapshot *s, uint64_t seed, int64_t scale_ns)
{
	struct dd_histogram *h = dd_histogram_new();
	struct dd_xorshift x;
	dd_xorshift_seed(&x, seed);
	for (int i = 0; i < 5000; i++)
		dd_histogram_record(h, (int64_t)(dd_xorshift_next(&x) % (uint64_t)scale_ns));
	dd_histogram_snapshot(h, s);
	dd_histogram_free(h);
}

static void
write_pool_families(struct dd_prom *p, const char *cluster)
{
	static const char *const states[] = {"active", "idle", "waiting"};
	static const char *const reasons[] = {"timeout", "connect", "breaker_open"};
	struct dd_histogram_snapshot s;

	dd_prom_family_def(p, DD_METRIC_POOL_SIZE);
	for (int n = 0; n < 3; n++)
		for (int k = 0; k < 3; k++)
			dd_prom_sample(p,
			    LABELS({"cluster", cluster}, {"node", nodes[n]}, {"state", states[k]}),
			    n * 3 + k);
	dd_prom_family_def(p, DD_METRIC_POOL_WAIT_TIME);
	for (int n = 0; n < 3; n++) {
		fill_histogram(&s, (uint64_t)n + 1, 50000000);
		dd_prom_histogram(p, LABELS({"cluster", cluster}, {"node", nodes[n]}), &s);
	}
	dd_prom_family_def(p, DD_METRIC_POOL_ERRORS);
	for (int n = 0; n < 3; n++)
		for (int k = 0; k < 3; k++)
			dd_prom_sample(p,
			    LABELS(
			        {"cluster", cluster}, {"node", nodes[n]}, {"reason", reasons[k]}),
			    k * 10);
}

static void
write_replica_families(struct dd_prom *p, const char *cluster)
{
	struct dd_histogram_snapshot s;

	dd_prom_family_def(p, DD_METRIC_REPLICATION_LAG);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"replica", "pg-b"}), 0.25);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"replica", "pg-c"}), NAN);
	dd_prom_family_def(p, DD_METRIC_REPLICA_HEALTH);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"replica", "pg-b"}), 1);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"replica", "pg-c"}), 0);
	dd_prom_family_def(p, DD_METRIC_QUERY_DURATION);
	fill_histogram(&s, 11, 2000000000);
	dd_prom_histogram(p, LABELS({"cluster", cluster}, {"query_type", "read"}), &s);
	fill_histogram(&s, 12, 90000000000);
	dd_prom_histogram(p, LABELS({"cluster", cluster}, {"query_type", "write"}), &s);
	dd_prom_family_def(p, DD_METRIC_SLOW_QUERIES);
	dd_prom_sample(p, LABELS({"cluster", cluster}), 17);
	dd_prom_family_def(p, DD_METRIC_BREAKER_STATE);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"node", "pg-a"}), DD_BREAKER_CLOSED);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"node", "pg-b"}), DD_BREAKER_OPEN);
	dd_prom_sample(p, LABELS({"cluster", cluster}, {"node", "pg-c"}), DD_BREAKER_HALF_OPEN);
	dd_prom_family_def(p, DD_METRIC_BACKUP_AGE);
	dd_prom_sample(p, LABELS({"cluster", cluster}), 3600.5);
	dd_prom_sample(p, LABELS({"cluster", "odd \"name\"\\with\nnewline"}), INFINITY);
}

static void
test_realistic(void)
{
	struct dd_prom *p = dd_prom_new();

	write_pool_families(p, "orders");
	write_replica_families(p, "orders");
	ok(dd_prom_error(p) == NULL, "every call of the scrape succeeded");
	if (dd_prom_error(p))
		diag("  %s", dd_prom_error(p));
	struct prom_doc *d = parse_text(p, "all DESIGN.md §10 families with data");
	if (!d) {
		dd_prom_free(p);
		return;
	}
	bool all_there = true;
	for (int m = 0; m < DD_METRIC_COUNT_; m++) {
		const struct dd_metric_def *def = dd_metric_def((enum dd_metric)m);
		const struct prom_family *f = prom_family(d, def->name);
		all_there =
		    all_there && f && f->nsamples > 0 && f->help && strcmp(f->help, def->help) == 0;
	}
	ok(all_there, "each of the 9 families is present with its HELP and samples");
	is_str(
	    prom_family(d, "db_circuit_breaker_state")->type, "gauge", "breaker state is a gauge");
	is_str(prom_family(d, "db_connection_pool_wait_time_seconds")->type, "histogram",
	    "wait time is a histogram");
	is_str(prom_family(d, "db_connection_pool_errors_total")->type, "counter",
	    "errors are a counter");
	const struct prom_sample *x =
	    prom_find(d, "db_connection_pool_size", "cluster=orders,node=pg-b,state=waiting");
	ok(x && x->value == 5, "pool size sample read back");
	x = prom_find(d, "db_circuit_breaker_state", "cluster=orders,node=pg-c");
	ok(x && x->value == 2, "half-open breaker exported as 2");
	x = prom_find(d, "db_replication_lag_seconds", "cluster=orders,replica=pg-c");
	ok(x && isnan(x->value), "unknown lag exported as NaN");
	x = prom_find(d, "db_query_duration_seconds_count", "cluster=orders,query_type=write");
	ok(x && x->value == 5000, "query histogram count read back");
	x = prom_find(d, "db_backup_age_seconds", "cluster=odd \"name\"\\with\nnewline");
	ok(x && isinf(x->value), "awkward cluster name survives escaping");
	is_int((long long)dd_metric_def(DD_METRIC_COUNT_) == 0, 1, "out-of-range metric: NULL");
	prom_doc_free(d);

	/* Same input, same text: the builder is deterministic and reusable. */
	char *first = xstrdup(dd_prom_text(p, NULL));
	dd_prom_reset(p);
	write_pool_families(p, "orders");
	write_replica_families(p, "orders");
	is_str(dd_prom_text(p, NULL), first, "a second scrape after reset is identical");
	free(first);
	dd_prom_free(p);
}

/* Many series and families (a 200-node scrape): every duplicate still found, none invented. */
static void
test_many_series(void)
{
	struct dd_prom *p = dd_prom_new();
	char node[32], fam[32];
	int refused = 0, accepted = 0;

	for (int f = 0; f < 40; f++) {
		snprintf(fam, sizeof(fam), "fam_%d", f);
		dd_prom_family(p, fam, DD_PROM_GAUGE, "many");
		for (int i = 0; i < 600; i++) {
			snprintf(node, sizeof(node), "n%d", i);
			accepted +=
			    dd_prom_sample(p, LABELS({"cluster", "c"}, {"node", node}), i) == 0;
		}
		for (int i = 0; i < 600; i += 7) {
			snprintf(node, sizeof(node), "n%d", i);
			refused +=
			    dd_prom_sample(p, LABELS({"node", node}, {"cluster", "c"}), i) < 0;
		}
	}
	is_int(accepted, 40 * 600, "many series: every distinct label set accepted");
	is_int(refused, 40 * 86, "many series: every repeat refused (labels in any order)");
	ok(dd_prom_family(p, "fam_17", DD_PROM_GAUGE, NULL) < 0,
	    "many series: a family twice refused");
	dd_prom_free(p);
}

int
main(void)
{
	test_escapes();
	test_values();
	test_refusals();
	test_histogram_text();
	test_realistic();
	test_many_series();
	return tap_done();
}
