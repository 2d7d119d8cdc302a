#!/usr/bin/env bash
# backup_corrupt_test.sh DBDECK SRCDIR: the corruption matrix, on both
# engines (the MariaDB backups encrypted). One byte flipped at 20 offsets
# spread across the dump and the manifest: each time verify exits 1 naming
# the damaged file, and (at every fourth offset) restore refuses with 5 and
# creates nothing; flipped back, the backup verifies again. Then a truncated
# dump, a deleted manifest, and a manifest moved to another cluster: each a
# clear message, a non-zero exit, nothing restored. Cleans up.
. "$(dirname "$0")/lib.sh"
bk_setup "$1" "$2"

for e in pg my; do
	on_exit drop_db $e bktest
	on_exit drop_db $e bktest_bad
	drop_db $e bktest >/dev/null 2>&1
	drop_db $e bktest_bad >/dev/null 2>&1
	make_data $e bktest >/dev/null || bail "cannot make the $e test data"
done
bk_ini "$tmp/c.ini" my:backup_key=backup-key

# flip FILE OFFSET: XOR of one byte with 0x01 (twice restores it).
flip() {
	python3 - "$1" "$2" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 1]))
EOF
}

for e in pg my; do
	dd "$tmp/c.ini" backup $e --json >"$tmp/$e.json" 2>/dev/null || bail "$e: no backup to damage"
	id=$(json "$tmp/$e.json" 'd["id"]')
	path=$(json "$tmp/$e.json" 'd["path"]')
	file=$(json "$path/manifest.json" 'd["file"]')
	ds=$(stat -c %s "$path/$file") ms=$(stat -c %s "$path/manifest.json")
	total=$((ds + ms))
	misses=0 named=0 refused=0 restores=0
	for ((i = 0; i < 20; i++)); do
		off=$((i * total / 20 + i * 7 % 13))
		if [ $off -lt "$ds" ]; then target=$file at=$off; else target=manifest.json at=$((off - ds)); fi
		flip "$path/$target" $at
		dd "$tmp/c.ini" verify $e "$id" >"$tmp/v.out" 2>&1
		rc=$?
		[ $rc = 1 ] || { misses=$((misses + 1)); echo "# $e: flip at $target:$at not detected (rc $rc)"; }
		grep -q "$target" "$tmp/v.out" && named=$((named + 1))
		if [ $((i % 4)) = 0 ]; then
			restores=$((restores + 1))
			dd "$tmp/c.ini" restore $e "$id" --into bktest_bad --yes >"$tmp/r.out" 2>&1
			[ $? = 5 ] && [ "$(db_exists $e bktest_bad)" = 0 ] && refused=$((refused + 1))
		fi
		flip "$path/$target" $at
	done
	ok $misses "$e: a byte flipped at each of 20 offsets of dump and manifest: verify exits 1"
	[ $named = 20 ]
	ok $? "$e: each time the message names the damaged file ($named of 20)"
	[ $refused = $restores ]
	ok $? "$e: restore refuses each damaged backup with 5, nothing restored ($refused of $restores)"
	dd "$tmp/c.ini" verify $e "$id" >/dev/null 2>&1
	ok $? "$e: flipped back, the backup verifies again"

	cp "$path/$file" "$tmp/whole"
	truncate -s $((ds - 1)) "$path/$file"
	dd "$tmp/c.ini" verify $e "$id" >"$tmp/t.out" 2>&1
	[ $? = 1 ] && grep -q "$file: truncated" "$tmp/t.out"
	ok $? "$e: a truncated dump: verify exits 1, 'truncated'"
	dd "$tmp/c.ini" restore $e "$id" --into bktest_bad --yes >/dev/null 2>&1
	[ $? = 5 ] && [ "$(db_exists $e bktest_bad)" = 0 ]
	ok $? "$e: a truncated dump: restore refuses (5), nothing restored"
	cp "$tmp/whole" "$path/$file"

	mv "$path/manifest.json" "$tmp/manifest"
	dd "$tmp/c.ini" verify $e "$id" >"$tmp/m.out" 2>&1
	[ $? = 1 ] && grep -q 'manifest.json: missing' "$tmp/m.out"
	ok $? "$e: a deleted manifest: verify exits 1, 'missing'"
	dd "$tmp/c.ini" restore $e "$id" --into bktest_bad --yes >/dev/null 2>&1
	[ $? = 5 ] && [ "$(db_exists $e bktest_bad)" = 0 ]
	ok $? "$e: a deleted manifest: restore refuses (5), nothing restored"
	dd "$tmp/c.ini" backups $e >"$tmp/l.out" 2>&1 && grep -q "^$id .*damaged: .*missing" "$tmp/l.out"
	ok $? "$e: backups shows it damaged"
	mv "$tmp/manifest" "$path/manifest.json"
done

# a manifest for another cluster: pg's backup put among my's
pgpath=$(json "$tmp/pg.json" 'd["path"]') pgid=$(json "$tmp/pg.json" 'd["id"]')
cp -a "$pgpath" "$tmp/backups/my/"
dd "$tmp/c.ini" verify my "$pgid" >"$tmp/o.out" 2>&1
[ $? = 1 ] && grep -q "cluster 'pg'" "$tmp/o.out"
ok $? "a manifest for another cluster: verify exits 1 and says whose it is"
dd "$tmp/c.ini" restore my "$pgid" --into bktest_bad --yes >/dev/null 2>&1
[ $? = 5 ] && [ "$(db_exists my bktest_bad)" = 0 ]
ok $? "a manifest for another cluster: restore refuses (5), nothing restored"
dd "$tmp/c.ini" prune my >"$tmp/p.out" 2>&1 && [ -d "$tmp/backups/my/$(basename "$pgpath")" ]
ok $? "prune leaves the damaged directory for a person to look at"

finish
