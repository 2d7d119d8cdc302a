#!/usr/bin/env bash
# schema_test.sh DBDECK SRCDIR: `dbdeck schema` against the harness
# ($DD_HARNESS_ENV), issue 15's list: a fixture schema with one of each
# defect on each engine is reported finding by finding (kind, severity,
# object; nothing else); the same schema fixed and an empty database give
# no finding at all; a catalog query blocked by an ACCESS EXCLUSIVE lock
# makes the round give up at schema_lock_timeout and say so, and the next
# round succeeds once the lock is gone; a replica whose replay (PostgreSQL)
# or SQL thread (MariaDB) is stopped while a migration lands on the primary
# is reported as drift, cleared after it resumes. Scratch databases
# dd_schema_{fx,ok,clean} are dropped and replicas resumed at exit.
set -uo pipefail
dbdeck=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
bail() { echo "Bail out! $*"; exit 1; }

[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || bail "DD_HARNESS_ENV is not set (start the harness)"
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
dir=$DD_HARNESS_DIR
[ -s "$dir/vault" ] || "$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null || bail "cannot make the harness vault"
tmp=$(mktemp -d /tmp/dbdeck-schema-test.XXXXXX)
locker=
pgq() { bash "$DD_HARNESS" psql "$dir" "$1" -d "$2" -tA -v ON_ERROR_STOP=1 -c "$3"; }
myq() { bash "$DD_HARNESS" mariadb "$dir" "$1" -N -B -D "$2" -e "$3"; }
cleanup() {
	[ -n "$locker" ] && kill "$locker" 2>/dev/null
	bash "$DD_HARNESS" pg-replay "$dir" pg2 resume >/dev/null 2>&1
	bash "$DD_HARNESS" my-sql-thread "$dir" my2 start >/dev/null 2>&1
	for db in dd_schema_fx dd_schema_ok dd_schema_clean; do
		pgq pg1 postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
		myq my1 mysql "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	# the next test finds the replicas caught up (no lag left from the drops or the pause)
	wait_repl pg >/dev/null 2>&1
	wait_repl my >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ini NAME KEY=VALUE...: the harness config with lines added to both clusters.
ini() {
	local out=$tmp/$1.ini
	shift
	cp "$dir/dbdeck.ini" "$out"
	for kv in "$@"; do
		awk -v line="${kv/=/ = }" '{ print } /^\[cluster / { print line }' "$out" >"$out.new" &&
			mv "$out.new" "$out"
	done
	echo "$out"
}
schema() { "$dbdeck" -c "$1" --passphrase-file "$dir/passphrase" schema "${@:2}"; }

# wait_repl pg|my [NODE...]: the replicas (default: both) have replayed what the primary has written.
wait_repl() {
	local pos i node e=$1
	shift
	local nodes=("$@")
	[ ${#nodes[@]} = 0 ] && nodes=("${e}2" "${e}3")
	if [ "$e" = pg ]; then
		pos=$(pgq pg1 postgres "SELECT pg_current_wal_lsn()")
		for node in "${nodes[@]}"; do
			for ((i = 0; i < 300; i++)); do
				[ "$(pgq "$node" postgres "SELECT pg_last_wal_replay_lsn() >= '$pos'")" = t ] && break
				sleep 0.1
			done
		done
	else
		pos=$(myq my1 mysql "SELECT @@gtid_binlog_pos")
		for node in "${nodes[@]}"; do
			myq "$node" mysql "SELECT MASTER_GTID_WAIT('$pos', 30)" >/dev/null
		done
	fi
}

# ---- fixtures ----
setup_pg() {
	local p=(bash "$DD_HARNESS" psql "$dir" pg1 -q -v ON_ERROR_STOP=1)
	for db in dd_schema_fx dd_schema_ok dd_schema_clean; do pgq pg1 postgres "CREATE DATABASE $db" >/dev/null || return 1; done
	"${p[@]}" -d dd_schema_fx -f "$here/fixture_pg.sql" >/dev/null || return 1
	"${p[@]}" -d dd_schema_ok -f "$here/fixture_pg_fixed.sql" >/dev/null || return 1
	# the failed concurrent build leaves an INVALID index (it must fail)
	! pgq pg1 dd_schema_fx "CREATE UNIQUE INDEX CONCURRENTLY dupes_code ON dupes (code)" 2>/dev/null || return 1
	# 20 sequential scans of big; big_a_b (which makes big_a redundant) is used
	{
		for i in $(seq 20); do echo "SELECT count(*) FROM big WHERE k = $i;"; done
		printf 'SET enable_seqscan = off;\nSELECT count(*) FROM big WHERE a = 3 AND b = 2;\n'
	} | "${p[@]}" -d dd_schema_fx >/dev/null
	printf 'SET enable_seqscan = off;\nSELECT count(*) FROM big WHERE k = 5;\nSELECT count(*) FROM big WHERE a = 3 AND b = 2;\n' |
		"${p[@]}" -d dd_schema_ok >/dev/null
	wait_repl pg
}
setup_my() {
	local m=(bash "$DD_HARNESS" mariadb "$dir" my1)
	for db in dd_schema_fx dd_schema_ok dd_schema_clean; do myq my1 mysql "CREATE DATABASE $db" || return 1; done
	"${m[@]}" -D dd_schema_fx <"$here/fixture_my.sql" >/dev/null || return 1
	"${m[@]}" -D dd_schema_ok <"$here/fixture_my_fixed.sql" >/dev/null || return 1
	{
		for i in $(seq 20); do echo "SELECT count(*) FROM big WHERE k = $i;"; done
		echo "SELECT count(*) FROM big FORCE INDEX (big_a_b) WHERE a = 3 AND b = 2;"
	} | "${m[@]}" -D dd_schema_fx >/dev/null
	printf 'SELECT count(*) FROM big FORCE INDEX (big_k) WHERE k = 5;\nSELECT count(*) FROM big FORCE INDEX (big_a_b) WHERE a = 3 AND b = 2;\n' |
		"${m[@]}" -D dd_schema_ok >/dev/null
	wait_repl my
}
setup_pg || bail "cannot load the PostgreSQL fixtures"
setup_my || bail "cannot load the MariaDB fixtures"
fx=$(ini fx databases=dd_schema_fx)
fixed=$(ini fixed "databases=dd_schema_ok, dd_schema_clean")

# findings CLUSTER JSON EXPECTED: the findings are exactly EXPECTED (kind severity object per line).
findings() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
name, path, want = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(path))
c = [c for c in d["clusters"] if c["name"] == name][0]
assert c["ok"], c["error"]
got = sorted((f["kind"], f["severity"], f["object"]) for f in c["findings"])
exp = sorted(tuple(l.split()) for l in want.strip().splitlines() if l.strip())
for f in c["findings"]:
    assert f["evidence"], f
for e in exp:
    if e not in got: print("# missing:", *e)
for g in got:
    if g not in exp: print("# unexpected:", *g)
sys.exit(0 if got == exp else 1)
PY
}

# 1-2. the fixture: every defect, right severity, right object, nothing else
schema "$fx" pg --json >"$tmp/pg.json" 2>"$tmp/pg.err"
rc=$?
findings pg "$tmp/pg.json" "
unused_index warn public.big.big_unused
duplicate_index warn public.big.big_a
invalid_index warn public.dupes.dupes_code
fk_without_index warn public.child.child_parent_id_fkey
seq_scans warn public.big
sequence_limit warn public.seq80.id
sequence_limit critical public.seq95.id
migration_failed critical public.schema_migrations
migration_failed critical public.flyway_schema_history"
ok $(( $? + (rc == 1 ? 0 : 1) )) "PostgreSQL fixture: each defect found on its object with its severity, nothing else, exit 1"
python3 - "$tmp/pg.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["clusters"][0]
t = {x["name"]: x for x in c["tables"]}
assert t["public.events"]["partitions"] == 2 and t["public.events"]["largest_partition"] == "events_2026", t["public.events"]
assert c["tables"][0]["name"] == "public.big", c["tables"][0]
fix = {f["object"]: f["fix"] for f in c["findings"]}
assert fix["public.big.big_unused"] == "DROP INDEX CONCURRENTLY public.big_unused;", fix
assert fix["public.child.child_parent_id_fkey"] == "CREATE INDEX CONCURRENTLY ON public.child (parent_id);"
assert "ALTER SEQUENCE public.seq95_id_seq AS bigint" in fix["public.seq95.id"]
m = {(x["node"], x["tool"]): x for x in c["migrations"]}
assert m[("pg1", "golang-migrate")]["version"] == "3" and m[("pg1", "golang-migrate")]["failed"]
assert m[("pg1", "flyway")]["version"] == "1" and m[("pg1", "flyway")]["failed"]
assert ("pg2", "flyway") in m and ("pg3", "flyway") in m
PY
ok $? "PostgreSQL fixture: partitions, largest table, fix statements, migration versions per node"

schema "$fx" my --json >"$tmp/my.json" 2>"$tmp/my.err"
rc=$?
findings my "$tmp/my.json" "
unused_index warn dd_schema_fx.big.big_unused
duplicate_index warn dd_schema_fx.big.big_a
seq_scans warn dd_schema_fx.big
sequence_limit warn dd_schema_fx.ai80.id
sequence_limit critical dd_schema_fx.ai95.id
migration_failed critical dd_schema_fx.schema_migrations
migration_failed critical dd_schema_fx.flyway_schema_history"
ok $(( $? + (rc == 1 ? 0 : 1) )) "MariaDB fixture: each defect found on its object with its severity, nothing else, exit 1"

# 3-4. fixed schema and an empty database: no finding at all
for c in pg my; do
	schema "$fixed" $c --json >"$tmp/ok-$c.json" 2>"$tmp/ok-$c.err"
	rc=$?
	findings $c "$tmp/ok-$c.json" ""
	ok $(( $? + rc )) "$c: the fixed schema and an empty database give no finding, exit 0"
done

# 5. text output: grouped by severity, with evidence and fix
schema "$fx" pg >"$tmp/pg.txt" 2>/dev/null
grep -q '^  critical (3):$' "$tmp/pg.txt" && grep -q '^  warn (6):$' "$tmp/pg.txt" &&
	grep -q '^    unused_index      dd_schema_fx  public.big.big_unused$' "$tmp/pg.txt" &&
	grep -q 'fix:      DROP INDEX CONCURRENTLY public.big_unused;' "$tmp/pg.txt" &&
	grep -q 'evidence: 95.0 % used' "$tmp/pg.txt" && grep -q '^findings: 3 critical, 6 warn, 0 info$' "$tmp/pg.txt"
ok $? "text: findings grouped by severity with their evidence and fix"
sed 's/^/# /' "$tmp/pg.txt" | head -5

# 6. a lock held by DDL: the round gives up at schema_lock_timeout and says so
lockini=$(ini lock databases=dd_schema_ok schema_lock_timeout=500ms schema_timeout=3s)
bash "$DD_HARNESS" psql "$dir" pg1 -d dd_schema_ok -q -c "BEGIN; LOCK TABLE big IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);" >/dev/null 2>&1 &
locker=$!
for ((i = 0; i < 100; i++)); do
	[ "$(pgq pg1 dd_schema_ok "SELECT count(*) FROM pg_locks WHERE relation = 'big'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] 2>/dev/null && break
	sleep 0.1
done
t0=$(date +%s%N)
schema "$lockini" pg >"$tmp/lock.txt" 2>"$tmp/lock.err"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 1 ] && [ $ms -lt 8000 ] && grep -q 'gave up waiting for a lock (schema_lock_timeout)' "$tmp/lock.err"
ok $? "a catalog query blocked by ACCESS EXCLUSIVE gives up at the lock timeout and says so (exit $rc, $ms ms)"
sed 's/^/# /' "$tmp/lock.err"
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null; locker=
pgq pg1 postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dd_schema_ok' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
for ((i = 0; i < 50; i++)); do
	[ "$(pgq pg1 dd_schema_ok "SELECT count(*) FROM pg_locks WHERE relation = 'big'::regclass AND mode = 'AccessExclusiveLock'")" = 0 ] && break
	sleep 0.1
done
schema "$lockini" pg >/dev/null 2>&1
ok $? "the next round succeeds once the lock is released"

# 7-8. drift: a replica that has not applied the primary's migration
drift() { # ENGINE PAUSE RESUME UPDATE LAGGING-SUFFIX OTHER-REPLICA
	local c=$1
	eval "$2" >/dev/null 2>&1 || return 1
	eval "$4" || return 1
	wait_repl "$c" "$6" # the other replica has it: only the stopped one lags
	schema "$fixed" "$c" --json >"$tmp/drift-$c.json" 2>/dev/null
	local rc1=$?
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["clusters"][0]
d = [f for f in c["findings"] if f["kind"] == "migration_drift"]
assert len(d) == 1 and d[0]["severity"] == "critical" and d[0]["object"].endswith(sys.argv[2]), c["findings"]
' "$tmp/drift-$c.json" "$5" || return 1
	eval "$3" >/dev/null 2>&1 || return 1
	wait_repl "$c"
	schema "$fixed" "$c" >/dev/null 2>&1 || return 1
	[ $rc1 = 1 ]
}
drift pg "bash $DD_HARNESS pg-replay $dir pg2 pause" "bash $DD_HARNESS pg-replay $dir pg2 resume" \
	"pgq pg1 dd_schema_ok 'UPDATE schema_migrations SET version = 4' >/dev/null" " pg2" pg3
ok $? "PostgreSQL: replay paused on pg2 while a migration lands: drift reported, cleared after resume"
drift my "bash $DD_HARNESS my-sql-thread $dir my2 stop" "bash $DD_HARNESS my-sql-thread $dir my2 start" \
	"myq my1 dd_schema_ok 'UPDATE schema_migrations SET version = 4'" " my2" my3
ok $? "MariaDB: SQL thread stopped on my2 while a migration lands: drift reported, cleared after restart"

# 10. clusters of one schema_group: their primaries' versions must match
group=$(ini group databases=dd_schema_ok schema_group=app)
schema "$group" pg --json >"$tmp/g0.json" 2>/dev/null
a=$?
myq my1 dd_schema_ok "UPDATE schema_migrations SET version = 5" && wait_repl my
schema "$group" pg --json >"$tmp/g1.json" 2>/dev/null
b=$?
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["clusters"][0]
d = [f for f in c["findings"] if f["kind"] == "migration_drift"]
assert len(d) == 1 and d[0]["severity"] == "critical", c["findings"]
assert d[0]["object"] == "schema_migrations (schema_group app)", d[0]
assert "cluster my" in d[0]["evidence"] and " 5" in d[0]["evidence"], d[0]
' "$tmp/g1.json"
c=$?
[ $a = 0 ] && [ $b = 1 ] && [ $c = 0 ]
ok $? "schema_group: clusters at the same version pass ($a); one cluster ahead is drift on the other ($b)"

# 11. schema_version_query replaces the detection
custom=$(ini custom databases=dd_schema_ok "schema_version_query=SELECT version, 'today' FROM schema_migrations")
schema "$custom" pg --json >"$tmp/custom.json" 2>/dev/null
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["clusters"][0]
m = [x for x in c["migrations"] if x["node"] == "pg1"]
assert [(x["tool"], x["version"], x["applied"]) for x in m] == [("custom", "4", "today")], m
' "$tmp/custom.json"
ok $? "schema_version_query: its first row is the version, on every node"

# 12. usage errors
schema "$fx" >/dev/null 2>&1; a=$?
schema "$fx" nosuch >/dev/null 2>&1; b=$?
[ $a = 2 ] && [ $b = 2 ]
ok $? "no cluster or an unknown one: exit 2"

echo "1..$n"
[ $failed = 0 ]
