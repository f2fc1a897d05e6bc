#include "store/maildir/maildir_name.h"

#include <gtest/gtest.h>

namespace hm::store::maildir {
namespace {

TEST(MaildirName, SplitsBaseAndFlags) {
  auto n = parse_maildir_name("1700000000.M12P3Q4R5.host,S=10,W=12:2,SF");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->base, "1700000000.M12P3Q4R5.host,S=10,W=12");
  EXPECT_EQ(n->flags, "FS");
  auto plain = parse_maildir_name("1700000000.M12P3Q4R5.host");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->flags, "");
}

TEST(MaildirName, RefusesNamesThatAreNoMessages) {
  EXPECT_FALSE(parse_maildir_name(""));
  EXPECT_FALSE(parse_maildir_name(".hidden"));
  EXPECT_FALSE(parse_maildir_name(":2,S"));
  EXPECT_FALSE(parse_maildir_name("a\nb"));
  EXPECT_FALSE(parse_maildir_name(std::string_view("a\0b", 3)));
}

TEST(MaildirName, KeepsKeywordLettersAndIgnoresOtherInfo) {
  EXPECT_EQ(parse_maildir_name("x:2,Sab")->flags, "Sab");
  EXPECT_EQ(parse_maildir_name("x:1,whatever")->flags, "");
  EXPECT_EQ(standard_flags("Sab"), "S");
  EXPECT_EQ(normalize_flags("TSSD"), "DST");
  EXPECT_EQ(cur_name("x", "SD"), "x:2,DS");
}

TEST(MaildirName, ReadsSizesAndDeliveryTime) {
  EXPECT_EQ(size_in_name("1.M2P3.h,S=10,W=12"), 10u);
  EXPECT_EQ(wire_size_in_name("1.M2P3.h,S=10,W=12"), 12u);
  EXPECT_FALSE(size_in_name("1.M2P3.h"));
  EXPECT_FALSE(size_in_name("1.M2P3.h,S=1x"));
  auto t = delivery_time_in_name("1700000000.M123456P3Q4.h");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1700000000);
  EXPECT_EQ(t->micros, 123456);
  EXPECT_EQ(delivery_time_in_name("1700000000.12345_6.h")->micros, 0);
  EXPECT_FALSE(delivery_time_in_name("msg.1"));
}

}  // namespace
}  // namespace hm::store::maildir
