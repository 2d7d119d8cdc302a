#!/usr/bin/env bash
# views_test.sh: the console in tmux against the harness. The six nodes and
# their roles, the views (Tab, 1-4, Enter, Esc), the help and its search, the
# slow-query filter, golden screens (masked), 80x24, too small and back,
# monochrome on TERM=vt100 / --no-color / NO_COLOR, --ascii, a bad theme,
# read-only mode, and the terminal given back on q, SIGTERM, SIGHUP and a
# crash (SIGSEGV).
# usage: views_test.sh DBDECK SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
tui_init views "$1" "$2"

# ---- the overview ----
tui_start --
if tui_ready 30; then ok "the overview shows all six nodes"; else not_ok "the overview shows all six nodes" "$(tui_screen)"; fi
# A replica's lag can be unknown in the first round (e.g. a restarted replica
# without a replay timestamp, behind the one primary position seen so far):
# it shows "lagging ?" until a later round bounds it.
for nd in pg1:primary pg2:replica pg3:replica my1:primary my2:replica my3:replica; do
	name=${nd%%:*} role=${nd##*:}
	tui_wait "^. $name +$role +up " 10
	check $? "$name is shown as $role and up" "row: $(tui_row "$name")"
done
top=$(tui_screen | head -1)
[[ $top == *"dbdeck.ini"* && $top == *"refresh 1s"* && $top =~ [0-9]{2}:[0-9]{2}:[0-9]{2}\ UTC ]]
check $? "the top line names the config, the interval and the UTC clock" "$top"
sleep 3 # rates (QPS) need two rounds
tui_golden overview_100x30

# ---- views ----
tui_keys Tab
tui_wait '^[0-9]+ slow quer' 5; check $? "Tab goes to the slow queries" "$(tui_screen | head -4)"
tui_keys Tab
tui_wait 'ACTIVE ALERTS' 5; check $? "Tab again: alerts & events"
tui_keys Tab
tui_wait 'Global \(every view\)' 5; check $? "Tab again: help"
tui_golden help_100x30
tui_keys Tab
tui_wait 'my3 +replica' 5; check $? "Tab again: back to the overview"
tui_keys 4
tui_wait 'Global \(every view\)' 5; check $? "4 opens the help"
tui_keys / t e r m i n a t e Enter
tui_wait 'search: terminate' 5 && tui_wait '^ +K +terminate' 2 && ! tui_screen | grep -q 'Global (every view)'
check $? "the help's search keeps only matching lines" "$(tui_screen)"
tui_keys / C-u Enter 1
tui_wait 'my3 +replica' 5; check $? "1 returns to the overview"
tui_keys Down Enter
tui_wait '> node pg2' 5 && tui_wait 'REPLICATION' 2 && tui_wait 'lag history' 2
check $? "Enter on pg2 opens its detail (replication, lag history)" "$(tui_screen)"
tui_keys l
tui_wait '> node pg3' 5; check $? "l moves to the next node"
tui_keys Escape
tui_wait 'my3 +replica' 5
sel=$(tui_screen -e | grep -E 'pg3 ' | head -1)
[[ $sel == *'46m'*pg3* ]]
check $? "Esc goes back with pg3 selected (the selection colour)" "$(printf '%s' "$sel" | cat -v)"

# ---- the slow-query filter ----
tag=dbdeck-tui-test
printf 'select pg_sleep(90) /* alpha %s */;\n' "$tag" >"$TUI_TMP/alpha.sql"
printf 'select pg_sleep(90) /* beta %s */;\n' "$tag" >"$TUI_TMP/beta.sql"
tui_psql_bg "$TUI_TMP/alpha.sql" >/dev/null
tui_psql_bg "$TUI_TMP/beta.sql" >/dev/null
tui_keys 2
tui_wait 'alpha ' 10 && tui_wait 'beta ' 5
check $? "two slow queries are listed" "$(tui_screen)"
tui_keys / b e t a
tui_wait '^1 slow query of [0-9]+' 5 && ! tui_screen | grep -q 'alpha '
check $? "typing a filter narrows the list to one" "$(tui_screen | head -8)"
tui_keys Enter
tui_keys s
tui_wait 'sort: node' 3; check $? "s sorts by the next column (node)"
tui_keys / C-u Enter
tui_wait 'alpha ' 5; check $? "an empty filter shows both again"

# ---- read-only: c does nothing but say READ-ONLY ----
tui_start -- --read-only
tui_ready 30
tui_wait 'READ-ONLY' 3; check $? "--read-only: the top line says READ-ONLY"
tui_keys 2
tui_wait 'alpha ' 10
tui_keys c
tui_wait 'READ-ONLY: cancelling a query is disabled' 3 && ! tui_screen | grep -q 'Cancel this query'
check $? "read-only: c only says READ-ONLY in the status line" "$(tui_screen | tail -3)"
! tui_screen | tail -1 | grep -q 'c cancel'
check $? "read-only: no cancel key in the hints"
sleep 1.5
tui_wait 'alpha ' 2 && ! grep -q 'canceling statement' "$TUI_TMP/alpha.sql.out"
check $? "read-only: the query keeps running"

# ---- 80x24, too small, back ----
TUI_COLS=80 TUI_ROWS=24 tui_start --
tui_ready 30; check $? "80x24: the overview fits"
sleep 3
tui_golden overview_80x24
w=$(tui_screen | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
[ "$w" -le 80 ]; check $? "80x24: no line is wider than 80 columns ($w)"
tui_resize 60 20
tui_wait 'terminal too small \(need 80x24\)' 5; check $? "60x20: terminal too small (need 80x24)" "$(tui_screen)"
! tui_screen | grep -q 'pg1'; check $? "60x20: nothing else is drawn"
tui_resize 100 30
tui_wait 'my3 +replica' 5 && ! tui_screen | grep -q 'too small'
check $? "back to 100x30: the overview again" "$(tui_screen)"

# ---- monochrome and ASCII ----
# A colour in an SGR sequence (30-38, 40-48, 90-97, 100-107; 39 and 49 are the defaults).
colour_sgr() { grep -oE $'\e\\[[0-9;]*m' | tr -d '\033[m' | tr ';' '\n' | grep -qxE '3[0-8]|4[0-8]|9[0-7]|10[0-7]'; }
tui_start TERM=vt100 --
tui_ready 30
tui_screen -e | colour_sgr
[ $? != 0 ]; check $? "TERM=vt100: no colour SGR in the pane (monochrome)"
tui_screen -e | grep -qE $'\e\\[[0-9;]*(1|7)m'; check $? "TERM=vt100: attributes still mark things (bold/reverse)"
tui_start NO_COLOR=1 --
tui_ready 30
tui_screen -e | colour_sgr; [ $? != 0 ]; check $? "NO_COLOR=1: no colour"
tui_start -- --no-color
tui_ready 30
tui_screen -e | colour_sgr; [ $? != 0 ]; check $? "--no-color: no colour"
tui_start --
tui_ready 30
tui_screen -e | colour_sgr; check $? "by default there are colours"
tui_start -- --ascii
tui_ready 30
sleep 3
tui_screen | LC_ALL=C grep -q $'[\x80-\xff]'; [ $? != 0 ]; check $? "--ascii: no byte >= 0x80 on the overview" "$(tui_screen | LC_ALL=C grep $'[\x80-\xff]' | head -3)"
tui_golden overview_ascii
tui_keys 4
tui_wait 'Global' 5
tui_screen | LC_ALL=C grep -q $'[\x80-\xff]'; [ $? != 0 ]; check $? "--ascii: none in the help either"
tui_start LANG=C LC_ALL=C --
tui_ready 30
tui_screen | LC_ALL=C grep -q $'[\x80-\xff]'; [ $? != 0 ]; check $? "a non-UTF-8 locale falls back to ASCII"

# ---- themes ----
tui_start --
tui_ready 30
tui_keys : t h e m e Space n o s u c h Enter
tui_wait "theme not applied \(default in use\): .*nosuch" 3; check $? ":theme nosuch: an error in the status line, the default theme" "$(tui_screen | tail -2)"
tui_keys : t h e m e Space m o n o Enter
sleep 0.5
tui_screen -e | colour_sgr; [ $? != 0 ]; check $? ":theme mono removes the colours"
tui_keys t
tui_wait 'theme default' 3; check $? "t cycles to the next shipped theme" "$(tui_screen | tail -2)"
TUI_CONF_OVERRIDE=$(tui_config badtheme "theme = nosuchtheme" "") tui_start --
tui_ready 30
tui_wait "theme not applied \(default in use\): theme 'nosuchtheme'" 3
check $? "[console] theme = nosuchtheme: the console starts with the default theme and says why" "$(tui_screen | tail -2)"
tui_screen -e | colour_sgr; check $? "and with colours"
mkdir -p "$TUI_TMP/xdg/dbdeck/themes"
printf '[colors]\nwarn = not-a-colour\n' >"$TUI_TMP/xdg/dbdeck/themes/broken.ini"
tui_start XDG_CONFIG_HOME=$TUI_TMP/xdg --
tui_ready 30
tui_keys : t h e m e Space b r o k e n Enter
tui_wait 'broken.ini:2' 3; check $? "a theme error names FILE:LINE and falls back" "$(tui_screen | tail -2)"

# ---- the terminal is given back ----
for how in q TERM HUP SEGV; do
	tui_start --
	tui_ready 30
	[ "$(tui_format '#{alternate_on}')" = 1 ]; check $? "$how: the console uses the alternate screen"
	if [ $how = q ]; then tui_keys q; else kill -s $how "$(tui_pid)"; fi
	tui_wait '^EXIT=' 15; check $? "$how: dbdeck exits ($(tui_screen | grep EXIT=))"
	st=$(tui_format '#{alternate_on} #{cursor_flag}')
	[ "$st" = "0 1" ]; check $? "$how: the terminal is restored (normal screen, cursor shown: $st)"
done
lf=$TUI_TMP/console.log
cfg=$(tui_config logcfg "log_file = $lf" "")
TUI_CONF_OVERRIDE=$cfg tui_start --
tui_ready 30
tui_keys q
tui_wait '^EXIT=0' 15
[ "$(stat -c %a "$lf" 2>/dev/null)" = 600 ]; check $? "stderr went to log_file, created 0600"

tap_done
