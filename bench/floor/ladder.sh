#!/usr/bin/env bash
# What the ratio of bench (a) would be if the service did less: runs
# `npm run bench -- --quick --only a --concurrency 64` (both rhythms; BENCH_RHYTHM=back-to-back or
# person for one; BENCH_LEVELS=1,64 for other levels) as shipped and with each floor variant
# (--floor no-append, --floor bare; bench/floor/seams.ts says what each leaves out), in turns, and
# prints each one's ratio to the no-op baseline of its own run. Nothing is patched: the variants
# plug into the service's seams. No variant samples projection lag (nothing to see in the read
# models of the two). Needs `npm install` done here. About 2 minutes per variant, level and round.
# Usage: bash bench/floor/ladder.sh [rounds, default 2] [out dir, default a new one under /tmp]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-2}"
out="${2:-$(mktemp -d /tmp/bench-floor-XXXXXX)}"
levels="${BENCH_LEVELS:-64}"
case "$rounds" in '' | *[!0-9]* | 0) echo "rounds must be a positive number, got '$rounds'" >&2; exit 2 ;; esac
[ -d "$root/node_modules" ] || { echo "run npm install in $root first" >&2; exit 1; }
mkdir -p "$out"
echo "commit $(git -C "$root" rev-parse --short HEAD), concurrency $levels, $rounds round(s); logs and results in $out"

run() {
  local variant="$1" round="$2" floor=()
  [ "$variant" = service ] || floor=(--floor "$variant")
  [ -n "${BENCH_RHYTHM:-}" ] && floor+=(--rhythm "$BENCH_RHYTHM")
  echo "round $round: $variant … ($(date -u +%H:%M:%S) UTC)"
  (cd "$root" && timeout 1200 npm run bench -- --quick --only a --concurrency "$levels" "${floor[@]}" --out "$out/$variant") \
    >"$out/$variant-$round.log" 2>&1 || { echo "  failed; see $out/$variant-$round.log" >&2; exit 1; }
}
for round in $(seq 1 "$rounds"); do
  # Alternate the order, so that a machine speeding up or slowing down through the run meets all alike.
  if [ $((round % 2)) -eq 1 ]; then order="service no-append bare"; else order="bare no-append service"; fi
  for variant in $order; do run "$variant" "$round"; done
done

node "$root/bench/summarize.js" "$out" service no-append bare
