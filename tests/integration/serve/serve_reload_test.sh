#!/usr/bin/env bash
# serve_reload_test.sh DBDECK SRCDIR: SIGHUP reloads `dbdeck serve`'s
# configuration: a cluster added to the file appears in /metrics and
# /status, and no node shows down while the new core makes its first
# round, and the unchanged clusters keep their pools (the same server
# sessions before and after); a broken file is refused (a log line says so, the reload counter
# counts it) and the old configuration keeps serving; the listening socket
# stays throughout (the same port answers). SIGTERM then exits 0.
set -uo pipefail
dbdeck=$1 src=$2
. "$src/tests/integration/serve/lib.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cfg=$tmp/dbdeck.ini
cp "$dir/dbdeck.ini" "$cfg"
serve_start "$cfg"
wait_live && wait_ready; ok $? "serve is ready"
! curl -s "$url/metrics" | grep -q 'cluster="extra"'; ok $? "no cluster extra before"

# The sessions dbdeck holds on pg1 (pools and prober) before the reload.
sessions() {
	bash "$DD_HARNESS" psql "$dir" pg1 -Atc "SELECT string_agg(pid::text, ',' ORDER BY pid)
	  FROM pg_stat_activity WHERE application_name LIKE 'dbdeck%' AND backend_start < '$1'"
}
sleep 1
mark=$(bash "$DD_HARNESS" psql "$dir" pg1 -Atc "SELECT now()")
before=$(sessions "$mark")
printf '\n[cluster extra]\nengine = postgresql\nnodes = extra1\ndatabase = app\ncredential = harness\n\n[node extra1]\nhost = 127.0.0.1\nport = %s\n' \
	"$DD_PG1_PORT" >>"$cfg"
kill -HUP "$serve_pid"
seen= flaps=0
for _ in $(seq 300); do
	curl -s "$url/metrics" >"$tmp/r.txt"
	grep -q '^db_up{cluster="pg",node="pg1"} 0$' "$tmp/r.txt" && flaps=$((flaps + 1))
	grep -q '^db_up{cluster="extra",node="extra1"} 1$' "$tmp/r.txt" && seen=1 && break
	sleep 0.1
done
[ -n "$seen" ]; ok $? "SIGHUP with a cluster added: it appears in /metrics, up"
[ "$flaps" = 0 ]; ok $? "no node of the unchanged clusters shows down during the reload ($flaps scrapes did)"
curl -s "$url/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "extra" in [c["name"] for c in d["clusters"]]'
ok $? "and in /status"
grep -q 'reloaded: 3 cluster(s), 2 of them unchanged' "$tmp/serve.log"; ok $? "the log says it reloaded, two clusters unchanged"
after=$(sessions "$mark")
[ -n "$before" ] && [ "$after" = "$before" ]
ok $? "the unchanged cluster kept its pools: dbdeck's sessions on pg1 are the same ones ($before / $after)"

printf '[cluster broken\nnot a line\n' >>"$cfg"
kill -HUP "$serve_pid"
refused=
for _ in $(seq 50); do
	grep -q 'reload refused' "$tmp/serve.log" && refused=1 && break
	sleep 0.1
done
[ -n "$refused" ]; ok $? "SIGHUP with a broken file: refused, and the log says so"
grep -q 'dbdeck.ini:[0-9]*: error' "$tmp/serve.log"; ok $? "with the file:line of the errors"
sleep 1.2
curl -s "$url/metrics" >"$tmp/m.txt"
grep -q '^db_up{cluster="extra",node="extra1"} 1$' "$tmp/m.txt" &&
	grep -q '^db_up{cluster="pg",node="pg1"} 1$' "$tmp/m.txt"
ok $? "the old configuration keeps serving (fresh snapshots of every cluster)"
grep -q '^dbdeck_config_reloads_total{result="ok"} 1$' "$tmp/m.txt" &&
	grep -q '^dbdeck_config_reloads_total{result="refused"} 1$' "$tmp/m.txt"
ok $? "dbdeck_config_reloads_total counts one ok, one refused"
kill -0 "$serve_pid"; ok $? "serve still runs"
serve_stop
[ "$serve_rc" = 0 ]; ok $? "SIGTERM exits 0 (got $serve_rc)"
finish
