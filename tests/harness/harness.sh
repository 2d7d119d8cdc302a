#!/usr/bin/env bash
# dbdeck test harness: real PostgreSQL 15 and MariaDB 10.11 clusters on
# 127.0.0.1 for the integration tests, the TUI tests and the demo.
#
# "start DIR" brings up pg1 (primary) + pg2, pg3 (streaming replicas) and
# my1 (primary) + my2, my3 (GTID replicas) on free ports, everything inside
# DIR, and returns once every replica replicates. DIR/env and
# DIR/dbdeck.ini then describe the clusters; "stop DIR" removes it all. The
# other commands inject faults (stop/kill/pause a node, pause replay), run a
# bounded write load, or open a client on a node. See README.md beside this
# file. Helpers: lib.sh (processes, ports), pg.sh, mariadb.sh.
set -euo pipefail
# English messages (tests match them) and a "." in EPOCHREALTIME.
export LC_ALL=C

H_SELF=$(realpath -- "${BASH_SOURCE[0]}")
H_LIBDIR=${H_SELF%/*}
# shellcheck source=lib.sh
. "$H_LIBDIR/lib.sh"
# shellcheck source=pg.sh
. "$H_LIBDIR/pg.sh"
# shellcheck source=mariadb.sh
. "$H_LIBDIR/mariadb.sh"
# shellcheck source=rejoin.sh
. "$H_LIBDIR/rejoin.sh"

H_MARK=.dbdeck-harness

usage() {
	cat <<EOF
usage: ${H_SELF##*/} COMMAND DIR [ARGS...]

  start DIR [--watch PID] [--sync]
                                start all six servers in DIR (new or empty);
                                with --watch, stop them when PID dies; with
                                --sync, a commit waits for one replica
                                (synchronous / semi-synchronous replication)
  stop DIR                      stop everything and remove DIR (idempotent)
  status DIR                    one line per node: name port pid state
  stop-node DIR NODE            clean stop of one node
  start-node DIR NODE           start it again (same port and config)
  kill-node DIR NODE            kill -9 of the node's main process
  pause-node DIR NODE           SIGSTOP (PostgreSQL: the postmaster and children)
  resume-node DIR NODE          SIGCONT
  pg-replay DIR NODE pause|resume        pg_wal_replay_pause()/resume()
  my-sql-thread DIR NODE stop|start      STOP/START SLAVE SQL_THREAD
  my-read-only DIR NODE on|off           SET GLOBAL read_only (as root: the
                                         operator lacks READ_ONLY ADMIN)
  load DIR pg|my SECONDS [ROWS_PER_SEC]  write load on the primary (default 20/s)
  fence DIR NODE                hard fence: stop the node (no-op when down)
  rejoin DIR NODE --primary NODE2        make NODE a streaming replica of NODE2
                                (PostgreSQL: pg_rewind; MariaDB: reclone)
  psql DIR NODE [ARGS...]       psql to NODE over TCP as the operator
  mariadb DIR NODE [ARGS...]    mariadb client to NODE over TCP as the operator

NODE is one of pg1 pg2 pg3 my1 my2 my3.
EOF
}

node_pid() {
	case $(node_kind "$1") in
	pg) pg_pid "$1" ;;
	my) my_pid "$1" ;;
	esac
}

node_stop() {
	case $(node_kind "$1") in
	pg) pg_stop "$1" ;;
	my) my_stop "$1" ;;
	esac
}

# --- start -----------------------------------------------------------------

# write_secrets PASSWORD: DIR/password (the only copy dbdeck's tests read),
# DIR/pgpass for libpq and DIR/client.cnf for the mariadb client. All 0600.
# When root, password and pgpass belong to the server account, which needs
# them (initdb --pwfile, the replicas' passfile); root reads them anyway.
write_secrets() {
	local pw=$1
	(
		umask 077
		printf '%s' "$pw" >"$H_DIR/password"
		printf '*:*:*:dbdeck:%s\n' "$pw" >"$H_DIR/pgpass"
		printf '[client]\nuser=dbdeck\npassword=%s\n' "$pw" >"$H_DIR/client.cnf"
	)
	own_by_server "$H_DIR/password" "$H_DIR/pgpass"
}

# make_tls: a CA and a server certificate for 127.0.0.1 (no DNS name, so
# that verify-full to "localhost" fails as it should), plus a second CA that
# signed nothing, for the TLS tests. The servers offer TLS; the key is the
# server account's, 0600.
make_tls() {
	local d=$H_DIR/tls ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -m 0755 "$d"
	{
		openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.pem" -days 7 \
			-subj "/CN=dbdeck harness CA" &&
			openssl req -x509 "${ec[@]}" -keyout "$d/other-ca.key" -out "$d/other-ca.pem" \
				-days 7 -subj "/CN=dbdeck harness other CA" &&
			openssl req "${ec[@]}" -keyout "$d/server.key" -out "$d/server.csr" \
				-subj "/CN=127.0.0.1" &&
			printf 'subjectAltName = IP:127.0.0.1\n' >"$d/server.ext" &&
			openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
				-CAcreateserial -days 7 -extfile "$d/server.ext" -out "$d/server.pem"
	} >"$d/openssl.log" 2>&1 || {
		log_tail "$d/openssl.log"
		die "openssl could not make the test certificates"
	}
	rm -f "$d/ca.key" "$d/other-ca.key" "$d/server.csr" "$d/server.ext"
	chmod 0644 "$d"/*.pem
	chmod 0600 "$d/server.key"
	own_by_server "$d/server.key"
}

new_password() {
	local pw
	pw=$(openssl rand -hex 16 2>/dev/null) ||
		pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	[[ $pw =~ ^[0-9a-f]{32}$ ]] || die "cannot generate a password"
	printf '%s' "$pw"
}

write_env() {
	local n
	{
		echo "export DD_HARNESS_DIR=$H_DIR"
		echo "export DD_HOST=127.0.0.1"
		echo "export DD_USER=dbdeck"
		echo "export DD_PASSWORD_FILE=$H_DIR/password"
		echo "export DD_DATABASE=app"
		for n in "${H_NODES[@]}"; do
			echo "export DD_${n^^}_PORT=$(node_port "$n")"
		done
		echo "export DD_PG_SOCKET_DIR=$H_DIR/pg1"
		echo "export DD_TLS_CA=$H_DIR/tls/ca.pem"
		echo "export DD_TLS_OTHER_CA=$H_DIR/tls/other-ca.pem"
		echo "export DD_HARNESS=$H_SELF"
	} >"$H_DIR/env.tmp"
	mv "$H_DIR/env.tmp" "$H_DIR/env"
}

write_ini() {
	local n
	{
		printf '[console]\nrefresh = 1s\nvault = %s\naudit_log = %s\n' \
			"$H_DIR/vault" "$H_DIR/audit.log"
		printf '\n[cluster pg]\nengine = postgresql\nnodes = pg1, pg2, pg3\n'
		printf 'database = app\ncredential = harness\n'
		printf '\n[cluster my]\nengine = mariadb\nnodes = my1, my2, my3\n'
		printf 'database = app\ncredential = harness\n'
		for n in "${H_NODES[@]}"; do
			printf '\n[node %s]\nhost = 127.0.0.1\nport = %s\n' "$n" "$(node_port "$n")"
		done
	} >"$H_DIR/dbdeck.ini"
}

check_tools() {
	local t
	for t in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/pg_basebackup" "$PGBIN/psql"; do
		[[ -x $t ]] || die "missing $t (install postgresql-15, or set DD_HARNESS_PG_BINDIR)"
	done
	for t in mariadbd mariadb-install-db mariadb mariadb-admin; do
		command -v "$t" >/dev/null || die "missing $t (install mariadb-server and mariadb-client)"
	done
	command -v openssl >/dev/null || die "missing openssl (install openssl)"
}

# prepare_dir: create DIR and the node directories (these owned by the
# server account), and check that account can reach DIR through its parents.
prepare_dir() {
	local n
	if [[ -e $H_DIR ]]; then
		[[ -d $H_DIR && -z $(ls -A "$H_DIR") ]] || die "$H_DIR exists and is not an empty directory"
	fi
	mkdir -p "$H_DIR"
	: >"$H_DIR/$H_MARK"
	chmod 0755 "$H_DIR"
	for n in "${H_NODES[@]}"; do
		mkdir -m 0700 "$H_DIR/$n"
	done
	# DIR itself stays the caller's: it holds the vault, whose directory
	# dbdeck requires to be owned by the user or root (docs/security.md §5).
	own_by_server "${H_NODES[@]/#/$H_DIR/}"
	if is_root && ! runuser -u "$H_ACCOUNT" -- test -w "$H_DIR/pg1"; then
		rm -rf "$H_DIR"
		die "account $H_ACCOUNT cannot reach $H_DIR: its parent directories must be world-traversable (try a DIR under /tmp)"
	fi
}

spawn_watchdog() {
	local pid=$1 since
	since=$(proc_field "$pid" 22) || die "--watch: no process $pid"
	# Forked twice so that it is not our child: its "stop" must be able to
	# kill a "start" still running (stop never kills its own ancestors).
	(
		close_fds
		cd /
		setsid nohup bash "$H_SELF" __watchdog "$H_DIR" "$pid" "$since" \
			</dev/null >>"$H_DIR/watchdog.log" 2>&1 &
	)
}

# start_failed: stop whatever came up; keep DIR only with DD_HARNESS_KEEP=1.
start_failed() {
	trap - INT TERM EXIT
	H_STARTING=0
	local p
	disown -a 2>/dev/null || true # no "Killed" job notices
	for p in "${H_JOBS[@]}"; do
		kill_tree KILL "$p"
	done
	stop_all
	if [[ ${DD_HARNESS_KEEP:-0} == 1 ]]; then
		msg "start failed; servers stopped, $H_DIR kept for inspection (stop it to remove)"
	else
		rm -rf "$H_DIR"
		msg "start failed; everything stopped and $H_DIR removed (DD_HARNESS_KEEP=1 keeps it)"
	fi
	exit 1
}

# wait_jobs DEADLINE_US: wait for the PostgreSQL and MariaDB setups in
# H_JOBS; 1 if one failed or the deadline passed first (then with the end
# of every server log, since any of them may be the one that hangs).
wait_jobs() {
	local deadline=$1 p n running
	while :; do
		running=0
		for p in "${H_JOBS[@]}"; do
			pid_alive "$p" && running=1
		done
		((running)) || break
		if ((${EPOCHREALTIME/./} > deadline)); then
			msg "not ready after ${H_TIMEOUT}s (DD_HARNESS_TIMEOUT)"
			for n in "${H_NODES[@]}"; do
				log_tail "$H_DIR/$n/postgres.log" 8
				log_tail "$H_DIR/$n/mariadbd.err" 8
			done
			return 1
		fi
		nap 0.1
	done
	for p in "${H_JOBS[@]}"; do
		wait "$p" || return 1
	done
}

cmd_start() {
	local t0 deadline watch= pw el ports n
	t0=$(now_us)
	H_T0=$t0
	[[ $H_TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage_error "DD_HARNESS_TIMEOUT must be a number of seconds"
	deadline=$((t0 + H_TIMEOUT * 1000000))
	dir_init "${1-}"
	shift
	while (($#)); do
		case $1 in
		--watch)
			[[ ${2-} =~ ^[0-9]+$ ]] || usage_error "--watch needs a PID"
			pid_alive "$2" || die "--watch: no process $2"
			watch=$2
			shift 2
			;;
		--sync)
			H_SYNC=1
			shift
			;;
		*) usage_error "start: unknown argument '$1'" ;;
		esac
	done
	check_tools
	ensure_account
	prepare_dir
	record_self "$H_DIR/start.pid"
	H_JOBS=()
	# Any way out but success (a signal, an unexpected error under set -e)
	# takes down what was started.
	H_STARTING=1
	trap 'msg "interrupted"; start_failed' INT TERM
	trap '((H_STARTING == 0)) || start_failed' EXIT
	[[ -z $watch ]] || spawn_watchdog "$watch"

	pw=$(new_password)
	write_secrets "$pw"
	make_tls
	read -r -a ports <<<"$(pick_ports 6)"
	for n in 0 1 2 3 4 5; do
		echo "${ports[$n]}" >"$H_DIR/${H_NODES[$n]}/port"
	done
	for n in my1 my2 my3; do
		my_write_conf "$n"
	done

	pg_setup "$deadline" &
	H_JOBS+=($!)
	my_setup "$deadline" "$pw" &
	H_JOBS+=($!)
	wait_jobs "$deadline" || start_failed
	H_STARTING=0
	trap - INT TERM EXIT

	write_env
	write_ini
	rm -f "$H_DIR/start.pid"
	el=$(($(now_us) - t0))
	msg "ready in $((el / 1000000)).$((el % 1000000 / 100000))s ($H_DIR/env)"
}

# --- stop ------------------------------------------------------------------

# record_self FILE: our pid and start time, for kill_recorded.
record_self() {
	echo "$$ $(proc_field $$ 22)" >"$1"
}

# kill_recorded FILE SIGNAL: signal the process tree recorded in FILE by
# record_self, if that pid still is the same process (same start time).
kill_recorded() {
	local pid since
	read -r pid since 2>/dev/null <"$1" || return 0
	pid_alive "$pid" && [[ $(proc_field "$pid" 22) == "$since" ]] || return 0
	is_self_or_ancestor "$pid" && return 0
	kill_tree "$2" "$pid"
}

# stop_all: everything of DIR down; DIR itself is left in place.
stop_all() {
	local n f
	local -a left pids=()
	kill_recorded "$H_DIR/start.pid" KILL
	kill_recorded "$H_DIR/watchdog.pid" TERM
	for f in "$H_DIR"/load.*; do
		[[ -e $f ]] && kill_recorded "$f" TERM
	done
	for n in "${H_NODES[@]}"; do
		node_stop "$n" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	mapfile -t left < <(dir_procs)
	if ((${#left[@]})); then
		kill -CONT "${left[@]}" 2>/dev/null || true
		kill -KILL "${left[@]}" 2>/dev/null || true
		wait_gone 5 "${left[@]}" || msg "processes still alive: ${left[*]}"
	fi
}

cmd_stop() {
	dir_init "${1-}"
	(($# == 1)) || usage_error "usage: stop DIR"
	if [[ ! -e $H_DIR ]]; then
		return 0
	fi
	[[ -e $H_DIR/$H_MARK ]] || die "$H_DIR is not a harness directory (no $H_MARK); not touching it"
	stop_all
	rm -rf "$H_DIR"
}

# --- watchdog --------------------------------------------------------------

# cmd_watchdog DIR PID STARTTIME: poll every second; when PID is gone (or
# its pid now belongs to another process), stop the harness. Exits quietly
# once DIR disappears, i.e. after a normal stop.
cmd_watchdog() {
	local pid=$2 since=$3 now
	dir_init "$1"
	record_self "$H_DIR/watchdog.pid"
	msg "watchdog $$: watching pid $pid"
	while [[ -d $H_DIR ]]; do
		now=
		proc_stat "$pid" && now=${PSTAT[19]}
		if [[ $now != "$since" ]] || ! pid_alive "$pid"; then
			msg "watchdog: pid $pid is gone, stopping the harness"
			"$H_SELF" stop "$H_DIR" || true
			exit 0
		fi
		nap 1
	done
}

# --- status and faults -----------------------------------------------------

cmd_status() {
	local n pid state
	dir_init "${1-}"
	require_dir
	for n in "${H_NODES[@]}"; do
		if pid=$(node_pid "$n"); then
			state=running
			pid_paused "$pid" && state=paused
		else
			pid=-
			state=stopped
		fi
		printf '%-4s %-6s %-8s %s\n' "$n" "$(node_port "$n")" "$pid" "$state"
	done
}

# node_args DIR NODE: common checks of the per-node commands.
node_args() {
	dir_init "${1-}"
	check_node "${2-}"
	require_dir
}

running_pid() {
	node_pid "$1" || die "$1 is not running"
}

cmd_stop_node() {
	node_args "$@"
	node_stop "$2"
}

cmd_start_node() {
	node_args "$@"
	case $(node_kind "$2") in
	pg) pg_start "$2" ;;
	my) my_start "$2" ;;
	esac
}

cmd_kill_node() {
	local pid
	node_args "$@"
	pid=$(running_pid "$2")
	kill -KILL "$pid"
	wait_gone 5 "$pid" || die "$2 (pid $pid) survived kill -9"
}

cmd_pause_node() {
	local -a pids
	node_args "$@"
	running_pid "$2" >/dev/null
	# The postmaster first, so that it starts no new child meanwhile.
	mapfile -t pids < <(if [[ $(node_kind "$2") == pg ]]; then pg_node_pids "$2"; else my_pid "$2"; fi)
	kill -STOP "${pids[@]}" 2>/dev/null || true
}

cmd_resume_node() {
	local -a pids
	node_args "$@"
	running_pid "$2" >/dev/null
	mapfile -t pids < <(if [[ $(node_kind "$2") == pg ]]; then pg_node_pids "$2"; else my_pid "$2"; fi)
	kill -CONT "${pids[@]}" 2>/dev/null || true
}

cmd_pg_replay() {
	node_args "$@"
	[[ $(node_kind "$2") == pg ]] || usage_error "pg-replay: $2 is not a PostgreSQL node"
	case ${3-} in
	pause) pg_q "$2" postgres "SELECT pg_wal_replay_pause()" >/dev/null ;;
	resume) pg_q "$2" postgres "SELECT pg_wal_replay_resume()" >/dev/null ;;
	*) usage_error "usage: pg-replay DIR NODE pause|resume" ;;
	esac
}

cmd_my_sql_thread() {
	node_args "$@"
	[[ $(node_kind "$2") == my ]] || usage_error "my-sql-thread: $2 is not a MariaDB node"
	case ${3-} in
	stop) my_q "$2" "STOP SLAVE SQL_THREAD" ;;
	start) my_q "$2" "START SLAVE SQL_THREAD" ;;
	*) usage_error "usage: my-sql-thread DIR NODE stop|start" ;;
	esac
}

cmd_my_read_only() {
	node_args "$@"
	[[ $(node_kind "$2") == my ]] || usage_error "my-read-only: $2 is not a MariaDB node"
	case ${3-} in
	on) my_root "$2" -e "SET GLOBAL read_only = 1" ;;
	off) my_root "$2" -e "SET GLOBAL read_only = 0" ;;
	*) usage_error "usage: my-read-only DIR NODE on|off" ;;
	esac
}

# --- load ------------------------------------------------------------------

# find_primary pg|my: the node that takes writes now (after a switchover it
# need not be pg1/my1).
find_primary() {
	local n v
	for n in "$1"1 "$1"2 "$1"3; do
		if [[ $1 == pg ]]; then
			v=$(pg_q "$n" postgres "SELECT pg_is_in_recovery()" 2>/dev/null) || continue
			[[ $v == f ]] && { echo "$n"; return 0; }
		else
			v=$(my_q "$n" "SELECT @@read_only" 2>/dev/null) || continue
			[[ $v == 0 ]] && { echo "$n"; return 0; }
		fi
	done
	die "load: no writable $1 primary found"
}

# load_script ENGINE ROWS RATE: INSERTs paced by the server's clock against
# an absolute schedule, so slow statements do not stretch the run.
load_script() {
	local engine=$1 rows=$2 rate=$3 t0 i t at
	t0=$(now_us)
	for ((i = 1; i <= rows; i++)); do
		t=$((t0 + i * 1000000 / rate))
		at="$((t / 1000000)).$(printf '%06d' $((t % 1000000)))"
		if [[ $engine == pg ]]; then
			printf "INSERT INTO harness_load (ts, payload) VALUES (now(), 'load %d');\n" "$i"
			printf 'SELECT pg_sleep(greatest(0, %s - extract(epoch FROM clock_timestamp())));\n' "$at"
		else
			printf "INSERT INTO harness_load (ts, payload) VALUES (NOW(6), 'load %d');\n" "$i"
			printf 'DO SLEEP(GREATEST(0, %s - UNIX_TIMESTAMP(NOW(6))));\n' "$at"
		fi
	done
}

cmd_load() {
	local engine=${2-} secs=${3-} rate=${4:-20} node port rc=0
	dir_init "${1-}"
	[[ $engine == pg || $engine == my ]] || usage_error "usage: load DIR pg|my SECONDS [ROWS_PER_SEC]"
	[[ $secs =~ ^[1-9][0-9]*$ ]] || usage_error "load: SECONDS must be a positive integer"
	[[ $rate =~ ^[1-9][0-9]*$ ]] && ((rate <= 1000)) || usage_error "load: ROWS_PER_SEC must be 1..1000"
	require_dir
	record_self "$H_DIR/load.$$"
	trap 'rm -f "$H_DIR/load.$$"' EXIT
	node=$(find_primary "$engine")
	port=$(node_port "$node")
	if [[ $engine == pg ]]; then
		pg_q "$node" app "SET client_min_messages = warning;
			CREATE TABLE IF NOT EXISTS harness_load
			(id serial PRIMARY KEY, ts timestamp, payload text)" >/dev/null
		load_script pg $((secs * rate)) "$rate" |
			PGPASSFILE=$H_DIR/pgpass timeout -k 2 $((secs + 10)) "$PGBIN/psql" -X -q -w \
				-h 127.0.0.1 -p "$port" -U dbdeck -d app -o /dev/null -f - || rc=$?
	else
		my_q "$node" "CREATE TABLE IF NOT EXISTS harness_load
			(id INT AUTO_INCREMENT PRIMARY KEY, ts TIMESTAMP(6) NULL, payload TEXT)" -D app
		load_script my $((secs * rate)) "$rate" |
			timeout -k 2 $((secs + 10)) mariadb --defaults-file="$H_DIR/client.cnf" \
				--protocol=TCP -h 127.0.0.1 -P "$port" -D app --force -N -B >/dev/null || rc=$?
	fi
	((rc == 0)) || msg "load on $node ended with status $rc"
	return "$rc"
}

# --- clients ---------------------------------------------------------------

cmd_psql() {
	local port
	node_args "$@"
	[[ $(node_kind "$2") == pg ]] || usage_error "psql: $2 is not a PostgreSQL node"
	port=$(node_port "$2")
	shift 2
	PGPASSFILE=$H_DIR/pgpass PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10} \
		exec "$PGBIN/psql" -X -w -h 127.0.0.1 -p "$port" -U dbdeck -d app "$@"
}

cmd_mariadb() {
	local port
	node_args "$@"
	[[ $(node_kind "$2") == my ]] || usage_error "mariadb: $2 is not a MariaDB node"
	port=$(node_port "$2")
	shift 2
	exec mariadb --defaults-file="$H_DIR/client.cnf" --protocol=TCP -h 127.0.0.1 \
		-P "$port" --connect-timeout=10 -D app "$@"
}

main() {
	local cmd=${1-}
	(($#)) && shift
	case $cmd in
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	status) cmd_status "$@" ;;
	stop-node) cmd_stop_node "$@" ;;
	start-node) cmd_start_node "$@" ;;
	kill-node) cmd_kill_node "$@" ;;
	pause-node) cmd_pause_node "$@" ;;
	resume-node) cmd_resume_node "$@" ;;
	pg-replay) cmd_pg_replay "$@" ;;
	my-sql-thread) cmd_my_sql_thread "$@" ;;
	my-read-only) cmd_my_read_only "$@" ;;
	load) cmd_load "$@" ;;
	fence) cmd_fence "$@" ;;
	rejoin) cmd_rejoin "$@" ;;
	psql) cmd_psql "$@" ;;
	mariadb) cmd_mariadb "$@" ;;
	__watchdog) cmd_watchdog "$@" ;;
	help | -h | --help) usage ;;
	'') usage >&2; exit 2 ;;
	*) usage_error "unknown command '$cmd'" ;;
	esac
}

main "$@"
