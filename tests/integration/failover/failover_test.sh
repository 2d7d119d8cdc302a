#!/usr/bin/env bash
# failover_test.sh DBDECK WRITER pg|my: `dbdeck failover` after a kill -9 of
# the primary, on a harness of its own with synchronous (PostgreSQL) /
# semi-synchronous (MariaDB) replication (issue 13). Node 2 is made to fall
# behind in what it received, a writer inserts through the router, node 1
# is killed. Then: --no-fence needs --yes; without fence_command the
# failover is refused; --to node 2 is refused (node 3 is ahead); a failing
# and a hanging fence hook end failed with nothing promoted; the failover
# chooses node 3 (the most advanced), node 2 follows it, no acknowledged
# write is lost, the outcome is incomplete (no rejoin_command); node 1
# restarted without a rejoin is reported as SPLIT-BRAIN (node 3 to keep)
# and gets no writes; after `harness.sh rejoin` it streams from node 3.
DBDECK=$1 WRITER=$2
# shellcheck source=fo_lib.sh
. "$(dirname "$0")/fo_lib.sh"
fo_start "$3" --sync
O=$D/out
mkdir -p "$O"
conf base rejoin_command=
conf nofence fence_command= rejoin_command=
conf fail "fence_command=/bin/false" rejoin_command=
conf hang "fence_command=/bin/sleep 37" hook_timeout=2s rejoin_command=

still_replicas() { # nothing promoted: N2 and N3 are still replicas
	local v
	for v in "$N2" "$N3"; do
		[[ $(is_primary "$v") == ok ]] && { echo "$v is a primary"; return; }
	done
	echo ok
}

# 1. node 2 stops receiving; the writer starts; node 1 dies; node 2 points at it again
if [[ $E == pg ]]; then
	q "$N2" "ALTER SYSTEM SET primary_conninfo = ''" >/dev/null
	q "$N2" "SELECT pg_reload_conf()" >/dev/null
else
	q "$N2" "STOP SLAVE IO_THREAD" >/dev/null
fi
"$WRITER" "$E" 25 200 >"$O/writer.txt" 2>"$O/writer.err" &
FO_BG=$!
sleep 3
bash "$HARNESS" kill-node "$D" "$N1" >/dev/null
if [[ $E == pg ]]; then
	q "$N2" "ALTER SYSTEM RESET primary_conninfo" >/dev/null
	q "$N2" "SELECT pg_reload_conf()" >/dev/null
else
	q "$N2" "START SLAVE IO_THREAD" >/dev/null
fi
sleep 1

# 2. refusals, and hooks that fail: nothing is promoted
dd base failover "$E" --no-fence >"$O/nofence_usage.txt" 2>&1
rc=$?
[[ $rc == 2 ]] && grep -q "SPLIT-BRAIN" "$O/nofence_usage.txt"
ok $? "--no-fence without --yes: usage error saying why (exit 2)" "$rc $(cat "$O/nofence_usage.txt")"
dd nofence failover "$E" --yes >"$O/nofence.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "FAIL.*fence.*--no-fence --yes" "$O/nofence.txt"
ok $? "no fence_command and no --no-fence: refused (exit 5)" "$rc $(cat "$O/nofence.txt")"
dd base failover "$E" --to "$N2" --dry-run >"$O/ahead.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "FAIL.*ahead.*$N3 has received more than $N2" "$O/ahead.txt"
ok $? "--to $N2, behind $N3: refused (exit 5)" "$rc $(cat "$O/ahead.txt")"
dd base failover "$E" --to "$N2" --dry-run --force >"$O/ahead_force.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "forced.*ahead" "$O/ahead_force.txt"
ok $? "--force overrides it and says so" "$rc $(cat "$O/ahead_force.txt")"
dd fail failover "$E" --yes >"$O/fail.txt" 2>&1
rc=$?
[[ $rc == 1 ]] && grep -q "fence_command exited 1" "$O/fail.txt" && grep -q "nothing was promoted" "$O/fail.txt"
ok $? "a failing fence hook: failed, nothing promoted (exit 1)" "$rc $(cat "$O/fail.txt")"
t0=$SECONDS
dd hang failover "$E" --yes >"$O/hang.txt" 2>&1
rc=$?
[[ $rc == 1 ]] && grep -q "fence_command timed out after 2" "$O/hang.txt" && ((SECONDS - t0 < 20))
ok $? "a hanging fence hook: killed at hook_timeout, failed (exit 1)" "$rc $(cat "$O/hang.txt")"
r=$(still_replicas)
[[ $r == ok ]]
ok $? "after the refusals and the failed hooks nothing was promoted" "$r"

# 3. the failover
dd base failover "$E" --yes >"$O/failover.txt" 2>&1
rc=$?
[[ $rc == 6 ]] && grep -q "^Failover of cluster $E: $N1 -> $N3" "$O/failover.txt" &&
	grep -q "^A person must still" "$O/failover.txt"
ok $? "failover: $N3 (the most advanced) promoted; incomplete without rejoin_command (exit 6)" \
	"$rc $(cat "$O/failover.txt")"
r=$(poll 30 is_primary "$N3")
ok $? "$N3 is the primary" "$r"
r=$(poll 30 replicates "$N2" "$N3")
ok $? "$N2 replicates from $N3" "$r"
wait $FO_BG
wrc=$?
FO_BG=
res=$(cat "$O/writer.txt")
echo "# $E failover after kill -9: $res"
[[ $wrc == 0 && $res == *" missing=0 "* && $res == *" primary=$N3" ]]
ok $? "no acknowledged write lost; the writer's router follows $N3" "$res $(tail -3 "$O/writer.err")"

# 4. the old primary comes back without a rejoin: SPLIT-BRAIN
bash "$HARNESS" start-node "$D" "$N1" >/dev/null
sleep 1
dd base status "$E" >"$O/split.txt" 2>&1
rc=$?
[[ $rc == 1 ]] && grep -q "SPLIT-BRAIN: $N1 and $N3 accept writes (none routed); keep $N3 (" "$O/split.txt"
ok $? "$N1 back without a rejoin: SPLIT-BRAIN naming both, $N3 to keep" "$rc $(cat "$O/split.txt")"
DD_WRITER_NOCREATE=1 "$WRITER" "$E" 2 200 >"$O/nowrites.txt" 2>/dev/null
grep -q " acked=0 " "$O/nowrites.txt"
ok $? "the router sends writes to neither" "$(cat "$O/nowrites.txt")"

# 5. rejoin
out=$(bash "$HARNESS" rejoin "$D" "$N1" --primary "$N3" 2>&1)
r=$(poll 60 replicates "$N1" "$N3")
ok $? "after rejoin $N1 streams from $N3" "$r $out"
r=$(poll 30 bash -c "'$DBDECK' -c '$D/base.ini' --passphrase-file '$D/passphrase' status $E >/dev/null 2>&1 && echo ok")
ok $? "status: healthy again, no SPLIT-BRAIN" "$r"

# 6. no secret anywhere
leak=$(grep -lF "$PW" "$D/audit.log" "$O"/* "$D/hooks.log" 2>/dev/null)
[[ -z $leak ]]
ok $? "no password in the audit log, the output, or a hook's argv/environment" "$leak"

fo_done
