#!/usr/bin/env bash
# Crowd benchmark (issue 16): BUYERS distinct funded buyers, each request a random buyer buying one
# auto-picked ticket in a random group, against pension720 in its DEFAULT configuration (embedded
# SQLite, every 201 fsynced, access log on, rate limits on). In the same run, alternately, the
# machine's HTTP floor (bench/http_floor.cc, a do-nothing Beast server) and GET /api/v1/pension/round,
# REPEAT times; prints medians: purchases/s, p50/p99, purchases and GET as % of the floor, RSS,
# batch size, writer CPU per purchase. Not a test: it asserts nothing.
#   bench/crowd.sh [SECONDS] [CONNECTIONS] [BUYERS]      (defaults 10 64 10000; REPEAT=3)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_settings "$@"
BUYERS=${3:-10000}
REPEAT=${REPEAT:-3}
PORT=${BENCH_PORT:-18991}
FLOOR_PORT=$((PORT + 1))
SECRET=bench-secret-0123456789
BIN=${BENCH_BIN:-build-release/pension720}  # the binary measured (bench/ab.sh-style comparisons)
PY=/usr/bin/python3

WORK=$(mktemp -d /tmp/pension-crowd.XXXX)
PID= FLOOR=
trap 'kill $PID $FLOOR 2>/dev/null; wait $PID $FLOOR 2>/dev/null; rm -rf "$WORK"' EXIT
BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 http_floor >/dev/null

serve() {  # serve [ENV=VALUE ...]: starts pension720 on $WORK/crowd.db, waits until healthy
  env "$@" "$BIN" serve --port "$PORT" --db "sqlite:$WORK/crowd.db" --now 2026-11-24T12:00:00+09:00 \
    --token-secret "$SECRET" >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "localhost:$PORT/actuator/health" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start; see $WORK/server.log" >&2
  exit 1
}

echo "== funding $BUYERS buyers (a server with the rate limit off, stopped afterwards)"
serve PENSION_RATE_PER_SECOND=0 PENSION_ACCESS_LOG=false
"$PY" bench/fund_buyers.py "$PORT" "$BUYERS" "$SECRET" "$WORK/tokens" crowd
kill "$PID"; wait "$PID" 2>/dev/null || true

echo "== pension720, default configuration"
serve
"build-release/http_floor" "$FLOOR_PORT" >/dev/null 2>&1 &
FLOOR=$!
for _ in $(seq 1 100); do curl -sf "localhost:$FLOOR_PORT/" >/dev/null && break; sleep 0.1; done

metric() { curl -sf "localhost:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
writer_ticks() {  # utime + stime of the writer thread, in clock ticks
  for t in /proc/"$PID"/task/*; do
    [[ "$(cat "$t/comm")" == p720-writer ]] && awk '{print $14 + $15}' "$t/stat" && return
  done
  echo 0
}
rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
ms() {  # wrk's latency line ($2: 50% or 99%) in milliseconds
  awk -v p="$2" '$1 == p {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else {sub(/s/, "", v); v *= 1000}; print v}' "$1"
}

for i in $(seq 1 "$REPEAT"); do
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$FLOOR_PORT/api/v1/pension/round" >"$WORK/floor$i.txt"
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/api/v1/pension/round" >"$WORK/get$i.txt"
  jobs0=$(metric pension_store_batch_size_sum) batches0=$(metric pension_store_batch_size_count) ticks0=$(writer_ticks)
  BENCH_TOKENS="$WORK/tokens" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/crowd.lua \
    "http://127.0.0.1:$PORT" >"$WORK/buy$i.txt" 2>"$WORK/buy$i.err"
  jobs1=$(metric pension_store_batch_size_sum) batches1=$(metric pension_store_batch_size_count) ticks1=$(writer_ticks)
  ok=$(awk -F= '/answers_201/ {print $2}' "$WORK/buy$i.txt")
  all=$(awk -F= '/answers_/ {s += $2} END {print s}' "$WORK/buy$i.txt")
  printf '%s %s %s %s %s %s %s %s\n' "$(rate "$WORK/floor$i.txt")" "$(rate "$WORK/get$i.txt")" \
    "$(awk -v o="$ok" -v d="$DURATION" 'BEGIN {print o / d}')" "$(ms "$WORK/buy$i.txt" 50%)" "$(ms "$WORK/buy$i.txt" 99%)" \
    "$(awk -v a="$all" -v o="$ok" 'BEGIN {print a ? 100 * (a - o) / a : 0}')" \
    "$(awk -v j=$((jobs1 - jobs0)) -v b=$((batches1 - batches0)) 'BEGIN {print b ? j / b : 0}')" \
    "$(awk -v t=$((ticks1 - ticks0)) -v o="$ok" -v hz="$(getconf CLK_TCK)" 'BEGIN {print o ? 1e6 * t / hz / o : 0}')" \
    >>"$WORK/runs.txt"
  echo "run $i: floor $(rate "$WORK/floor$i.txt")/s  GET $(rate "$WORK/get$i.txt")/s  purchases $(awk -v o="$ok" -v d="$DURATION" 'BEGIN {print o / d}')/s (201s; $(grep -h answers_ "$WORK/buy$i.txt" | tr '\n' ' '))"
  head -3 "$WORK/buy$i.err" >&2 || true
done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$1" '{print $c}' "$WORK/runs.txt" | median; }
floor=$(col 1) get=$(col 2) buys=$(col 3)
echo "== Summary: medians of $REPEAT runs; $BUYERS distinct buyers, $CONNS connections, ${DURATION}s each, default configuration"
echo "purchases_per_sec=$buys"
echo "purchase_p50_ms=$(col 4)"
echo "purchase_p99_ms=$(col 5)"
echo "purchase_errors_pct=$(col 6)"
echo "floor_per_sec=$floor"
echo "get_round_per_sec=$get"
awk -v b="$buys" -v g="$get" -v f="$floor" 'BEGIN { printf "purchases_vs_floor=%.1f%%\nget_vs_floor=%.1f%%\n", 100*b/f, 100*g/f }'
echo "batch_size_mean=$(col 7)"
echo "writer_cpu_us_per_purchase=$(col 8)"
echo "peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' "/proc/$PID/status") / 1024 ))"
echo "tickets_sold=$(sqlite3 "file:$WORK/crowd.db?mode=ro" "SELECT COUNT(*) FROM tickets")"
echo "(the hot-buyer best case — 64 buyers, rate limit and access log off — is bench/run.sh)"
