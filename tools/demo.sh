#!/usr/bin/env bash
# demo.sh: `make demo` / `make demo-down`. Starts the demo topology (the test
# harness: a PostgreSQL primary with two streaming replicas and a MariaDB
# primary with two GTID replicas, on loopback) in .demo/, writes a config and
# a vault for it, starts a light write load, and opens the console. The
# servers keep running until `make demo-down`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
dbdeck=$(realpath -m "${BUILD:-build}/tui/dbdeck") # $BUILD: the build directory
harness=$root/tests/harness/harness.sh

down() {
	if [ -d "$demo" ]; then
		bash "$harness" stop "$demo"
		echo "demo: stopped"
	else
		echo "demo: not running"
	fi
}

up() {
	if [ ! -f "$demo/env" ]; then
		rm -rf "$demo"
		echo "demo: starting PostgreSQL 15 (pg1 + 2 replicas) and MariaDB (my1 + 2 replicas) in .demo/"
		bash "$harness" start "$demo"
		tests/harness/mkvault.sh "$dbdeck" "$demo"
	fi
	# A light write load so lag and activity move; bounded, restarted by each `make demo`.
	(bash "$harness" load "$demo" pg 3600 5 >/dev/null 2>&1 &)
	(bash "$harness" load "$demo" my 3600 5 >/dev/null 2>&1 &)
	# Now and then a slow statement on each primary, so the slow-query view has rows.
	(for _ in $(seq 1 400); do
		bash "$harness" psql "$demo" pg1 -qc 'select pg_sleep(3)' >/dev/null 2>&1
		bash "$harness" mariadb "$demo" my1 -e 'select sleep(2)' >/dev/null 2>&1
		sleep 4
	done &)
	echo "demo: config $demo/dbdeck.ini, vault $demo/vault"
	echo "demo: vault passphrase (demo only): $(cat "$demo/passphrase")"
	echo "demo: 'q' quits the console; 'make demo-down' stops the servers"
	exec "$dbdeck" -c "$demo/dbdeck.ini" --passphrase-file "$demo/passphrase"
}

case "${1:-up}" in
up) up ;;
down) down ;;
*) echo "usage: tools/demo.sh up|down" >&2; exit 2 ;;
esac
