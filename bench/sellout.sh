#!/usr/bin/env bash
# Sells a whole round (5,000,000 single-ticket purchases over HTTP, every 201 durable) to BUYERS
# distinct buyers (default 50,000: 100 tickets each, the default per-round limit) against
# pension720 in its DEFAULT configuration (embedded SQLite, access log on, rate limits on,
# round limit 100), and reports how long it took, from the first to the last ticket's timestamp,
# the purchases that were not 201, and the server's peak memory. The buyers are funded first by
# a server with the rate limit off, which is then stopped. Takes 5–10 minutes on 2 cores. Not a test.
#   bench/sellout.sh [CONNECTIONS]        (BENCH_BUYERS, BENCH_NO_BUILD=1, BENCH_BIN)
# BENCH_ALL_GROUPS=1: each purchase is one number in all five groups (5 tickets; 1,000,000
# purchases, 20 a buyer) instead of one ticket (5,000,000 purchases, 100 a buyer).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${1:-64}
THREADS=2
PORT=${BENCH_PORT:-18992}
SECRET=bench-secret-0123456789
BUYERS=${BENCH_BUYERS:-50000}
BIN=${BENCH_BIN:-build-release/pension720}
source bench/lib.sh
[[ -n ${BENCH_NO_BUILD:-} ]] || BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 >/dev/null
WORK=$(mktemp -d /tmp/pension-sellout.XXXX)
PID=
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT

serve() { serve_on "$BIN" "$PORT" "$WORK/sellout.db" "$WORK/server.log" "$@"; }  # [ENV=VALUE ...]

echo "== funding $BUYERS buyers with 100 tickets' worth each (rate limit off; this server is then stopped)"
serve PENSION_RATE_PER_SECOND=0 PENSION_ACCESS_LOG=false
/usr/bin/python3 bench/fund_buyers.py "$PORT" "$BUYERS" "$SECRET" "$WORK/tokens" buyer 100000
kill "$PID"; wait "$PID" 2>/dev/null || true

echo "== selling 5,000,000 tickets, default configuration, $CONNS connections"
serve
# Request t goes to buyer t mod BUYERS (purchase.lua), so each buyer buys 5,000,000 / BUYERS tickets.
# wrk cannot stop at a count: poll the sold counter and stop wrk once the round is sold out.
BENCH_TOKENS="$WORK/tokens" BENCH_THREADS=$THREADS BENCH_ALL_GROUPS=${BENCH_ALL_GROUPS:-} \
  wrk -t"$THREADS" -c"$CONNS" -d3600s --latency -s bench/purchase.lua "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>&1 &
WRK=$!
started=$(date +%s)
while kill -0 $WRK 2>/dev/null; do
  sold=$(curl -s "localhost:$PORT/metrics" | awk '/^pension_tickets_sold/ {print $2}')
  [[ "${sold:-0}" -ge 5000000 ]] && break
  sleep 5
done
kill -INT $WRK 2>/dev/null || true
wait $WRK 2>/dev/null || true
grep -E "50%|99%|requests in|Non-2xx" "$WORK/wrk.txt" || true
grep '^non-201' "$WORK/wrk.txt" | head -3 || true  # purchase.lua prints the first three
echo "wall_seconds=$(($(date +%s) - started))  (wrk start to sold out, 5 s polls)"
sqlite3 "file:$WORK/sellout.db?mode=ro" "SELECT COUNT(*), COUNT(DISTINCT user_id), MIN(created_at), MAX(created_at) FROM tickets" |
  awk -F'|' '{print "tickets_sold=" $1; print "buyers=" $2; print "first_ticket_at=" $3; print "last_ticket_at=" $4}'
sqlite3 "file:$WORK/sellout.db?mode=ro" "SELECT COUNT(*), SUM(n = 5) FROM (SELECT COUNT(*) AS n FROM tickets GROUP BY purchase_id)" |
  awk -F'|' '{print "purchases=" $1 "  (of 5 tickets: " $2 ")"}'
echo "peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' "/proc/$PID/status") / 1024 ))"
