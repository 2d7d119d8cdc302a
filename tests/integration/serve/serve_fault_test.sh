#!/usr/bin/env bash
# serve_fault_test.sh DBDECK SRCDIR: a replica SIGSTOPped under `dbdeck
# serve` (harness pause-node pg3; resumed at exit whatever happens): /health
# turns degraded or unhealthy and pg3's check fails within two refreshes of
# the node being declared down (refresh 1 s, down after 2 s: 6 s in all,
# generous), while every /metrics scrape meanwhile answers within 1 s (scrapes
# never wait on a database) and keeps pg3's series, with db_up 0; the
# replica LB check of pg3 turns 503. After the resume it comes back.
set -uo pipefail
dbdeck=$1 src=$2
. "$src/tests/integration/serve/lib.sh"
paused=
cleanup() {
	[ -n "$paused" ] && bash "$DD_HARNESS" resume-node "$dir" "$paused" >/dev/null 2>&1
	serve_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

serve_start "$dir/dbdeck.ini"
wait_live && wait_ready; ok $? "serve is ready"
[ "$(code /cluster/pg/replica/pg3)" = 200 ]; ok $? "pg3 passes the replica check before"

bash "$DD_HARNESS" pause-node "$dir" pg3 >/dev/null && paused=pg3
ok $? "pg3 SIGSTOPped"
t0=$(date +%s.%N) turned= slowest=0 scrapes=0 series=0
for _ in $(seq 40); do
	t=$(curl -s -o "$tmp/m.txt" -w '%{http_code} %{time_total}' --max-time 5 "$url/metrics")
	scrapes=$((scrapes + 1))
	slowest=$(python3 -c "print(max($slowest, ${t#* }))")
	grep -q '^db_up{cluster="pg",node="pg3"}' "$tmp/m.txt" && series=$((series + 1))
	st=$(curl -s --max-time 5 "$url/health" | python3 -c '
import json, sys
h = json.load(sys.stdin)
n = [x for c in h["clusters"] for x in c["nodes"] if x["name"] == "pg3"][0]
r = [k for k in n["checks"] if k["name"] == "reachable"][0]
print(h["status"], r["status"])')
	case $st in degraded\ fail | unhealthy\ fail) turned=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))"); break ;; esac
	sleep 0.25
done
[ -n "$turned" ] && python3 -c "import sys; sys.exit(0 if $turned <= 6 else 1)"
ok $? "/health turns degraded with pg3 failing within 6 s (after ${turned:-never} s: $st)"
t=$(curl -s -o "$tmp/m.txt" -w '%{time_total}' --max-time 5 "$url/metrics")
slowest=$(python3 -c "print(max($slowest, $t))")
scrapes=$((scrapes + 1))
grep -q '^db_up{cluster="pg",node="pg3"}' "$tmp/m.txt" && series=$((series + 1))
python3 -c "import sys; sys.exit(0 if $slowest < 1.0 else 1)"
ok $? "every /metrics scrape meanwhile answered within 1 s ($scrapes scrapes, slowest $slowest s)"
[ "$series" = "$scrapes" ]; ok $? "pg3's series stay in /metrics ($series of $scrapes)"
grep -q '^db_up{cluster="pg",node="pg3"} 0$' "$tmp/m.txt"; ok $? "db_up of pg3 is 0"
grep -q '^db_replication_lag_seconds{cluster="pg",replica="pg3"} ' "$tmp/m.txt" &&
	grep -q '^db_replication_running{cluster="pg",replica="pg3"} 0$' "$tmp/m.txt"
ok $? "pg3's lag series is still there, db_replication_running 0"
[ "$(code /cluster/pg/replica/pg3)" = 503 ]; ok $? "pg3's replica LB check is 503"

bash "$DD_HARNESS" resume-node "$dir" pg3 >/dev/null && paused=
back=
for _ in $(seq 100); do
	[ "$(code /cluster/pg/replica/pg3)" = 200 ] && back=1 && break
	sleep 0.2
done
[ -n "$back" ]; ok $? "after the resume pg3 passes the replica check again"
finish
