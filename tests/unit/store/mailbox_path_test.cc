#include "store/mailbox_path.h"

#include <stdlib.h>

#include <filesystem>

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

namespace hm::store {
namespace {

// A local (shell) account's Maildir: ~/Maildir/ of an absolute home of
// plain names, the rule the privileged helper applies.
TEST(LocalMaildirPath, IsMaildirInTheHome) {
  auto p = local_maildir_path("/home/john");
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(*p, "/home/john/Maildir/");
  p = local_maildir_path("/home/john/");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "/home/john/Maildir/");
  p = local_maildir_path("/");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "/Maildir/");
}

TEST(LocalMaildirPath, ARelativeHomeDotsAndNulAreRefused) {
  for (const char* home : {"", "home/john", "./john", "/home/../root", "/home/./john",
                           "/home//john", "/home/john/.."}) {
    auto p = local_maildir_path(home);
    ASSERT_FALSE(p) << home;
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid) << home;
  }
  EXPECT_FALSE(local_maildir_path(std::string("/home/jo\0hn", 11)));
}

// The mailbox path a new account is offered always passes the rule, whatever
// its local part holds.
TEST(NewMailboxAttribute, IsDomainSlashSafeLocalPartAndPassesTheRule) {
  EXPECT_EQ(new_mailbox_attribute("example.org", "john", 1), "example.org/john/");
  EXPECT_EQ(new_mailbox_attribute("example.org", "john", 2), "example.org/john.2/");
  EXPECT_EQ(new_mailbox_attribute("example.org", "j.doe+tag", 1), "example.org/j.doe+tag/");
  for (std::string_view local : {"..", ".hidden", "a/../b", "x/y", "\"q u\"", "", "a\0b"}) {
    const std::string mailbox = new_mailbox_attribute("example.org", local, 1);
    EXPECT_TRUE(virtual_maildir_path("/v", "someone@example.org", mailbox)) << mailbox;
    EXPECT_EQ(mailbox.find('/', 12), mailbox.size() - 1) << mailbox;
  }
  EXPECT_EQ(new_mailbox_attribute("example.org", "..", 1), "example.org/_./");
}

TEST(MailboxOnDisk, AnythingThereCountsALinkToo) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hm-onisk-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string base = tmpl;
  EXPECT_FALSE(mailbox_on_disk(base, "example.org/a/"));
  std::filesystem::create_directories(base + "/example.org/a");
  EXPECT_TRUE(mailbox_on_disk(base, "example.org/a/"));
  // A dangling link is something: its path is never handed out.
  std::filesystem::create_symlink(base + "/nowhere", base + "/example.org/b");
  EXPECT_TRUE(mailbox_on_disk(base, "example.org/b/"));
  EXPECT_FALSE(mailbox_on_disk("", "example.org/a/"));
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace hm::store
