#!/bin/sh
# Runs each libFuzzer target of tests/fuzz for SECONDS (default 60), one after the other,
# single job each, and fails (exit 1) on any finding: a crash, a sanitizer report (ASan,
# UBSan: fatal), a leak, a timeout (a hang: 10 s per input) or running out of memory. Prints
# executions and coverage (libFuzzer's cov: edges and ft: features) per fuzzer.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
#
# Configures a clang-14 fuzz build in $FUZZ_BUILD_DIR (default build-fuzz) if needed. The
# checked-in seed corpus is not modified: each run works on a copy under $FUZZ_WORK_DIR
# (default $FUZZ_BUILD_DIR/fuzz-work), where findings (crash-*, timeout-*, ...) are kept;
# move a finding to tests/fuzz/crashes/<target>/ once it is fixed, so that `meson test`
# replays it. SP_FUZZ_LENIENT=1 relaxes the checks for known defects outside the loader
# (see fuzz_common.h).
#
# FUZZ_SEED=S fixes libFuzzer's random seed (default: a new one each run) and FUZZ_RUNS=R stops
# after R executions (default: only the time limit). With both, a run is reproducible: the
# same commit explores the same inputs in the same order, and a run cut short by SECONDS
# explores a prefix of them. CI runs that way (.ci/run, stage 6), so a CI finding replays
# exactly; exploratory runs (no FUZZ_SEED) look further.
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_load fuzz_create fuzz_api}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}
cc=${FUZZ_CC:-clang-14}
cxx=${FUZZ_CXX:-clang++-14}

if [ ! -f "$build/build.ninja" ]; then
  flags='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all'
  CC=$cc CXX=$cxx meson setup "$build" "$root" -Dfuzz=true -Dcli=false \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args="$flags" -Dcpp_args="$flags"
fi
for t in $targets; do ninja -C "$build" "tests/fuzz/$t"; done

status=0
summary=""
for t in $targets; do
  out=$work/$t
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/findings"
  cp "$here/corpus/$t/"* "$out/corpus/" 2>/dev/null || true
  log=$out/fuzz.log
  echo "== $t: $seconds s${FUZZ_SEED:+, seed $FUZZ_SEED}${FUZZ_RUNS:+, at most $FUZZ_RUNS executions}"
  extra=""
  [ -n "${FUZZ_SEED:-}" ] && extra="$extra -seed=$FUZZ_SEED -reload=0"
  [ -n "${FUZZ_RUNS:-}" ] && extra="$extra -runs=$FUZZ_RUNS"
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/tests/fuzz/$t" "$out/corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$out/findings/" $extra >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  findings=$(ls "$out/findings" | wc -l)
  line="$t: ${execs:-?} executions, ${cov:-no coverage line}, corpus $(ls "$out/corpus" | wc -l) inputs, exit $rc, $findings finding(s)"
  echo "$line"
  summary="$summary$line
"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    status=1
    echo "-- $t found something (log: $log):"
    grep -E 'ERROR|runtime error|invariant failed|SUMMARY|Test unit written' "$log" | head -n 20 || true
    ls -l "$out/findings"
  fi
done
echo "== summary"
printf '%s' "$summary"
exit $status
