#!/usr/bin/env bash
# serve_tls_test.sh DBDECK SRCDIR: `dbdeck serve` with tls_cert/tls_key (a
# self-signed certificate made here with openssl) and auth_credential (an
# entry of a copy of the harness vault): HTTPS only; without credentials
# 401 with a Basic challenge, with the wrong password 401, with the right
# ones 200 on /metrics, /status and an LB check; /livez and /readyz need
# none; a missing auth_credential entry refuses to start (exit 3).
set -uo pipefail
dbdeck=$1 src=$2
. "$src/tests/integration/serve/lib.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
ok $? "a self-signed certificate"
cp "$dir/vault" "$tmp/vault"
secret=$(head -c 12 /dev/urandom | base64)
printf '%s' "$secret" | "$dbdeck" --vault "$tmp/vault" --passphrase-file "$dir/passphrase" \
	vault set scrape --user prometheus --password-stdin >/dev/null 2>&1
ok $? "a vault entry for the scraper"
sed "s|^vault = .*|vault = $tmp/vault|" "$dir/dbdeck.ini" >"$tmp/dbdeck.ini"
printf '\n[serve]\ntls_cert = %s\ntls_key = %s\nauth_credential = scrape\n' "$tmp/cert.pem" "$tmp/key.pem" >>"$tmp/dbdeck.ini"

url=https://127.0.0.1:$port
tls=(--cacert "$tmp/cert.pem")
serve_start "$tmp/dbdeck.ini"
for _ in $(seq 150); do [ "$(code /livez "${tls[@]}")" = 200 ] && break; sleep 0.1; done
[ "$(code /livez "${tls[@]}")" = 200 ]; ok $? "/livez over HTTPS without credentials: 200"
for _ in $(seq 150); do [ "$(code /readyz "${tls[@]}")" = 200 ] && break; sleep 0.1; done
[ "$(code /readyz "${tls[@]}")" = 200 ]; ok $? "/readyz without credentials: 200"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/livez")" != 200 ]
ok $? "plain HTTP is not served"
curl -s -D "$tmp/h.txt" -o /dev/null "${tls[@]}" "$url/metrics"
head -1 "$tmp/h.txt" | grep -q ' 401' && grep -qi '^www-authenticate: Basic realm="dbdeck"' "$tmp/h.txt"
ok $? "/metrics without credentials: 401 with a Basic challenge"
[ "$(code /metrics "${tls[@]}" -u "prometheus:wrong")" = 401 ]; ok $? "a wrong password: 401"
[ "$(code /metrics "${tls[@]}" -u "other:$secret")" = 401 ]; ok $? "a wrong user: 401"
[ "$(code /metrics "${tls[@]}" -H 'Authorization: Basic !!!notbase64')" = 401 ]; ok $? "garbage credentials: 401"
got="$(code /metrics "${tls[@]}" -u "prometheus:$secret") $(code /status "${tls[@]}" -u "prometheus:$secret") $(code /cluster/pg/primary/pg1 "${tls[@]}" -u "prometheus:$secret")"
[ "$got" = "200 200 200" ]; ok $? "the right credentials: 200 ($got)"
curl -s "${tls[@]}" -u "prometheus:$secret" "$url/metrics" | promtool check metrics >/dev/null 2>&1
ok $? "the metrics behind TLS and auth pass promtool"
! grep -q "$secret" "$tmp/serve.log"; ok $? "the password is not in the log"
serve_stop
[ "$serve_rc" = 0 ]; ok $? "SIGTERM exits 0"

sed -i 's/^auth_credential = scrape/auth_credential = nope/' "$tmp/dbdeck.ini"
"$dbdeck" -c "$tmp/dbdeck.ini" --passphrase-file "$dir/passphrase" serve --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 3 ] && grep -q "auth_credential 'nope' is not in the vault" "$tmp/err"
ok $? "an auth_credential missing from the vault: exit 3 with the reason (got $rc)"
finish
