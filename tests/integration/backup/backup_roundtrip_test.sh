#!/usr/bin/env bash
# backup_roundtrip_test.sh DBDECK SRCDIR: on both engines, a database of
# known data (NULLs, unicode, a large bytea/blob, a view, a function;
# MariaDB also a procedure and a trigger) is backed up from a replica,
# listed, verified and restored into a new database whose every table has
# the source's content checksum; the safety checks (existing target, bad
# --into, unknown backup, --deep without verify_target, an audit log that
# cannot be written) and the audit records of each action. Cleans up after
# itself (databases dropped, files removed).
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

for e in pg my; do
	on_exit drop_db $e bktest
	on_exit drop_db $e bktest_copy
	drop_db $e bktest >/dev/null 2>&1
	drop_db $e bktest_copy >/dev/null 2>&1
	make_data $e bktest >/dev/null || bail "cannot make the $e test data"
	wait_repl $e
done
bk_ini "$tmp/a.ini"

for e in pg my; do
	# take
	dd "$tmp/a.ini" backup $e --json >"$tmp/$e.json" 2>"$tmp/$e.err"
	ok $? "$e: backup exits 0"
	id=$(json "$tmp/$e.json" 'd["id"]')
	node=$(json "$tmp/$e.json" 'd["node"]')
	[[ $node == ${e}2 || $node == ${e}3 ]] && grep -q "backing up cluster $e from $node: replica $node is up with lag" "$tmp/$e.err"
	ok $? "$e: the source is a healthy replica, and the reason is printed ($node)"
	[ "$(json "$tmp/$e.json" 'd["status"], d["sha256"] != "", d["bytes_stored"] > 0')" = "('ok', True, True)" ]
	ok $? "$e: --json gives one result object"
	path=$(json "$tmp/$e.json" 'd["path"]')
	[ -d "$path" ] && [ -s "$path/manifest.json" ] && [ "$(stat -c %a "$path")" = 700 ] &&
		! ls -d "$tmp/backups/$e/"*.partial 2>/dev/null
	ok $? "$e: the backup directory is there (0700), no .partial left"
	[ "$(json "$path/manifest.json" '(d["cluster"], d["engine"] != "", d["node"], d["tool_version"] != "", d["server_version"] != "", d["position"]["kind"], len(d["tables"]), d["compression"])')" = "('$e', True, '$node', True, True, '$([ $e = pg ] && echo lsn || echo gtid)', 3, '$([ $e = pg ] && echo none || echo zstd)')" ]
	ok $? "$e: the manifest has cluster, node, versions, position, tables, compression"
	est=$(json "$path/manifest.json" '[t["rows_estimate"] for t in d["tables"] if t["table"] == "numbers"][0]')
	[ "$est" -gt 2500 ] && [ "$est" -lt 7500 ]
	ok $? "$e: the manifest has the row estimates (numbers: $est of 5000)"

	# list and verify
	dd "$tmp/a.ini" backups $e --json >"$tmp/list.json" 2>&1
	[ "$(json "$tmp/list.json" '[(b["id"], b["check"], b["encrypted"], "daily" in b["kept_by"]) for b in d["backups"]]')" = "[('$id', 'unverified', False, True)]" ]
	ok $? "$e: backups lists it unverified, kept by the daily rule"
	dd "$tmp/a.ini" verify $e "$id" >"$tmp/v.out" 2>&1
	ok $? "$e: verify exits 0"
	dd "$tmp/a.ini" backups $e >"$tmp/list.txt" 2>&1 && grep -q "^$id .* verified 20" "$tmp/list.txt"
	ok $? "$e: backups shows it verified"

	# restore
	dd "$tmp/a.ini" restore $e latest --into bktest_copy --yes >"$tmp/r.out" 2>&1
	ok $? "$e: restore --into a new database exits 0"
	diff <(sums $e bktest) <(sums $e bktest_copy) >"$tmp/diff" 2>&1 && [ "$(sums $e bktest | wc -l)" = 3 ]
	ok $? "$e: every table's content checksum equals the source's"
	note <"$tmp/diff"
	[ "$(routines $e bktest)" = "$(routines $e bktest_copy)" ] && [ "$(routines $e bktest_copy | cut -d' ' -f1,2)" = "5 3" ]
	ok $? "$e: the function and the view are restored"

	# refusals
	before=$(sums $e bktest_copy)
	dd "$tmp/a.ini" restore $e "$id" --into bktest_copy --yes >"$tmp/r2.out" 2>&1
	rc=$?
	[ $rc = 5 ] && grep -q 'exists' "$tmp/r2.out" && [ "$(sums $e bktest_copy)" = "$before" ]
	ok $? "$e: restore into an existing database without --replace: exit 5, nothing touched ($rc)"
	dd "$tmp/a.ini" restore $e "$id" --into bktest_copy --replace --yes >/dev/null 2>&1 &&
		diff <(sums $e bktest) <(sums $e bktest_copy) >/dev/null
	ok $? "$e: --replace restores over it"
	before=$(sums $e bktest)
	drop_db $e bktest >/dev/null 2>&1
	dd "$tmp/a.ini" restore $e "$id" --into bktest --yes >"$tmp/r5.out" 2>&1 &&
		[ "$(sums $e bktest)" = "$before" ]
	ok $? "$e: the cluster's own database dropped: restore --into it brings it back"
	note <"$tmp/r5.out"
	setsid -w "$dbdeck" -c "$tmp/a.ini" --passphrase-file "$dir/passphrase" restore $e "$id" \
		--into bktest_x </dev/null >"$tmp/r6.out" 2>&1
	[ $? = 5 ] && grep -q 'give --yes' "$tmp/r6.out" && [ "$(db_exists $e bktest_x)" = 0 ]
	ok $? "$e: without --yes and without a terminal to ask on: refused (5), nothing restored"
	dd "$tmp/a.ini" restore $e "$id" --into 'bad-name' --yes >/dev/null 2>&1
	[ $? = 2 ]
	ok $? "$e: --into an invalid name exits 2"
	dd "$tmp/a.ini" restore $e "$id" --into 1abc --yes >/dev/null 2>&1
	[ $? = 2 ]
	ok $? "$e: --into a name starting with a digit exits 2"
	dd "$tmp/a.ini" restore $e deadbeef --into bktest_x --yes >"$tmp/r3.out" 2>&1
	[ $? = 2 ] && grep -q "no backup 'deadbeef'" "$tmp/r3.out"
	ok $? "$e: an unknown backup exits 2"
	dd "$tmp/a.ini" restore $e "$id" --into mysql --yes >"$tmp/r4.out" 2>&1
	[ $? = 5 ] && grep -q 'system database' "$tmp/r4.out"
	ok $? "$e: a system database as the target is refused (5)"
	dd "$tmp/a.ini" verify $e --deep >"$tmp/d.out" 2>&1
	[ $? = 5 ] && grep -q 'no verify_target' "$tmp/d.out"
	ok $? "$e: verify --deep without verify_target exits 5 with a clear message"
done

# admin_credential: the backup uses it when set (the monitor-only credential cannot dump)
bk_ini "$tmp/mon.ini"
sed -i 's/^credential = harness$/credential = harness-monitor/' "$tmp/mon.ini"
bk_ini "$tmp/adm.ini" pg:admin_credential=harness my:admin_credential=harness
sed -i 's/^credential = harness$/credential = harness-monitor/' "$tmp/adm.ini"
for e in pg my; do
	dd "$tmp/mon.ini" backup $e --node ${e}1 >"$tmp/mon.out" 2>&1
	rc=$?
	dd "$tmp/adm.ini" backup $e --node ${e}1 >"$tmp/adm.out" 2>&1
	[ $rc = 1 ] && [ $? = 0 ]
	ok $? "$e: with the monitor-only credential the dump fails ($rc); with admin_credential it works"
	note <"$tmp/mon.out"
done

# the audit log: a start and an end record per action, the chain intact
python3 - "$tmp/audit.log" >"$tmp/audit.out" 2>&1 <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
starts = {r["id"]: r for r in recs if r["phase"] == "start"}
ends = {r["id"]: r for r in recs if r["phase"] == "end"}
assert set(starts) == set(ends), "a start without an end"
seen = {(starts[i]["action"], starts[i]["cluster"], ends[i]["outcome"]) for i in starts}
for c in ("pg", "my"):
    for want in [("backup", c, "done"), ("verify", c, "done"), ("restore", c, "done"),
                 ("prune", c, "done"), ("restore", c, "refused"), ("verify", c, "refused")]:
        assert want in seen, want
print("fine")
EOF
ok $? "audit: start and end records for backup, verify, restore, prune (done and refused)"
note <"$tmp/audit.out"
dd "$tmp/a.ini" audit verify >/dev/null 2>&1
ok $? "audit: the chain verifies"
! grep -qF -f "$dir/password" "$tmp/audit.log"
ok $? "audit: no record holds the password"

# an action whose start record cannot be written does not start
bk_ini "$tmp/noaudit.ini"
sed -i "s|^audit_log = .*|audit_log = $tmp/backups|" "$tmp/noaudit.ini" # a directory: unwritable
count=$(ls "$tmp/backups/pg" | wc -l)
dd "$tmp/noaudit.ini" backup pg --node pg1 >"$tmp/na.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'audit log' "$tmp/na.out" && [ "$(ls "$tmp/backups/pg" | wc -l)" = "$count" ]
ok $? "an audit log that cannot be written: exit 1, no backup started ($rc)"
note <"$tmp/na.out"

finish
