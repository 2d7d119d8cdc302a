# fo_lib.sh: shared by the switchover and failover tests (sourced). Each
# test starts a harness of its own in a temporary directory (they change the
# topology), makes its vault, and stops it at exit, also on failure.
#
#   fo_start ENGINE [--sync]   harness up; sets D, E (pg|my), N1 N2 N3, DBDECK,
#                              WRITER, HARNESS, HOOK; the vault; conf base
#   conf NAME [KEY=VALUE]...   writes $D/NAME.ini: the harness config with the
#                              admin_credential (harness-admin), replication
#                              credential and the harness hooks, plus the keys
#   dd CONF ARGS...            dbdeck -c $D/CONF.ini --passphrase-file ...
#   ok RC TEXT [DETAIL]        one TAP line
set -uo pipefail

n=0 failed=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[[ -n ${3-} ]] && printf '%s\n' "$3" | tail -25 | sed 's/^/#   /'
	fi
}
bail() {
	echo "Bail out! $*"
	exit 1
}
fo_done() {
	echo "1..$n"
	((failed == 0))
}

fo_cleanup() {
	[[ -n ${FO_BG-} ]] && kill $FO_BG 2>/dev/null
	[[ -n ${D-} ]] && bash "$HARNESS" stop "$D" >/dev/null 2>&1
}

# fo_start ENGINE [--sync]
fo_start() {
	E=$1
	shift
	SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	HARNESS=$SRC/tests/harness/harness.sh
	HOOK=$SRC/tests/integration/failover/hook.sh
	[[ -x $DBDECK && -x $WRITER ]] || bail "usage: TEST DBDECK WRITER ENGINE"
	D=$(mktemp -d /tmp/dd-fo.XXXXXX)
	rmdir "$D"
	trap fo_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	local out
	out=$(bash "$HARNESS" start "$D" --watch $$ "$@" 2>&1) || bail "harness start: $out"
	"$SRC/tests/harness/mkvault.sh" "$DBDECK" "$D" >/dev/null 2>&1 || bail "mkvault failed"
	export DD_HARNESS_ENV=$D/env
	N1=${E}1 N2=${E}2 N3=${E}3
	PW=$(cat "$D/password")
}

# conf NAME [KEY=VALUE]...: the harness config plus the action keys; a key
# given overrides the default, an empty value leaves it out.
conf() {
	local name=$1 kv k line lines=""
	shift
	local -A v=([credential]=harness [admin_credential]=harness-admin
		[replication_credential]=harness-repl
		[fence_command]="$HOOK $HARNESS $D fence" [rejoin_command]="$HOOK $HARNESS $D rejoin")
	local order=(credential admin_credential replication_credential fence_command rejoin_command)
	for kv in "$@"; do
		k=${kv%%=*}
		[[ -v v[$k] ]] || order+=("$k")
		v[$k]=${kv#*=}
	done
	for k in "${order[@]}"; do
		[[ -n ${v[$k]} ]] && lines+="$k = ${v[$k]}"$'\n'
	done
	while IFS= read -r line; do
		if [[ $line == "credential = harness" ]]; then printf '%s' "$lines"; else printf '%s\n' "$line"; fi
	done <"$D/dbdeck.ini" >"$D/$name.ini"
}

dd() {
	local c=$1
	shift
	"$DBDECK" -c "$D/$c.ini" --passphrase-file "$D/passphrase" "$@"
}

q() { # NODE SQL: one value
	if [[ $E == pg ]]; then
		bash "$HARNESS" psql "$D" "$1" -v ON_ERROR_STOP=1 -A -t -q -c "$2" 2>&1
	else
		bash "$HARNESS" mariadb "$D" "$1" -N -B -e "$2" 2>&1
	fi
}

# is_primary NODE / replicates NODE FROM: "ok" or what is wrong
is_primary() {
	local v
	if [[ $E == pg ]]; then
		v=$(q "$1" "SELECT pg_is_in_recovery()")
		[[ $v == f ]] && echo ok || echo "$1 in recovery: $v"
	else
		v=$(q "$1" "SELECT @@read_only; SHOW SLAVE STATUS" 2>&1)
		[[ $v == 0 ]] && echo ok || echo "$1: read_only / replica status: $v"
	fi
}
replicates() {
	local node=$1 from=$2 port v
	port=$(cat "$D/$from/port")
	if [[ $E == pg ]]; then
		v=$(q "$node" "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver")
		[[ $v == "streaming $port" ]] && echo ok || echo "$node: $v"
	else
		v=$(bash "$HARNESS" mariadb "$D" "$node" -E -e "SHOW SLAVE STATUS" 2>&1)
		[[ $v == *"Slave_IO_Running: Yes"* && $v == *"Slave_SQL_Running: Yes"* &&
			$v == *"Master_Port: $port"* ]] && echo ok ||
			echo "$v" | grep -E 'Running:|Master_Port|Last_.*Error:' | tr -s ' '
	fi
}
# poll SECONDS CMD...: until CMD prints "ok"; prints the last output otherwise
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
