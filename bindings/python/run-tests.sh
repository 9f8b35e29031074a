#!/bin/sh
# Runs the Python binding's pytest suite against a Meson build tree (meson test, suite bindings),
# or with --benchmark its balanced-network benchmark against the CLI (meson test --benchmark).
#   usage: bindings/python/run-tests.sh BUILD_DIR [pytest arguments...]
#          bindings/python/run-tests.sh BUILD_DIR --benchmark [balanced.py arguments...]
# Exit status 77 (Meson's "skipped") when no Python 3 with numpy, scipy and pytest is found;
# tests needing PyTorch or matplotlib are skipped one by one, with the reason in the summary.
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [pytest arguments... | --benchmark [arguments...]]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)

# The first interpreter that has the required modules: $PYTHON, then python3 from PATH, then
# the system's (a pyenv or venv python3 earlier on PATH usually lacks Debian's packages).
py=
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$cand" ] || continue
  command -v "$cand" >/dev/null 2>&1 || continue
  if "$cand" -c 'import numpy, scipy, pytest' >/dev/null 2>&1; then
    py=$cand
    break
  fi
done
if [ -z "$py" ]; then
  echo "SKIP: no Python 3 with numpy, scipy and pytest (Debian: apt-get install python3-numpy" \
       "python3-scipy python3-pytest); tried \$PYTHON, python3, /usr/bin/python3" >&2
  exit 77
fi

SPARSEPROP_LIB="$build/src/libsparseprop.so"
SPARSEPROP_BUILD_DIR="$build"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
PYTHONDONTWRITEBYTECODE=1
MPLBACKEND=Agg
export SPARSEPROP_LIB SPARSEPROP_BUILD_DIR PYTHONPATH PYTHONDONTWRITEBYTECODE MPLBACKEND
cd "$here"
"$py" -c 'import sys, numpy, scipy, pytest; print("python", sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__, "pytest", pytest.__version__)'
if [ "${1:-}" = "--benchmark" ]; then
  shift
  exec "$py" benchmarks/balanced.py --cli "$build/src/cli/sparseprop" "$@"
fi
# -rs lists every skipped test with its reason; -p no:cacheprovider keeps the tree clean.
if [ $# -eq 0 ]; then set -- tests; fi
exec "$py" -m pytest -p no:cacheprovider -rs -q "$@"
