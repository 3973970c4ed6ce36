#!/usr/bin/env bash
# What the ratio of bench (a) at concurrency 64 would be if the service did less: runs
# `npm run bench -- --quick --only a --concurrency 64` on three builds of the committed code, in
# turns, and prints each one's ratio to the no-op baseline of its own run:
#   service    as shipped;
#   no-append  the API takes each command's events and writes nothing to ClickHouse (receipts,
#              fallback timers and deliveries as shipped);
#   bare       no event leaves the workflow: no append, no receipt, no fallback timer, no
#              delivery; the same HTTP API, validation, workflow state machine and answers.
# The two variants are switched on by floor.patch (BENCH_FLOOR), applied to a scratch git worktree
# of HEAD; the checkout itself is not touched. No variant samples projection lag (nothing to see
# in the read models of the two). Needs `npm install` done here. About 2 minutes per build and round.
# Usage: bash bench/floor/ladder.sh [rounds, default 2] [out dir, default a new one under /tmp]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-2}"
out="${2:-$(mktemp -d /tmp/bench-floor-XXXXXX)}"
case "$rounds" in '' | *[!0-9]* | 0) echo "rounds must be a positive number, got '$rounds'" >&2; exit 2 ;; esac
[ -d "$root/node_modules" ] || { echo "run npm install in $root first" >&2; exit 1; }
mkdir -p "$out"

tree="$(mktemp -d /tmp/bench-floor-tree-XXXXXX)"
cleanup() { git -C "$root" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"; }
trap cleanup EXIT
git -C "$root" worktree add --quiet --detach "$tree" HEAD
git -C "$tree" apply "$here/floor.patch"
ln -s "$root/node_modules" "$tree/node_modules"
[ -d "$root/.tools" ] && ln -s "$root/.tools" "$tree/.tools"
echo "commit $(git -C "$root" rev-parse --short HEAD), $rounds round(s); logs and results in $out"

run() {
  local variant="$1" round="$2" floor=""
  [ "$variant" = service ] || floor="$variant"
  echo "round $round: $variant … ($(date -u +%H:%M:%S) UTC)"
  (cd "$tree" && BENCH_FLOOR="$floor" timeout 1200 npm run bench -- --quick --only a --concurrency 64 --out "$out/$variant") \
    >"$out/$variant-$round.log" 2>&1 || { echo "  failed; see $out/$variant-$round.log" >&2; exit 1; }
}
for round in $(seq 1 "$rounds"); do
  # Alternate the order, so that a machine speeding up or slowing down through the run meets all alike.
  if [ $((round % 2)) -eq 1 ]; then order="service no-append bare"; else order="bare no-append service"; fi
  for variant in $order; do run "$variant" "$round"; done
done

node - "$out" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const out = process.argv[2];
console.log('\nconcurrency 64, ratio to the no-op baseline of the same run (each run: two rounds in turns)');
for (const variant of ['service', 'no-append', 'bare']) {
  const runs = fs.readdirSync(path.join(out, variant)).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(out, variant, f), 'utf8')).scenarios.find((s) => s.name === 'commands over HTTP, concurrency 64'));
  const ratios = runs.map((s) => s.ratio);
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const rates = runs.map((s) => `${s.throughput.toFixed(0)}/${s.baseline.throughput.toFixed(0)}`).join(', ');
  console.log(`  ${variant.padEnd(10)} ratio ${ratios.map((r) => r.toFixed(2)).join(', ')} (mean ${mean.toFixed(2)}); cmd/s ours/baseline ${rates}`);
  for (const s of runs) console.log(`             ${s.note.replace(/^.*CPU ms per command: /, 'CPU ms per command: ')}`);
}
JS
