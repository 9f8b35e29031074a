#!/bin/sh
# Builds and tests the Rust bindings against a Meson build tree, runs the example briefly, then
# builds a crate that depends on `sparseprop` by path, the way bindings/rust/README.md says.
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
repo=$(cd "$here/../.." && pwd)

if [ ! -f "$build/meson-uninstalled/sparseprop-uninstalled.pc" ]; then
  echo "$0: $build/meson-uninstalled/sparseprop-uninstalled.pc not found; run meson setup + ninja first" >&2
  exit 2
fi

# Nothing from the caller's environment may pick the library: each step names its route.
unset SPARSEPROP_LIB_DIR SPARSEPROP_INCLUDE_DIR SPARSEPROP_STATIC SPARSEPROP_BUILD_DIR \
  PKG_CONFIG_PATH LD_LIBRARY_PATH
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$build/rust-target}
export CARGO_TARGET_DIR

# 1. The workspace against this build directory (build.rs route 2), no LD_LIBRARY_PATH: the
#    tests and the example carry a run-time path.
cd "$here"
cargo --version
SPARSEPROP_BUILD_DIR=$build cargo test --offline --workspace --all-targets --no-fail-fast
SPARSEPROP_BUILD_DIR=$build cargo test --offline --workspace --doc
# The example in release mode, small enough to take a few seconds.
SPARSEPROP_BUILD_DIR=$build cargo run --offline --release --example balanced -- 10000 0.5

# 2. A crate of the user's own that depends on `sparseprop` by path. (CI's run against the
#    sanitizer build skips it: a static link of an ASan-instrumented archive into a Rust
#    binary needs the sanitizer runtime, which rustc does not link.)
if [ -n "${SPARSEPROP_RUST_SKIP_DEPENDENT:-}" ]; then
  echo "dependent crate: skipped (SPARSEPROP_RUST_SKIP_DEPENDENT is set)"
  exit 0
fi
dep=$CARGO_TARGET_DIR/dependent-crate
rm -rf "$dep"
mkdir -p "$dep/src"
cat > "$dep/Cargo.toml" <<TOML
[package]
name = "dependent"
version = "0.1.0"
edition = "2021"

[dependencies]
sparseprop = { path = "$here/sparseprop" }

[workspace]
TOML
cat > "$dep/src/main.rs" <<'RUST'
use sparseprop::{Model, NetworkBuilder, Synapses};

fn main() -> sparseprop::Result<()> {
    let mut net = NetworkBuilder::new(Model::Lif, 1000)
        .drive(1.1)
        .recurrent(Synapses::procedural(100, 42, -0.1))
        .init_seed(7)
        .build()?;
    let spikes = net.run_until(1.0)?;
    println!("dependent: {} spikes, {}", spikes.len(), sparseprop::version());
    Ok(())
}
RUST
dep_target=$CARGO_TARGET_DIR/dependent-target
bin=$dep_target/debug/dependent

# 2a. Static (SPARSEPROP_STATIC=1), found through pkg-config and the uninstalled .pc file
#     (route 3): the binary runs as it is and does not need libsparseprop.so.
(cd "$dep" && PKG_CONFIG_PATH=$build/meson-uninstalled SPARSEPROP_STATIC=1 \
  CARGO_TARGET_DIR=$dep_target cargo build --offline)
"$bin" | grep -q "^dependent: [1-9]"
if command -v ldd >/dev/null && ldd "$bin" | grep -q libsparseprop; then
  echo "$0: the statically linked dependent crate still needs libsparseprop.so" >&2
  exit 1
fi

# 2b. Shared: found by the repository's build/ with nothing set (route 4) when BUILD_DIR is
#     that directory, else through SPARSEPROP_BUILD_DIR. The binary links, but has no run-time
#     path (a build script cannot give one to another crate's binaries): it needs
#     LD_LIBRARY_PATH, as the README says.
if [ "$build" = "$repo/build" ]; then route_env=; else route_env="SPARSEPROP_BUILD_DIR=$build"; fi
(cd "$dep" && env $route_env CARGO_TARGET_DIR=$dep_target cargo build --offline)
if out=$("$bin" 2>&1); then
  echo "note: libsparseprop.so.0 is on the loader's path; not checking that LD_LIBRARY_PATH is needed"
else
  echo "$out" | grep -q "libsparseprop.so.0" || { echo "$0: dependent crate: $out" >&2; exit 1; }
fi
LD_LIBRARY_PATH=$build/src "$bin" | grep -q "^dependent: [1-9]"
echo "dependent crate: static and shared (LD_LIBRARY_PATH) both run"
