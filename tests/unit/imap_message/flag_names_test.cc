#include "imap/message/flag_names.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

TEST(FormatFlags, SystemFlagsInRfcOrderThenRecentThenKeywords) {
  store::MessageMeta m;
  EXPECT_EQ(format_flags(m, {}), "()");
  m.flags = store::kFlagSeen | store::kFlagDraft | store::kFlagAnswered | store::kFlagFlagged |
            store::kFlagDeleted;
  m.recent = true;
  m.keywords = 0b101;
  EXPECT_EQ(format_flags(m, {"$Label1", "NotSet", "$Junk"}),
            "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\Recent $Label1 $Junk)");
}

TEST(FormatFlags, KeywordBitsPastTheTableAreLeftOut) {
  store::MessageMeta m;
  m.flags = store::kFlagSeen;
  m.keywords = 0b110;
  EXPECT_EQ(format_flags(m, {"a", "b"}), "(\\Seen b)");
}

TEST(FormatFlagList, FlagsAndPermanentFlags) {
  EXPECT_EQ(format_flag_list({}, false), "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  EXPECT_EQ(format_flag_list({"$Forwarded", "Junk"}, true),
            "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk \\*)");
}

TEST(ParseFlags, SystemFlagsInAnyCaseAndKeywordsAsSent) {
  auto p = parse_flags(
      {"\\SEEN", "\\answered", "$Label", "\\Deleted", "$Label", "\\Draft", "\\fLaGgEd", "NonJunk"});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->flags, store::kFlagSeen | store::kFlagAnswered | store::kFlagDeleted |
                          store::kFlagDraft | store::kFlagFlagged);
  EXPECT_EQ(p->keywords, (std::vector<std::string>{"$Label", "NonJunk"}));
  auto empty = parse_flags({});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->flags, 0);
  EXPECT_TRUE(empty->keywords.empty());
}

TEST(ParseFlags, RefusesRecentUnknownSystemFlagsAndNonAtoms) {
  auto recent = parse_flags({"\\Recent"});
  ASSERT_FALSE(recent);
  EXPECT_EQ(recent.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(recent.error().message().find("\\Recent"), std::string::npos);

  auto unknown = parse_flags({"\\Important"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("\\Important"), std::string::npos);

  for (const char* bad :
       {"", "a b", "a(b", "x*", "50%", "q\"", "br]", "{3}", "gr\xC3\xBC\xC3\x9F"}) {
    SCOPED_TRACE(bad);
    auto r = parse_flags({bad});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  }
  EXPECT_FALSE(parse_flags({std::string(kMaxKeywordLength + 1, 'k')}));
  EXPECT_TRUE(parse_flags({std::string(kMaxKeywordLength, 'k')}));
}

}  // namespace
}  // namespace hm::imap
