#!/usr/bin/env bash
# Builds the Debian package build-release/pension720_<version>_amd64.deb (CPack, RelWithDebInfo,
# stripped; no tests). Needs the build packages of scripts/install-deps.sh, dpkg-dev and file.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-release}

for tool in cmake ninja cpack dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool missing (bash scripts/install-deps.sh)" >&2; exit 1; }
done

# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack installs what was built instead of building every
# target first (the benchmarks among them). BUILD_DIR=build packages the binary the test suite
# built (scripts/test.sh does, saving a second release build); its tests stay configured.
testing=OFF
[[ "$BUILD_DIR" == build ]] && testing=ON
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
      -DBUILD_TESTING=$testing -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
# Only the package's path goes to standard output (scripts/test.sh reads it); the rest to stderr.
ninja -C "$BUILD_DIR" -j"${JOBS:-2}" pension720 >&2
rm -f "$BUILD_DIR"/pension720_*.deb
(cd "$BUILD_DIR" && cpack -G DEB >&2)
deb=$(ls "$PWD/$BUILD_DIR"/pension720_*_amd64.deb)
echo "$deb"
