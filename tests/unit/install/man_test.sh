#!/usr/bin/env bash
# man_test.sh DBDECK MANPAGE: the man page (docs/dbdeck.1) cannot drift from
# --help. Every command `dbdeck --help` lists (but those marked "not yet"),
# every option it and each `dbdeck COMMAND --help` print, every exit code and
# every DBDECK_* variable of --help appear in the page; and the page renders
# with `man --warnings` without a warning. When a check fails, its line
# names what to add to the page.
set -u
dd=$1 page=$2
n=0 failed=0

check() { # check NAME COMMAND...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=1
	fi
}

# The page's text without roff font changes and escapes: \fB, \fI, \fR, \-.
text=$(sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' "$page")
help=$("$dd" --help)

# The commands: lines of the Commands: section that start with two spaces and
# a name; a "(not yet)" (on that line or its continuation) drops it, and its
# lines are left out of $built, the help the options are read from.
commands=()
cmd= entry= built=
while IFS= read -r line; do
	if [[ $line =~ ^\ \ ([a-z][a-z-]*) ]]; then
		[ -n "$cmd" ] && commands+=("$cmd") && built+=$entry
		cmd=${BASH_REMATCH[1]} entry=
	fi
	entry+=$line$'\n'
	[[ $line == *"(not yet)"* ]] && cmd=
done < <(sed -n '/^Commands:/,/^$/p' <<<"$help" | sed 1d)
[ -n "$cmd" ] && commands+=("$cmd") && built+=$entry
built+=$(sed '/^Commands:/,/^$/d' <<<"$help")
check "--help lists commands (${#commands[@]})" [ ${#commands[@]} -ge 5 ]

# A command is documented when a line of the page starts with a macro and it.
for c in "${commands[@]}"; do
	check "command '$c' has its entry in the man page" \
		grep -qE "^\.[A-Z]+ +\"?$c( |\"|\$)" <<<"$text"
done

# Options: every --long name, and the short ones of the main help (-c, -h, -V).
options() { grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' | sed 's/^[^-]//'; }
opts=$( {
	options <<<"$built"
	grep -oE '^ +-[a-zA-Z],' <<<"$built" | tr -d ' ,'
	for c in "${commands[@]}"; do "$dd" "$c" --help 2>&1 | options; done
} | sort -u)
for o in $opts; do
	check "option $o is in the man page" grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" <<<"$text"
done
for c in "${commands[@]}"; do
	"$dd" "$c" --help >/dev/null 2>&1
	check "'dbdeck $c --help' exits 0 (its options are read from it)" [ $? -eq 0 ]
done

# Exit codes: each "N word" of the help's Exit codes paragraph is a .B N item.
codes=$(sed -n '/^Exit codes:/,/^$/p' <<<"$help" | grep -oE '(^|[ ,:])[0-9] [a-z]' | grep -oE '[0-9]' | sort -u)
check "--help lists exit codes" [ -n "$codes" ]
exit_status=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' <<<"$text")
for e in $codes; do
	check "exit code $e is under EXIT STATUS" grep -qx "\.B $e" <<<"$exit_status"
done

# Environment variables named by --help are under ENVIRONMENT.
environment=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' <<<"$text")
for v in $(grep -oE '\$?(DBDECK_[A-Z_]+|NO_COLOR)' <<<"$help" | tr -d '$' | sort -u); do
	check "environment variable $v is under ENVIRONMENT" grep -qE "^\.B[R]? +$v" <<<"$environment"
done
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS 'EXIT STATUS' ENVIRONMENT FILES; do
	check "section $s" grep -qx "\.SH $s" <<<"$text"
done

# It renders, without a warning from groff or man.
if command -v man >/dev/null; then
	warnings=$(MANWIDTH=80 MANPAGER=cat man --warnings -l "$page" 2>&1 >/dev/null)
	check "man --warnings -l renders it without a warning${warnings:+: $warnings}" [ -z "$warnings" ]
else
	echo "ok $((n += 1)) # SKIP man is not installed (tools/deps.sh installs man-db)"
fi

echo "1..$n"
exit $failed
