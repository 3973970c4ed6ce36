#!/usr/bin/env bash
# Where the Temporal dev server's CPU goes under the load of bench (a) at concurrency 64, for this
# service and for the no-op baseline: runs `npm run bench -- --quick --only a`, samples the dev
# server with perf during each, and names the frames (the binary is stripped) with a small Go
# program. Needs perf and Go (https://go.dev/dl), and root or kernel.perf_event_paranoid <= 1.
# Usage: bash bench/temporal-profile/profile.sh [out dir, default a new one under /tmp]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$(mktemp -d /tmp/temporal-profile-XXXXXX)}"
mkdir -p "$out"
for tool in perf go; do
  command -v "$tool" >/dev/null || { echo "needs $tool on PATH" >&2; exit 1; }
done

log="$out/bench.log"
# In a session of its own, so that stopping it early stops the service and dev server it started.
(cd "$root" && exec setsid npm run bench -- --quick --only a --out "$out/results") >"$log" 2>&1 &
bench=$!
stop_bench() {
  kill -TERM -- "-$bench" 2>/dev/null || return 0
  # Stopped by a signal, the bench cannot remove its scratch data directory itself.
  sleep 3
  scratch="$(sed -n 's/.*; data in \(\/[^ ]*\)$/\1/p' "$log" | head -1)"
  case "$scratch" in */orders-bench-*) rm -rf "$scratch" ;; esac
}
trap stop_bench EXIT

# Waits (at most 20 minutes) for a line of the bench's progress after the one it has reached.
until_logged() {
  for _ in $(seq 1 1200); do
    sed -n "/$1/,\$p" "$log" | grep -q -- "$2" && return 0
    kill -0 "$bench" 2>/dev/null || { echo "the bench ended early; its log: $log" >&2; exit 1; }
    sleep 1
  done
  echo "timed out waiting for '$2' in $log" >&2
  exit 1
}

until_logged 'commands at concurrency 64' 'commands at concurrency 64'
server="$(pgrep -f 'start-dev.*orders-bench-' | head -1)"
binary="$(readlink -f "/proc/$server/exe")"
echo "sampling the Temporal dev server (pid $server) under this service's load …"
sleep 5
perf record -e cpu-clock -F 499 -g -p "$server" -o "$out/service.data" -- sleep 25 2>>"$out/perf.log"
until_logged 'commands at concurrency 64' 'baseline:'
echo "… and under the no-op baseline's"
sleep 2
perf record -e cpu-clock -F 499 -g -p "$server" -o "$out/baseline.data" -- sleep 8 2>>"$out/perf.log"
wait "$bench"
trap - EXIT

for run in service baseline; do
  echo
  echo "== the Temporal dev server under the load of the ${run/service/service itself}"
  perf script -i "$out/$run.data" 2>/dev/null | (cd "$here" && go run . "$binary") | tee "$out/$run.txt"
done
echo
grep 'commands over HTTP, concurrency 64' "$log" || true
echo "(perf data, reports and the bench's log in $out)"
