# Shared pieces of the benchmark scripts (sourced, not run).

# The wrk benchmarks' common arguments: [SECONDS] [CONNECTIONS] → DURATION (default 10) and CONNS
# (64); THREADS: wrk threads (BENCH_WRK_THREADS, default 2).
wrk_settings() {
  DURATION=${1:-10}
  CONNS=${2:-64}
  THREADS=${BENCH_WRK_THREADS:-2}
}

# Starts build-release/pension720 (or BENCH_BIN) on SQLite file $2, port $1, with load-test
# settings (no rate limit, round limit raised, access log off unless BENCH_ACCESS_LOG); sets PID
# and waits until healthy. Log in $3.
start_sqlite_server() {
  local port=$1 db=$2 log=$3
  : >"$log"
  serve_on "${BENCH_BIN:-build-release/pension720}" "$port" "$db" "$log" PENSION_RATE_PER_SECOND=0 \
    PENSION_ROUND_LIMIT=5000000 PENSION_ACCESS_LOG="${BENCH_ACCESS_LOG:-false}"
}

# serve_on BIN PORT DB LOG [ENV=VALUE ...]: starts BIN on SQLite file DB in its default
# configuration (plus the settings given), log appended to LOG; sets PID, waits until healthy.
serve_on() {
  local bin=$1 port=$2 db=$3 log=$4
  shift 4
  env "$@" "$bin" serve --port "$port" --db "sqlite:$db" --now 2026-11-24T12:00:00+09:00 \
    --token-secret "$SECRET" >>"$log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "localhost:$port/actuator/health" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start; see $log" >&2
  exit 1
}

# Writes BENCH_BUYERS (64) buyer tokens to file $2 and funds each (10,000,000,000 won) through $1
# (base URL) as ADMIN.
make_buyers() {
  /usr/bin/python3 bench/fund_buyers.py "${1##*:}" "${BENCH_BUYERS:-64}" "$SECRET" "$2" buyer 10000000000
}

# Builds the release binary, starts it on a fresh SQLite file $WORK/$2.db in a new WORK directory
# (server stopped and directory removed on exit) and funds the buyers. $1 = port. Sets WORK, PID.
start_sqlite_bench() {
  local port=$1 name=$2
  WORK=$(mktemp -d "/tmp/pension-$name.XXXX")
  BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 >/dev/null
  PID=
  trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
  start_sqlite_server "$port" "$WORK/$name.db" "$WORK/server.log"
  make_buyers "http://localhost:$port" "$WORK/tokens"
}
