#!/usr/bin/env bash
# fuzz_run.sh: runs one libFuzzer target (a -Dfuzz=true build, CC=clang) for
# a short time, as one TAP test of the `fuzz` suite of that build.
#
#   fuzz_run.sh TARGET CORPUS_DIR        seconds: $DD_FUZZ_SECONDS (default 10)
#
# libFuzzer first replays every input of the corpus, then mutates. It works
# on a copy of the corpus in a temporary directory (removed at exit), so the
# committed corpus never changes. A crash, a sanitizer report (UBSan too: it
# halts), a leak or an input slower than 25 s fails the test; the input that
# did it is kept in the build tree, under fuzz-crashes/TARGET/, and named.
set -uo pipefail
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
	echo "usage: fuzz_run.sh TARGET CORPUS_DIR" >&2
	exit 2
fi
exe=$1 corpus=$2 secs=${DD_FUZZ_SECONDS:-10}
name=$(basename "$exe")
crashes=$(cd "$(dirname "$exe")" && pwd)/fuzz-crashes/$name
work=$(mktemp -d "${TMPDIR:-/tmp}/dbdeck-$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$crashes" || exit 1
cp -R "$corpus/." "$work/corpus/" || exit 1
seeds=$(find "$work/corpus" -type f | wc -l)

echo "# $name: $seeds corpus inputs, then fuzzing for $secs s"
# meson gives this test no timeout (DD_FUZZ_SECONDS may be long): the
# run's own bound is here, with room for the replay and the final merge.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 timeout -k 10 $((secs + 170)) \
	"$exe" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
	-artifact_prefix="$crashes/" "$work/corpus" > "$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
grown=$(($(find "$work/corpus" -type f | wc -l) - seeds))
if [ $rc -eq 0 ] && grep -q 'INITED' "$work/log"; then
	echo "ok 1 - $name: corpus replayed, ${runs:-?} runs in $secs s, no crash ($grown new inputs, dropped)"
else
	artifact=$(sed -n 's/.*Test unit written to //p' "$work/log" | tail -1)
	echo "not ok 1 - $name: exit status $rc${artifact:+, input kept in $artifact}"
	grep -E '^(==[0-9]+==ERROR|SUMMARY:|.*runtime error:|.*ERROR: libFuzzer)' "$work/log" |
		head -6 | sed 's/^/# /'
	tail -20 "$work/log" >&2
	rc=1
fi
echo "1..1"
exit $((rc != 0))
