#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (AddressSanitizer + UBSan) into build-fuzz/ and
# runs each for FUZZ_SECONDS (default 20) from its seeds in fuzz/corpus/<target>/. Fails on any
# crash, sanitizer report, leak or slow input; the input that failed is kept in build-fuzz/artifacts/.
# Usage: scripts/fuzz.sh [target…]   (default: every fuzz/*_fuzz.cc)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (scripts/install-deps.sh installs it)"; exit 1; }
# -O1 and line tables only: fast enough to fuzz, quick to build, readable stack traces.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DPENSION_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
fi
ninja -C "$BUILD_DIR" -j"${JOBS:-2}" "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$BUILD_DIR/artifacts"
failed=()
for t in "${targets[@]}"; do
  # The working corpus (first directory) collects what the fuzzer finds; the checked-in seeds
  # (second) are only read.
  work="$BUILD_DIR/corpus/$t"
  mkdir -p "$work" "fuzz/corpus/$t"
  log="$BUILD_DIR/$t.log"
  echo "== fuzz $t (${SECONDS_EACH}s)"
  if "$BUILD_DIR/$t" "$work" "fuzz/corpus/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -max_len=4096 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t-" >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|cov:)|#[0-9]+.*DONE' "$log" | tail -2 || true
  else
    echo "fuzz $t FAILED; last lines of $log:"
    tail -60 "$log"
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failing targets: ${failed[*]} (reproduce: $BUILD_DIR/<target> $BUILD_DIR/artifacts/<file>)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${SECONDS_EACH}s each without a failure"
