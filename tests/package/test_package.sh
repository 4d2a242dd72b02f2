#!/usr/bin/env bash
# Package test: installs build-release/pension720_*_amd64.deb (scripts/package.sh), runs the
# INSTALLED server the way its systemd unit does, buys a ticket through it, stops it with SIGTERM
# and purges the package. Needs root and changes this machine (package, user pension720,
# /var/lib/pension720) — it is for CI; it purges what it installed, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null && exec sudo -E bash "$0" "$@"
  echo "test_package.sh needs root (dpkg -i)" >&2
  exit 1
fi

DEB=${PENSION_DEB:-$(ls build-release/pension720_*_amd64.deb 2>/dev/null | tail -n 1 || true)}
VERSION=$(sed -n 's/^project(pension720 VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
UNIT=/lib/systemd/system/pension720.service
# Test only: a Tuesday noon KST, inside the sales window (closed Thursday 17:00-21:00 KST).
NOW=2026-11-24T12:00:00+09:00
HEALTH_POLLS=200 STOP_POLLS=400 POLL_INTERVAL=0.1 # bounded waits: at most 20 s and 40 s

passed=0
failed=0
server_pid=
work=$(mktemp -d)

pass() { passed=$((passed + 1)); echo "ok   $1"; }
# Fail-fast: each check builds on the ones before it.
fail() {
  failed=$((failed + 1))
  echo "FAIL $1" >&2
  exit 1
}
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# What an earlier run (or this one) left: the package, its user, the state directory.
remove_package() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' pension720 2>/dev/null || true)
  if [[ -n $status && $status != not-installed ]]; then
    dpkg --purge pension720 >"$work/purge-leftover.log" 2>&1 || true
  fi
  rm -rf /var/lib/pension720
}

finish() {
  local rc=$?
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    ((failed > 0)) || { failed=1 && echo "FAIL aborted (exit $rc) after $passed checks" >&2; }
    for log in "$work"/*.log; do
      [[ -s $log ]] && { echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  remove_package
  rm -rf "$work"
  echo "package: $passed passed, $failed failed"
  ((failed == 0)) || exit 1
}
trap finish EXIT

# True while the process runs (a zombie waiting for `wait` has exited).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [[ -n $state && $state != Z* ]]
}

# The value of KEY= in the installed unit (last one wins), e.g. unit_value User.
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }

json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

remove_package

# 1. The package: name, version, Depends (dpkg-shlibdeps), its files and conffiles; no tests.
package_is_complete() {
  [[ -f $DEB ]] || { echo "no package: run scripts/package.sh" >&2; return 1; }
  [[ $(basename "$DEB") == "pension720_${VERSION}_amd64.deb" ]] || { echo "$DEB is not version $VERSION" >&2; return 1; }
  dpkg-deb -f "$DEB" Depends | tee "$work/depends.txt" | grep -q 'libsqlite3-0' || return 1
  grep -q 'adduser' "$work/depends.txt" || return 1
  dpkg-deb -c "$DEB" | awk '{print $6}' >"$work/contents.txt"
  for f in ./usr/bin/pension720 ./lib/systemd/system/pension720.service \
           ./etc/pension720/pension720.yaml ./etc/default/pension720; do
    grep -qx "$f" "$work/contents.txt" || { echo "missing in package: $f" >&2; return 1; }
  done
  if grep -E 'unit_tests|micro_bench|_fuzz|/tests?/' "$work/contents.txt"; then
    echo "tests or benchmarks in the package" >&2
    return 1
  fi
  dpkg-deb -I "$DEB" conffiles | sort >"$work/conffiles.txt"
  printf '%s\n' /etc/default/pension720 /etc/pension720/pension720.yaml | diff - "$work/conffiles.txt"
}
check "package $(basename "${DEB:-none}"): its files and conffiles, Depends from dpkg-shlibdeps" package_is_complete

# 2. dpkg -i without systemd as PID 1: user created, secret generated, nothing started.
installs() {
  dpkg -i "$DEB" >"$work/install.log" 2>&1 || return 1
  local uid shell
  uid=$(id -u pension720) || return 1
  shell=$(getent passwd pension720 | cut -d: -f7)
  ((uid < 1000)) && [[ $shell == /usr/sbin/nologin ]] && getent group pension720 >/dev/null || return 1
  [[ $(stat -c '%a %U' /etc/default/pension720) == "600 root" ]] || return 1
  grep -Eqx 'PENSION_TOKEN_SECRET=[0-9a-f]{64}' /etc/default/pension720 || return 1
  grep -q 'sqlite:/var/lib/pension720/pension720.db' /etc/pension720/pension720.yaml || return 1
  ! pgrep -u pension720 >/dev/null
}
check "dpkg -i: system user pension720, random secret in /etc/default/pension720 (0600), nothing started" installs

# 3. The installed unit passes systemd-analyze verify, without a word about it.
verifies() {
  systemd-analyze verify "$UNIT" >"$work/verify.log" 2>&1 || return 1
  ! grep -i 'pension720' "$work/verify.log"
}
check "systemd-analyze verify $UNIT" verifies

# 4. Start the installed binary as the unit does: its User/Group, a clean environment plus its
#    EnvironmentFile, its WorkingDirectory and UMask, its StateDirectory created as systemd does,
#    its ExecStart word for word. Test only: PENSION_NOW, and a free port instead of 8080.
user=$(unit_value User)
group=$(unit_value Group)
state_dir=/var/lib/$(unit_value StateDirectory)
read -ra exec_start <<<"$(unit_value ExecStart)"
mapfile -t env_files < <(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$UNIT")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

starts() {
  install -d -o "$user" -g "$group" -m "$(unit_value StateDirectoryMode)" "$state_dir" || return 1
  # shellcheck disable=SC2016 # expanded by the launcher bash, not here
  local launcher='set -a; while [[ $1 != -- ]]; do [[ ! -f $1 ]] || . "$1"; shift; done; shift; set +a; exec "$@"'
  (
    cd "$(unit_value WorkingDirectory)"
    umask "$(unit_value UMask)"
    exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      HOME="$state_dir" USER="$user" LOGNAME="$user" SHELL=/usr/sbin/nologin STATE_DIRECTORY="$state_dir" \
      bash -c "$launcher" launcher "${env_files[@]}" -- \
      env PENSION_NOW="$NOW" PENSION_PORT="$port" \
      setpriv --reuid="$user" --regid="$group" --init-groups "${exec_start[@]}"
  ) >"$work/server.log" 2>&1 &
  server_pid=$!
  local i
  for ((i = 0; i < HEALTH_POLLS; i++)); do
    running "$server_pid" || { echo "server exited" >&2; return 1; }
    curl -sf "$base/actuator/health" 2>/dev/null | grep -q '"UP"' && break
    sleep "$POLL_INTERVAL"
  done
  ((i < HEALTH_POLLS)) || { echo "no healthy server after $HEALTH_POLLS polls" >&2; return 1; }
  [[ $(ps -o user= -p "$server_pid") == "$user" ]]
}
check "${exec_start[*]} as $user: /actuator/health UP" starts

# 5. Buy a ticket: tokens minted with the package's secret, an ADMIN deposit, a direct purchase.
buys() {
  local secret admin buyer round code
  secret=$(sed -n 's/^PENSION_TOKEN_SECRET=//p' /etc/default/pension720)
  admin=$(PENSION_TOKEN_SECRET=$secret /usr/bin/pension720 token --user pkg-admin --role ADMIN)
  buyer=$(PENSION_TOKEN_SECRET=$secret /usr/bin/pension720 token --user pkg-buyer --name buyer)
  round=$(curl -sf "$base/api/v1/pension/round")
  [[ $round =~ ^[0-9]+$ ]] || return 1
  code=$(curl -s -o "$work/deposit.json" -w '%{http_code}' -X POST "$base/api/v1/wallet/deposit" \
    -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"amount":5000,"userId":"pkg-buyer"}')
  [[ $code == 200 && $(json 'd["balance"]' <"$work/deposit.json") == 5000 ]] || { echo "deposit: $code" >&2; return 1; }
  code=$(curl -s -o "$work/purchase.json" -w '%{http_code}' -X POST "$base/api/v1/pension/purchases" \
    -H "Authorization: Bearer $buyer" -H 'Content-Type: application/json' \
    -d "{\"round\":$round,\"tickets\":[{\"group\":1,\"auto\":true}]}")
  [[ $code == 201 ]] || { echo "purchase: $code $(cat "$work/purchase.json")" >&2; return 1; }
  [[ $(json 'len(d["tickets"]), d["tickets"][0]["group"], d["balance"]' <"$work/purchase.json") == "(1, 1, 4000)" ]] ||
    { echo "purchase: $(cat "$work/purchase.json")" >&2; return 1; }
}
check "POST /api/v1/pension/purchases {group 1, auto}: 201, one ticket, 1,000 won debited" buys

# 6. The database is where the unit's sandbox lets it be, owned by the service user.
db_in_state_dir() {
  local db=$state_dir/pension720.db
  [[ -f $db && $(stat -c '%U:%G' "$db") == "$user:$group" ]] || return 1
  [[ $(stat -c '%U' "$state_dir") == "$user" ]]
}
check "SQLite file $state_dir/pension720.db owned by $user" db_in_state_dir

# 7. SIGTERM (the unit's KillSignal): the server drains and exits 0.
stops() {
  kill -TERM "$server_pid"
  local i rc=0
  for ((i = 0; i < STOP_POLLS; i++)); do
    running "$server_pid" || break
    sleep "$POLL_INTERVAL"
  done
  ((i < STOP_POLLS)) || { echo "still running after SIGTERM" >&2; return 1; }
  wait "$server_pid" || rc=$?
  server_pid=
  ((rc == 0)) || { echo "exit status $rc" >&2; return 1; }
}
check "SIGTERM: exit status 0" stops

# 8. dpkg --purge: the binary, unit, conffiles, /etc/pension720 and the user are gone.
purges() {
  dpkg --purge pension720 >"$work/purge.log" 2>&1 || return 1
  local f
  for f in /usr/bin/pension720 "$UNIT" /etc/pension720 /etc/default/pension720; do
    [[ ! -e $f ]] || { echo "still there: $f" >&2; return 1; }
  done
  ! getent passwd pension720 >/dev/null && ! getent group pension720 >/dev/null
}
check "dpkg --purge: binary, unit, /etc/pension720, /etc/default/pension720, user and group gone" purges
