/*
 * config_value_test.c: the config value parsers one by one (durations,
 * integers, booleans, lists, enums, names, paths with ~, retention), the
 * typo suggestions, the message quoting, and the consistency of the key
 * table itself (bounds name real keys, defaults parse and are in range).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "tap.h"
#include "util/util.h"

static void
duration_ok(const char *s, int64_t want)
{
	int64_t got = -1;
	char err[256] = "";
	bool r = dd_cfg_parse_duration(s, &got, err, sizeof(err));
	ok(r && got == want, "duration '%s' = %lld ms", s, (long long)want);
	if (!r || got != want)
		diag("  got %lld (%s)", (long long)got, err);
}

static void
duration_bad(const char *s, const char *want_err)
{
	int64_t got = 12345;
	char err[256] = "";
	bool r = dd_cfg_parse_duration(s, &got, err, sizeof(err));
	ok(!r && got == 12345, "duration '%s' rejected, value untouched", s);
	if (want_err)
		is_str(err, want_err, "  with the message");
}

static void
test_durations(void)
{
	duration_ok("250ms", 250);
	duration_ok("5s", 5000);
	duration_ok("10m", 600000);
	duration_ok("1h", 3600000);
	duration_ok("1h30m", 5400000);
	duration_ok("1m30s250ms", 90250);
	duration_ok("0", 0);
	duration_ok("000", 0);
	duration_ok("0s", 0);
	duration_ok("0010s", 10000);
	duration_ok("9223372036854775807ms", INT64_MAX);
	duration_ok("2562047788015h", (int64_t)2562047788015 * 3600000);
	duration_bad("5x", "'5x' is not a duration (use e.g. 250ms, 5s, 10m, 1h)");
	duration_bad("5", "'5' has no unit (use e.g. 250ms, 5s, 10m, 1h)");
	duration_bad("-5s", "'-5s' is negative (a duration is e.g. 250ms, 5s, 10m, 1h)");
	duration_bad("2562047788016h", "'2562047788016h' is too large");
	duration_bad("99999999999999999999ms", "'99999999999999999999ms' is too large");
	duration_bad("9223372036854775807ms1ms", NULL);
	duration_bad("", "'' is not a duration (use e.g. 250ms, 5s, 10m, 1h)");
	duration_bad("s", NULL);
	duration_bad("5 s", NULL);
	duration_bad("1.5s", NULL);
	duration_bad("5S", NULL);
	duration_bad("5sec", NULL);
	duration_bad("30m1h", NULL); /* units largest first */
	duration_bad("1h1h", NULL);
	duration_bad("+5s", NULL);
	duration_bad("5s ", NULL);
	duration_bad("1d", NULL);
}

static void
int_case(const char *s, bool good, int64_t want)
{
	int64_t got = 777;
	char err[256] = "";
	bool r = dd_cfg_parse_int(s, &got, err, sizeof(err));
	if (good)
		ok(r && got == want, "integer '%s' = %lld", s, (long long)want);
	else
		ok(!r && got == 777 && err[0], "integer '%s' rejected (%s)", s, err);
}

static void
test_ints(void)
{
	int_case("20", true, 20);
	int_case("+20", true, 20);
	int_case("-5", true, -5);
	int_case("0", true, 0);
	int_case("007", true, 7);
	int_case("9223372036854775807", true, INT64_MAX);
	int_case("", false, 0);
	int_case("-", false, 0);
	int_case("1e3", false, 0);
	int_case("0x10", false, 0);
	int_case("20 ", false, 0);
	int_case(" 20", false, 0);
	int_case("2 0", false, 0);
	int_case("99999999999999999999", false, 0);
	int_case("9223372036854775808", false, 0);
	char err[128];
	int64_t v;
	dd_cfg_parse_int("abc", &v, err, sizeof(err));
	is_str(err, "'abc' is not an integer", "integer error message");
	dd_cfg_parse_int("99999999999999999999", &v, err, sizeof(err));
	is_str(err, "'99999999999999999999' is too large", "integer overflow message");
}

static void
test_bools(void)
{
	static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes", "oN"};
	static const char *const no[] = {"false", "no", "off", "0", "FALSE", "No", "OFF"};
	static const char *const bad[] = {"", "maybe", "2", "truee", "y", "n", "t", " true"};
	char err[256];
	bool v;

	for (size_t i = 0; i < DD_ARRAY_LEN(yes); i++) {
		v = false;
		ok(dd_cfg_parse_bool(yes[i], &v, err, sizeof(err)) && v, "boolean '%s' is true",
		    yes[i]);
	}
	for (size_t i = 0; i < DD_ARRAY_LEN(no); i++) {
		v = true;
		ok(dd_cfg_parse_bool(no[i], &v, err, sizeof(err)) && !v, "boolean '%s' is false",
		    no[i]);
	}
	for (size_t i = 0; i < DD_ARRAY_LEN(bad); i++)
		ok(!dd_cfg_parse_bool(bad[i], &v, err, sizeof(err)), "boolean '%s' rejected",
		    bad[i]);
	dd_cfg_parse_bool("maybe", &v, err, sizeof(err));
	is_str(err, "'maybe' is not a boolean (use true/false, yes/no, on/off, 1/0)",
	    "boolean error message");
}

static void
list_good(const char *s, size_t n, const char *joined)
{
	struct dd_str_list l = {0, NULL};
	char err[256] = "", buf[256] = "";
	bool r = dd_cfg_parse_list(s, &l, err, sizeof(err));

	for (size_t i = 0; r && i < l.n; i++) {
		strcat(buf, i ? "|" : "");
		strcat(buf, l.v[i]);
	}
	ok(r && l.n == n && strcmp(buf, joined) == 0, "list '%s' = [%s]", s, joined);
	if (!r || l.n != n || strcmp(buf, joined) != 0)
		diag("  got %zu [%s] (%s)", l.n, buf, err);
	dd_cfg_list_clear(&l);
}

static void
list_bad(const char *s, const char *want_err)
{
	struct dd_str_list l = {0, NULL};
	char err[256] = "";

	ok(!dd_cfg_parse_list(s, &l, err, sizeof(err)) && l.n == 0 && l.v == NULL,
	    "list '%s' rejected", s);
	is_str(err, want_err, "  with the message");
}

static void
test_lists(void)
{
	list_good("a, b, c", 3, "a|b|c");
	list_good("pg-a,pg-b", 2, "pg-a|pg-b");
	list_good("  one\t,  two  ", 2, "one|two");
	list_good("solo", 1, "solo");
	list_good("", 0, "");
	list_bad("a,,b", "empty item in the list 'a,,b'");
	list_bad("a,", "empty item in the list 'a,'");
	list_bad(",", "empty item in the list ','");
	list_bad("a, a", "'a' is listed twice");
	list_bad("a b", "'a b' is not a valid name (1 to 64 letters, digits, '.', '_' or '-')");
	list_bad("a;b", "'a;b' is not a valid name (1 to 64 letters, digits, '.', '_' or '-')");
}

static void
test_enums(void)
{
	static const char *const c[] = {"round-robin", "weighted", "least-lag", NULL};
	char err[256] = "";

	is_int(dd_cfg_parse_enum("round-robin", c, err, sizeof(err)), 0, "enum first value");
	is_int(dd_cfg_parse_enum("least-lag", c, err, sizeof(err)), 2, "enum last value");
	is_int(dd_cfg_parse_enum("Weighted", c, err, sizeof(err)), 1, "enum is case-insensitive");
	is_int(dd_cfg_parse_enum("", c, err, sizeof(err)), -1, "enum empty rejected");
	is_int(dd_cfg_parse_enum("random", c, err, sizeof(err)), -1, "enum unknown rejected");
	is_str(err, "'random' is not one of round-robin, weighted, least-lag", "enum message");
	is_int(dd_cfg_parse_enum("least_lag", c, err, sizeof(err)), -1, "enum near miss rejected");
	is_str(err,
	    "'least_lag' is not one of round-robin, weighted, least-lag; did you mean 'least-lag'?",
	    "enum message suggests the near value");
	is_int(dd_cfg_parse_enum("mysql", dd_cfg_engine_choices, err, sizeof(err)), DD_ENGINE_MYSQL,
	    "engine choices follow enum dd_engine");
	is_int(dd_cfg_parse_enum("verify-full", dd_cfg_tls_choices, err, sizeof(err)),
	    DD_TLS_VERIFY_FULL, "tls choices follow enum dd_tls_mode");
	is_str(dd_read_policy_name(DD_READ_POLICY_LEAST_LAG), "least-lag", "read policy name");
	is_str(dd_no_replica_name(DD_NO_REPLICA_FAIL), "fail", "no_replica name");
	is_str(dd_tls_mode_name(DD_TLS_VERIFY_CA), "verify-ca", "tls name");
	is_str(dd_colour_name(DD_COLOUR_WHITE), "white", "colour name");
	is_str(dd_colour_name((enum dd_colour)99), "unknown", "colour name out of range");
}

static void
test_names(void)
{
	char err[256], long_name[80];

	ok(dd_cfg_check_name("pg-a", err, sizeof(err)), "name pg-a");
	ok(dd_cfg_check_name("A.b_C-9", err, sizeof(err)), "name with . _ - and digits");
	memset(long_name, 'n', 64);
	long_name[64] = '\0';
	ok(dd_cfg_check_name(long_name, err, sizeof(err)), "name of 64 characters");
	long_name[64] = 'n';
	long_name[65] = '\0';
	ok(!dd_cfg_check_name(long_name, err, sizeof(err)), "name of 65 characters rejected");
	ok(!dd_cfg_check_name("", err, sizeof(err)), "empty name rejected");
	ok(!dd_cfg_check_name("a b", err, sizeof(err)), "name with a blank rejected");
	ok(!dd_cfg_check_name("caf\xc3\xa9", err, sizeof(err)), "non-ASCII name rejected");
	ok(!dd_cfg_check_name("a/b", err, sizeof(err)), "name with a slash rejected");
}

static void
path_case(const char *s, const char *base, const char *want, const char *want_err)
{
	char *out = NULL, err[256] = "";
	bool r = dd_cfg_expand_path(s, base, &out, err, sizeof(err));

	if (want) {
		ok(r && out && strcmp(out, want) == 0, "path '%s' -> '%s'", s, want);
		if (!r || !out || strcmp(out, want) != 0)
			diag("  got '%s' (%s)", out ? out : "(null)", err);
	} else {
		ok(!r && !out, "path '%s' rejected", s);
		is_str(err, want_err, "  with the message");
	}
	free(out);
}

static void
test_paths(void)
{
	setenv("HOME", "/home/op", 1);
	path_case("~", "/etc/dbdeck", "/home/op", NULL);
	path_case("~/", NULL, "/home/op/", NULL);
	path_case("~/.config/dbdeck/vault", "/etc", "/home/op/.config/dbdeck/vault", NULL);
	path_case("/var/backups", "/etc/dbdeck", "/var/backups", NULL);
	path_case("backups/x", "/etc/dbdeck", "/etc/dbdeck/backups/x", NULL);
	path_case("backups", NULL, "backups", NULL);
	path_case("a~b", "/d", "/d/a~b", NULL);
	path_case("~bob/x", "/d", NULL, "'~bob/x': only ~ and ~/ are expanded (to $HOME)");
	setenv("HOME", "", 1);
	path_case("~/x", "/d", NULL, "'~/x' needs $HOME, which is not set");
	unsetenv("HOME");
	path_case("~", "/d", NULL, "'~' needs $HOME, which is not set");
	path_case("/abs", "/d", "/abs", NULL);
	setenv("HOME", "/home/op", 1);
}

static void
retention_case(const char *s, int d, int w, int m)
{
	struct dd_retention r = {-1, -1, -1};
	char err[256] = "";
	bool good = dd_cfg_parse_retention(s, &r, err, sizeof(err));

	if (d >= 0) {
		ok(good && r.daily == d && r.weekly == w && r.monthly == m,
		    "retention '%s' = %d/%d/%d", s, d, w, m);
		if (!good)
			diag("  %s", err);
	} else {
		ok(!good && r.daily == -1, "retention '%s' rejected (%s)", s, err);
	}
}

static void
test_retention(void)
{
	char err[256];
	struct dd_retention r;

	retention_case("daily:30 weekly:12 monthly:12", 30, 12, 12);
	retention_case("weekly:4", 0, 4, 0);
	retention_case("  monthly:1\tdaily:7  ", 7, 0, 1);
	retention_case("daily:0 weekly:1", 0, 1, 0);
	retention_case("daily:10000", 10000, 0, 0);
	retention_case("", -1, 0, 0);
	retention_case("daily:0", -1, 0, 0);
	retention_case("daily:30 daily:2", -1, 0, 0);
	retention_case("hourly:3", -1, 0, 0);
	retention_case("daily:", -1, 0, 0);
	retention_case("daily:-1", -1, 0, 0);
	retention_case("daily:10001", -1, 0, 0);
	retention_case("daily:30,weekly:2", -1, 0, 0);
	retention_case("daily 30", -1, 0, 0);
	retention_case("Daily:3", -1, 0, 0);
	dd_cfg_parse_retention("daily:30 daily:2", &r, err, sizeof(err));
	is_str(err,
	    "'daily:30 daily:2' is not a retention: 'daily' is given twice (use e.g. daily:30 "
	    "weekly:12 monthly:12)",
	    "retention message names the repeated kind");
	dd_cfg_parse_retention("daily:0", &r, err, sizeof(err));
	is_str(err, "'daily:0' keeps no backup at all", "retention that keeps nothing");
}

/* Typo suggestions and quoting are core/text's (tests/unit/text/text_test.c). */
static void
test_format(void)
{
	static const int64_t ms[] = {0, 1, 1500, 90000, 3600000, 5400000, 120000};
	static const char *const want[] = {"0s", "1ms", "1500ms", "90s", "1h", "90m", "2m"};
	char buf[32];

	for (size_t i = 0; i < DD_ARRAY_LEN(ms); i++) {
		dd_cfg_format_duration(ms[i], buf, sizeof(buf));
		is_str(buf, want[i], "format_duration");
	}
}

/* The key table: names unique, bounds name real keys, defaults valid. */
static void
test_table(void)
{
	size_t bad_dup = 0, bad_bound = 0, bad_def = 0, bad_enum = 0;

	setenv("HOME", "/home/op", 1);
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		const char *other = k->at_most ? k->at_most : k->at_least;
		if (dd_cfg_key_find(k->section, k->name) != (int)i)
			bad_dup++, diag("duplicate key %s", k->name);
		if (other) {
			int o = dd_cfg_key_find(k->section, other);
			if (o < 0 || dd_cfg_keys[o].type != k->type)
				bad_bound++, diag("bad bound on %s", k->name);
		}
		if ((k->type == CFG_ENUM) != (k->choices != NULL))
			bad_enum++, diag("choices on %s", k->name);
		bool no_def = (k->flags & (CFG_REQUIRED | CFG_OPTIONAL)) || k->def_by_engine[0];
		if (no_def == (k->def != NULL) || !k->doc || !*k->doc)
			bad_def++, diag("default/doc of %s", k->name);
		const char *defs[4] = {
		    k->def, k->def_by_engine[0], k->def_by_engine[1], k->def_by_engine[2]};
		for (size_t d = 0; d < 4; d++) {
			struct cfg_rec rec;
			char err[256];
			memset(&rec, 0, sizeof(rec));
			rec.kind = k->section;
			if (defs[d] && !dd_cfg_set_value(&rec, k, defs[d], "/", err, sizeof(err)))
				bad_def++, diag("default of %s: %s", k->name, err);
			if (defs[d] && k->type == CFG_PATH)
				free(*(char **)((char *)dd_cfg_rec_fields(&rec) + k->offset));
			if (defs[d] && (k->type == CFG_NAME || k->type == CFG_STRING))
				free(*(char **)((char *)dd_cfg_rec_fields(&rec) + k->offset));
		}
	}
	ok(dd_cfg_nkeys >= 40, "the table has every key of the issue (%zu)", dd_cfg_nkeys);
	is_int((long long)bad_dup, 0, "no key twice in a section");
	is_int((long long)bad_bound, 0, "at_least/at_most name a key of the same section and type");
	is_int((long long)bad_enum, 0, "enum keys, and only they, have choices");
	is_int((long long)bad_def, 0, "defaults present exactly when expected, parse and fit");
}

int
main(void)
{
	test_durations();
	test_ints();
	test_bools();
	test_lists();
	test_enums();
	test_names();
	test_paths();
	test_retention();
	test_format();
	test_table();
	return tap_done();
}
