#!/usr/bin/env bash
# switchover_test.sh DBDECK SRCROOT: the console's S flow in tmux, on a
# harness of its own (it changes the topology; the suite's shared harness is
# left alone). S on the primary says to choose a replica; a read-only console
# refuses; S on pg2 plans, the typed dialog shows the pre-checks and the
# steps, typing the cluster's name runs it, the panel shows the steps reach
# done and stays until Esc; pg2 is then the primary. No password on screen.
set -uo pipefail
DBDECK=$1 SRC=$2
H=$SRC/tests/harness/harness.sh
HOOK=$SRC/tests/integration/failover/hook.sh
D=$(mktemp -d /tmp/dd-tuisw.XXXXXX)
rmdir "$D"
bash "$H" start "$D" --watch $$ >/dev/null 2>&1 || { echo "Bail out! harness start failed"; exit 1; }
"$SRC/tests/harness/mkvault.sh" "$DBDECK" "$D" >/dev/null 2>&1 || { echo "Bail out! mkvault"; exit 1; }
export DD_HARNESS_ENV=$D/env
# shellcheck source=lib.sh
. "$SRC/tests/tui/lib.sh"
tui_init switchover "$DBDECK" "$SRC"
trap 'tui_cleanup; bash "$H" stop "$D" >/dev/null 2>&1' EXIT
TUI_CONF_OVERRIDE=$(tui_config sw "" "admin_credential = harness-admin
replication_credential = harness-repl
fence_command = $HOOK $H $D fence
rejoin_command = $HOOK $H $D rejoin")
PW=$(cat "$D/password")

filter_node() { # NODE: the overview shows only NODE's row, selected
	tui_keys / && tui_keys -l "$1" && tui_keys Enter
	tui_wait "^. $1 " 5
}

# 1. read-only: S is refused
tui_start -- --read-only
tui_ready 30 || bail "no overview"
filter_node pg2
tui_keys S
tui_wait "READ-ONLY: switchover is disabled" 5
check $? "read-only console: S is refused" "$(tui_screen)"

# 2. S on the primary: choose a replica
tui_start --
tui_ready 30 || bail "no overview"
filter_node pg1
tui_keys S
tui_wait "switchover: select a replica to promote \(pg1 is a primary\)" 5
check $? "S on the primary asks for a replica" "$(tui_screen)"

# 3. S on pg2: the plan in the typed dialog
tui_keys / C-u && tui_keys -l pg2 && tui_keys Enter
tui_wait "^. pg2 " 5
tui_keys S
tui_wait "Switchover of pg: pg1 -> pg2\?" 30
check $? "S on pg2: the typed dialog with the plan" "$(tui_screen)"
scr=$(tui_screen)
grep -q "pre-checks: [0-9]* ok" <<<"$scr" && grep -q "promote pg2 (pg_promote)" <<<"$scr" &&
	grep -q "Type pg to confirm" <<<"$scr"
check $? "the dialog shows the pre-checks, the steps and what to type" "$scr"
tui_keys Enter
tui_wait "type 'pg' exactly to confirm" 5
check $? "Enter without the name does nothing" "$(tui_screen)"

# 4. run it: the panel follows the steps
tui_keys -l pg && tui_keys Enter
tui_wait "Switchover of pg" 10
check $? "confirmed: the action's panel" "$(tui_screen)"
tui_wait "Esc: close" 90
check $? "the panel says when it has ended" "$(tui_screen)"
scr=$(tui_screen)
grep -qE "\[ ?1/11\] done +[0-9.]+ s +lock the cluster" <<<"$scr" &&
	grep -qE "\[11/11\] done .*every replica replicates from pg2" <<<"$scr" &&
	grep -q "done in" <<<"$scr"
check $? "every step done, with its duration; outcome done" "$scr"
! grep -qF "$PW" <<<"$scr"
check $? "no password on the screen"
tui_keys Escape
tui_wait_not "Esc: close" 5
check $? "Esc closes the panel" "$(tui_screen)"
r=$(bash "$H" psql "$D" pg2 -Atc "select pg_is_in_recovery()" 2>&1)
[[ $r == f ]]
check $? "pg2 is the primary" "$r"
tui_wait "^. pg2 +primary" 15
check $? "the overview shows pg2 as the primary" "$(tui_screen)"
grep -q '"action":"switchover","cluster":"pg","target":"pg2"' "$D/audit.log" &&
	grep -q '"phase":"end".*"outcome":"done"' "$D/audit.log"
check $? "audit start and end records" "$(tail -2 "$D/audit.log")"

tap_done
