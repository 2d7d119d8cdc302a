#!/usr/bin/env bash
# TAP test of the harness's topology commands that dbdeck's switchover and
# failover hooks use (tests/harness/rejoin.sh): `fence DIR NODE` and
# `rejoin DIR NODE --primary NODE2`, done by hand on both engines the way a
# failover does it: fence the primary, promote a replica, repoint the other
# one, rejoin the old primary, and check every node replicates from the new
# primary. It starts its own harness in a temporary directory (the topology
# changes) and stops it at exit, also on failure.
set -uo pipefail

src=$(cd "$(dirname "$0")/../../.." && pwd)
H=$src/tests/harness/harness.sh
D=$(mktemp -d /tmp/dd-rejoin.XXXXXX)
rmdir "$D"
n=0 failed=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then echo "ok $n - $2"; else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[[ -n ${3-} ]] && printf '%s\n' "$3" | sed 's/^/#   /' | head -20
	fi
}
cleanup() { bash "$H" stop "$D" >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pg() { bash "$H" psql "$D" "$1" -v ON_ERROR_STOP=1 -A -t -q -c "$2" 2>&1; }
my() { bash "$H" mariadb "$D" "$1" -N -B -e "$2" 2>&1; }
# poll SECONDS CMD...: until CMD prints "ok".
poll() {
	local limit=$((SECONDS + $1)) out
	shift
	while :; do
		out=$("$@" 2>&1)
		[[ $out == ok ]] && return 0
		((SECONDS >= limit)) && { echo "$out"; return 1; }
		sleep 0.2
	done
}
pg_streams() { # PRIMARY NODE
	[[ $(pg "$1" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$2'
		AND state = 'streaming'") == 1 ]] && echo ok
}
my_runs() { # NODE PORT-OF-MASTER
	local st
	st=$(bash "$H" mariadb "$D" "$1" -E -e "SHOW SLAVE STATUS" 2>&1)
	[[ $st == *"Slave_IO_Running: Yes"* && $st == *"Slave_SQL_Running: Yes"* &&
		$st == *"Master_Port: $2"* ]] && echo ok || echo "$st" | grep -E 'Running|Master_Port|Error'
}
has_row() { # pg|my NODE VALUE
	local v
	if [[ $1 == pg ]]; then v=$(pg "$2" "SELECT count(*) FROM rj WHERE v = '$3'")
	else v=$(my "$2" "SELECT count(*) FROM rj WHERE v = '$3'"); fi
	[[ $v == 1 ]] && echo ok || echo "$v"
}

echo "1..15"
out=$(bash "$H" start "$D" --watch $$ 2>&1)
[[ $? == 0 ]] || { echo "Bail out! harness start failed: $out"; exit 1; }
# shellcheck disable=SC1091
. "$D/env"

# --- PostgreSQL: fence pg1, promote pg2, repoint pg3, rejoin pg1 ----------
pg pg1 "CREATE TABLE rj (v text PRIMARY KEY)" >/dev/null
out=$(bash "$H" fence "$D" pg1 2>&1)
ok $? "fence pg1 stops it" "$out"
out=$(bash "$H" fence "$D" pg1 2>&1)
ok $? "fence of a node that is down succeeds" "$out"
out=$(pg pg2 "SELECT pg_promote(true, 60)")
[[ $out == t ]]
ok $? "pg2 promoted" "$out"
# The slot before the repoint: slots are not replicated, and pg3 uses primary_slot_name = pg3.
out=$(pg pg2 "SELECT pg_create_physical_replication_slot('pg3', true)" &&
	pg pg3 "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=$DD_PG2_PORT user=dbdeck passfile=$D/pgpass sslmode=disable application_name=pg3'" &&
	pg pg3 "SELECT pg_reload_conf()")
poll 30 pg_streams pg2 pg3
ok $? "pg3 streams from pg2 after the repoint" "$out"
pg pg2 "INSERT INTO rj VALUES ('after-promote')" >/dev/null
out=$(bash "$H" rejoin "$D" pg1 --primary pg2 2>&1)
ok $? "rejoin pg1 --primary pg2" "$out"
out=$(poll 30 pg_streams pg2 pg1)
ok $? "pg1 streams from pg2" "$out"
out=$(poll 30 has_row pg pg1 after-promote)
ok $? "a row written on pg2 reaches pg1" "$out"
[[ $(pg pg1 "SELECT pg_is_in_recovery()") == t ]]
ok $? "pg1 is a standby (in recovery)"

# --- MariaDB: fence my1, promote my2, repoint my3, rejoin my1 --------------
my my1 "CREATE TABLE app.rj (v varchar(40) PRIMARY KEY)" >/dev/null
out=$(bash "$H" fence "$D" my1 2>&1)
ok $? "fence my1 stops it" "$out"
out=$(my my2 "STOP SLAVE; RESET SLAVE ALL" && bash "$H" my-read-only "$D" my2 off 2>&1)
ok $? "my2 promoted (replication reset, read_only off)" "$out"
out=$(my my3 "STOP SLAVE; CHANGE MASTER TO MASTER_PORT=$DD_MY2_PORT; START SLAVE")
poll 30 my_runs my3 "$DD_MY2_PORT" >/dev/null
ok $? "my3 replicates from my2 after CHANGE MASTER" "$out"
my my2 "INSERT INTO app.rj VALUES ('after-promote')" >/dev/null
out=$(bash "$H" rejoin "$D" my1 --primary my2 2>&1)
ok $? "rejoin my1 --primary my2" "$out"
out=$(poll 30 my_runs my1 "$DD_MY2_PORT")
ok $? "my1 replicates from my2, both threads running" "$out"
out=$(poll 30 has_row my my1 after-promote)
ok $? "a row written on my2 reaches my1" "$out"
out=$(my my1 "INSERT INTO app.rj VALUES ('on-my1')")
[[ $out == *1290* ]]
ok $? "my1 refuses writes (read_only)" "$out"

echo "# failed $failed of $n"
((failed == 0))
