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
# switchover / failover: usage errors need no configuration
"$dd" switchover >/dev/null 2>&1; [ $? = 2 ]; check $? "switchover without CLUSTER exits 2"
err=$("$dd" switchover pg 2>&1); [ $? = 2 ] && grep -q -- '--to NODE is required' <<<"$err"; check $? "switchover without --to exits 2 and says so"
err=$("$dd" switchover pg --to x --no-fence 2>&1); [ $? = 2 ]; check $? "switchover has no --no-fence ($err)"
err=$("$dd" failover pg --no-fence 2>&1); [ $? = 2 ] && grep -q 'SPLIT-BRAIN' <<<"$err"; check $? "failover --no-fence without --yes exits 2 and says why"
out=$("$dd" failover --help); [ $? = 0 ] && grep -q '6 incomplete' <<<"$out" && grep -q -- '--no-fence' <<<"$out"; check $? "failover --help: options and exit codes"
grep -q '6 incomplete' <<<"$help"; check $? "--help documents exit 6 (incomplete)"
# the commands that parse with cli_parse: --help, an unknown option, the
# positional count, and the common options after the command
for c in check-config audit backups vault backup prune restore verify; do
	out=$("$dd" $c --help 2>&1); [ $? = 0 ] && [[ $out == "usage: dbdeck $c"* ]]; check $? "$c --help: exit 0 and its usage"
	err=$("$dd" $c --no-such-option 2>&1); [ $? = 2 ] && grep -q "unrecognized option" <<<"$err" && grep -q "usage: dbdeck $c" <<<"$err"; check $? "$c --no-such-option: exit 2, named, and the usage"
done
err=$("$dd" check-config extra 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: check-config takes no argument"*"(see dbdeck check-config --help)" ]]; check $? "check-config with an argument: exit 2 ($err)"
err=$("$dd" backups 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: backups takes one CLUSTER (see dbdeck backups --help)" ]]; check $? "backups without CLUSTER: exit 2 ($err)"
err=$("$dd" backups a b 2>&1); [ $? = 2 ]; check $? "backups with two clusters: exit 2"
err=$("$dd" vault 2>&1); [ $? = 2 ] && grep -q "vault takes a subcommand" <<<"$err"; check $? "vault without a subcommand: exit 2 ($err)"
err=$("$dd" audit verify extra 2>&1); [ $? = 2 ]; check $? "audit verify extra: exit 2 ($err)"
err=$("$dd" audit --since nonsense 2>&1); [ $? = 2 ] && grep -q -- "--since" <<<"$err"; check $? "audit --since nonsense: exit 2 and says why"
err=$("$dd" check-config --no-color -c /nonexistent/dbdeck.ini 2>&1); [ $? = 3 ] && grep -q "/nonexistent/dbdeck.ini" <<<"$err"; check $? "check-config takes the common options after it (-c: exit 3, the file named)"
for c in backup prune verify; do
	err=$("$dd" $c 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: $c takes "*"CLUSTER"*"(see dbdeck $c --help)" ]]; check $? "$c without CLUSTER: exit 2 ($err)"
	err=$("$dd" $c pg --read-only --no-color -c /nonexistent/dbdeck.ini 2>&1); [ $? = 3 ] && grep -q "/nonexistent/dbdeck.ini" <<<"$err"; check $? "$c takes the common options after it (-c: exit 3, the file named)"
done
err=$("$dd" backup a b 2>&1); [ $? = 2 ]; check $? "backup with two clusters: exit 2"
err=$("$dd" backup pg --node 2>&1); [ $? = 2 ] && grep -q -- "'--node' requires an argument" <<<"$err" && grep -q "usage: dbdeck backup" <<<"$err"; check $? "backup --node without NODE: exit 2 and the usage"
err=$("$dd" prune pg --deep 2>&1); [ $? = 2 ] && grep -q "usage: dbdeck prune" <<<"$err"; check $? "prune has no --deep: exit 2 and the usage"
err=$("$dd" verify pg latest extra 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: verify takes CLUSTER and at most one BACKUP (see dbdeck verify --help)" ]]; check $? "verify with two BACKUPs: exit 2 ($err)"
err=$("$dd" restore pg --into x 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: restore takes CLUSTER BACKUP --into DATABASE (see dbdeck restore --help)" ]]; check $? "restore without BACKUP: exit 2 ($err)"
err=$("$dd" restore pg latest 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: restore takes CLUSTER BACKUP --into DATABASE (see dbdeck restore --help)" ]]; check $? "restore without --into: exit 2 ($err)"
err=$("$dd" restore pg latest --into 9x 2>&1); [ $? = 2 ] && grep -q "not a valid database name" <<<"$err"; check $? "restore --into 9x: exit 2 and says why"
err=$("$dd" restore --into x pg latest --yes --no-color -c /nonexistent/dbdeck.ini 2>&1); [ $? = 3 ] && grep -q "/nonexistent/dbdeck.ini" <<<"$err"; check $? "restore takes the common options after it (-c: exit 3, the file named)"
# status, switchover, failover, serve, schema and patroni parse with cli_parse
# too; their own count messages stay as they were
for c in status switchover failover serve schema patroni; do
	out=$("$dd" $c -h 2>&1); [ $? = 0 ] && [[ $out == "usage: dbdeck $c"* ]]; check $? "$c -h: exit 0 and its usage"
	err=$("$dd" $c pg --no-such-option 2>&1); [ $? = 2 ] && grep -q "unrecognized option" <<<"$err" && grep -q "usage: dbdeck $c" <<<"$err"; check $? "$c --no-such-option: exit 2, named, and the usage"
done
err=$("$dd" status a b 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: status takes at most one CLUSTER" ]]; check $? "status with two clusters: exit 2 ($err)"
err=$("$dd" schema 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: schema takes one CLUSTER"* ]] && grep -q "usage: dbdeck schema" <<<"$err"; check $? "schema without CLUSTER: exit 2 and the usage"
err=$("$dd" failover 2>&1); [ $? = 2 ] && [[ $err == "usage: dbdeck failover"* ]]; check $? "failover without CLUSTER: exit 2 and the usage"
err=$("$dd" patroni pg 2>&1); [ $? = 2 ] && [[ $err == "usage: dbdeck patroni"* ]]; check $? "patroni without an action: exit 2 and the usage"
err=$("$dd" patroni pg bogus 2>&1); [ $? = 2 ] && grep -q "unknown action 'bogus'" <<<"$err"; check $? "patroni pg bogus: exit 2 and named"
err=$("$dd" patroni pg restart 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: patroni: restart needs a NODE" ]]; check $? "patroni restart without NODE: exit 2 ($err)"
err=$("$dd" serve extra 2>&1); [ $? = 2 ] && [[ $err == "dbdeck: serve takes no arguments (see dbdeck serve --help)" ]]; check $? "serve with an argument: exit 2 ($err)"
err=$("$dd" serve --listen 127.0.0.1:0 2>&1); [ $? = 2 ] && grep -q -- "--listen:" <<<"$err"; check $? "serve --listen with port 0: exit 2 and says why"
for a in "status pg --json" "schema pg --json" "patroni pg show --json" "switchover pg --to n --dry-run" "failover pg --yes" "serve --listen 127.0.0.1:1"; do
	err=$("$dd" $a --read-only --no-color -c /nonexistent/dbdeck.ini 2>&1 </dev/null); [ $? = 3 ] && grep -q "/nonexistent/dbdeck.ini" <<<"$err"; check $? "${a%% *} takes the common options after it (-c: exit 3, the file named)"
done
echo "1..$n"
exit $fail
