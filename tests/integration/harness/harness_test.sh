#!/usr/bin/env bash
# TAP test of the test harness itself (tests/harness/harness.sh): against an
# already running harness, whose env file is named by $DD_HARNESS_ENV, check
# that the primaries take writes, the replicas refuse them, rows reach every
# replica, and replication streams. Without a harness it fails (Bail out!),
# it never skips: the integration suite needs the servers.
#
# Talks to the nodes only through "harness.sh psql|mariadb DIR NODE", so it
# also checks the operator account and the password files.
set -uo pipefail

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}
bail() {
	echo "1..1"
	echo "not ok 1 - $1"
	echo "Bail out! $1"
	exit 1
}

[[ -n ${DD_HARNESS_ENV-} ]] || bail "DD_HARNESS_ENV is not set (start a harness: tests/harness/harness.sh start DIR)"
[[ -r $DD_HARNESS_ENV ]] || bail "DD_HARNESS_ENV=$DD_HARNESS_ENV: no such file"
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
[[ -x ${DD_HARNESS-} && -d ${DD_HARNESS_DIR-} ]] || bail "$DD_HARNESS_ENV lacks DD_HARNESS/DD_HARNESS_DIR"

H=$DD_HARNESS
D=$DD_HARNESS_DIR
T="harness_t_$$_$RANDOM"

pg() { bash "$H" psql "$D" "$1" -v ON_ERROR_STOP=1 -A -t -q -c "$2" 2>&1; }
my() { bash "$H" mariadb "$D" "$1" -N -B -e "$2" 2>&1; }

# poll SECONDS CMD...: run CMD until its output is "ok" or time runs out.
poll() {
	local limit=$((SECONDS + $1)) out
	shift
	while :; do
		out=$("$@") && [[ $out == ok ]] && return 0
		((SECONDS < limit)) || { echo "$out"; return 1; }
		sleep 0.2
	done
}

cleanup() {
	pg pg1 "DROP TABLE IF EXISTS $T" >/dev/null
	my my1 "DROP TABLE IF EXISTS $T" >/dev/null
}
trap cleanup EXIT

echo "1..15"

# 1-2: the primaries take writes.
if out=$(pg pg1 "CREATE TABLE $T (id int PRIMARY KEY, v text); INSERT INTO $T VALUES (1, '$T')"); then
	ok "pg1 is writable"
else
	not_ok "pg1 is writable" "$out"
fi
if out=$(my my1 "CREATE TABLE $T (id INT PRIMARY KEY, v TEXT); INSERT INTO $T VALUES (1, '$T')"); then
	ok "my1 is writable"
else
	not_ok "my1 is writable" "$out"
fi

# 3-6: the replicas refuse writes with the engines' read-only errors.
for node in pg2 pg3; do
	out=$(pg "$node" "CREATE TABLE ${T}_ro (i int)")
	if [[ $? -ne 0 && $out == *"read-only transaction"* ]]; then
		ok "$node refuses writes (read-only transaction)"
	else
		not_ok "$node refuses writes (read-only transaction)" "$out"
	fi
done
for node in my2 my3; do
	out=$(my "$node" "CREATE TABLE ${T}_ro (i INT)")
	if [[ $? -ne 0 && $out == *"ERROR 1290"*"read-only"* ]]; then
		ok "$node refuses writes (error 1290, --read-only)"
	else
		not_ok "$node refuses writes (error 1290, --read-only)" "$out"
	fi
done

# 7-10: the row written on each primary reaches both of its replicas.
pg_row() { pg "$1" "SELECT CASE WHEN v = '$T' THEN 'ok' END FROM $T WHERE id = 1"; }
my_row() { my "$1" "SELECT IF(v = '$T', 'ok', 'bad') FROM $T WHERE id = 1"; }
for node in pg2 pg3; do
	if out=$(poll 10 pg_row "$node"); then
		ok "row written on pg1 appears on $node within 10 s"
	else
		not_ok "row written on pg1 appears on $node within 10 s" "$out"
	fi
done
for node in my2 my3; do
	if out=$(poll 10 my_row "$node"); then
		ok "row written on my1 appears on $node within 10 s"
	else
		not_ok "row written on my1 appears on $node within 10 s" "$out"
	fi
done

# 11-13: replication streams.
out=$(pg pg1 "SELECT string_agg(application_name || '=' || state, ',' ORDER BY application_name)
	FROM pg_stat_replication")
if [[ $out == "pg2=streaming,pg3=streaming" ]]; then
	ok "pg_stat_replication on pg1: pg2 and pg3 streaming"
else
	not_ok "pg_stat_replication on pg1: pg2 and pg3 streaming" "$out"
fi
for node in my2 my3; do
	out=$(bash "$H" mariadb "$D" "$node" -E -e "SHOW SLAVE STATUS" 2>&1)
	if [[ $out == *"Slave_IO_Running: Yes"* && $out == *"Slave_SQL_Running: Yes"* ]]; then
		ok "$node: Slave_IO_Running and Slave_SQL_Running are Yes"
	else
		not_ok "$node: Slave_IO_Running and Slave_SQL_Running are Yes" "$out"
	fi
done

# 14-15: clean up, and the drop replicates too.
gone() { out=$(pg "$1" "SELECT to_regclass('$T') IS NULL") && [[ $out == t ]] && echo ok || echo "$out"; }
my_gone() {
	out=$(my "$1" "SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = 'app' AND table_name = '$T'") && [[ $out == 0 ]] && echo ok || echo "$out"
}
cleanup
if out=$(poll 10 gone pg1) && out=$(poll 10 gone pg2) && out=$(poll 10 gone pg3); then
	ok "PostgreSQL test table dropped on all nodes"
else
	not_ok "PostgreSQL test table dropped on all nodes" "$out"
fi
if out=$(poll 10 my_gone my1) && out=$(poll 10 my_gone my2) && out=$(poll 10 my_gone my3); then
	ok "MariaDB test table dropped on all nodes"
else
	not_ok "MariaDB test table dropped on all nodes" "$out"
fi
trap - EXIT

exit $((failed > 0))
