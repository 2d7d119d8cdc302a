#!/usr/bin/env bash
# serve_abuse_test.sh DBDECK SRCDIR: bounded abuse of `dbdeck serve`
# (abuse.py): 500 concurrent connections, 30 slow clients sending a byte a
# second for 6 s then going quiet (cut by connection_timeout = 3s, an idle
# timeout: a client that keeps trickling keeps its one slot, which
# max_connections bounds), oversized headers, malformed
# request lines, unknown paths, HEAD/POST/OPTIONS; a normal scrape during
# the abuse answers within 1 s; no crash; RSS before and after within
# 20 MB. About 15 s.
set -uo pipefail
dbdeck=$1 src=$2
. "$src/tests/integration/serve/lib.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cp "$dir/dbdeck.ini" "$tmp/dbdeck.ini"
printf '\n[serve]\nmax_connections = 600\nconnection_timeout = 3s\n' >>"$tmp/dbdeck.ini"
serve_start "$tmp/dbdeck.ini"
wait_live && wait_ready; ok $? "serve is ready"
TAP_FIRST=$((n + 1)) python3 "$src/tests/integration/serve/abuse.py" 127.0.0.1 "$port" "$serve_pid" >"$tmp/abuse.out"
grep -v '^#count' "$tmp/abuse.out"
read -r _ cnt fl < <(grep '^#count' "$tmp/abuse.out")
n=${cnt:-$n}
failed=$((failed + ${fl:-1}))
kill -0 "$serve_pid" 2>/dev/null; ok $? "serve is still running"
serve_stop
[ "$serve_rc" = 0 ]; ok $? "and exits 0 on SIGTERM (got $serve_rc)"
finish
