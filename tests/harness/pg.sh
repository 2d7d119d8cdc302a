# PostgreSQL part of the dbdeck test harness: one primary (pg1) and two
# streaming replicas (pg2, pg3) fed through physical replication slots.
#
# Sourced by harness.sh. Layout per node: DIR/pgN/data (the cluster),
# DIR/pgN/postgres.log (server log), DIR/pgN/port, and the unix socket in
# DIR/pgN. The servers run as $H_ACCOUNT when the harness runs as root.
# The operator password reaches the servers only through files: initdb's
# --pwfile=DIR/password and the replicas' passfile=DIR/pgpass.

PGBIN=${DD_HARNESS_PG_BINDIR:-/usr/lib/postgresql/15/bin}

pg_data() { echo "$H_DIR/$1/data"; }

# pg_q NODE DB SQL [psql args]: one statement as the operator over TCP,
# unaligned output, errors fatal.
pg_q() {
	local node=$1 db=$2 sql=$3 port
	shift 3
	port=$(node_port "$node") || return 1
	PGPASSFILE=$H_DIR/pgpass PGCONNECT_TIMEOUT=5 PGSSLMODE=disable "$PGBIN/psql" -X -q -A -t -w \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U dbdeck -d "$db" -c "$sql" "$@"
}

# pg_pid NODE: the postmaster's pid, checked against its command line so a
# stale postmaster.pid whose pid was reused is not believed.
pg_pid() {
	local pid
	read -r pid 2>/dev/null <"$(pg_data "$1")/postmaster.pid" || return 1
	pid_alive "$pid" && pid_cmdline_has "$pid" "$H_DIR/$1/data" || return 1
	echo "$pid"
}

# pg_common_conf: settings shared by all three nodes; written once into
# pg1's postgresql.conf, which pg_basebackup copies to the replicas.
pg_common_conf() {
	cat <<EOF

# --- dbdeck test harness (tests/harness/pg.sh) ---
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'pg_stat_statements'
wal_level = replica
wal_log_hints = on
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
wal_retrieve_retry_interval = 1s
track_io_timing = on
# whole statements up to 1 MB in pg_stat_activity (the console's long-text tests)
track_activity_query_size = 1048576
fsync = off
shared_buffers = 32MB
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
ssl = on
ssl_cert_file = '$H_DIR/tls/server.pem'
ssl_key_file = '$H_DIR/tls/server.key'
include_if_exists = 'harness_node.conf'
include_if_exists = 'harness_sync.conf'
EOF
}

# pg_node_conf NODE [UPSTREAM]: the per-node file (port, socket, and for a
# replica its upstream, pg1 unless UPSTREAM says otherwise: a rejoin).
# postgresql.auto.conf still wins, so ALTER SYSTEM SET primary_conninfo (a
# switchover) overrides what is written here.
pg_node_conf() {
	local node=$1 up=${2:-pg1} port name f
	port=$(node_port "$node")
	f=$(pg_data "$node")/harness_node.conf
	name="$H_DIR/$node"
	((${#name} < 64)) || name=$node
	{
		echo "port = $port"
		echo "unix_socket_directories = '$H_DIR/$node'"
		echo "cluster_name = '$name'"
		if [[ $node != "$up" ]]; then
			echo "primary_conninfo = 'host=127.0.0.1 port=$(node_port "$up") user=dbdeck passfile=$H_DIR/pgpass sslmode=disable application_name=$node'"
			echo "primary_slot_name = '$node'"
		fi
	} >"$f"
	own_by_server "$f"
}

pg_hba() {
	cat <<EOF
# dbdeck test harness
local   all          all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
EOF
}

# pg_start NODE [RETRY]: start and wait until it accepts connections. With
# RETRY (only while the harness starts) a port taken meanwhile by someone
# else is replaced by a fresh one.
pg_start() {
	local node=$1 retry=${2:-0} log tries=0
	log=$H_DIR/$node/postgres.log
	if pg_pid "$node" >/dev/null; then
		msg "$node is already running"
		return 1
	fi
	pg_wait_orphans "$node"
	pg_drop_stale_locks "$node"
	while :; do
		# The postmaster inherits pg_ctl's descriptors: none of the caller's.
		if (close_fds && as_server "$PGBIN/pg_ctl" -D "$(pg_data "$node")" -l "$log" \
			-w -t "$H_TIMEOUT" start </dev/null >>"$H_DIR/$node/pg_ctl.log" 2>&1); then
			return 0
		fi
		if ((retry && ++tries < 5)) && grep -q 'could not bind\|could not create any TCP' "$log"; then
			pick_ports 1 >"$H_DIR/$node/port"
			msg "$node: port taken, retrying on $(node_port "$node")"
			pg_node_conf "$node"
			continue
		fi
		msg "$node: PostgreSQL did not start"
		log_tail "$log"
		return 1
	done
}

# pg_wait_orphans NODE: after a kill -9 of the postmaster its children exit
# by themselves shortly; a new postmaster refuses to start while they hold
# the old shared memory, so wait for them (and kill them after 5 s).
pg_wait_orphans() {
	local -a left
	mapfile -t left < <(dir_procs "$H_DIR/$1/")
	((${#left[@]})) || return 0
	wait_gone 5 "${left[@]}" && return 0
	kill -CONT "${left[@]}" 2>/dev/null || true
	kill -KILL "${left[@]}" 2>/dev/null || true
	wait_gone 2 "${left[@]}" || true
}

# pg_drop_stale_locks NODE: after a kill -9 the postmaster may linger as
# a zombie until init reaps it (slow on some VMs), and postgres believes any
# pid that kill(pid, 0) finds is a live postmaster, in postmaster.pid and in
# the socket lock file. pg_pid already failed, so the recorded pid is dead
# or someone else's: remove both files.
pg_drop_stale_locks() {
	rm -f "$(pg_data "$1")/postmaster.pid" "$H_DIR/$1"/.s.PGSQL.*.lock
}

# pg_node_pids NODE: postmaster first, then its children.
pg_node_pids() {
	local pid
	pid=$(pg_pid "$1") || return 0
	echo "$pid"
	children_of "$pid"
}

# pg_stop NODE: fast shutdown (SIGINT), kill -9 after 10 s. Resumes a paused
# node first. Succeeds when the node is already down.
pg_stop() {
	local node=$1 pid
	local -a all
	mapfile -t all < <(pg_node_pids "$node")
	if ((${#all[@]})); then
		pid=${all[0]}
		kill -CONT "${all[@]}" 2>/dev/null || true
		kill -INT "$pid" 2>/dev/null || true
		if ! wait_gone 10 "$pid"; then
			msg "$node: no clean shutdown after 10 s, killing it"
			kill_tree KILL "$pid"
		fi
	fi
	pg_wait_orphans "$node"
}

# pg_admin_role: dbdeck_admin, a superuser with the operator's password
# (its SCRAM verifier copied: SCRAM does not bind the user name), for
# dbdeck's actions (admin_credential, entry harness-admin of mkvault.sh).
pg_admin_role() {
	pg_q pg1 postgres "CREATE ROLE dbdeck_admin LOGIN SUPERUSER" >/dev/null &&
		pg_q pg1 postgres "DO \$\$ BEGIN EXECUTE format('ALTER ROLE dbdeck_admin PASSWORD %L',
			(SELECT rolpassword FROM pg_authid WHERE rolname = 'dbdeck')); END \$\$" >/dev/null
}

# The monitor-only account (docs/security.md §12): pg_monitor and nothing
# else, with the operator's password (its SCRAM verifier is copied, so the
# password itself is never in a statement).
PG_MONITOR_ROLE="DO \$\$ BEGIN EXECUTE format('CREATE ROLE dbdeck_mon LOGIN PASSWORD %L IN ROLE pg_monitor',
	(SELECT rolpassword FROM pg_authid WHERE rolname = 'dbdeck')); END \$\$"

# pg_init_primary: initdb, configure and start pg1, create database app and
# the monitor-only role dbdeck_mon.
pg_init_primary() {
	local data
	data=$(pg_data pg1)
	if ! as_server "$PGBIN/initdb" -D "$data" -U dbdeck --pwfile="$H_DIR/password" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C -N \
		>"$H_DIR/pg1/initdb.log" 2>&1; then
		msg "pg1: initdb failed"
		log_tail "$H_DIR/pg1/initdb.log"
		return 1
	fi
	trace "pg1: initdb done"
	pg_common_conf >>"$data/postgresql.conf"
	pg_hba >"$data/pg_hba.conf"
	pg_node_conf pg1
	pg_start pg1 1 || return 1
	trace "pg1: started"
	# The replicas' slots exist before either base backup starts: a slot
	# made by pg_basebackup -C reserves WAL only after the backup's
	# checkpoint, and the other backup's checkpoint may recycle it first.
	pg_q pg1 postgres "CREATE DATABASE app" &&
		pg_q pg1 app "CREATE EXTENSION pg_stat_statements" &&
		pg_q pg1 postgres "$PG_MONITOR_ROLE" &&
		pg_admin_role &&
		pg_q pg1 postgres "SELECT pg_create_physical_replication_slot('pg2', true),
			pg_create_physical_replication_slot('pg3', true)" >/dev/null || {
		msg "pg1: creating database app or the replication slots failed"
		return 1
	}
}

# pg_make_replica NODE: base backup of pg1 through the physical slot named
# like the node, then point it at pg1 and start it.
pg_make_replica() {
	local node=$1 data auto
	data=$(pg_data "$node")
	if ! as_server env PGPASSFILE="$H_DIR/pgpass" PGSSLMODE=disable "$PGBIN/pg_basebackup" -h 127.0.0.1 \
		-p "$(node_port pg1)" -U dbdeck -w -D "$data" -R -S "$node" -c fast --no-manifest -X stream -N \
		>"$H_DIR/$node/basebackup.log" 2>&1; then
		msg "$node: pg_basebackup failed"
		log_tail "$H_DIR/$node/basebackup.log"
		return 1
	fi
	trace "$node: base backup done"
	# -R writes a primary_conninfo built from the connection, which carries
	# the password read from the passfile; keep only our own line instead.
	auto=$data/postgresql.auto.conf
	as_server sed -i '/^primary_conninfo\|^primary_slot_name/d' "$auto"
	pg_node_conf "$node"
	pg_start "$node" 1 && trace "$node: started"
}

# pg_streaming_count: replicas pg2/pg3 that pg1 sees streaming.
pg_streaming_count() {
	pg_q pg1 postgres "SELECT count(*) FROM pg_stat_replication
		WHERE state = 'streaming' AND application_name IN ('pg2', 'pg3')" 2>/dev/null
}

# pg_sync_on: with --sync, once both replicas stream, a commit waits until
# one standby has flushed it. Every node gets the file (the names of all
# three, so it holds whichever node is primary); not before the replicas
# stream, or the set-up's own statements would wait for them.
pg_sync_on() {
	local n f
	((${H_SYNC:-0})) || return 0
	for n in pg1 pg2 pg3; do
		f=$(pg_data "$n")/harness_sync.conf
		echo "synchronous_standby_names = 'ANY 1 (pg1, pg2, pg3)'" >"$f"
		own_by_server "$f"
		pg_q "$n" postgres "SELECT pg_reload_conf()" >/dev/null || return 1
	done
	trace "pg: synchronous replication on"
}

# pg_setup DEADLINE_US: the whole PostgreSQL side of "start".
pg_setup() {
	local deadline=$1 n pids=() rc=0 p
	pg_init_primary || return 1
	pg_make_replica pg2 &
	pids+=($!)
	pg_make_replica pg3 &
	pids+=($!)
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	((rc == 0)) || return 1
	while :; do
		n=$(pg_streaming_count) || n=0
		if [[ $n == 2 ]]; then
			trace "pg: replicas streaming"
			pg_sync_on
			return
		fi
		if ((${EPOCHREALTIME/./} > deadline)); then
			msg "PostgreSQL replicas not streaming after ${H_TIMEOUT}s ($n of 2)"
			pg_q pg1 postgres "SELECT application_name, state FROM pg_stat_replication" >&2 || true
			log_tail "$H_DIR/pg1/postgres.log"
			log_tail "$H_DIR/pg2/postgres.log"
			log_tail "$H_DIR/pg3/postgres.log"
			return 1
		fi
		nap 0.1
	done
}
