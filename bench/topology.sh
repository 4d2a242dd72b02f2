#!/usr/bin/env bash
# Scale-out benchmark: MariaDB + Redis + N pension720 instances behind nginx (scripts/topology.sh),
# single-ticket purchases through the load balancer. Prints purchases/s and latency. Not a test.
#   bench/topology.sh [SECONDS] [CONNECTIONS] [INSTANCES]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${2:-64}
INSTANCES=${3:-3}
THREADS=${BENCH_WRK_THREADS:-2}
BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 >/dev/null

export PENSION_BIN="$PWD/build-release/pension720"
export PENSION_TOKEN_SECRET=bench-secret-0123456789
export PENSION_NOW=2026-11-24T12:00:00+09:00
export PENSION_RATE_PER_SECOND=0 PENSION_ROUND_LIMIT=5000000 PENSION_ACCESS_LOG=false
# Own ports and directory, so it can run beside a test topology.
export TOPO_DIR=$(mktemp -d /tmp/pension-topo-bench.XXXX)
export TOPO_LB_PORT=${TOPO_LB_PORT:-28080} TOPO_APP_PORT=${TOPO_APP_PORT:-28081}
export TOPO_DB_PORT=${TOPO_DB_PORT:-3317} TOPO_REDIS_PORT=${TOPO_REDIS_PORT:-6390}
trap 'scripts/topology.sh stop >/dev/null 2>&1; rm -rf "$TOPO_DIR"' EXIT
scripts/topology.sh start --instances "$INSTANCES" --fresh >/dev/null

LB="http://127.0.0.1:$TOPO_LB_PORT"
SECRET=$PENSION_TOKEN_SECRET
source bench/lib.sh
TOKENS="$TOPO_DIR/tokens"
make_buyers "$LB" "$TOKENS"

echo "== Purchases through nginx: $INSTANCES instances, MariaDB + Redis ($CONNS connections, ${DURATION}s)"
BENCH_TOKENS="$TOKENS" BENCH_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/purchase.lua "$LB" | tee "$TOPO_DIR/wrk.txt" |
  grep -E "Requests/sec|50%|99%|Non-2xx"
sold=$(mariadb -h 127.0.0.1 -P "$TOPO_DB_PORT" -u pension -p"${TOPO_DB_PASSWORD:-pension}" -N pension720 \
  -e "SELECT COUNT(*) FROM tickets" 2>/dev/null || echo "?")
echo "purchases_per_sec=$(awk '/Requests\/sec/ {print $2}' "$TOPO_DIR/wrk.txt")"
echo "tickets_sold=$sold"
