// LIST patterns: '*', '%', the reference, INBOX in any case.

#include "imap/session/list_match.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

TEST(ListMatch, StarAndPercent) {
  EXPECT_TRUE(list_matches("*", "Archive/2024", '/'));
  EXPECT_TRUE(list_matches("%", "Archive", '/'));
  EXPECT_FALSE(list_matches("%", "Archive/2024", '/'));
  EXPECT_TRUE(list_matches("Archive/%", "Archive/2024", '/'));
  EXPECT_FALSE(list_matches("Archive/%", "Archive", '/'));
  EXPECT_TRUE(list_matches("A*4", "Archive/2024", '/'));
  EXPECT_FALSE(list_matches("Arch", "Archive", '/'));
  EXPECT_TRUE(list_matches("inbox", "INBOX", '/'));
  EXPECT_TRUE(list_matches("Inbox.%", "INBOX.Sent", '.'));
  EXPECT_EQ(list_pattern("Archive/", "%"), "Archive/%");
  // Many wildcards stay cheap (no backtracking blow-up).
  EXPECT_FALSE(list_matches(std::string(500, '*') + "%x", std::string(255, 'a'), '/'));
}

}  // namespace
}  // namespace hm::imap
