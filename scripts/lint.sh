#!/usr/bin/env bash
# Lint: clang-format (.clang-format) over every tracked C++ file and clang-tidy (.clang-tidy) over
# the sources, tests and benchmarks in build/compile_commands.json. Exits non-zero on any finding.
#   scripts/lint.sh [--fix] [--format-only | --tidy-only] [PATH ...]
# --fix rewrites the files with clang-format -i instead of reporting them (clang-tidy still only
# reports). PATHs (files or folders) narrow both to those; default: src tests bench fuzz.
# BUILD_DIR (build) holds compile_commands.json (configured here if missing); JOBS (2) parallel
# clang-tidy processes.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
fix=0 format=1 tidy=1 paths=()
for arg in "$@"; do
  case "$arg" in
    --fix) fix=1 ;;
    --format-only) tidy=0 ;;
    --tidy-only) format=0 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) paths+=("$arg") ;;
  esac
done
((${#paths[@]})) || paths=(src tests bench fuzz)

# Every tracked C++ file under the paths. Nothing generated or third-party is tracked (the embedded
# web assets are generated into the build directory), so nothing needs excluding.
mapfile -t files < <(git ls-files -- "${paths[@]}" | grep -E '\.(h|cc|cpp)$')
((${#files[@]})) || { echo "lint: no C++ files under ${paths[*]}" >&2; exit 2; }
failed=()

if ((format)); then
  if ((fix)); then
    echo "== clang-format -i (${#files[@]} files)"
    clang-format -i "${files[@]}" || failed+=(clang-format)
  else
    echo "== clang-format --dry-run (${#files[@]} files; scripts/lint.sh --fix rewrites them)"
    clang-format --dry-run --Werror "${files[@]}" || failed+=(clang-format)
  fi
fi

if ((tidy)); then
  [[ -f "$BUILD_DIR/compile_commands.json" ]] ||
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null || exit 1
  # The translation units among the files: those the build compiles (fuzz/ is built by
  # scripts/fuzz.sh with its own flags, so it is formatted but not tidied; headers are checked
  # through the units that include them, HeaderFilterRegex in .clang-tidy).
  mapfile -t units < <(python3 - "$BUILD_DIR/compile_commands.json" "${files[@]}" <<'EOF'
import json, os, sys
compiled = {os.path.realpath(e["file"]) for e in json.load(open(sys.argv[1]))}
for f in sys.argv[2:]:
    if os.path.realpath(f) in compiled:
        print(f)
EOF
  )
  echo "== clang-tidy (${#units[@]} translation units, $JOBS at a time)"
  if ((${#units[@]})); then
    printf '%s\n' "${units[@]}" |
      xargs -P"$JOBS" -n1 clang-tidy -p "$BUILD_DIR" --quiet 2> >(grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' >&2) ||
      failed+=(clang-tidy)
  fi
fi

if ((${#failed[@]})); then
  echo "lint FAILED: ${failed[*]}"
  exit 1
fi
echo "lint passed"
