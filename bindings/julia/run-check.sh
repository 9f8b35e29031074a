#!/bin/sh
# run-check.sh - checks the Julia binding without Julia (see README.md): parses every .jl file,
# checks every ccall against include/sparseprop/sparseprop.h and the mirrored struct layouts
# against the C compiler, then runs the checker's self-test. Needs Node >= 18, npm and cc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/check"
if [ ! -f node_modules/web-tree-sitter/package.json ] ||
   [ ! -f node_modules/tree-sitter-julia/tree-sitter-julia.wasm ]; then
    # A registry hiccup should not fail the check: three tries, a short wait between them
    # (npm's own fetch retries cover one request, not a whole failed install).
    tries=1
    until npm ci --ignore-scripts --no-audit --no-fund; do
        if [ "$tries" -ge 3 ]; then
            echo "run-check: npm ci failed $tries times" >&2
            exit 1
        fi
        sleep $((10 * tries))
        tries=$((tries + 1))
    done
fi
node check.mjs --require-all "$@"
node selftest.mjs
