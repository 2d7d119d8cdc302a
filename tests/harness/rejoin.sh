# Topology changes of the dbdeck test harness: what a site's fence and
# rejoin hooks do on a real host (DESIGN.md §8), done here on the harness's
# own nodes, so that dbdeck's switchover and failover tests call them
# through fence_command / rejoin_command exactly as a site calls its own
# scripts.
#
# Sourced by harness.sh.
#   fence NODE                    hard fence: stop the server (a no-op when
#                                 it is already down, e.g. after kill -9)
#   rejoin NODE --primary NODE2   make NODE a streaming replica of NODE2
#
# PostgreSQL rejoin: clean stop, CHECKPOINT on the new primary (right after
# pg_promote() its control file may still name the old timeline, and
# pg_rewind would then see nothing to rewind), a replication slot for NODE
# on the new primary, pg_rewind (which also runs crash recovery after a
# kill -9), then the node's own settings put back (pg_rewind copies the
# source's configuration files), standby.signal, start, and a wait until
# the new primary sees NODE streaming.
#
# MariaDB rejoin: after a failover the old primary may hold transactions
# that never reached the new one (errant GTIDs), which gtid_strict_mode
# refuses to follow. So the node is recloned: binlog reset, the new
# primary's databases loaded with binlogging off (mariadb-dump --gtid sets
# gtid_slave_pos), read_only kept in my.cnf, then CHANGE MASTER with
# MASTER_USE_GTID=slave_pos and a wait until both threads run.

# rj_wait_streaming PRIMARY NODE: until PRIMARY sees NODE streaming.
rj_wait_streaming() {
	local primary=$1 node=$2 limit v
	limit=$(($(now_us) + H_TIMEOUT * 1000000))
	while (($(now_us) < limit)); do
		v=$(pg_q "$primary" postgres "SELECT count(*) FROM pg_stat_replication
			WHERE application_name = '$node' AND state = 'streaming'" 2>/dev/null) || v=0
		[[ $v == 1 ]] && return 0
		nap 0.2
	done
	msg "$node: not streaming from $primary after ${H_TIMEOUT}s"
	log_tail "$H_DIR/$node/postgres.log"
	return 1
}

# rj_pg_settings NODE PRIMARY: after pg_rewind, the node's own settings: its
# port and upstream (harness_node.conf), no primary_conninfo or soft fence
# inherited from the source's postgresql.auto.conf, and standby.signal.
rj_pg_settings() {
	local node=$1 primary=$2 data
	data=$(pg_data "$node")
	pg_node_conf "$node" "$primary"
	if [[ -f $data/postgresql.auto.conf ]]; then
		as_server sed -i '/^primary_conninfo\|^primary_slot_name\|^default_transaction_read_only/d' \
			"$data/postgresql.auto.conf"
	fi
	as_server touch "$data/standby.signal"
}

rj_pg() {
	local node=$1 primary=$2 data pport log
	data=$(pg_data "$node")
	log=$H_DIR/$node/rewind.log
	pg_stop "$node"
	pport=$(node_port "$primary")
	# Three tries, a second apart: right after a promotion the new primary's
	# checkpoint (its new timeline in pg_control) may not be there yet.
	local try
	for try in 1 2 3; do
		if pg_q "$primary" postgres "CHECKPOINT" >/dev/null &&
			pg_q "$primary" postgres "SELECT pg_create_physical_replication_slot('$node', true)
			WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$node')" >/dev/null &&
			as_server env PGPASSFILE="$H_DIR/pgpass" PGSSLMODE=disable "$PGBIN/pg_rewind" -D "$data" \
				--source-server="host=127.0.0.1 port=$pport user=dbdeck dbname=postgres" \
				>"$log" 2>&1; then
			break
		fi
		msg "$node: rewind from $primary, try $try failed"
		log_tail "$log"
		[ "$try" = 3 ] && return 1
		sleep 1
	done
	trace "$node: $(tail -1 "$log")"
	rj_pg_settings "$node" "$primary"
	pg_start "$node" || return 1
	rj_wait_streaming "$primary" "$node"
}

# rj_my_conf_read_only NODE: read_only = ON in my.cnf, so that a restart of
# the rejoined node does not make it writable.
rj_my_conf_read_only() {
	local f=$H_DIR/$1/my.cnf
	grep -q '^read_only' "$f" || echo "read_only = ON" >>"$f"
	# a replica with the semi-sync master side on would hold its own SQL
	# thread's commits (see my_sync_on)
	sed -i 's/^rpl_semi_sync_master_enabled = ON$/rpl_semi_sync_master_enabled = OFF/' "$f"
}

rj_my_wait_replicating() {
	local node=$1 limit
	limit=$(($(now_us) + H_TIMEOUT * 1000000))
	while (($(now_us) < limit)); do
		my_slave_ok "$node" && return 0
		nap 0.2
	done
	msg "$node: replication threads not running after ${H_TIMEOUT}s"
	my_q "$node" "SHOW SLAVE STATUS" --column-names -E >&2 || true
	return 1
}

rj_my() {
	local node=$1 primary=$2 pw dump=$H_DIR/$1/reclone.sql
	rj_my_conf_read_only "$node"
	if ! my_pid "$node" >/dev/null; then
		my_start "$node" || return 1
	fi
	my_root "$node" -e "SET GLOBAL read_only = 1; SET GLOBAL rpl_semi_sync_master_enabled = OFF;
		STOP SLAVE; RESET SLAVE ALL; RESET MASTER" ||
		{ msg "$node: could not reset replication"; return 1; }
	# Database app only: the accounts are the same on every node already.
	(
		umask 077
		mariadb-dump --defaults-file="$H_DIR/client.cnf" --protocol=TCP -h 127.0.0.1 \
			-P "$(node_port "$primary")" --single-transaction --gtid --master-data=1 \
			--databases app --routines --events --triggers >"$dump"
	) || { msg "$primary: mariadb-dump failed"; return 1; }
	{ echo "SET SESSION sql_log_bin = 0;"; cat "$dump"; } | my_root "$node" ||
		{ msg "$node: loading the dump of $primary failed"; return 1; }
	rm -f "$dump"
	pw=$(cat "$H_DIR/password")
	printf '%s\n' "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(node_port "$primary")," \
		" MASTER_USER='dbdeck', MASTER_PASSWORD='$pw'," \
		" MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;" \
		"START SLAVE;" | my_root "$node" || { msg "$node: CHANGE MASTER failed"; return 1; }
	rj_my_wait_replicating "$node"
}

cmd_fence() {
	node_args "$@"
	(($# == 2)) || usage_error "usage: fence DIR NODE"
	node_stop "$2"
}

cmd_rejoin() {
	local node primary
	node_args "$@"
	node=$2
	[[ ${3-} == --primary && $# == 4 ]] || usage_error "usage: rejoin DIR NODE --primary NODE"
	primary=$4
	check_node "$primary"
	[[ $(node_kind "$node") == $(node_kind "$primary") ]] || usage_error "rejoin: $node and $primary are not of one engine"
	[[ $node != "$primary" ]] || usage_error "rejoin: a node cannot follow itself"
	node_pid "$primary" >/dev/null || die "rejoin: $primary is not running"
	case $(node_kind "$node") in
	pg) rj_pg "$node" "$primary" ;;
	my) rj_my "$node" "$primary" ;;
	esac
}
