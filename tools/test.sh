#!/usr/bin/env bash
# test.sh: `make test`. Builds the sanitizer tree, starts the real-server
# harness once (with a watchdog on this shell, so even a SIGKILL of this run
# leaves no server behind), runs every meson suite, stops the harness, and
# prints as its last line `N passed, M failed` (non-zero exit when M > 0),
# after a short recap of what failed (test names and their `not ok` lines),
# so that the tail of a CI log says which check broke.
#
#   tools/test.sh                  everything
#   tools/test.sh --suite unit     one suite (repeatable); the harness starts
#                                  only when integration or tui is asked for
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD:-build}
asan=build-asan
suites=()
while [ $# -gt 0 ]; do
	case $1 in
	--suite) suites+=("$2"); shift 2 ;;
	*) echo "usage: tools/test.sh [--suite NAME]..." >&2; exit 2 ;;
	esac
done
[ ${#suites[@]} -eq 0 ] && suites=(unit fuzz integration tui asan)
want() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

passed=0 failed=0
recap=()
hdir=""
logdir=$root/$build/test-logs
mkdir -p "$logdir"

stop_harness() {
	if [ -n "$hdir" ]; then
		bash tests/harness/harness.sh stop "$hdir" >/dev/null 2>&1 || true
		hdir=""
	fi
}
trap 'stop_harness' EXIT
trap 'echo "test: interrupted" >&2; stop_harness; exit 130' INT TERM HUP

# Adds the counts of one `meson test` run (its summary lines) to the totals.
count() {
	local log=$1 ok fail
	ok=$(awk '/^Ok:/ {a+=$2} /^Expected Fail:/ {a+=$3} END {print a+0}' "$log")
	fail=$(awk '/^Fail:/ {a+=$2} /^Unexpected Pass:/ {a+=$3} /^Timeout:/ {a+=$2} /^Skipped:/ {a+=$2} END {print a+0}' "$log")
	if ! grep -qE '^Ok:|No suitable tests defined' "$log"; then
		fail=$((fail + 1)) # meson itself failed: count the run as one failure
	fi
	passed=$((passed + ok)); failed=$((failed + fail))
}

# run_suite LABEL BUILDDIR MESON-TEST-ARGS...
run_suite() {
	local label=$1 dir=$2; shift 2
	local log=$logdir/$label.log
	echo "== $label" >&2
	meson test -C "$dir" --no-rebuild --print-errorlogs "$@" 2>&1 | tee "$log" |
		grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):' >&2
	count "$log"
	# meson's full log (every test's output) is rewritten by the next run: keep it.
	cp "$dir/meson-logs/testlog.txt" "$logdir/$label-testlog.txt" 2>/dev/null
	# Failed tests by name, then the TAP lines that failed (with a few lines
	# of their diagnostics).
	local line
	while IFS= read -r line; do
		recap+=("$label: $line")
	done < <(grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR|SKIP|UNEXPECTEDPASS) ' "$log" |
		sed -E 's/^ *[0-9]+\/[0-9]+ +//; s/ +/ /g' | awk '!seen[$0]++'
		awk '/^test: / {t = $0; sub(/^test: +/, "", t); d = 0} /^(not ok|Bail out!)/ {print "    " t ": " $0; d = 3; next}
			d > 0 && /^#/ {print "      " $0; d--; next} {d = 0}' "$logdir/$label-testlog.txt" 2>/dev/null |
			head -12)
}

# The vault tamper test changes every byte and cuts every length through the
# binary here (~630 runs); the sanitizer run below keeps its sampled variant.
want unit && DD_VAULT_TAMPER_FULL=1 run_suite unit "$build" --suite unit
want fuzz && run_suite fuzz "$build" --suite fuzz

if want integration || want tui; then
	hdir=$(mktemp -d /tmp/dbdeck-test.XXXXXX)
	chmod 755 "$hdir"
	echo "== harness: starting in $hdir" >&2
	if bash tests/harness/harness.sh start "$hdir" --watch $$ 2> "$logdir/harness.log"; then
		tail -1 "$logdir/harness.log" >&2
		export DD_HARNESS_ENV=$hdir/env
		if [ -x tests/harness/mkvault.sh ]; then
			tests/harness/mkvault.sh "$root/$build/tui/dbdeck" "$hdir" >> "$logdir/harness.log" 2>&1 ||
				echo "test: could not make the harness vault (see $logdir/harness.log)" >&2
		fi
		# One at a time: fault tests stop, pause and kill nodes of the shared harness.
		want integration && run_suite integration "$build" --suite integration --num-processes 1
		want tui && run_suite tui "$build" --suite tui --num-processes 1
	else
		echo "test: the harness did not start:" >&2
		tail -20 "$logdir/harness.log" >&2
		failed=$((failed + 1))
	fi
	stop_harness
fi

if want asan; then
	echo "== asan: unit and fuzz suites under ASan+UBSan" >&2
	if { [ -f $asan/build.ninja ] || meson setup $asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } &&
		ninja -C $asan > "$logdir/asan-build.log" 2>&1; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_suite asan $asan --suite unit --suite fuzz
	else
		echo "test: the sanitizer build failed (see $logdir/asan-build.log)" >&2
		tail -20 "$logdir/asan-build.log" >&2
		failed=$((failed + 1))
	fi
fi

if [ ${#recap[@]} -gt 0 ]; then
	echo "what failed:"
	printf '  %s\n' "${recap[@]}" | head -16
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
