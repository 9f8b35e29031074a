#!/bin/sh
# Builds and tests the Rust bindings against a Meson build tree, then runs the example briefly.
#   usage: bindings/rust/run-tests.sh BUILD_DIR
# BUILD_DIR is a configured and built Meson directory (libsparseprop in BUILD_DIR/src and
# BUILD_DIR/meson-uninstalled/sparseprop-uninstalled.pc). Cargo's output goes to
# BUILD_DIR/rust-target unless CARGO_TARGET_DIR is set. Works offline: the crates have no
# dependencies outside the repository.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -d "$build/meson-uninstalled" ]; then
  echo "$0: $build/meson-uninstalled not found; run meson setup + ninja first" >&2
  exit 2
fi

# Find the library through Meson's uninstalled pkg-config file (the build script's second
# route); clear the first route so a stray SPARSEPROP_LIB_DIR cannot shadow this build.
PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
unset SPARSEPROP_LIB_DIR SPARSEPROP_INCLUDE_DIR SPARSEPROP_STATIC
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$build/rust-target}
export CARGO_TARGET_DIR

cd "$here"
cargo --version
cargo test --offline --workspace --all-targets --no-fail-fast
cargo test --offline --workspace --doc
# The example in release mode, small enough to take a few seconds.
cargo run --offline --release --example balanced -- 10000 0.5
