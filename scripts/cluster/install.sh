#!/usr/bin/env bash
# Installs what a Temporal cluster on PostgreSQL needs on this machine, for the cluster test tier
# (`npm run test:cluster`) and the benchmark on a cluster (`npm run bench:cluster`):
#   - the Temporal server and its SQL tool, built from the Go module proxy at a pinned version into
#     the git-ignored .tools/temporal-server-<version>/ (kept between runs), with the module's
#     PostgreSQL schemas beside them;
#   - PostgreSQL: Debian's package when no PostgreSQL server is installed (as root).
# Does nothing that is done already. Its last two lines say where the tools are, for the caller:
#   TEMPORAL_SERVER_DIR=…   (bin/server, bin/sql, schema/postgresql/v12/…)
#   POSTGRES_BIN_DIR=…      (initdb, postgres, pg_isready)
set -euo pipefail

TEMPORAL_SERVER_VERSION=1.29.1
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$root/.tools/temporal-server-$TEMPORAL_SERVER_VERSION"

if [ ! -x "$target/bin/server" ] || [ ! -x "$target/bin/sql" ] || [ ! -d "$target/schema/postgresql/v12" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "building the Temporal server needs Go 1.24 or later (https://go.dev/dl/) on PATH" >&2
    exit 1
  fi
  module="go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  staging="$target.partial-$$"
  trap 'rm -rf "$staging"' EXIT
  echo "building the Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool from the Go module proxy (a few minutes the first time) …" >&2
  GOBIN="$staging/bin" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
  source_dir="$(go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$staging/schema"
  cp -R "$source_dir/schema/postgresql" "$staging/schema/"
  # Files in Go's module cache are read-only; the copy is ours to replace.
  chmod -R u+w "$staging/schema"
  rm -rf "$target"
  mv "$staging" "$target"
  trap - EXIT
fi

postgres_bin_dir() {
  local newest
  newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$newest" ] && [ -x "$newest/postgres" ]; then
    echo "$newest"
  elif command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v postgres)"
  fi
}

if [ -z "$(postgres_bin_dir)" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "no PostgreSQL server here; install it (sudo apt-get install postgresql) and run this again" >&2
    exit 1
  fi
  echo "installing Debian's PostgreSQL …" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends postgresql >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends postgresql >&2; }
fi

echo "TEMPORAL_SERVER_DIR=$target"
echo "POSTGRES_BIN_DIR=$(postgres_bin_dir)"
