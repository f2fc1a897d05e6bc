#include "imap/proto/sequence_set.h"

#include <gtest/gtest.h>

namespace hm::imap::proto {
namespace {

TEST(SequenceSetTest, ParsesRangesAndStar) {
  const auto set = parse_sequence_set("2,4:7,9,12:*");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->ranges.size(), 4u);
  EXPECT_EQ(set->ranges[1], (SeqRange{4, 7}));
  EXPECT_EQ(set->ranges[3], (SeqRange{12, kStar}));
  EXPECT_EQ(format_sequence_set(*set), "2,4:7,9,12:*");
}

TEST(SequenceSetTest, RejectsBadSyntax) {
  for (const char* bad :
       {"", "0", "1:0", ",1", "1,", "1::2", "1:2:3", "a", "01", "4294967296", "1,,2", "*:"}) {
    EXPECT_FALSE(parse_sequence_set(bad)) << bad;
  }
  EXPECT_TRUE(parse_sequence_set("4294967295"));
}

TEST(SequenceSetTest, ContainsWithStarAndReversedRanges) {
  const auto set = parse_sequence_set("5:2,10:*");
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(3, 20));
  EXPECT_FALSE(set->contains(6, 20));
  EXPECT_TRUE(set->contains(15, 20));
  EXPECT_FALSE(set->contains(21, 20));
  // "*" in an empty mailbox matches nothing; "10:*" with star 7 is 7:10.
  EXPECT_FALSE(set->contains(10, 0));
  EXPECT_TRUE(set->contains(8, 7));
}

TEST(SequenceSetTest, FormatNumbersCompressesRuns) {
  EXPECT_EQ(format_numbers({9, 1, 2, 3, 5, 6, 3}), "1:3,5:6,9");
  EXPECT_EQ(format_numbers({42}), "42");
  EXPECT_EQ(format_numbers({}), "");
  EXPECT_EQ(format_numbers({0, 4}), "4");
  EXPECT_EQ(format_numbers({4294967294u, 4294967295u}), "4294967294:4294967295");
}

}  // namespace
}  // namespace hm::imap::proto
