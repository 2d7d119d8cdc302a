#!/usr/bin/env bash
# signals_test.sh: the console and its signals (tmux + harness). Every thread
# but the loop's has SIGTERM, SIGHUP, SIGINT, SIGQUIT and SIGWINCH blocked
# (read from /proc/PID/task/*/status), SIGPIPE is ignored, and bursts of
# signals close together (SIGWINCH storms with a resize, SIGWINCH and
# SIGTERM from several senders at once) are all acted on: the screen follows
# the new size, and every burst that holds a SIGTERM ends the console cleanly
# with the terminal given back.
# usage: signals_test.sh DBDECK SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
tui_init signals "$1" "$2"

# The five signals as a SigBlk/SigIgn mask: bit N-1 for signal N.
five=$(( (1 << (1 - 1)) | (1 << (2 - 1)) | (1 << (3 - 1)) | (1 << (15 - 1)) | (1 << (28 - 1)) ))
mask_of() { printf '%d' "0x$(awk -v k="$2:" '$1 == k { print $2 }' "$1")"; }

tui_start --
tui_ready 30 || bail "the console did not show the nodes: $(tui_screen)"
pid=$(tui_pid)
main_ok=0 others=0 others_ok=0
for t in /proc/"$pid"/task/*; do
	tid=${t##*/}
	blk=$(mask_of "$t/status" SigBlk) || continue
	if [ "$tid" = "$pid" ]; then
		[ $((blk & five)) = 0 ] && main_ok=1
	else
		others=$((others + 1))
		[ $((blk & five)) = "$five" ] && others_ok=$((others_ok + 1))
	fi
done
[ $main_ok = 1 ]; check $? "the loop's thread takes the five signals (none blocked)"
[ "$others" -ge 3 ] && [ "$others_ok" = "$others" ]
check $? "every other thread blocks all five ($others_ok of $others threads)"
ign=$(mask_of "/proc/$pid/status" SigIgn)
[ $((ign & (1 << 12))) != 0 ]; check $? "SIGPIPE is ignored"

# A SIGWINCH storm around a resize: the console follows the new size.
tui_resize 90 26
for _ in $(seq 40); do kill -WINCH "$pid"; done
# Drawn for 90x26: the clock ends the top line, the key hints are on row 26.
redrawn() { tui_screen | head -1 | grep -q 'UTC *$' && tui_screen | tail -1 | grep -q 'q quit'; }
for _ in $(seq 50); do redrawn && break; sleep 0.1; done
redrawn; check $? "40 SIGWINCH around a resize: the screen is drawn at the new size" "$(tui_screen | sed -n '1p;$p')"
[ -d "/proc/$pid" ]; check $? "and the console still runs"

# SIGWINCH and SIGTERM close together, from several senders at once.
for round in 1 2 3; do
	[ $round = 1 ] || { tui_start -- && tui_ready 30; } || bail "round $round: no console"
	pid=$(tui_pid)
	for s in 1 2 3; do
		(for _ in $(seq 30); do kill -WINCH "$pid" 2>/dev/null; done) &
	done
	kill -TERM "$pid"
	(for _ in $(seq 30); do kill -WINCH "$pid" 2>/dev/null; done) &
	wait
	tui_wait '^EXIT=0' 10
	check $? "round $round: SIGTERM amid 120 SIGWINCH ends the console, exit 0 ($(tui_screen | grep EXIT=))"
	st=$(tui_format '#{alternate_on} #{cursor_flag}')
	[ "$st" = "0 1" ]; check $? "round $round: the terminal is given back ($st)"
done

# SIGINT and SIGHUP right after each other: one quit, no crash.
tui_start --
tui_ready 30 || bail "no console"
pid=$(tui_pid)
kill -INT "$pid"; kill -HUP "$pid"; kill -QUIT "$pid"
tui_wait '^EXIT=0' 10; check $? "SIGINT, SIGHUP and SIGQUIT back to back: exit 0 ($(tui_screen | grep EXIT=))"

tap_done
