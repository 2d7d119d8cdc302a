#!/usr/bin/env bash
# deps.sh: installs the Debian packages dbdeck needs to build, test and run its
# demo, and only those that are missing. Each package is first looked for
# without the package manager (its command on PATH, its library through
# pkg-config, its file); only what is not found that way is asked of dpkg, and
# apt-get runs only for packages dpkg does not have either. apt-get runs as
# root, through sudo otherwise; `apt-get update` only when something is
# missing. While installing, a temporary policy-rc.d keeps the packages' own
# services (the system PostgreSQL and MariaDB) from starting: dbdeck's harness
# runs its own servers.
#
#   tools/deps.sh [--bench] [--fuzz] [--format] [--test]
#
# --test adds what only the tests use: promtool (Debian's prometheus
# package), which checks dbdeck serve's /metrics.
set -euo pipefail

packages=(
	gcc make pkg-config meson ninja-build
	libncurses-dev libpq-dev default-libmysqlclient-dev libsodium-dev libinih-dev libjansson-dev libzstd-dev
	libmicrohttpd-dev
	postgresql-15 postgresql-client-15 mariadb-server mariadb-client
	tmux procps openssl python3 python3-nacl valgrind man-db groff-base
)
for opt in "$@"; do
	case $opt in
	--bench) packages+=(pgbouncer) ;;
	--fuzz) packages+=(clang libclang-rt-14-dev) ;;
	--format) packages+=(clang-format) ;;
	--test) packages+=(prometheus) ;;
	*) echo "usage: tools/deps.sh [--bench] [--fuzz] [--format] [--test]" >&2; exit 2 ;;
	esac
done

has() { command -v "$1" >/dev/null 2>&1; }
pc() { has pkg-config && pkg-config --exists "$1"; }
pgbin=${DD_HARNESS_PG_BINDIR:-/usr/lib/postgresql/15/bin}

# present PACKAGE: true when what dbdeck uses from the package is there.
present() {
	case $1 in
	ninja-build) has ninja ;;
	libncurses-dev) pc ncursesw ;;
	libpq-dev) pc libpq ;;
	default-libmysqlclient-dev) pc mysqlclient ;;
	libsodium-dev) pc libsodium ;;
	libinih-dev) pc inih ;;
	libjansson-dev) pc jansson ;;
	libzstd-dev) pc libzstd ;;
	libmicrohttpd-dev) pc libmicrohttpd ;;
	prometheus) has promtool ;;
	python3-nacl) /usr/bin/python3 -c 'import nacl' 2>/dev/null ;;
	postgresql-15) [ -x "$pgbin/postgres" ] && [ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] ;;
	postgresql-client-15) [ -x "$pgbin/psql" ] && [ -x "$pgbin/pg_basebackup" ] ;;
	mariadb-server) has mariadbd || [ -x /usr/sbin/mariadbd ] ;;
	mariadb-client) has mariadb && has mariadb-admin ;;
	procps) has ps && has pgrep ;;
	python3) [ -x /usr/bin/python3 ] ;;
	man-db) has man ;;
	groff-base) has nroff ;;
	pgbouncer) has pgbouncer || [ -x /usr/sbin/pgbouncer ] ;;
	libclang-rt-14-dev) compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null ;;
	*) has "$1" ;;
	esac
}

missing=()
for p in "${packages[@]}"; do
	present "$p" && continue
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
