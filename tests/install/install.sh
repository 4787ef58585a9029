#!/bin/sh
# install.sh BUILD_DIR: installs BUILD_DIR into a temporary prefix (cmake --install --prefix) and
# builds tiny consumers from the installed tree only (no source tree on any path):
# install.sh --debs DIR: the same from the Debian packages in DIR (scripts/deb), unpacked with
# dpkg-deb -x into a temporary root (prefix ROOT/usr; no demo compositor in them):
#   consumer-c        cc + pkg-config wlgpu-wlr-0.20 (the README's C path)
#   consumer-cpp      CMake find_package(wlgpu), wlgpu::wlgpu (C++23 from the target)
#   consumer-c-cmake  CMake wlgpu::wlgpu-wlr-0.20
# and runs them, and the installed demo compositor, without LD_LIBRARY_PATH.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/wlgpu-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset LD_LIBRARY_PATH

if [ "$1" = --debs ]; then
  DEBS=$(cd "$2" && pwd)
  BUILD=$DEBS
  P=$T/root/usr
  for d in "$DEBS"/libwlgpu0_*.deb "$DEBS"/libwlgpu-dev_*.deb "$DEBS"/libwlgpu-autocreate_*.deb; do
    [ -f "$d" ] || fail "no $d"
    dpkg-deb -x "$d" "$T/root"
    echo "     unpacked $(basename "$d")"
  done
  COMPOSITOR=
else
  BUILD=$(cd "$1" && pwd)
  P=$T/prefix
  cmake --install "$BUILD" --prefix "$P" >"$T/install.log" || { cat "$T/install.log"; fail "cmake --install"; }
  COMPOSITOR=bin/wlgpu-tinywl
fi
LIBDIR=$(cd "$P" && ls -d lib/*/libwlgpu.so.0 lib/libwlgpu.so.0 2>/dev/null | head -1 | xargs -r dirname)
[ -n "$LIBDIR" ] || fail "no libwlgpu.so.0 under $P/lib"
export PKG_CONFIG_PATH="$P/$LIBDIR/pkgconfig"

# The .pc files point into the prefix they were installed to, not the configure-time one.
for m in wlgpu wlgpu-wlr-0.20; do
  got=$(cd "$(pkg-config --variable=libdir $m)" && pwd -P) || fail "pkg-config $m: libdir does not exist"
  [ "$got" = "$(cd "$P/$LIBDIR" && pwd -P)" ] || fail "pkg-config $m: libdir $got, not under $P"
done
echo "ok   wlgpu.pc and wlgpu-wlr-0.20.pc name the install prefix ($P)"

# RUNPATHs: the adapter finds libwlgpu.so.0 beside it, the binaries find theirs.
for f in "$LIBDIR/libwlgpu-wlr-0.20.so" "$LIBDIR/libwlgpu-autocreate-0.20.so" $COMPOSITOR; do
  rp=$(readelf -d "$P/$f" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
  echo "     $f RUNPATH $rp"
  case "$rp" in *'$ORIGIN'*) ;; *) fail "$f has no \$ORIGIN RUNPATH ($rp)";; esac
  case "$rp" in *"$SRC"*|*"$BUILD"*) fail "$f RUNPATH names the build or source tree ($rp)";; esac
  ldd "$P/$f" | grep -q "not found" && { ldd "$P/$f"; fail "$f: a library is not found"; }
done
echo "ok   the adapter, the preload library and the compositor resolve every library from the prefix"

mkdir "$T/c" && cp "$SRC/tests/install/consumer.c" "$SRC/tests/install/consumer.cpp" "$T/c/"
cp "$SRC/tests/install/CMakeLists.consumer.txt" "$T/c/CMakeLists.txt"
cd "$T/c"
FLAGS=$(pkg-config --cflags --libs wlgpu-wlr-0.20 wayland-server)
case "$FLAGS" in *"$SRC"*|*"$BUILD"*) fail "pkg-config flags name the source or build tree: $FLAGS";; esac
cc -std=c11 -Wall -Werror -DWLR_USE_UNSTABLE consumer.c -o consumer-c $FLAGS \
  -Wl,-rpath,"$(pkg-config --variable=libdir wlgpu-wlr-0.20)" || fail "building consumer-c with pkg-config"
./consumer-c || fail "consumer-c"
cmake -S . -B b -G Ninja -DCMAKE_PREFIX_PATH="$P" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$T/cmake.log" 2>&1 ||
  { cat "$T/cmake.log"; fail "configuring the CMake consumers"; }
grep -q -e "$SRC" -e "$BUILD" b/compile_commands.json && fail "the CMake consumers' flags name the source or build tree"
ninja -C b >"$T/ninja.log" 2>&1 || { cat "$T/ninja.log"; fail "building the CMake consumers"; }
grep -q -- "-std=.*23" b/compile_commands.json || fail "wlgpu::wlgpu did not bring C++23"
./b/consumer-cpp || fail "consumer-cpp"
./b/consumer-c-cmake || fail "consumer-c-cmake"
[ -z "$COMPOSITOR" ] || "$P/$COMPOSITOR" -h 2>/dev/null || fail "the installed wlgpu-tinywl does not start"
echo "ok   consumers built from $P only and ran without LD_LIBRARY_PATH${COMPOSITOR:+; the installed compositor starts}"
echo PASS
