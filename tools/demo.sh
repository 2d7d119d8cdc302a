#!/usr/bin/env bash
# demo.sh: `make demo` / `make demo-down`. Starts the demo topology (the test
# harness: a PostgreSQL primary with two streaming replicas and a MariaDB
# primary with two GTID replicas, on loopback) in .demo/, writes a config and
# a vault for it, starts the demo's application load (demoload, a program on
# libdbdeck: tools/demoload/) and opens the console. The servers and the load
# keep running until `make demo-down`.
#
# Every background process it starts has a pid file in DIR/pids/ (pid, then
# the process's start time). Before starting one, `up` checks the pid file:
# when that process is alive and really ours (same start time, and its
# /proc/PID/cmdline names our program and DIR), it is left alone, so running
# `make demo` twice never starts a second load. `down` stops each recorded
# process (and its children), then the servers, and removes DIR.
#
# Settings: DBDECK_DEMO_DIR (default .demo in the source tree) puts the demo
# elsewhere; BUILD (default build) is the build directory.
set -euo pipefail
demo=$(realpath -m -- "${DBDECK_DEMO_DIR:-$(dirname "$0")/../.demo}")
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD:-build}
[[ $build == /* ]] || build=$root/$build
dbdeck=$build/tui/dbdeck
demoload=$build/tools/demoload/demoload
harness=$root/tests/harness/harness.sh
pids=$demo/pids

# proc_start PID: the process's start time (field 22 of /proc/PID/stat).
proc_start() {
	local stat f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # the command name may hold spaces
	read -r -a f <<<"$stat"
	echo "${f[19]}"
}

# ours NAME: prints the pid recorded for NAME when that process is still
# the one we started: same start time, and a command line that names our
# program and the demo directory. 1 otherwise.
ours() {
	local file=$pids/$1.pid pid since cmd
	read -r pid since 2>/dev/null <"$file" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(proc_start "$pid") == "$since" ]] || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *"/demoload "* && $cmd == *" $demo/dbdeck.ini "* ]] || return 1
	echo "$pid"
}

# kill_tree SIGNAL PID: the process and, first, its descendants.
kill_tree() {
	local c
	for c in $(pgrep -P "$2" 2>/dev/null); do
		kill_tree "$1" "$c"
	done
	kill "-$1" "$2" 2>/dev/null || true
}

# stop_recorded NAME: stops the recorded process NAME (TERM, KILL after 10 s).
stop_recorded() {
	local pid i
	if pid=$(ours "$1"); then
		kill_tree TERM "$pid"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill_tree KILL "$pid"
		echo "demo: $1 (pid $pid) stopped"
	fi
	rm -f "$pids/$1.pid"
}

# start_load: the application load, unless ours is already running. A new
# one is given a few seconds to connect before the console starts (at most
# 20 s), so that the two do not compete for the machine in their first
# seconds.
start_load() {
	local pid lines=0 i
	if pid=$(ours load); then
		echo "demo: the load is already running (pid $pid)"
		return
	fi
	mkdir -p "$pids"
	[ -f "$demo/load.log" ] && lines=$(wc -l <"$demo/load.log")
	# nohup: it outlives the terminal, like the servers; SIGTERM stops it.
	nohup "$demoload" --seconds 3600 "$demo/dbdeck.ini" "$demo/passphrase" \
		</dev/null >>"$demo/load.log" 2>&1 &
	pid=$!
	echo "$pid $(proc_start "$pid")" >"$pids/load.pid"
	echo "demo: load started (pid $pid): a make-believe shop on libdbdeck's pools, log in $demo/load.log"
	for ((i = 0; i < 200; i++)); do
		tail -n +$((lines + 1)) "$demo/load.log" | grep -q '^demoload: running on all' && return
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "demo: the load stopped at once:" >&2
			tail -n +$((lines + 1)) "$demo/load.log" | tail -5 >&2
			return
		fi
		sleep 0.1
	done
}

down() {
	local f
	if [ ! -d "$demo" ]; then
		echo "demo: not running"
		return
	fi
	for f in "$pids"/*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		stop_recorded "${f%.pid}"
	done
	bash "$harness" stop "$demo"
	echo "demo: stopped"
}

up() {
	if [ ! -x "$dbdeck" ] || [ ! -x "$demoload" ]; then
		echo "demo: $dbdeck or $demoload is missing: build first (make)" >&2
		exit 1
	fi
	if [ ! -f "$demo/env" ]; then
		if [ -e "$demo" ] && [ -n "$(ls -A "$demo")" ]; then
			# A harness that did not finish starting is removed by its own stop;
			# anything else is not ours to remove.
			bash "$harness" stop "$demo" || exit 1
		fi
		echo "demo: starting PostgreSQL 15 (pg1 + 2 replicas) and MariaDB (my1 + 2 replicas) in $demo"
		bash "$harness" start "$demo"
		tests/harness/mkvault.sh "$dbdeck" "$demo"
	fi
	start_load
	echo "demo: config $demo/dbdeck.ini, vault $demo/vault"
	echo "demo: vault passphrase (demo only): $(cat "$demo/passphrase")"
	echo "demo: 'q' quits the console; 'make demo-down' stops the load and the servers"
	exec "$dbdeck" -c "$demo/dbdeck.ini" --passphrase-file "$demo/passphrase"
}

case "${1:-up}" in
up) up ;;
down) down ;;
*)
	echo "usage: tools/demo.sh up|down" >&2
	exit 2
	;;
esac
