#!/usr/bin/env bash
# Starts and stops the scale-out topology on one machine from Debian packages: MariaDB, Redis,
# N pension720 instances and nginx as the load balancer, all on 127.0.0.1, all state under
# tmp/topology/ (no systemd, nothing installed system-wide). Used by the topology test and by a
# person trying it out:
#
#   scripts/topology.sh start [--instances 3] [--fresh]   # everything; prints the URL
#   scripts/topology.sh start --galera [...]              # the same on a 3-node Galera cluster
#   scripts/topology.sh start-galera | stop-galera        # the Galera cluster only (its test)
#   scripts/topology.sh kill-galera-node N | start-galera-node N
#   scripts/topology.sh stop [--keep-services]            # everything (or all but MariaDB/Redis)
#   scripts/topology.sh status
#   scripts/topology.sh start-db                          # MariaDB + Redis only (unit tests)
#   scripts/topology.sh restart-redis | stop-redis | start-redis | db-running
#   scripts/topology.sh kill-instance N | start-instance N | env
#   scripts/topology.sh signal-db SIG | signal-redis SIG        # e.g. KILL, STOP, CONT (fault tests)
#
# Settings (environment): PENSION_BIN (default build/pension720), PENSION_TOKEN_SECRET (default:
# generated once into tmp/topology/token-secret), PENSION_NOW (passed to the instances),
# TOPO_DIR, TOPO_LB_PORT (18080), TOPO_APP_PORT (first instance, 18081), TOPO_DB_PORT (3307),
# TOPO_REDIS_PORT (6380), TOPO_DB_PASSWORD (pension), TOPO_SCHED (batch: what runs under
# SCHED_BATCH — "app" (default): the instances; "all": MariaDB and Redis too; "none").
# Galera: TOPO_GALERA_PORTS ("3341 3342 3343": the nodes' SQL ports), TOPO_GALERA_GCOMM (4667:
# node i replicates on 4667+i-1, takes incremental state transfers on +10, full ones on +20).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${TOPO_DIR:-$ROOT/tmp/topology}"
LB_PORT="${TOPO_LB_PORT:-18080}"
APP_PORT="${TOPO_APP_PORT:-18081}"
DB_PORT="${TOPO_DB_PORT:-3307}"
REDIS_PORT="${TOPO_REDIS_PORT:-6380}"
DB_USER=pension
DB_PASSWORD="${TOPO_DB_PASSWORD:-pension}"
DB_NAME=pension720
BIN="${PENSION_BIN:-$ROOT/build/pension720}"
ME="$(id -un)"

DB_DIR="$DIR/mariadb"
DB_SOCK="$DB_DIR/mariadb.sock"
REDIS_DIR="$DIR/redis"
NGINX_DIR="$DIR/nginx"
APP_DIR="$DIR/instances"
read -r -a GALERA_PORTS <<<"${TOPO_GALERA_PORTS:-3341 3342 3343}"
GALERA_GCOMM="${TOPO_GALERA_GCOMM:-4667}"
GALERA_DIR="$DIR/galera"
GALERA_FILE="$DIR/galera.on"  # present while the topology runs on the Galera cluster

log() { echo "[topology] $*" >&2; }

# Every part of the topology shares this machine's two cores. Under SCHED_BATCH a thread that
# wakes up does not preempt the one running: the writer woken by each of MariaDB's result
# packets lets MariaDB finish the batch's reply first (docs/PERFORMANCE.md: ~5.4 -> ~3.8 context
# switches per purchase). An instance with cores of its own does not need it.
SCHED="${TOPO_SCHED:-app}"
batch_if() { if [[ "$SCHED" == all || ( "$SCHED" == app && "$1" == app ) ]]; then echo chrt --batch 0; fi; }
die() { log "error: $*"; exit 1; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Polls `$@` until it succeeds, at most $1 seconds (every 0.2 s).
wait_for() {
  local seconds=$1; shift
  local tries=$((seconds * 5)) i
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# Sends $2 (a signal) to the process in pid file $1 and waits up to $3 seconds for it to exit,
# then SIGKILLs it.
stop_pid() {
  local pidfile=$1 sig=$2 seconds=$3
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_for "$seconds" bash -c "! kill -0 $pid"; then
    log "pid $pid did not stop after SIG$sig; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 bash -c "! kill -0 $pid" || true
  fi
  rm -f "$pidfile"
}

db_url() { echo "mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$DB_PORT/${1:-$DB_NAME}"; }
redis_url() { echo "redis://127.0.0.1:$REDIS_PORT"; }
sql_root() { mariadb --no-defaults --socket="$DB_SOCK" -uroot "$@"; }

start_mariadb() {
  mkdir -p "$DB_DIR"
  if alive "$DB_DIR/mariadb.pid"; then return 0; fi
  command -v mariadbd >/dev/null || command -v /usr/sbin/mariadbd >/dev/null || die "mariadb-server is not installed (scripts/install-deps.sh)"
  if [[ ! -d "$DB_DIR/data/mysql" ]]; then
    log "initialising MariaDB in $DB_DIR/data"
    mariadb-install-db --no-defaults --datadir="$DB_DIR/data" --user="$ME" --auth-root-authentication-method=normal \
      --skip-test-db >"$DB_DIR/install.log" 2>&1 || { cat "$DB_DIR/install.log" >&2; die "mariadb-install-db failed"; }
  fi
  log "starting MariaDB on 127.0.0.1:$DB_PORT"
  # Durable commits (flush the log at every commit); binary, no-pad collation like SQLite.
  setsid $(batch_if services) /usr/sbin/mariadbd --no-defaults --datadir="$DB_DIR/data" --socket="$DB_SOCK" --port="$DB_PORT" \
    --bind-address=127.0.0.1 --pid-file="$DB_DIR/mariadb.pid" --user="$ME" --skip-name-resolve \
    --log-error="$DB_DIR/error.log" --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=256M \
    --max-connections=2000 --character-set-server=utf8mb4 --collation-server=utf8mb4_nopad_bin \
    </dev/null >>"$DB_DIR/stdout.log" 2>&1 &
  wait_for 60 sql_root -e "SELECT 1" || { tail -20 "$DB_DIR/error.log" >&2; die "MariaDB did not start"; }
  wait_for 10 test -f "$DB_DIR/mariadb.pid" || die "MariaDB wrote no pid file"
  sql_root <<SQL
DROP USER IF EXISTS ''@'localhost';
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
-- All databases: the conformance tests create one database per test.
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
SQL
}

# --- Galera: three mariadbd with wsrep on 127.0.0.1 ------------------------------------------
galera_root() { mariadb --no-defaults --socket="$GALERA_DIR/$1/mariadb.sock" -uroot "${@:2}"; }
galera_synced() { galera_root "$1" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" | grep -q Synced; }

start_galera_node() {
  local i=$1 new=${2:-0} d="$GALERA_DIR/$1" g=$((GALERA_GCOMM + $1 - 1)) extra=()
  alive "$d/mariadb.pid" && return 0
  [[ -f /usr/lib/galera/libgalera_smm.so ]] || die "galera-4 is not installed (scripts/install-deps.sh)"
  mkdir -p "$d/data"
  if ((new)) && [[ ! -d "$d/data/mysql" ]]; then  # a new cluster's first node
    mariadb-install-db --no-defaults --datadir="$d/data" --user="$ME" --auth-root-authentication-method=normal \
      --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log" >&2; die "mariadb-install-db failed"; }
  fi
  ((new)) && extra+=(--wsrep-new-cluster)
  local peers="127.0.0.1:$GALERA_GCOMM,127.0.0.1:$((GALERA_GCOMM + 1)),127.0.0.1:$((GALERA_GCOMM + 2))"
  log "starting Galera node $i on 127.0.0.1:${GALERA_PORTS[i - 1]} (replication $g)"
  # Galera needs row binlog format and interleaved auto-increment locks (so the store writes
  # purchases one by one there, each with its own LAST_INSERT_ID); it sets
  # auto_increment_increment/offset per node. A dead node is declared so after 6 s.
  setsid $(batch_if services) /usr/sbin/mariadbd --no-defaults --datadir="$d/data" --socket="$d/mariadb.sock" \
    --port="${GALERA_PORTS[i - 1]}" --bind-address=127.0.0.1 --pid-file="$d/mariadb.pid" --user="$ME" \
    --skip-name-resolve --log-error="$d/error.log" --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=64M \
    --max-connections=500 --character-set-server=utf8mb4 --collation-server=utf8mb4_nopad_bin \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB \
    --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-name=pension720 \
    --wsrep-cluster-address="gcomm://$peers" --wsrep-node-address="127.0.0.1:$g" --wsrep-node-name="node$i" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 10));evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;gcache.size=64M" \
    --wsrep-sst-method=mariabackup --wsrep-sst-auth=root: --wsrep-sst-receive-address="127.0.0.1:$((g + 20))" "${extra[@]}" \
    </dev/null >>"$d/stdout.log" 2>&1 &
  wait_for 180 galera_synced "$i" || { tail -30 "$d/error.log" >&2; die "Galera node $i did not reach Synced"; }
  wait_for 10 test -f "$d/mariadb.pid" || die "Galera node $i wrote no pid file"
}

start_galera() {
  local i first=1
  for i in 1 2 3; do alive "$GALERA_DIR/$i/mariadb.pid" && first=0; done
  # A new cluster from node 1 when none runs; otherwise each missing node joins the others.
  if ((first)); then
    rm -rf "$GALERA_DIR"
    start_galera_node 1 1
    galera_root 1 <<SQL
DROP USER IF EXISTS ''@'localhost';
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
SQL
    # Nodes 2 and 3 start from a copy of node 1 stopped cleanly (same cluster state id and
    # position), so they join by an incremental transfer from node 1's cache: no full state
    # transfer (its rsync/mariabackup scripts need more than this sandbox offers).
    stop_pid "$GALERA_DIR/1/mariadb.pid" TERM 60
    for i in 2 3; do
      mkdir -p "$GALERA_DIR/$i"
      cp -a "$GALERA_DIR/1/data" "$GALERA_DIR/$i/data"
      rm -f "$GALERA_DIR/$i/data/gvwstate.dat"
      sed -i 's/^safe_to_bootstrap: 1/safe_to_bootstrap: 0/' "$GALERA_DIR/$i/data/grastate.dat"
    done
    start_galera_node 1 1
  fi
  for i in 1 2 3; do start_galera_node "$i"; done
  log "Galera cluster up: $(galera_root 1 -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2) nodes"
}

stop_galera() { local i; for i in 3 2 1; do stop_pid "$GALERA_DIR/$i/mariadb.pid" TERM 60; done; rm -f "$GALERA_FILE"; }

# The instances' database URL on the cluster: every node, each instance starting at another.
galera_url() {
  local i=${1:-1} k hosts="" n=${#GALERA_PORTS[@]}
  for ((k = 0; k < n; k++)); do hosts+="${hosts:+,}127.0.0.1:${GALERA_PORTS[(i - 1 + k) % n]}"; done
  echo "mysql://$DB_USER:$DB_PASSWORD@$hosts/${2:-$DB_NAME}"
}

# PONG, not just an answer: while Redis loads its append-only file it answers LOADING (and
# redis-cli exits 0), and a client that starts then fails its first command.
redis_ready() { [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

start_redis() {
  mkdir -p "$REDIS_DIR"
  if alive "$REDIS_DIR/redis.pid"; then return 0; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  # appendfsync always: a published event (already deleted from the outbox) survives a crash.
  $(batch_if services) redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --appendonly yes \
    --appendfsync always --save "" >/dev/null
  wait_for 20 redis_ready || die "Redis did not start"
  wait_for 10 test -f "$REDIS_DIR/redis.pid" || die "Redis wrote no pid file"
}

stop_redis() { stop_pid "$REDIS_DIR/redis.pid" TERM 20; }

token_secret() {
  if [[ -n "${PENSION_TOKEN_SECRET:-}" ]]; then echo "$PENSION_TOKEN_SECRET"; return; fi
  mkdir -p "$DIR"
  [[ -s "$DIR/token-secret" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/token-secret"
  cat "$DIR/token-secret"
}

# The database an instance uses: the one MariaDB, or every Galera node (starting at another one
# for each instance) while the topology runs on the cluster.
instance_db_url() { if [[ -f "$GALERA_FILE" ]]; then galera_url "$1"; else db_url; fi; }

start_instance() {
  local n=$1 port=$((APP_PORT + $1 - 1))
  mkdir -p "$APP_DIR"
  local pidfile="$APP_DIR/$n.pid"
  if alive "$pidfile"; then return 0; fi
  [[ -x "$BIN" ]] || die "no pension720 binary at $BIN (scripts/build.sh, or set PENSION_BIN)"
  log "starting instance $n on 127.0.0.1:$port"
  # The instances share this machine's cores: one I/O thread each (the default, cores + 1, is
  # for an instance with a machine of its own; measured 5,140 -> 6,580 purchases/s here). Writers
  # linger up to 2 ms for fuller batches while buyers are concurrent (docs/PERFORMANCE.md).
  PENSION_TOKEN_SECRET="$(token_secret)" PENSION_DEMO="${TOPO_DEMO:-1}" PENSION_IO_THREADS="${PENSION_IO_THREADS:-1}" \
    PENSION_BATCH_LINGER_US="${PENSION_BATCH_LINGER_US:-2000}" \
    setsid $(batch_if app) "$BIN" serve --port "$port" --db "$(instance_db_url "$n")" --redis "$(redis_url)" \
    </dev/null >>"$APP_DIR/$n.log" 2>&1 &
  echo $! >"$pidfile"
}

wait_instance() {
  local n=$1 port=$((APP_PORT + $1 - 1))
  wait_for 60 curl -fsS "http://127.0.0.1:$port/actuator/health" || {
    tail -20 "$APP_DIR/$n.log" >&2
    die "instance $n did not become healthy"
  }
}

instance_count() {
  if [[ -f "$DIR/instances.count" ]]; then cat "$DIR/instances.count"; else echo 3; fi
}

write_nginx_conf() {
  local n=$1
  mkdir -p "$NGINX_DIR/tmp"
  {
    [[ $(id -u) -eq 0 ]] && echo "user root;"
    cat <<EOF
worker_processes 2;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  client_max_body_size 1m;
  client_body_buffer_size 128k;
  upstream pension720 {
    # Buyer affinity: one token's requests go to the same instance while it is up, so instances
    # do not queue on each other's row locks for the same wallet. Correctness never depends on
    # it (the database decides); when an instance fails, its buyers move to the others.
    hash \$http_authorization consistent;
EOF
    for ((i = 1; i <= n; i++)); do
      echo "    server 127.0.0.1:$((APP_PORT + i - 1)) max_fails=1 fail_timeout=3s;"
    done
    cat <<EOF
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$LB_PORT;
    location / {
      proxy_pass http://pension720;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Request-Id \$request_id;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_max_temp_file_size 0;
      # Try the next instance when one cannot be reached. nginx never re-sends a POST that
      # reached an instance (no "non_idempotent"): a buyer retries it with its Idempotency-Key.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
    }
  }
}
EOF
  } >"$NGINX_DIR/nginx.conf"
}

start_nginx() {
  local n=$1
  if alive "$NGINX_DIR/nginx.pid"; then return 0; fi
  command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null || die "nginx is not installed"
  write_nginx_conf "$n"
  log "starting nginx on 127.0.0.1:$LB_PORT"
  /usr/sbin/nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" \
    || die "nginx did not start (see $NGINX_DIR/error.log)"
  wait_for 10 test -f "$NGINX_DIR/nginx.pid" || die "nginx wrote no pid file"
}

reset_data() {
  log "fresh: emptying database $DB_NAME and Redis"
  sql_root -e "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
}

print_env() {
  echo "PENSION_URL=http://127.0.0.1:$LB_PORT"
  echo "PENSION_DB=$(instance_db_url 1)"
  echo "PENSION_REDIS=$(redis_url)"
  echo "PENSION_TEST_MYSQL=$(db_url pension_test)"
  echo "PENSION_TEST_REDIS=$(redis_url)"
  echo "TOPO_DB_SOCKET=$DB_SOCK"
}

cmd_start() {
  local n fresh=0 galera=0 i
  n=$(instance_count)
  while (($#)); do
    case "$1" in
      --instances) n=$2; shift 2 ;;
      --fresh) fresh=1; shift ;;
      --galera) galera=1; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "--instances must be 1..99"
  mkdir -p "$DIR"
  echo "$n" >"$DIR/instances.count"
  if ((galera)); then
    start_galera
    touch "$GALERA_FILE"
  else
    rm -f "$GALERA_FILE"
    start_mariadb
  fi
  start_redis
  if ((fresh && !galera)); then
    for f in "$APP_DIR"/*.pid; do [[ -e "$f" ]] && stop_pid "$f" TERM 20; done
    reset_data
  fi
  # The first instance applies the migrations alone; the others then find them done (they
  # would also be safe concurrently: GET_LOCK serialises them).
  start_instance 1
  wait_instance 1
  for ((i = 2; i <= n; i++)); do start_instance "$i"; done
  for ((i = 2; i <= n; i++)); do wait_instance "$i"; done
  start_nginx "$n"
  wait_for 20 curl -fsS "http://127.0.0.1:$LB_PORT/actuator/health" || die "nginx does not reach the instances"
  log "up: http://127.0.0.1:$LB_PORT ($n instances); logs in $DIR"
  print_env
}

cmd_stop() {
  stop_pid "$NGINX_DIR/nginx.pid" QUIT 20
  for f in "$APP_DIR"/*.pid; do [[ -e "$f" ]] && stop_pid "$f" TERM 30; done
  if [[ "${1:-}" == "--keep-services" ]]; then
    log "stopped nginx and the instances; MariaDB and Redis keep running"
    return
  fi
  stop_redis
  stop_pid "$DB_DIR/mariadb.pid" TERM 60
  stop_galera
  log "stopped"
}

cmd_status() {
  local rc=0 i
  show() { if alive "$2"; then echo "$1: running (pid $(cat "$2"))"; else echo "$1: stopped"; rc=1; fi; }
  show "mariadb 127.0.0.1:$DB_PORT" "$DB_DIR/mariadb.pid"
  show "redis 127.0.0.1:$REDIS_PORT" "$REDIS_DIR/redis.pid"
  for ((i = 1; i <= $(instance_count); i++)); do show "instance $i 127.0.0.1:$((APP_PORT + i - 1))" "$APP_DIR/$i.pid"; done
  show "nginx 127.0.0.1:$LB_PORT" "$NGINX_DIR/nginx.pid"
  return $rc
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  start-galera) start_galera; echo "PENSION_TEST_GALERA=$(galera_url 1 pension_test)" ;;
  stop-galera) stop_galera ;;
  kill-galera-node) [[ -n "${2:-}" ]] || die "kill-galera-node N"; stop_pid "$GALERA_DIR/$2/mariadb.pid" KILL 10 ;;
  start-galera-node) [[ -n "${2:-}" ]] || die "start-galera-node N"; start_galera_node "$2" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  start-db) start_mariadb; start_redis; print_env ;;
  restart-redis) stop_redis; start_redis ;;
  stop-redis) stop_redis ;;
  start-redis) start_redis ;;
  db-running) alive "$DB_DIR/mariadb.pid" ;;
  signal-db | signal-redis)
    [[ "${2:-}" =~ ^[A-Z]+$ ]] || die "$1 SIG (e.g. KILL, STOP, CONT)"
    pidfile="$DB_DIR/mariadb.pid"; [[ "$1" == signal-redis ]] && pidfile="$REDIS_DIR/redis.pid"
    alive "$pidfile" || die "$1: not running"
    kill "-$2" "$(cat "$pidfile")"
    # A killed server's pid file stays behind; start-db / start-redis then find it stale.
    if [[ "$2" == KILL ]]; then wait_for 20 bash -c "! kill -0 $(cat "$pidfile")" || die "still running"; fi ;;
  kill-instance)
    [[ -n "${2:-}" ]] || die "kill-instance N"
    stop_pid "$APP_DIR/$2.pid" KILL 10 ;;
  start-instance) [[ -n "${2:-}" ]] || die "start-instance N"; start_instance "$2"; wait_instance "$2" ;;
  env) print_env ;;
  *)
    echo "usage: $0 {start [--instances N] [--fresh] [--galera]|stop [--keep-services]|status|start-db|restart-redis|" \
      "stop-redis|start-redis|db-running|kill-instance N|start-instance N|env}" >&2
    exit 2 ;;
esac
