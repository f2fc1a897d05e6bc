// ByteBudget is header-only and free of I/O, so it is tested here with the
// protocol code rather than in a target of its own.
#include "smtp/byte_budget.h"

#include <gtest/gtest.h>

#include <vector>

namespace hm::smtp {
namespace {

TEST(ByteBudgetTest, GrantsInOrderWithinTheLimit) {
  ByteBudget budget(100);
  std::vector<int> granted;
  budget.acquire(60, [&] { granted.push_back(1); });
  budget.acquire(30, [&] { granted.push_back(2); });
  budget.acquire(20, [&] { granted.push_back(3); });  // 110 > 100: waits
  budget.acquire(5, [&] { granted.push_back(4); });   // would fit, but comes after 3
  EXPECT_EQ(granted, (std::vector<int>{1, 2}));
  budget.release(60);
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3, 4}));
  budget.release(30);
  budget.release(20);
  budget.release(5);
}

TEST(ByteBudgetTest, OneMessageLargerThanTheBudgetGoesAlone) {
  ByteBudget budget(100);
  std::vector<int> granted;
  budget.acquire(10, [&] { granted.push_back(1); });
  budget.acquire(500, [&] { granted.push_back(2); });
  budget.acquire(10, [&] { granted.push_back(3); });
  EXPECT_EQ(granted, (std::vector<int>{1}));
  budget.release(10);
  EXPECT_EQ(granted, (std::vector<int>{1, 2}));
  budget.release(500);
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3}));
  budget.release(10);
}

}  // namespace
}  // namespace hm::smtp
