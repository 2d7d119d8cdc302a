#!/usr/bin/env bash
# backup_lock_test.sh DBDECK SRCDIR: a restore takes the cluster lock of a
# switchover (docs/backups.md). While other sessions hold that lock on
# every node of the cluster under its documented name (PostgreSQL
# pg_advisory_lock(1684275201, hash of the cluster name) in the cluster's
# database; MariaDB GET_LOCK('dbdeck:CLUSTER')), `restore` is refused with
# exit 5, names the holder and creates nothing; once they let go, the same
# restore succeeds. Both engines. Cleans up.
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

# The PostgreSQL key of cluster $1: FNV-1a of its name, 31 bits (fo_lock.c).
pg_key() {
	python3 -c 'import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print(h & 0x7fffffff)' "$1"
}

holders=()
# hold pg|my NODE: a session that takes the lock and keeps it (at most 40 s).
hold() {
	if [ "$1" = pg ]; then
		PGAPPNAME="ddlock h=locktest p=4242 u=tester t=1700000000" \
			bash "$DD_HARNESS" psql "$dir" "$2" -d bktest -q \
			-c "select pg_advisory_lock(1684275201, $(pg_key pg))" -c "select pg_sleep(40)" \
			>/dev/null 2>&1 &
	else
		bash "$DD_HARNESS" mariadb "$dir" "$2" -N -B \
			-e "select get_lock('dbdeck:my', 0); select sleep(40)" >/dev/null 2>&1 &
	fi
	holders+=($!)
}

# held pg|my NODE: the node's lock is taken.
held() {
	if [ "$1" = pg ]; then
		[ "$(pgq "$2" postgres "select count(*) from pg_locks where locktype = 'advisory' and classid = 1684275201 and granted")" -ge 1 ]
	else
		[ "$(myq "$2" mysql "select is_used_lock('dbdeck:my') is not null")" = 1 ]
	fi
}

# let_go pg|my NODE: ends the holding sessions (the server frees the lock).
let_go() {
	if [ "$1" = pg ]; then
		pgq "$2" postgres "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'ddlock h=locktest%'" >/dev/null
	else
		myq "$2" mysql "select id from information_schema.processlist where info like 'select sleep(40)%'" |
			while read -r id; do myq "$2" mysql "kill $id" >/dev/null 2>&1; done
	fi
}

exists() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "select count(*) from pg_database where datname = '$2'"
	else
		myq my1 mysql "select count(*) from information_schema.schemata where schema_name = '$2'"
	fi
}

bk_ini "$tmp/t.ini"
for e in pg my; do
	on_exit drop_db $e bktest
	on_exit drop_db $e bktest_lock
	for node in 1 2 3; do on_exit let_go $e $e$node; done
	drop_db $e bktest >/dev/null 2>&1
	drop_db $e bktest_lock >/dev/null 2>&1
	if [ $e = pg ]; then
		pgq pg1 postgres "create database bktest" >/dev/null &&
			pgq pg1 bktest "create table t as select i from generate_series(1, 100) i" >/dev/null
	else
		myq my1 mysql "create database bktest" &&
			myq my1 bktest "create table t (i int primary key); insert into t select seq from seq_1_to_100"
	fi || bail "cannot make the $e test data"
	wait_repl $e
	dd "$tmp/t.ini" backup $e --node ${e}1 >/dev/null 2>"$tmp/b.err"
	ok $? "$e: a backup to restore"

	for node in 1 2 3; do hold $e $e$node; done
	for ((i = 0; i < 100; i++)); do
		held $e ${e}1 && held $e ${e}2 && held $e ${e}3 && break
		sleep 0.1
	done
	held $e ${e}1 && held $e ${e}2 && held $e ${e}3
	ok $? "$e: other sessions hold the cluster lock on every node"
	dd "$tmp/t.ini" restore $e latest --into bktest_lock --yes >"$tmp/r.out" 2>&1
	ok $([ $? = 5 ] && echo 0 || echo 1) "$e: restore while the lock is held exits 5"
	note <"$tmp/r.out"
	grep -q 'refused:.*another dbdeck holds the cluster lock' "$tmp/r.out"
	ok $? "$e: the refusal says who holds the lock"
	if [ $e = pg ]; then
		grep -q 'host locktest, pid 4242, operator tester' "$tmp/r.out"
		ok $? "pg: the holder is named (host, pid, operator)"
	fi
	[ "$(exists $e bktest_lock)" = 0 ]
	ok $? "$e: nothing was created"

	for node in 1 2 3; do let_go $e $e$node; done
	for ((i = 0; i < 100; i++)); do
		held $e ${e}1 || held $e ${e}2 || held $e ${e}3 || break
		sleep 0.1
	done
	dd "$tmp/t.ini" restore $e latest --into bktest_lock --yes >"$tmp/r.out" 2>&1
	ok $? "$e: once the lock is free the same restore succeeds"
	note <"$tmp/r.out"
	[ "$(exists $e bktest_lock)" = 1 ]
	ok $? "$e: the database is restored"
done
for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null; done
wait 2>/dev/null
finish
