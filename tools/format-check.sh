#!/usr/bin/env bash
# format-check.sh: fails when a tracked .c/.h file differs from what
# clang-format (Debian's clang-format 14, the repository's .clang-format) would
# make of it, and names each such file. It is the `format` test (meson suite
# `format`, run by `make test`); `make format` runs it with --fix.
#
#   tools/format-check.sh [SOURCE_ROOT]        TAP: one line per file
#   tools/format-check.sh --fix [SOURCE_ROOT]  reformat the files in place
set -uo pipefail
fix=0
[ "${1:-}" = "--fix" ] && { fix=1; shift; }
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2

cf=""
for c in clang-format-14 clang-format; do
	command -v "$c" >/dev/null && { cf=$c; break; }
done
if [ -z "$cf" ]; then
	echo "1..0 # SKIP clang-format is not installed (tools/deps.sh --format)"
	exit 0
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find core tui tests -name '*.[ch]' | sort)
fi
if [ $fix = 1 ]; then
	"$cf" -i --style=file "${files[@]}"
	exit
fi

echo "# $("$cf" --version)"
"$cf" --version | grep -q 'version 14\.' ||
	echo "# the tree is formatted with clang-format 14: another version may disagree"
# One run over every file; -Werror makes each difference a diagnostic
# FILE:LINE:COL: error: ... (-Wclang-format-violations), the first per file.
out=$("$cf" --style=file --dry-run --Werror --ferror-limit=1 "${files[@]}" 2>&1)
rc=$?
declare -A bad=()
while IFS= read -r line; do
	[[ $line =~ ^(.+):([0-9]+):[0-9]+:\ error:.*clang-format-violations ]] &&
		bad[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <<< "$out"

n=0 fail=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if [ -n "${bad[$f]:-}" ]; then
		echo "not ok $n - $f differs from $cf (first at line ${bad[$f]}; make format fixes it)"
		fail=1
	else
		echo "ok $n - $f"
	fi
done
if [ $rc -ne 0 ] && [ $fail = 0 ]; then # clang-format failed on its own
	n=$((n + 1))
	echo "not ok $n - $cf exited with status $rc"
	printf '%s\n' "$out" | head -5 | sed 's/^/# /'
	fail=1
fi
[ $fail = 1 ] && echo "# ${#bad[@]} of ${#files[@]} files differ from $cf"
echo "1..$n"
exit $fail
