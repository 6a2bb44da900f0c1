#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds with warnings as errors, runs every ctest label.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
build=${FLOORTRACK_BUILD_DIR:-build/test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLOORTRACK_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure
# The same unit, store and integration tests under ASan + UBSan, then the
# payload decoder and time parser fuzzed for a bounded time.
bash tools/sanitize.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tools/fuzz.sh
