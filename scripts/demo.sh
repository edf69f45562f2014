#!/bin/sh
# The product's main job, end to end, on loopback.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build
echo "Headers captured from HAProxy $(haproxy -v | head -n1 | cut -d' ' -f3), as the decoder reads them:"
./build/tests/print-proxy-header tests/fixtures/*.bin
