#!/bin/sh
# Cross-builds libsparseprop and its C tests for another Linux architecture and runs them under
# qemu-user: aarch64 (64-bit ARM), s390x (big-endian), i386 (32-bit x86) or armhf (32-bit ARM,
# hard-float: 4-byte pointers but 8-byte-aligned double and uint64_t).
#
#   tests/embed/cross/run-cross.sh ARCH [BUILD_DIR]     (default: build-ARCH in the repo root)
#
# Needs a Debian amd64 host and root (or sudo) for apt-get the first time; later runs
# install nothing. Installs: the ARCH cross compilers, qemu-user, and CMocka for the target
# (libcmocka-dev:<Debian arch> through multiarch). The command-line program is not built (-Dcli=false);
# language bindings are not part of the Meson build. Prints how long each phase took.
# Arguments for `meson test` can be passed in MESON_TEST_ARGS (default: --timeout-multiplier 5,
# since emulation is about 10 times slower than native).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
arch=${1:?usage: run-cross.sh aarch64|s390x|i386|armhf [BUILD_DIR]}
build=${2:-"$src/build-$arch"}
# Per architecture: the GNU triplet of the cross tools, Debian's name for it, and what Meson
# needs beyond the cross file. (s390x at -O2: Debian's cross GCC 12 needs over 9 GB to compile
# src/models/tabulated/table.cpp at the release build's -O3.)
extra=
case "$arch" in
  aarch64) gnu=aarch64-linux-gnu deb=arm64 ;;
  s390x) gnu=s390x-linux-gnu deb=s390x extra=-Doptimization=2 ;;
  i386) gnu=i686-linux-gnu deb=i386 ;;
  armhf) gnu=arm-linux-gnueabihf deb=armhf ;;
  *) echo "run-cross: unknown architecture '$arch' (aarch64, s390x, i386 or armhf)" >&2; exit 2 ;;
esac
cross="$here/$gnu.ini"

now() { date +%s; }
elapsed() { echo "$(( $(now) - $1 ))"; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

# --- install (idempotent) -----------------------------------------------------------------
# Debian serves every architecture from one package archive, so the target's packages come
# through multiarch (dpkg --add-architecture). Other distributions need their own sources.
t0=$(now)
host_pkgs="gcc-$gnu g++-$gnu binutils-$gnu qemu-user"
target_pkgs="libcmocka-dev:$deb libstdc++6:$deb"
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
  echo "run-cross: installing:$missing"
  if ! dpkg --print-foreign-architectures | grep -qx "$deb"; then
    $SUDO dpkg --add-architecture "$deb"
  fi
  # apt-get update fails (exit 100) when any one index does not download, e.g. while a mirror
  # syncs, but keeps the lists it got: the install decides. A failed install waits, updates
  # again and retries (4 tries over about 5 minutes).
  try=1
  while :; do
    $SUDO apt-get -o Acquire::Retries=3 update -qq ||
      echo "run-cross: warning: apt-get update failed (try $try); going on with the lists it has" >&2
    # shellcheck disable=SC2086
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o Acquire::Retries=3 install -y -qq \
      --no-install-recommends $missing >/dev/null; then
      break
    fi
    if [ "$try" -ge 4 ]; then
      echo "run-cross: could not install:$missing" >&2
      exit 1
    fi
    sleep $((30 * try))
    try=$((try + 1))
  done
fi
t_install=$(elapsed "$t0")

# --- configure and build ------------------------------------------------------------------
# quiet CMD...: runs CMD, showing its output only if it fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quiet() {
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "run-cross: failed: $*" >&2
    exit 1
  fi
}
t0=$(now)
if [ -f "$build/build.ninja" ]; then
  quiet meson setup --reconfigure "$build" "$src" --cross-file "$cross" -Dcli=false $extra
else
  quiet meson setup "$build" "$src" --cross-file "$cross" -Dcli=false $extra
fi
quiet ninja -C "$build"
t_build=$(elapsed "$t0")

# --- test under qemu ----------------------------------------------------------------------
t0=$(now)
status=0
# shellcheck disable=SC2086
SP_TEST_QUICK=1 meson test -C "$build" --print-errorlogs ${MESON_TEST_ARGS:---timeout-multiplier 5} || status=$?
t_test=$(elapsed "$t0")

echo "run-cross $arch: install ${t_install}s, configure+build ${t_build}s, test ${t_test}s" \
     "(exit status $status)"
exit "$status"
