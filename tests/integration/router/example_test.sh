#!/usr/bin/env bash
# example_test.sh EXAMPLE: runs docs/examples/pool_example against both
# harness clusters (the harness's own dbdeck.ini, its password file) and
# checks that the write was answered by the primary and the read by a
# replica. TAP output.
set -u
example=$1
n=0 failed=0
check() { # check COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
if [ -z "${DD_HARNESS_ENV:-}" ] || [ ! -r "$DD_HARNESS_ENV" ]; then
	echo "Bail out! DD_HARNESS_ENV is not set or not readable"
	exit 1
fi
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
for c in pg my; do
	out=$("$example" "$DD_HARNESS_DIR/dbdeck.ini" "$c" "$DD_USER" "$DD_PASSWORD_FILE" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	check $rc "$c: pool_example exits 0"
	printf '%s\n' "$out" | grep -q "^write answered by ${c}1: write → ${c}1 (primary)$"
	check $? "$c: the write was answered by the primary ${c}1"
	printf '%s\n' "$out" | grep -Eq "^read answered by ${c}[23]: read → ${c}[23] \("
	check $? "$c: the read was answered by a replica"
	printf '%s\n' "$out" | grep -qi "password\|$(head -c 8 "$DD_PASSWORD_FILE")"
	check $((!$?)) "$c: no secret in the output"
done
echo "1..$n"
[ "$failed" -eq 0 ]
