#!/usr/bin/env bash
# backups_test.sh DBDECK SRCROOT: the console's Backups view in tmux against
# the harness. b opens it on the selected cluster; b there takes a backup:
# the job line shows the running dump and its progress, then the new row
# appears (node, unverified); v verifies it; R asks for the target database,
# then for the cluster's name typed in full, and restores; q while a backup
# runs asks first, and quitting cancels it with no .partial left; a
# read-only console offers no action. Uses a database of its own (bktui),
# dropped at exit, and a temporary backup_dir.
. "$(dirname "$0")/lib.sh"
tui_init backups "$1" "$2"
pgq() { bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -d "$1" -tA -v ON_ERROR_STOP=1 -c "$2"; }
dropdbs() {
	pgq postgres "drop database if exists bktui with (force)" >/dev/null 2>&1
	pgq postgres "drop database if exists bktui_copy with (force)" >/dev/null 2>&1
}
trap 'tui_cleanup; dropdbs' EXIT
dropdbs
# 16 MB of incompressible rows: a dump long enough to see its progress.
pgq postgres "create database bktui" >/dev/null &&
	pgq bktui "create table big as select i, (select decode(string_agg(md5(random()::text || i::text || j::text), ''), 'hex') from generate_series(1, 32) j) as r from generate_series(1, 32000) i" >/dev/null ||
	bail "cannot make the test database"
mkdir -m 0700 "$TUI_TMP/backups"
sed -e "/^\[cluster pg\]/,/^$/ s|^database = app|database = bktui\nbackup_dir = $TUI_TMP/backups|" \
	-e "s|^audit_log = .*|audit_log = $TUI_TMP/audit.log|" "$DD_HARNESS_DIR/dbdeck.ini" >"$TUI_TMP/bk.ini"
TUI_CONF_OVERRIDE=$TUI_TMP/bk.ini
PW=$(cat "$DD_HARNESS_DIR/password" 2>/dev/null || echo "no-password-file")
sleep 1 # the replicas replay the new database

# 1. b on pg1 opens pg's backups
tui_start --
tui_ready 30 || bail "no overview"
tui_keys b
tui_wait "no backups yet" 10
check $? "b opens the Backups view of the selected node's cluster" "$(tui_screen)"
grep -q "> backups" <<<"$(tui_screen | sed -n 2p)" && grep -q "no good backup (backup_max_age 1d02h)" <<<"$(tui_screen)"
check $? "the view names itself and says there is no good backup" "$(tui_screen)"

# 2. b takes a backup: the job with its progress, then the new row
tui_keys b
tui_wait "backup: dump pg[23] " 10
check $? "the job line shows the running dump" "$(tui_screen)"
tui_wait "backup: dump pg[23] .*[0-9]+%" 20
check $? "and its progress (bar, percentage, bytes, rate)" "$(tui_screen)"
tui_wait "^ *20[0-9-]+ [0-9:]+ +[0-9a-f]{8} +pg[23] .* unverified" 60
check $? "the new backup's row: time, id, node, size, unverified" "$(tui_screen)"
tui_wait "newest good backup [0-9.]+s ago" 10
check $? "the newest good backup's age" "$(tui_screen)"
ls "$TUI_TMP/backups/pg" | grep -qv partial
check $? "the backup is in backup_dir" "$(ls -la "$TUI_TMP/backups/pg")"

# 3. v verifies the selected backup
tui_keys v
tui_wait "[0-9a-f]{8} +pg[23] .* verified " 30
check $? "v verifies it: the row says verified" "$(tui_screen)"

# 4. R asks for the database, then the typed cluster name, and restores
tui_keys R
tui_wait "restore into database:" 5
check $? "R asks for the target database" "$(tui_screen)"
tui_keys -l bktui_copy && tui_keys Enter
tui_wait "Restore a backup of pg into bktui_copy\?" 5
check $? "then the restore dialog" "$(tui_screen)"
scr=$(tui_screen)
grep -q "Type pg to confirm" <<<"$scr" && grep -qE "backup: [0-9a-f]{8}, taken" <<<"$scr"
check $? "it names the backup and asks for the cluster's name" "$scr"
tui_keys Enter
tui_wait "type 'pg' exactly to confirm" 5
check $? "Enter without the name does nothing" "$(tui_screen)"
tui_keys -l pg && tui_keys Enter
tui_wait "restored into bktui_copy on pg1" 60
check $? "typed: the restore runs and says where it went" "$(tui_screen)"
[ "$(pgq bktui_copy "select count(*) from big" 2>&1)" = 32000 ]
check $? "the restored database has every row"
! tui_screen | grep -qF "$PW"
check $? "no password on the screen"

# 5. q while a backup runs asks; quitting cancels it, no .partial is left
tui_keys b
tui_wait "backup: dump" 10
tui_keys q
tui_wait "Quit while a backup job runs\?" 5
check $? "q while a backup runs asks first" "$(tui_screen)"
tui_keys Tab Enter
tui_wait "EXIT=0" 15
check $? "confirmed: the console quits" "$(tui_screen)"
! ls "$TUI_TMP/backups/pg" | grep -q partial
check $? "the cancelled backup left no .partial" "$(ls -la "$TUI_TMP/backups/pg")"
grep '"action":"backup"' "$TUI_TMP/audit.log" | grep -q '"outcome":"cancelled"'
check $? "the audit log says the backup was cancelled" "$(tail -2 "$TUI_TMP/audit.log")"

# 6. read-only: no action
tui_start -- --read-only
tui_ready 30 || bail "no overview"
tui_keys b
tui_wait "STARTED \(UTC\)" 10
tui_keys b
tui_wait "READ-ONLY: taking or verifying backups is disabled" 5
check $? "a read-only console refuses b" "$(tui_screen)"
tui_keys R
tui_wait "READ-ONLY: restore is disabled" 5
check $? "and R" "$(tui_screen)"
tui_keys q
tap_done
