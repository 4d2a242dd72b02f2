#!/usr/bin/env bash
# Sells a whole round (5,000,000 single-ticket purchases over HTTP, every 201 durable) and reports
# how long it took, from the first to the last ticket's timestamp, and the server's peak memory.
# Buyers: BENCH_BUYERS (default 50,000 distinct buyers, 100 tickets each). Takes about 4 minutes
# on 2 cores. Not a test.   bench/sellout.sh [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${1:-64}
THREADS=2
PORT=${BENCH_PORT:-18992}
SECRET=bench-secret-0123456789
export BENCH_BUYERS=${BENCH_BUYERS:-50000}
source bench/lib.sh
start_sqlite_bench "$PORT" sellout
# wrk cannot stop at a count: poll the sold counter and stop wrk once the round is sold out.
BENCH_TOKENS="$WORK/tokens" BENCH_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d3600s --latency -s bench/purchase.lua "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>&1 &
WRK=$!
while kill -0 $WRK 2>/dev/null; do
  sold=$(curl -s "localhost:$PORT/metrics" | awk '/^pension_tickets_sold/ {print $2}')
  [[ "${sold:-0}" -ge 5000000 ]] && break
  sleep 5
done
kill -INT $WRK 2>/dev/null || true
wait $WRK 2>/dev/null || true
grep -E "50%|99%" "$WORK/wrk.txt" || true
sqlite3 "$WORK/sellout.db" "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM tickets" |
  awk -F'|' '{print "tickets_sold=" $1; print "first_ticket_at=" $2; print "last_ticket_at=" $3}'
echo "peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' "/proc/$PID/status") / 1024 ))"
