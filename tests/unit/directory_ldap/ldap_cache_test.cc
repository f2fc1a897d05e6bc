#include "directory/ldap/ldap_cache.h"

#include <gtest/gtest.h>

#include <atomic>

#include <thread>
#include <vector>

namespace hm::directory::ldap {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  LookupCache<int>::Clock::time_point now{};
  LookupCache<int>::Now fn() {
    return [this] { return now; };
  }
};

TEST(LookupCacheTest, HitsUntilTheTtlRunsOut) {
  FakeClock clock;
  LookupCache<int> cache(30s, 1000, clock.fn());
  cache.put("a", 1, cache.begin());
  ASSERT_TRUE(cache.get("a").has_value());
  EXPECT_EQ(*cache.get("a"), 1);
  EXPECT_FALSE(cache.get("b").has_value());
  clock.now += 29s;
  EXPECT_TRUE(cache.get("a").has_value());
  clock.now += 1s;
  EXPECT_FALSE(cache.get("a").has_value());
}

TEST(LookupCacheTest, CachesNegativeAnswersToo) {
  FakeClock clock;
  LookupCache<std::optional<int>> cache(10s, 1000, [&] { return clock.now; });
  cache.put("nobody", std::nullopt, cache.begin());
  auto hit = cache.get("nobody");
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->has_value());
}

TEST(LookupCacheTest, ZeroTtlDisablesIt) {
  LookupCache<int> cache(0s);
  EXPECT_FALSE(cache.enabled());
  cache.put("a", 1, cache.begin());
  EXPECT_FALSE(cache.get("a").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LookupCacheTest, ClearDropsEverythingAndRefusesStaleLookups) {
  LookupCache<int> cache(30s);
  cache.put("a", 1, cache.begin());
  uint64_t before_write = cache.begin();  // a lookup starts...
  cache.clear();                          // ...a write lands...
  EXPECT_FALSE(cache.get("a").has_value());
  cache.put("a", 1, before_write);  // ...the lookup's old answer must not stick
  EXPECT_FALSE(cache.get("a").has_value());
  cache.put("a", 2, cache.begin());
  EXPECT_EQ(*cache.get("a"), 2);
}

TEST(LookupCacheTest, StaysBoundedWhenFull) {
  LookupCache<int> cache(30s, 64);
  for (int i = 0; i < 10000; ++i) cache.put("k" + std::to_string(i), i, cache.begin());
  EXPECT_LE(cache.size(), 64u + 16u);
}

// Eight threads put, get and clear at once. Every value stored under "k<n>"
// is n modulo 50, so any answer that belongs to another key (a torn or
// misplaced entry) is caught here; data races are caught by the
// ThreadSanitizer run of this test (scripts/test.sh).
TEST(LookupCacheTest, ConcurrentUseIsSafe) {
  LookupCache<int> cache(30s);
  std::atomic<int> hits{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const int n = (i * 7 + t) % 50;
        std::string key = "k" + std::to_string(n);
        cache.put(key, n + 50 * i, cache.begin());
        if (auto hit = cache.get("k" + std::to_string((n + 1) % 50))) {
          ++hits;
          if (*hit % 50 != (n + 1) % 50) ++wrong;
        }
        if (t == 0 && i % 500 == 0) cache.clear();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(hits.load(), 0);
  EXPECT_LE(cache.size(), 50u);
}

}  // namespace
}  // namespace hm::directory::ldap
