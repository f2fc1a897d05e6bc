#include "directory/home_directory.h"

#include <gtest/gtest.h>

#include "test_tree.h"

namespace hm::directory {
namespace {

Account with_home(const std::string& address, const std::string& home) {
  Account a;
  a.address = address;
  a.home_directory = home;
  a.mailbox = "example.org/x/";
  return a;
}

TEST(HomeDirectory, ComparedAsFolders) {
  EXPECT_FALSE(home_differs(with_home("a@example.org", "/srv/mail/"), "/srv/mail"));
  EXPECT_FALSE(home_differs(with_home("a@example.org", "/srv//mail"), "/srv/mail/"));
  EXPECT_FALSE(home_differs(with_home("a@example.org", ""), "/srv/mail"));  // means virtual_base
  EXPECT_TRUE(home_differs(with_home("a@example.org", "/home/vmail/domains"), "/srv/mail"));
}

TEST(HomeDirectory, FindsAndDescribesTheAccountsThatDiffer) {
  memory::MemoryDirectory dir;
  testing::must(dir.add_domain({}, {"example.org"}, {}));
  testing::must(dir.add_account({}, with_home("a@example.org", "/home/vmail/domains")));
  Account b = with_home("b@example.org", "/srv/mail");
  b.mailbox = "example.org/b/";
  testing::must(dir.add_account({}, b));
  auto found = find_home_mismatches(dir, "/srv/mail/");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->count, 1u);
  std::string text = describe(*found, "/srv/mail/");
  EXPECT_NE(text.find("1 account has a homeDirectory other than [storage] virtual_base"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("a@example.org: /home/vmail/domains"), std::string::npos) << text;
  EXPECT_EQ(describe(HomeMismatches{}, "/srv/mail"), "");
}

}  // namespace
}  // namespace hm::directory
