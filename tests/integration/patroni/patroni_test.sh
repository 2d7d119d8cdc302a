#!/usr/bin/env bash
# patroni_test.sh DBDECK WRITER: a cluster managed by Patroni (issue 16), on a
# harness of its own (tests/harness/patroni.sh: etcd and three PostgreSQL 15
# nodes under Patroni agents), stopped at exit, also on failure.
#   1. dbdeck reads Patroni's view (patroni show, status --json's `patroni`,
#      each member's dcs_last_seen from its agent's GET /patroni)
#   2. switchover through dbdeck to each replica and back: Patroni's leader
#      changes, the writer's router follows, no acknowledged write is lost;
#      the longest write gap is printed
#   3. maintenance mode: a switchover is refused while paused (exit 5);
#      resume from the console (tmux); read-only refuses; Patroni's own
#      refusal is exit 5; the console's node detail (DCS last seen) and S
#      on pg2 (asked of Patroni), then back to pg1
#   3b. a switchover scheduled an hour ahead (--at): refused when past (2) or
#      not manager = patroni (5); shown by patroni show and status --json;
#      cancel-switchover drops it (a second one is Patroni's refusal, 5)
#   4. a node promoted by hand behind Patroni's back: critical alert
#   5. failover after kill -9 of the leader's postgres and agent: dbdeck asks
#      Patroni (never promotes itself), reports the new leader; the old one
#      rejoins when its agent runs again
DBDECK=$1 WRITER=$2
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
PH=$SRC/tests/harness/patroni.sh
n=0 failed=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[[ -n ${3-} ]] && printf '%s\n' "$3" | tail -25 | sed 's/^/#   /'
	fi
}
bail() {
	echo "Bail out! $*"
	exit 1
}
[[ -x $DBDECK && -x $WRITER ]] || bail "usage: patroni_test.sh DBDECK WRITER"
D=$(mktemp -d /tmp/dd-pt.XXXXXX)
rmdir "$D"
BG=
cleanup() {
	[[ -n $BG ]] && kill "$BG" 2>/dev/null
	tmux -L "ddpt-$$" kill-server 2>/dev/null
	bash "$PH" stop "$D" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
t0=$SECONDS
# pg1's agent on Patroni's default port 8008 when it is free: dbdeck's detection
port8008=0
if ! (exec 3<>/dev/tcp/127.0.0.1/8008) 2>/dev/null; then
	export DD_PATRONI_PG1_API_PORT=8008
	port8008=1
fi
out=$(bash "$PH" start "$D" "$DBDECK" --watch $$ 2>&1) || bail "patroni harness: $out"
echo "# $out"
export DD_HARNESS_ENV=$D/env
O=$D/out
mkdir -p "$O"
dd() { "$DBDECK" -c "$D/dbdeck.ini" --passphrase-file "$D/passphrase" "$@"; }
leader() { bash "$PH" leader "$D"; }
q() { bash "$PH" psql "$D" "$1" -d app -c "$2" 2>&1; }
# poll SECONDS CMD...: until CMD succeeds
poll() {
	local limit=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS >= limit)) && return 1
		sleep 0.3
	done
}
# healthy LEADER: Patroni names LEADER and it sees two replicas streaming
healthy() {
	[[ $(leader) == "$1" ]] &&
		[[ $(q "$1" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 2 ]]
}

# 1. Patroni's view
dd patroni pt show >"$O/show.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "leader pg1" "$O/show.txt" && [[ $(grep -c " replica " "$O/show.txt") == 2 ]]
ok $? "patroni show: leader pg1, two replicas" "$rc $(cat "$O/show.txt")"
dd status --json >"$O/status.json" 2>&1
python3 - "$O/status.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["clusters"][0]["patroni"]
assert c["ok"] and c["leader"] == "pg1" and not c["paused"], c
assert sorted(m["role"] for m in c["members"]) == ["leader", "replica", "replica"], c
PY
ok $? "status --json: a patroni object (leader, paused, members)" "$(head -c 1500 "$O/status.json")"
dcs_recent() {
	dd status --json >"$O/status.json" 2>&1
	python3 - "$O/status.json" <<'PY'
import json, sys, time
d = json.load(open(sys.argv[1]))
ms = d["clusters"][0]["patroni"]["members"]
assert all(isinstance(m["dcs_last_seen"], int) and abs(time.time() - m["dcs_last_seen"]) < 30 for m in ms), ms
assert not [a for a in d["alerts"] if a["rule"] == "patroni_dcs_stale"], d["alerts"]
PY
}
# a few tries: right after the harness is ready an agent may miss status's 1 s deadline
poll 20 dcs_recent
ok $? "status --json: each member's dcs_last_seen (GET /patroni) is recent, no patroni_dcs_stale" "$(head -c 1500 "$O/status.json")"

# 1b. the same servers in a file that does not say what manages them
grep -v '^manager = \|^patroni_url = ' "$D/dbdeck.ini" >"$D/auto.ini"
sed 's/^database = app$/database = app\nmanager = none/' "$D/auto.ini" >"$D/none.ini"
if ((port8008)); then
	"$DBDECK" -c "$D/auto.ini" check-config --probe >"$O/auto-check.txt" 2>&1
	rc=$?
	[[ $rc == 0 ]] && grep -q "warning: cluster pt: a Patroni agent answers at http://127.0.0.1:8008" "$O/auto-check.txt"
	ok $? "undeclared Patroni: check-config --probe warns" "$rc $(cat "$O/auto-check.txt")"
	"$DBDECK" -c "$D/auto.ini" check-config >"$O/auto-check0.txt" 2>&1
	rc=$?
	[[ $rc == 0 ]] && ! grep -q "Patroni" "$O/auto-check0.txt"
	ok $? "check-config without --probe asks no host (no Patroni warning)" "$rc $(cat "$O/auto-check0.txt")"
	"$DBDECK" -c "$D/auto.ini" --passphrase-file "$D/passphrase" status >"$O/auto-status.txt" 2>&1
	grep -q "warning: a Patroni agent answers at http://127.0.0.1:8008" "$O/auto-status.txt"
	ok $? "undeclared Patroni: status (the monitor) warns" "$(cat "$O/auto-status.txt")"
	"$DBDECK" -c "$D/auto.ini" --passphrase-file "$D/passphrase" switchover pt --to pg2 --dry-run >"$O/auto-sw.txt" 2>&1
	rc=$?
	[[ $rc == 5 ]] && grep -q "FAIL.*manager.*a Patroni agent answers" "$O/auto-sw.txt"
	ok $? "undeclared Patroni: dbdeck's own switchover refuses (exit 5)" "$rc $(cat "$O/auto-sw.txt")"
	"$DBDECK" -c "$D/none.ini" --passphrase-file "$D/passphrase" switchover pt --to pg2 --dry-run >"$O/none-sw.txt" 2>&1
	rc=$?
	[[ $rc == 0 ]] && ! grep -q "manager" "$O/none-sw.txt"
	ok $? "manager = none said: the dry run of dbdeck's own switchover is not refused" "$rc $(cat "$O/none-sw.txt")"
else
	for t in "check-config --probe warns" "check-config without --probe" "status warns" "own switchover refuses" "manager = none"; do
		n=$((n + 1))
		echo "ok $n - # SKIP undeclared Patroni: $t (port 8008 is taken)"
	done
fi

# 2. switchover to each replica and back, a writer through the router
"$WRITER" pg 9 200 >"$O/writer.txt" 2>"$O/writer.err" &
BG=$!
sleep 2
dd switchover pt --to pg2 --yes >"$O/sw2.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "POST /switchover" "$O/sw2.txt" && grep -q "^Outcome: done" "$O/sw2.txt" &&
	! grep -q "pg_promote" "$O/sw2.txt"
ok $? "switchover to pg2 through Patroni: exit 0, done; dbdeck did not promote itself" "$rc $(cat "$O/sw2.txt")"
wait "$BG"
wrc=$?
BG=
res=$(cat "$O/writer.txt")
[[ $wrc == 0 && $res == *" missing=0 "* && $res == *" primary=pg2" ]]
ok $? "no acknowledged write lost; the writer's router follows pg2" "$res $(cat "$O/writer.err")"
gap=$(sed -n 's/.* gap_s=\([0-9.]*\).*/\1/p' <<<"$res")
echo "# longest write gap during the Patroni switchover: ${gap}s (dbdeck's own: the switchover-pg test's 'longest write gap' line)"
poll 30 healthy pg2
ok $? "Patroni's leader is pg2, both replicas stream from it" "$(leader)"
dd switchover pt --to pg3 --yes >"$O/sw3.txt" 2>&1
rc=$?
poll 30 healthy pg3
ok $((rc + $?)) "switchover to pg3: exit 0, Patroni's leader is pg3" "$rc $(leader) $(tail -6 "$O/sw3.txt")"
dd switchover pt --to pg1 --yes >"$O/sw1.txt" 2>&1
rc=$?
poll 30 healthy pg1
ok $((rc + $?)) "and back to pg1" "$rc $(leader) $(tail -6 "$O/sw1.txt")"
dd audit verify >/dev/null 2>&1 && [[ $(grep -c '"action":"switchover"' "$D/audit.log") == 6 ]]
ok $? "audit: a start and an end record per switchover, the chain verifies" "$(tail -2 "$D/audit.log")"

# 3. maintenance mode
dd patroni pt pause --yes --read-only >"$O/ro.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "read-only" "$O/ro.txt"
ok $? "pause under --read-only: refused (exit 5)" "$rc $(cat "$O/ro.txt")"
dd patroni pt pause --yes >"$O/pause.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "Patroni says paused" "$O/pause.txt"
ok $? "pause: exit 0, Patroni reports maintenance mode" "$rc $(cat "$O/pause.txt")"
dd switchover pt --to pg2 --yes >"$O/swp.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "FAIL.*paused.*maintenance mode" "$O/swp.txt" && [[ $(leader) == pg1 ]]
ok $? "a switchover while paused: refused (exit 5), nothing changed" "$rc $(cat "$O/swp.txt")"
# resume from the console: :patroni pt resume, the typed dialog, the job
sock=ddpt-$$
tmx() { tmux -L "$sock" "$@"; }
screen_has() { tmx capture-pane -p | grep -qE -- "$1"; }
tmx -f /dev/null new-session -d -x 120 -y 50 \
	"env LANG=C.UTF-8 $DBDECK -c $D/dbdeck.ini --passphrase-file $D/passphrase; sleep 120"
poll 30 screen_has "patroni leader pg1 PAUSED"
ok $? "console: the overview shows Patroni's leader and PAUSED" "$(tmx capture-pane -p | head -8)"
tmx send-keys ":patroni pt resume" Enter
poll 10 screen_has "Patroni resume of pt\?"
tmx send-keys -l pt
tmx send-keys Enter
poll 20 screen_has "resume of pt done"
rc=$?
poll 10 bash -c "! '$DBDECK' -c '$D/dbdeck.ini' patroni pt show | grep -q PAUSED"
ok $((rc + $?)) "console: :patroni pt resume, confirmed by typing pt: Patroni manages the cluster again" \
	"$(tmx capture-pane -p | tail -12)"
# restart a member from the console: :patroni pt restart pg3, the typed dialog, the job
tmx send-keys ":patroni pt restart pg3" Enter
poll 10 screen_has "Patroni restart of pt member pg3\?"
rc=$?
tmx send-keys -l pt
tmx send-keys Enter
poll 90 screen_has "restart of pt.*done"
ok $((rc + $?)) "console: :patroni pt restart pg3, confirmed by typing pt: pg3 restarted by its agent" \
	"$(tmx capture-pane -p | tail -12)"
poll 60 healthy pg1
# console: pg2's detail shows when its agent last reached the DCS; S on pg2 asks Patroni
tmx send-keys / && tmx send-keys -l pg2 && tmx send-keys Enter
poll 5 screen_has "^. pg2 "
tmx send-keys Enter
poll 10 screen_has "DCS last seen [0-9]+ s ago"
ok $? "console: the node detail shows Patroni's DCS last seen" "$(tmx capture-pane -p | tail -20)"
tmx send-keys Escape
poll 5 screen_has "^. pg2 "
tmx send-keys S
poll 30 screen_has "Switchover of pt: pg1 -> pg2\?"
rc=$?
scr=$(tmx capture-pane -p)
[[ $rc == 0 ]] && grep -q "asked of Patroni" <<<"$scr" && grep -q "Type pt to confirm" <<<"$scr"
ok $? "console: S on pg2 of a Patroni cluster: the typed dialog, the promotion asked of Patroni" "$scr"
tmx send-keys -l pt && tmx send-keys Enter
poll 90 screen_has "Esc: close"
scr=$(tmx capture-pane -p)
poll 30 healthy pg2
rc=$?
[[ $rc == 0 ]] && grep -q "done in" <<<"$scr" && grep -qE "done .*asked of Patroni" <<<"$scr"
ok $? "console: confirmed, the panel's steps done; Patroni's leader is pg2" "$(leader) $scr"
tmx send-keys Escape
tmx kill-server 2>/dev/null
# back to pg1 (Patroni refuses while pg1 still catches up: a few tries)
for _ in 1 2 3 4 5 6; do
	dd switchover pt --to pg1 --yes >/dev/null 2>&1 && break
	sleep 5
done
poll 60 healthy pg1 || bail "Patroni's leader is not pg1 again: $(leader)"
dd patroni pt reinit pg1 --yes >"$O/reinit.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "Patroni refused (HTTP 503): I am the leader" "$O/reinit.txt"
ok $? "Patroni's refusal (reinit of the leader) is a dbdeck refusal with its reason" "$rc $(cat "$O/reinit.txt")"
[[ $(grep -c '"action":"patroni-' "$D/audit.log") == 8 ]]
ok $? "audit: start and end records of pause, resume and restart (console) and reinit" "$(grep patroni- "$D/audit.log" | tail -3)"

# 3b. a switchover scheduled an hour ahead (Patroni's scheduled_at): seen, then cancelled
at=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
dd switchover pt --to pg2 --at 2020-01-01T00:00:00Z --yes >"$O/at-past.txt" 2>&1
rc=$?
[[ $rc == 2 ]] && grep -q "in the past" "$O/at-past.txt"
ok $? "switchover --at a past time: usage error (exit 2)" "$rc $(cat "$O/at-past.txt")"
"$DBDECK" -c "$D/none.ini" --passphrase-file "$D/passphrase" switchover pt --to pg2 --at "$at" --dry-run >"$O/at-none.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "FAIL.*scheduled.*runs now only" "$O/at-none.txt"
ok $? "switchover --at on a cluster not managed by Patroni: refused (exit 5)" "$rc $(cat "$O/at-none.txt")"
dd switchover pt --to pg2 --at "$at" --yes >"$O/at.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q '"scheduled_at": "'"$at"'"' "$O/at.txt" &&
	grep -q "^Outcome: done.*scheduled: Patroni switches pt over to pg2 at $at" "$O/at.txt" && [[ $(leader) == pg1 ]]
ok $? "switchover --at an hour ahead: done (scheduled), pg1 still leads" "$rc $(leader) $(cat "$O/at.txt")"
dd patroni pt show >"$O/at-show.txt" 2>&1
grep -q "scheduled switchover at ${at:0:16}.* from pg1 to pg2" "$O/at-show.txt"
ok $? "patroni show: the scheduled switchover" "$(cat "$O/at-show.txt")"
# status --json: scheduled_switchover (null or its at/from/to); ARG: want one (1) or none (0)
sched_json() {
	dd status --json >"$O/at-status.json" 2>&1
	python3 - "$O/at-status.json" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["clusters"][0]["patroni"]["scheduled_switchover"]
if sys.argv[2] == "1":
    assert s and s["to"] == "pg2" and s["from"] == "pg1" and s["at"], s
else:
    assert s is None, s
PY
}
sched_json 1
ok $? "status --json: patroni.scheduled_switchover (at, from pg1, to pg2)" "$(head -c 1500 "$O/at-status.json")"
dd patroni pt cancel-switchover --yes >"$O/cancel.txt" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "DELETE .*/switchover" "$O/cancel.txt" && grep -q "Patroni shows none" "$O/cancel.txt"
ok $? "patroni cancel-switchover: exit 0, Patroni shows none" "$rc $(cat "$O/cancel.txt")"
dd patroni pt show >"$O/at-show2.txt" 2>&1
! grep -q "scheduled" "$O/at-show2.txt" && sched_json 0
ok $? "cancelled: gone from show and status --json" "$(cat "$O/at-show2.txt") $(head -c 600 "$O/at-status.json")"
dd patroni pt cancel-switchover --yes >"$O/cancel2.txt" 2>&1
rc=$?
[[ $rc == 5 ]] && grep -q "Patroni refused (HTTP 404)" "$O/cancel2.txt"
ok $? "cancel-switchover with none scheduled: Patroni's refusal, exit 5" "$rc $(cat "$O/cancel2.txt")"
[[ $(grep -c '"action":"patroni-cancel-switchover"' "$D/audit.log") == 4 &&
	$(grep -c '"action":"switchover".*"scheduled_at"' "$D/audit.log") -ge 1 ]]
ok $? "audit: the scheduled switchover's records, a start and an end per cancel-switchover" "$(tail -4 "$D/audit.log")"
[[ $(leader) == pg1 ]]
ok $? "nothing switched over: pg1 leads" "$(leader)"

# 4. a node promoted by hand behind Patroni's back (Patroni paused, so that it does not undo it)
dd patroni pt pause --yes >/dev/null 2>&1
q pg3 "SELECT pg_promote()" >/dev/null
poll 10 bash -c "[[ \$(bash '$PH' psql '$D' pg3 -d app -c 'SELECT pg_is_in_recovery()') == f ]]"
sleep 1
dd status --json >"$O/split.json" 2>&1
python3 - "$O/split.json" <<'PY'
import json, sys
al = [a for a in json.load(open(sys.argv[1]))["alerts"] if a["rule"] == "patroni_disagrees"]
assert al and al[0]["severity"] == "critical" and "pg3" in al[0]["message"], al
PY
ok $? "Patroni says pg1 leads, pg3 is writable: critical alert patroni_disagrees" "$(grep -A3 patroni_disagrees "$O/split.json")"
dd patroni pt resume --yes >/dev/null 2>&1 # Patroni demotes and rewinds pg3
poll 150 healthy pg1
ok $? "resumed: Patroni rejoins pg3 as a replica of pg1" "$(dd patroni pt show 2>&1)"

# 5. failover after kill -9 of the leader's postgres and its agent
bash "$PH" kill-node "$D" pg1
dd failover pt --yes >"$O/fo.txt" 2>&1
rc=$?
new=$(leader)
[[ $rc == 0 && ($new == pg2 || $new == pg3) ]] && grep -q "POST /failover" "$O/fo.txt" &&
	grep -q "^Outcome: done: $new is the primary" "$O/fo.txt" && ! grep -q "pg_promote" "$O/fo.txt"
ok $? "failover after kill -9 of pg1 and its agent: dbdeck asked Patroni, reports $new" "$rc $new $(cat "$O/fo.txt")"
[[ $(q "$new" "SELECT pg_is_in_recovery()") == f ]]
ok $? "$new takes writes" "$(q "$new" "SELECT pg_is_in_recovery()")"
bash "$PH" start-node "$D" pg1
poll 150 healthy "$new"
ok $? "pg1's agent back: Patroni rejoins it; both replicas stream from $new" "$(dd patroni pt show 2>&1)"
pw=$(cat "$D/password")
! grep -rlF "$pw" "$D/audit.log" "$O" >/dev/null
ok $? "no password in the audit log or the output"
echo "# patroni suite: $((SECONDS - t0)) s, harness start included"
echo "1..$n"
((failed == 0))
