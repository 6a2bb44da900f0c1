#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (gcc,
# Debug, FLOORTRACK_SANITIZE=ON) in build/asan and runs the unit, store,
# integration and reliability tests against those binaries. Any sanitizer report fails the
# run: ASan/UBSan abort, and LeakSanitizer makes a leaking process exit
# non-zero (the integration tests check floortrackd's exit code).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
build=${FLOORTRACK_ASAN_BUILD_DIR:-build/asan}
jobs=${FLOORTRACK_JOBS:-$(nproc)}
labels=${FLOORTRACK_ASAN_LABELS:-unit|store|integration|reliability}

start=$SECONDS
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLOORTRACK_SANITIZE=ON -DFLOORTRACK_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

# No LeakSanitizer suppressions: floortrackd exits clean under LSan, Paho and
# OpenSSL included (TLS too). Should a third-party library ever leak at exit,
# suppress its frames only (never floortrack code) with LSAN_OPTIONS=suppressions=FILE.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" --output-on-failure -L "$labels"
echo "sanitize: done in $((SECONDS - start)) s"
