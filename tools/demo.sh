#!/usr/bin/env bash
# demo.sh: `make demo` / `make demo-down`. Starts the demo topology (the test
# harness: a PostgreSQL primary with two streaming replicas and a MariaDB
# primary with two GTID replicas, on loopback) in .demo/, writes a config and
# a vault for it, starts the demo's application load (demoload, a program on
# libdbdeck: tools/demoload/) and opens the console. The servers keep running
# until `make demo-down`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
dbdeck=$root/build/tui/dbdeck
demoload=$root/build/tools/demoload/demoload
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
	# An application's load through libdbdeck's pools, with a deliberately slow
	# report now and then (tools/demoload/demoload.c); bounded, its output in load.log.
	nohup "$demoload" --seconds 3600 "$demo/dbdeck.ini" "$demo/passphrase" \
		</dev/null >>"$demo/load.log" 2>&1 &
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
