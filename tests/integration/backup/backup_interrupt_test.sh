#!/usr/bin/env bash
# backup_interrupt_test.sh DBDECK SRCDIR: a backup that fails or is
# interrupted leaves no finished-looking backup, on both engines: SIGKILL of
# dbdeck mid-backup (its .partial stays, the tool dies with it, and the next
# backup removes the .partial and succeeds), SIGKILL of the dump tool,
# SIGINT and SIGTERM, a file size limit (RLIMIT_FSIZE), a full disk (a small
# tmpfs, when this machine lets us mount one), backup_dir missing or
# read-only. Each time the message names the cause and the exit is 1.
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

mounts=()
umount_all() { local m; for m in "${mounts[@]}"; do umount "$m"; done; }
on_exit umount_all
# small_fs DIR SIZE: a tmpfs at DIR; false when mounting is not allowed.
small_fs() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null || return 1
	mounts+=("$1")
}

# bg INI ARGS...: dbdeck in the background; $pid is dbdeck itself.
bg() {
	local ini=$1
	shift
	(exec "$dbdeck" -c "$ini" --passphrase-file "$dir/passphrase" "$@" >"$tmp/bg.out" 2>"$tmp/bg.err") &
	pid=$!
}

gone() { ! kill -0 "$1" 2>/dev/null; }

for e in pg my; do
	tool=$([ $e = pg ] && echo pg_dump || echo mariadb-dump)
	on_exit drop_db $e bkbig
	drop_db $e bkbig >/dev/null 2>&1
	make_big $e bkbig 64000 || bail "cannot make the $e test data"
	bk_ini "$tmp/$e.ini"
	sed -i 's/^database = bktest/database = bkbig/' "$tmp/$e.ini"
	ini=$tmp/$e.ini
	args=(backup $e --node ${e}1)

	# SIGKILL of dbdeck
	bg "$ini" "${args[@]}"
	wait_for 60 partial_has_data $e
	child=$(child_of $pid $tool)
	kill -9 $pid
	wait $pid 2>/dev/null
	[ "$(partial_count $e)" = 1 ] && [ "$(complete_count $e)" = 0 ]
	ok $? "$e: SIGKILL of dbdeck mid-backup: only a .partial, no finished backup"
	[ -n "$child" ] && wait_for 10 gone "$child"
	ok $? "$e: the dump tool died with dbdeck (pid ${child:-none})"
	dd "$ini" backups $e 2>&1 | grep -q ' stale'
	ok $? "$e: backups shows the .partial as stale"
	dd "$ini" "${args[@]}" >"$tmp/next.out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q 'left unfinished by an interrupted backup' "$tmp/next.out" &&
		[ "$(partial_count $e)" = 0 ] && [ "$(complete_count $e)" = 1 ]
	ok $? "$e: the next backup removes the .partial and succeeds ($rc)"

	# SIGKILL of the tool
	bg "$ini" "${args[@]}"
	wait_for 60 partial_has_data $e
	child=$(child_of $pid $tool)
	[ -n "$child" ] && kill -9 "$child"
	wait $pid
	rc=$?
	[ $rc = 1 ] && grep -q "$tool was killed by signal 9" "$tmp/bg.err" &&
		[ "$(partial_count $e)" = 0 ] && [ "$(complete_count $e)" = 1 ]
	ok $? "$e: SIGKILL of $tool: exit 1, the cause named, nothing left ($rc)"
	note <"$tmp/bg.err"

	for sig in INT TERM; do
		bg "$ini" "${args[@]}"
		wait_for 60 partial_has_data $e
		child=$(child_of $pid $tool)
		kill -$sig $pid
		wait $pid
		rc=$?
		[ $rc = 1 ] && grep -q "interrupted by SIG$sig" "$tmp/bg.err" &&
			[ "$(partial_count $e)" = 0 ] && [ "$(complete_count $e)" = 1 ] &&
			{ [ -z "$child" ] || gone "$child"; }
		ok $? "$e: SIG$sig: exit 1, the tool stopped, nothing left ($rc)"
	done

	# a file size limit
	(ulimit -f 1024 && exec "$dbdeck" -c "$ini" --passphrase-file "$dir/passphrase" "${args[@]}") >"$tmp/f.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q 'file size limit' "$tmp/f.out" && [ "$(partial_count $e)" = 0 ]
	ok $? "$e: RLIMIT_FSIZE: exit 1, 'file size limit', nothing left ($rc)"
	note <"$tmp/f.out"

	# a full disk
	if small_fs "$tmp/small-$e" 4m; then
		sed "s|^backup_dir = .*|backup_dir = $tmp/small-$e|" "$ini" >"$tmp/small.ini"
		dd "$tmp/small.ini" "${args[@]}" >"$tmp/s.out" 2>&1
		rc=$?
		[ $rc = 1 ] && grep -q 'the disk is full' "$tmp/s.out" &&
			[ -z "$(find "$tmp/small-$e/$e" -mindepth 1 -type d)" ]
		ok $? "$e: a full disk: exit 1, 'the disk is full', nothing left ($rc)"
		note <"$tmp/s.out"
	else
		skip "$e: a full disk (this machine does not let the test mount a tmpfs)"
	fi
done

# backup_dir missing, and read-only
sed "s|^backup_dir = .*|backup_dir = $tmp/nowhere|" "$tmp/pg.ini" >"$tmp/missing.ini"
dd "$tmp/missing.ini" backup pg --node pg1 >"$tmp/m.out" 2>&1
[ $? = 1 ] && grep -q "backup_dir $tmp/nowhere does not exist" "$tmp/m.out" && [ ! -e "$tmp/nowhere" ]
ok $? "backup_dir missing: exit 1, the message says so"
if small_fs "$tmp/ro" 1m && mount -o remount,ro "$tmp/ro"; then
	sed "s|^backup_dir = .*|backup_dir = $tmp/ro|" "$tmp/pg.ini" >"$tmp/ro.ini"
	dd "$tmp/ro.ini" backup pg --node pg1 >"$tmp/ro.out" 2>&1
	[ $? = 1 ] && grep -q 'Read-only file system' "$tmp/ro.out"
	ok $? "backup_dir read-only: exit 1, the message says so"
	note <"$tmp/ro.out"
else
	skip "backup_dir read-only (this machine does not let the test mount a tmpfs)"
fi

finish
