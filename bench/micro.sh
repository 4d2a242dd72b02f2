#!/usr/bin/env bash
# In-process benchmarks (Google Benchmark): settlement of a sold-out round, auto picks at 99.99%.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh micro_bench >/dev/null
exec build-release/micro_bench "$@"
