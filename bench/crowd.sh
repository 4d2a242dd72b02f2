#!/usr/bin/env bash
# Crowd benchmark (issue 16): BUYERS distinct funded buyers, each request a random buyer buying one
# auto-picked ticket in a random group, against pension720 in its DEFAULT configuration (embedded
# SQLite, every 201 fsynced, access log on, rate limits on). In the same run, alternately, the
# machine's HTTP floor (bench/http_floor.cc, a do-nothing Beast server) and GET /api/v1/pension/round,
# REPEAT times; prints medians: purchases/s, p50/p99, purchases and GET as % of the floor, RSS,
# batch size, writer CPU per purchase. Not a test: it asserts nothing.
#   bench/crowd.sh [SECONDS] [CONNECTIONS] [BUYERS]      (defaults 10 64 10000; REPEAT=3)
# Side by side: BENCH_BINS="OLD NEW" measures each binary on its own database in every repeat,
# alternating, and prints medians per binary (the floor and GET measured once per repeat).
# BENCH_BUILD_DIR (build-release) is where http_floor (and the default binary) are built;
# BENCH_NO_BUILD=1 uses what is there. BENCH_SQL_<K> (diagnosis only): SQL run on binary K's
# database after funding, e.g. BENCH_BINS="B B" BENCH_SQL_1="DROP INDEX ledger_user";
# BENCH_PAGE_SIZE_<K>: binary K's database created with that page size before the server makes it.
# BENCH_PERF=FILE: perf record -g of the first binary's writer thread (BENCH_PERF_ALL=1: of all its
# threads) during its first purchase run;
# BENCH_STRACE=FILE: strace of its writes and syncs for 3 s of that run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_settings "$@"
BUYERS=${3:-10000}
REPEAT=${REPEAT:-3}
PORT=${BENCH_PORT:-18991}
FLOOR_PORT=$((PORT + 1))
SECRET=bench-secret-0123456789
BUILD=${BENCH_BUILD_DIR:-build-release}
read -r -a BINS <<<"${BENCH_BINS:-${BENCH_BIN:-$BUILD/pension720}}"  # the binaries measured
PY=/usr/bin/python3

WORK=$(mktemp -d /tmp/pension-crowd.XXXX)
PID= FLOOR=
trap 'kill $PID $FLOOR 2>/dev/null; wait $PID $FLOOR 2>/dev/null; rm -rf "$WORK"' EXIT
if [[ -n ${BENCH_NO_BUILD:-} ]]; then :
elif [[ $BUILD == build-release ]]; then BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 http_floor >/dev/null
else BUILD_DIR=$BUILD bash scripts/build.sh pension720 http_floor >/dev/null; fi

serve() {  # serve K [ENV=VALUE ...]: starts binary K on $WORK/crowdK.db, waits until healthy
  local k=$1
  shift
  serve_on "${BINS[$k]}" "$PORT" "$WORK/crowd$k.db" "$WORK/server.log" "$@"
}

for k in "${!BINS[@]}"; do
  page_var=BENCH_PAGE_SIZE_$k
  [[ -n ${!page_var:-} ]] && sqlite3 "$WORK/crowd$k.db" "PRAGMA page_size=${!page_var}; PRAGMA journal_mode=WAL;" >/dev/null
  echo "== ${BINS[$k]}: funding $BUYERS buyers (a server with the rate limit off, stopped afterwards)"
  serve "$k" PENSION_RATE_PER_SECOND=0 PENSION_ACCESS_LOG=false
  "$PY" bench/fund_buyers.py "$PORT" "$BUYERS" "$SECRET" "$WORK/tokens" crowd
  kill "$PID"; wait "$PID" 2>/dev/null || true
  sql_var=BENCH_SQL_$k
  [[ -n ${!sql_var:-} ]] && sqlite3 "$WORK/crowd$k.db" "${!sql_var}"
done

echo "== pension720, default configuration"
"$BUILD/http_floor" "$FLOOR_PORT" >/dev/null 2>&1 &
FLOOR=$!
for _ in $(seq 1 100); do curl -sf "localhost:$FLOOR_PORT/" >/dev/null && break; sleep 0.1; done

metric() { curl -sf "localhost:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
writer_ticks() {  # utime + stime of the writer thread, in clock ticks
  for t in /proc/"$PID"/task/*; do
    [[ "$(cat "$t/comm")" == p720-writer ]] && awk '{print $14 + $15}' "$t/stat" && return
  done
  echo 0
}
proc_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }  # utime + stime of the whole server
writer_tid() { basename "$(dirname "$(grep -l p720-writer /proc/"$PID"/task/*/comm | head -1)")"; }
writer_wchar() { awk '$1 == "wchar:" {print $2}' "/proc/$PID/task/$(writer_tid)/io"; }  # bytes the writer wrote
rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
ms() {  # wrk's latency line ($2: 50% or 99%) in milliseconds
  awk -v p="$2" '$1 == p {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else {sub(/s/, "", v); v *= 1000}; print v}' "$1"
}

for i in $(seq 1 "$REPEAT"); do for k in "${!BINS[@]}"; do
  serve "$k"
  [[ $k == 0 ]] && wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$FLOOR_PORT/api/v1/pension/round" >"$WORK/floor$i.txt"
  [[ $k == 0 ]] && wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/api/v1/pension/round" >"$WORK/get$i.txt"
  jobs0=$(metric pension_store_batch_size_sum) batches0=$(metric pension_store_batch_size_count) ticks0=$(writer_ticks) wchar0=$(writer_wchar) all0=$(proc_ticks)
  perf_pid=
  if [[ -n ${BENCH_PERF:-} && $i == 1 && $k == 0 ]]; then
    target=(-t "$(writer_tid)"); [[ -n ${BENCH_PERF_ALL:-} ]] && target=(-p "$PID")  # BENCH_PERF_ALL=1: every thread
    perf record -g -o "$BENCH_PERF" "${target[@]}" -- sleep "$DURATION" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  if [[ -n ${BENCH_STRACE:-} && $i == 1 && $k == 0 ]]; then  # the writer's writes and syncs, 3 s mid-run
    (sleep 3; timeout -s INT 3 strace -qq -p "$(writer_tid)" -e trace=pwrite64,pwritev,fdatasync,fsync -o "$BENCH_STRACE") &
    perf_pid=$!
  fi
  BENCH_TOKENS="$WORK/tokens" /usr/bin/time -f '%U %S' -o "$WORK/wrktime$i-$k.txt" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/crowd.lua \
    "http://127.0.0.1:$PORT" >"$WORK/buy$i-$k.txt" 2>"$WORK/buy$i-$k.err"
  [[ -n $perf_pid ]] && { wait "$perf_pid" || true; }
  jobs1=$(metric pension_store_batch_size_sum) batches1=$(metric pension_store_batch_size_count) ticks1=$(writer_ticks) wchar1=$(writer_wchar) all1=$(proc_ticks)
  ok=$(awk -F= '/answers_201/ {print $2}' "$WORK/buy$i-$k.txt")
  all=$(awk -F= '/answers_/ {s += $2} END {print s}' "$WORK/buy$i-$k.txt")
  printf '%s %s %s %s %s %s %s %s %s %s %s %s\n' "$(rate "$WORK/floor$i.txt")" "$(rate "$WORK/get$i.txt")" \
    "$(awk -v o="$ok" -v d="$DURATION" 'BEGIN {print o / d}')" "$(ms "$WORK/buy$i-$k.txt" 50%)" "$(ms "$WORK/buy$i-$k.txt" 99%)" \
    "$(awk -v a="$all" -v o="$ok" 'BEGIN {print a ? 100 * (a - o) / a : 0}')" \
    "$(awk -v j=$((jobs1 - jobs0)) -v b=$((batches1 - batches0)) 'BEGIN {print b ? j / b : 0}')" \
    "$(awk -v t=$((ticks1 - ticks0)) -v o="$ok" -v hz="$(getconf CLK_TCK)" 'BEGIN {print o ? 1e6 * t / hz / o : 0}')" \
    "$(awk -v w=$((wchar1 - wchar0)) -v o="$ok" 'BEGIN {print o ? w / 1024 / o : 0}')" \
    "$(awk -v w=$((wchar1 - wchar0)) -v b=$((batches1 - batches0)) 'BEGIN {print b ? w / 1024 / b : 0}')" \
    "$(awk -v t=$((all1 - all0)) -v o="$ok" -v hz="$(getconf CLK_TCK)" 'BEGIN {print o ? 1e6 * t / hz / o : 0}')" \
    "$(awk -v o="$all" '{print o ? 1e6 * ($1 + $2) / o : 0}' "$WORK/wrktime$i-$k.txt")" \
    >>"$WORK/runs$k.txt"
  rss=$(( $(awk '/VmHWM/ {print $2}' "/proc/$PID/status") / 1024 ))
  echo "$rss" >>"$WORK/rss$k.txt"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  echo "run $i ${BINS[$k]}: floor $(rate "$WORK/floor$i.txt")/s  GET $(rate "$WORK/get$i.txt")/s  purchases $(awk -v o="$ok" -v d="$DURATION" 'BEGIN {print o / d}')/s (201s; $(grep -h answers_ "$WORK/buy$i-$k.txt" | tr '\n' ' '))"
  head -3 "$WORK/buy$i-$k.err" >&2 || true
done; done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$1" '{print $c}' "$WORK/runs$k.txt" | median; }
for k in "${!BINS[@]}"; do
floor=$(col 1) get=$(col 2) buys=$(col 3)
page_var=BENCH_PAGE_SIZE_$k sql_var=BENCH_SQL_$k
echo "== Summary [$k] ${BINS[$k]} ${!page_var:+page_size=${!page_var} }${!sql_var:+sql: ${!sql_var}}: medians of $REPEAT runs; $BUYERS distinct buyers, $CONNS connections, ${DURATION}s each, default configuration"
echo "purchases_per_sec=$buys   (runs: $(awk '{printf "%s ", $3}' "$WORK/runs$k.txt"))"
echo "purchase_p50_ms=$(col 4)"
echo "purchase_p99_ms=$(col 5)"
echo "purchase_errors_pct=$(col 6)"
echo "floor_per_sec=$floor"
echo "get_round_per_sec=$get"
awk -v b="$buys" -v g="$get" -v f="$floor" 'BEGIN { printf "purchases_vs_floor=%.1f%%\nget_vs_floor=%.1f%%\n", 100*b/f, 100*g/f }'
echo "batch_size_mean=$(col 7)"
echo "writer_cpu_us_per_purchase=$(col 8)   (runs: $(awk '{printf "%s ", $8}' "$WORK/runs$k.txt"))"
echo "writer_kib_written_per_purchase=$(col 9)   (WAL frames, ~1 KiB + 24 B each with 1 KiB pages; and any checkpoint the writer runs)"
echo "writer_kib_written_per_batch=$(col 10)"
echo "server_cpu_us_per_purchase=$(col 11)   (every thread of the server: I/O threads, writer, pool, log)"
echo "wrk_cpu_us_per_request=$(col 12)   (the load generator, on the same two cores)"
echo "peak_rss_mb=$(sort -n "$WORK/rss$k.txt" | tail -1)"
echo "tickets_sold=$(sqlite3 "file:$WORK/crowd$k.db?mode=ro" "SELECT COUNT(*) FROM tickets")"
done
echo "(the hot-buyer best case — 64 buyers, rate limit and access log off — is bench/run.sh)"
