#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, lints (scripts/lint.sh), then unit tests
# (ctest), HTTP end-to-end tests against the real server (pytest), the fault suite (tests/faults),
# the Debian package (build, install, buy, purge; root), the browser test (node + Chromium), then
# fuzzing (scripts/fuzz.sh) and the unit tests under sanitizers (scripts/sanitize.sh).
# Exits non-zero if any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
bash scripts/build.sh || exit 1

PY=/usr/bin/python3  # Debian's interpreter, which has python3-pytest
export PENSION_BIN="$PWD/build/pension720"
failed=()

echo "== lint (scripts/lint.sh: clang-format, clang-tidy)"
bash scripts/lint.sh || failed+=(lint)

echo "== MariaDB and Redis (scripts/topology.sh start-db) for the store and Redis tests"
# Stopped at exit, whatever happens; the conformance and Redis tests read PENSION_TEST_MYSQL and
# PENSION_TEST_REDIS, and a missing server fails the run rather than skipping those tests.
trap 'bash scripts/topology.sh stop >/dev/null 2>&1 || true' EXIT
if services=$(bash scripts/topology.sh start-db); then
  for line in $(grep '^PENSION_TEST_' <<<"$services"); do export "${line?}"; done
else
  failed+=(services)
fi

echo "== unit tests (ctest)"
(cd build && ctest --output-on-failure -j2) || failed+=(unit)

echo "== end-to-end HTTP tests (pytest)"
$PY -m pytest -q -p no:cacheprovider tests/e2e || failed+=(e2e)

echo "== fault suite (pytest tests/faults: MariaDB SIGKILL/SIGSTOP, Redis SIGKILL, a partitioned instance,"
echo "   SQLite SIGKILL, a full disk, 5,000 connections — each under load, then the invariant check)"
# Bounded: a fault that hangs the suite fails it instead.
timeout --signal=KILL 360 $PY -m pytest -q -p no:cacheprovider tests/faults || failed+=(faults)
bash scripts/topology.sh signal-db CONT >/dev/null 2>&1 || true  # never leave MariaDB stopped

echo "== Debian package (scripts/package.sh; tests/package: dpkg -i, buy a ticket, SIGTERM, purge)"
(deb=$(BUILD_DIR=build bash scripts/package.sh) && PENSION_DEB="$deb" bash tests/package/test_package.sh) || failed+=(package)

if [[ -f tests/e2e/web/package.json ]]; then
  echo "== browser test (node --test, Chromium)"
  (cd tests/e2e/web && npm ci --no-audit --no-fund --loglevel=error && node --test) || failed+=(web)
fi

echo "== fuzzing (libFuzzer, clang, ASan + UBSan; 15 s per target)"
FUZZ_SECONDS=${FUZZ_SECONDS:-15} bash scripts/fuzz.sh || failed+=(fuzz)

echo "== unit tests under AddressSanitizer + UBSan"
bash scripts/sanitize.sh || failed+=(sanitize)

if ((${#failed[@]})); then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
