#!/bin/sh
# Runs each libFuzzer target of tests/fuzz for SECONDS (default 60), one after the other,
# single job each, and fails (exit 1) on any finding: a crash, a sanitizer report (ASan,
# UBSan: fatal), a leak, a timeout (a hang: 30 s per input; the slowest seed, fuzz_api's
# custom-model-params-quadratic, takes about 5 s under ASan on this project's machine, and with
# 10 s it timed out on a loaded machine; an input slower than that is also written as a
# slow-unit finding) or running out of memory. Prints
# executions and coverage (libFuzzer's cov: edges and ft: features) per fuzzer.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
#   tests/fuzz/run-fuzzers.sh --gate [TARGET...]   # CI's gate: seeded, fixed executions
#
# Configures a clang-14 fuzz build in $FUZZ_BUILD_DIR (default build-fuzz) if needed. The
# checked-in seed corpus is not modified: each run works on a copy under $FUZZ_WORK_DIR
# (default $FUZZ_BUILD_DIR/fuzz-work), where findings (crash-*, timeout-*, ...) are kept;
# move a finding to tests/fuzz/crashes/<target>/ once it is fixed, so that `meson test`
# replays it. SP_FUZZ_LENIENT=1 relaxes the checks for known defects outside the loader
# (see fuzz_common.h).
#
# FUZZ_BUILD=only configures and builds the targets and stops; FUZZ_BUILD=skip runs the targets
# already built without calling ninja (CI runs targets side by side after one build: two ninja
# runs in one build directory must not overlap). FUZZ_JOBS=J builds with ninja -j J (default:
# ninja's, every core).
#
# FUZZ_SEED=S fixes libFuzzer's random seed (default: a new one each run) and FUZZ_RUNS=R
# stops after R executions (default: only the time limit). A seeded run is reproducible: the
# same binary, seed and executions explore the same inputs on any machine and from any work
# directory. The seed alone is not enough: libFuzzer's table of recent comparisons steers its
# mutations, and some values the harnesses compare are addresses, which move with address
# randomisation and with the length of the paths on the stack. So a seeded run turns the
# comparison guidance off (-use_cmp=0; checked: same corpus from two work directories), runs
# from inside the work directory with relative arguments and a fixed environment, and does not
# reload the corpus. CI's gate is such a run (.ci/run); exploring runs keep the guidance.
set -eu

# The gate: a fixed seed and, per target and layout, the executions of one to four minutes on
# this project's 2-core machine. CI fails on any finding of it; run it before merging a change
# to the engine, the loader or a harness (the binary changes, so the inputs explored change too).
gate=0
if [ "${1:-}" = --gate ]; then
  gate=1
  shift
  FUZZ_SEED=${FUZZ_GATE_SEED:-20261130}
fi
gate_runs() {
  case $1 in
    # (fuzz_load's whole phase tables, up to 16 KB: max_len below, make it slower than the
    # others per input; 150,000 reach more coverage than 300,000 did with them cut at 8 KB)
    fuzz_load) echo 150000 ;;
    fuzz_create) echo 20000 ;;
    # (fuzz_api's sequences of up to hundreds of calls on networks of up to thousands of neurons
    # take about 0.35 s per input under ASan: 1,500 took 9 minutes in CI, the first 500 of them
    # 3; the gate's seeded runs are a prefix of the longer ones, which were clean)
    fuzz_api) echo 500 ;;
    # (the compact layout's loads read sections ahead and recompute the seeded v0: slower)
    fuzz_create@compact) echo 15000 ;;
    fuzz_api@compact) echo 250 ;;
    *) echo 1000 ;;
  esac
}

if [ $gate = 1 ]; then seconds=1800; else
  seconds=${1:-60}
  [ $# -gt 0 ] && shift
fi
targets=${*:-fuzz_load fuzz_create fuzz_api}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}
cc=${FUZZ_CC:-clang-14}
cxx=${FUZZ_CXX:-clang++-14}

if [ "${FUZZ_BUILD:-}" != skip ]; then
  if [ ! -f "$build/build.ninja" ]; then
    flags='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all'
    CC=$cc CXX=$cxx meson setup "$build" "$root" -Dfuzz=true -Dcli=false \
      -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args="$flags" -Dcpp_args="$flags"
  fi
  for t in $targets; do ninja -C "$build" ${FUZZ_JOBS:+-j "$FUZZ_JOBS"} "tests/fuzz/$t"; done
fi
[ "${FUZZ_BUILD:-}" = only ] && exit 0

# A run is in one memory layout: the default, where the harnesses' small networks are all in the
# full layout, or with FUZZ_COMPACT=1 the compact one for every description that allows it
# (SPARSEPROP_COMPACT_MIN_N=1; README, Memory layouts). The gate runs each target in both, but
# fuzz_load only in the default one.
runs_list=""
for t in $targets; do
  # (fuzz_load in the compact layout is not in the gate: its seeded runs are not reproducible,
  # tests/fuzz/README.md; CI explores it, report-only.)
  if [ $gate = 1 ] && [ "$t" = fuzz_load ]; then runs_list="$runs_list $t"
  elif [ $gate = 1 ]; then runs_list="$runs_list $t $t@compact"
  elif [ "${FUZZ_COMPACT:-0}" != 0 ]; then runs_list="$runs_list $t@compact"
  else runs_list="$runs_list $t"; fi
done

status=0
summary=""
for run in $runs_list; do
  t=${run%@compact}
  compact_min=""
  [ "$run" != "$t" ] && compact_min=1
  out=$work/$run
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/findings"
  cp "$here/corpus/$t/"* "$out/corpus/" 2>/dev/null || true
  log=$out/fuzz.log
  runs=${FUZZ_RUNS:-}
  [ $gate = 1 ] && runs=$(gate_runs "$run")
  # fuzz_load's seeds with a phase table (EIF, custom models) are 11-16 KB: a smaller limit
  # would cut them, and the loader's table checks would never see a whole table.
  max_len=8192
  [ "$t" = fuzz_load ] && max_len=16384
  echo "== $run: $seconds s${FUZZ_SEED:+, seed $FUZZ_SEED}${runs:+, at most $runs executions}"
  extra=""
  [ -n "$runs" ] && extra="$extra -runs=$runs"
  asan=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
  ubsan=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # (Options both kinds of run share; no value has a space.)
  limits="-max_total_time=$seconds -timeout=30 -report_slow_units=30 -rss_limit_mb=2048"
  limits="$limits -malloc_limit_mb=1024 -max_len=$max_len -print_final_stats=1"
  rc=0
  if [ -n "${FUZZ_SEED:-}" ]; then
    # The reproducible run: same argv, environment and address layout from any directory.
    ln -sf "$build/tests/fuzz/$t" "$out/$t"
    (cd "$out" && env -i PATH=/usr/bin:/bin ASAN_OPTIONS="$asan" UBSAN_OPTIONS="$ubsan" \
      ${SP_FUZZ_LENIENT:+SP_FUZZ_LENIENT=$SP_FUZZ_LENIENT} \
      ${compact_min:+SPARSEPROP_COMPACT_MIN_N=$compact_min} "./$t" corpus $limits \
      -artifact_prefix=findings/ -seed="$FUZZ_SEED" -reload=0 -use_cmp=0 $extra) >"$log" 2>&1 ||
      rc=$?
  else
    ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan SPARSEPROP_COMPACT_MIN_N=$compact_min \
      "$build/tests/fuzz/$t" "$out/corpus" $limits -artifact_prefix="$out/findings/" $extra \
      >"$log" 2>&1 || rc=$?
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  findings=$(ls "$out/findings" | wc -l)
  line="$run: ${execs:-?} executions, ${cov:-no coverage line}, corpus $(ls "$out/corpus" | wc -l) inputs, exit $rc, $findings finding(s)"
  echo "$line"
  summary="$summary$line
"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    status=1
    echo "-- $run found something (log: $log):"
    grep -E 'ERROR|runtime error|invariant failed|SUMMARY|Test unit written' "$log" | head -n 20 || true
    ls -l "$out/findings"
  fi
done
echo "== summary"
printf '%s' "$summary"
exit $status
