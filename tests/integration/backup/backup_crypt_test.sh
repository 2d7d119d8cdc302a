#!/usr/bin/env bash
# backup_crypt_test.sh DBDECK SRCDIR: encrypted backups on both engines (the
# cluster's backup_key names a vault entry): the stored dump shows nothing of
# the data, the manifest holds the key's fingerprint and never the key, a
# deep verify restores into a scratch database on verify_target, compares
# row counts and leaves no scratch database; a restore round trip gives the
# source's checksums; the wrong key and a missing key are refused (5) with
# nothing restored, and a deep verify with the wrong key fails (1). Cleans up.
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

for e in pg my; do
	on_exit drop_db $e bktest
	on_exit drop_db $e bktest_enc
	drop_db $e bktest >/dev/null 2>&1
	drop_db $e bktest_enc >/dev/null 2>&1
	make_data $e bktest >/dev/null || bail "cannot make the $e test data"
	wait_repl $e
done
bk_ini "$tmp/enc.ini" pg:backup_key=backup-key pg:verify_target=pg1 my:backup_key=backup-key my:verify_target=my1
bk_ini "$tmp/wrong.ini" pg:backup_key=backup-key-2 my:backup_key=backup-key-2 pg:verify_target=pg1 my:verify_target=my1
bk_ini "$tmp/nokey.ini"

scratch_dbs() {
	if [ "$1" = pg ]; then
		pgq pg1 postgres "select count(*) from pg_database where datname like 'dbdeck_verify_%'"
	else
		myq my1 mysql "select count(*) from information_schema.schemata where schema_name like 'dbdeck\_verify\_%'"
	fi
}

for e in pg my; do
	dd "$tmp/enc.ini" backup $e --verify --json >"$tmp/$e.json" 2>"$tmp/$e.err"
	ok $? "$e: encrypted backup --verify exits 0"
	path=$(json "$tmp/$e.json" 'd["path"]')
	m=$path/manifest.json
	[ "$(json "$m" '(d["encryption"]["cipher"], d["encryption"]["key_name"], len(d["encryption"]["key_fingerprint"]), d["file"].endswith(".enc"))')" = "('xchacha20poly1305-secretstream', 'backup-key', 32, True)" ]
	ok $? "$e: the manifest names the cipher, the key entry and its fingerprint"
	"$dbdeck" --vault "$dir/vault" --passphrase-file "$dir/passphrase" vault get backup-key \
		--show-password 2>/dev/null | sed -n 's/^password: //p' >"$tmp/secret"
	[ -s "$tmp/secret" ] && ! grep -rqF -f "$tmp/secret" "$path"
	ok $? "$e: the key's secret is nowhere in the backup"
	rm -f "$tmp/secret"
	! grep -aq -e 'people' -e 'shouting' "$path/$(json "$m" 'd["file"]')"
	ok $? "$e: the stored dump shows nothing of the data"

	dd "$tmp/enc.ini" verify $e --deep >"$tmp/deep.out" 2>&1
	ok $? "$e: verify --deep exits 0"
	grep -q 'table .*numbers: 5000 rows' "$tmp/deep.out" && grep -q 'dropped the scratch database' "$tmp/deep.out"
	ok $? "$e: deep verify counted the rows and dropped the scratch database"
	note <"$tmp/deep.out"
	[ "$(scratch_dbs $e)" = 0 ]
	ok $? "$e: no scratch database is left"
	dd "$tmp/enc.ini" backups $e --json >"$tmp/l.json" 2>&1
	[ "$(json "$tmp/l.json" '(d["backups"][0]["check"], d["backups"][0]["check_deep"], d["backups"][0]["encrypted"])')" = "('verified', True, True)" ]
	ok $? "$e: backups shows it deep-verified and encrypted"

	dd "$tmp/enc.ini" restore $e latest --into bktest_enc --yes >"$tmp/r.out" 2>&1
	ok $? "$e: restore of the encrypted backup exits 0"
	diff <(sums $e bktest) <(sums $e bktest_enc) >/dev/null
	ok $? "$e: every table's content checksum equals the source's"
	drop_db $e bktest_enc >/dev/null 2>&1

	# restoring without dbdeck: tools/backup-decrypt.py (docs/backups.md), then the engine's tools
	if /usr/bin/python3 -c 'import nacl.bindings' 2>/dev/null; then
		on_exit drop_db $e bktest_manual
		"$dbdeck" --vault "$dir/vault" --passphrase-file "$dir/passphrase" vault get backup-key \
			--show-password 2>/dev/null | sed -n 's/^password: //p' >"$tmp/secret"
		/usr/bin/python3 "$src/tools/backup-decrypt.py" "$path" "$tmp/secret" >"$tmp/plain"
		rc=$?
		rm -f "$tmp/secret"
		if [ $e = pg ]; then
			pgq pg1 postgres "create database bktest_manual" >/dev/null &&
				PGPASSFILE=$dir/pgpass pg_restore -h 127.0.0.1 -p "$DD_PG1_PORT" -U dbdeck -w \
					-d bktest_manual --exit-on-error "$tmp/plain"
		else
			myq my1 mysql "create database bktest_manual character set utf8mb4" &&
				zstd -dc "$tmp/plain" | bash "$DD_HARNESS" mariadb "$dir" my1 -D bktest_manual --binary-mode
		fi >"$tmp/manual.out" 2>&1
		[ $rc = 0 ] && diff <(sums $e bktest) <(sums $e bktest_manual) >/dev/null
		ok $? "$e: restored without dbdeck (backup-decrypt.py, then the engine's own tools)"
		note <"$tmp/manual.out"
		drop_db $e bktest_manual >/dev/null 2>&1
	else
		skip "$e: restore without dbdeck (no PyNaCl for /usr/bin/python3)"
	fi

	dd "$tmp/wrong.ini" restore $e latest --into bktest_enc --yes >"$tmp/w.out" 2>&1
	rc=$?
	[ $rc = 5 ] && grep -q 'wrong backup key' "$tmp/w.out" && [ "$(db_exists $e bktest_enc)" = 0 ]
	ok $? "$e: the wrong key is refused (5), nothing restored ($rc)"
	note <"$tmp/w.out"
	dd "$tmp/nokey.ini" restore $e latest --into bktest_enc --yes >"$tmp/n.out" 2>&1
	rc=$?
	[ $rc = 5 ] && grep -q 'encrypted' "$tmp/n.out" && [ "$(db_exists $e bktest_enc)" = 0 ]
	ok $? "$e: a missing backup_key is refused (5), nothing restored ($rc)"
	dd "$tmp/nokey.ini" verify $e >/dev/null 2>&1
	ok $? "$e: a plain verify needs no key"
	dd "$tmp/wrong.ini" verify $e --deep >"$tmp/wd.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q 'wrong backup key' "$tmp/wd.out" && [ "$(scratch_dbs $e)" = 0 ]
	ok $? "$e: a deep verify with the wrong key fails (1), no scratch database ($rc)"
	dd "$tmp/wrong.ini" backups $e --json >"$tmp/l2.json" 2>&1
	[ "$(json "$tmp/l2.json" 'd["backups"][0]["check"]')" = FAILED ]
	ok $? "$e: the failed deep verify is recorded (FAILED)"
done

finish
