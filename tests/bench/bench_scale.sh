#!/usr/bin/env bash
# bench_scale.sh DBDECK SRCDIR: dbdeck watching 200 nodes at a 1 s refresh.
# The nodes are the harness's six servers under 201 names ($DD_HARNESS_ENV;
# `make bench` starts one): 67 clusters of three, alternately PostgreSQL and
# MariaDB (tests/bench/scale_config.sh), so every probe is a real round trip
# and the figures are dbdeck's own cost.
#
# The console: started in a tmux pane (100x40), left WARMUP s (default 20)
# after the first screen, then measured over SECONDS_MEASURED s (default 30):
# CPU of the process (/proc/PID/stat utime + stime) as a share of one core,
# RSS (VmRSS at the end, VmHWM the peak) and threads, and the time from a key
# to the new screen (tests/tui/keylat.py, 12 trials, the median). `dbdeck
# serve`, when `dbdeck serve --help` succeeds: the same CPU, RSS and threads,
# and SCRAPES (default 200) scrapes of /metrics with curl, their p99.
# Prints a table and
#   RESULT scale_200_console_cpu_pct X   RESULT scale_200_console_rss_mb X
#   RESULT scale_200_console_threads X   RESULT scale_200_console_key_ms X
#   RESULT scale_200_cpu_pct X           RESULT scale_200_rss_mb X
#   RESULT scale_200_threads X           RESULT scale_200_scrape_p99_ms X
# (the last four from serve; "# serve not built" instead when it is not).
# SCALE_CLUSTERS=2 measures the six-node config the same way (RESULT names
# then say scale_6). A benchmark, not a test: it never fails on a timing.
set -uo pipefail
export LC_ALL=C
dbdeck=$1 src=$2
warmup=${WARMUP:-20} measure=${SECONDS_MEASURED:-30} scrapes=${SCRAPES:-200}
clusters=${SCALE_CLUSTERS:-67}
nodes=$((clusters * 3))
label=$((nodes == 201 ? 200 : nodes))

[ -x "$dbdeck" ] || { echo "bench_scale: $dbdeck is not an executable"; exit 1; }
[ -n "${DD_HARNESS_ENV:-}" ] && [ -r "$DD_HARNESS_ENV" ] || { echo "bench_scale: DD_HARNESS_ENV is not set"; exit 1; }
command -v tmux >/dev/null || { echo "bench_scale: tmux is not installed"; exit 1; }
# shellcheck disable=SC1090
. "$DD_HARNESS_ENV"
dir=$DD_HARNESS_DIR
tmp=$(mktemp -d /tmp/dbdeck-bench-scale.XXXXXX)
sock=ddbench-scale-$$
serve_pid=
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
[ -r "$dir/vault" ] || "$src/tests/harness/mkvault.sh" "$dbdeck" "$dir" >/dev/null 2>&1
cfg=$tmp/scale.ini
bash "$src/tests/bench/scale_config.sh" "$DD_HARNESS_ENV" "$cfg" "$clusters" || exit 1
tick=$(getconf CLK_TCK)

# CPU ticks (utime + stime) of PID.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
# measure PID NAME: CPU over $measure s, RSS, peak RSS, threads; sets m_*.
measure() {
	local pid=$1 t0 t1 s0 s1
	t0=$(ticks "$pid") s0=$(date +%s.%N)
	sleep "$measure"
	t1=$(ticks "$pid") s1=$(date +%s.%N)
	m_cpu=$(echo "$t0 $t1 $s0 $s1 $tick" | awk '{printf "%.2f", ($2 - $1) / $5 / ($4 - $3) * 100}')
	m_rss=$(awk '{printf "%.1f", $1 / 1024}' <<<"$(status_kb "$pid" VmRSS)")
	m_hwm=$(awk '{printf "%.1f", $1 / 1024}' <<<"$(status_kb "$pid" VmHWM)")
	m_thr=$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status")
}

printf '# %d nodes (%d clusters) over the harness; warm-up %d s, measured over %d s\n' \
	"$nodes" "$clusters" "$warmup" "$measure"

# ---- the console ----
tmux -L "$sock" -f /dev/null new-session -d -x 100 -y 40 \
	"exec env LANG=C.UTF-8 $dbdeck -c $cfg --passphrase-file $dir/passphrase"
tmux -L "$sock" set -g status off >/dev/null
pid=$(tmux -L "$sock" display-message -p '#{pane_pid}')
shown=
for _ in $(seq 1 600); do
	tmux -L "$sock" capture-pane -p | grep -qE '^. pg01-1 +primary' && shown=1 && break
	sleep 0.1
done
if [ -z "$shown" ]; then
	echo "bench_scale: the console showed no first screen in 60 s; the pane:"
	tmux -L "$sock" capture-pane -p | sed 's/^/  /'
	exit 1
fi
sleep "$warmup"
measure "$pid"
lat=$(python3 "$src/tests/tui/keylat.py" "$sock" 12 4 'Global \(every view\)' 1 'pg01-1 +primary')
key=$(printf '%s\n' $lat | sort -g | sed -n 6p)
up=$(tmux -L "$sock" capture-pane -p | grep -cE '^. (pg|my)[0-9]{2}-[123] .* up ')
printf '%-28s %8s %8s %8s %8s %8s\n' "" "cpu %" "rss MB" "peak MB" threads "key ms"
printf '%-28s %8s %8s %8s %8s %8s\n' "console" "$m_cpu" "$m_rss" "$m_hwm" "$m_thr" "$key"
printf '# console: %s of the rows on its first screen up; keys (ms): %s\n' "$up" "$(echo $lat)"
tmux -L "$sock" kill-server 2>/dev/null
echo "RESULT scale_${label}_console_cpu_pct $m_cpu"
echo "RESULT scale_${label}_console_rss_mb $m_rss"
echo "RESULT scale_${label}_console_threads $m_thr"
echo "RESULT scale_${label}_console_key_ms $key"

# ---- serve ----
if ! "$dbdeck" serve --help >/dev/null 2>&1; then
	echo "# serve not built"
	exit 0
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DBDECK_PASSPHRASE_FILE=$dir/passphrase "$dbdeck" -c "$cfg" serve --listen "127.0.0.1:$port" \
	>"$tmp/serve.log" 2>&1 &
serve_pid=$!
ready=
for _ in $(seq 1 600); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && ready=1 && break
	sleep 0.1
done
[ -n "$ready" ] || { echo "bench_scale: serve was not ready in 60 s:"; sed 's/^/  /' "$tmp/serve.log"; exit 1; }
sleep "$warmup"
measure "$serve_pid"
for _ in $(seq 1 "$scrapes"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
done >"$tmp/scrapes"
p99=$(sort -g "$tmp/scrapes" | awk '{v[NR] = $1} END {i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; printf "%.1f", v[i] * 1000}')
printf '%-28s %8s %8s %8s %8s %8s\n' "serve" "$m_cpu" "$m_rss" "$m_hwm" "$m_thr" "p99 $p99"
echo "RESULT scale_${label}_cpu_pct $m_cpu"
echo "RESULT scale_${label}_rss_mb $m_rss"
echo "RESULT scale_${label}_threads $m_thr"
echo "RESULT scale_${label}_scrape_p99_ms $p99"
