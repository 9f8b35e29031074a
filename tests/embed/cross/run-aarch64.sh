#!/bin/sh
# Cross-builds libsparseprop and its C tests for aarch64 Linux and runs them under qemu-user:
# run-cross.sh for aarch64 (kept under this name for CI and the README).
#
#   tests/embed/cross/run-aarch64.sh [BUILD_DIR]     (default: build-aarch64 in the repo root)
exec "$(dirname "$0")/run-cross.sh" aarch64 "$@"
