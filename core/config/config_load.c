/*
 * config_load.c: reads dbdeck.ini into typed records.
 *
 * The lines come from the strict INI reader (dbdeck/ini.h, config/ini.c),
 * shared with the themes: it counts lines, trims blanks, and hands over
 * section headers, key lines and malformed lines one by one, so every
 * mistake is reported with its line, not only the first. This file gives
 * sections and keys their meaning and words the messages.
 */
#include "config/config_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbdeck/ini.h"
#include "util/util.h"

#define MAX_FILE_SIZE (1024 * 1024)
#define MAX_DIAGS     500
#define CFG_MAX_LINE  197 /* "the line is longer than 197 characters" */

struct loader {
	struct dd_config *cfg;
	struct dd_diags *diags;
	const char *name;       /* the file, for messages */
	int lineno;             /* the line being read */
	struct cfg_rec *cur;    /* the section keys go to; NULL before any or in a bad one */
	bool bad_section;       /* inside a section that was rejected: ignore its keys */
	struct cfg_rec **spare; /* duplicate sections: checked, then dropped */
	size_t nspare;
	bool capped;
};

static void report(struct loader *ld, enum dd_diag_level level, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct loader *ld, enum dd_diag_level level, int line, const char *fmt, ...)
{
	va_list ap;

	if (dd_diags_count(ld->diags) >= MAX_DIAGS) {
		if (!ld->capped)
			dd_diags_add(ld->diags, DD_DIAG_ERROR, ld->name, line,
			    "too many errors; stopping here");
		ld->capped = true;
		return;
	}
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	dd_diags_add(ld->diags, level, ld->name, line, "%s", msg);
	free(msg);
}

/* ---- records ----------------------------------------------------------- */

void *
dd_cfg_rec_fields(struct cfg_rec *rec)
{
	return &rec->u;
}

static struct cfg_rec *
rec_new(enum cfg_section kind, const char *name, int line)
{
	struct cfg_rec *rec = xcalloc(1, sizeof(*rec));

	rec->kind = kind;
	rec->line = line;
	rec->key_line = xcalloc(dd_cfg_nkeys, sizeof(*rec->key_line));
	rec->key_bad = xcalloc(dd_cfg_nkeys, sizeof(*rec->key_bad));
	if (kind == CFG_CLUSTER) {
		rec->u.cluster.name = xstrdup(name);
		rec->u.cluster.line = line;
	} else if (kind == CFG_NODE) {
		rec->u.node.name = xstrdup(name);
		rec->u.node.line = line;
	}
	return rec;
}

static void
rec_free(struct cfg_rec *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < dd_cfg_nkeys; i++) {
		const struct cfg_key *k = &dd_cfg_keys[i];
		void *f = (char *)dd_cfg_rec_fields(rec) + k->offset;
		if (k->section != rec->kind)
			continue;
		if (k->type == CFG_STRING || k->type == CFG_NAME || k->type == CFG_PATH)
			free(*(char **)f);
		else if (k->type == CFG_LIST)
			dd_cfg_list_clear(f);
	}
	if (rec->kind == CFG_CLUSTER) {
		free(rec->u.cluster.name);
		free(rec->u.cluster.nodes);
	} else if (rec->kind == CFG_NODE) {
		free(rec->u.node.name);
	}
	free(rec->key_line);
	free(rec->key_bad);
	free(rec);
}

static void
rec_push(struct cfg_rec ***v, size_t *n, struct cfg_rec *rec)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = rec;
}

static const char *
rec_name(const struct cfg_rec *rec)
{
	return rec->kind == CFG_CLUSTER ? rec->u.cluster.name
	       : rec->kind == CFG_NODE  ? rec->u.node.name
	                                : "";
}

static struct cfg_rec *
rec_find(struct cfg_rec **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rec_name(v[i]), name) == 0)
			return v[i];
	return NULL;
}

/* ---- values ------------------------------------------------------------ */

static const char *
type_hint(const struct cfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case CFG_DURATION: return "a duration, e.g. 250ms, 5s, 10m, 1h";
	case CFG_INT:
		snprintf(
		    buf, len, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
		return buf;
	case CFG_BOOL: return "true or false";
	case CFG_LIST: return "a list of names, e.g. a, b, c";
	case CFG_ENUM: return "one of the values in docs/configuration.md";
	case CFG_STRING: return "some text";
	case CFG_NAME: return "a name";
	case CFG_PATH: return "a path";
	case CFG_RETENTION: return "e.g. daily:30 weekly:12 monthly:12";
	}
	return "a value";
}

static bool
check_range(const struct cfg_key *k, const char *value, int64_t v, char *err, size_t errlen)
{
	char lo[32], hi[32];

	if (v >= k->min && v <= k->max)
		return true;
	if (k->type == CFG_DURATION) {
		dd_cfg_format_duration(k->min, lo, sizeof(lo));
		dd_cfg_format_duration(k->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)k->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)k->max);
	}
	dd_seterr(err, errlen, "%s is out of range (%s..%s)", value, lo, hi);
	return false;
}

/* Parses value by k's type into f; false with the reason in err. */
static bool
parse_into(const struct cfg_key *k, void *f, const char *value, const char *base_dir, char *err,
    size_t errlen)
{
	int64_t n;
	int e;

	switch (k->type) {
	case CFG_DURATION:
		if (!dd_cfg_parse_duration(value, &n, err, errlen) ||
		    !check_range(k, value, n, err, errlen))
			return false;
		*(int64_t *)f = n;
		return true;
	case CFG_INT:
		if (!dd_cfg_parse_int(value, &n, err, errlen) ||
		    !check_range(k, value, n, err, errlen))
			return false;
		*(int *)f = (int)n;
		return true;
	case CFG_BOOL: return dd_cfg_parse_bool(value, f, err, errlen);
	case CFG_LIST: return dd_cfg_parse_list(value, f, err, errlen);
	case CFG_ENUM:
		if ((e = dd_cfg_parse_enum(value, k->choices, err, errlen)) < 0)
			return false;
		memcpy(f, &e, sizeof(e));
		return true;
	case CFG_NAME:
		if (!dd_cfg_check_name(value, err, errlen))
			return false;
		*(char **)f = xstrdup(value);
		return true;
	case CFG_STRING: *(char **)f = xstrdup(value); return true;
	case CFG_PATH: return dd_cfg_expand_path(value, base_dir, f, err, errlen);
	case CFG_RETENTION: return dd_cfg_parse_retention(value, f, err, errlen);
	}
	return false;
}

bool
dd_cfg_set_value(struct cfg_rec *rec, const struct cfg_key *k, const char *value,
    const char *base_dir, char *err, size_t errlen)
{
	char hint[64];
	void *f = (char *)dd_cfg_rec_fields(rec) + k->offset;

	if (*value == '\0') {
		if (k->flags & CFG_OPTIONAL)
			return true;
		dd_seterr(err, errlen, "no value (expected %s)", type_hint(k, hint, sizeof(hint)));
		return false;
	}
	return parse_into(k, f, value, base_dir, err, errlen);
}

int64_t
dd_cfg_get_number(const struct cfg_rec *rec, const struct cfg_key *k)
{
	const void *f = (const char *)&rec->u + k->offset;
	int v;

	switch (k->type) {
	case CFG_DURATION: return *(const int64_t *)f;
	case CFG_INT: return *(const int *)f;
	case CFG_ENUM: memcpy(&v, f, sizeof(v)); return v;
	default: return 0;
	}
}

/* ---- sections ---------------------------------------------------------- */

/* Starts a section; a duplicate is parsed into a spare record and dropped. */
static void
section_begin(struct loader *ld, enum cfg_section kind, const char *name)
{
	struct dd_config *cfg = ld->cfg;
	struct cfg_rec *first = NULL, *rec;

	struct cfg_rec *single = kind == CFG_CONSOLE ? cfg->console
	                         : kind == CFG_SERVE ? cfg->serve
	                                             : NULL;

	if (single)
		first = single->line ? single : NULL;
	else if (kind == CFG_CLUSTER)
		first = rec_find(cfg->clusters, cfg->nclusters, name);
	else
		first = rec_find(cfg->nodes, cfg->nnodes, name);
	if (single && !first) {
		single->line = ld->lineno;
		ld->cur = single;
		return;
	}
	rec = rec_new(kind, name, ld->lineno);
	ld->cur = rec;
	if (first) {
		report(ld, DD_DIAG_ERROR, ld->lineno,
		    "duplicate section [%s%s%s] (first on line %d)", dd_cfg_section_name(kind),
		    *name ? " " : "", name, first->line);
		rec_push(&ld->spare, &ld->nspare, rec);
	} else if (kind == CFG_CLUSTER) {
		rec_push(&cfg->clusters, &cfg->nclusters, rec);
	} else {
		rec_push(&cfg->nodes, &cfg->nnodes, rec);
	}
}

static void
section_unknown(struct loader *ld, const char *kind, const char *name)
{
	static const char *const kinds[] = {"console", "cluster", "node", "serve"};
	const char *near = dd_text_suggest(kind, kinds, DD_ARRAY_LEN(kinds));
	char qk[80], qn[80];

	dd_text_quote(kind, qk, sizeof(qk));
	dd_text_quote(name, qn, sizeof(qn));
	if (near)
		report(ld, DD_DIAG_ERROR, ld->lineno,
		    "unknown section [%s%s%s]; did you mean [%s%s%s]?", qk, *name ? " " : "", qn,
		    near, *name ? " " : "", qn);
	else
		report(ld, DD_DIAG_ERROR, ld->lineno,
		    "unknown section [%s%s%s] (expected [console], [cluster NAME], [node NAME] or "
		    "[serve])",
		    qk, *name ? " " : "", qn);
}

/* `inner` is the text between '[' and ']', trimmed; it is modified. */
static void
section_header(struct loader *ld, char *inner)
{
	char *name = inner + strcspn(inner, " \t"), why[160];
	enum cfg_section kind;

	if (*name) {
		*name++ = '\0';
		name += strspn(name, " \t");
	}
	ld->cur = NULL;
	ld->bad_section = true;
	if (strcmp(inner, "console") == 0)
		kind = CFG_CONSOLE;
	else if (strcmp(inner, "cluster") == 0)
		kind = CFG_CLUSTER;
	else if (strcmp(inner, "node") == 0)
		kind = CFG_NODE;
	else if (strcmp(inner, "serve") == 0)
		kind = CFG_SERVE;
	else {
		section_unknown(ld, inner, name);
		return;
	}
	if (dd_cfg_section_single(kind) && *name) {
		report(ld, DD_DIAG_ERROR, ld->lineno, "[%s] takes no name", inner);
		return;
	}
	if (!dd_cfg_section_single(kind) && !*name) {
		report(ld, DD_DIAG_ERROR, ld->lineno, "[%s] needs a name: [%s NAME]", inner, inner);
		return;
	}
	if (!dd_cfg_section_single(kind) && !dd_cfg_check_name(name, why, sizeof(why))) {
		report(ld, DD_DIAG_ERROR, ld->lineno, "[%s NAME]: %s", inner, why);
		return;
	}
	ld->bad_section = false;
	section_begin(ld, kind, name);
}

/* The reader's section header: inner is the text between '[' and ']'. */
static void
on_section(void *user, int line, const char *inner, bool trailing)
{
	struct loader *ld = user;
	char buf[DD_INI_MAX_LINE + 1];
	size_t len;

	ld->lineno = line;
	if (trailing)
		report(ld, DD_DIAG_ERROR, ld->lineno, "unexpected text after ']'");
	inner += strspn(inner, " \t");
	len = strlen(inner);
	while (len > 0 && (inner[len - 1] == ' ' || inner[len - 1] == '\t'))
		len--;
	memcpy(buf, inner, len);
	buf[len] = '\0';
	section_header(ld, buf);
}

/* A line the reader rejected. */
static void
on_error(void *user, int line, enum dd_ini_error e)
{
	struct loader *ld = user;

	ld->lineno = line;
	switch (e) {
	case DD_INI_NUL: report(ld, DD_DIAG_ERROR, line, "the line holds a NUL byte"); break;
	case DD_INI_TOO_LONG:
		report(
		    ld, DD_DIAG_ERROR, line, "the line is longer than %d characters", CFG_MAX_LINE);
		break;
	case DD_INI_NO_BRACKET:
		report(ld, DD_DIAG_ERROR, line, "missing ']' in the section header");
		ld->cur = NULL;
		ld->bad_section = true;
		break;
	case DD_INI_GARBAGE:
		report(ld, DD_DIAG_ERROR, line,
		    "expected 'key = value', a [section] header or a comment");
		break;
	}
}

static void
rec_label(const struct cfg_rec *rec, char *buf, size_t len)
{
	if (dd_cfg_section_single(rec->kind))
		snprintf(buf, len, "[%s]", dd_cfg_section_name(rec->kind));
	else
		snprintf(buf, len, "[%s %s]", dd_cfg_section_name(rec->kind), rec_name(rec));
}

static void
unknown_key(struct loader *ld, const char *name)
{
	const char *cands[64];
	size_t n = 0;
	char q[80], where[96];

	dd_text_quote(name, q, sizeof(q));
	rec_label(ld->cur, where, sizeof(where));
	for (int s = 0; s < CFG_NSECTIONS; s++) {
		if (s != (int)ld->cur->kind && dd_cfg_key_find(s, name) >= 0) {
			report(ld, DD_DIAG_ERROR, ld->lineno,
			    "'%s' belongs in a [%s%s] section, not in %s", q,
			    dd_cfg_section_name(s), dd_cfg_section_single(s) ? "" : " NAME", where);
			return;
		}
	}
	for (size_t i = 0; i < dd_cfg_nkeys && n < DD_ARRAY_LEN(cands); i++)
		if (dd_cfg_keys[i].section == ld->cur->kind)
			cands[n++] = dd_cfg_keys[i].name;
	const char *near = dd_text_suggest(name, cands, n);
	if (near)
		report(ld, DD_DIAG_ERROR, ld->lineno, "unknown key '%s' in %s; did you mean '%s'?",
		    q, where, near);
	else
		report(ld, DD_DIAG_ERROR, ld->lineno, "unknown key '%s' in %s", q, where);
}

/* The reader's key line: `key = value` (blanks and comments stripped). */
static void
on_key(void *user, int line, const char *name, const char *value)
{
	struct loader *ld = user;
	struct cfg_rec *rec = ld->cur;
	char err[256], q[80];
	int ki;

	ld->lineno = line;
	if (!rec) {
		if (!ld->bad_section)
			report(ld, DD_DIAG_ERROR, ld->lineno,
			    "'%s' is outside any section (keys go under [console], [cluster NAME] "
			    "or [node NAME])",
			    dd_text_quote(name, q, sizeof(q)));
		return;
	}
	if (!*name) {
		report(ld, DD_DIAG_ERROR, ld->lineno, "missing key name before '='");
		return;
	}
	if ((ki = dd_cfg_key_find(rec->kind, name)) < 0) {
		unknown_key(ld, name);
		return;
	}
	if (rec->key_line[ki]) {
		report(ld, DD_DIAG_ERROR, ld->lineno, "duplicate key '%s' (first set on line %d)",
		    name, rec->key_line[ki]);
		return;
	}
	rec->key_line[ki] = ld->lineno;
	if (!dd_cfg_set_value(rec, &dd_cfg_keys[ki], value, ld->cfg->base_dir, err, sizeof(err))) {
		rec->key_bad[ki] = true;
		report(ld, DD_DIAG_ERROR, ld->lineno, "%s: %s", name, err);
	}
}

/* ---- entry points ------------------------------------------------------ */

/* The absolute directory of path (relative paths in the file are anchored there). */
static char *
base_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[4096], *dir, *abs;

	if (slash)
		dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	else
		dir = xstrdup(".");
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return dir;
	abs = strcmp(dir, ".") == 0 ? xstrdup(cwd) : xasprintf("%s/%s", cwd, dir);
	free(dir);
	return abs;
}

static const struct dd_ini_ops ini_ops = {
    .max_line = CFG_MAX_LINE,
    .section = on_section,
    .key = on_key,
    .error = on_error,
};

int
dd_config_load_buffer(
    const char *name, const char *buf, size_t len, struct dd_config **out, struct dd_diags *diags)
{
	struct dd_config *cfg = xcalloc(1, sizeof(*cfg));
	struct loader ld = {.cfg = cfg, .diags = diags, .name = name};
	size_t errors_before = dd_diags_errors(diags);

	cfg->path = xstrdup(name);
	cfg->base_dir = base_dir_of(name);
	cfg->console = rec_new(CFG_CONSOLE, "", 0);
	cfg->serve = rec_new(CFG_SERVE, "", 0);
	dd_ini_parse(buf, len, &ini_ops, &ld);
	for (size_t i = 0; i < ld.nspare; i++)
		rec_free(ld.spare[i]);
	free(ld.spare);
	dd_cfg_finish(cfg, diags, name);
	dd_diags_sort(diags);
	*out = cfg;
	return dd_diags_errors(diags) > errors_before ? -1 : 0;
}

/* Reads the whole file (at most MAX_FILE_SIZE); false with the reason in err. */
static bool
read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	buf = xmalloc(MAX_FILE_SIZE + 1);
	while (n <= MAX_FILE_SIZE && (r = read(fd, buf + n, MAX_FILE_SIZE + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		n += (size_t)r;
	}
	close(fd);
	if (n > MAX_FILE_SIZE) {
		free(buf);
		dd_seterr(
		    err, errlen, "larger than %d bytes; is this a dbdeck config?", MAX_FILE_SIZE);
		return false;
	}
	*out = buf;
	*len = n;
	return true;
fail:
	dd_seterr(err, errlen, "cannot read: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(buf);
	return false;
}

int
dd_config_load(const char *path, struct dd_config **out, struct dd_diags *diags)
{
	char *buf, err[256];
	size_t len;
	int rc;

	*out = NULL;
	if (!read_file(path, &buf, &len, err, sizeof(err))) {
		dd_diags_add(diags, DD_DIAG_ERROR, path, 0, "%s", err);
		return -1;
	}
	rc = dd_config_load_buffer(path, buf, len, out, diags);
	free(buf);
	return rc;
}

void
dd_config_free(struct dd_config *cfg)
{
	if (!cfg)
		return;
	rec_free(cfg->console);
	rec_free(cfg->serve);
	for (size_t i = 0; i < cfg->nclusters; i++)
		rec_free(cfg->clusters[i]);
	for (size_t i = 0; i < cfg->nnodes; i++)
		rec_free(cfg->nodes[i]);
	free(cfg->clusters);
	free(cfg->nodes);
	free(cfg->path);
	free(cfg->base_dir);
	free(cfg);
}
