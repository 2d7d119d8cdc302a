#!/usr/bin/env bash
# cli_test.sh: the binary's --version, --help, unknown commands and exit codes.
# usage: cli_test.sh PATH-TO-DBDECK
set -u
dd=$1
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

out=$("$dd" --version); rc=$?
[ $rc = 0 ] && [[ "$out" =~ ^dbdeck\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; check $? "--version prints 'dbdeck X.Y.Z' and exits 0 ($out)"
out=$("$dd" -V); [ "$out" = "$("$dd" --version)" ]; check $? "-V is --version"
help=$("$dd" --help); rc=$?
check $rc "--help exits 0"
for c in status check-config vault audit backup backups verify restore switchover failover serve; do
	grep -qE "^  $c( |$)" <<<"$help"; check $? "--help lists '$c'"
done
grep -q -- '--passphrase-file' <<<"$help"; check $? "--help documents --passphrase-file"
grep -q 'Exit codes' <<<"$help"; check $? "--help documents the exit codes"
"$dd" no-such-command 2>/dev/null; [ $? = 2 ]; check $? "an unknown command exits 2"
err=$("$dd" no-such-command 2>&1 >/dev/null); grep -q "unknown command 'no-such-command'" <<<"$err"; check $? "an unknown command is named"
"$dd" --no-such-option >/dev/null 2>&1; [ $? = 2 ]; check $? "an unknown option exits 2"
echo "1..$n"
exit $fail
