#!/usr/bin/env bash
# backup_secrets_test.sh DBDECK SRCDIR: while a backup and a restore run on
# each engine, the harness password is in no process's argv or environment
# (every /proc/*/cmdline and /proc/*/environ, scanned over and over while
# the tool runs), the tool reads it through /proc/self/fd/3, an in-memory
# file (memfd) that no longer exists once the tool has exited, and no file
# under backup_dir or the temporary directory holds it. The password is read
# by the scanner from the harness's 0600 file, never put in an argv.
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

bg() {
	local ini=$1
	shift
	(exec "$dbdeck" -c "$ini" --passphrase-file "$dir/passphrase" "$@" >"$tmp/bg.out" 2>"$tmp/bg.err") &
	pid=$!
}

# scan PID TOOL: scans /proc until PID exits; prints "scans tool_seen hits memfd".
scan() {
	python3 - "$dir/password" "$1" "$2" <<'EOF'
import os, sys
pw = open(sys.argv[1], "rb").read().strip()
pid, tool = int(sys.argv[2]), sys.argv[3]
scans = seen = hits = memfd = 0
def read(p):
    try:
        with open(p, "rb") as f:
            return f.read()
    except OSError:
        return b""
while os.path.exists(f"/proc/{pid}") and read(f"/proc/{pid}/stat").split(b")")[-1].split()[0] != b"Z":
    scans += 1
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        if pw in read(f"/proc/{p}/cmdline") or pw in read(f"/proc/{p}/environ"):
            hits += 1
            print("# found in", p, read(f"/proc/{p}/cmdline")[:80], file=sys.stderr)
        if read(f"/proc/{p}/comm").strip() == tool.encode()[:15]:
            seen += 1
            try:
                if os.readlink(f"/proc/{p}/fd/3").startswith("/memfd:dbdeck-password"):
                    memfd += 1
            except OSError:
                pass
print(scans, seen, hits, memfd)
EOF
}

for e in pg my; do
	tool=$([ $e = pg ] && echo pg_dump || echo mariadb-dump)
	rtool=$([ $e = pg ] && echo pg_restore || echo mariadb)
	on_exit drop_db $e bkbig
	on_exit drop_db $e bkbig_copy
	drop_db $e bkbig >/dev/null 2>&1
	drop_db $e bkbig_copy >/dev/null 2>&1
	make_big $e bkbig 48000 || bail "cannot make the $e test data"
	bk_ini "$tmp/$e.ini" $e:backup_key=backup-key
	sed -i 's/^database = bktest/database = bkbig/' "$tmp/$e.ini"

	bg "$tmp/$e.ini" backup $e --node ${e}1
	read -r scans seen hits memfd < <(scan $pid $tool)
	wait $pid
	rc=$?
	ok $rc "$e: the backup succeeds while it is watched"
	[ "$seen" -gt 0 ] && [ "$hits" = 0 ]
	ok $? "$e: while $tool ran, the password was in no argv or environment ($scans scans, $seen sightings of $tool, $hits hits)"
	[ "$memfd" -gt 0 ]
	ok $? "$e: $tool read it from /proc/self/fd/3, an in-memory file ($memfd of $seen)"

	bg "$tmp/$e.ini" restore $e latest --into bkbig_copy --yes
	read -r scans seen hits memfd < <(scan $pid $rtool)
	wait $pid
	ok $? "$e: the restore succeeds while it is watched"
	[ "$seen" -gt 0 ] && [ "$hits" = 0 ] && [ "$memfd" -gt 0 ]
	ok $? "$e: while $rtool ran, the password was in no argv or environment ($scans scans, $seen sightings, $hits hits, memfd $memfd)"

	! grep -rqaF -f "$dir/password" "$tmp/backups" "$TMPDIR"
	ok $? "$e: no file under backup_dir or the temporary directory holds the password"
	! ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -q 'memfd:dbdeck-password'
	ok $? "$e: the in-memory password file is gone once the tools have exited"
done

finish
