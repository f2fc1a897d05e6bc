#!/usr/bin/env bash
# Builds hostmail with its tests and runs the whole suite through CTest: unit
# tests (GoogleTest), interop tests against OpenLDAP (slappasswd, a private
# slapd), end-to-end tests that drive the real binary, and the fuzz corpus
# replay. Then the concurrent units under ThreadSanitizer, and last the same
# suite again in a build under AddressSanitizer and UBSan (so that CTest's
# summary closes the output).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "== the concurrent units under ThreadSanitizer =="
# Data races show only under TSan: the caches, the directory's worker pool,
# the login throttle and concurrent Maildir delivery.
if [ ! -f build-tsan/build.ninja ]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHM_TSAN=ON \
    -DHM_BUILD_BENCH=OFF
fi
ninja -C build-tsan -j "$jobs" directory_ldap_test directory_test auth_test store_maildir_test
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
build-tsan/tests/unit/directory_ldap/directory_ldap_test --gtest_filter='LookupCacheTest.*:ChangeFollowerTest.*'
build-tsan/tests/unit/directory/directory_test --gtest_filter='AsyncDirectory.*:AuthenticatorTest.*'
build-tsan/tests/unit/auth/auth_test --gtest_filter='LoginThrottle.*'
build-tsan/tests/unit/store/store_maildir_test

echo "== the same tests under AddressSanitizer and UBSan =="
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHM_SANITIZE=ON
fi
ninja -C build-asan -j "$jobs"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$jobs" --timeout 600)
