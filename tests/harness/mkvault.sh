#!/usr/bin/env bash
# mkvault.sh DBDECK DIR: makes the vault of a running harness (or the demo):
# a random passphrase in DIR/passphrase (0600), a vault DIR/vault made with
# the fast `interactive` KDF (a test and demo vault, not a production one),
# the entry `harness` (user dbdeck, the harness's password) that
# DIR/dbdeck.ini names as the credential of both clusters, the entry
# `harness-monitor` (user dbdeck_mon, the monitor-only account, same
# password) for the least-privilege tests; two backup keys with random
# secrets, `backup-key` and `backup-key-2` (the backup tests encrypt with one
# and try the other as the wrong key); and harness-admin and harness-repl
# (below).
set -euo pipefail
dbdeck=$1 dir=$2
umask 077
[ -s "$dir/passphrase" ] || head -c 18 /dev/urandom | base64 > "$dir/passphrase"
rm -f "$dir/vault"
common=(--vault "$dir/vault" --passphrase-file "$dir/passphrase")
"$dbdeck" "${common[@]}" vault init --kdf interactive
"$dbdeck" "${common[@]}" vault set harness --user dbdeck --password-stdin < "$dir/password"
"$dbdeck" "${common[@]}" vault set harness-monitor --user dbdeck_mon --password-stdin < "$dir/password"
for k in backup-key backup-key-2; do
	head -c 32 /dev/urandom | base64 | "$dbdeck" "${common[@]}" vault set "$k" --user backup --password-stdin
done
# harness-admin: dbdeck_admin (PostgreSQL superuser; MariaDB ALL PRIVILEGES
# with READ_ONLY ADMIN, which may set read_only), for switchover and failover.
"$dbdeck" "${common[@]}" vault set harness-admin --user dbdeck_admin --password-stdin < "$dir/password"
# harness-repl: the account MariaDB replicas connect with (replication_credential).
"$dbdeck" "${common[@]}" vault set harness-repl --user dbdeck --password-stdin < "$dir/password"
