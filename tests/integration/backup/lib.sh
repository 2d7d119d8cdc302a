# lib.sh: sourced by the backup integration tests. TAP counters, the
# harness ($DD_HARNESS_ENV), a test config whose clusters back up their own
# database `bktest` into a temporary backup_dir (with the audit log there
# too), SQL on a node, waiting for the replicas, per-table content checksums,
# and clean-up at exit (databases dropped, temporary files removed) whatever
# happens. The tests never put the harness password in an argv or an
# environment: the clients read it from the harness's 0600 files.
set -uo pipefail
export LC_ALL=C

n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
bail() { echo "Bail out! $*"; exit 1; }
note() { sed 's/^/# /'; }
finish() { echo "1..$n"; exit $((failed > 0 ? 1 : 0)); }

# bk_setup DBDECK SRCDIR: the harness, a vault with the backup keys, $tmp.
bk_setup() {
	dbdeck=$1 src=$2
	[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || bail "DD_HARNESS_ENV is not set (start the harness)"
	# shellcheck disable=SC1090
	. "$DD_HARNESS_ENV"
	dir=$DD_HARNESS_DIR
	if ! "$dbdeck" --vault "$dir/vault" --passphrase-file "$dir/passphrase" vault list 2>/dev/null |
		grep -q '^backup-key-2\b'; then
		"$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null 2>&1 || bail "cannot make the harness vault"
	fi
	tmp=$(mktemp -d /tmp/dbdeck-backup-test.XXXXXX)
	mkdir -m 0700 "$tmp/backups" "$tmp/tmpdir"
	export TMPDIR=$tmp/tmpdir
	cleanups=()
	trap bk_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# on_exit CMD...: run at exit, newest first.
on_exit() { cleanups+=("$*"); }

bk_cleanup() {
	local i
	for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
		eval "${cleanups[$i]}" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}

# bk_ini FILE [CLUSTER:KEY=VALUE...]: the harness config with database
# bktest, backup_dir and audit_log under $tmp, and extra cluster keys.
bk_ini() {
	local out=$1 kv c line
	shift
	awk -v bdir="$tmp/backups" -v audit="$tmp/audit.log" '
		/^audit_log = / { print "audit_log = " audit; next }
		/^database = / { print "database = bktest"; next }
		/^credential = / { print; print "backup_dir = " bdir; next }
		{ print }' "$dir/dbdeck.ini" >"$out"
	for kv in "$@"; do
		c=${kv%%:*} line=${kv#*:}
		awk -v c="[cluster $c]" -v line="${line/=/ = }" '
			{ print } $0 == c { print line }' "$out" >"$out.new" && mv "$out.new" "$out"
	done
}

# dd INI ARGS...: the binary with a config and the harness passphrase file.
dd() {
	local ini=$1
	shift
	"$dbdeck" -c "$ini" --passphrase-file "$dir/passphrase" "$@"
}

# pgq NODE DB SQL / myq NODE DB SQL: one statement, unaligned output.
pgq() { bash "$DD_HARNESS" psql "$dir" "$1" -d "$2" -tA -v ON_ERROR_STOP=1 -c "$3"; }
myq() { bash "$DD_HARNESS" mariadb "$dir" "$1" -N -B -D "$2" -e "$3"; }

# wait_repl pg|my: every replica has replayed what the primary has written.
wait_repl() {
	local pos i node
	if [ "$1" = pg ]; then
		pos=$(pgq pg1 postgres "select pg_current_wal_lsn()")
		for node in pg2 pg3; do
			for ((i = 0; i < 300; i++)); do
				[ "$(pgq "$node" postgres "select pg_last_wal_replay_lsn() >= '$pos'")" = t ] && break
				sleep 0.1
			done
		done
	else
		pos=$(myq my1 mysql "select @@gtid_binlog_pos")
		for node in my2 my3; do
			myq "$node" mysql "select master_gtid_wait('$pos', 30)" >/dev/null
		done
	fi
}

# make_data pg|my DB: tables of known data: NULLs, unicode, a large
# bytea/blob, a view, a function (and on MariaDB a procedure and a trigger).
make_data() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "create database $2" >/dev/null || return 1
		bash "$DD_HARNESS" psql "$dir" pg1 -d "$2" -q -v ON_ERROR_STOP=1 <<'EOF'
create table people (id int primary key, name text, note text, born date, score numeric(10,3));
insert into people values (1, 'Ada', null, '1815-12-10', 1.5),
  (2, 'Zoë ✓ 日本語 😀', 'unicode', null, null), (3, null, E'tab\tnew\nline ''quote''', '2000-01-01', -2);
create table blobs (id int primary key, data bytea);
insert into blobs select 1, decode(string_agg(md5(i::text), ''), 'hex') from generate_series(1, 200000) i;
insert into blobs values (2, null), (3, '\x00ff00'::bytea);
create table numbers as select i, md5(i::text) as h from generate_series(1, 5000) i;
create view shouting as select id, upper(name) as uname from people;
create function add_up(a int, b int) returns int language sql immutable as 'select a + b';
analyze;
EOF
	else
		myq my1 mysql "create database $2 character set utf8mb4" || return 1
		bash "$DD_HARNESS" mariadb "$dir" my1 -D "$2" <<'EOF'
create table people (id int primary key, name varchar(100), note text, born date, score decimal(10,3)) default charset=utf8mb4;
insert into people values (1, 'Ada', null, '1815-12-10', 1.5),
  (2, 'Zoë ✓ 日本語 😀', 'unicode', null, null), (3, null, 'tab\tnew\nline ''quote''', '2000-01-01', -2);
create table blobs (id int primary key, data longblob);
insert into blobs select 1, repeat(unhex('00FF10E29C93'), 500000);
insert into blobs values (2, null), (3, unhex('00FF00'));
create table numbers (i int primary key, h char(32));
insert into numbers select seq, md5(seq) from seq_1_to_5000;
create view shouting as select id, upper(name) as uname from people;
create function add_up(a int, b int) returns int deterministic return a + b;
create procedure hello() select 'hello';
create trigger people_note before insert on people for each row set new.note = coalesce(new.note, '-');
analyze table people, blobs, numbers;
EOF
	fi
}

# drop_db pg|my DB
drop_db() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "drop database if exists $2 with (force)"
	else
		myq my1 mysql "drop database if exists $2"
	fi
}

# sums pg|my DB: "table checksum" per base table, sorted.
sums() {
	local t
	if [ "$1" = pg ]; then
		for t in $(pgq pg1 "$2" "select tablename from pg_tables where schemaname = 'public' order by 1"); do
			echo "$t $(pgq pg1 "$2" "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from $t t")"
		done
	else
		for t in $(myq my1 "$2" "select table_name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by 1"); do
			myq my1 "$2" "checksum table $t" | awk '{ sub(/^[^.]*\./, "", $1); print $1, $2 }'
		done
	fi
}

# routines pg|my DB: the function and the view answer as in the source.
routines() {
	if [ "$1" = pg ]; then
		echo "$(pgq pg1 "$2" "select add_up(2, 3)") $(pgq pg1 "$2" "select count(*) from shouting")"
	else
		echo "$(myq my1 "$2" "select add_up(2, 3)") $(myq my1 "$2" "select count(*) from shouting")" \
			"$(myq my1 "$2" "select count(*) from information_schema.routines where routine_schema = database()")" \
			"$(myq my1 "$2" "select count(*) from information_schema.triggers where trigger_schema = database()")"
	fi
}

# db_exists pg|my DB: prints 1 or 0.
db_exists() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "select count(*) from pg_database where datname = '$2'"
	else
		myq my1 mysql "select count(*) from information_schema.schemata where schema_name = '$2'"
	fi
}

# json FILE EXPR: evaluates a Python expression over the JSON in FILE (as d).
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# make_big pg|my DB ROWS: a table of ROWS rows of 512 random bytes each
# (incompressible), so that a dump of it takes a while.
make_big() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "create database $2" >/dev/null &&
			pgq pg1 "$2" "create table big as select i, (select decode(string_agg(md5(random()::text || i::text || j::text), ''), 'hex') from generate_series(1, 32) j) as r from generate_series(1, $3) i" >/dev/null
	else
		myq my1 mysql "create database $2" &&
			myq my1 "$2" "create table big (i int primary key, r blob); insert into big select seq, random_bytes(512) from seq_1_to_$3"
	fi
}

# child_of PID NAME: the pid of PID's live (not zombie) child named NAME, or nothing.
child_of() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = "$2" ] &&
			[ "$(awk '{ print $3 }' /proc/"$c"/stat 2>/dev/null)" != Z ] && { echo "$c"; return 0; }
	done
	return 1
}

# wait_for SECONDS CMD...: polls CMD every 20 ms until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.02
	done
}

# partial_has_data CLUSTER: a .partial of CLUSTER holds some dump bytes.
partial_has_data() {
	local f
	for f in "$tmp/backups/$1/"*.partial/dump.*; do
		[ -s "$f" ] && return 0
	done
	return 1
}

# complete_count CLUSTER: finished backup directories of CLUSTER.
complete_count() { find "$tmp/backups/$1" -mindepth 1 -maxdepth 1 -type d ! -name '*.partial' 2>/dev/null | wc -l; }
partial_count() { find "$tmp/backups/$1" -mindepth 1 -maxdepth 1 -type d -name '*.partial' 2>/dev/null | wc -l; }
