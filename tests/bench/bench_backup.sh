#!/usr/bin/env bash
# bench_backup.sh DBDECK SRCDIR: dbdeck's backup against the engine's tool
# alone, side by side in one run, on a database of at least 200 MB per engine
# (made here, dropped at the end) on the harness's primaries
# ($DD_HARNESS_ENV; `make bench` starts one). Baselines: `pg_dump -Fc > file`
# and `mariadb-dump (dbdeck's flags) | zstd > file`. Contenders: `dbdeck
# backup CLUSTER --node PRIMARY` (process start, vault, facts, dump, SHA-256,
# fsync, manifest, prune: everything), unencrypted and encrypted. The three
# take turns, ROUNDS times (default 3); each figure is the median of its
# rounds, and a ratio is baseline time / dbdeck time (above 1: dbdeck is
# faster). Prints a table and
#   RESULT backup_pg_vs_pg_dump <ratio>           RESULT backup_pg_enc_vs_pg_dump <ratio>
#   RESULT backup_my_vs_mariadb_dump <ratio>      RESULT backup_my_enc_vs_mariadb_dump <ratio>
# BENCH_KEEP=1 keeps the data for the next run (which then reuses it).
# A benchmark, not a test: it never fails on a timing.
set -uo pipefail
export LC_ALL=C
dbdeck=$1 src=$2
rounds=${ROUNDS:-3}
rows=${BENCH_ROWS:-1300000}

[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || { echo "bench_backup: DD_HARNESS_ENV is not set"; exit 1; }
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
dir=$DD_HARNESS_DIR
tmp=$(mktemp -d /tmp/dbdeck-bench-backup.XXXXXX)
mkdir -m 0700 "$tmp/backups" "$tmp/base"
cleanup() {
	[ -n "${BENCH_KEEP:-}" ] && { rm -rf "$tmp"; return; }
	bash "$DD_HARNESS" psql "$dir" pg1 -d postgres -qc 'drop database if exists bkbench' >/dev/null 2>&1
	bash "$DD_HARNESS" mariadb "$dir" my1 -e 'set session sql_log_bin = 0; drop database if exists bkbench' >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
"$dbdeck" --vault "$dir/vault" --passphrase-file "$dir/passphrase" vault list 2>/dev/null | grep -q '^backup-key\b' ||
	"$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null 2>&1

# The data: text of several shapes, numbers and times, about 200 bytes a row.
# Unlogged (PostgreSQL) and out of the binlog (MariaDB): the replicas stay idle.
have=$(bash "$DD_HARNESS" psql "$dir" pg1 -d bkbench -tAc 'select count(*) from orders' 2>/dev/null)
if [ "$have" = "$rows" ]; then
	echo "bench_backup: reusing the $rows rows left by BENCH_KEEP=1"
else
echo "bench_backup: making $rows rows per engine..."
bash "$DD_HARNESS" psql "$dir" pg1 -d postgres -qc 'drop database if exists bkbench' >/dev/null
bash "$DD_HARNESS" mariadb "$dir" my1 -e 'set session sql_log_bin = 0; drop database if exists bkbench' >/dev/null
bash "$DD_HARNESS" psql "$dir" pg1 -d postgres -qc 'create database bkbench' >/dev/null || exit 1
bash "$DD_HARNESS" psql "$dir" pg1 -d bkbench -q -v ON_ERROR_STOP=1 -c "
create unlogged table orders as select i as id, md5(i::text) as ref, md5((i * 7)::text) as token,
  'customer ' || (i % 50000) || ' of region ' || (i % 17) as customer,
  repeat(chr(65 + i % 26), 40 + i % 30) as note, (i % 1000) * 1.25 as amount,
  timestamp '2025-01-01' + i * interval '17 seconds' as placed
from generate_series(1, $rows) i;
create index on orders (ref); analyze orders;" >/dev/null || exit 1
bash "$DD_HARNESS" mariadb "$dir" my1 -e "set session sql_log_bin = 0; create database bkbench;
create table bkbench.orders (id int primary key, ref char(32), token char(32), customer varchar(64),
  note varchar(80), amount decimal(10,2), placed datetime, key (ref)) engine=InnoDB;
insert into bkbench.orders select seq, md5(seq), md5(seq * 7), concat('customer ', seq % 50000, ' of region ', seq % 17),
  repeat(char(65 + seq % 26), 40 + seq % 30), (seq % 1000) * 1.25, '2025-01-01' + interval (seq * 17) second
from seq_1_to_$rows; analyze table bkbench.orders;" >/dev/null || exit 1
fi
pg_mb=$(bash "$DD_HARNESS" psql "$dir" pg1 -d bkbench -tAc "select pg_database_size('bkbench') / 1048576")
my_mb=$(bash "$DD_HARNESS" mariadb "$dir" my1 -N -e "select (data_length + index_length) div 1048576 from information_schema.tables where table_schema = 'bkbench'")

awk -v bdir="$tmp/backups" '
	/^database = / { print "database = bkbench"; next }
	/^credential = / { print; print "backup_dir = " bdir; next }
	{ print }' "$dir/dbdeck.ini" >"$tmp/plain.ini"
sed 's/^backup_dir = .*/&\nbackup_key = backup-key/' "$tmp/plain.ini" >"$tmp/enc.ini"

now() { date +%s.%N; }
# timed OUT CMD...: runs CMD, appends its wall time (s) to OUT; false when it failed.
timed() {
	local out=$1 t0 rc
	shift
	t0=$(now)
	"$@" >/dev/null 2>"$tmp/err"
	rc=$?
	echo "$(now) - $t0" | bc >>"$out"
	[ $rc = 0 ] || { echo "bench_backup: failed: $*"; sed 's/^/  /' "$tmp/err"; }
	return $rc
}
base_pg() { PGPASSFILE=$dir/pgpass pg_dump -Fc -w -h 127.0.0.1 -p "$DD_PG1_PORT" -U dbdeck -d bkbench >"$tmp/base/pg.dump"; }
base_my() {
	mariadb-dump --defaults-extra-file="$dir/client.cnf" --protocol=TCP -h 127.0.0.1 -P "$DD_MY1_PORT" \
		--default-character-set=utf8mb4 --single-transaction --routines --triggers --events --hex-blob \
		--master-data=2 --gtid bkbench | zstd -q >"$tmp/base/my.sql.zst"
}
ddk() { "$dbdeck" -c "$tmp/$1.ini" --passphrase-file "$dir/passphrase" backup "$2" --node "${2}1"; }

for e in pg my; do
	for ((r = 0; r < rounds; r++)); do
		timed "$tmp/$e.base" base_$e
		timed "$tmp/$e.plain" ddk plain $e
		timed "$tmp/$e.enc" ddk enc $e
	done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
size_mb() { du -m "$1" | tail -1 | cut -f1; }
printf '%-6s %8s %12s %12s %12s %10s %10s\n' engine "db MB" "tool s" "dbdeck s" "dbdeck+enc s" ratio "ratio enc"
for e in pg my; do
	b=$(median "$tmp/$e.base") p=$(median "$tmp/$e.plain") c=$(median "$tmp/$e.enc")
	rp=$(echo "scale=3; $b / $p" | bc) rc=$(echo "scale=3; $b / $c" | bc)
	mb=$([ $e = pg ] && echo "$pg_mb" || echo "$my_mb")
	printf '%-6s %8s %12.2f %12.2f %12.2f %10.3f %10.3f\n' $e "$mb" "$b" "$p" "$c" "$rp" "$rc"
	eval "r_$e=$rp r_${e}_enc=$rc"
done
echo "rounds: $rounds; dump sizes: pg $(size_mb "$tmp/base/pg.dump") MB, my $(size_mb "$tmp/base/my.sql.zst") MB"
echo "RESULT backup_pg_vs_pg_dump $r_pg"
echo "RESULT backup_pg_enc_vs_pg_dump $r_pg_enc"
echo "RESULT backup_my_vs_mariadb_dump $r_my"
echo "RESULT backup_my_enc_vs_mariadb_dump $r_my_enc"
