#!/usr/bin/env bash
# One command for a new user: installs what is missing, builds, and starts the server on the
# embedded default (SQLite file data/pension720.db, port 8080). Extra arguments go to
# `pension720 serve`, e.g. scripts/run.sh --demo
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --runtime-only
bash scripts/build.sh pension720
exec build/pension720 serve "$@"
