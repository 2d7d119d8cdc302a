#!/usr/bin/env bash
# audit_cli_test.sh: `dbdeck audit`, `audit --json`, `audit --since` and
# `audit verify` through the binary, over a log filled by audit_write, with
# a config that names no vault that exists (audit never needs one).
# usage: audit_cli_test.sh PATH-TO-DBDECK PATH-TO-AUDIT_WRITE
set -u
dd=$1 aw=$2
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dd-audit-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
log=$T/state/audit.log
printf '[console]\naudit_log = %s\nvault = %s/no-such-vault\n' "$log" "$T" >"$T/dbdeck.ini"
run() { "$dd" -c "$T/dbdeck.ini" audit "$@" >"$T/out" 2>"$T/err"; }

run; rc=$?
[ $rc = 0 ] && grep -q 'does not exist: no action recorded yet' "$T/err"; check $? "no log yet: exit 0 and says so"
run verify; [ $? = 1 ]; check $? "verify without a log exits 1"

"$aw" "$log" 7200 backup pg "" done "backup 20250601-abc written" &&
"$aw" "$log" 600 cancel pg "pid 42 on pg1" refused "the session is gone" &&
"$aw" "$log" 30 terminate my $'pid 7 on my1\e[2J' done
check $? "three actions written (2 h, 10 min and 30 s ago)"

run; rc=$?
check $rc "audit exits 0 without a vault"
head -1 "$T/out" | grep -q '^TIME (UTC) .*OPERATOR .*ACTION .*CLUSTER .*TARGET .*OUTCOME .*TOOK .*DETAIL'; check $? "the table has its header"
[ "$(wc -l <"$T/out")" = 4 ]; check $? "one row per action (start and end joined)"
grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} .* cancel +pg +pid 42 on pg1 +refused +1\.2s +the session is gone$' "$T/out" >/dev/null
check $? "a row shows time, action, cluster, target, outcome, duration and detail"
! grep -q $'\e' "$T/out"; check $? "a control character in a target never reaches the terminal"
grep -q "$(id -un)" "$T/out"; check $? "the operator is the login name"

run --json; rc=$?
[ $rc = 0 ] && [ "$(wc -l <"$T/out")" = 6 ]; check $? "--json prints the 6 records"
[ "$(grep -c '^{"time":"[0-9T:.-]*Z","phase":"\(start\|end\)","id":[0-9]*,' "$T/out")" = 6 ]; check $? "each a JSON object with time, phase and id"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out"; check $? "every line parses as JSON"
fi

run --since 1h; rc=$?
[ $rc = 0 ] && [ "$(wc -l <"$T/out")" = 3 ] && ! grep -q backup "$T/out" && grep -q cancel "$T/out" && grep -q terminate "$T/out"
check $? "--since 1h leaves out the backup of 2 h ago"
run --json --since 20m
[ "$(wc -l <"$T/out")" = 4 ] && ! grep -q '"backup"' "$T/out"; check $? "--json --since 20m prints the 4 recent records"
run --since 10x; rc=$?
[ $rc = 2 ] && grep -q -- "--since: '10x' is not a duration" "$T/err"; check $? "a bad --since exits 2 and says why"
run verify --json; [ $? = 2 ]; check $? "verify --json is a usage error"
run frobnicate; [ $? = 2 ]; check $? "an unknown argument is a usage error"

run verify; rc=$?
[ $rc = 0 ] && grep -q 'ok, 6 records, chain intact' "$T/out"; check $? "verify: ok, 6 records"

cp "$log" "$T/good"
sed -i '2s/"outcome":"done"/"outcome":"fail"/' "$log"
run verify; rc=$?
[ $rc = 1 ] && grep -q 'line 3: chain broken' "$T/err" && grep -q 'line 2 was changed' "$T/err"; check $? "verify finds an edited line 2, exit 1"
cp "$T/good" "$log"; sed -i '4d' "$log"
run verify; rc=$?
[ $rc = 1 ] && grep -q 'line 4: chain broken' "$T/err"; check $? "verify finds a deleted line 4, exit 1"
cp "$T/good" "$log"; truncate -s -10 "$log"
run verify; rc=$?
[ $rc = 1 ] && grep -q 'line 6: incomplete record' "$T/err"; check $? "verify finds a cut last line"
run; rc=$?
[ $rc = 0 ] && grep -q '1 line of .* is no record; run: dbdeck audit verify' "$T/err"; check $? "audit still prints a damaged log and points to verify"

echo "1..$n"
exit $fail
