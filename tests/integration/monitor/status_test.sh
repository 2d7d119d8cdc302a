#!/usr/bin/env bash
# status_test.sh DBDECK SRCDIR: `dbdeck status` against the harness
# ($DD_HARNESS_ENV): the JSON names and values for all six nodes, one
# cluster, the text table, the exit codes (0 healthy, 1 degraded, 2 unknown
# cluster, 3 config error, 4 vault error), a stopped replica reported as
# down with its alert, the monitor-only account is enough, exit 1 when the
# output cannot be written (a full
# disk, a closed pipe), and hostile server strings (escapes, bytes that are
# not UTF-8, 1 MB) printed sanitized (status_evil.sql). The harness is
# restored at exit whatever happens.
set -uo pipefail
dbdeck=$1 src=$2
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
bail() { echo "Bail out! $*"; exit 1; }

[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || bail "DD_HARNESS_ENV is not set (start the harness)"
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
dir=$DD_HARNESS_DIR
[ -s "$dir/vault" ] || "$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null || bail "cannot make the harness vault"
tmp=$(mktemp -d /tmp/dbdeck-status-test.XXXXXX)
stopped=
evil_db=
cleanup() {
	[ -n "$stopped" ] && bash "$DD_HARNESS" start-node "$dir" "$stopped" >/dev/null 2>&1
	[ -n "$evil_db" ] && pg1 -d postgres -qc "DROP DATABASE IF EXISTS $evil_db WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$tmp"
}
pg1() { bash "$DD_HARNESS" psql "$dir" pg1 "$@"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
run() { "$dbdeck" -c "$dir/dbdeck.ini" --passphrase-file "$dir/passphrase" "$@"; }

# 1. both clusters, JSON
run status --json >"$tmp/all.json" 2>"$tmp/all.err"
ok $? "status --json exits 0 on a healthy harness"
python3 - "$tmp/all.json" >"$tmp/check.out" 2>&1 <<'EOF'
import json, sys, datetime
d = json.load(open(sys.argv[1]))
assert d["status"] == "healthy", d["status"]
assert d["generated_at"].endswith("Z")
datetime.datetime.strptime(d["generated_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
assert d["alerts"] == [], d["alerts"]
cl = {c["name"]: c for c in d["clusters"]}
assert sorted(cl) == ["my", "pg"], list(cl)
assert cl["pg"]["engine"] == "postgresql" and cl["my"]["engine"] == "mariadb"
for name, c in cl.items():
    assert c["status"] == "healthy", (name, c["status"])
    assert c["primary"] == name + "1", c["primary"]
    nodes = {x["name"]: x for x in c["nodes"]}
    assert sorted(nodes) == [name + "1", name + "2", name + "3"]
    for nn, x in nodes.items():
        want = "primary" if nn.endswith("1") else "replica"
        assert x["role"] == want, (nn, x["role"])
        assert x["state"] == "up", (nn, x["state"])
        assert x["breaker"] == "closed"
        assert x["host"] == "127.0.0.1" and isinstance(x["port"], int)
        assert set(x["pool"]) == {"active", "idle", "waiting", "max"}
        assert x["pool"]["max"] > 0
        assert set(x["connections"]) == {"used", "max"}
        assert x["connections"]["used"] > 0 and x["connections"]["max"] > 0
        assert isinstance(x["version"], str) and x["version"]
        if want == "primary":
            assert x["lag_seconds"] is None
        else:
            assert isinstance(x["lag_seconds"], (int, float)) and x["lag_seconds"] < 5, x["lag_seconds"]
        keys = {"name", "host", "port", "role", "state", "lag_seconds", "breaker", "pool", "connections", "version"}
        assert set(x) == keys, set(x) ^ keys
print("fine")
EOF
ok $? "JSON: names, roles and states of all six nodes are right"
grep -v '^fine$' "$tmp/check.out" | sed 's/^/# /'

# 2. one cluster
run status my --json >"$tmp/my.json" 2>/dev/null
rc=$?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [c["name"] for c in d["clusters"]] == ["my"]' "$tmp/my.json"
ok $(( rc + $? )) "status my --json: only cluster my"

# 3. the text table
run status >"$tmp/text.out" 2>&1
rc=$?
grep -q '^cluster pg (postgresql): healthy, primary pg1' "$tmp/text.out" &&
	grep -q '^cluster my (mariadb): healthy, primary my1' "$tmp/text.out" &&
	grep -Eq '^  pg2 +replica +up ' "$tmp/text.out" && grep -q '^status: healthy' "$tmp/text.out"
ok $(( rc + $? )) "text: a table per cluster"

# 4. exit codes
run status nosuch >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "no cluster named 'nosuch'" "$tmp/err"
ok $? "unknown cluster: exit 2 with a message"
printf 'wrong passphrase\n' >"$tmp/wrong"; chmod 600 "$tmp/wrong"
"$dbdeck" -c "$dir/dbdeck.ini" --passphrase-file "$tmp/wrong" status >/dev/null 2>&1
ok $([ $? = 4 ]; echo $?) "wrong passphrase: exit 4"
printf '[cluster x]\nengine = oracle\n' >"$tmp/bad.ini"
"$dbdeck" -c "$tmp/bad.ini" --passphrase-file "$dir/passphrase" status >/dev/null 2>&1
ok $([ $? = 3 ]; echo $?) "bad config: exit 3"
"$dbdeck" status --bogus >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "unknown option: exit 2"

# 5. a replica stopped: degraded, down, alert
stopped=my3
bash "$DD_HARNESS" stop-node "$dir" my3 >/dev/null 2>&1 || bail "stop-node my3"
run status --json >"$tmp/down.json" 2>/dev/null
rc=$?
python3 - "$tmp/down.json" >"$tmp/check.out" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "degraded", d["status"]
cl = {c["name"]: c for c in d["clusters"]}
assert cl["my"]["status"] == "degraded" and cl["pg"]["status"] == "healthy"
my3 = [x for x in cl["my"]["nodes"] if x["name"] == "my3"][0]
# a one-shot status never saw my3 answer: its role is unknown, not guessed
assert my3["state"] == "down" and my3["role"] == "unknown", my3
assert my3["connections"]["used"] is None and my3["lag_seconds"] is None
a = [x for x in d["alerts"] if x["rule"] == "node_down"]
assert len(a) == 1 and a[0]["node"] == "my3" and a[0]["cluster"] == "my" and a[0]["severity"] == "critical", d["alerts"]
assert a[0]["since"].endswith("Z") and "my3" in a[0]["message"]
EOF
r2=$?
sed 's/^/# /' "$tmp/check.out"
ok $([ $rc = 1 ] && [ $r2 = 0 ]; echo $?) "a stopped replica: exit 1, degraded, down, node_down alert"
bash "$DD_HARNESS" start-node "$dir" my3 >/dev/null 2>&1 && stopped=
for _ in $(seq 30); do
	run status my >/dev/null 2>&1 && break
	sleep 1
done
run status my >/dev/null 2>&1
ok $? "my3 restarted: healthy again"

# 6. least privilege: the monitor-only account (harness-monitor: dbdeck_mon,
# pg_monitor / PROCESS + SLAVE MONITOR) is all status needs
sed 's/^credential = harness$/credential = harness-monitor/' "$dir/dbdeck.ini" >"$tmp/mon.ini"
"$dbdeck" -c "$tmp/mon.ini" --passphrase-file "$dir/passphrase" status --json >"$tmp/mon.json" 2>"$tmp/mon.err"
rc=$?
python3 - "$tmp/mon.json" >"$tmp/check.out" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "healthy", d["status"]
for c in d["clusters"]:
    assert c["primary"] == c["name"] + "1", c
    for x in c["nodes"]:
        assert x["state"] == "up" and x["role"] in ("primary", "replica"), x
        assert x["connections"]["used"] > 0, x
        if x["role"] == "replica":
            assert isinstance(x["lag_seconds"], (int, float)), x
EOF
r2=$?
sed 's/^/# /' "$tmp/check.out"
ok $([ $rc = 0 ] && [ $r2 = 0 ]; echo $?) "status with the monitor-only account: healthy, roles, connections and lag of all six ($(head -c 200 "$tmp/mon.err"))"

# 7. output that cannot be written: exit 1 with the reason, not 0
for mode in text json; do
	args=(status); [ $mode = json ] && args+=(--json)
	run "${args[@]}" >/dev/full 2>"$tmp/err"
	[ $? = 1 ] && grep -q "writing the status failed: No space left on device" "$tmp/err"
	ok $? "$mode to /dev/full: exit 1, and says why ($(cat "$tmp/err"))"
	# the reader is gone long before the vault is open and the nodes probed
	run "${args[@]}" pg 2>"$tmp/err" | true
	[ "${PIPESTATUS[0]}" = 1 ] && grep -q "writing the status failed: Broken pipe" "$tmp/err"
	ok $? "$mode to a closed pipe: exit 1 (no SIGPIPE death, no 0), and says why"
done

# 8. hostile server strings. A database of its own in SQL_ASCII (so the
# server passes any byte) where the role's search_path puts public before
# pg_catalog: the monitor's current_setting('server_version') then answers
# with a title change (OSC 0), a screen clear (ED 2), bytes that are not
# UTF-8 and 1 MB of text. status must print it sanitized and bounded.
evil_db=dd_status_evil
pg1 -d postgres -qc "CREATE DATABASE $evil_db ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null &&
	pg1 -d "$evil_db" -q -v ON_ERROR_STOP=1 >/dev/null -f "$src/tests/integration/monitor/status_evil.sql"
[ $? = 0 ] || bail "cannot make the hostile database"
for node in pg2 pg3; do # the replicas must have replayed it
	for _ in $(seq 50); do
		bash "$DD_HARNESS" psql "$dir" "$node" -d "$evil_db" -Atc \
			"select count(*) from pg_proc where proname = 'current_setting' and pronamespace = 'public'::regnamespace" \
			2>/dev/null | grep -qx 1 && break
		sleep 0.2
	done
done
len=$(pg1 -d "$evil_db" -Atc "select octet_length(current_setting('server_version'))" 2>/dev/null)
[ "${len:-0}" -gt 1048576 ]
ok $? "the hostile database answers the probe with the hostile 1 MB version"
sed "s/^database = app\$/database = $evil_db/" "$dir/dbdeck.ini" >"$tmp/evil.ini"
evil() { "$dbdeck" -c "$tmp/evil.ini" --passphrase-file "$dir/passphrase" status pg "$@"; }
evil >"$tmp/evil.txt" 2>"$tmp/evil.err"; rc=$?
evil --json >"$tmp/evil.json" 2>>"$tmp/evil.err"; rcj=$?
evil --ascii >"$tmp/evil.ascii" 2>>"$tmp/evil.err"; rca=$?
ok $([ $rc = 0 ] && [ $rcj = 0 ] && [ $rca = 0 ]; echo $?) \
	"status (text, JSON, ASCII) on it: exit 0 ($rc $rcj $rca; $(head -c 300 "$tmp/evil.err"))"
python3 - "$tmp/evil.txt" "$tmp/evil.json" "$tmp/evil.ascii" >"$tmp/check.out" 2>&1 <<'EOF'
import json, sys
txt, js, asc = (open(f, "rb").read() for f in sys.argv[1:4])
for name, b in (("text", txt), ("json", js), ("ascii", asc)):
    assert b"\x1b" not in b and b"\x07" not in b, name + ": a raw ESC or BEL reached the output"
    assert len(b) < 16384, "%s: %d bytes: the 1 MB was not cut" % (name, len(b))
    assert b"end-of-big" not in b and b"x" * 200 not in b, name + ": a column was not cut"
    b.decode("utf-8")  # strict: valid UTF-8
t = txt.decode()
assert "15-evil \u241b]0;owned\u2407\u241b[2J \ufffd" in t, "text: " + repr(t[:600])
assert all(c < 0x80 for c in asc), "--ascii printed non-ASCII"
assert "15-evil ^[]0;owned^G^[[2J ???" in asc.decode(), "ascii: " + repr(asc[:600])
d = json.loads(js)
v = [x for x in d["clusters"][0]["nodes"] if x["name"] == "pg1"][0]["version"]
assert v.startswith("15-evil \u241b]0;owned\u2407\u241b[2J \ufffd\ufffd\ufffd end"), repr(v[:80])
assert len(v) < 1100, len(v)
print("fine")
EOF
ok $? "text, JSON and ASCII: escapes as control pictures, bad bytes as U+FFFD (? in ASCII), the 1 MB cut, valid UTF-8"
grep -v '^fine$' "$tmp/check.out" | sed 's/^/# /'
pg1 -d postgres -qc "DROP DATABASE $evil_db WITH (FORCE)" >/dev/null 2>&1 && evil_db=

echo "1..$n"
[ $failed = 0 ]
