#!/usr/bin/env bash
# Installs the Debian packages that the test harness in testing/services needs:
#   - postgresql   (server binaries under /usr/lib/postgresql/<ver>/bin, and the postgres user)
#   - redis-server (and redis-cli from redis-tools)
#   - redis-sentinel (the topology tests run three sentinels)
# plus any extra Debian package names given as arguments.
#
# Usage: bash scripts/ensure-system-packages.sh [extra-package ...]
#
# Fast no-op when everything is already present. Installing needs root; when not
# root and something is missing, it says what to run and exits non-zero.
set -euo pipefail

missing=()

have_postgres() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [[ -x "$dir/postgres" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/psql" ]]; then
      return 0
    fi
  done
  return 1
}

have_package() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! have_postgres || ! getent passwd postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v redis-server >/dev/null 2>&1 && [[ ! -x /usr/bin/redis-server ]]; then
  missing+=(redis-server)
fi
if ! command -v redis-sentinel >/dev/null 2>&1 && [[ ! -x /usr/bin/redis-sentinel ]]; then
  missing+=(redis-sentinel)
fi
for pkg in "$@"; do
  if ! have_package "$pkg"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-system-packages: missing Debian packages: ${missing[*]}" >&2
  echo "ensure-system-packages: installing them needs root; run:" >&2
  echo "  sudo bash scripts/ensure-system-packages.sh $*" >&2
  echo "or: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "ensure-system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Re-check so a broken install fails here rather than in the tests.
if ! have_postgres; then
  echo "ensure-system-packages: PostgreSQL server binaries still not found under /usr/lib/postgresql/*/bin" >&2
  exit 1
fi
if ! command -v redis-server >/dev/null 2>&1 && [[ ! -x /usr/bin/redis-server ]]; then
  echo "ensure-system-packages: redis-server still not found" >&2
  exit 1
fi
