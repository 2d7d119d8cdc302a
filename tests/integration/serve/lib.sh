# lib.sh: what the serve tests share (sourced): TAP helpers, the harness
# environment, a free loopback port, starting `dbdeck serve` in the
# background with its log in $tmp, waiting for /readyz, and stopping it at
# exit (SIGTERM; its exit code kept in $serve_rc). Callers set dbdeck, src.
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
bail() { echo "Bail out! $*"; exit 1; }
finish() { echo "1..$n"; [ "$failed" = 0 ]; }

[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || bail "DD_HARNESS_ENV is not set (start the harness)"
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
dir=$DD_HARNESS_DIR
[ -s "$dir/vault" ] || "$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null || bail "cannot make the harness vault"
tmp=$(mktemp -d /tmp/dbdeck-serve-test.XXXXXX)
serve_pid= serve_rc=
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

# serve_start CONFIG [ARGS...]: runs serve on $port, log in $tmp/serve.log.
serve_start() {
	local cfg=$1
	shift
	"$dbdeck" -c "$cfg" --passphrase-file "$dir/passphrase" serve --listen "127.0.0.1:$port" "$@" \
		>>"$tmp/serve.out" 2>>"$tmp/serve.log" &
	serve_pid=$!
}

# serve_stop: SIGTERM, wait (at most 10 s), exit code in serve_rc.
serve_stop() {
	[ -n "$serve_pid" ] || return 0
	kill -TERM "$serve_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$serve_pid" 2>/dev/null && kill -KILL "$serve_pid"
	wait "$serve_pid"
	serve_rc=$?
	serve_pid=
}

# wait_live: until /livez answers 200 (at most 15 s: the vault is opened first).
wait_live() {
	local i
	for i in $(seq 150); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/livez")" = 200 ] && return 0
		kill -0 "$serve_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_ready [SECONDS]: until /readyz answers 200 (default 15 s); non-zero on timeout.
wait_ready() {
	local limit=$((${1:-15} * 10)) i
	for i in $(seq "$limit"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# code PATH [CURL ARGS...]: the HTTP status of GET PATH.
code() { local p=$1; shift; curl -s -o /dev/null -w '%{http_code}' "$@" "$url$p"; }
