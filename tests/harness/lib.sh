# Shared helpers of the dbdeck test harness: messages, the server account, DIR
# layout, ports, and process bookkeeping through /proc.
#
# Sourced by harness.sh (never run on its own). Everything here works on
# H_DIR, the absolute path of the harness directory, once dir_init has set it.
# Process lookups read /proc with bash builtins so that the hot paths (status,
# stop, the watchdog's poll) fork as little as possible.

H_ACCOUNT=${DD_HARNESS_ACCOUNT:-dbdeck-harness}
H_TIMEOUT=${DD_HARNESS_TIMEOUT:-60}
H_NODES=(pg1 pg2 pg3 my1 my2 my3)

msg() { printf 'harness: %s\n' "$*" >&2; }
die() { msg "$*"; exit 1; }

# trace STEP: with DD_HARNESS_VERBOSE=1, print STEP and the time since
# H_T0 (set by "start") on stderr.
trace() {
	[[ ${DD_HARNESS_VERBOSE:-0} == 1 ]] || return 0
	local el=$((${EPOCHREALTIME/./} - ${H_T0:-${EPOCHREALTIME/./}}))
	msg "+$((el / 1000000)).$(printf '%03d' $((el % 1000000 / 1000)))s $*"
}

# usage_error MESSAGE: a caller mistake; exit status 2 as documented.
usage_error() {
	msg "$*"
	msg "run '$H_SELF help' for the list of commands"
	exit 2
}

is_root() { [[ $EUID -eq 0 ]]; }

# as_server CMD...: run CMD as the account that owns the servers' files.
# PostgreSQL refuses to run as root, so root delegates to $H_ACCOUNT.
as_server() {
	if is_root; then
		runuser -u "$H_ACCOUNT" -- "$@"
	else
		"$@"
	fi
}

# ensure_account: create the unprivileged system account when root. Two
# harnesses starting at once may race on useradd; the loser checks again.
ensure_account() {
	is_root || return 0
	id -u "$H_ACCOUNT" >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --shell /usr/sbin/nologin "$H_ACCOUNT" 2>/dev/null ||
		id -u "$H_ACCOUNT" >/dev/null 2>&1 ||
		die "cannot create the system account $H_ACCOUNT"
}

# own_by_server PATH...: hand files to the server account (root only).
own_by_server() {
	is_root || return 0
	chown "$H_ACCOUNT:" "$@"
}

# now_us: wall clock in microseconds (LC_ALL=C keeps the "." in
# EPOCHREALTIME). Polling loops use $((${EPOCHREALTIME/./})) inline
# instead, to save the subshell.
now_us() {
	echo $((${EPOCHREALTIME/./}))
}

# nap SECONDS: sleep without forking: wait for input that never comes on a
# pipe nobody writes to. Polling loops run many of these during "start".
nap() {
	[[ -n ${H_NAP_FD-} ]] || exec {H_NAP_FD}<> <(:)
	read -r -t "$1" -u "$H_NAP_FD" || true
}

# dir_init DIR: validate and remember the harness directory. The path ends
# up in config files, conninfo strings and socket paths, so it is kept to a
# safe alphabet and a length that fits a unix socket path.
dir_init() {
	[[ -n ${1-} ]] || usage_error "missing DIR"
	H_DIR=$(realpath -m -- "$1")
	[[ $H_DIR =~ ^[A-Za-z0-9._/+-]+$ ]] ||
		usage_error "DIR may only contain letters, digits and . _ / + - ($H_DIR)"
	((${#H_DIR} <= 80)) || usage_error "DIR path too long for unix sockets (max 80): $H_DIR"
	[[ $H_DIR != / ]] || usage_error "DIR must not be /"
}

node_kind() {
	case $1 in
	pg1 | pg2 | pg3) echo pg ;;
	my1 | my2 | my3) echo my ;;
	*) return 1 ;;
	esac
}

# check_node NODE: usage error unless NODE is one of the six names.
check_node() {
	node_kind "${1-}" >/dev/null || usage_error "unknown node '${1-}' (pg1 pg2 pg3 my1 my2 my3)"
}

require_dir() {
	[[ -f $H_DIR/env ]] || die "no harness in $H_DIR (missing $H_DIR/env)"
}

node_port() {
	local p
	read -r p <"$H_DIR/$1/port" || return 1
	echo "$p"
}

# pick_ports N: N distinct free TCP ports on 127.0.0.1, drawn below the
# kernel's ephemeral range so outgoing connections do not take them later.
pick_ports() {
	local py=python3
	[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
	"$py" - "$1" <<'EOF'
import random, socket, sys
want, found, held = int(sys.argv[1]), [], []
while len(found) < want:
    port = random.randint(20000, 32000)
    if port in found:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)
    found.append(port)
print(" ".join(map(str, found)))
EOF
}

# --- /proc helpers ---------------------------------------------------------

# proc_stat PID: fields 3.. of /proc/PID/stat into PSTAT (PSTAT[0] is the
# state, field N is PSTAT[N-3]); no subshell.
proc_stat() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	read -r -a PSTAT <<<"${line##*) }"
}

# proc_field PID N: field N (1-based, as in proc(5)) of /proc/PID/stat, N >= 3.
proc_field() {
	proc_stat "$1" || return 1
	echo "${PSTAT[$2 - 3]}"
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	[[ $1 =~ ^[0-9]+$ ]] && proc_stat "$1" && [[ ${PSTAT[0]} != [ZX] ]]
}

pid_paused() {
	proc_stat "$1" && [[ ${PSTAT[0]} == T ]]
}

# pid_cmdline_has PID TEXT: TEXT appears in one argument of the process.
pid_cmdline_has() {
	local -a args
	local a
	mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
	for a in "${args[@]}"; do
		[[ $a == *"$2"* ]] && return 0
	done
	return 1
}

# children_of PID: direct children, from /proc/PID/task/*/children.
children_of() {
	local f c
	for f in /proc/"$1"/task/*/children; do
		[[ -r $f ]] || continue
		read -r -a c <"$f" || true
		((${#c[@]})) && printf '%s\n' "${c[@]}"
	done
	return 0
}

# tree_of PID: PID and all its descendants, parents first.
tree_of() {
	local p
	echo "$1"
	for p in $(children_of "$1"); do
		tree_of "$p"
	done
}

# is_self_or_ancestor PID: never signal ourselves or whoever runs us (the
# watchdog runs "stop", and "stop" must not kill it before it is done).
is_self_or_ancestor() {
	local p=$BASHPID
	while [[ -n $p && $p != 0 ]]; do
		[[ $p == "$1" ]] && return 0
		proc_stat "$p" || return 1
		p=${PSTAT[1]}
	done
	return 1
}

# kill_tree SIGNAL PID: signal a process and its descendants.
kill_tree() {
	local p
	for p in $(tree_of "$2"); do
		is_self_or_ancestor "$p" && continue
		kill "-$1" "$p" 2>/dev/null || true
	done
}

# wait_gone TIMEOUT_S PID...: wait until all PIDs are gone; 1 on timeout.
wait_gone() {
	local limit=$((${EPOCHREALTIME/./} + $1 * 1000000)) p left
	shift
	while :; do
		left=0
		for p in "$@"; do
			pid_alive "$p" && left=1
		done
		((left)) || return 0
		((${EPOCHREALTIME/./} < limit)) || return 1
		nap 0.05
	done
}

# dir_procs [PREFIX]: pids of server processes (postgres, mariadbd and the
# tools that start them) that belong under PREFIX (default: all of H_DIR):
# one of their arguments lies under it, or their working directory is one
# of the data directories under it (postgres children rewrite their command
# line but stay in the data directory). Catches the orphaned children of a
# killed postmaster and servers whose pid file is gone or stale. Builtins
# only (-ef compares inodes): this runs while a dozen servers start.
dir_procs() {
	local prefix=${1:-$H_DIR/} d p comm data
	local -a datas=()
	for d in "$H_DIR"/{pg,my}[123]/data; do
		[[ $d/ == "$prefix"* && -d $d ]] && datas+=("$d")
	done
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		read -r comm 2>/dev/null <"$d/comm" || continue
		case $comm in
		postgres | mariadbd | pg_basebackup | initdb | mariadb-install | pg_ctl) ;;
		*) continue ;;
		esac
		if pid_cmdline_has "$p" "$prefix"; then
			echo "$p"
			continue
		fi
		for data in "${datas[@]}"; do
			if [[ $d/cwd -ef $data ]]; then
				echo "$p"
				break
			fi
		done
	done
}

# close_fds: close inherited descriptors above 2 so that detached servers
# never hold a caller's pipe open (meson, make jobserver, $(...)).
close_fds() {
	local f n
	for f in /proc/"$BASHPID"/fd/*; do
		n=${f##*/}
		# 255 is bash's own script descriptor, already close-on-exec.
		((n > 2 && n != 255)) && eval "exec $n>&-"
	done
	return 0
}

# log_tail FILE [N]: the end of a server log, indented, for error messages.
log_tail() {
	[[ -f $1 ]] || return 0
	msg "--- last lines of $1 ---"
	tail -n "${2:-15}" "$1" | sed 's/^/    /' >&2
}
