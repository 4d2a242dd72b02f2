#!/usr/bin/env bash
# In-process benchmarks (Google Benchmark): settlement of a sold-out round, the store's group commit
# of purchases (a fixed amount of work: also for callgrind), auto picks at 99.99%. With
# PENSION_BENCH_MYSQL=mysql://… (e.g. what `scripts/topology.sh start-db` prints as PENSION_DB,
# with another database name), also the group commit on MariaDB and MariaDB's CPU per purchase.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh micro_bench >/dev/null
exec build-release/micro_bench "$@"
