#!/usr/bin/env bash
# test.sh: `make test`. Builds the sanitizer tree, starts the real-server
# harness once (with a watchdog on this shell, so even a SIGKILL of this run
# leaves no server behind), runs every meson suite, stops the harness, and
# prints as its last line `N passed, M failed, K skipped` (non-zero exit when
# M > 0), after a short recap of what failed (test names and their `not ok`
# lines), so that the tail of a CI log says which check broke. The counts
# come from meson's JSON test log (tools/testlog.py), not from its console.
#
#   tools/test.sh                  everything
#   tools/test.sh --suite unit     one suite (repeatable); the harness starts
#                                  only for integration, tui and tsan
#
# Suites: format (tracked .c/.h files against clang-format), unit, fuzz
# (corpus replays, then every libFuzzer target for $DD_FUZZ_SECONDS, default
# 10, in a clang build: build-fuzz/), integration, tui, asan (unit and fuzz
# under ASan+UBSan: build-asan/), patroni (a Patroni-managed cluster on a
# harness of its own: tests/integration/patroni), tsan (the tests of the
# meson suite `tsan` under ThreadSanitizer: build-tsan/; some of them need the harness). $BUILD
# names the gcc build directory (default build); the other trees are
# $BUILD-asan, $BUILD-fuzz and $BUILD-tsan.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$PWD
# $BUILD (default build) is the gcc tree; the others sit next to it.
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3 # Debian's, not a user's shim
asan=$build-asan
fuzz=$build-fuzz
tsan=$build-tsan
suites=()
while [ $# -gt 0 ]; do
	case $1 in
	--suite) suites+=("$2"); shift 2 ;;
	*) echo "usage: tools/test.sh [--suite NAME]..." >&2; exit 2 ;;
	esac
done
[ ${#suites[@]} -eq 0 ] && suites=(format unit fuzz integration tui patroni asan tsan)
want() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

passed=0 failed=0 skipped=0
recap=() skips=()
hdir=""
logdir=$build/test-logs
mkdir -p "$logdir"

stop_harness() {
	if [ -n "$hdir" ]; then
		bash tests/harness/harness.sh stop "$hdir" >/dev/null 2>&1 || true
		hdir=""
	fi
}
trap 'stop_harness' EXIT
trap 'echo "test: interrupted" >&2; stop_harness; exit 130' INT TERM HUP

# A check that could not run: one failure, named in the recap.
broken() {
	recap+=("$1")
	failed=$((failed + 1))
}

# build_tree LABEL DIR SUITES MESON-SETUP-ARGS...: sets up (the first time)
# and builds another tree, such as a sanitizer one: everything when SUITES
# is "all", else only what the tests of those meson suites need (the targets
# `meson test` itself would rebuild: tools/testtargets.py). A failed build
# is a failure.
build_tree() {
	local label=$1 dir=$2 only=$3 start=$SECONDS; shift 3
	local blog=$logdir/$label-build.log targets=()
	if { [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" > "$blog" 2>&1; } &&
		ninja -C "$dir" build.ninja >> "$blog" 2>&1 && # regenerate if meson files changed
		if [ "$only" = all ]; then
			ninja -C "$dir" >> "$blog" 2>&1
		else
			# shellcheck disable=SC2086 # SUITES is a list of words
			mapfile -t targets < <("$python" tools/testtargets.py "$dir" $only) &&
				[ ${#targets[@]} -gt 0 ] && ninja -C "$dir" "${targets[@]}" >> "$blog" 2>&1
		fi; then
		echo "== $label: built in $((SECONDS - start)) s" >&2
		return 0
	fi
	echo "test: the $label build failed (see $blog)" >&2
	tail -20 "$blog" >&2
	broken "$label: the build failed (see $blog)"
	return 1
}

# run_suite LABEL BUILDDIR MESON-TEST-ARGS...
# Runs one `meson test` and adds its results, read from meson's JSON log
# (meson-logs/testlog.json, one object per test), to the totals. A suite
# that must run and did not (no test selected, fewer results than tests,
# every test skipped, or meson failing on its own) counts as a failure.
run_suite() {
	local label=$1 dir=$2; shift 2
	local log=$logdir/$label.log json=$dir/meson-logs/testlog.json
	local expected rc p="" f="" s="" start=$SECONDS line
	local -a x
	echo "== $label" >&2
	expected=$(meson test -C "$dir" --no-rebuild --list "$@" 2>/dev/null |
		grep -cv -e '^$' -e '^No suitable tests defined')
	if [ "$expected" -eq 0 ]; then
		echo "test: $label: no test selected by \`meson test $*\` in $dir" >&2
		broken "$label: no test ran (meson test -C $dir $*)"
		return
	fi
	rm -f "$json"
	meson test -C "$dir" --no-rebuild --print-errorlogs "$@" > "$log" 2>&1
	rc=$?
	grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):' "$log" | awk '!seen[$0]++' >&2
	# meson's logs are rewritten by the next run: keep them.
	cp "$dir/meson-logs/testlog.txt" "$logdir/$label-testlog.txt" 2>/dev/null
	cp "$json" "$logdir/$label-testlog.json" 2>/dev/null
	{
		read -r p f s _
		while IFS=$'\t' read -r -a x; do
			if [ "${x[0]}" = skip ]; then
				skips+=("$label: ${x[1]}")
				continue
			fi
			recap+=("$label: ${x[1]} ${x[2]}")
			for line in "${x[@]:3}"; do
				recap+=("    $line")
			done
		done
	} < <("$python" tools/testlog.py "$json" "$expected")
	if ! [[ "$p$f$s" =~ ^[0-9]+$ ]]; then
		recap+=("$label: the JSON log could not be read ($json)")
		p=0 f=1 s=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		recap+=("$label: meson test exited with status $rc (see $log)")
		f=1
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		recap+=("$label: every test was skipped: the suite did not run")
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	echo "== $label: $p passed, $f failed, $s skipped in $((SECONDS - start)) s" >&2
}

# Every tracked .c/.h file as clang-format would write it (tools/format-check.sh).
want format && run_suite format "$build" --suite format

# The vault tamper test changes every byte and cuts every length through the
# binary here (~630 runs); the sanitizer run below keeps its sampled variant.
want unit && DD_VAULT_TAMPER_FULL=1 run_suite unit "$build" --suite unit
# The corpora replayed by the gcc build, then the whole tree built with clang
# and libFuzzer (ASan+UBSan; this is also the check that the tree builds with
# clang), each fuzz target run for $DD_FUZZ_SECONDS on a copy
# of its corpus (tests/fuzz/fuzz_run.sh). Clang comes from tools/deps.sh --fuzz.
if want fuzz; then
	run_suite fuzz "$build" --suite fuzz
	echo "== fuzz-run: the tree with clang, each libFuzzer target for ${DD_FUZZ_SECONDS:-10} s" >&2
	if ! command -v clang >/dev/null; then
		broken "fuzz-run: clang is not installed (tools/deps.sh --fuzz installs it)"
	elif CC=clang build_tree fuzz-run "$fuzz" all -Dfuzz=true -Db_sanitize=address,undefined; then
		run_suite fuzz-run "$fuzz" --suite fuzz
	fi
fi

# The ThreadSanitizer tree is built before the harness starts; its suite
# (pool, breaker and router unit tests, the pool integration tests, one
# monitor and one router integration test) runs against the harness.
tsan_built=0
if want tsan; then
	echo "== tsan: building the tree with ThreadSanitizer" >&2
	build_tree tsan "$tsan" tsan -Db_sanitize=thread -Db_lundef=false && tsan_built=1
fi

if want integration || want tui || [ $tsan_built = 1 ]; then
	hdir=$(mktemp -d /tmp/dbdeck-test.XXXXXX)
	chmod 755 "$hdir"
	echo "== harness: starting in $hdir" >&2
	if bash tests/harness/harness.sh start "$hdir" --watch $$ 2> "$logdir/harness.log"; then
		tail -1 "$logdir/harness.log" >&2
		export DD_HARNESS_ENV=$hdir/env
		if [ -x tests/harness/mkvault.sh ]; then
			tests/harness/mkvault.sh "$build/tui/dbdeck" "$hdir" >> "$logdir/harness.log" 2>&1 ||
				echo "test: could not make the harness vault (see $logdir/harness.log)" >&2
		fi
		# One at a time: fault tests stop, pause and kill nodes of the shared harness.
		want integration && run_suite integration "$build" --suite integration --num-processes 1
		want tui && run_suite tui "$build" --suite tui --num-processes 1
		[ $tsan_built = 1 ] &&
			TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
				run_suite tsan "$tsan" --suite tsan
	else
		echo "test: the harness did not start:" >&2
		tail -20 "$logdir/harness.log" >&2
		broken "harness: did not start (see $logdir/harness.log)"
		[ $tsan_built = 1 ] && broken "tsan: not run (it needs the harness)"
	fi
	stop_harness
fi

# Clusters managed by Patroni (issue 16): one test on a harness of its own
# (etcd and three Patroni agents, tests/harness/patroni.sh), about 100 s.
want patroni && run_suite patroni "$build" --suite patroni --num-processes 1

if want asan; then
	echo "== asan: unit and fuzz suites under ASan+UBSan" >&2
	if build_tree asan "$asan" "unit fuzz" -Db_sanitize=address,undefined -Db_lundef=false; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_suite asan "$asan" --suite unit --suite fuzz
	fi
fi

if [ ${#skips[@]} -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${skips[@]}" | head -8
fi
if [ ${#recap[@]} -gt 0 ]; then
	echo "what failed:"
	printf '  %s\n' "${recap[@]}" | head -24
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
