#!/usr/bin/env bash
# queries_test.sh: slow queries in the console (tmux + harness). A statement
# whose text carries terminal escapes (a title change, a screen clear; on
# MariaDB also a C1 control and a bidi override) and a
# 1 MB statement render sanitized and leave the screen intact; the 1 MB one
# opens whole in the statement view. Cancel from the slow-query view: Esc in
# the dialog leaves the query running; confirming stops it, and the action is
# in the events log and the audit log; with an audit log that cannot be
# opened, the cancel is refused and the query keeps running.
# usage: queries_test.sh DBDECK SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
tui_init queries "$1" "$2"
tag=dbdeck-tui-test

# The hostile statement: OSC 0 (window title "owned") and ED 2 (clear screen).
printf 'select pg_sleep(60) /* evil \033]0;owned\007\033[2J %s */;\n' "$tag" >"$TUI_TMP/evil.sql"
# The 1 MB statement, on PostgreSQL (which shows the first
# track_activity_query_size bytes of it, 1 KB by default) and on MariaDB
# (whose processlist has it all).
bigtext() {
	printf 'select %s(60) /* %s ' "$1" "$2"
	head -c 1048576 /dev/zero | tr '\0' 'x'
	printf ' end-of-big %s */;\n' "$tag"
}
bigtext pg_sleep bigpg >"$TUI_TMP/big.sql"
bigtext sleep bigmy >"$TUI_TMP/bigmy.sql"
evil_pid=$(tui_psql_bg "$TUI_TMP/evil.sql")
big_pid=$(tui_psql_bg "$TUI_TMP/big.sql")
tui_mariadb_bg "$TUI_TMP/bigmy.sql" >/dev/null
# The hostile statement on MariaDB (issue 11), in its processlist's INFO: a
# right-to-left override (U+202E), a C1 CSI (U+009B), OSC 0 and ED 2 (the
# first ones first: the list shows 40 columns).
printf 'select /* hosmy \342\200\256\302\233\033]0;owned\007\033[2J %s */ sleep(60);\n' "$tag" \
	>"$TUI_TMP/evilmy.sql"
tui_mariadb_bg "$TUI_TMP/evilmy.sql" >/dev/null

tui_start --
tui_ready 30 || bail "the console did not show the nodes: $(tui_screen)"
title0=$(tui_format '#{pane_title}')
tui_keys 2
tui_wait 'evil' 15; check $? "the hostile statement is listed" "$(tui_screen)"
tui_wait "/\\* bigpg x+" 10; check $? "the 1 MB statement is listed on pg1 (cut to its column)"
tui_wait "/\\* bigmy x+" 10; check $? "and on my1"
screen=$(tui_screen)
grep -q $'evil \xe2\x90\x9b]0;owned\xe2\x90\x87\xe2\x90\x9b\\[2J' <<<"$screen"
check $? "the escapes are shown as control pictures (\u241b]0;owned\u2407\u241b[2J)" "$(grep evil <<<"$screen")"
[ "$(tui_format '#{pane_title}')" = "$title0" ] && [ "$(tui_format '#{pane_title}')" != owned ]
check $? "the pane title did not change to 'owned' ($(tui_format '#{pane_title}'))"
head -1 <<<"$screen" | grep -q 'dbdeck' && sed -n 2p <<<"$screen" | grep -q '1 Overview' &&
	tail -1 <<<"$screen" | grep -q 'Enter statement.*q quit'
check $? "the screen was not cleared: top line, tabs and hints are intact" "$screen"
tui_wait 'hosmy' 10; check $? "the hostile MariaDB statement is listed" "$(tui_screen)"
line=$(tui_screen | grep hosmy)
grep -q $'hosmy <U+202E><9B>\xe2\x90\x9b]0;owned\xe2\x90\x87' <<<"$line" &&
	! grep -q $'\xc2\x9b\|\xe2\x80\xae' <<<"$line"
check $? "MariaDB: the bidi override as <U+202E>, C1 as <9B>, escapes as control pictures" "$line"
[ "$(tui_format '#{pane_title}')" = "$title0" ]; check $? "the pane title is still unchanged"
tui_screen -e | grep -q $'\e\\]'; [ $? != 0 ]; check $? "no OSC reached the pane"
rows=$(wc -l <<<"$screen")
[ "$rows" = 30 ]; check $? "the layout is intact (30 lines)"

# ---- the whole statement, as long as the server shows it ----
# PostgreSQL keeps track_activity_query_size bytes of a statement (1 KB by
# default; the whole 1 MB when the harness sets 1MB), MariaDB's processlist
# 64 KB: the statement view must show exactly what the server holds.
server_len() {
	if [ "$1" = pg ]; then
		bash "$DD_HARNESS" psql "$DD_HARNESS_DIR" pg1 -qAtc \
			"select octet_length(query) from pg_stat_activity where query like '%/* bigpg xx%' and pid <> pg_backend_pid()"
	else
		bash "$DD_HARNESS" mariadb "$DD_HARNESS_DIR" my1 -N -e \
			"select length(info) from information_schema.processlist where info like '%/* bigmy xx%' and id <> connection_id()"
	fi
}
for which in pg:bigpg my:bigmy; do
	eng=${which%%:*} word=${which##*:}
	want=$(server_len "$eng" | head -1)
	tui_keys / C-u
	tui_keys -l "$word"
	tui_keys Enter
	tui_wait '^1 slow query of' 5
	tui_keys Enter
	tui_wait 'length +[0-9]+ bytes' 5
	got=$(tui_screen | sed -nE 's/.*length +([0-9]+) bytes.*/\1/p')
	[ -n "$want" ] && [ "$got" = "$want" ]
	check $? "$eng: the statement view has the whole text the server shows ($got of $want bytes)" "$(tui_screen | head -14)"
	tui_keys End
	sleep 0.5
	last=$(tui_screen | head -28 | grep -v '^ *$' | tail -1)
	[[ $last =~ ^\ x+$ ]]
	check $? "$eng: End scrolls to the text's last line" "last: $last"
	tui_keys Escape
	tui_wait 'slow quer' 3
done
diag "the PostgreSQL statement is $(server_len pg | head -1) bytes long on the server (track_activity_query_size)"
tui_keys / C-u Enter

# ---- cancel: Esc does nothing, confirming stops the query ----
tui_keys / e v i l Enter
tui_wait '^1 slow query of' 5; check $? "the filter selects the hostile statement"
tui_keys c
tui_wait 'Cancel this query\?' 3; check $? "c asks first" "$(tui_screen)"
pid=$(tui_screen | sed -nE 's/.*pid: ([0-9]+).*/\1/p' | head -1)
tui_screen | grep -q "pid: $pid" && tui_screen | grep -q 'query start: ' && tui_screen | grep -q 'user: dbdeck'
check $? "the dialog names pid, user and query start (pid $pid)"
tui_screen | grep -q '\[>Cancel<\]'; check $? "the focus is on Cancel"
tui_keys Escape
tui_wait_not 'Cancel this query' 3
sleep 2
tui_wait 'evil' 2 && kill -0 "$evil_pid" 2>/dev/null && ! grep -q 'canceling' "$TUI_TMP/evil.sql.out"
check $? "after Esc the query keeps running"
tui_keys c
tui_wait 'Cancel this query\?' 3
tui_keys Enter
tui_wait_not 'Cancel this query' 3
sleep 1.5
kill -0 "$evil_pid" 2>/dev/null; check $? "Enter with the focus on Cancel does nothing either"
tui_keys c
tui_wait 'Cancel this query\?' 3
tui_keys Tab Enter
tui_wait "cancel pid $pid .*: done" 10; check $? "Tab, Enter: the status line says done" "$(tui_screen | tail -2)"
for _ in $(seq 1 50); do kill -0 "$evil_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$evil_pid" 2>/dev/null && grep -q 'canceling statement due to user request' "$TUI_TMP/evil.sql.out"
check $? "the query was cancelled (psql got the cancel error)" "$(cat "$TUI_TMP/evil.sql.out")"
kill -0 "$big_pid" 2>/dev/null; check $? "the other query still runs"
tui_keys 3
tui_wait "action +pg/pg1 +cancel pid $pid" 5; check $? "the action is in the events log" "$(tui_screen | head -12)"
# ---- the audit log has the cancel, start and end ----
"$TUI_DBDECK" -c "$TUI_CONFIG" audit --since 10m >"$TUI_TMP/audit.out" 2>&1
grep -qE " cancel +pg +pid $pid on pg1.* done +[0-9.]+m?s +done in [0-9.]+m?s: cancel pid $pid on pg1" "$TUI_TMP/audit.out"
check $? "dbdeck audit shows the cancel and its outcome" "$(cat "$TUI_TMP/audit.out")"
"$TUI_DBDECK" -c "$TUI_CONFIG" audit verify >"$TUI_TMP/verify.out" 2>&1
check $? "and its chain verifies" "$(cat "$TUI_TMP/verify.out")"

# ---- without a usable audit log, actions are refused and nothing is sent ----
ln -s "$DD_HARNESS_DIR/audit.log" "$TUI_TMP/audit-link.log"
sed "s|^audit_log = .*|audit_log = $TUI_TMP/audit-link.log|" "$TUI_CONFIG" >"$TUI_TMP/noaudit.ini"
TUI_CONF_OVERRIDE=$TUI_TMP/noaudit.ini tui_start --
tui_ready 30 || bail "the console did not show the nodes: $(tui_screen)"
tui_wait 'actions are off: audit log .*symbolic link' 5
check $? "a console whose audit log is a symlink says actions are off" "$(tui_screen | tail -3)"
tui_keys 2 / b i g p g Enter
tui_wait '^1 slow query of' 5
tui_keys c
tui_wait 'Cancel this query\?' 3
tui_keys Tab Enter
tui_wait 'cancel refused: audit log .*symbolic link' 5
check $? "a cancel is refused, naming the audit log" "$(tui_screen | tail -3)"
sleep 1
kill -0 "$big_pid" 2>/dev/null; check $? "and the query still runs"

tap_done
