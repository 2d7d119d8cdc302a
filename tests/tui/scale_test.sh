#!/usr/bin/env bash
# scale_test.sh: the console watching 201 nodes (67 clusters of three over the
# harness's six servers: tests/bench/scale_config.sh). The overview scrolls
# to keep the selection in view (End, Home), `/` filters nodes and shows the
# filter on the tabs line, Esc clears it, `z` folds and unfolds a cluster,
# `a` folds and unfolds them all, and a key is answered within a generous
# bound (keylat.py: the goal is 100 ms). The nodes are configured without
# TLS and without idle pool connections, to keep the test light on the
# shared machine: it checks the screen, not whether 201 probes keep their
# deadline (bench_scale.sh measures the cost).
# usage: scale_test.sh DBDECK SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
tui_init scale "$1" "$2"

TUI_CONF_OVERRIDE=$TUI_TMP/scale.ini
bash "$TUI_SRC/tests/bench/scale_config.sh" "$DD_HARNESS_ENV" "$TUI_CONF_OVERRIDE" 67 \
	"min_idle = 0" "tls = disable" ||
	bail "scale_config.sh failed"
TUI_ROWS=40 tui_start --
tui_wait '^. pg01-1 +primary ' 60
check $? "the first cluster is shown (201 nodes)" "$(tui_screen | head -12)"

# ---- scrolling keeps the selection in view ----
tui_keys End
tui_wait '^. pg34-3 ' 5 # whatever its state: a loaded CI run showed it down
check $? "End: the last node is on the screen" "$(tui_screen | tail -8)"
! tui_screen | grep -qE '^. pg01-1 '
check $? "... and the first one scrolled away"
tui_keys Home
tui_wait '^. pg01-1 ' 5
check $? "Home: back at the top"
tui_keys PgDn PgDn
tui_wait '^. (pg|my)(0[6-9]|1[0-9])-[123] ' 5 && ! tui_screen | grep -qE '^. pg01-1 '
check $? "PgDn twice: the list scrolled with the selection" "$(tui_screen | sed -n 4,8p)"

# ---- the filter ----
tui_keys Home / m y 1 7 Enter
tui_wait 'filter /my17' 5
check $? "the filter is shown on the tabs line" "$(tui_screen | sed -n 2p)"
# The tabs line can show the whole filter a frame before the list does (each
# key filters at once: /my1 still matched my1 and my10-my19): wait for the list.
for _ in $(seq 150); do
	rows=$(tui_screen | grep -cE '^. (pg|my)[0-9]{2}-[123] ')
	[ "$rows" = 3 ] && break
	sleep 0.1
done
tui_screen | grep -qE '^. my17-1 ' && [ "$rows" = 3 ]
check $? "/my17: the three nodes of my17 only ($rows rows)" "$(tui_screen | head -10)"
tui_keys Escape
tui_wait_not 'filter /my17' 5
rows=$(tui_screen | grep -cE '^. (pg|my)[0-9]{2}-[123] ')
[ "$rows" -gt 3 ]
check $? "Esc clears the filter ($rows rows again)" "$(tui_screen | head -6)"

# ---- folding ----
tui_keys Home z
tui_wait '3 nodes folded' 5 && ! tui_screen | grep -qE '^. pg01-2 '
check $? "z folds the selected node's cluster into one line" "$(tui_screen | head -8)"
tui_keys z
tui_wait '^. pg01-2 ' 5 && ! tui_screen | grep -q 'nodes folded'
check $? "z again unfolds it"
tui_keys a
sleep 0.5
folded=$(tui_screen | grep -c 'nodes folded')
[ "$folded" -ge 15 ] && ! tui_screen | grep -qE '^. pg01-1 '
check $? "a folds every cluster ($folded folded lines on the screen)"
tui_keys End
tui_wait 'pg34 ' 5
check $? "... and End reaches the last cluster" "$(tui_screen | tail -6)"
tui_keys Enter
# 15 s: on a loaded machine a frame of 201 nodes has taken seconds; the
# behaviour is tested here, keylat.py below times it
tui_wait '^. pg34-1 ' 15
check $? "Enter on a folded line unfolds that cluster" "$(tui_screen | tail -6)"
tui_keys a a
tui_wait_not 'nodes folded' 5
check $? "a (twice: fold the rest, then all) unfolds every cluster"

# ---- a key is still answered at once ----
tui_keys Home
lat=$(python3 "$(dirname "$0")/keylat.py" "$TUI_SOCK" 12 4 'Global \(every view\)' 1 'pg01-1 +primary')
lat_rc=$?
sorted=$(printf '%s\n' $lat | sort -g)
median=$(printf '%s\n' $sorted | sed -n 6p)
worst=$(printf '%s\n' $sorted | tail -1)
diag "201 nodes: key to screen (ms): $(echo $lat)"
echo "RESULT console_201_key_median_ms ${median:-0}"
# The goal is 100 ms (bench_scale.sh measures it); the bounds are generous:
# on the shared 2-core machine under other suites' load the median was 56 to
# 390 ms. They catch a console that stops answering, not a slow machine.
[ $lat_rc = 0 ] && [ "${median%.*}" -le 1000 ] && [ "${worst%.*}" -le 3000 ]
check $? "201 nodes: keys answered (median ${median} ms, bound 1000; slowest ${worst} ms, bound 3000)"

tui_keys q
tui_wait 'EXIT=0' 60
check $? "q quits with status 0"
tap_done
