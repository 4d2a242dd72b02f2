#!/usr/bin/env bash
# Installs every Debian 12 package pension720 needs to build, test and benchmark. Idempotent:
# does nothing when all are present. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-system-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libssl-dev
  libspdlog-dev libcli11-dev libyaml-cpp-dev libjwt-dev libhiredis-dev libmariadb-dev libjemalloc-dev libsodium-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-requests python3-jwt python3-cryptography python3-aiosmtpd
  curl
)
# Servers and tools for the test suite and benchmarks (not needed just to run the server).
if [[ "${1:-}" != "--runtime-only" ]]; then
  PACKAGES+=(redis-server mariadb-server mariadb-client mariadb-backup galera-4 nginx wrk clang libclang-rt-14-dev chromium)
  # Prometheus and promtool for tests/e2e/test_prometheus.py (which parses the scrape config with PyYAML).
  PACKAGES+=(prometheus python3-yaml)
  # The Debian package (scripts/package.sh) and its test (tests/package/test_package.sh).
  PACKAGES+=(dpkg-dev file systemd adduser procps)
  # scripts/lint.sh (run by scripts/test.sh): Debian's clang-format 14 and clang-tidy 14.
  PACKAGES+=(clang-format clang-tidy)
  # The payment provider's stand-in serves https with a certificate the tests make with `openssl req`.
  PACKAGES+=(openssl)
  # Node.js >= 20 for the browser test: this machine kind ships it; Debian's own is older.
  command -v node >/dev/null || PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
