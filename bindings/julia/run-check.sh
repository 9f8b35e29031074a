#!/bin/sh
# run-check.sh - checks the Julia binding without Julia (see README.md): parses every .jl file,
# checks every ccall against include/sparseprop/sparseprop.h and the mirrored struct layouts
# against the C compiler, then runs the checker's self-test. Needs Node >= 18, npm and cc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/check"
if [ ! -f node_modules/web-tree-sitter/package.json ] ||
   [ ! -f node_modules/tree-sitter-julia/tree-sitter-julia.wasm ]; then
    npm ci --ignore-scripts --no-audit --no-fund
fi
node check.mjs --require-all "$@"
node selftest.mjs
