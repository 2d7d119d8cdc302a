#!/usr/bin/env bash
# scale_config.sh: a config of many nodes over the harness's six servers, for
# bench_scale.sh and the console's 200-node tmux test. The same host:port
# under many names: CLUSTERS clusters (default 67) of three nodes each,
# alternately PostgreSQL (pgNN-1..3 = pg1..pg3) and MariaDB (myNN-1..3 =
# my1..my3), so dbdeck's own cost is measured with real servers behind every
# node. The [console] section is the harness config's (vault, audit log).
# CLUSTER_KEYS and NODE_KEYS: more lines for every cluster / node section
# (e.g. "min_idle = 0", "tls = disable").
# usage: scale_config.sh HARNESS_ENV OUT [CLUSTERS [CLUSTER_KEYS [NODE_KEYS]]]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: scale_config.sh HARNESS_ENV OUT [CLUSTERS]" >&2; exit 2; }
# shellcheck disable=SC1090
. "$1"
out=$2 clusters=${3:-67} cluster_keys=${4-} node_keys=${5-}
{
	sed -n '/^\[console\]/,/^$/p' "$DD_HARNESS_DIR/dbdeck.ini"
	for ((c = 1; c <= clusters; c++)); do
		if ((c % 2)); then e=pg engine=postgresql; else e=my engine=mariadb; fi
		name=$(printf '%s%02d' "$e" $(((c + 1) / 2)))
		printf '[cluster %s]\nengine = %s\nnodes = %s-1, %s-2, %s-3\ndatabase = %s\ncredential = harness\n%s\n\n' \
			"$name" "$engine" "$name" "$name" "$name" "$DD_DATABASE" "$cluster_keys"
		for i in 1 2 3; do
			port_var="DD_${e^^}${i}_PORT"
			printf '[node %s-%d]\nhost = %s\nport = %s\n%s\n\n' "$name" "$i" "$DD_HOST" "${!port_var}" "$node_keys"
		done
	done
} >"$out"
