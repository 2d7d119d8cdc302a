/*
 * view_state.h: what each view of the console keeps between frames, one
 * struct per view (in the manner of htop's Panel: a view's selection, filter,
 * scroll position and caches are its own, not loose fields of the console).
 * struct console (console.h) holds one of each; only the view's own file
 * (views/view_*.c) and the key handlers that act on that view touch it.
 */
#ifndef DD_VIEW_STATE_H
#define DD_VIEW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "dbdeck/text.h"
#include "selection.h"

#define FILTER_MAX LINEEDIT_MAX

enum qsort_key {
	QSORT_DURATION,
	QSORT_NODE,
	QSORT_USER,
	QSORT_DATABASE,
	QSORT_STATE,
	QSORT_PID,
	QSORT_COUNT
};

/* Clusters whose fold state the overview keeps (by index in the snapshot). */
#define OV_FOLD_MAX 4096

/* Overview (view_overview.c): the selected node, the node filter, the folded clusters. */
struct overview_state {
	struct selection sel;
	char filter[FILTER_MAX];
	unsigned char folded[OV_FOLD_MAX / 8]; /* bit k: cluster k shows one summary line */
};

/* Slow queries (view_queries.c): selection, filter and sort. */
struct queries_state {
	struct selection sel;
	char filter[FILTER_MAX];
	enum qsort_key sort;
	bool sort_asc;
};

/* Alerts & events (view_events.c) and help (view_help.c): a filtered page. */
struct page_state {
	int top; /* first line shown */
	char filter[FILTER_MAX];
};

/* Node detail (view_node.c): which node, and the page's first line. */
struct node_state {
	int node; /* the node's index */
	int top;
};

/* Statement (view_statement.c): the query, and its text kept after it ends. */
struct statement_state {
	uint64_t id; /* the query's id */
	int top;
	char *text; /* sanitized */
	size_t text_len;
	uint64_t text_id;
	struct dd_text_line *lines; /* the text wrapped for wrap_cols */
	size_t nlines;
	int wrap_cols;
	char head[10][200]; /* the query's particulars, formatted and sanitized */
	int nhead;
	bool have;
};

/* One backup as the Backups view shows it (a copy of the catalog's entry). */
struct bk_row {
	char id[16], name[64], node[65];
	int state; /* enum dd_backup_state */
	int check; /* enum dd_backup_check */
	bool deep, encrypted;
	int64_t started_ms, ended_ms; /* ended 0: unknown */
	uint64_t bytes_stored;
	char keep[96]; /* which retention rule keeps it ("" none) */
	char why[96];  /* a damaged backup: what is wrong */
};

/* A backup job of the shown cluster as the Backups view shows it. */
struct bk_job {
	bool running;
	char kind[16]; /* "backup", "verify", "restore" */
	char step[96]; /* the running step's title */
	bool has_progress;
	uint64_t done, total; /* bytes; total 0 unknown */
	double rate;          /* bytes per second; 0 unknown */
	int64_t started_ms;
	char text[200]; /* dd_job_describe */
};

/*
 * Backups (view_backups.c): the shown cluster, its catalog and its job.
 * The loop (console.c) fills the catalog and the job from core; the view
 * only draws them and turns keys into requests.
 */
#define BK_ROWS_MAX 200
struct backups_state {
	struct selection sel;
	int cluster;           /* index in the snapshot's clusters */
	char cluster_name[64]; /* the cluster the rows belong to ("" none read yet) */
	struct bk_row rows[BK_ROWS_MAX];
	int n;
	char err[200];          /* the catalog could not be read: why ("" ok) */
	int64_t read_ms;        /* when the catalog was read; 0 = read it again */
	int64_t newest_good_ms; /* 0 none */
	int64_t max_age_ms;     /* backup_max_age */
	bool read_only;         /* no credentials or a read-only console: no actions */
	struct bk_job job;
	bool any_running;      /* a backup job of any cluster runs (quitting asks) */
	char into[FILTER_MAX]; /* the restore's target database, as typed */
};

/* Schema health (view_schema.c): the cluster shown, its findings' selection, filter and sort. */
enum schema_sort { SSORT_SEVERITY, SSORT_KIND, SSORT_OBJECT, SSORT_DATABASE, SSORT_COUNT };
struct schema_state {
	int cluster; /* index into the result's clusters */
	struct selection sel;
	char filter[FILTER_MAX];
	enum schema_sort sort;
	bool sort_asc;
	bool detail; /* Enter: the selected finding's evidence and fix */
};

#endif
