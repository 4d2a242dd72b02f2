#!/usr/bin/env bash
# Builds the unit tests with AddressSanitizer + UBSan (CMake option PENSION_SANITIZE) into
# build-asan/ and runs them with ctest. Any sanitizer report (memory error, leak, undefined
# behaviour) fails the test it happens in.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-asan}
# -O1 and line tables only: a quicker build than RelWithDebInfo, still readable stack traces.
cmake -S . -B "$BUILD_DIR" -G Ninja -DPENSION_SANITIZE=ON -DBUILD_TESTING=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" >/dev/null
ninja -C "$BUILD_DIR" -j"${JOBS:-2}" unit_tests
# The store conformance and Redis adapter tests need MariaDB and Redis. start-db is idempotent:
# it (re)starts whichever is not running — an earlier suite may have stopped them — and prints
# PENSION_TEST_*. What this script started, it stops.
if ! bash scripts/topology.sh db-running; then
  trap 'bash scripts/topology.sh stop >/dev/null 2>&1 || true' EXIT
fi
services=$(bash scripts/topology.sh start-db)
for line in $(grep '^PENSION_TEST_' <<<"$services"); do export "${line?}"; done
# UB is fatal (halt_on_error) so a report cannot scroll by unnoticed in a passing test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$BUILD_DIR" && ctest --output-on-failure -j"${JOBS:-2}" --timeout 300)
