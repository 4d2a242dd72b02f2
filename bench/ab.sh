#!/usr/bin/env bash
# Side-by-side comparison of two pension720 binaries on the embedded default: for each round, a
# fresh server and database per binary, 3 s of warm-up purchases, then 5 s measured. Prints
# purchases/s, p99, the server's CPU and its writer thread's CPU per purchase, and the average
# group-commit batch. The machine's speed drifts, so only runs next to each other compare.
#   bench/ab.sh BIN_A BIN_B [ROUNDS]      (e.g. a copy of an earlier build-release/pension720)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 ROUNDS=${3:-3}
PORT=${BENCH_PORT:-18995}
SECRET=bench-secret-0123456789
source bench/lib.sh
BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 >/dev/null  # make_buyers' tokens

ticks() { awk '{print $14 + $15}' "$1"; }
one() {
  WORK=$(mktemp -d /tmp/pension-ab.XXXX)
  BENCH_BIN=$1 start_sqlite_server "$PORT" "$WORK/ab.db" "$WORK/server.log"
  make_buyers "http://localhost:$PORT" "$WORK/tokens"
  BENCH_TOKENS="$WORK/tokens" BENCH_THREADS=2 wrk -t2 -c64 -d3s -s bench/purchase.lua "http://127.0.0.1:$PORT" >/dev/null
  local writer c1 w1 out c2 w2
  writer=$(dirname "$(grep -l p720-writer /proc/$PID/task/*/comm | head -1)")
  c1=$(ticks /proc/$PID/stat) w1=$(ticks "$writer/stat")
  out=$(BENCH_OFFSET=1000000 BENCH_TOKENS="$WORK/tokens" BENCH_THREADS=2 \
    wrk -t2 -c64 -d5s --latency -s bench/purchase.lua "http://127.0.0.1:$PORT")
  c2=$(ticks /proc/$PID/stat) w2=$(ticks "$writer/stat")
  local batch
  batch=$(curl -s "localhost:$PORT/metrics" |
    awk '/^pension_store_batches_total/ {b = $2} /^pension_store_batch_jobs_total/ {j = $2} END {printf "%.1f", j / b}')
  kill "$PID"; wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
  awk -v r="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" -v p="$(awk '$1 == "99%" {print $2}' <<<"$out")" \
      -v c=$((c2 - c1)) -v w=$((w2 - w1)) -v hz="$(getconf CLK_TCK)" -v b="$batch" \
    'BEGIN { printf "%8.0f purchases/s  p99 %-8s server %5.1f us  writer %5.1f us per purchase  batch %s\n",
             r, p, c * 1e6 / hz / (r * 5), w * 1e6 / hz / (r * 5), b }'
}
trap 'kill ${PID:-} 2>/dev/null || true' EXIT
for _ in $(seq "$ROUNDS"); do
  echo "A $(one "$A")"
  echo "B $(one "$B")"
done
