#!/usr/bin/env bash
# Scale-out benchmark: MariaDB + Redis + N pension720 instances behind nginx (scripts/topology.sh),
# single-ticket purchases through the load balancer. Prints purchases/s and latency. Not a test.
#   bench/topology.sh [SECONDS] [CONNECTIONS] [INSTANCES]    (BENCH_BUYERS distinct buyers, default 64)
# Prints each part's CPU in all and per purchase (MariaDB's CPU per purchase among them).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_settings "$@"
INSTANCES=${3:-3}
[[ -n ${BENCH_NO_BUILD:-} ]] || BUILD_DIR=build-release BUILD_TYPE=Release bash scripts/build.sh pension720 >/dev/null

# BENCH_BIN: another binary to measure (an A/B against an earlier build); BENCH_NO_BUILD=1: no build.
export PENSION_BIN="${BENCH_BIN:-$PWD/build-release/pension720}"
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
TOKENS="$TOPO_DIR/tokens"
make_buyers "$LB" "$TOKENS"

echo "== Purchases through nginx: $INSTANCES instances, MariaDB + Redis ($CONNS connections, ${DURATION}s)"
# CPU seconds (user + system) each part of the topology used during the run: where the two cores go.
# Only this topology's processes (other topologies may run on the machine): matched by its
# directory and ports; nginx's workers as the children of its master.
pids_of() {
  case $1 in
    mariadbd) pgrep -f "mariadbd .*--datadir=$TOPO_DIR/" ;;
    redis-server) pgrep -f "redis-server 127.0.0.1:$TOPO_REDIS_PORT" ;;
    "pension720 serve") pgrep -f " serve --port .*redis://127.0.0.1:$TOPO_REDIS_PORT" ;;
    "nginx: worker") pgrep -P "$(cat "$TOPO_DIR"/nginx/nginx.pid 2>/dev/null || echo 1)" -f "nginx: worker" ;;
  esac
}
cpu_ticks() { local p t=0; for p in $(pids_of "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
parts=("mariadbd" "redis-server" "pension720 serve" "nginx: worker")
declare -A before
for p in "${parts[@]}"; do before[$p]=$(cpu_ticks "$p"); done
# The whole machine: CPU ticks used (user + system, all cores) and context switches.
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8} /^ctxt/ {print $2}' /proc/stat | paste -sd' '; }
read -r cpu0 ctxt0 <<<"$(machine)"
# BENCH_PERF=FILE: a whole-machine CPU profile of the run (perf record -a -g), for `perf report -i FILE`.
if [[ -n "${BENCH_PERF:-}" ]]; then
  perf record -a -g -F 499 -o "$BENCH_PERF" -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF_PID=$!
fi
BENCH_TOKENS="$TOKENS" BENCH_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/purchase.lua "$LB" >"$TOPO_DIR/wrk.txt"
read -r cpu1 ctxt1 <<<"$(machine)"
[[ -n "${PERF_PID:-}" ]] && wait "$PERF_PID"
grep -E "Requests/sec|50%|99%|Non-2xx" "$TOPO_DIR/wrk.txt"
hz=$(getconf CLK_TCK)
sold=$(mariadb -h 127.0.0.1 -P "$TOPO_DB_PORT" -u pension -p"${TOPO_DB_PASSWORD:-pension}" -N pension720 \
  -e "SELECT COUNT(*) FROM tickets" 2>/dev/null || echo 0)
# CPU of each part, in all and per purchase (single-ticket purchases: tickets sold = purchases).
for p in "${parts[@]}"; do
  awk -v n="$p" -v t=$(($(cpu_ticks "$p") - ${before[$p]})) -v hz="$hz" -v d="$DURATION" -v s="$sold" \
    'BEGIN { printf "cpu %-17s %6.2f s (%3.0f%% of one core), %4.0f us per purchase\n", n, t / hz, 100 * t / hz / d, s ? t / hz * 1e6 / s : 0 }'
done
echo "purchases_per_sec=$(awk '/Requests\/sec/ {print $2}' "$TOPO_DIR/wrk.txt")"
echo "tickets_sold=$sold"
# Per purchase, over the whole machine (wrk included): the figures that drift least with its speed.
awk -v n="$sold" -v c=$((cpu1 - cpu0)) -v x=$((ctxt1 - ctxt0)) -v hz="$hz" \
  'BEGIN { if (n > 0) printf "machine_cpu_us_per_purchase=%.0f\ncontext_switches_per_purchase=%.1f\n", c / hz * 1e6 / n, x / n }'
# Group-commit batch size of each instance (purchases per MariaDB transaction): the larger, the
# cheaper each purchase is for MariaDB.
for ((i = 0; i < INSTANCES; i++)); do
  curl -s "http://127.0.0.1:$((TOPO_APP_PORT + i))/metrics" |
    awk -v n=$((i + 1)) '/^pension_store_batches_total/ {b = $2} /^pension_store_batch_jobs_total/ {j = $2}
      END { if (b) printf "instance %d: %.1f jobs per batch\n", n, j / b }'
done
