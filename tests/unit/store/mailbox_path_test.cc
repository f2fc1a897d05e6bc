#include "store/mailbox_path.h"

#include <gtest/gtest.h>

namespace hm::store {
namespace {

// The rule of issue 11.3: a virtual account's Maildir lies strictly inside
// <virtual_base>/<its own domain>/.
TEST(VirtualMaildirPath, AMailboxInTheAccountsOwnDomainIsUnderTheBase) {
  auto p = virtual_maildir_path("/srv/vmail", "john@example.org", "example.org/john/");
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(*p, "/srv/vmail/example.org/john/");
  // The seed's entries have no trailing slash; a deeper layout is allowed.
  p = virtual_maildir_path("/srv/vmail/", "user1@domain1.example", "domain1.example/user1");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "/srv/vmail/domain1.example/user1/");
  p = virtual_maildir_path("/srv/vmail", "a@example.org", "example.org/x/a/");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "/srv/vmail/example.org/x/a/");
}

TEST(VirtualMaildirPath, AnotherDomainsFolderIsRefused) {
  auto p = virtual_maildir_path("/srv/vmail", "evil@tenant.example", "hosted.example/user2/");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(p.error().message().find("tenant.example"), std::string::npos);
}

TEST(VirtualMaildirPath, TheBaseOrDomainFolderItselfIsRefused) {
  for (const char* mailbox : {"./", ".", "example.org/", "example.org", "", "/"}) {
    EXPECT_FALSE(virtual_maildir_path("/srv/vmail", "a@example.org", mailbox)) << mailbox;
  }
}

TEST(VirtualMaildirPath, DotsEmptyPartsAndAbsolutePathsAreRefused) {
  for (const char* mailbox :
       {"example.org/../other.org/b/", "example.org/a/../../x/", "example.org/./a/",
        "example.org//a/", "/etc/", "/srv/vmail/example.org/a/", "example.org/.Sent/",
        "../example.org/a/"}) {
    EXPECT_FALSE(virtual_maildir_path("/srv/vmail", "a@example.org", mailbox)) << mailbox;
  }
  std::string with_nul("example.org/a\0b/", 16);
  EXPECT_FALSE(virtual_maildir_path("/srv/vmail", "a@example.org", with_nul));
}

TEST(VirtualMaildirPath, TheDomainFolderMatchesWithoutRegardToCase) {
  EXPECT_TRUE(virtual_maildir_path("/v", "a@example.org", "Example.ORG/a/"));
  EXPECT_FALSE(virtual_maildir_path("/v", "a@example.org", "example.org.evil/a/"));
}

}  // namespace
}  // namespace hm::store
