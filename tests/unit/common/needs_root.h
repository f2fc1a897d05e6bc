#pragma once
// Tests that need root (to create users, give files away, switch users).
// CI runs as root, so there such a test must run: not being root fails it
// instead of skipping it silently, unless the run says that it is
// unprivileged on purpose (HOSTMAIL_TEST_UNPRIVILEGED=1, for a developer's
// run as an ordinary user); then it skips, and says why.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace hm::testing {

inline bool unprivileged_run() {
  const char* v = std::getenv("HOSTMAIL_TEST_UNPRIVILEGED");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace hm::testing

// In a test body or SetUp: returns from it (skipped or failed) when not root.
#define HM_NEEDS_ROOT(why)                                                            \
  do {                                                                                \
    if (::geteuid() != 0) {                                                           \
      if (::hm::testing::unprivileged_run()) GTEST_SKIP() << "needs root: " << why;   \
      FAIL() << "needs root: " << why                                                 \
             << " (CI runs as root; HOSTMAIL_TEST_UNPRIVILEGED=1 makes this a skip)"; \
    }                                                                                 \
  } while (false)
