#!/usr/bin/env bash
# hook.sh HARNESS DIR fence|rejoin [DELAY]: what a site's fence_command and
# rejoin_command do, for the test harness in DIR: `harness.sh fence DIR
# $DBDECK_NODE` and `harness.sh rejoin DIR $DBDECK_NODE --primary
# $DBDECK_PRIMARY`, the nodes taken from the hook interface's environment
# (docs/switchover.md). Each call first appends its argv and environment,
# as the kernel shows them in /proc, to DIR/hooks.log, for the tests that
# check a hook gets no secret. DELAY: sleep that long first (a slow hook).
set -u
harness=$1 dir=$2 what=$3 delay=${4:-0}
{
	echo "== $what pid $$"
	tr '\0' ' ' </proc/$$/cmdline
	echo
	tr '\0' '\n' </proc/$$/environ
} >>"$dir/hooks.log"
sleep "$delay"
case $what in
fence) exec bash "$harness" fence "$dir" "$DBDECK_NODE" ;;
rejoin) exec bash "$harness" rejoin "$dir" "$DBDECK_NODE" --primary "$DBDECK_PRIMARY" ;;
*) echo "hook.sh: unknown hook $what" >&2; exit 2 ;;
esac
