#!/usr/bin/env bash
# vault_cli_test.sh: `dbdeck vault ...` through the real binary: every
# command's round trip, exit codes (0 ok, 1 no such entry, 2 usage, 4 vault),
# file permission refusals, the vault path and passphrase sources, and that the
# password never shows up where it must not (vault bytes, argv, environment,
# any output but `get --show-password`).
# usage: vault_cli_test.sh PATH-TO-DBDECK
set -u
bin=$1
tmp=$(mktemp -d); trap 'exec 3>&- 2>/dev/null; rm -rf "$tmp"' EXIT
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
skip() { n=$((n+1)); echo "ok $n - # SKIP $1"; }

unset DBDECK_VAULT DBDECK_PASSPHRASE_FILE DBDECK_CONFIG
export HOME=$tmp/home
PW='Sup3r-S3cret-pw-7731'
SSLPW='ssl-Pw-90210-secret'
PP='vault passphrase 42'
NEWPP='another passphrase 43'
printf '%s\n' "$PP" > "$tmp/pp"; chmod 600 "$tmp/pp"
printf '%s\n' "$NEWPP" > "$tmp/pp2"; chmod 600 "$tmp/pp2"
V=$tmp/cfg/vault
log=$tmp/log   # every output except `get --show-password`, for the leak check

# r ARGS...: runs dbdeck without a controlling terminal (setsid), stdin from
# $IN (default empty); sets $out, $err, $rc and appends both outputs to $log.
IN=
r() {
	printf '%s' "$IN" | setsid -w "$bin" "$@" >"$tmp/o" 2>"$tmp/e"; rc=$?
	out=$(cat "$tmp/o"); err=$(cat "$tmp/e")
	cat "$tmp/o" "$tmp/e" >> "$log"
	IN=
}
rv() { r "$@" --vault "$V" --passphrase-file "$tmp/pp"; }
oneline() { [ -n "$err" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]; }

# --- init -------------------------------------------------------------------
rv vault init --kdf interactive
[ $rc = 0 ] && [ -f "$V" ]; check $? "init creates the vault ($out)"
[ "$(stat -c %a "$V")" = 600 ] && [ "$(stat -c %a "$tmp/cfg")" = 700 ]
check $? "vault is 0600, the created parent directory 0700"
rv vault init --kdf interactive
[ $rc = 4 ] && grep -q "already exists" <<<"$err" && oneline; check $? "init refuses an existing vault: exit 4, one line ($err)"

# --- set / get / list ---------------------------------------------------------
IN="$PW"$'\n'; rv vault set orders-ops --user alice --password-stdin
[ $rc = 0 ]; check $? "set with --password-stdin ($out$err)"
IN="pw-bob"$'\n'"$SSLPW"$'\n'; rv vault set billing.ro --user bob --password-stdin --field sslpassword
[ $rc = 0 ]; check $? "set with an extra field read from stdin ($err)"
rv vault list
[ $rc = 0 ] && [ "$out" = $'billing.ro\tbob\norders-ops\talice' ]; check $? "list prints names and users, one a line"
rv vault get orders-ops
[ $rc = 0 ] && [ "$out" = "user: alice" ]; check $? "get prints the user only ($out)"
rv vault get billing.ro
[ "$out" = $'user: bob\nsslpassword: (hidden)' ]; check $? "get hides field values ($out)"
show=$(setsid -w "$bin" vault get orders-ops --show-password --vault "$V" --passphrase-file "$tmp/pp" </dev/null 2>&1)
[ "$show" = $'user: alice\npassword: '"$PW" ]; check $? "get --show-password prints user: and password: lines"
show=$(setsid -w "$bin" vault get billing.ro --show-password --vault "$V" --passphrase-file "$tmp/pp" </dev/null 2>&1)
grep -qx "sslpassword: $SSLPW" <<<"$show"; check $? "get --show-password prints field values"
IN="pw-new"$'\n'; rv vault set orders-ops --user alice2 --password-stdin
rv vault get orders-ops
[ "$out" = "user: alice2" ]; check $? "set replaces an existing entry"
rv vault get nosuch
[ $rc = 1 ] && grep -q "no entry nosuch" <<<"$err" && oneline; check $? "get of a missing entry: exit 1 ($err)"

# --- rm -----------------------------------------------------------------------
IN="x"$'\n'; rv vault set tmp-entry --user t --password-stdin
rv vault rm tmp-entry
[ $rc = 0 ]; check $? "rm"
rv vault list
! grep -q tmp-entry <<<"$out"; check $? "rm removed it"
rv vault rm tmp-entry
[ $rc = 1 ] && grep -q "no entry tmp-entry" <<<"$err"; check $? "rm of a missing entry: exit 1 ($err)"

# --- passwd -------------------------------------------------------------------
before=$(rv vault list; echo "$out")
rv vault passwd --new-passphrase-file "$tmp/pp2"
[ $rc = 0 ]; check $? "passwd with --new-passphrase-file ($err)"
rv vault list
[ $rc = 4 ] && grep -q "wrong passphrase" <<<"$err" && ! grep -q damaged <<<"$err" && oneline
check $? "the old passphrase is now a wrong passphrase: exit 4, one line ($err)"
r vault list --vault "$V" --passphrase-file "$tmp/pp2"
[ $rc = 0 ] && [ "$out" = "$before" ]; check $? "the new passphrase opens it with every entry kept"
r vault passwd --vault "$V" --passphrase-file "$tmp/pp2" --new-passphrase-file "$tmp/pp"
[ $rc = 0 ]; check $? "passwd back"

# --- usage errors -------------------------------------------------------------
r vault; [ $rc = 2 ]; check $? "no subcommand: exit 2"
r vault frobnicate; [ $rc = 2 ]; check $? "unknown subcommand: exit 2"
rv vault set x --password-stdin; [ $rc = 2 ]; check $? "set without --user: exit 2"
rv vault set 'bad name' --user u; [ $rc = 2 ] && grep -q "invalid entry name" <<<"$err"; check $? "a bad name: exit 2 with a message ($err)"
rv vault get 'x/y'; [ $rc = 2 ]; check $? "a bad name in get: exit 2"
rv vault set x --user u --field "sslpassword=$SSLPW"
[ $rc = 2 ] && grep -q "name only" <<<"$err"; check $? "--field KEY=VALUE is refused (no secrets in argv)"
rv vault init --kdf fast; [ $rc = 2 ]; check $? "--kdf with a bad level: exit 2"
rv vault list --kdf moderate; [ $rc = 2 ]; check $? "an option of another subcommand: exit 2"
rv vault get a b; [ $rc = 2 ]; check $? "an extra argument: exit 2"
r vault --help; [ $rc = 0 ] && grep -q "show-password" <<<"$out"; check $? "vault --help exits 0"

# --- input errors -------------------------------------------------------------
IN=$'\n'; rv vault set e --user u --password-stdin
[ $rc = 1 ] && grep -q "empty password" <<<"$err"; check $? "an empty password is refused ($err)"
IN=; rv vault set e --user u --password-stdin
[ $rc = 1 ] && grep -q "stdin" <<<"$err"; check $? "no password on stdin is refused ($err)"
: > "$tmp/empty"; chmod 600 "$tmp/empty"
r vault list --vault "$V" --passphrase-file "$tmp/empty"
[ $rc = 4 ] && oneline; check $? "an empty passphrase file: exit 4 ($err)"
printf '\n' > "$tmp/emptyline"; chmod 600 "$tmp/emptyline"
r vault list --vault "$V" --passphrase-file "$tmp/emptyline"
[ $rc = 4 ] && grep -q "empty passphrase" <<<"$err"; check $? "an empty passphrase is refused ($err)"
r vault list --vault "$V" --passphrase-file "$tmp/nofile"
[ $rc = 4 ] && grep -q "cannot open passphrase file" <<<"$err"; check $? "a missing passphrase file: exit 4"
r vault list --vault "$V"
[ $rc = 4 ] && grep -q "no terminal" <<<"$err" && oneline; check $? "no passphrase source and no terminal: exit 4 ($err)"
printf '%s\r\n' "$PP" > "$tmp/pp-crlf"; chmod 600 "$tmp/pp-crlf"
r vault list --vault "$V" --passphrase-file "$tmp/pp-crlf"
[ $rc = 0 ]; check $? "a CRLF passphrase file works"
cp "$tmp/pp" "$tmp/pp-open"; chmod 644 "$tmp/pp-open"
r vault list --vault "$V" --passphrase-file "$tmp/pp-open"
[ $rc = 4 ] && [ "$err" = "dbdeck: passphrase file $tmp/pp-open: mode 0644 allows group/other access; run: chmod 600 $tmp/pp-open" ]
check $? "a 0644 passphrase file is refused: exit 4 with the fix ($err)"
chmod 640 "$tmp/pp-open"
r vault passwd --vault "$V" --passphrase-file "$tmp/pp" --new-passphrase-file "$tmp/pp-open"
[ $rc = 4 ] && grep -q "new passphrase file .* mode 0640" <<<"$err" && oneline
check $? "so is a 0640 new-passphrase file ($err)"
if [ "$(id -u)" = 0 ]; then
	chmod 600 "$tmp/pp-open"; chown nobody "$tmp/pp-open"
	r vault list --vault "$V" --passphrase-file "$tmp/pp-open"
	[ $rc = 4 ] && grep -q "passphrase file $tmp/pp-open: owned by nobody" <<<"$err" && oneline
	check $? "a passphrase file owned by someone else is refused: exit 4 ($err)"
else
	skip "a passphrase file owned by someone else: needs root to chown"
fi

# --- path and passphrase sources ----------------------------------------------
DBDECK_VAULT=$V DBDECK_PASSPHRASE_FILE=$tmp/pp r vault get orders-ops
[ $rc = 0 ] && [ "$out" = "user: alice2" ]; check $? "DBDECK_VAULT and DBDECK_PASSPHRASE_FILE are used"
DBDECK_VAULT=$tmp/elsewhere r vault get orders-ops --vault "$V" --passphrase-file "$tmp/pp"
[ $rc = 0 ]; check $? "--vault wins over DBDECK_VAULT"
r vault init --kdf interactive --passphrase-file "$tmp/pp"
[ $rc = 0 ] && [ -f "$HOME/.config/dbdeck/vault" ] && [ "$(stat -c %a "$HOME/.config/dbdeck")" = 700 ]
check $? "the default is ~/.config/dbdeck/vault, parents made 0700"
r vault list --vault "$tmp/missing/vault" --passphrase-file "$tmp/pp"
[ $rc = 4 ] && grep -q "does not exist (create one with: dbdeck vault init)" <<<"$err" && oneline
check $? "a missing vault: exit 4, one line ($err)"

# --- permissions --------------------------------------------------------------
chmod 644 "$V"; rv vault list
[ $rc = 4 ] && [ "$err" = "dbdeck: vault $V: mode 0644 allows group/other access; run: chmod 600 $V" ]
check $? "mode 0644 refused: exit 4 with the fix ($err)"
chmod 640 "$V"; rv vault list
[ $rc = 4 ] && grep -q "mode 0640 allows group/other access" <<<"$err"; check $? "mode 0640 refused: exit 4"
chmod 600 "$V"
ln -s "$V" "$tmp/link"
r vault list --vault "$tmp/link" --passphrase-file "$tmp/pp"
[ $rc = 4 ] && grep -q "symbolic link" <<<"$err" && oneline; check $? "a symlink refused: exit 4 ($err)"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$V"; rv vault list
	[ $rc = 4 ] && grep -q "owned by nobody" <<<"$err"; check $? "a vault owned by someone else refused: exit 4 ($err)"
	chown root "$V"
else
	skip "a vault owned by someone else: needs root to chown"
fi

# The vault's directory, checked as OpenSSH checks ~/.ssh.
D=$(dirname "$V")
chmod 770 "$D"; rv vault list
[ $rc = 4 ] && [ "$err" = "dbdeck: vault $V: its directory $D has mode 0770: others can write to it and replace the vault; run: chmod go-w $D" ]
check $? "a group-writable vault directory refused: exit 4 with the fix ($err)"
chmod 703 "$D"; r vault init --kdf interactive --vault "$D/other" --passphrase-file "$tmp/pp"
[ $rc = 4 ] && grep -q "has mode 0703: others can write" <<<"$err" && oneline && [ ! -e "$D/other" ]
check $? "a world-writable one too, also when creating a vault there ($err)"
chmod 755 "$D"; rv vault list
[ $rc = 0 ]; check $? "a directory others may read but not write is fine (as for ~/.ssh)"
chmod 700 "$D"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$D"; rv vault list
	[ $rc = 4 ] && grep -q "its directory $D is owned by nobody (uid [0-9]*), neither the current user nor root" <<<"$err" && oneline
	check $? "a vault directory owned by someone else refused: exit 4 ($err)"
	chown root "$D"
else
	skip "a vault directory owned by someone else: needs root to chown"
fi

# --- secrets stay out of argv, the environment and the vault bytes ------------
# A `vault set` with a field reads the password line, then blocks on stdin
# for the field's line: inspect its /proc entries at that point. The process
# is non-dumpable (dd_process_harden), so only root may read them.
blocked_on_stdin() { local nr fd; read -r nr fd _ < "/proc/$pid/syscall" 2>/dev/null && [ "$nr" = 0 ] && [ "$fd" = 0x0 ]; }
rchar() { awk '/^rchar/ {print $2}' "/proc/$pid/io" 2>/dev/null; }
wait_for() { for _ in $(seq 400); do "$@" && return 0; sleep 0.05; done; return 1; }
consumed() { [ "$(rchar)" -ge $((r0 + ${#PW} + 1)) ] && blocked_on_stdin; }
mkfifo "$tmp/fifo"
exec 3<>"$tmp/fifo"
"$bin" vault set leak-check --user u --password-stdin --field sslpassword \
	--vault "$V" --passphrase-file "$tmp/pp" <"$tmp/fifo" >>"$log" 2>&1 &
pid=$!
if [ "$(id -u)" = 0 ]; then
	wait_for blocked_on_stdin; r0=$(rchar)
	printf '%s\n' "$PW" >&3
	wait_for consumed; check $? "vault set read the password and waits for the field value"
	cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline"); environ=$(tr '\0' '\n' < "/proc/$pid/environ")
	[ -n "$cmdline" ] && ! grep -qF "$PW" <<<"$cmdline" && ! grep -qF "$PP" <<<"$cmdline"
	check $? "a running vault set has no secret in /proc/PID/cmdline"
	[ -n "$environ" ] && ! grep -qF "$PW" <<<"$environ" && ! grep -qF "$PP" <<<"$environ"
	check $? "nor in /proc/PID/environ"
else
	printf '%s\n' "$PW" >&3
	skip "/proc/PID/syscall of a non-dumpable process: needs root"
	skip "/proc/PID/cmdline check: needs root to know when the password was read"
	skip "/proc/PID/environ of a non-dumpable process: needs root"
fi
printf '%s\n' "$SSLPW" >&3
wait $pid; rc=$?
exec 3>&-
[ $rc = 0 ]; check $? "that set then completes"
show=$(setsid -w "$bin" vault get leak-check --show-password --vault "$V" --passphrase-file "$tmp/pp" </dev/null 2>&1)
[ "$show" = $'user: u\npassword: '"$PW"$'\nsslpassword: '"$SSLPW" ]; check $? "and stored what it read"
! grep -qaF "$PW" "$V" && ! grep -qaF "$SSLPW" "$V" && ! grep -qaF "$PP" "$V" && ! grep -qa "alice" "$V"
check $? "no password, field value, passphrase or user in the vault file's bytes"
! grep -qaF "$PW" "$log" && ! grep -qaF "$SSLPW" "$log" && ! grep -qaF "$PP" "$log" && ! grep -qaF "$NEWPP" "$log"
check $? "no secret in the stdout/stderr of any command but get --show-password ($(wc -l < "$log") lines checked)"

echo "1..$n"
exit $fail
