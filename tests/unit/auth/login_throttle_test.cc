#include "auth/login_throttle.h"

#include <gtest/gtest.h>

namespace hm::auth {
namespace {

using std::chrono::seconds;
using Clock = LoginThrottle::Clock;

LoginThrottle::Options options() {
  LoginThrottle::Options o;
  o.free_failures = 3;
  o.first_wait = seconds(2);
  o.max_wait = seconds(30);
  o.forget_after = seconds(600);
  o.max_keys = 8;
  return o;
}

TEST(LoginThrottle, FreeFailuresThenAWaitThatDoublesUpToTheCap) {
  LoginThrottle t(options());
  Clock::time_point now{};
  for (int i = 0; i < 2; ++i) {
    t.failed("k", now);
    EXPECT_EQ(t.wait("k", now), seconds(0)) << i;
  }
  t.failed("k", now);  // the third of three free failures: the next must wait
  EXPECT_EQ(t.wait("k", now), seconds(2));
  EXPECT_EQ(t.wait("k", now + seconds(1)), seconds(1));
  EXPECT_EQ(t.wait("k", now + seconds(2)), seconds(0));
  t.failed("k", now);
  EXPECT_EQ(t.wait("k", now), seconds(4));
  for (int i = 0; i < 10; ++i) t.failed("k", now);
  EXPECT_EQ(t.wait("k", now), seconds(30));
  EXPECT_EQ(t.wait("other", now), seconds(0));
}

TEST(LoginThrottle, SuccessAndQuietTimeClearAKey) {
  LoginThrottle t(options());
  Clock::time_point now{};
  for (int i = 0; i < 3; ++i) t.failed("k", now);
  EXPECT_GT(t.wait("k", now), seconds(0));
  t.succeeded("k");
  EXPECT_EQ(t.wait("k", now), seconds(0));
  for (int i = 0; i < 2; ++i) t.failed("q", now);
  // Ten minutes later the two old failures no longer count.
  t.failed("q", now + seconds(601));
  EXPECT_EQ(t.wait("q", now + seconds(601)), seconds(0));
}

TEST(LoginThrottle, RemembersAtMostMaxKeys) {
  LoginThrottle t(options());
  Clock::time_point now{};
  for (int i = 0; i < 100; ++i) t.failed("client" + std::to_string(i), now + seconds(i));
  EXPECT_LE(t.size(), 8u);
  // The newest are the ones kept.
  for (int i = 0; i < 3; ++i) t.failed("client99", now + seconds(100));
  EXPECT_GT(t.wait("client99", now + seconds(100)), seconds(0));
}

}  // namespace
}  // namespace hm::auth
