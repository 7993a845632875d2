#!/usr/bin/env bash
# The bench's load generators, run as their own processes: wrk (Debian's package) saturates a server
# for the CPU-per-request ratio; vegeta (Go module, pinned, built once like the other Go tools)
# offers a fixed rate open-loop for latency. Prints the vegeta binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-packages.sh wrk >&2
# shellcheck source=../scripts/go-tools.sh
source scripts/go-tools.sh >&2
build_tool vegeta github.com/tsenart/vegeta/v12 github.com/tsenart/vegeta/v12 v12.13.0 >&2
echo "$bin/vegeta"
