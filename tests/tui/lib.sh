# lib.sh: helpers of the console's tmux tests (sourced; bash). Each test runs
# the real binary in its own tmux server (-L, a unique socket) against the
# harness named by $DD_HARNESS_ENV, reads the screen with capture-pane, and
# prints TAP. The cleanup trap kills the tmux server and every background
# job, and restores the topology (resume paused nodes, start stopped ones,
# resume WAL replay), even when a check fails.
#
#   tui_init NAME DBDECK SRCROOT    sets TUI_* variables, the trap, the harness
#   tui_start [ENV...] -- [ARGS...] starts the console in a 100x30 pane
#   tui_screen [-e]                 the pane's text (or with attributes)
#   tui_wait REGEX [SECONDS]        waits until the screen matches
#   tui_keys KEY...                 tmux send-keys
set -uo pipefail

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}
# check CONDITION-STATUS DESCRIPTION [DIAG...]: ok when the status is 0.
check() {
	local rc=$1 what=$2
	shift 2
	if [ "$rc" = 0 ]; then ok "$what"; else not_ok "$what" "$@"; fi
}
bail() {
	echo "not ok $((n + 1)) - $1"
	echo "Bail out! $1"
	exit 1
}
diag() { printf '# %s\n' "$@"; }
tap_done() {
	echo "1..$n"
	[ "$failed" = 0 ]
}

# Background pids and topology changes to undo at exit.
TUI_BG=()
TUI_PAUSED=()
TUI_STOPPED=()
TUI_REPLAY_PAUSED=()

# Kills the current tmux server and removes its socket file.
tui_kill_server() {
	tmux -L "$TUI_SOCK" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK"
}

tui_cleanup() {
	local p nd
	tui_kill_server
	for p in "${TUI_BG[@]}"; do
		kill "$p" 2>/dev/null
	done
	for nd in "${TUI_PAUSED[@]}"; do
		bash "$DD_HARNESS" resume-node "$DD_HARNESS_DIR" "$nd" >/dev/null 2>&1
	done
	for nd in "${TUI_REPLAY_PAUSED[@]}"; do
		bash "$DD_HARNESS" pg-replay "$DD_HARNESS_DIR" "$nd" resume >/dev/null 2>&1
	done
	for nd in "${TUI_STOPPED[@]}"; do
		bash "$DD_HARNESS" status "$DD_HARNESS_DIR" | grep -q "^$nd .* running" ||
			bash "$DD_HARNESS" start-node "$DD_HARNESS_DIR" "$nd" >/dev/null 2>&1
	done
	# Any statement our tests left running (by its comment tag).
	bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -qAtc \
		"select pg_terminate_backend(pid) from pg_stat_activity where query like '%dbdeck-tui-test%' and pid <> pg_backend_pid()" \
		>/dev/null 2>&1
	local id
	bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 -N -e \
		"select id from information_schema.processlist where info like '%dbdeck-tui-test%' and id <> connection_id()" \
		2>/dev/null | while read -r id; do
		bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 -e "kill $id" >/dev/null 2>&1
	done
	rm -rf "$TUI_TMP"
}

tui_init() {
	TUI_NAME=$1
	TUI_DBDECK=$2
	TUI_SRC=$3
	[[ -x $TUI_DBDECK ]] || bail "no dbdeck binary at $TUI_DBDECK"
	command -v tmux >/dev/null || bail "tmux is not installed"
	[[ -n ${DD_HARNESS_ENV-} ]] || bail "DD_HARNESS_ENV is not set (make test starts a harness; or tests/harness/harness.sh start DIR and tests/harness/mkvault.sh)"
	[[ -r $DD_HARNESS_ENV ]] || bail "DD_HARNESS_ENV=$DD_HARNESS_ENV: no such file"
	# shellcheck disable=SC1090
	. "$DD_HARNESS_ENV"
	[[ -r $DD_HARNESS_DIR/vault && -r $DD_HARNESS_DIR/passphrase ]] ||
		bail "the harness has no vault (tests/harness/mkvault.sh DBDECK DIR)"
	TUI_SOCK_BASE="ddtui-$TUI_NAME-$$"
	TUI_SOCK=$TUI_SOCK_BASE
	TUI_NSTART=0
	TUI_TMP=$(mktemp -d /tmp/ddtui.XXXXXX)
	chmod 755 "$TUI_TMP"
	TUI_CONFIG=$DD_HARNESS_DIR/dbdeck.ini
	trap tui_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# A copy of the harness config with extra lines in [console] and each cluster.
# usage: tui_config NAME 'console lines' 'cluster lines'
tui_config() {
	local out=$TUI_TMP/$1.ini
	awk -v con="$2" -v clu="$3" '
		{ print }
		/^\[console\]/ && con != "" { print con }
		/^\[cluster / && clu != "" { print clu }
	' "$DD_HARNESS_DIR/dbdeck.ini" >"$out"
	echo "$out"
}

# tui_start [VAR=VALUE...] -- [dbdeck args...]: the console in a fresh pane
# (100x30). The pane's shell prints EXIT=<status> when dbdeck ends.
tui_start() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		envs+=("$1")
		shift
	done
	[ "${1-}" = "--" ] && shift
	# A fresh server (socket) for each start: a new-session racing the
	# shutdown of a killed server on the same socket can fail.
	tui_kill_server
	TUI_NSTART=$((TUI_NSTART + 1))
	TUI_SOCK="$TUI_SOCK_BASE-$TUI_NSTART"
	TUI_PIDFILE=$TUI_TMP/pid
	rm -f "$TUI_PIDFILE"
	local args
	args=$(printf '%q ' "$@")
	local cmd="bash -c 'echo \$\$ > $TUI_PIDFILE; exec env LANG=C.UTF-8 ${envs[*]} $TUI_DBDECK -c ${TUI_CONF_OVERRIDE:-$TUI_CONFIG} --passphrase-file $DD_HARNESS_DIR/passphrase $args'; echo EXIT=\$?; sleep 3600"
	tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x "${TUI_COLS:-100}" -y "${TUI_ROWS:-30}" "$cmd"
	tmux -L "$TUI_SOCK" set -g status off >/dev/null
}

tui_pid() { cat "$TUI_PIDFILE" 2>/dev/null; }
tui_screen() { tmux -L "$TUI_SOCK" capture-pane -p "$@"; }
tui_keys() { tmux -L "$TUI_SOCK" send-keys "$@"; }
tui_resize() { tmux -L "$TUI_SOCK" resize-window -x "$1" -y "$2"; }
tui_format() { tmux -L "$TUI_SOCK" display-message -p "$1"; }

# tui_wait REGEX [SECONDS]: 0 once the screen matches (extended regex), 1 at the timeout.
tui_wait() {
	local re=$1 limit=${2:-10}
	local end=$((SECONDS + limit))
	while :; do
		tui_screen | grep -qE -- "$re" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
# tui_wait_not REGEX [SECONDS]: 0 once the screen no longer matches.
tui_wait_not() {
	local re=$1 limit=${2:-10}
	local end=$((SECONDS + limit))
	while :; do
		tui_screen | grep -qE -- "$re" || return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
# The row of the screen that contains a node's name as its own word (overview).
tui_row() { local nd=$1; shift; tui_screen "$@" | grep -E "^. $nd " | head -1; }

# Waits for the overview with its six nodes (the first snapshot).
tui_ready() {
	tui_wait 'my3 +replica' "${1:-20}"
}

# Masks what changes between runs, for the golden files: the clock, the
# sparklines (the LAG HISTORY cell before the breaker state), bars, numbers
# (not the digits of names like pg1), frame rules and runs of spaces.
tui_mask() {
	# The row marker (~ stale, ! warning, X critical) follows the machine's
	# load and the figures; the fault tests check it, the goldens check layout.
	sed -E \
		-e 's/^[~!X] / /' \
		-e 's/[0-9]{2}:[0-9]{2}:[0-9]{2} UTC/HH:MM:SS UTC/g' \
		-e 's/([0-9]s!*|\?) +[▁▂▃▄▅▆▇█ ]*[▁▂▃▄▅▆▇█] +(closed|open|half-open)/\1 SPARK \2/' \
		-e 's/([0-9]s!*|\?) +[_.,:=+#-]+ +(closed|open|half-open)/\1 SPARK \2/' \
		-e 's/[█▒░]+/BAR/g; s/[#=.]{4,}/BAR/g' \
		-e 's/(^|[^A-Za-z0-9])[0-9]+([.][0-9]+)?/\1N/g' \
		-e 's/(^|[^A-Za-z0-9])[0-9]+([.][0-9]+)?/\1N/g' \
		-e 's/─{3,}/──/g; s/-{3,}/--/g' \
		-e 's/ +/ /g; s/ $//'
}

# tui_golden NAME: compares the masked screen with tests/tui/golden/NAME.txt
# (GENERATE=1 writes it instead).
tui_golden() {
	local name=$1 file=$TUI_SRC/tests/tui/golden/$1.txt got
	got=$(tui_screen | tui_mask)
	if [ "${GENERATE:-0}" = 1 ]; then
		printf '%s\n' "$got" >"$file"
		ok "golden $name (regenerated)"
		return
	fi
	if [ ! -r "$file" ]; then
		not_ok "golden $name: no $file (GENERATE=1 makes it)"
		return
	fi
	local d
	d=$(diff -u "$file" <(printf '%s\n' "$got"))
	check $? "golden $name matches" "$d"
}

# Runs a psql file on pg1 in the background (a slow statement); its output in $1.out.
tui_psql_bg() {
	local file=$1
	bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -f "$file" >"$file.out" 2>&1 &
	TUI_BG+=($!)
	echo $!
}

# The same on my1 with the mariadb client.
tui_mariadb_bg() {
	local file=$1
	bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 --comments <"$file" >"$file.out" 2>&1 &
	TUI_BG+=($!)
	echo $!
}

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
