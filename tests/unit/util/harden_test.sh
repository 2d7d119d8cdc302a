#!/usr/bin/env bash
# harden_test.sh DBDECK SECCOMP_DENY: when process hardening fails (no core
# dumps, not dumpable), dbdeck says so on stderr and will not unlock the vault
# (exit 5) unless --allow-core-dumps is given. The failure is a real one: a
# seccomp filter (seccomp_deny.c) makes the kernel refuse
# prctl(PR_SET_DUMPABLE) or the RLIMIT_CORE change, as a container policy can.
set -u
bin=$1 deny=$2
# Under AddressSanitizer the runtime itself sets RLIMIT_CORE at start
# (disable_coredump), which the rlimit filter refuses before dbdeck runs:
# leave that to dbdeck, whose refusal is what is tested.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
skip() { n=$((n+1)); echo "ok $n - # SKIP $1"; }

unset DBDECK_VAULT DBDECK_PASSPHRASE_FILE DBDECK_CONFIG
export HOME=$tmp/home
printf 'harden test passphrase\n' >"$tmp/pp"; chmod 600 "$tmp/pp"
V=$tmp/v/vault
vault=(--vault "$V" --passphrase-file "$tmp/pp")
r() { "$@" >"$tmp/o" 2>"$tmp/e" </dev/null; rc=$?; out=$(cat "$tmp/o"); err=$(cat "$tmp/e"); err1=$(tr '\n' ' ' <"$tmp/e"); }

r "$bin" vault init --kdf interactive "${vault[@]}"
[ $rc = 0 ] && [ -z "$err" ]; check $? "hardened: vault init works, nothing on stderr ($err1)"
printf 'pw-secret-1\n' | "$bin" vault set e1 --user u --password-stdin "${vault[@]}" >/dev/null 2>&1
r "$bin" vault list "${vault[@]}"
[ $rc = 0 ] && [[ $out == e1$'\t'* ]] && [ -z "$err" ]; check $? "hardened: vault list works"
"$bin" --help | grep -q -- '--allow-core-dumps'; check $? "--help documents --allow-core-dumps"

r "$deny" dumpable /bin/true
if [ $rc = 77 ]; then
	for _ in 1 2 3 4 5 6 7 8; do skip "no seccomp filter here: $err"; done
	echo "1..$n"; exit 0
fi

r "$deny" dumpable "$bin" vault list "${vault[@]}"
[ $rc = 5 ] && [ -z "$out" ] &&
	grep -q '^dbdeck: warning: process hardening failed: prctl(PR_SET_DUMPABLE, 0) failed: Operation not permitted; core dumps are possible$' <<<"$err" &&
	grep -q '^dbdeck: refusing to unlock the vault: process hardening failed (.*), so a crash could write its secrets to a core file; fix that, or accept the risk with --allow-core-dumps$' <<<"$err"
check $? "PR_SET_DUMPABLE refused: says so, exit 5, no entry listed ($err1)"
r "$deny" dumpable "$bin" vault list --allow-core-dumps "${vault[@]}"
[ $rc = 0 ] && [[ $out == e1$'\t'* ]] && grep -q 'warning: unlocking the vault with core dumps possible' <<<"$err"
check $? "--allow-core-dumps: unlocks, with a warning ($err1)"
r "$deny" rlimit "$bin" --allow-core-dumps vault list "${vault[@]}"
[ $rc = 0 ] && grep -q 'setrlimit(RLIMIT_CORE, 0) failed: Operation not permitted' <<<"$err"
check $? "RLIMIT_CORE refused: named, and the option works before the command too ($err1)"
r "$deny" rlimit "$bin" vault get e1 --show-password "${vault[@]}"
[ $rc = 5 ] && ! grep -q 'pw-secret-1' <<<"$out"; check $? "RLIMIT_CORE refused: vault get is refused too (exit $rc)"
r "$deny" dumpable "$bin" vault init --kdf interactive --vault "$tmp/v/other" --passphrase-file "$tmp/pp"
[ $rc = 5 ] && [ ! -e "$tmp/v/other" ]; check $? "vault init refused before any passphrase is read"
printf '[cluster c]\nengine = postgresql\nnodes = n1\ndatabase = app\ncredential = e1\n[node n1]\nhost = 127.0.0.1\n' >"$tmp/c.ini"
r "$deny" dumpable "$bin" check-config -c "$tmp/c.ini" "${vault[@]}"
[ $rc = 5 ]; check $? "check-config with a passphrase (opens the vault): refused, exit 5 ($rc)"
r "$deny" dumpable "$bin" check-config -c "$tmp/c.ini"
[ $rc = 0 ]; check $? "check-config without the vault still runs (exit $rc: $err1)"
r "$deny" dumpable "$bin" --version
[ $rc = 0 ] && grep -q 'warning: process hardening failed' <<<"$err"; check $? "any command says so on stderr"

echo "1..$n"
exit $fail
