#!/usr/bin/env bash
# bench.sh: `make bench`. Starts the harness, runs every benchmark declared
# with meson's benchmark() (tests/bench/meson.build) through
# `meson test --benchmark`, one at a time, and stops the harness. Benchmarks
# print a table and `RESULT <name> <value>` lines; they never fail on a
# timing. $BUILD names the build directory (default build).
#
#   tools/bench.sh                 every benchmark
#   tools/bench.sh bench_monitor   the ones named
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$PWD
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
if ! meson test -C "$build" --benchmark --no-rebuild --list "$@" 2>/dev/null |
	grep -qv -e '^$' -e '^No suitable tests defined'; then
	echo "bench: no benchmarks yet"
	exit 0
fi
hdir=$(mktemp -d /tmp/dbdeck-bench.XXXXXX)
chmod 755 "$hdir"
trap 'bash tests/harness/harness.sh stop "$hdir" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM HUP
bash tests/harness/harness.sh start "$hdir" --watch $$ || exit 1
export DD_HARNESS_ENV=$hdir/env
[ -x tests/harness/mkvault.sh ] && tests/harness/mkvault.sh "$build/tui/dbdeck" "$hdir" >/dev/null
# --verbose: each benchmark's table streams as it runs.
meson test -C "$build" --benchmark --no-rebuild --verbose --num-processes 1 "$@"
