#!/usr/bin/env bash
# serve_fault_test.sh DBDECK SRCDIR: /readyz is 503 while serve starts with
# pg3 SIGSTOPped, 200 once its first probe gave up. Then a replica
# SIGSTOPped under `dbdeck serve` (harness pause-node pg3; resumed at exit
# whatever happens): /health
# turns degraded or unhealthy and pg3's check fails once the node is
# declared down (after two refreshes of 1 s; the bound is a generous 10 s
# for a loaded machine), while every /metrics scrape meanwhile answers within 1 s (scrapes
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

# Readiness: started while pg3 hangs, serve is live at once but not ready
# until pg3's first probe has given up (it is unknown until then).
bash "$DD_HARNESS" pause-node "$dir" pg3 >/dev/null && paused=pg3
ok $? "pg3 SIGSTOPped before serve starts"
serve_start "$dir/dbdeck.ini"
wait_live; ok $? "/livez answers 200 at once"
[ "$(code /readyz)" = 503 ]; ok $? "/readyz answers 503 before the first probe round is done"
wait_ready; ok $? "/readyz turns 200 once pg3's first probe gave up"
bash "$DD_HARNESS" resume-node "$dir" pg3 >/dev/null && paused=
for _ in $(seq 100); do [ "$(code /cluster/pg/replica/pg3)" = 200 ] && break; sleep 0.2; done
[ "$(code /cluster/pg/replica/pg3)" = 200 ]; ok $? "pg3 resumed passes the replica check"

bash "$DD_HARNESS" pause-node "$dir" pg3 >/dev/null && paused=pg3
ok $? "pg3 SIGSTOPped"
# One python loop: a /metrics scrape (timed) and a /health read, every 0.1 s.
python3 - "$url" "$tmp/m.txt" >"$tmp/poll.out" 2>&1 <<'PY'
import json, sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
slowest, scrapes, series, turned, st = 0.0, 0, 0, None, "never"
while time.monotonic() - t0 < 20 and turned is None:
    t = time.monotonic()
    body = urllib.request.urlopen(url + "/metrics", timeout=5).read()
    slowest = max(slowest, time.monotonic() - t)
    scrapes += 1
    open(out, "wb").write(body)
    series += b'db_up{cluster="pg",node="pg3"}' in body
    try:
        h = json.load(urllib.request.urlopen(url + "/health", timeout=5))
    except urllib.error.HTTPError as e:  # 503 when unhealthy, same body
        h = json.load(e)
    n = [x for c in h["clusters"] for x in c["nodes"] if x["name"] == "pg3"][0]
    r = [k for k in n["checks"] if k["name"] == "reachable"][0]
    st = "%s %s" % (h["status"], r["status"])
    if r["status"] == "fail" and h["status"] != "healthy":
        turned = time.monotonic() - t0
    time.sleep(0.1)
print("%s %.3f %d %d %s" % ("%.1f" % turned if turned is not None else "never", slowest, scrapes, series, st))
PY
read -r turned slowest scrapes series st <"$tmp/poll.out"
[ "$turned" != never ] && python3 -c "import sys; sys.exit(0 if $turned <= 10 else 1)"
ok $? "/health turns degraded or unhealthy with pg3's reachable check failing (down after two refreshes of 1 s; bound 10 s for a loaded machine: after $turned s: $st)"
t=$(curl -s -o "$tmp/m.txt" -w '%{time_total}' --max-time 5 "$url/metrics")
scrapes=$((scrapes + 1))
grep -q '^db_up{cluster="pg",node="pg3"}' "$tmp/m.txt" && series=$((series + 1))
python3 -c "import sys; sys.exit(0 if max($slowest, $t) < 1.0 else 1)"
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
