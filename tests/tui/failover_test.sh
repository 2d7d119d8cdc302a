#!/usr/bin/env bash
# failover_test.sh DBDECK SRCROOT: the console's F flow in tmux, on a
# harness of its own (it changes the topology; the suite's shared harness is
# left alone). pg1, the primary, is killed with kill -9. :failover on the
# command line plans it (Esc leaves it); F on pg2 plans it, the typed dialog
# shows the plan, typing the cluster's name runs it with the harness's fence
# and rejoin hooks, the panel shows every step reach done and the outcome
# done; the replica it chose is the primary and pg1 streams from it. No
# password on the screen.
set -uo pipefail
DBDECK=$1 SRC=$2
H=$SRC/tests/harness/harness.sh
HOOK=$SRC/tests/integration/failover/hook.sh
D=$(mktemp -d /tmp/dd-tuifo.XXXXXX)
rmdir "$D"
bash "$H" start "$D" --watch $$ >/dev/null 2>&1 || { echo "Bail out! harness start failed"; exit 1; }
"$SRC/tests/harness/mkvault.sh" "$DBDECK" "$D" >/dev/null 2>&1 || { echo "Bail out! mkvault"; exit 1; }
export DD_HARNESS_ENV=$D/env
# shellcheck source=lib.sh
. "$SRC/tests/tui/lib.sh"
tui_init failover "$DBDECK" "$SRC"
trap 'tui_cleanup; bash "$H" stop "$D" >/dev/null 2>&1' EXIT
TUI_CONF_OVERRIDE=$(tui_config fo "" "admin_credential = harness-admin
replication_credential = harness-repl
fence_command = $HOOK $H $D fence
rejoin_command = $HOOK $H $D rejoin")
PW=$(cat "$D/password")

# 1. the primary dies
bash "$H" kill-node "$D" pg1 >/dev/null 2>&1
tui_start --
tui_ready 30 || bail "no overview"
tui_keys / && tui_keys -l pg && tui_keys Enter
tui_wait "^. pg1 .*down" 20
check $? "the overview shows pg1 down" "$(tui_screen)"

# 2. :failover alone plans one for the cluster whose primary is down
tui_keys -l :failover && tui_keys Enter
tui_wait "Failover of pg: pg1 -> pg[23]\?" 30
check $? ":failover: the typed dialog with the plan" "$(tui_screen)"
tui_keys Escape
tui_wait_not "Failover of pg: pg1" 5
check $? "Esc leaves it" "$(tui_screen)"

# 3. F on pg2: the plan in the typed dialog, then run it
tui_keys / C-u && tui_keys -l pg2 && tui_keys Enter
tui_wait "^. pg2 " 5
tui_keys F
tui_wait "Failover of pg: pg1 -> pg[23]\?" 30
check $? "F on pg2: the typed dialog with the plan" "$(tui_screen)"
scr=$(tui_screen)
to=$(grep -o "Failover of pg: pg1 -> pg[23]" <<<"$scr" | tail -1)
to=${to##* }
grep -q "fence_command stops pg1" <<<"$scr" && grep -q "Type pg to confirm" <<<"$scr"
check $? "the dialog shows the fence hook and what to type" "$scr"
tui_keys -l pg && tui_keys Enter
tui_wait "Failover of pg" 10
check $? "confirmed: the action's panel" "$(tui_screen)"
tui_wait "Esc: close" 120
check $? "the panel says when it has ended" "$(tui_screen)"
scr=$(tui_screen)
grep -qE "\[ ?1/10\] done +[0-9.]+ s +lock the cluster" <<<"$scr" &&
	grep -qE "done .*fence_command stops pg1" <<<"$scr" &&
	grep -qE "\[10/10\] done .*every replica replicates from $to" <<<"$scr" &&
	grep -q "done in" <<<"$scr"
check $? "every step done, with its duration; outcome done (to $to)" "$scr"
! grep -qF "$PW" <<<"$scr"
check $? "no password on the screen"
tui_keys Escape
r=$(bash "$H" psql "$D" "$to" -Atc "select pg_is_in_recovery()" 2>&1)
[[ $r == f ]]
check $? "$to is the primary" "$r"
port=$(cat "$D/$to/port")
r=$(bash "$H" psql "$D" pg1 -Atc "select status || ' ' || sender_port from pg_stat_wal_receiver" 2>&1)
[[ $r == "streaming $port" ]]
check $? "pg1 rejoined: it streams from $to" "$r"
grep -q '"phase":"end".*"action":"failover".*"outcome":"done"' "$D/audit.log" ||
	grep -q '"action":"failover".*"phase":"end".*"outcome":"done"' "$D/audit.log"
check $? "audit end record: done" "$(tail -2 "$D/audit.log")"

tap_done
