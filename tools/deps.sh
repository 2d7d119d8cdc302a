#!/usr/bin/env bash
# deps.sh: installs the Debian packages dbdeck needs to build, test and run its
# demo, and only those that are missing. Runs apt-get as root, through sudo
# otherwise; `apt-get update` only when something is missing. While installing,
# a temporary policy-rc.d keeps the packages' own services (the system
# PostgreSQL and MariaDB) from starting: dbdeck's harness runs its own servers.
set -euo pipefail

packages=(
	gcc make pkg-config meson ninja-build
	libncurses-dev libpq-dev default-libmysqlclient-dev libsodium-dev libinih-dev libjansson-dev libzstd-dev
	postgresql-15 postgresql-client-15 mariadb-server mariadb-client
	tmux procps openssl python3 valgrind
)
[ "${1:-}" = "--bench" ] && packages+=(pgbouncer)
[ "${1:-}" = "--fuzz" ] && packages+=(clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "deps: missing packages (${missing[*]}) and no sudo: install them as root" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	own_policy=1
fi
cleanup() { [ $own_policy = 1 ] && "${sudo[@]}" rm -f "$policy"; true; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
