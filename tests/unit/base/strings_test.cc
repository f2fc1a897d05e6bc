#include "base/strings.h"

#include <gtest/gtest.h>

namespace hm {
namespace {

TEST(Strings, AsciiLowerLeavesNonAsciiBytesAlone) {
  EXPECT_EQ(ascii_lower("John.Doe@Example.ORG"), "john.doe@example.org");
  EXPECT_EQ(ascii_lower("J\xC3\x96RG"), "j\xC3\x96rg");  // UTF-8 Ö untouched
}

TEST(Strings, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("CourierMailAccount", "couriermailaccount"));
  EXPECT_FALSE(iequals("abc", "abcd"));
  EXPECT_FALSE(iequals("\xC3\x96", "\xC3\xB6"));  // Ö and ö differ: not ASCII
}

TEST(Strings, TrimRemovesSpacesTabsAndLineEnds) {
  EXPECT_EQ(trim(" \t user@example.org\r\n"), "user@example.org");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim("a b"), "a b");
}

TEST(Strings, SplitKeepsEmptyFieldsAndJoinUndoesIt) {
  EXPECT_EQ(split("a,,b,", ','), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(join(split("x:y::z", ':'), ":"), "x:y::z");
  EXPECT_EQ(join({}, ", "), "");
}

TEST(Strings, AtextIsExactlyRfc5322sSet) {
  const std::string specials = "!#$%&'*+-/=?^_`{|}~";
  for (int c = 0; c < 256; ++c) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    bool special = c != 0 && specials.find(static_cast<char>(c)) != std::string::npos;
    EXPECT_EQ(is_atext(static_cast<unsigned char>(c)), alnum || special) << c;
  }
}

TEST(Strings, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_TRUE(constant_time_equals("", ""));
}

}  // namespace
}  // namespace hm
