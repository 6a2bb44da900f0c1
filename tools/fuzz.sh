#!/usr/bin/env bash
# Fuzzes the payload decode path and the timestamp parsers with libFuzzer
# (clang + compiler-rt from Debian 12), each for FUZZ_SECONDS (default 60),
# starting from a copy of tests/fuzz/corpus (the repository is never written).
# Fails on any crash, invariant violation (trap), sanitizer report (ASan,
# UBSan), leak, timeout or out-of-memory; the offending input is kept under
# build/fuzz/artifacts/ and printed in base64.
#
#   FUZZ_SECONDS=600 bash tools/fuzz.sh              # longer run
#   FUZZ_TARGETS=payload_decoder_fuzz bash tools/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# clang and libclang-rt-14-dev (libclang_rt.fuzzer and the sanitizer runtimes).
FLOORTRACK_EXTRA_PACKAGES="clang libclang-rt-14-dev ${FLOORTRACK_EXTRA_PACKAGES:-}" bash tools/deps.sh

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-payload_decoder_fuzz time_parse_fuzz}
build=${FLOORTRACK_FUZZ_BUILD_DIR:-build/fuzz}
jobs=${FLOORTRACK_JOBS:-$(nproc)}
start=$SECONDS

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLOORTRACK_FUZZ=ON -DFLOORTRACK_TESTS=OFF -DFLOORTRACK_SANITIZE=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets

work=$(mktemp -d /tmp/floortrack-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts="$PWD/$build/artifacts"
mkdir -p "$artifacts"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
for target in $targets; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  args=()
  case "$target" in
    payload_decoder_fuzz)
      cp tests/fuzz/corpus/* "$corpus/"
      # One seed just over Limits::max_payload_bytes (64 KiB), so the size
      # limit path runs from the start (kept out of the repository).
      python3 -c 'import sys; sys.stdout.write("{\"order_id\":\"A1\",\"stage\":\"qc\",\"station\":\"" + "x" * 200 + "\"" + " " * 65400 + "}")' \
        >"$corpus/oversize_payload"
      args+=(-dict=tests/fuzz/payload.dict -max_len=70000)
      ;;
    time_parse_fuzz)
      # Timestamps from the seeds, plus command-line time arguments.
      grep -aohE '"(ts|promised_at)":"[^"]*"' tests/fuzz/corpus/* | cut -d'"' -f4 | sort -u |
        awk -v d="$corpus" '{ f = d "/ts_" NR; printf "%s", $0 > f; close(f) }' || true
      for arg in 2026-10-01 30m 24h 7d 2w 999999999w 2026-10-01T08:15:00.250+01:00; do
        printf '%s' "$arg" >"$corpus/arg_$arg"
      done
      args+=(-max_len=256)
      ;;
  esac
  log="$work/$target.log"
  rm -f "$artifacts/$target-"*
  echo "== $target: ${seconds}s over $(ls "$corpus" | wc -l) seeds"
  set +e
  "$build/bin/$target" "$corpus" "${args[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=64 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" >"$log" 2>&1
  rc=$?
  set -e
  # Executions, coverage and the verdict.
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -n 2 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb):' "$log" || true
  if ((rc != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then
    echo "FAIL $target (exit $rc):"
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -n 80
    for crash in "$artifacts/$target-"*; do
      [[ -f "$crash" ]] || continue
      echo "-- input $crash ($(stat -c %s "$crash") bytes), base64:"
      head -c 4096 "$crash" | base64
      echo "-- reproduce: $build/bin/$target $crash"
    done
    status=1
  else
    echo "ok   $target"
  fi
done
echo "fuzz: done in $((SECONDS - start)) s"
exit "$status"
