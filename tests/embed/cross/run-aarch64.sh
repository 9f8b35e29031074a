#!/bin/sh
# Cross-builds libsparseprop and its C tests for aarch64 Linux and runs them under qemu-user.
#
#   tests/embed/cross/run-aarch64.sh [BUILD_DIR]     (default: build-aarch64 in the repo root)
#
# Needs a Debian amd64 host and root (or sudo) for apt-get the first time; later runs
# install nothing. Installs: the aarch64 cross compilers, qemu-user, and CMocka for the target
# (libcmocka-dev:arm64 through multiarch). The command-line program is not built (-Dcli=false);
# language bindings are not part of the Meson build. Prints how long each phase took.
# Arguments for `meson test` can be passed in MESON_TEST_ARGS (default: --timeout-multiplier 5,
# since emulation is about 10 times slower than native).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:-"$src/build-aarch64"}
cross="$here/aarch64-linux-gnu.ini"

now() { date +%s; }
elapsed() { echo "$(( $(now) - $1 ))"; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

# --- install (idempotent) -----------------------------------------------------------------
# Debian serves every architecture from one package archive, so arm64 packages come through
# multiarch (dpkg --add-architecture). Other distributions need their own arm64 sources.
t0=$(now)
host_pkgs="gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user"
target_pkgs="libcmocka-dev:arm64 libstdc++6:arm64"
missing=
for p in $host_pkgs $target_pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
# Meson, Ninja and pkg-config may come from pip or elsewhere: only install the missing ones.
command -v meson >/dev/null 2>&1 || missing="$missing meson"
command -v ninja >/dev/null 2>&1 || missing="$missing ninja-build"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
if [ -n "$missing" ]; then
  echo "run-aarch64: installing:$missing"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    $missing >/dev/null
fi
t_install=$(elapsed "$t0")

# --- configure and build ------------------------------------------------------------------
# quiet CMD...: runs CMD, showing its output only if it fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quiet() {
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "run-aarch64: failed: $*" >&2
    exit 1
  fi
}
t0=$(now)
if [ -f "$build/build.ninja" ]; then
  quiet meson setup --reconfigure "$build" "$src" --cross-file "$cross" -Dcli=false
else
  quiet meson setup "$build" "$src" --cross-file "$cross" -Dcli=false
fi
quiet ninja -C "$build"
t_build=$(elapsed "$t0")

# --- test under qemu-aarch64 --------------------------------------------------------------
t0=$(now)
status=0
# shellcheck disable=SC2086
SP_TEST_QUICK=1 meson test -C "$build" --print-errorlogs ${MESON_TEST_ARGS:---timeout-multiplier 5} || status=$?
t_test=$(elapsed "$t0")

echo "run-aarch64: install ${t_install}s, configure+build ${t_build}s, test ${t_test}s" \
     "(exit status $status)"
exit "$status"
