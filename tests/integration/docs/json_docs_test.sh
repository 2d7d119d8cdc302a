#!/usr/bin/env bash
# json_docs_test.sh DBDECK SRCDIR: every field the JSON outputs print against
# the harness ($DD_HARNESS_ENV) is documented, and the docs name no field
# that is not printed. Field paths are written a.b, arrays as a[].b:
# - `status --json` (one node of cluster my on a closed port, so that an
#   alert is printed too) against the JSON example of docs/monitoring.md;
# - `backup pg --verify --json` against the JSON example of docs/backups.md §2;
# - `backups pg --json` against the table of docs/backups.md §3, and that
#   backup's manifest.json (its members in order) against the table of §7;
# - `switchover pg --to pg2 --dry-run --json`, `failover pg --dry-run --json`
#   and a switchover that is not confirmed (no terminal) against the table of
#   docs/switchover.md §2: the fields marked "after a run only" are the only
#   ones a dry run may leave out; the unconfirmed one says outcome "refused";
# - `audit --json` (with $SUDO_USER and $SSH_CONNECTION set) against the
#   record of docs/security.md §12.
# Nothing is changed on the servers but a backup of database app taken from a
# replica into a temporary directory.
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
tmp=$(mktemp -d /tmp/dbdeck-json-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -m 0700 "$tmp/backups"
# the harness config, backups and the audit log in $tmp, and a node my4 that
# never answers (port 1 on loopback: refused at once) in cluster my
awk -v bdir="$tmp/backups" -v audit="$tmp/audit.log" '
	/^audit_log = / { print "audit_log = " audit; next }
	/^nodes = my1, my2, my3$/ { print "nodes = my1, my2, my3, my4"; next }
	/^credential = / { print; print "backup_dir = " bdir; next }
	{ print }
	END { print ""; print "[node my4]"; print "host = 127.0.0.1"; print "port = 1" }' \
	"$dir/dbdeck.ini" >"$tmp/dbdeck.ini"
run() { "$dbdeck" -c "$tmp/dbdeck.ini" --passphrase-file "$dir/passphrase" "$@"; }

# compare NAME ACTUAL.json DOC-PATHS-FILE [OPTIONAL-PATHS]: the paths of
# ACTUAL against the documented ones; OPTIONAL-PATHS (space separated) may be
# documented without being printed.
compare() {
	python3 - "$2" "$3" "${4:-}" <<'EOF'
import json, sys
def paths(v, pre=""):
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            p = pre + "." + k if pre else k
            out.add(p)
            out |= paths(x, p)
    elif isinstance(v, list):
        for x in v:
            out |= paths(x, pre + "[]")
    return out
actual = paths(json.load(open(sys.argv[1])))
doc = set(open(sys.argv[2]).read().split())
optional = set(sys.argv[3].split())
bad = ["%s: printed, not documented" % p for p in sorted(actual - doc)]
bad += ["%s: documented, not printed" % p for p in sorted(doc - actual - optional)]
print("\n".join(bad))
sys.exit(1 if bad or not actual else 0)
EOF
}

# doc_json FILE MARKER: the field paths of the first ```json block after the
# line containing MARKER (the example must be valid JSON).
doc_json() {
	awk -v m="$2" 'index($0, m) { on = 1 } on && /^```json/ { b = 1; next } b && /^```/ { exit } b { print }' \
		"$src/docs/$1" >"$tmp/doc.json"
	python3 - "$tmp/doc.json" <<'EOF'
import json, sys
def paths(v, pre=""):
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            p = pre + "." + k if pre else k
            out.add(p)
            out |= paths(x, p)
    elif isinstance(v, list):
        for x in v:
            out |= paths(x, pre + "[]")
    return out
print("\n".join(sorted(paths(json.load(open(sys.argv[1]))))))
EOF
}

# doc_table FILE MARKER: the backticked names of the first column of the
# first table after the line containing MARKER, with their parents
# (a[].b documents a too).
doc_table() {
	awk -v m="$2" 'index($0, m) { on = 1 } on && /^\| `/ { print; t = 1; next } t { exit }' "$src/docs/$1" |
		cut -d'|' -f2 | grep -oE '`[][a-z0-9_.]+`' | tr -d '`' |
		awk '{ print; p = $0; while (sub(/(\[\])?\.[a-z0-9_]+$/, "", p)) print p }' | sed 's/\[\]$//' | sort -u
}

# check NAME RC ACTUAL DOC [OPTIONAL]
check() {
	local out
	out=$(compare "$1" "$3" "$4" "${5:-}")
	local r=$?
	ok $([ "$2" = 0 ] && [ $r = 0 ]; echo $?) "$1"
	[ -n "$out" ] && sed 's/^/#   /' <<<"$out"
}

# 1. backup --verify --json, 2. backups --json
run backup pg --verify --json >"$tmp/backup.json" 2>"$tmp/err"
rc=$?
doc_json backups.md '`--json` prints one object whatever happened' >"$tmp/doc-backup" || bail "backups.md: no JSON example"
check "backup pg --verify --json (exit $rc) = docs/backups.md's JSON example" "$rc" "$tmp/backup.json" "$tmp/doc-backup"
run backups pg --json >"$tmp/backups.json" 2>"$tmp/err"
rc=$?
doc_table backups.md '`--json` prints `{"cluster"' >"$tmp/doc-backups"
check "backups pg --json (exit $rc) = docs/backups.md's table" "$rc" "$tmp/backups.json" "$tmp/doc-backups"

# 3. status --json, after the backup (so clusters[].backup is an object for pg)
run status --json >"$tmp/status.json" 2>"$tmp/err"
rc=$?
doc_json monitoring.md 'JSON (`--json`)' >"$tmp/doc-status" || bail "monitoring.md: no JSON example"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["alerts"], "no alert"' "$tmp/status.json"
a=$?
check "status --json (exit $rc: 1 with my4 down, and an alert) = docs/monitoring.md's JSON" \
	"$([ $rc = 1 ] && [ $a = 0 ]; echo $?)" "$tmp/status.json" "$tmp/doc-status"

# the manifest of that backup: its members, in order, are the table of docs/backups.md §7
m=$(ls "$tmp"/backups/pg/*/manifest.json 2>/dev/null | head -1)
python3 - "${m:-/nonexistent}" "$src/docs/backups.md" >"$tmp/check.out" 2>&1 <<'EOF2'
import json, re, sys
got = list(json.load(open(sys.argv[1])))
doc = open(sys.argv[2]).read()
t = doc[doc.index("**manifest.json**"):]
rows = re.findall(r"^\| ([^|]*) \|", t[t.index("| member |"):t.index("\n\n", t.index("| member |"))], re.M)
want = [n for r in rows for n in re.findall(r"`([a-z0-9_]+)`", r)]
assert got == want, "manifest %s\ndocs     %s" % (got, want)
EOF2
r=$?
sed 's/^/# /' "$tmp/check.out"
ok $r "the backup's manifest.json has the members of docs/backups.md's table, in its order"

# 4. switchover and failover --json, dry runs
doc_table switchover.md 'and the outcome as one document' >"$tmp/doc-switch"
run_only="steps[].message steps[].duration_ms text"
run switchover pg --to pg2 --dry-run --json >"$tmp/sw.json" 2>"$tmp/err"
rc=$?
check "switchover pg --to pg2 --dry-run --json (exit $rc) = docs/switchover.md's table" \
	"$rc" "$tmp/sw.json" "$tmp/doc-switch" "$run_only"
run failover pg --dry-run --json >"$tmp/fo.json" 2>"$tmp/err"
rc=$?
check "failover pg --dry-run --json (exit $rc: 5, the primary is up) = docs/switchover.md's table" \
	"$([ $rc = 5 ]; echo $?)" "$tmp/fo.json" "$tmp/doc-switch" "$run_only"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["outcome"] == "refused" and d["exit"] == 5, d["outcome"]' \
	"$tmp/fo.json" 2>&1 | sed 's/^/# /'
p=${PIPESTATUS[0]}
ok "$p" "failover --dry-run with the primary up: outcome refused, exit 5 in the JSON"
# without --yes and without a terminal (setsid): not confirmed, nothing done
setsid "$dbdeck" -c "$tmp/dbdeck.ini" --passphrase-file "$dir/passphrase" switchover pg --to pg2 --json \
	</dev/null >"$tmp/nc.json" 2>"$tmp/err"
rc=$?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["outcome"] == "refused" and d["exit"] == 5, d["outcome"]' \
	"$tmp/nc.json" 2>&1 | sed 's/^/# /'
p=${PIPESTATUS[0]}
ok $([ $rc = 5 ] && [ "$p" = 0 ]; echo $?) \
	"switchover --json not confirmed (no terminal): exit $rc, outcome refused, not dry-run ($(head -c 120 "$tmp/err"))"

# 5. audit --json: every top-level field of every record is documented
SUDO_USER=docs-test SSH_CONNECTION='192.0.2.7 50000 192.0.2.1 22' run prune pg --dry-run >/dev/null 2>&1
run audit --json >"$tmp/audit.jsonl" 2>"$tmp/err"
rc=$?
python3 - "$tmp/audit.jsonl" "$src/docs/security.md" >"$tmp/check.out" 2>&1 <<'EOF'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(recs) >= 4, "only %d records" % len(recs)
actual = set(k for r in recs for k in r)
doc = open(sys.argv[2]).read()
block = doc[doc.index("**A record.**"):]
block = block[:block.index("**The chain.**")]
documented = set(re.findall(r'"([a-z_]+)":', block)) | set(re.findall(r"`([a-z_]+)`", block))
missing = sorted(actual - documented)
assert not missing, "printed, not documented: %s" % missing
assert {"sudo_user", "ssh_client"} <= actual, "sudo_user/ssh_client not printed"
EOF
r=$?
sed 's/^/# /' "$tmp/check.out"
ok $([ $rc = 0 ] && [ $r = 0 ]; echo $?) "audit --json: every field of its records is in docs/security.md's record"

echo "1..$n"
[ $failed = 0 ]
