#!/usr/bin/env bash
# wire_status_test.sh DBDECK PYTHON FAKE_SERVER_PY: `dbdeck status` with a
# config file pointing at the hostile fake server (fake_server.py), which
# asks for the password in clear text, as an md5 hash, or through MariaDB's
# mysql_clear_password / dialog plugins. With the default config (loopback:
# tls = prefer, auth = strict) and with tls = prefer written out, status must
# report the node down with the refusal and the server must never get the
# password; with auth = any (the control) it must get it, and the config
# must warn about it. No harness needed: everything is on 127.0.0.1.
set -u
dbdeck=$1 python=$2 fake=$3
tmp=$(mktemp -d)
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2> /dev/null && wait "$fake_pid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DBDECK_CONFIG DBDECK_PASSPHRASE_FILE DBDECK_VAULT
export HOME=$tmp/home
mkdir -p "$HOME"
n=0 failed=0

check() { # check NAME CONDITION...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=1
		sed 's/^/#   out: /' "$tmp/out"
		sed 's/^/#   err: /' "$tmp/err"
	fi
}

secret=wire-status-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
secret_hex=$(printf '%s' "$secret" | od -An -tx1 | tr -d ' \n')
printf 'a passphrase for the wire test\n' > "$tmp/pass"
chmod 600 "$tmp/pass"
"$dbdeck" --vault "$tmp/vault" --passphrase-file "$tmp/pass" vault init --kdf interactive \
	> /dev/null 2>&1 || { echo "Bail out! cannot make the test vault"; exit 1; }
printf '%s\n' "$secret" | "$dbdeck" --vault "$tmp/vault" --passphrase-file "$tmp/pass" \
	vault set fake --user dd --password-stdin > /dev/null 2>&1 ||
	{ echo "Bail out! cannot store the test credential"; exit 1; }

# fake_start ENGINE ASK: starts the fake server; sets fake_pid and port.
fake_start() {
	local e=my
	[ "$1" = postgresql ] && e=pg
	rm -f "$tmp/record" "$tmp/port"
	"$python" "$fake" --engine "$e" --ask "$2" --record "$tmp/record" --lifetime 30 \
		> "$tmp/port" &
	fake_pid=$!
	for _ in $(seq 100); do
		[ -s "$tmp/port" ] && break
		sleep 0.1
	done
	port=$(head -n1 "$tmp/port")
	[ -n "$port" ] || { echo "Bail out! fake_server.py did not start"; exit 1; }
}

fake_stop() {
	kill "$fake_pid" 2> /dev/null
	wait "$fake_pid" 2> /dev/null
	fake_pid=
}

# The bytes each connection sent, one connection per line, in hex.
sent_per_conn() {
	awk '$3 == "got" { b[$2] = b[$2] $4 } END { for (c in b) print b[c] }' "$tmp/record"
}

got_secret() {
	sent_per_conn | grep -q "$secret_hex"
}

# status_run ENGINE EXTRA-NODE-LINES...: writes the config and runs status.
status_run() {
	local engine=$1
	shift
	{
		printf '[console]\nvault = %s\naudit_log = %s\nlog_file = %s\n' \
			"$tmp/vault" "$tmp/audit.log" "$tmp/dbdeck.log"
		printf '[cluster c]\nengine = %s\nnodes = n1\ndatabase = d\ncredential = fake\n' "$engine"
		printf 'connect_timeout = 3s\n[node n1]\nhost = 127.0.0.1\nport = %s\n' "$port"
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$tmp/cfg.ini"
	"$dbdeck" -c "$tmp/cfg.ini" --passphrase-file "$tmp/pass" status > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

# refused ENGINE ASK WHAT REFUSAL-TEXT [NODE-LINES...]
refused() {
	local engine=$1 ask=$2 what=$3 text=$4
	shift 4
	fake_start "$engine" "$ask"
	status_run "$engine" "$@"
	fake_stop
	check "$what: status exits 1" [ "$rc" -eq 1 ]
	check "$what: the node is down with the refusal" grep -q "$text" "$tmp/out"
	check "$what: the server asked" grep -q "asked\|greeting mysql_clear" "$tmp/record"
	check "$what: the server never got the password" eval '! got_secret'
	check "$what: no config warning" [ ! -s "$tmp/err" ]
}

pg_refusal="auth = strict never sends it"
my_refusal="can reveal the password"
refused postgresql cleartext "pg clear text, default config" "$pg_refusal"
refused postgresql cleartext "pg clear text, tls = prefer" "$pg_refusal" "tls = prefer"
refused postgresql md5 "pg md5, default config" "$pg_refusal"
refused postgresql md5 "pg md5, tls = prefer" "$pg_refusal" "tls = prefer"
refused mariadb clear "my mysql_clear_password, default config" "$my_refusal"
refused mariadb switch-clear "my switch to mysql_clear_password, tls = prefer" "$my_refusal" \
	"tls = prefer"
refused mariadb switch-dialog "my switch to dialog, default config" "$my_refusal"
refused mariadb switch-dialog "my switch to dialog, tls = prefer" "$my_refusal" "tls = prefer"

# The controls: auth = any sends it, and the config says what that risks.
for c in "postgresql cleartext" "mariadb switch-clear" "mariadb switch-dialog"; do
	set -- $c
	fake_start "$1" "$2"
	status_run "$1" "tls = prefer" "auth = any"
	fake_stop
	check "$1 $2, auth = any (control): the server got the password" got_secret
	check "$1 $2, auth = any: a config warning names the risk" \
		grep -q "warning: node 'n1': auth = any lets the server" "$tmp/err"
done

echo "1..$n"
exit $failed
