#!/usr/bin/env bash
# vault_crash_test.sh: a `dbdeck vault set` killed with SIGKILL at a random
# point (0 .. ~1.2x the time a set takes) always leaves a vault that opens and
# holds either the old or the new password of the entry, and the next write
# works and leaves no temp file behind. vault_api_test kills in-process
# writers in a tighter loop, where most kills land inside the write itself.
# usage: vault_crash_test.sh PATH-TO-DBDECK [TRIALS]
set -u
bin=$1
trials=${2:-50}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
unset DBDECK_VAULT DBDECK_PASSPHRASE_FILE

printf 'crash test passphrase\n' > "$tmp/pp"; chmod 600 "$tmp/pp"
mkdir -m 700 "$tmp/d"
V=$tmp/d/vault
args=(--vault "$V" --passphrase-file "$tmp/pp")
"$bin" vault init --kdf interactive "${args[@]}" >/dev/null
set_pw() { printf '%s\n' "$1" | "$bin" vault set k --user u --password-stdin "${args[@]}" >/dev/null 2>&1; }
get_pw() { "$bin" vault get k --show-password "${args[@]}" 2>/dev/null </dev/null | sed -n 's/^password: //p'; }

set_pw v0
t0=$(date +%s%N); set_pw v0; t1=$(date +%s%N)
span_us=$(((t1 - t0) / 1000 * 12 / 10))
echo "# a set takes $(((t1 - t0) / 1000000)) ms; kills land in 0..$((span_us / 1000)) ms"

old=v0; bad=0; killed=0; completed=0
for ((i = 1; i <= trials; i++)); do
	new=v$i
	printf '%s\n' "$new" | "$bin" vault set k --user u --password-stdin "${args[@]}" >/dev/null 2>&1 &
	pid=$!
	delay_us=$(( (RANDOM * 32768 + RANDOM) % (span_us + 1) ))
	sleep "$((delay_us / 1000000)).$(printf %06d $((delay_us % 1000000)))"
	kill -KILL $pid 2>/dev/null && killed=$((killed + 1))
	wait $pid 2>/dev/null
	now=$(get_pw)
	if [ "$now" = "$new" ]; then
		completed=$((completed + 1)); old=$new
	elif [ "$now" != "$old" ]; then
		bad=$((bad + 1)); echo "# trial $i: vault holds '$now', expected $old or $new"
	fi
	extra=$(ls -A "$tmp/d" | grep -v -e '^vault$' -e '^\.vault\.tmp\.......$')
	[ -z "$extra" ] || { bad=$((bad + 1)); echo "# trial $i: unexpected files: $extra"; }
done
echo "# $killed of $trials writers were killed before exiting; $completed sets completed"
[ $bad = 0 ]; check $? "$trials sets killed at random points: the vault always opened with the old or the new password"
[ $killed -ge 5 ]; check $? "writers were really killed mid-run ($killed of $trials)"
set_pw final; check $? "the next set succeeds after all the kills"
[ "$(get_pw)" = final ] && [ "$(ls -A "$tmp/d")" = vault ]; check $? "and leaves the vault alone in its directory, no temp file"
echo "1..$n"
exit $fail
