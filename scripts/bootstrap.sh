#!/bin/sh
# Makes a fresh machine ready: pnpm (the version pinned in package.json) and the workspace's
# dependencies, then runs what was asked: `start` (the service) or `test` (the whole suite).
set -eu
cd "$(dirname "$0")/.."
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ -x .tools/node_modules/.bin/pnpm ]; then
    :
  elif [ "$(id -u)" = 0 ] && npm install --global --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    :
  else
    # Without root, keep pnpm inside the checkout.
    npm install --silent --no-save --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null
  fi
fi
if [ -x .tools/node_modules/.bin/pnpm ] && [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  PATH="$PWD/.tools/node_modules/.bin:$PATH"
  export PATH
fi

# Install when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  pnpm install --frozen-lockfile --reporter=append-only
fi

case "${1:-}" in
  start) exec pnpm --filter @aquastream/app start ;;
  test) exec bash scripts/test.sh ;;
  "") ;;
  *) echo "usage: scripts/bootstrap.sh [start|test]" >&2; exit 2 ;;
esac
