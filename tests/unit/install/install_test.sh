#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_ROOT: `meson install` into a staging
# directory (DESTDIR), as `make install` does, puts the binary, the themes,
# the man page, the docs and their examples where a Debian system expects
# them under the build's prefix; the installed binary runs (--version,
# check-config) and finds the installed themes, not the source tree's; `man
# -l` renders the installed page without a warning; and `make install`
# honours PREFIX and DESTDIR (make -n: nothing is built or installed).
set -u
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
n=0 failed=0

check() { # check NAME COMMAND...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=1
		[ -s "$tmp/out" ] && sed 's/^/#   /' "$tmp/out" | head -20
	fi
}

DESTDIR=$stage meson install -C "$build" --no-rebuild --quiet >"$tmp/out" 2>&1
check "meson install into DESTDIR exits 0" [ $? -eq 0 ]
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root=$stage$prefix
dd=$root/bin/dbdeck
check "the binary is PREFIX/bin/dbdeck ($prefix)" [ -x "$dd" ]
themes=$(ls "$root/share/dbdeck/themes" 2>/dev/null | tr '\n' ' ')
themes_ok() { [ -f "$root/share/dbdeck/themes/default.ini" ] && [ -f "$root/share/dbdeck/themes/solarized-dark.ini" ]; }
check "the themes are in PREFIX/share/dbdeck/themes ($themes)" themes_ok
check "the man page is PREFIX/share/man/man1/dbdeck.1" [ -f "$root/share/man/man1/dbdeck.1" ]
docs_ok() {
	local d=$root/share/doc/dbdeck
	[ -f "$d/README.md" ] && [ -f "$d/configuration.md" ] && [ -f "$d/example.ini" ] &&
		[ -d "$d/examples" ] && [ ! -e "$d/dbdeck.1" ]
}
check "the docs and their examples are in PREFIX/share/doc/dbdeck" docs_ok

out=$("$dd" --version 2>&1)
check "the installed binary runs: --version ($out)" [ "$out" = "$("$build/tui/dbdeck" --version)" ]

# check-config with a small config that names a shipped theme; no HOME theme
# directory, and the staged binary is outside the source tree.
export HOME=$tmp/home
unset XDG_CONFIG_HOME DBDECK_CONFIG DBDECK_VAULT DBDECK_PASSPHRASE_FILE
mkdir -p "$HOME"
cat >"$tmp/dbdeck.ini" <<'INI'
[console]
theme = solarized-dark

[cluster app]
engine = postgresql
nodes = db1
database = app
credential = app

[node db1]
host = 127.0.0.1
port = 5432
INI
"$dd" check-config -c "$tmp/dbdeck.ini" >"$tmp/out" 2>&1
rc=$?
check "the installed check-config exits 0 on a small config" [ $rc -eq 0 ]
check "it finds the installed theme (no warning)" [ -z "$(grep warning "$tmp/out")" ]
system_has=
for d in /usr/local/share/dbdeck/themes /usr/share/dbdeck/themes; do
	[ -f "$d/solarized-dark.ini" ] && system_has=$d
done
if [ -z "$system_has" ]; then
	mv "$root/share/dbdeck/themes/solarized-dark.ini" "$tmp/"
	"$dd" check-config -c "$tmp/dbdeck.ini" >"$tmp/out" 2>&1
	check "without the installed theme file it warns (the staged directory is the one used)" \
		grep -q "theme 'solarized-dark' not found" "$tmp/out"
	mv "$tmp/solarized-dark.ini" "$root/share/dbdeck/themes/"
else
	echo "ok $((n += 1)) # SKIP $system_has has the theme: the staged one cannot be told apart"
fi

if command -v man >/dev/null; then
	MANWIDTH=80 MANPAGER=cat man --warnings -l "$root/share/man/man1/dbdeck.1" >"$tmp/page" 2>"$tmp/out"
	rc=$?
	man_ok() { [ $rc -eq 0 ] && [ ! -s "$tmp/out" ]; }
	check "man -l renders the installed page without a warning" man_ok
	check "the rendered page is dbdeck(1)" grep -q "^DBDECK(1)" "$tmp/page"
else
	echo "ok $((n += 1)) # SKIP man is not installed (tools/deps.sh installs man-db)"
fi

# make install: PREFIX reconfigures the build's prefix, DESTDIR stages (dry run).
plan=$(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -n -s -C "$src" install BUILD="$build" \
	PREFIX=/usr DESTDIR=/tmp/stage-x 2>&1)
echo "$plan" >"$tmp/out"
make_ok() {
	grep -q "meson configure $build -Dprefix=/usr" <<<"$plan" &&
		grep -q "DESTDIR=/tmp/stage-x meson install -C $build" <<<"$plan"
}
check "make install PREFIX=/usr DESTDIR=D: meson configure -Dprefix, then meson install into D" make_ok

echo "1..$n"
exit $failed
