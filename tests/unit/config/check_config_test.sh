#!/usr/bin/env bash
# check_config_test.sh DBDECK SOURCE_ROOT: `dbdeck check-config` end to end:
# docs/example.ini passes, a file with three mistakes reports all three with
# their lines and exits 3, the config path resolution (-c, $DBDECK_CONFIG,
# ~/.config/dbdeck/dbdeck.ini), unreadable and empty files, and the
# credential check against a real vault made with `dbdeck vault`, and the
# themes the config names.
set -u
dbdeck=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset DBDECK_CONFIG DBDECK_PASSPHRASE_FILE DBDECK_VAULT
export HOME=$tmp/home
mkdir -p "$HOME"
# verify-ca/verify-full without tls_ca use the system trust store: name one (any
# readable file) so that the results do not depend on this machine's.
: > "$tmp/trust-store.pem"
export SSL_CERT_FILE=$tmp/trust-store.pem
n=0 failed=0

check() { # check NAME CONDITION...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=1
		echo "#   stdout: $(sed 's/^/#   /' "$tmp/out")"
		echo "#   stderr: $(sed 's/^/#   /' "$tmp/err")"
	fi
}

run() { # run ARGS...: sets rc, output in $tmp/out and $tmp/err
	"$dbdeck" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

same() { # same FILE EXPECTED-TEXT
	[ "$(cat "$1")" = "$2" ]
}

example=$root/docs/example.ini
run check-config -c "$example"
check "docs/example.ini: exit 0" [ "$rc" -eq 0 ]
check "docs/example.ini: summary" same "$tmp/out" \
"$example: ok — 2 clusters (orders: postgresql, 3 nodes; catalog: mariadb, 3 nodes), 6 nodes
credentials not checked (no passphrase file given)"
check "docs/example.ini: nothing on stderr" [ ! -s "$tmp/err" ]

bad=$root/tests/unit/config/three_mistakes.ini
run check-config -c "$bad"
check "three mistakes: exit 3" [ "$rc" -eq 3 ]
check "three mistakes: all three reported with their lines" same "$tmp/err" \
"$bad:8: error: unknown key 'pool_sise' in [cluster orders]; did you mean 'pool_size'?
$bad:9: error: lag_max: '5x' is not a duration (use e.g. 250ms, 5s, 10m, 1h)
$bad:13: error: port: 70000 is out of range (1..65535)"
check "three mistakes: no summary" [ ! -s "$tmp/out" ]

run check-config -c "$tmp/nope.ini"
check "missing file: exit 3" [ "$rc" -eq 3 ]
check "missing file: clear message" same "$tmp/err" \
	"$tmp/nope.ini: error: cannot read: No such file or directory"

: > "$tmp/empty.ini"
run check-config -c "$tmp/empty.ini"
check "empty file: exit 0" [ "$rc" -eq 0 ]
check "empty file: says there are no clusters" same "$tmp/out" "$tmp/empty.ini: ok — no clusters"

run -c "$tmp/empty.ini" check-config --ascii
check "-c before the command, --ascii after it" same "$tmp/out" "$tmp/empty.ini: ok -- no clusters"

DBDECK_CONFIG=$tmp/empty.ini run check-config
check "\$DBDECK_CONFIG is used without -c" same "$tmp/out" "$tmp/empty.ini: ok — no clusters"

DBDECK_CONFIG=$tmp/empty.ini run check-config -c "$tmp/nope.ini"
check "-c wins over \$DBDECK_CONFIG" [ "$rc" -eq 3 ]

mkdir -p "$HOME/.config/dbdeck"
printf '[node lone]\nhost = h\n' > "$HOME/.config/dbdeck/dbdeck.ini"
run check-config
check "default path under \$HOME: exit 0 with a warning" [ "$rc" -eq 0 ]
check "default path: the warning" same "$tmp/err" \
	"$HOME/.config/dbdeck/dbdeck.ini:1: warning: node 'lone' is in no cluster's nodes list; it is not used"
check "default path: the summary counts it" grep -q "no clusters, 1 warning" "$tmp/out"

(unset HOME; "$dbdeck" check-config > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc")
check "no HOME and no config: exit 3" [ "$(cat "$tmp/rc")" -eq 3 ]
check "no HOME: says how to give the file" grep -q "use -c FILE\|-c FILE or" "$tmp/err"

run check-config extra
check "an argument: usage error, exit 2" [ "$rc" -eq 2 ]

# Transport security on a network (docs/security.md): the default verifies the
# certificate; a mode that does not is a warning naming the risk.
cat > "$tmp/net.ini" << 'EOF'
[cluster orders]
engine = postgresql
nodes = a, b
database = app
credential = orders-ops

[node a]
host = 10.0.0.1

[node b]
host = 10.0.0.2
tls = require
EOF
run check-config -c "$tmp/net.ini"
check "network nodes: exit 0 with a warning" [ "$rc" -eq 0 ]
check "network nodes: only the unverified node warns, naming the risk" same "$tmp/err" \
"$tmp/net.ini:12: warning: node 'b': tls = require on a host that is not loopback (10.0.0.2) does not check the server's certificate: whoever can intercept the traffic can pose as the server and read or change every query and result; use tls = verify-full with tls_ca (or the system trust store)"
check "network nodes: the summary counts it" grep -q "1 warning" "$tmp/out"
SSL_CERT_FILE= run check-config -c "$tmp/net.ini"
check "default verify-full, no tls_ca, no system trust store: exit 3" [ "$rc" -eq 3 ]
check "no trust store: says how to set tls_ca or choose a weaker mode" grep -qF \
	"$tmp/net.ini:7: error: node 'a': tls = verify-full needs a CA: set tls_ca to the CA that signed the server's certificate (no system trust store was found; SSL_CERT_FILE names one), or choose a weaker tls on purpose" \
	"$tmp/err"

# Credentials against a real vault (the fast KDF: a test vault).
pass=$tmp/passphrase vault=$tmp/vault
printf 'correct horse battery staple\n' > "$pass"
chmod 600 "$pass"
"$dbdeck" --vault "$vault" --passphrase-file "$pass" vault init --kdf interactive \
	> "$tmp/out" 2> "$tmp/err"
check "test vault created" [ $? -eq 0 ]
printf 'pw\n' | "$dbdeck" --vault "$vault" --passphrase-file "$pass" vault set orders-ops \
	--user ops --password-stdin > "$tmp/out" 2> "$tmp/err"
check "orders-ops stored" [ $? -eq 0 ]

run check-config -c "$example" --vault "$vault" --passphrase-file "$pass"
check "one credential missing: exit 3" [ "$rc" -eq 3 ]
check "one credential missing: reported at its line" same "$tmp/err" \
"$example:84: error: credential 'catalog-ops' is not in the vault (add it with: dbdeck vault set catalog-ops)"

printf 'pw\n' | "$dbdeck" --vault "$vault" --passphrase-file "$pass" vault set catalog-ops \
	--user ops --password-stdin > /dev/null 2>&1
DBDECK_PASSPHRASE_FILE=$pass run check-config -c "$example" --vault "$vault"
check "all credentials present (\$DBDECK_PASSPHRASE_FILE): exit 0" [ "$rc" -eq 0 ]
check "all credentials present: said so" grep -q "^credentials: every cluster's credential is in the vault$" "$tmp/out"

# admin_credential is checked like credential.
sed 's/^credential = catalog-ops$/credential = catalog-ops\nadmin_credential = catalog-admin/' \
	"$example" > "$tmp/admin.ini"
run check-config -c "$tmp/admin.ini" --vault "$vault" --passphrase-file "$pass"
check "an admin_credential missing from the vault: exit 3" [ "$rc" -eq 3 ]
check "an admin_credential missing: named" grep -q \
	"error: admin_credential 'catalog-admin' is not in the vault (add it with: dbdeck vault set catalog-admin)" "$tmp/err"

# Without --vault, the config's own `vault` key is used (here not the default path).
mkdir -p "$tmp/elsewhere"
cp "$vault" "$tmp/elsewhere/vault"
chmod 600 "$tmp/elsewhere/vault"
sed "s|^vault = .*|vault = $tmp/elsewhere/vault|" "$example" > "$tmp/own-vault.ini"
run check-config -c "$tmp/own-vault.ini" --passphrase-file "$pass"
check "the config's vault key is used: exit 0" [ "$rc" -eq 0 ]
rm "$tmp/elsewhere/vault"
run check-config -c "$tmp/own-vault.ini" --passphrase-file "$pass"
check "the config's vault key is used: gone, exit 4" [ "$rc" -eq 4 ]

run check-config -c "$example" --vault "$tmp/no-vault" --passphrase-file "$pass"
check "a vault that cannot be opened: exit 4" [ "$rc" -eq 4 ]

run check-config -c "$bad" --vault "$tmp/no-vault" --passphrase-file "$pass"
check "config errors win over the vault: exit 3" [ "$rc" -eq 3 ]

# themes: looked up as the console does (here the source tree's themes/)
printf '[console]\ntheme = solarized-dark\n' > "$tmp/theme-ok.ini"
run check-config -c "$tmp/theme-ok.ini"
quiet_ok() { [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; }
check "a shipped theme is found: exit 0, no warning" quiet_ok
printf '[console]\ntheme = no-such-theme\n' > "$tmp/theme-bad.ini"
run check-config -c "$tmp/theme-bad.ini"
theme_warned() { [ "$rc" -eq 0 ] && grep -q "warning: \[console\] theme: .*no-such-theme" "$tmp/err"; }
check "an unknown theme: a warning naming it, exit 0" theme_warned

echo "1..$n"
exit $failed
