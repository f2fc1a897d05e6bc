#!/usr/bin/env bash
# Builds hostmail with its tests and runs the whole suite through CTest: unit
# tests (GoogleTest), interop tests against OpenLDAP (slappasswd, a private
# slapd), end-to-end tests that drive the real binary, and the fuzz corpus
# replay. Then the same suite again in a second build under AddressSanitizer
# and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "== the same tests under AddressSanitizer and UBSan =="
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHM_SANITIZE=ON
fi
ninja -C build-asan -j "$jobs"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$jobs" --timeout 600)
