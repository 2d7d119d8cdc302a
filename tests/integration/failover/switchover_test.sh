#!/usr/bin/env bash
# switchover_test.sh DBDECK WRITER pg|my: `dbdeck switchover` on a harness of
# its own (issue 13). A dry run changes nothing; a switchover to node 2
# while a writer inserts through the router loses no acknowledged write and
# the writer's router follows; every replica then streams from node 2; the
# switchover back restores the roles; audit records; refusals (replay
# paused / SQL thread stopped, lag beyond lag_max, candidate down, a second
# dbdeck at the same time: exactly one proceeds); PostgreSQL: a failing and
# a hanging fence hook roll back, a failing rejoin hook ends incomplete, a
# pg_promote refused for want of a grant rolls back; and
# no secret in the audit log, the output, or a hook's argv and environment.
DBDECK=$1 WRITER=$2
# shellcheck source=fo_lib.sh
. "$(dirname "$0")/fo_lib.sh"
fo_start "$3"
O=$D/out
mkdir -p "$O"
conf base
conf lag lag_max=1s
conf fail "fence_command=/bin/false"
conf hang "fence_command=/bin/sleep 37" hook_timeout=2s
conf slow "fence_command=$HOOK $HARNESS $D fence 2"
conf norejoin "rejoin_command=/bin/false"

roles_are() { # PRIMARY REPLICA REPLICA
	local r
	r=$(poll 30 is_primary "$1") || { echo "$r"; return 1; }
	r=$(poll 30 replicates "$2" "$1") || { echo "$r"; return 1; }
	r=$(poll 30 replicates "$3" "$1") || { echo "$r"; return 1; }
	echo ok
}

# 1. dry run
dd base switchover "$E" --to "$N2" --dry-run >"$O/dry.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "^Plan:" "$O/dry.txt" && grep -q "promote $N2" "$O/dry.txt"
ok $? "dry run: exit 0, the plan with its pre-checks" "$(cat "$O/dry.txt")"
r=$(roles_are "$N1" "$N2" "$N3")
ok $? "dry run: nothing changed" "$r"

# 2. switchover under a continuous writer
"$WRITER" "$E" 8 200 >"$O/writer1.txt" 2>"$O/writer1.err" &
FO_BG=$!
sleep 2
dd base switchover "$E" --to "$N2" --yes >"$O/sw1.txt" 2>&1
rc=$?
ok $rc "switchover to $N2: exit 0 (done)" "$(cat "$O/sw1.txt")"
wait $FO_BG
wrc=$?
FO_BG=
res=$(cat "$O/writer1.txt")
echo "# $E switchover: $res"
[[ $wrc == 0 && $res == *" missing=0 "* ]]
ok $? "no acknowledged write lost during the switchover" "$res $(cat "$O/writer1.err")"
[[ $res == *" primary=$N2" ]]
ok $? "the writer's router follows $N2 without a restart" "$res"
gap=$(sed -n 's/.* gap_s=\([0-9.]*\).*/\1/p' <<<"$res")
echo "# longest write gap during the $E switchover: ${gap}s"
r=$(roles_are "$N2" "$N1" "$N3")
ok $? "$N2 is the primary; $N1 and $N3 replicate from it" "$r"
grep -q '^Outcome: done' "$O/sw1.txt" && grep -qE '\[ ?[0-9]+/[0-9]+\] done .*\([0-9.]+ s\)' "$O/sw1.txt"
ok $? "live step states with durations, outcome done" "$(tail -5 "$O/sw1.txt")"

# 3. and back
dd base switchover "$E" --to "$N1" --yes >"$O/sw2.txt" 2>&1
ok $? "switchover back to $N1: exit 0" "$(tail -8 "$O/sw2.txt")"
r=$(roles_are "$N1" "$N2" "$N3")
ok $? "the original roles are back; every replica streams" "$r"
dd base audit verify >/dev/null 2>&1 && grep -c '"action":"switchover"' "$D/audit.log" | grep -qx 4
ok $? "audit: a start and an end record per switchover, the chain verifies" "$(tail -4 "$D/audit.log")"

# 4. refusals
if [[ $E == pg ]]; then
	# a transaction replayed first, so that the replica's lag has a time
	q "$N1" "CREATE TABLE lag0 (i int)" >/dev/null
	poll 10 replicates "$N2" "$N1" >/dev/null
	sleep 0.5
	bash "$HARNESS" pg-replay "$D" "$N2" pause >/dev/null
	dd base switchover "$E" --to "$N2" --yes >"$O/paused.txt" 2>&1
	rc=$?
	[[ $rc == 5 ]] && grep -q "FAIL.*replay.*paused" "$O/paused.txt"
	ok $? "replay paused on the candidate: refused (exit 5)" "$rc $(cat "$O/paused.txt")"
	q "$N1" "CREATE TABLE lagt (i int); INSERT INTO lagt VALUES (1)" >/dev/null
	sleep 2.5
	dd lag switchover "$E" --to "$N2" --dry-run >"$O/lag.txt" 2>&1
	rc=$?
	[[ $rc == 5 ]] && grep -q "FAIL.*lag.*beyond lag_max" "$O/lag.txt"
	ok $? "lag beyond lag_max: refused (exit 5)" "$rc $(cat "$O/lag.txt")"
	dd lag switchover "$E" --to "$N2" --dry-run --force >"$O/force.txt" 2>&1
	rc=$?
	[[ $rc == 0 ]] && grep -q "forced.*lag" "$O/force.txt" && grep -q "forced.*replay" "$O/force.txt"
	ok $? "--force overrides lag and paused replay, and names them" "$rc $(cat "$O/force.txt")"
	bash "$HARNESS" pg-replay "$D" "$N2" resume >/dev/null
else
	bash "$HARNESS" my-sql-thread "$D" "$N2" stop >/dev/null
	q "$N1" "CREATE TABLE app.lagt (i int); INSERT INTO app.lagt VALUES (1)" >/dev/null
	sleep 2.5
	dd lag switchover "$E" --to "$N2" --yes >"$O/paused.txt" 2>&1
	rc=$?
	[[ $rc == 5 ]] && grep -q "FAIL.*threads" "$O/paused.txt" && grep -q "FAIL.*lag" "$O/paused.txt"
	ok $? "SQL thread stopped and lag beyond lag_max: refused (exit 5)" "$rc $(cat "$O/paused.txt")"
	dd lag switchover "$E" --to "$N2" --dry-run --force >"$O/force.txt" 2>&1
	rc=$?
	[[ $rc == 5 ]] && grep -q "forced.*lag" "$O/force.txt" && grep -q "FAIL.*threads" "$O/force.txt"
	ok $? "--force overrides the lag, not a stopped SQL thread" "$rc $(cat "$O/force.txt")"
	bash "$HARNESS" my-sql-thread "$D" "$N2" start >/dev/null
fi
r=$(roles_are "$N1" "$N2" "$N3")
ok $? "after the refusals nothing changed" "$r"
bash "$HARNESS" stop-node "$D" "$N3" >/dev/null
dd base switchover "$E" --to "$N3" --yes >"$O/down.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "FAIL.*candidate.*$N3 does not answer" "$O/down.txt"
ok $? "candidate down: refused (exit 5)" "$rc $(cat "$O/down.txt")"
bash "$HARNESS" start-node "$D" "$N3" >/dev/null
poll 30 replicates "$N3" "$N1" >/dev/null

# 5. two dbdeck processes at once: exactly one proceeds, the other names it
cfg=base
[[ $E == pg ]] && cfg=slow
# (dbdeck started directly, so that $! is its pid)
"$DBDECK" -c "$D/$cfg.ini" --passphrase-file "$D/passphrase" switchover "$E" --to "$N2" --yes \
	>"$O/race_a.txt" 2>&1 &
pa=$!
"$DBDECK" -c "$D/$cfg.ini" --passphrase-file "$D/passphrase" switchover "$E" --to "$N3" --yes \
	>"$O/race_b.txt" 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
if [[ $ra == 0 ]]; then win=$pa lose=$O/race_b.txt wn=$N2 rl=$rb; else win=$pb lose=$O/race_a.txt wn=$N3 rl=$ra; fi
[[ $(((ra == 0) + (rb == 0))) == 1 && $rl == 5 ]] &&
	grep -q "another dbdeck holds the cluster lock (host .*, pid $win, operator .*, since 20" "$lose"
ok $? "two switchovers at once: exactly one proceeds; the other is refused naming it" \
	"a=$ra b=$rb $(cat "$O/race_a.txt" "$O/race_b.txt" | grep -E 'Outcome|Refused|lock')"
dd base switchover "$E" --to "$N1" --yes >"$O/back2.txt" 2>&1
r=$(roles_are "$N1" "$N2" "$N3")
ok $? "back to $N1 after the race (winner: $wn)" "$r $(tail -5 "$O/back2.txt")"

# 6. hooks (PostgreSQL: a switchover runs fence_command and rejoin_command)
if [[ $E == pg ]]; then
	dd fail switchover "$E" --to "$N2" --yes >"$O/fail.txt" 2>&1
	rc=$?
	[[ $rc == 1 ]] && grep -q "Outcome: failed, rolled back" "$O/fail.txt" &&
		grep -q "undone.*fence $N1" "$O/fail.txt"
	ok $? "a failing fence hook: failed, rolled back (exit 1)" "$rc $(cat "$O/fail.txt")"
	r=$(roles_are "$N1" "$N2" "$N3")
	[[ $r == ok && $(q "$N1" "SHOW default_transaction_read_only") == off ]]
	ok $? "after the rollback $N1 is a writable primary again" "$r"
	t0=$SECONDS
	dd hang switchover "$E" --to "$N2" --yes >"$O/hang.txt" 2>&1
	rc=$?
	[[ $rc == 1 ]] && grep -q "fence_command timed out after 2" "$O/hang.txt" && ((SECONDS - t0 < 20))
	ok $? "a hanging fence hook is killed at hook_timeout and rolled back" "$rc $(cat "$O/hang.txt")"
	! pgrep -f "^/bin/sleep 37$" >/dev/null
	ok $? "the hung hook's process is gone"
	r=$(roles_are "$N1" "$N2" "$N3")
	ok $? "after the timeout nothing changed" "$r"
	dd norejoin switchover "$E" --to "$N2" --yes >"$O/norejoin.txt" 2>&1
	rc=$?
	[[ $rc == 6 ]] && grep -q "^Outcome: incomplete" "$O/norejoin.txt" &&
		grep -q "pg_rewind -D .* --source-server='host=127.0.0.1 port=$(cat "$D/$N2/port")" "$O/norejoin.txt"
	ok $? "a failing rejoin hook: incomplete (exit 6), the commands to rejoin by hand" \
		"$rc $(cat "$O/norejoin.txt")"
	out=$(bash "$HARNESS" rejoin "$D" "$N1" --primary "$N2" 2>&1)
	r=$(roles_are "$N2" "$N1" "$N3")
	ok $? "rejoined by hand, $N1 streams from $N2" "$r $out"
	dd base switchover "$E" --to "$N1" --yes >"$O/back3.txt" 2>&1
	r=$(roles_are "$N1" "$N2" "$N3")
	ok $? "and back to $N1" "$r"
	# an admin account with the grants docs/switchover.md lists, but for EXECUTE on
	# pg_promote: the promotion is refused before it begins, so the plan rolls back
	q "$N1" "DO \$\$ BEGIN EXECUTE format('CREATE ROLE dd_nopromote LOGIN REPLICATION PASSWORD %L
		IN ROLE pg_monitor, pg_signal_backend, pg_checkpoint', '$PW'); END \$\$" >/dev/null
	q "$N1" "GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only, primary_conninfo
		TO dd_nopromote; GRANT EXECUTE ON FUNCTION pg_reload_conf() TO dd_nopromote" >/dev/null
	"$DBDECK" --vault "$D/vault" --passphrase-file "$D/passphrase" vault set nopromote \
		--user dd_nopromote --password-stdin <"$D/password" >/dev/null 2>&1
	conf nopromote admin_credential=nopromote fence_command= rejoin_command=
	dd nopromote switchover "$E" --to "$N2" --yes >"$O/nopromote.txt" 2>&1
	rc=$?
	[[ $rc == 1 ]] && grep -q "Outcome: failed, rolled back" "$O/nopromote.txt" &&
		grep -q "permission denied for function pg_promote" "$O/nopromote.txt"
	ok $? "pg_promote refused (no privilege): failed, rolled back (exit 1)" \
		"$rc $(tail -12 "$O/nopromote.txt")"
	r=$(roles_are "$N1" "$N2" "$N3")
	[[ $r == ok && $(q "$N1" "SHOW default_transaction_read_only") == off ]]
	ok $? "the fence is lifted: $N1 is a writable primary again" "$r"
fi

# 7. no secret anywhere
leak=$(grep -lF "$PW" "$D/audit.log" "$O"/* "$D/hooks.log" 2>/dev/null)
[[ -z $leak ]]
ok $? "no password in the audit log, the output, or a hook's argv/environment" "$leak"
envs=$(grep -E '^[A-Z_]+=' "$D/hooks.log" | cut -d= -f1 | sort -u | tr '\n' ' ')
[[ $envs == "DBDECK_ACTION DBDECK_CLUSTER DBDECK_NODE DBDECK_NODE_HOST DBDECK_NODE_PORT DBDECK_PRIMARY DBDECK_PRIMARY_HOST DBDECK_PRIMARY_PORT PATH " || ($E == my && -z $envs) ]]
ok $? "a hook's environment is exactly the DBDECK_* variables and PATH" "$envs"

fo_done
