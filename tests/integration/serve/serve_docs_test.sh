#!/usr/bin/env bash
# serve_docs_test.sh DBDECK SRCDIR: `dbdeck serve` against the harness
# ($DD_HARNESS_ENV): /livez and /readyz; /metrics passes `promtool check
# metrics` (promtool must be installed: tools/deps.sh --test; the test
# fails without it) and its figures equal `dbdeck status --json` taken at
# the same time (roles, up, pool max, server max_connections, lag within one
# refresh, cluster health); /status is the status --json document (the same
# keys everywhere, the same stable values); /health's shape; the
# load-balancer checks (primary URL 200 for the primary and 503 for a
# replica, the replica URL the reverse, 404 for an unknown cluster or node);
# HEAD like GET without a body; POST 405; unknown paths 404; a second serve
# on the same port exits 1; SIGTERM exits 0. serve holds one connection per
# node, the prober's: its pools keep none idle (min_idle is 1 in the config).
set -uo pipefail
dbdeck=$1 src=$2
. "$src/tests/integration/serve/lib.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

serve_start "$dir/dbdeck.ini"
wait_live; ok $? "/livez answers 200"
wait_ready; ok $? "/readyz turns 200 after the first probe round"

# Its TCP connections to the harness's servers (sockets of its fds, by remote port).
db_conns() {
	python3 - "$1" "$DD_PG1_PORT" "$DD_PG2_PORT" "$DD_PG3_PORT" "$DD_MY1_PORT" "$DD_MY2_PORT" "$DD_MY3_PORT" <<'PY'
import os, sys
pid, ports = sys.argv[1], {int(p) for p in sys.argv[2:]}
remote = {}
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(f).readlines()[1:]:
        x = line.split()
        if x[3] == "01":  # ESTABLISHED
            remote[x[9]] = int(x[2].split(":")[1], 16)
n = 0
for fd in os.listdir(f"/proc/{pid}/fd"):
    t = os.readlink(f"/proc/{pid}/fd/{fd}") if os.path.exists(f"/proc/{pid}/fd/{fd}") else ""
    if t.startswith("socket:[") and remote.get(t[8:-1]) in ports:
        n += 1
print(n)
PY
}
sleep 2 # a pool with min_idle would have warmed its connection by now
grep -q '^min_idle' "$dir/dbdeck.ini" && bail "the harness config sets min_idle: this check assumes the default (1)"
nconn=$(db_conns "$serve_pid")
[ "$nconn" = 6 ]; ok $? "one connection per node, the prober's (6 nodes: $nconn connections)"

promtool=$(command -v promtool)
[ -n "$promtool" ]; ok $? "promtool is installed (tools/deps.sh --test)"
curl -sf "$url/metrics" >"$tmp/metrics.txt"
"${promtool:-false}" check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1
ok $? "promtool check metrics passes on live output$(sed 's/^/ # /' "$tmp/promtool.out" | tr '\n' ' ')"

# The same moment: status --json between two scrapes.
curl -sf "$url/metrics" >"$tmp/m1.txt"
"$dbdeck" -c "$dir/dbdeck.ini" --passphrase-file "$dir/passphrase" status --json >"$tmp/status.json" 2>/dev/null
curl -sf "$url/metrics" >"$tmp/m2.txt"
curl -sf "$url/status" >"$tmp/serve-status.json"
python3 - "$tmp/status.json" "$tmp/m1.txt" "$tmp/m2.txt" >"$tmp/values.out" 2>&1 <<'PY'
import json, math, re, sys
st = json.load(open(sys.argv[1]))
def parse(path):
    m = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        g = re.match(r'([a-z_]+)(\{(.*)\})? (\S+)$', line.strip())
        labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', g.group(3) or "")))
        m[(g.group(1), labels)] = float(g.group(4))
    return m
scrapes = [parse(sys.argv[2]), parse(sys.argv[3])]
def val(name, **labels):
    # equal in either scrape: the status moment lies between them
    return [s.get((name, tuple(sorted(labels.items())))) for s in scrapes]
health = {"healthy": 0, "degraded": 1, "unhealthy": 2}
checked = 0
for c in st["clusters"]:
    assert health[c["status"]] in val("db_cluster_health", cluster=c["name"]), c["name"]
    for x in c["nodes"]:
        k = dict(cluster=c["name"], node=x["name"])
        assert float(x["state"] != "down") in val("db_up", **k), (x["name"], "up")
        assert float(c["primary"] == x["name"]) in val("db_node_is_primary", **k), x["name"]
        assert float(x["pool"]["max"]) in val("db_connection_pool_max", **k)
        assert float(x["connections"]["max"]) in val("db_server_max_connections", **k)
        if x["role"] == "replica":
            lags = val("db_replication_lag_seconds", cluster=c["name"], replica=x["name"])
            assert any(abs(l - x["lag_seconds"]) <= 1.0 for l in lags), (x["name"], lags)
            assert 1.0 in val("db_replication_running", cluster=c["name"], replica=x["name"])
        for state in ("active", "idle", "waiting"):
            assert val("db_connection_pool_size", state=state, **k)[0] is not None
        assert val("db_circuit_breaker_state", **k)[0] == 0.0
        checked += 1
    assert val("db_backup_age_seconds", cluster=c["name"])[0] is not None
assert checked == 6, checked
print("checked", checked, "nodes")
PY
ok $? "/metrics figures equal status --json's$(sed 's/^/ # /' "$tmp/values.out" | tail -3 | tr '\n' ' ')"

python3 - "$tmp/status.json" "$tmp/serve-status.json" >"$tmp/status.out" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def keys(x, path=""):
    if isinstance(x, dict):
        return {path + "/" + k for k in x} | set().union(*[keys(v, path + "/" + k) for k, v in x.items()])
    if isinstance(x, list):
        return set().union(*[keys(v, path + "[]") for v in x]) if x else set()
    return set()
assert keys(a) == keys(b), keys(a) ^ keys(b)
for ca, cb in zip(a["clusters"], b["clusters"]):
    for f in ("name", "engine", "status", "primary", "backup"):
        assert ca[f] == cb[f], (f, ca[f], cb[f])
    for na, nb in zip(ca["nodes"], cb["nodes"]):
        for f in ("name", "host", "port", "role", "state", "breaker", "version"):
            assert na[f] == nb[f], (f, na[f], nb[f])
        assert na["pool"]["max"] == nb["pool"]["max"]
PY
ok $? "/status is the status --json document$(sed 's/^/ # /' "$tmp/status.out" | tail -2 | tr '\n' ' ')"

curl -s "$url/health" >"$tmp/health.json"
python3 - "$tmp/health.json" >"$tmp/health.out" 2>&1 <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
assert h["status"] in ("healthy", "degraded"), h["status"]
for c in h["clusters"]:
    assert {x["name"] for x in c["checks"]} >= {"primary", "alerts"}
    for x in c["nodes"]:
        names = {k["name"] for k in x["checks"]}
        assert {"reachable", "breaker"} <= names, names
        if x["role"] == "replica":
            assert "replication_lag" in names, names
        for k in x["checks"]:
            assert k["status"] in ("pass", "warn", "fail") and "value" in k and "reason" in k
PY
ok $? "/health has the overall status and per cluster and node the checks$(sed 's/^/ # /' "$tmp/health.out" | tail -2 | tr '\n' ' ')"
[ "$(code /health)" = 200 ]; ok $? "/health answers 200 on a healthy harness"

lb=""
for c in pg my; do
	lb+="$(code /cluster/$c/primary/${c}1) $(code /cluster/$c/primary/${c}2) "
	lb+="$(code /cluster/$c/replica/${c}2) $(code /cluster/$c/replica/${c}3) $(code /cluster/$c/replica/${c}1) "
done
[ "$lb" = "200 503 200 200 503 200 503 200 200 503 " ]; ok $? "LB checks: primary URL 200 only for the primary, replica URL 200 only for replicas ($lb)"
got="$(code /cluster/nope/primary/pg1) $(code /cluster/pg/primary/nope) $(code /cluster/pg/leader/pg1) $(code /cluster/pg/primary/pg1/x)"
[ "$got" = "404 404 404 404" ]; ok $? "unknown cluster, node or check: 404 ($got)"

curl -s -I "$url/metrics" >"$tmp/head.txt"
head -1 "$tmp/head.txt" | grep -q ' 200' && grep -qi '^content-length: [1-9]' "$tmp/head.txt"
ok $? "HEAD /metrics: 200 with the length of the body"
[ "$(curl -s --head "$url/cluster/pg/primary/pg2" -o /dev/null -w '%{http_code} %{size_download}')" = "503 0" ]
ok $? "HEAD of an LB check answers like GET, without a body"
got="$(code /metrics -X POST) $(code /status -X PUT -d x) $(code /nope -X DELETE)"
[ "$got" = "405 405 405" ]; ok $? "POST, PUT, DELETE: 405 ($got)"
got="$(code /nope) $(code /) $(code /metricsx) $(code '/status/')"
[ "$got" = "404 404 404 404" ]; ok $? "unknown paths: 404 ($got)"

"$dbdeck" -c "$dir/dbdeck.ini" --passphrase-file "$dir/passphrase" serve --listen "127.0.0.1:$port" \
	>/dev/null 2>"$tmp/second.err"
rc=$?
[ $rc = 1 ] && grep -q "cannot serve on 127.0.0.1:$port: .*in use" "$tmp/second.err"
ok $? "a second serve on the same port: exit 1, the address in use (got $rc)"
[ "$(code /livez)" = 200 ]; ok $? "and the first one still answers"

serve_stop
[ "$serve_rc" = 0 ]; ok $? "SIGTERM: drains and exits 0 (got $serve_rc)"
grep -q 'draining and stopping' "$tmp/serve.log"; ok $? "the log says it drains"
finish
