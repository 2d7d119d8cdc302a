# MariaDB part of the dbdeck test harness: one primary (my1) and two GTID
# replicas (my2, my3).
#
# Sourced by harness.sh. Layout per node: DIR/myN/my.cnf (the only option
# file the server reads: --defaults-file), DIR/myN/data, mariadbd.sock,
# mariadbd.pid, mariadbd.err, and DIR/myN/port. One data directory is made
# with mariadb-install-db and copied twice; the operator account, database
# app and the root clean-up are then made on my1 and reach the replicas
# through the binlog. The harness's own client calls read the operator's
# credentials from DIR/client.cnf (0600), never from argv.

my_conf() {
	local node=$1 port=$2 id=${1#my}
	cat <<EOF
# dbdeck test harness (tests/harness/mariadb.sh): $node
[mariadbd]
# log_basename first: it resets the names of the logs that follow it.
log_basename = $node
datadir = $H_DIR/$node/data
socket = $H_DIR/$node/mariadbd.sock
pid_file = $H_DIR/$node/mariadbd.pid
log_error = $H_DIR/$node/mariadbd.err
port = $port
bind_address = 127.0.0.1
skip_name_resolve
server_id = $id
log_bin = $node-bin
log_slave_updates = ON
gtid_strict_mode = ON
binlog_format = ROW
performance_schema = ON
report_host = 127.0.0.1
report_port = $port
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
innodb_use_native_aio = OFF
sync_binlog = 0
# parallel apply, as a site would run it: a replica keeps up with a
# full-speed writer, so a switchover's catch-up is short (docs/performance.md)
slave_parallel_threads = 4
slave_parallel_mode = optimistic
ssl_cert = $H_DIR/tls/server.pem
ssl_key = $H_DIR/tls/server.key
ssl_ca = $H_DIR/tls/ca.pem
EOF
	[[ $node == my1 ]] || echo "read_only = ON"
}

my_write_conf() {
	local f=$H_DIR/$1/my.cnf
	my_conf "$1" "$(node_port "$1")" >"$f"
	chmod 0644 "$f"
}

# my_root NODE [args]: client as root over the unix socket; only used while
# the harness sets itself up (root then switches to unix_socket auth).
my_root() {
	local node=$1
	shift
	mariadb --no-defaults --protocol=socket -S "$H_DIR/$node/mariadbd.sock" -u root \
		--connect-timeout=5 -N -B "$@"
}

# my_q NODE SQL [args]: one statement as the operator over TCP.
my_q() {
	local node=$1 sql=$2 port
	shift 2
	port=$(node_port "$node") || return 1
	mariadb --defaults-file="$H_DIR/client.cnf" --protocol=TCP -h 127.0.0.1 -P "$port" \
		--connect-timeout=5 -N -B -e "$sql" "$@"
}

# my_pid NODE: mariadbd's pid from its pid file, checked against its
# command line; else found by its --defaults-file argument.
my_pid() {
	local pid cnf=$H_DIR/$1/my.cnf
	if read -r pid 2>/dev/null <"$H_DIR/$1/mariadbd.pid" &&
		pid_alive "$pid" && pid_cmdline_has "$pid" "$cnf"; then
		echo "$pid"
		return 0
	fi
	for pid in $(dir_procs "$H_DIR/$1/"); do
		if pid_alive "$pid" && pid_cmdline_has "$pid" "$cnf"; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# my_spawn NODE: start mariadbd detached from the caller: own session, no
# inherited descriptors, output to DIR/myN/mariadbd.out. Sets H_SPAWNED to
# its pid (setsid does not fork here: a background subshell of a shell
# without job control is no process group leader, so setsid just execs).
my_spawn() {
	local node=$1
	local -a user=()
	is_root && user=(--user="$H_ACCOUNT")
	(
		close_fds
		cd "$H_DIR/$node"
		exec setsid mariadbd --defaults-file="$H_DIR/$node/my.cnf" "${user[@]}" \
			</dev/null >>"$H_DIR/$node/mariadbd.out" 2>&1
	) &
	H_SPAWNED=$!
}

# my_alive NODE: the server answers on its socket. mariadb-admin ping
# counts "access denied" as alive, which it is before the first start has
# made the operator account. The socket appears just before it is ready.
my_alive() {
	[[ -S $H_DIR/$1/mariadbd.sock ]] || return 1
	mariadb-admin --defaults-file="$H_DIR/client.cnf" --protocol=socket \
		-S "$H_DIR/$1/mariadbd.sock" --connect-timeout=2 ping >/dev/null 2>&1
}

# my_start NODE [RETRY]: start and wait until it answers. RETRY as pg_start.
my_start() {
	local node=$1 retry=${2:-0} tries=0 limit pid err=$H_DIR/$1/mariadbd.err
	if my_pid "$node" >/dev/null; then
		msg "$node is already running"
		return 1
	fi
	while :; do
		rm -f "$H_DIR/$node/mariadbd.sock"
		my_spawn "$node"
		pid=$H_SPAWNED
		limit=$((${EPOCHREALTIME/./} + H_TIMEOUT * 1000000))
		while ((${EPOCHREALTIME/./} < limit)); do
			nap 0.1
			my_alive "$node" && { trace "$node: started"; return 0; }
			pid_alive "$pid" && continue
			# Gone before answering, unless setsid forked after all.
			pid=$(my_pid "$node") || break
		done
		if ((retry && ++tries < 5)) && grep -q 'Address already in use\|Do you already have another' "$err"; then
			pick_ports 1 >"$H_DIR/$node/port"
			msg "$node: port taken, retrying on $(node_port "$node")"
			my_write_conf "$node"
			continue
		fi
		msg "$node: MariaDB did not start"
		log_tail "$err"
		my_stop "$node"
		return 1
	done
}

# my_stop NODE: normal shutdown (SIGTERM), kill -9 after 10 s. Resumes a
# paused server first. Succeeds when it is already down.
my_stop() {
	local pid
	pid=$(my_pid "$1") || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_gone 10 "$pid"; then
		msg "$1: no clean shutdown after 10 s, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone 2 "$pid" || true
	fi
}

# my_install: one data directory for my1, copied for my2 and my3.
my_install() {
	local -a user=()
	is_root && user=(--user="$H_ACCOUNT")
	if ! mariadb-install-db --defaults-file="$H_DIR/my1/my.cnf" "${user[@]}" \
		--auth-root-authentication-method=normal --skip-test-db \
		>"$H_DIR/my1/install.log" 2>&1; then
		msg "my1: mariadb-install-db failed"
		log_tail "$H_DIR/my1/install.log"
		return 1
	fi
	trace "my1: install-db done"
	cp -a "$H_DIR/my1/data" "$H_DIR/my2/data"
	cp -a "$H_DIR/my1/data" "$H_DIR/my3/data"
	own_by_server -R "$H_DIR/my1/data" "$H_DIR/my2/data" "$H_DIR/my3/data"
}

# my_init_primary PASSWORD: operator account, database and the monitor-only
# account dbdeck_mon (PROCESS, SLAVE MONITOR, and SHOW VIEW on app so that app
# can be its default database: docs/security.md §12) on my1; prints
# my1's GTID position afterwards. SQL holding the password goes to the
# client on stdin, and the accounts are created from the password's hash so
# that the binlog (and the replicas' relay logs) never hold it in clear.
my_init_primary() {
	local pw=$1 drops hash
	hash=$(printf "SELECT PASSWORD('%s');\n" "$pw" | my_root my1) || return 1
	[[ $hash =~ ^\*[0-9A-F]{40}$ ]] || { msg "my1: unexpected password hash"; return 1; }
	# mariadb-install-db also makes root@127.0.0.1, root@::1 and
	# root@<hostname> without a password: drop them.
	drops=$(my_root my1 -e "SELECT CONCAT('DROP USER ', QUOTE(user), '@', QUOTE(host), ';')
		FROM mysql.global_priv WHERE (user = 'root' AND host <> 'localhost') OR user = ''") ||
		return 1
	printf '%s\n' "$drops" \
		"CREATE USER 'dbdeck'@'127.0.0.1' IDENTIFIED BY PASSWORD '$hash';" \
		"CREATE USER 'dbdeck'@'localhost' IDENTIFIED BY PASSWORD '$hash';" \
		"GRANT ALL PRIVILEGES ON *.* TO 'dbdeck'@'127.0.0.1' WITH GRANT OPTION;" \
		"GRANT ALL PRIVILEGES ON *.* TO 'dbdeck'@'localhost' WITH GRANT OPTION;" \
		"REVOKE READ_ONLY ADMIN ON *.* FROM 'dbdeck'@'127.0.0.1', 'dbdeck'@'localhost';" \
		"CREATE USER 'dbdeck_admin'@'127.0.0.1' IDENTIFIED BY PASSWORD '$hash';" \
		"GRANT ALL PRIVILEGES ON *.* TO 'dbdeck_admin'@'127.0.0.1';" \
		"CREATE DATABASE app;" \
		"CREATE USER 'dbdeck_mon'@'127.0.0.1' IDENTIFIED BY PASSWORD '$hash';" \
		"GRANT PROCESS, SLAVE MONITOR ON *.* TO 'dbdeck_mon'@'127.0.0.1';" \
		"GRANT SHOW VIEW ON app.* TO 'dbdeck_mon'@'127.0.0.1';" \
		"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;" \
		"SELECT @@gtid_binlog_pos;" | my_root my1
}

# my_init_replica NODE PASSWORD GTID: replicate from my1 and wait until
# NODE has applied GTID (so the operator account exists there too).
my_init_replica() {
	local node=$1 pw=$2 gtid=$3 out
	out=$(printf '%s\n' \
		"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(node_port my1)," \
		" MASTER_USER='dbdeck', MASTER_PASSWORD='$pw'," \
		" MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;" \
		"START SLAVE;" \
		"SELECT MASTER_GTID_WAIT('$gtid', $H_TIMEOUT);" | my_root "$node") || {
		msg "$node: CHANGE MASTER / START SLAVE failed"
		return 1
	}
	[[ $out == 0 ]] || {
		msg "$node: did not reach my1's GTID position $gtid"
		my_root "$node" -E -e "SHOW SLAVE STATUS" >&2 || true
		return 1
	}
}

# my_slave_ok NODE: both replication threads running.
my_slave_ok() {
	local st
	st=$(my_q "$1" "SHOW SLAVE STATUS" --column-names -E 2>/dev/null) || return 1
	[[ $st == *"Slave_IO_Running: Yes"* && $st == *"Slave_SQL_Running: Yes"* ]]
}

# my_setup DEADLINE_US PASSWORD: the whole MariaDB side of "start".
my_setup() {
	local deadline=$1 pw=$2 gtid node pids=() p rc=0
	my_install || return 1
	for node in my1 my2 my3; do
		my_start "$node" 1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	((rc == 0)) || return 1
	gtid=$(my_init_primary "$pw") || {
		msg "my1: creating the operator account failed"
		log_tail "$H_DIR/my1/mariadbd.err"
		return 1
	}
	trace "my1: accounts made"
	pids=()
	for node in my2 my3; do
		my_init_replica "$node" "$pw" "$gtid" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	((rc == 0)) || return 1
	while ! { my_slave_ok my2 && my_slave_ok my3; }; do
		if ((${EPOCHREALTIME/./} > deadline)); then
			msg "MariaDB replicas not replicating after ${H_TIMEOUT}s"
			my_q my2 "SHOW SLAVE STATUS" --column-names -E >&2 || true
			my_q my3 "SHOW SLAVE STATUS" --column-names -E >&2 || true
			log_tail "$H_DIR/my2/mariadbd.err"
			log_tail "$H_DIR/my3/mariadbd.err"
			return 1
		fi
		nap 0.1
	done
	trace "my: replicas replicating"
	my_sync_on
}

# my_sync_on: with --sync, semi-synchronous replication once the replicas
# run: a commit is acknowledged only after a replica has the event
# (AFTER_SYNC), with no fallback to asynchronous within a test's time. Set
# live and written to every my.cnf, so that a restart keeps it. The master
# side is on on my1 only: on a replica (log_slave_updates) it would hold
# every commit of its own SQL thread waiting for an acknowledgement from
# replicas it does not have. A promotion moves it (dbdeck's does; so does
# `rejoin`, which turns it off on the rejoined node).
my_sync_on() {
	local n on
	((${H_SYNC:-0})) || return 0
	for n in my1 my2 my3; do
		on=OFF
		[[ $n == my1 ]] && on=ON
		printf '%s\n' "rpl_semi_sync_master_enabled = $on" "rpl_semi_sync_slave_enabled = ON" \
			"rpl_semi_sync_master_wait_point = AFTER_SYNC" \
			"rpl_semi_sync_master_timeout = 600000" >>"$H_DIR/$n/my.cnf"
		my_root "$n" -e "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC;
			SET GLOBAL rpl_semi_sync_master_timeout = 600000;
			SET GLOBAL rpl_semi_sync_slave_enabled = ON;
			SET GLOBAL rpl_semi_sync_master_enabled = $on" || return 1
	done
	for n in my2 my3; do
		my_root "$n" -e "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD" || return 1
	done
	trace "my: semi-synchronous replication on"
}
