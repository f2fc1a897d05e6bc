#include "auth/credential_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::auth {
namespace {

using std::chrono::seconds;
using Clock = CredentialCache::Clock;

const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1000);

TEST(CredentialCache, AProvenPasswordIsKnownUntilItsTimeIsUp) {
  CredentialCache cache({seconds(300), 100});
  EXPECT_FALSE(cache.verified("john@example.org", "pw", "{SSHA}abc", t0));
  cache.remember("john@example.org", "pw", "{SSHA}abc", t0);
  EXPECT_TRUE(cache.verified("john@example.org", "pw", "{SSHA}abc", t0 + seconds(299)));
  EXPECT_FALSE(cache.verified("john@example.org", "pw", "{SSHA}abc", t0 + seconds(300)));
}

TEST(CredentialCache, AnotherPasswordOrLoginNeverMatches) {
  CredentialCache cache;
  cache.remember("john@example.org", "pw", "{SSHA}abc", t0);
  EXPECT_FALSE(cache.verified("john@example.org", "pW", "{SSHA}abc", t0));
  EXPECT_FALSE(cache.verified("john@example.org", "", "{SSHA}abc", t0));
  EXPECT_FALSE(cache.verified("mary@example.org", "pw", "{SSHA}abc", t0));
  // Fields cannot slide into each other.
  cache.remember("a", "bc", "v", t0);
  EXPECT_FALSE(cache.verified("a", "b", "cv", t0));
}

TEST(CredentialCache, AChangedPasswordHashDropsTheProof) {
  // The directory's hash changes with the password (also when an
  // administrator sets it): the old password no longer passes from cache.
  CredentialCache cache;
  cache.remember("john@example.org", "old", "{SSHA}v1", t0);
  EXPECT_FALSE(cache.verified("john@example.org", "old", "{SSHA}v2", t0));
}

TEST(CredentialCache, ForgetDropsALoginAtOnce) {
  CredentialCache cache;
  cache.remember("john@example.org", "pw", "h", t0);
  cache.forget("john@example.org");
  EXPECT_FALSE(cache.verified("john@example.org", "pw", "h", t0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCache, EntriesAreBoundedExpiredOnesGoFirstThenTheOldest) {
  CredentialCache cache({seconds(100), 3});
  cache.remember("a", "pw", "h", t0);
  cache.remember("b", "pw", "h", t0 + seconds(10));
  cache.remember("c", "pw", "h", t0 + seconds(20));
  cache.remember("d", "pw", "h", t0 + seconds(30));  // full: "a" expires first, goes
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.verified("a", "pw", "h", t0 + seconds(30)));
  EXPECT_TRUE(cache.verified("b", "pw", "h", t0 + seconds(30)));
  cache.remember("e", "pw", "h", t0 + seconds(200));  // all expired: cleared, then kept
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.verified("e", "pw", "h", t0 + seconds(200)));
}

}  // namespace
}  // namespace hm::auth
