#include "imap/message/sent_date.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

constexpr int32_t kDay2024_02_29 = 19782;  // days since 1970-01-01

TEST(SentDate, TheDayAsWrittenDisregardingTimeAndZone) {
  EXPECT_EQ(sent_day("Thu, 29 Feb 2024 23:59:59 -1200"), kDay2024_02_29);
  EXPECT_EQ(sent_day("29 Feb 2024 00:00 +1400"), kDay2024_02_29);
  EXPECT_EQ(sent_day("  thu,29 FEB 2024 10:00:00 GMT (comment)"), kDay2024_02_29);
  EXPECT_EQ(sent_day("Thu (day) , 29 (x) February 2024"), kDay2024_02_29);
  EXPECT_EQ(sent_day("1 Jan 1970 00:00:00 +0000"), 0);
}

TEST(SentDate, ObsoleteYears) {
  EXPECT_EQ(sent_day("1 Jan 70"), 0);
  EXPECT_EQ(sent_day("29 Feb 24"), kDay2024_02_29);
  EXPECT_EQ(sent_day("1 Jan 100"), sent_day("1 Jan 2000"));
}

TEST(SentDate, NothingForWhatIsNoDate) {
  for (const char* bad : {"", "yesterday", "Thu, 30 Feb 2024", "29 Foo 2024", "Feb 29 2024",
                          "29 Feb", "123 Feb 2024", "29 Feb 20245", "0 Jan 2024"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(sent_day(bad));
  }
}

}  // namespace
}  // namespace hm::imap
