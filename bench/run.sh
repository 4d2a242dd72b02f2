#!/usr/bin/env bash
# One-command HTTP benchmark of pension720 on the embedded default (SQLite, every 201 fsynced):
# purchases/s, p50/p99 latency, ratio to the HTTP ceiling (GET /api/v1/pension/round in the same
# run), resident memory, and a sell-out estimate — the hot-buyer BEST CASE (64 buyers, load-test
# settings); what a crowd sees is bench/crowd.sh. Not a test: it asserts nothing.
#   bench/run.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_settings "$@"
PORT=${BENCH_PORT:-18990}
SECRET=bench-secret-0123456789
start_sqlite_bench "$PORT" bench

echo "== HTTP ceiling: GET /api/v1/pension/round ($CONNS connections, ${DURATION}s)"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/api/v1/pension/round" >"$WORK/ceiling.txt"
grep -E "Requests/sec|50%|99%" "$WORK/ceiling.txt"

echo "== Purchases: POST /api/v1/pension/purchases, one ticket each ($CONNS connections, ${DURATION}s)"
BENCH_TOKENS="$WORK/tokens" BENCH_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/purchase.lua "http://127.0.0.1:$PORT" >"$WORK/buy.txt"
grep -E "Requests/sec|50%|99%|Non-2xx" "$WORK/buy.txt" || true

ceiling=$(awk '/Requests\/sec/ {print $2}' "$WORK/ceiling.txt")
buys=$(awk '/Requests\/sec/ {print $2}' "$WORK/buy.txt")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
sold=$(sqlite3 "$WORK/bench.db" "SELECT COUNT(*) FROM tickets")
echo "== Summary (the hot-buyer best case: BENCH_BUYERS (64) buyers whose pages stay cached, rate limit and access log off; the crowd is bench/crowd.sh)"
echo "purchases_per_sec=$buys"
echo "ceiling_per_sec=$ceiling"
awk -v b="$buys" -v c="$ceiling" 'BEGIN { printf "ratio_to_ceiling=%.1f%%\n", 100*b/c }'
echo "tickets_sold=$sold"
echo "peak_rss_mb=$((rss_kb / 1024))"
# The WAL must start over under continuous load (SqliteConnection::maintain): its size stays bounded.
echo "wal_mb=$(( $(stat -c %s "$WORK/bench.db-wal" 2>/dev/null || echo 0) / 1048576 ))"
awk -v b="$buys" 'BEGIN { printf "sell_out_estimate=%.0f s for 5,000,000 tickets at this rate\n", 5000000/b }'
