// MemoryDirectory alone: the set_unavailable test hook. Its directory
// semantics are tested by directory_contract_test.cc.

#include "directory/memory/memory_directory.h"

#include <gtest/gtest.h>

#include "test_backends.h"

namespace hm::directory::memory {
namespace {

using testing::is_error;
using testing::is_ok;

Account account(const std::string& address, const std::string& mailbox = "") {
  Account a;
  a.address = address;
  a.mailbox = mailbox;
  return a;
}

TEST(MemoryDirectoryTest, UnavailableFailsEveryCallWithTemporary) {
  MemoryDirectory dir;
  Actor actor{"admin", ""};
  ASSERT_TRUE(is_ok(dir.add_domain(actor, Domain{"example.org"}, {})));
  ASSERT_TRUE(is_ok(dir.add_account(actor, account("alice@example.org", "example.org/alice/"))));

  dir.set_unavailable(true);
  constexpr ErrorKind kTemp = ErrorKind::kTemporary;
  EXPECT_TRUE(is_error(dir.find_domain("example.org"), kTemp, {"unavailable"}));
  EXPECT_TRUE(is_error(dir.find_account("alice@example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.find_alias("alice@example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.postmasters("example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.domains_administered_by("alice@example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.list_domains(), kTemp));
  EXPECT_TRUE(is_error(dir.list_accounts(""), kTemp));
  EXPECT_TRUE(is_error(dir.list_aliases(""), kTemp));
  EXPECT_TRUE(is_error(dir.add_domain(actor, Domain{"example.net"}, {}), kTemp));
  EXPECT_TRUE(is_error(dir.delete_domain(actor, "example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.add_account(actor, account("bob@example.org")), kTemp));
  EXPECT_TRUE(is_error(dir.update_account(actor, account("alice@example.org")), kTemp));
  EXPECT_TRUE(is_error(dir.delete_account(actor, "alice@example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.is_mailbox_retired("example.org/alice/"), kTemp));
  EXPECT_TRUE(
      is_error(dir.add_alias(actor, Alias{"info@example.org", {"alice@example.org"}}), kTemp));
  EXPECT_TRUE(is_error(dir.delete_alias(actor, "info@example.org", ""), kTemp));
  EXPECT_TRUE(is_error(dir.grant_postmaster(actor, "example.org", "alice@example.org"), kTemp));
  EXPECT_TRUE(is_error(dir.revoke_postmaster(actor, "example.org", "alice@example.org"), kTemp));

  // Back up, with nothing changed while it was down.
  dir.set_unavailable(false);
  auto domains = dir.list_domains();
  ASSERT_TRUE(is_ok(domains));
  EXPECT_EQ(*domains, std::vector<Domain>{Domain{"example.org"}});
  auto alice = dir.find_account("alice@example.org");
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((*alice)->mailbox, "example.org/alice/");
  auto alias = dir.find_alias("info@example.org");
  ASSERT_TRUE(is_ok(alias));
  EXPECT_FALSE(alias->has_value());
  auto bob = dir.find_account("bob@example.org");
  ASSERT_TRUE(is_ok(bob));
  EXPECT_FALSE(bob->has_value());
}

TEST(MemoryDirectoryTest, DescribesItself) {
  MemoryDirectory dir;
  EXPECT_EQ(dir.describe(), "memory");
  EXPECT_FALSE(dir.verifies_passwords());
}

}  // namespace
}  // namespace hm::directory::memory
