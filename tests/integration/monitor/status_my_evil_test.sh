#!/usr/bin/env bash
# status_my_evil_test.sh DBDECK SRCDIR: a hostile MariaDB server's strings
# reaching `dbdeck status` (issue 11, the MariaDB half of status_test.sh's
# section 8). my3 of the harness ($DD_HARNESS_ENV) is restarted with its
# version string (`version =` in its my.cnf, what `SELECT @@version`
# answers) set to a title change (OSC 0), a screen clear (ED 2), a C1 CSI
# (U+009B), a right-to-left override (U+202E) and bytes that are not UTF-8
# (the server turns those into '?' itself). status (text, --json, --ascii)
# must print no raw ESC, BEL, C1 or bidi control, valid UTF-8 (ASCII with
# --ascii), the escapes as control pictures, and still see my3 as a healthy
# replica. my3's my.cnf is put back and my3 restarted at exit, whatever
# happens.
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
tmp=$(mktemp -d /tmp/dbdeck-status-my-evil.XXXXXX)
cnf=$dir/my3/my.cnf
cp -p "$cnf" "$tmp/my.cnf.orig" || bail "cannot save $cnf"
restored=
restore() {
	[ -n "$restored" ] && return
	cp -p "$tmp/my.cnf.orig" "$cnf" &&
		bash "$DD_HARNESS" stop-node "$dir" my3 >/dev/null 2>&1
	bash "$DD_HARNESS" start-node "$dir" my3 >/dev/null 2>&1 && restored=1
}
cleanup() { restore; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
my3() { bash "$DD_HARNESS" mariadb "$dir" my3 "$@"; }

# The hostile version; "MariaDB" in it keeps dbdeck's engine detection (a
# server that hides it is taken for MySQL, a separate case).
python3 - "$cnf" <<'EOF' || bail "cannot edit $cnf"
import sys
p = sys.argv[1]
s = open(p, "rb").read()
evil = (b"version = 10.11.99-MariaDB-evil \x1b]0;owned\x07\x1b[2J \xc2\x9b31m"
        b" \xe2\x80\xae rtl \xff\xfe end\n")
assert b"[mariadbd]\n" in s
open(p, "wb").write(s.replace(b"[mariadbd]\n", b"[mariadbd]\n" + evil, 1))
EOF
bash "$DD_HARNESS" stop-node "$dir" my3 >/dev/null 2>&1 && bash "$DD_HARNESS" start-node "$dir" my3 >/dev/null 2>&1
v=$(my3 -N -e 'select @@version' 2>/dev/null)
[[ $v == *$'evil \e]0;owned\a\e[2J'* ]]
ok $? "my3 answers SELECT @@version with the escapes ($(printf '%q' "$v"))"
# the replica must be replicating again before status looks at it
for _ in $(seq 50); do
	my3 -e 'show slave status\G' 2>/dev/null | grep -q 'Slave_SQL_Running: Yes' && break
	sleep 0.2
done

run() { "$dbdeck" -c "$dir/dbdeck.ini" --passphrase-file "$dir/passphrase" status my "$@"; }
run >"$tmp/evil.txt" 2>"$tmp/evil.err"; rc=$?
run --json >"$tmp/evil.json" 2>>"$tmp/evil.err"; rcj=$?
run --ascii >"$tmp/evil.ascii" 2>>"$tmp/evil.err"; rca=$?
ok $([ $rc = 0 ] && [ $rcj = 0 ] && [ $rca = 0 ]; echo $?) \
	"status my (text, JSON, ASCII): exit 0, healthy ($rc $rcj $rca; $(head -c 300 "$tmp/evil.err"))"
python3 - "$tmp/evil.txt" "$tmp/evil.json" "$tmp/evil.ascii" >"$tmp/check.out" 2>&1 <<'EOF'
import json, re, sys
txt, js, asc = (open(f, "rb").read() for f in sys.argv[1:4])
for name, b in (("text", txt), ("json", js), ("ascii", asc)):
    assert b"\x1b" not in b and b"\x07" not in b, name + ": a raw ESC or BEL reached the output"
    s = b.decode("utf-8")  # strict: valid UTF-8
    bad = re.findall("[\x80-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]", s)
    assert not bad, "%s: raw C1 or bidi controls %r" % (name, bad)
    assert "evil" in s, name + ": my3's version is not shown"
# the text and ASCII columns are 40 wide: the start of it
assert "evil \u241b]0;owned\u2407" in txt.decode(), "text: " + repr(txt.decode()[:700])
assert all(c < 0x80 for c in asc), "--ascii printed non-ASCII"
assert "evil ^[]0;owned^G" in asc.decode(), "ascii: " + repr(asc[:700])
d = json.loads(js)
my3 = [x for x in d["clusters"][0]["nodes"] if x["name"] == "my3"][0]
want = "10.11.99-MariaDB-evil \u241b]0;owned\u2407\u241b[2J <9B>31m <U+202E> rtl "
assert my3["version"].startswith(want), repr(my3["version"])
assert not re.search("[\x00-\x1f\x7f-\x9f]", my3["version"]), "JSON: a control in " + repr(my3["version"])
assert my3["role"] == "replica" and my3["state"] == "up", my3
print("fine")
EOF
ok $? "text, JSON and ASCII: escapes as control pictures, C1 as <9B>, bidi as <U+202E>, valid UTF-8, my3 a replica"
grep -v '^fine$' "$tmp/check.out" | sed 's/^/# /'

restore
[ -n "$restored" ] && ! my3 -N -e 'select @@version' 2>/dev/null | grep -q evil
ok $? "my3 restarted with its own version"
echo "1..$n"
[ $failed = 0 ]
