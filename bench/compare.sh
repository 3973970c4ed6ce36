#!/usr/bin/env bash
# Scenario (a) of two commits side by side, for a change's before and after: runs each commit's
# own `npm run bench -- --quick --only a --concurrency 1,64` (both rhythms, where the commit's
# bench has a person's rhythm) in a scratch git worktree, the two
# taking turns round by round (the order reversed every other round), and prints, per commit and
# level, the ratio to the no-op baseline of each run, their mean and spread. The spread of one
# commit's runs is the run-to-run noise a difference between the two must exceed to mean anything.
# The checkout itself is not touched. Needs `npm install` done here; a commit with another
# package-lock.json gets its own `npm install` in its worktree. About 4 minutes per commit and round.
# Usage: bash bench/compare.sh <before> <after> [rounds, default 3] [out dir, default a new one under /tmp]
# BENCH_SIZE (quick) and BENCH_LEVELS (1,64) change the size and levels, e.g. tiny and 1,4 to try the script;
# BENCH_RHYTHM (back-to-back or person) runs one rhythm only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
before="$(git -C "$root" rev-parse --short "$1")"
after="$(git -C "$root" rev-parse --short "$2")"
rounds="${3:-3}"
size="${BENCH_SIZE:-quick}"
levels="${BENCH_LEVELS:-1,64}"
rhythm=()
[ -n "${BENCH_RHYTHM:-}" ] && rhythm=(--rhythm "$BENCH_RHYTHM")
out="${4:-$(mktemp -d /tmp/bench-compare-XXXXXX)}"
case "$rounds" in '' | *[!0-9]* | 0) echo "rounds must be a positive number, got '$rounds'" >&2; exit 2 ;; esac
[ -d "$root/node_modules" ] || { echo "run npm install in $root first" >&2; exit 1; }
mkdir -p "$out"

trees=()
cleanup() { for tree in "${trees[@]}"; do git -C "$root" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"; done; }
trap cleanup EXIT
for commit in "$before" "$after"; do
  tree="$(mktemp -d "/tmp/bench-compare-$commit-XXXXXX")"
  trees+=("$tree")
  git -C "$root" worktree add --quiet --detach "$tree" "$commit"
  # A commit built on other dependencies than this checkout's gets its own, as its lockfile says.
  if git -C "$root" diff --quiet "$commit" -- package-lock.json; then
    ln -s "$root/node_modules" "$tree/node_modules"
  else
    echo "installing $commit's own dependencies (its package-lock.json differs from this checkout's) …"
    (cd "$tree" && npm install --silent --no-audit --no-fund >/dev/null) || { echo "npm install failed in $tree" >&2; exit 1; }
  fi
  [ -d "$root/.tools" ] && ln -s "$root/.tools" "$tree/.tools"
  eval "tree_$commit=\"$tree\""
done
echo "before $before, after $after, $rounds round(s); logs and results in $out"

run() {
  local commit="$1" round="$2" tree
  eval "tree=\"\$tree_$commit\""
  echo "round $round: $commit … ($(date -u +%H:%M:%S) UTC)"
  (cd "$tree" && timeout 1800 npm run bench -- "--$size" --only a --concurrency "$levels" "${rhythm[@]}" --out "$out/$commit") \
    >"$out/$commit-$round.log" 2>&1 || { echo "  failed; see $out/$commit-$round.log" >&2; exit 1; }
}
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="$before $after"; else order="$after $before"; fi
  for commit in $order; do run "$commit" "$round"; done
done

node "$root/bench/summarize.js" "$out" "$before" "$after"
