/*
 * job_test.c: the backup actions as jobs of the runner (dd_backup_submit),
 * without a server: a verify job of a good backup ends done with its step
 * done; of a damaged one, failed with the step failed and the file named; a
 * deep verify without verify_target is refused; a take job into a missing
 * backup_dir fails with the cause; the runner writes a start and an end
 * record per job to the audit log.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "dbdeck/audit.h"
#include "dbdeck/jobs.h"
#include "tap.h"
#include "util/util.h"

static char dir[] = "/tmp/dd-backup-job-XXXXXX";

/* A small, real, unencrypted backup of cluster c: returns its id. */
static const char *
make_backup(const struct dd_cluster_config *c, char *path, size_t len)
{
	static const char id[] = "0a1b2c3d";
	struct bk_manifest m = {0};
	char cdir[512], file[700], err[256];
	uint64_t raw;

	snprintf(cdir, sizeof(cdir), "%s/%s", c->backup_dir, c->name);
	mkdir(cdir, 0700);
	snprintf(path, len, "%s/20250101T020000Z-%s", cdir, id);
	mkdir(path, 0700);
	snprintf(file, sizeof(file), "%s/dump.pgdump", path);
	struct bk_writer *w = bk_writer_open(file, false, NULL, err, sizeof(err));
	if (!w || bk_writer_write(w, "PGDMP pretend", 13, err, sizeof(err)) != 0 ||
	    bk_writer_finish(w, m.sha256, &raw, &m.bytes_stored, err, sizeof(err)) != 0)
		bail_out("dump: %s", err);
	m.bytes_raw = raw;
	strcpy(m.id, id);
	snprintf(m.name, sizeof(m.name), "20250101T020000Z-%s", id);
	snprintf(m.cluster, sizeof(m.cluster), "%s", c->name);
	strcpy(m.engine, "postgresql");
	strcpy(m.file, "dump.pgdump");
	strcpy(m.compression, "none");
	m.started_wall_ms = m.ended_wall_ms = INT64_C(1735696800000);
	if (bk_manifest_write(path, &m, err, sizeof(err)) != 0)
		bail_out("manifest: %s", err);
	return id;
}

static void
run(struct dd_jobs *r, struct dd_audit *audit, const struct dd_backup_job *a,
    struct dd_job_status *st)
{
	struct dd_job *job = NULL;
	char err[256];

	if (dd_backup_submit(r, a, audit, &job, err, sizeof(err)) != DD_JOBS_OK)
		bail_out("submit: %s", err);
	dd_job_wait(job, 0);
	dd_job_read(job, st);
	dd_job_unref(job);
}

int
main(void)
{
	char name[] = "orders", node_name[] = "pg-a", db[] = "app", path[600], audit_path[600],
	     err[256];
	struct dd_node_config node = {.name = node_name};
	const struct dd_node_config *nodes[] = {&node};
	struct dd_cluster_config c = {.name = name,
	    .engine = DD_ENGINE_POSTGRESQL,
	    .database = db,
	    .n_nodes = 1,
	    .nodes = nodes};
	struct dd_job_status st;
	struct dd_audit *audit;

	if (sodium_init() < 0 || !mkdtemp(dir))
		bail_out("set-up");
	c.backup_dir = dir;
	const char *id = make_backup(&c, path, sizeof(path));
	snprintf(audit_path, sizeof(audit_path), "%s/audit.log", dir);
	struct dd_jobs *r = dd_jobs_new(NULL, err, sizeof(err));
	if (!r || dd_audit_open(&audit, audit_path, err, sizeof(err)) != 0)
		bail_out("%s", err);

	struct dd_backup_job a = {.action = DD_BACKUP_ACT_VERIFY, .ctx = {.cluster = &c}};
	snprintf(a.which, sizeof(a.which), "%s", id);
	run(r, audit, &a, &st);
	ok(st.outcome == DD_JOB_DONE && st.n_steps == 1 && st.steps[0].state == DD_STEP_DONE,
	    "verify job: done, its step done (%s)", st.text);
	is_str(st.kind, "verify", "the job's kind");

	char file[700];
	snprintf(file, sizeof(file), "%s/dump.pgdump", path);
	FILE *f = fopen(file, "r+b");
	fputc('X', f);
	fclose(f);
	run(r, audit, &a, &st);
	ok(st.outcome == DD_JOB_FAILED && st.steps[0].state == DD_STEP_FAILED &&
	        strstr(st.text, "dump.pgdump: damaged"),
	    "a damaged backup: failed, the file named (%s)", st.text);

	a.deep = true;
	run(r, audit, &a, &st);
	ok(st.outcome == DD_JOB_REFUSED && strstr(st.text, "verify_target") && st.n_steps == 2,
	    "deep without verify_target: refused (%s)", st.text);

	char missing[700];
	snprintf(missing, sizeof(missing), "%s/nowhere", dir);
	c.backup_dir = missing;
	struct dd_backup_job t = {.action = DD_BACKUP_ACT_TAKE,
	    .ctx = {.cluster = &c},
	    .node = &node,
	    .prune_after = true};
	run(r, audit, &t, &st);
	ok(st.outcome == DD_JOB_FAILED && strstr(st.text, "does not exist") &&
	        st.steps[0].state == DD_STEP_FAILED && st.steps[1].state == DD_STEP_SKIPPED,
	    "a take job into a missing backup_dir: failed, the cause named (%s)", st.text);

	dd_jobs_free(r);
	dd_audit_close(audit);
	long records = 0;
	int vrc = dd_audit_verify(audit_path, &records, err, sizeof(err));
	ok(vrc == 0 && records == 8,
	    "the runner wrote a start and an end record per job (%ld records)", records);

	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	if (system(err) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
