#!/usr/bin/env bash
# layering_test.sh: proves the compiler enforces "core/ never includes curses"
# and "only tui/term/ includes curses" (tui_guard.h, forced on the rest of tui/).
# Compiles a tiny file with core's forced include (core_guard.h): it must fail
# when it includes <curses.h>, and succeed without it. Also checks no file of
# core/ includes curses and no file of tui/ carries SQL keywords in strings.
# usage: layering_test.sh SOURCE_ROOT CC [CC ARGS...]
set -u
root=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

printf '#include <curses.h>\nint f(void);\nint f(void) { return 0; }\n' > "$tmp/bad.c"
printf '#include <stdio.h>\nint f(void);\nint f(void) { return 0; }\n' > "$tmp/good.c"
"$@" -c -include "$root/core/core_guard.h" "$tmp/bad.c" -o "$tmp/bad.o" 2> "$tmp/bad.err"
rc=$?; [ $rc -ne 0 ] && grep -q poisoned "$tmp/bad.err"; check $? "a core file including curses fails to build"
"$@" -c -include "$root/core/core_guard.h" "$tmp/good.c" -o "$tmp/good.o"
check $? "a core file without curses builds with the guard"
"$@" -c -include "$root/tui/tui_guard.h" "$tmp/bad.c" -o "$tmp/bad2.o" 2> "$tmp/bad2.err"
rc=$?; [ $rc -ne 0 ] && grep -q poisoned "$tmp/bad2.err"; check $? "a tui file outside term/ including curses fails to build"
hits=$(grep -rlE --include='*.[ch]' '#\s*include\s*[<"](n?curses|panel|menu|form|ncursesw/curses)\.h' "$root/tui" 2>/dev/null | grep -v "^$root/tui/term/")
[ -z "$hits" ]; check $? "no file of tui/ outside term/ includes curses ${hits}"
hits=$(grep -rlE --include='*.[ch]' '#\s*include\s*[<"](n?curses|panel|menu|form)\.h' "$root/core" 2>/dev/null)
[ -z "$hits" ]; check $? "no file under core/ includes curses ${hits}"
hits=$(grep -rnE '"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|ALTER|CREATE|SHOW|SET GLOBAL|CHANGE MASTER)[[:space:]]' "$root/tui" 2>/dev/null)
[ -z "$hits" ]; check $? "no file under tui/ builds SQL ${hits}"
echo "1..$n"
exit $fail
