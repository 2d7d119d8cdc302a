#!/usr/bin/env bash
# schema_test.sh: the Schema health view in the console (tmux + harness).
# A scratch database with the schema defects of the integration fixture:
# the overview's cluster line counts the findings, 'i' opens the view on
# the selected node's cluster with the findings, '/' filters, Enter shows
# the evidence and the fix statement, the alert schema_critical is listed.
# Then a lock held by DDL: the next round gives up at schema_lock_timeout
# and the view says so while the console keeps answering keys; once the
# lock is gone the round after succeeds. The database is dropped at exit.
# usage: schema_test.sh DBDECK SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
tui_init schema "$1" "$2"
db=dd_schema_tui
pgq() { bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -d "$1" -qtA -v ON_ERROR_STOP=1 -c "$2"; }
# wait_pg: the PostgreSQL replicas have replayed what pg1 has written.
wait_pg() {
	local lsn nd i
	lsn=$(pgq postgres "SELECT pg_current_wal_lsn()")
	for nd in pg2 pg3; do
		for ((i = 0; i < 100; i++)); do
			[ "$(bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" $nd -d postgres -qtAc "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
			sleep 0.1
		done
	done
}
drop_db() {
	pgq postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 -e "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	wait_pg >/dev/null 2>&1
}
trap 'tui_cleanup; drop_db' EXIT
drop_db
pgq postgres "CREATE DATABASE $db" >/dev/null || bail "cannot create $db"
bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -d $db -q -v ON_ERROR_STOP=1 \
	-f "$TUI_SRC/tests/integration/schema/fixture_pg.sql" >/dev/null || bail "cannot load the fixture"
bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 -e "CREATE DATABASE $db" || bail "cannot create $db on my1"
# the replicas must have it too (their index usage and migration versions are read)
wait_pg
TUI_CONF_OVERRIDE=$(tui_config schema '' "databases = $db
schema_refresh = 10s
schema_timeout = 6s
schema_lock_timeout = 3s")

tui_start --
tui_ready 30 || bail "the console did not show the nodes: $(tui_screen)"
tui_wait ' pg .*[0-9]+ schema' 20
check $? "the overview's cluster line counts the schema findings" "$(tui_screen | grep ' pg ')"
tui_keys i
tui_wait 'schema health' 5 && tui_wait 'sequence_limit .*public\.seq95\.id' 5
check $? "i opens the schema view with the findings" "$(tui_screen)"
screen=$(tui_screen)
grep -qE '^crit +sequence_limit' <<<"$screen" && grep -q 'migration_failed' <<<"$screen" &&
	grep -q 'fk_without_index' <<<"$screen" && grep -q 'migrations: .*golang-migrate 3 FAILED' <<<"$screen"
check $? "critical first; migrations line; FK finding" "$screen"
tui_keys / s e q 9 5 Enter
tui_wait_not 'fk_without_index' 5
check $? "the filter keeps the matching findings" "$(tui_screen)"
tui_keys Enter
tui_wait 'ALTER TABLE public\.seq95 ALTER COLUMN id TYPE bigint; ALTER SEQUENCE' 5
check $? "Enter shows the fix statement" "$(tui_screen)"
tui_wait 'evidence:' 1 && tui_wait '95\.0 % used' 1
check $? "and the evidence" "$(tui_screen)"
tui_keys Escape
tui_wait_not 'dbdeck never runs it' 5
check $? "Esc closes the finding" "$(tui_screen)"
tui_keys 3
tui_wait 'schema_critical|critical schema finding' 5
check $? "the alert schema_critical is listed" "$(tui_screen)"

# A lock held by DDL: the next round gives up at schema_lock_timeout, says so; keys still work.
tui_keys 1 i
tui_wait 'schema health' 5
tui_psql_bg_db() {
	bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -d $db -q \
		-c "BEGIN; LOCK TABLE big IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(40) /* dbdeck-tui-test */;" >/dev/null 2>&1 &
	echo $!
}
lock_pid=$(tui_psql_bg_db)
TUI_BG+=("$lock_pid")
tui_wait 'round did not finish: .*gave up waiting for a lock' 30
check $? "a round blocked by an ACCESS EXCLUSIVE lock gives up and says so" "$(tui_screen)"
t0=$(now_ms)
tui_keys s
tui_wait 'KIND(↑|\^)' 2
check $? "the console answers keys meanwhile ($(( $(now_ms) - t0 )) ms)" "$(tui_screen | head -4)"
kill "$lock_pid" 2>/dev/null
pgq postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(40)%' AND pid <> pg_backend_pid()" >/dev/null
tui_wait_not 'round did not finish' 30 && tui_wait 'sequence_limit' 2
check $? "the next round succeeds once the lock is gone" "$(tui_screen)"
tui_keys q
tap_done
