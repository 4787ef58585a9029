#!/bin/sh
# tests/guest/build.sh — builds the guest-side C tests (tests/guest/*.c) inside the sysroot
# into build/guest/, ready to run in the test bed:
#   tests/guest/build.sh && scripts/testbed -- build/guest/kernel_objects
set -eu
cd "$(dirname "$0")/../.."
mkdir -p build/guest
exec scripts/sysroot run -- sh -c 'for c in tests/guest/*.c; do
  gcc -O2 -g -Wall -Wextra -o "build/guest/$(basename "$c" .c)" "$c" $(pkg-config --cflags --libs libdrm) || exit 1
done'
