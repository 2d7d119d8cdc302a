#!/usr/bin/env bash
# bench.sh: `make bench`. Starts the harness, runs every benchmark program of
# tests/bench (built by meson into build/tests/bench/) and every script
# tests/bench/bench_*.sh, stops the harness.
# Benchmarks print a table and `RESULT <name> <value>` lines; they never fail
# on a timing.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
benches=$(find build/tests/bench -maxdepth 1 -type f -executable -name 'bench_*' 2>/dev/null | sort)
# Script benchmarks (tests/bench/bench_*.sh) take the binary and the source root.
scripts=$(find tests/bench -maxdepth 1 -type f -executable -name 'bench_*.sh' 2>/dev/null | sort)
if [ -z "$benches$scripts" ]; then
	echo "bench: no benchmarks yet"
	exit 0
fi
hdir=$(mktemp -d /tmp/dbdeck-bench.XXXXXX)
chmod 755 "$hdir"
trap 'bash tests/harness/harness.sh stop "$hdir" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM HUP
bash tests/harness/harness.sh start "$hdir" --watch $$ || exit 1
export DD_HARNESS_ENV=$hdir/env
[ -x tests/harness/mkvault.sh ] && tests/harness/mkvault.sh "$root/build/tui/dbdeck" "$hdir" >/dev/null
rc=0
for b in $benches; do
	echo "== $(basename "$b")"
	"$b" || rc=1
done
for b in $scripts; do
	echo "== $(basename "$b")"
	"$b" "$root/build/tui/dbdeck" "$root" || rc=1
done
exit $rc
