#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, then
#   1. fuzzes the payload decoder and the time parser for a bounded time,
#   2. runs unit, store, integration and reliability tests under ASan + UBSan,
#   3. builds with warnings as errors and runs every ctest label (unit,
#      store, integration, browser, reliability, package, bench smoke).
# Needs root: apt-get, dpkg -i of the built package, a tmpfs mount.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh --test
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tools/fuzz.sh
bash tools/sanitize.sh

build=${FLOORTRACK_BUILD_DIR:-build/test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLOORTRACK_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure
