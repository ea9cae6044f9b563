#!/usr/bin/env bash
# Runs govulncheck (pinned in go.mod's tool block) over the module, offline,
# against a vulnerability database built locally from the golang.org/x/vulndb
# module at a pinned version. The database is built once per version and
# cached under $NETAGENT_VULNDB_CACHE (default ~/.cache/netagent-vulndb).
# Exits non-zero on any finding (govulncheck exits 3 when code reaches a
# vulnerable symbol).
set -euo pipefail
cd "$(dirname "$0")/.."
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
cache=${NETAGENT_VULNDB_CACHE:-$HOME/.cache/netagent-vulndb}
db="$cache/$VULNDB_VERSION"
if [ ! -f "$db/index/db.json" ]; then
  echo "building the vulnerability database $VULNDB_VERSION in $db (once per version)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # Download from an empty module so that the project's go.mod and go.sum
  # are not touched.
  (cd "$tmp" && go mod init vulndbfetch >/dev/null 2>&1)
  src=$(cd "$tmp" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
    echo "vuln: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2
    exit 1
  fi
  (cd "$tmp" && go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db")
  mkdir -p "$cache"
  rm -rf "$db"
  mv "$tmp/db" "$db"
fi
go version
go tool govulncheck -db "file://$db" ./...
