#!/usr/bin/env bash
# demo_test.sh: `make demo` as a new user runs it, in tmux, in a demo
# directory of its own (DBDECK_DEMO_DIR, a temporary directory: it never
# touches a developer's .demo/ nor the harness of `make test`). The console
# shows all six nodes up and both clusters healthy; the demo's own slow
# report shows in the slow-query view (and no pacing statement); a second
# `make demo` starts no second load; no alert is raised in the first two
# minutes; the load outlives the terminal; after q, `make demo-down` leaves no server, load or loop process
# of the demo behind (no process whose command line or environment names
# the demo directory) and removes the directory.
# usage: demo_test.sh BUILD_DIR SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
build=$1 src=$2
[[ -x $build/tui/dbdeck && -x $build/tools/demoload/demoload ]] || bail "no dbdeck or demoload in $build"
command -v tmux >/dev/null || bail "tmux is not installed"
DEMO=$(mktemp -d /tmp/dddemo.XXXXXX)
chmod 755 "$DEMO"
TUI_SOCK=dddemo-$$
# How long the console must run without raising an alert.
QUIET_S=${DEMO_TEST_QUIET_S:-125}

# The probes have a deadline of about a second: on a machine whose load is
# far above its cores, a missed one is a node-down alert. Said with each
# failure, so that such a run can be told from a fault of the demo.
loadavg() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }

# make in the source tree with the demo's settings (and not the jobserver of
# an outer make test).
demo_make() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS DBDECK_DEMO_DIR="$DEMO" BUILD="$build" \
		make -s -C "$src" "$@"
}

cleanup() {
	tui_kill_server
	if [ -d "$DEMO" ]; then
		demo_make demo-down >/dev/null 2>&1
		rmdir "$DEMO" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The processes whose command line, or environment, names the demo
# directory: servers, the load, any loop a script left running. Bash string
# tests only, so that no helper of this scan matches itself.
demo_procs() {
	local f cmd env
	for f in /proc/[0-9]*; do
		[[ ${f#/proc/} == "$$" ]] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$f/cmdline") || continue
		env=$(tr '\0' '\n' 2>/dev/null <"$f/environ")
		if [[ $cmd == *"$DEMO"* || $'\n'$env$'\n' == *$'\n'"DBDECK_DEMO_DIR=$DEMO"$'\n'* ]]; then
			echo "${f#/proc/} $cmd"
		fi
	done 2>/dev/null # processes that end during the scan
}

# ---- make demo opens the console on the demo topology ----
tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x 110 -y 40 \
	"cd $(printf '%q' "$src") && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS LANG=C.UTF-8 DBDECK_DEMO_DIR=$(printf '%q' "$DEMO") BUILD=$(printf '%q' "$build") make demo; echo EXIT=\$?; sleep 3600"
tmux -L "$TUI_SOCK" set -g status off >/dev/null
# The harness takes 5-35 s to start, depending on the machine's load.
tui_wait 'my3 +replica' 180 || bail "make demo did not open the console: $(tui_screen | tail -15)"
t0=$SECONDS
ok "make demo opened the console"

for nd in pg1:primary pg2:replica pg3:replica my1:primary my2:replica my3:replica; do
	name=${nd%%:*} role=${nd##*:}
	tui_wait "^. $name +$role +up " 30
	check $? "$name is shown as $role and up" "row: $(tui_row "$name")"
done
tui_wait '── pg +postgresql · healthy ·' 30 && tui_wait '── my +mariadb · healthy ·' 30
check $? "both clusters are healthy" "$(tui_screen | grep '── ')" "$(loadavg)"

# ---- the load: one, ours, and a second make demo starts none ----
pid=
read -r pid _ 2>/dev/null <"$DEMO/pids/load.pid"
[[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "/demoload .*$DEMO/dbdeck.ini"
check $? "the load runs, recorded in DIR/pids/load.pid" "pid '$pid'"
# Without a terminal the second console refuses to start, after demo.sh has
# decided about the load.
second=$(demo_make demo </dev/null 2>&1)
[[ $second == *"the load is already running (pid $pid)"* ]]
check $? "a second make demo finds the load running" "$second"
loads=$(demo_procs | grep -c '/demoload ')
[[ $loads == 1 ]]
check $? "still exactly one load process" "$(demo_procs | grep '/demoload ')"

# ---- the slow-query view shows the demo's own slow report ----
tui_keys 2
tui_wait 'deliberately_slow_report' 60
check $? "the slow-query view shows the demo's deliberately slow report" "$(tui_screen | head -10)"
! tui_screen | grep -Eqi 'sleep\(greatest'
check $? "no pacing statement among the slow queries" "$(tui_screen | head -10)"
tui_keys 1

# ---- no alert in the first two minutes ----
# Only the end of make demo (the pane then shows EXIT=) ends the wait early; a
# screen caught mid-redraw does not. The check holds only for a console that
# really ran QUIET_S seconds.
while [ $((SECONDS - t0)) -lt "$QUIET_S" ]; do
	tui_screen | grep -q '^EXIT=' && break # the console went away
	sleep 2
done
ran=$((SECONDS - t0))
tui_keys 3
tui_keys / k i n d : a l e r t Enter
tui_wait 'EVENTS \([0-9]+, newest first\)' 5
events=$(tui_screen)
[ "$ran" -ge "$QUIET_S" ] && printf '%s\n' "$events" | grep -q 'EVENTS (0, newest first)'
check $? "no alert raised in the first $QUIET_S s (the console ran $ran s)" "$events" "$(loadavg)"
tui_keys / C-u Enter
sleep 1
diag "events of the first $QUIET_S s:"
tui_screen | sed -n '/^EVENTS/,$p' | grep -v '^ *$' | sed 's/^/#   /'

# ---- q, then make demo-down: nothing of the demo is left ----
tui_keys q
tui_wait 'EXIT=0' 20
check $? "q quits the console and make demo exits 0" "$(tui_screen | tail -5)"
tui_kill_server
# What a closed terminal or a ^C in it sends the processes it started.
[[ -n $pid ]] && kill -HUP "$pid" && kill -INT "$pid" && sleep 2 && kill -0 "$pid" 2>/dev/null
check $? "the load outlives the console and its terminal (SIGHUP, SIGINT)" "$(tail -3 "$DEMO/load.log" 2>&1)"
down=$(demo_make demo-down 2>&1)
check $? "make demo-down exits 0" "$down"
left=$(demo_procs)
[[ -z $left ]]
check $? "no server, load or loop process of the demo is left" "$left"
[[ ! -e $DEMO ]]
check $? "the demo directory is removed" "$(ls -la "$DEMO" 2>&1 | head -5)"
tap_done
