#!/usr/bin/env bash
# Builds hostmail with its tests and runs the whole suite: unit tests
# (GoogleTest), interop tests against OpenLDAP's tools, and end-to-end tests
# that drive the real binary. All through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
