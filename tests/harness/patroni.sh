#!/usr/bin/env bash
# patroni.sh: the Patroni variant of the test harness (issue 16), used only
# by tests/integration/patroni. One etcd member and three PostgreSQL 15
# nodes (pg1, pg2, pg3) managed by Patroni agents, all on 127.0.0.1 and free
# ports inside DIR. Ready only when Patroni reports a leader and two
# replicas that the leader sees streaming. Writes DIR/env, DIR/dbdeck.ini
# (cluster `pt`, manager = patroni) and the vault (tests/harness/mkvault.sh).
#
#   patroni.sh start DIR DBDECK [--watch PID]   (DIR new or empty)
#   patroni.sh stop DIR                         (idempotent; removes DIR)
#   patroni.sh leader DIR                       the leader's name, per Patroni
#   patroni.sh kill-node DIR NODE               kill -9 of the agent and postgres
#   patroni.sh start-node DIR NODE              start the agent again
#   patroni.sh psql DIR NODE [ARGS...]          psql as the operator
#   patroni.sh api DIR NODE METHOD PATH [JSON]  one REST call to NODE's agent
#
# DD_PATRONI_PG1_API_PORT=PORT puts pg1's agent on PORT (8008, Patroni's
# default, for the test of dbdeck's detection of an undeclared Patroni).
# Servers and agents run as $DD_HARNESS_ACCOUNT when started by root (as
# the main harness). The password is in DIR/password and, unavoidably, in
# each agent's DIR/pgN/patroni.yml (0600, owned by the server account).
set -euo pipefail
export LC_ALL=C

H_SELF=$(realpath -- "${BASH_SOURCE[0]}")
H_LIBDIR=${H_SELF%/*}
# shellcheck source=lib.sh
. "$H_LIBDIR/lib.sh"
PGBIN=${DD_HARNESS_PG_BINDIR:-/usr/lib/postgresql/15/bin}
P_NODES=(pg1 pg2 pg3)
P_MARK=.dbdeck-patroni-harness

usage() {
	sed -n '2,17p' "$H_SELF" | sed 's/^# \{0,1\}//'
}

p_port() { cat "$H_DIR/$1"; }

# api NODE METHOD PATH [JSON]: the agent's answer on stdout, HTTP code last.
p_api() {
	local port
	port=$(p_port "$1/api_port")
	curl -s -m 10 -X "$2" -w '\n%{http_code}\n' ${4:+-H 'Content-Type: application/json' -d "$4"} \
		"http://127.0.0.1:$port$3"
}

p_psql() {
	local node=$1
	shift
	PGPASSFILE=$H_DIR/pgpass PGCONNECT_TIMEOUT=5 PGSSLMODE=disable "$PGBIN/psql" -X -q -A -t -w \
		-h 127.0.0.1 -p "$(p_port "$node/port")" -U dbdeck "$@"
}

# leader: the name Patroni's /cluster gives as leader (empty when none).
p_leader() {
	local n out
	for n in "${P_NODES[@]}"; do
		out=$(curl -s -m 3 "http://127.0.0.1:$(p_port "$n/api_port")/cluster" 2>/dev/null) || continue
		python3 -c 'import json,sys
d=json.loads(sys.argv[1])
print(next((m["name"] for m in d.get("members",[]) if m.get("role")=="leader" and m.get("state")=="running"),""))' "$out" 2>/dev/null && return 0
	done
	echo ""
}

p_yml() {
	local n=$1 pw
	pw=$(cat "$H_DIR/password")
	cat <<EOF
scope: ddpt
name: $n
log:
  level: WARNING
  dir: $H_DIR/$n
restapi:
  listen: 127.0.0.1:$(p_port "$n/api_port")
  connect_address: 127.0.0.1:$(p_port "$n/api_port")
etcd3:
  hosts: 127.0.0.1:$(p_port etcd/port)
watchdog:
  mode: off
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 16777216
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        hot_standby: 'on'
        wal_keep_size: 64MB
  initdb:
    - encoding: UTF8
    - locale: C
    - auth-host: scram-sha-256
    - auth-local: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 scram-sha-256
    - host replication all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$(p_port "$n/port")
  connect_address: 127.0.0.1:$(p_port "$n/port")
  data_dir: $H_DIR/$n/data
  bin_dir: $PGBIN
  pgpass: $H_DIR/$n/pgpass.patroni
  basebackup:
    - checkpoint: fast
  authentication:
    superuser: {username: dbdeck, password: '$pw'}
    replication: {username: dbdeck, password: '$pw'}
    rewind: {username: dbdeck, password: '$pw'}
  parameters:
    unix_socket_directories: '$H_DIR/$n'
    fsync: 'off'
    shared_buffers: 32MB
    wal_retrieve_retry_interval: 1s
    log_min_messages: warning
EOF
}

p_spawn_agent() {
	local n=$1
	(
		close_fds
		cd /
		if is_root; then
			exec runuser -u "$H_ACCOUNT" -- setsid patroni "$H_DIR/$n/patroni.yml"
		fi
		exec setsid patroni "$H_DIR/$n/patroni.yml"
	) </dev/null >>"$H_DIR/$n/patroni.out" 2>&1 &
}

# p_agent_pids NODE: the agent's processes (runuser and python).
p_agent_pids() {
	p_pids "$H_DIR/$1/patroni.yml"
}

p_spawn_etcd() {
	local d=$H_DIR/etcd ports
	read -r -a ports <<<"$(pick_ports 2)"
	echo "${ports[0]}" >"$d/port"
	(
		close_fds
		cd /
		setsid etcd --name dd --data-dir "$d/data" \
			--listen-client-urls "http://127.0.0.1:${ports[0]}" \
			--advertise-client-urls "http://127.0.0.1:${ports[0]}" \
			--listen-peer-urls "http://127.0.0.1:${ports[1]}" \
			--initial-advertise-peer-urls "http://127.0.0.1:${ports[1]}" \
			--initial-cluster "dd=http://127.0.0.1:${ports[1]}" \
			--log-level warn </dev/null >>"$d/etcd.log" 2>&1 &
		echo $! >"$d/pid"
	)
}

# p_pids [PATTERN]: processes whose command line names DIR/ (agents,
# postmasters, etcd), optionally only those also matching PATTERN.
p_pids() {
	local pid
	for pid in $(pgrep -f -- "$H_DIR/" || true); do
		[[ $pid == "$$" ]] && continue
		[[ -z ${1-} ]] || grep -qa -- "$1" "/proc/$pid/cmdline" 2>/dev/null || continue
		echo "$pid"
	done
}

p_ready() {
	local leader streaming
	leader=$(p_leader)
	[[ -n $leader ]] || return 1
	streaming=$(p_psql "$leader" -d postgres -c "SELECT count(*) FROM pg_stat_replication
		WHERE state = 'streaming'" 2>/dev/null) || return 1
	[[ $streaming == 2 ]]
}

p_write_env() {
	local n
	{
		echo "export DD_HARNESS_DIR=$H_DIR"
		echo "export DD_HOST=127.0.0.1"
		echo "export DD_USER=dbdeck"
		echo "export DD_PASSWORD_FILE=$H_DIR/password"
		echo "export DD_DATABASE=app"
		for n in "${P_NODES[@]}"; do
			echo "export DD_${n^^}_PORT=$(p_port "$n/port")"
			echo "export DD_${n^^}_API_PORT=$(p_port "$n/api_port")"
		done
		echo "export DD_ETCD_PORT=$(p_port etcd/port)"
		echo "export DD_PATRONI_HARNESS=$H_SELF"
		# what tests/lib/harness.c requires besides: no MariaDB and no TLS here
		echo "export DD_PG_SOCKET_DIR=$H_DIR/pg1"
		echo "export DD_HARNESS=$H_SELF"
		for n in MY1 MY2 MY3; do echo "export DD_${n}_PORT=1"; done
		echo "export DD_TLS_CA=/dev/null"
		echo "export DD_TLS_OTHER_CA=/dev/null"
	} >"$H_DIR/env"
}

p_write_ini() {
	local n urls=()
	for n in "${P_NODES[@]}"; do
		urls+=("http://127.0.0.1:$(p_port "$n/api_port")")
	done
	{
		printf '[console]\nrefresh = 1s\nvault = %s\naudit_log = %s\n' "$H_DIR/vault" "$H_DIR/audit.log"
		printf '\n[cluster pt]\nengine = postgresql\nnodes = pg1, pg2, pg3\n'
		printf 'database = app\ncredential = harness\nadmin_credential = harness\n'
		printf 'manager = patroni\npatroni_url = %s\nswitchover_timeout = 40s\n' "${urls[*]}"
		for n in "${P_NODES[@]}"; do
			printf '\n[node %s]\nhost = 127.0.0.1\nport = %s\n' "$n" "$(p_port "$n/port")"
		done
	} >"$H_DIR/dbdeck.ini"
}

# p_watchdog PID: stop the harness once PID is gone (detached).
p_watchdog() {
	local pid=$1
	(
		close_fds
		cd /
		setsid nohup bash -c 'while [ -d "$1" ] && kill -0 "$2" 2>/dev/null; do sleep 1; done
			[ -d "$1" ] && exec bash "$3" stop "$1"' _ "$H_DIR" "$pid" "$H_SELF" \
			</dev/null >>"$H_DIR/watchdog.log" 2>&1 &
	)
}

cmd_start() {
	local dbdeck=${2-} watch= t0 deadline n ports i pw
	dir_init "${1-}"
	[[ -x $dbdeck ]] || usage_error "start: DBDECK (the dbdeck binary) is required"
	[[ ${3-} != --watch ]] || watch=${4-}
	command -v patroni >/dev/null || die "missing patroni (tools/deps.sh)"
	command -v etcd >/dev/null || die "missing etcd (tools/deps.sh: etcd-server)"
	if [[ -e $H_DIR ]]; then
		[[ -d $H_DIR && -z $(ls -A "$H_DIR") ]] || die "$H_DIR exists and is not an empty directory"
	fi
	t0=$(now_us)
	deadline=$((t0 + H_TIMEOUT * 1000000))
	ensure_account
	mkdir -p "$H_DIR/etcd"
	: >"$H_DIR/$P_MARK"
	chmod 0755 "$H_DIR"
	[[ -z $watch ]] || p_watchdog "$watch"
	pw=$(openssl rand -hex 16)
	(umask 077 && printf '%s' "$pw" >"$H_DIR/password" &&
		printf '127.0.0.1:*:*:dbdeck:%s\n' "$pw" >"$H_DIR/pgpass")
	read -r -a ports <<<"$(pick_ports 6)"
	i=0
	for n in "${P_NODES[@]}"; do
		mkdir -m 0700 "$H_DIR/$n"
		echo "${ports[i]}" >"$H_DIR/$n/port"
		echo "${ports[i + 1]}" >"$H_DIR/$n/api_port"
		i=$((i + 2))
	done
	# Patroni's default port for pg1's agent, when asked (the detection test)
	[[ -z ${DD_PATRONI_PG1_API_PORT-} ]] || echo "$DD_PATRONI_PG1_API_PORT" >"$H_DIR/pg1/api_port"
	p_spawn_etcd
	until curl -s -m 1 "http://127.0.0.1:$(p_port etcd/port)/health" 2>/dev/null | grep -q true; do
		(($(now_us) < deadline)) || { log_tail "$H_DIR/etcd/etcd.log"; die "etcd did not start"; }
		nap 0.1
	done
	for n in "${P_NODES[@]}"; do
		(umask 077 && p_yml "$n" >"$H_DIR/$n/patroni.yml")
		own_by_server "$H_DIR/$n" "$H_DIR/$n/patroni.yml"
	done
	# pg1 first, so that it bootstraps; the others clone it.
	p_spawn_agent pg1
	until [[ $(p_leader) == pg1 ]]; do
		(($(now_us) < deadline)) || { log_tail "$H_DIR/pg1/patroni.out"; die "pg1 did not bootstrap"; }
		nap 0.2
	done
	p_spawn_agent pg2
	p_spawn_agent pg3
	p_psql pg1 -d postgres -c "CREATE DATABASE app" &&
		p_psql pg1 -d postgres -c "DO \$\$ BEGIN EXECUTE format('CREATE ROLE dbdeck_mon LOGIN PASSWORD %L IN ROLE pg_monitor',
			(SELECT rolpassword FROM pg_authid WHERE rolname = 'dbdeck')); END \$\$" ||
		die "pg1: creating database app failed"
	until p_ready; do
		if (($(now_us) > deadline)); then
			for n in "${P_NODES[@]}"; do log_tail "$H_DIR/$n/patroni.out"; done
			die "Patroni cluster not ready after ${H_TIMEOUT}s"
		fi
		nap 0.2
	done
	p_write_env
	p_write_ini
	bash "$H_LIBDIR/mkvault.sh" "$dbdeck" "$H_DIR" >/dev/null
	msg "patroni ready in $((($(now_us) - t0) / 1000))ms (leader pg1)"
}

cmd_stop() {
	local n pid i pids
	dir_init "${1-}"
	[[ -d $H_DIR ]] || return 0
	[[ -f $H_DIR/$P_MARK ]] || die "$H_DIR was not made by patroni.sh start"
	for pid in $(p_pids patroni.yml); do kill -TERM "$pid" 2>/dev/null || true; done
	# the agents stop their postgres; etcd goes last, once they are gone
	for i in $(seq 1 150); do
		pids=$(p_pids | while read -r pid; do grep -qa etcd "/proc/$pid/cmdline" 2>/dev/null || echo "$pid"; done)
		[[ -z $pids ]] && break
		((i < 120)) || kill -KILL $pids 2>/dev/null || true
		nap 0.1
	done
	for pid in $(p_pids); do kill -KILL "$pid" 2>/dev/null || true; done
	nap 0.2
	rm -rf "$H_DIR"
}

cmd_kill_node() {
	local n=$2 pid
	dir_init "$1"
	[[ -d $H_DIR/$n ]] || usage_error "unknown node '$n'"
	for pid in $(p_agent_pids "$n"); do kill -KILL "$pid" 2>/dev/null || true; done
	read -r pid 2>/dev/null <"$H_DIR/$n/data/postmaster.pid" && kill -KILL "$pid" 2>/dev/null || true
}

main() {
	local cmd=${1-}
	shift || true
	case $cmd in
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	leader) dir_init "$1" && p_leader ;;
	kill-node) cmd_kill_node "$@" ;;
	start-node) dir_init "$1" && p_spawn_agent "$2" ;;
	psql) dir_init "$1" && shift && n=$1 && shift && p_psql "$n" "$@" ;;
	api) dir_init "$1" && shift && p_api "$@" ;;
	help | -h | --help) usage ;;
	*) usage >&2; exit 2 ;;
	esac
}

main "$@"
