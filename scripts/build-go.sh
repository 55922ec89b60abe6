#!/usr/bin/env bash
# Build the local lab's Go binaries into <repo>/.cache/bin (git-ignored):
#   demo-service, loadgen   from ./demo (module chaosrunner.dev/demo)
#   toxiproxy-server        from github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION
#
# A binary is rebuilt only when a source is newer than it (for Toxiproxy: when
# the pinned version changes), so a second run takes well under a second.
# Toxiproxy is built with `go install module@version`, which keeps it out of
# demo/go.mod. Needs only Go and the module proxy. Usage: build-go.sh [--force]
set -euo pipefail

TOXIPROXY_VERSION="${TOXIPROXY_VERSION:-v2.12.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.cache/bin"
FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

command -v go >/dev/null || { echo "build-go: go is not on PATH" >&2; exit 1; }
mkdir -p "$BIN"
NICE=(nice -n 10) # the machine is shared: builds yield to everything else

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# stale OUT: true if OUT is missing or any non-test Go source, go.mod or
# go.sum of the demo module (or this script) is newer than it.
stale() {
  [[ $FORCE == 1 || ! -x $1 ]] && return 0
  [[ -n $(find "$ROOT/demo" "${BASH_SOURCE[0]}" -newer "$1" \
      \( \( -name '*.go' ! -name '*_test.go' \) -o -name go.mod -o -name go.sum -o -name build-go.sh \) \
      -print -quit) ]]
}

build_demo() { # name
  local out="$BIN/$1" t
  if ! stale "$out"; then
    echo "build-go: $1 up to date"
    return
  fi
  t=$(now)
  # Build next to the target and rename, so a failed build never leaves a
  # fresh-looking binary behind.
  (cd "$ROOT/demo" && "${NICE[@]}" go build -o "$out.tmp" "./cmd/$1")
  mv -f "$out.tmp" "$out"
  echo "build-go: built $out in $(elapsed "$t")"
}

build_toxiproxy() {
  local out="$BIN/toxiproxy-server" stamp="$BIN/toxiproxy-server.version" t tmp
  if [[ $FORCE == 0 && -x $out && $(cat "$stamp" 2>/dev/null) == "$TOXIPROXY_VERSION" ]]; then
    echo "build-go: toxiproxy-server $TOXIPROXY_VERSION up to date"
    return
  fi
  t=$(now)
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  # `go install module@version` ignores any enclosing module: demo/go.mod is untouched.
  (cd "$tmp" && GOBIN="$tmp" "${NICE[@]}" go install \
    "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION")
  mv -f "$tmp/server" "$out"
  echo "$TOXIPROXY_VERSION" >"$stamp"
  echo "build-go: built $out ($TOXIPROXY_VERSION) in $(elapsed "$t")"
}

start=$(now)
build_demo demo-service
build_demo loadgen
build_toxiproxy
echo "build-go: done in $(elapsed "$start"); binaries in $BIN"
