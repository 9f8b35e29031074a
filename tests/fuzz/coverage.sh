#!/bin/sh
# Line and branch coverage that the fuzz corpora reach in the loader (src/io/save_load.cpp), the
# event loop (src/core/run.cpp) and the current-based synapses (src/models/lif_syn*), with clang's source-based coverage: a clang-14 build with
# -fprofile-instr-generate -fcoverage-mapping (no sanitizers, no libFuzzer) replays every input
# through the replay drivers (<target>_replay), and llvm-cov-14 reports.
#
#   tests/fuzz/coverage.sh [CORPUS_ROOT...]
#
# Replays tests/fuzz/corpus/<target> and tests/fuzz/crashes/<target>, plus <target>/ (or
# <target>/corpus/) under each CORPUS_ROOT given, e.g. the corpora a fuzzing run grew:
# `tests/fuzz/coverage.sh build-fuzz/fuzz-work`. Configures the build in $COV_BUILD_DIR
# (default build-cov). Prints the llvm-cov summary of those files and writes the annotated
# sources (uncovered lines marked) to $COV_BUILD_DIR/coverage/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${COV_BUILD_DIR:-$root/build-cov}
targets="fuzz_load fuzz_create fuzz_api"
# Instrumented programs the build itself runs write their profiles here, not into the tree.
export LLVM_PROFILE_FILE="$build/stray-%p.profraw"

if [ ! -f "$build/build.ninja" ]; then
  flags='-fprofile-instr-generate -fcoverage-mapping'
  CC=clang-14 CXX=clang++-14 meson setup "$build" "$root" -Dcli=false -Dbuildtype=debug \
    -Dc_args="$flags" -Dcpp_args="$flags" -Dc_link_args="$flags" -Dcpp_link_args="$flags" \
    >/dev/null
fi
for t in $targets; do ninja -C "$build" "tests/fuzz/${t}_replay" >/dev/null; done

prof=$build/coverage/profiles
rm -rf "$prof"
mkdir -p "$prof"
objects=""
for t in $targets; do
  dirs="$here/corpus/$t $here/crashes/$t"
  for extra in "$@"; do
    if [ -d "$extra/$t/corpus" ]; then
      dirs="$dirs $extra/$t/corpus"
    elif [ -d "$extra/$t" ]; then
      dirs="$dirs $extra/$t"
    fi
  done
  # One profile per process (%p); a finding aborts its replay, so each directory runs alone.
  for d in $dirs; do
    [ -d "$d" ] || continue
    LLVM_PROFILE_FILE="$prof/$t-%p.profraw" "$build/tests/fuzz/${t}_replay" "$d" >/dev/null 2>&1 ||
      echo "note: replaying $d stopped on a finding (coverage up to it is counted)" >&2
  done
  if [ -z "$objects" ]; then
    objects="$build/tests/fuzz/${t}_replay"
  else
    objects="$objects -object $build/tests/fuzz/${t}_replay"
  fi
done
llvm-profdata-14 merge -sparse "$prof"/*.profraw -o "$build/coverage/all.profdata"
# The summary and the annotated sources of the files, picked by their names' endings.
# shellcheck disable=SC2086 # (objects: the first binary, then -object for the others)
llvm-cov-14 export -summary-only $objects -instr-profile="$build/coverage/all.profdata" \
  >"$build/coverage/summary.json"
# shellcheck disable=SC2086
llvm-cov-14 show $objects -instr-profile="$build/coverage/all.profdata" -format=text \
  >"$build/coverage/all.txt"
python3 - "$build/coverage" <<'PY'
import json, re, sys
out = sys.argv[1]
wanted = ("src/io/save_load.cpp", "src/core/run.cpp", "src/models/lif_syn.hpp",
          "src/models/lif_syn.cpp", "src/models/lif_syn_engine.cpp",
          "src/models/lif_syn_backward.cpp")
files = json.load(open(f"{out}/summary.json"))["data"][0]["files"]
print(f"{'file':32} {'lines':>17} {'branches':>17} {'regions':>17}")
for f in files:
    name = f["filename"]
    if name.endswith(wanted):
        s = f["summary"]
        cells = [f"{s[k]['covered']}/{s[k]['count']} {s[k]['percent']:5.1f}%"
                 for k in ("lines", "branches", "regions")]
        print(f"{name[name.index('src/'):]:32} " + " ".join(f"{c:>17}" for c in cells))
# `show` prints each file after a line "PATH:"; keep the wanted files, and list their lines
# that ran 0 times.
sections = re.split(r"^(/\S+):$", open(f"{out}/all.txt").read(), flags=re.M)
for path, body in zip(sections[1::2], sections[2::2]):
    if not path.endswith(wanted):
        continue
    base = path.rsplit("/", 1)[1]
    open(f"{out}/{base}.txt", "w").write(body)
    missed = [m.group(1) for m in re.finditer(r"^ *(\d+)\| +0\|", body, flags=re.M)]
    print(f"{base}: lines never run: {' '.join(missed) or 'none'}")
print(f"annotated: {out}/<file>.txt for each")
PY
