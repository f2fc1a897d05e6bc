#include "directory/resolver.h"

#include <gtest/gtest.h>

#include "test_tree.h"

namespace hm::directory {
namespace {

using testing::fill;
using testing::must;

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { fill(dir_); }

  Resolver resolver(ResolverOptions o = {}) {
    if (!o.local_user) {
      // alice is a person; root and daemon are system accounts.
      o.local_user = [](std::string_view name) -> Result<std::optional<LocalUser>> {
        if (name == "alice") return LocalUser{1001};
        if (name == "root") return LocalUser{0};
        if (name == "daemon") return LocalUser{1};
        return std::optional<LocalUser>();
      };
    }
    return Resolver(dir_, o);
  }

  static std::vector<std::string> addresses(const Resolution& r) {
    std::vector<std::string> out;
    for (const Destination& d : r.destinations) out.push_back(d.address);
    return out;
  }

  memory::MemoryDirectory dir_;
  Actor root_{"admin", ""};
};

TEST_F(ResolverTest, AccountResolvesToItsMailbox) {
  auto r = resolver().resolve("User1@Domain1.Example");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->hosted);
  ASSERT_EQ(r->destinations.size(), 1u);
  EXPECT_EQ(r->destinations[0].kind, Destination::Kind::kVirtual);
  EXPECT_EQ(r->destinations[0].address, "user1@domain1.example");
  EXPECT_EQ(r->destinations[0].mailbox, "domain1.example/user1/");
}

TEST_F(ResolverTest, UnknownUserInHostedDomainIsNotFound) {
  auto r = resolver().resolve("nobody@domain1.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
}

TEST_F(ResolverTest, ForeignDomainIsExternalAndNotHosted) {
  auto r = resolver().resolve("someone@elsewhere.example");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->hosted);
  ASSERT_EQ(r->destinations.size(), 1u);
  EXPECT_EQ(r->destinations[0].kind, Destination::Kind::kExternal);
}

TEST_F(ResolverTest, AliasExpandsToAllMaildrops) {
  auto r = resolver().resolve("team@domain1.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r),
            (std::vector<std::string>{"user1@domain1.example", "user2@domain1.example"}));
}

TEST_F(ResolverTest, MultiLevelAliasesAndDuplicatesCollapse) {
  must(dir_.add_alias(root_, {"all@domain1.example",
                              {"team@domain1.example", "user1@domain1.example",
                               "outside@elsewhere.example", "alice"}}));
  ResolverOptions o;
  o.local_enabled = true;  // "alice" is a shell account, delivered only when that is on
  auto r = resolver(o).resolve("all@domain1.example");
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->destinations.size(), 4u);
  EXPECT_EQ(r->destinations[0].address, "user1@domain1.example");
  EXPECT_EQ(r->destinations[1].address, "user2@domain1.example");
  EXPECT_EQ(r->destinations[2].kind, Destination::Kind::kExternal);
  EXPECT_EQ(r->destinations[3].kind, Destination::Kind::kLocal);
  EXPECT_EQ(r->destinations[3].address, "alice");
}

TEST_F(ResolverTest, AccountBeatsCatchAll) {
  // boss exists: the catch-all of domain2 must not take its mail.
  must(dir_.add_account(root_, testing::account("other@domain2.example")));
  auto r = resolver().resolve("other@domain2.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"other@domain2.example"}));
}

TEST_F(ResolverTest, CatchAllTakesUnknownLocalParts) {
  auto r = resolver().resolve("whatever@domain2.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"boss@domain2.example"}));
}

TEST_F(ResolverTest, LoopsAreDetected) {
  must(dir_.add_alias(root_, {"a@domain1.example", {"b@domain1.example"}}));
  must(dir_.add_alias(root_, {"b@domain1.example", {"c@domain1.example"}}));
  must(dir_.add_alias(root_, {"c@domain1.example", {"a@domain1.example"}}));
  auto r = resolver().resolve("a@domain1.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kLoop);
  EXPECT_NE(r.error().detail().find("a@domain1.example -> b@domain1.example"), std::string::npos);
}

TEST_F(ResolverTest, CatchAllPointingAtUnknownAddressIsALoopNotAHang) {
  must(dir_.delete_account(root_, "boss@domain2.example"));
  auto r = resolver().resolve("x@domain2.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kLoop);
}

TEST_F(ResolverTest, DepthLimit) {
  for (int i = 0; i < 30; ++i) {
    must(dir_.add_alias(root_, {"l" + std::to_string(i) + "@domain1.example",
                                {"l" + std::to_string(i + 1) + "@domain1.example"}}));
  }
  must(dir_.add_alias(root_, {"l30@domain1.example", {"user1@domain1.example"}}));
  ResolverOptions o;
  o.max_depth = 40;
  EXPECT_TRUE(resolver(o).resolve("l0@domain1.example"));
  o.max_depth = 10;
  auto r = resolver(o).resolve("l0@domain1.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kLoop);
}

TEST_F(ResolverTest, DiamondIsNotALoop) {
  must(dir_.add_alias(root_,
                      {"d@domain1.example", {"team@domain1.example", "abuse@domain1.example"}}));
  auto r = resolver().resolve("d@domain1.example");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->destinations.size(), 2u);
}

TEST_F(ResolverTest, DestinationLimit) {
  ResolverOptions o;
  o.max_destinations = 1;
  auto r = resolver(o).resolve("team@domain1.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kLimit);
}

TEST_F(ResolverTest, PostmasterAlwaysResolves) {
  ResolverOptions aliased;
  aliased.local_enabled = true;
  aliased.system_aliases = {{"postmaster", {"alice"}}};
  auto bare = resolver(aliased).resolve("Postmaster");
  ASSERT_TRUE(bare) << bare.error().describe();
  ASSERT_EQ(bare->destinations.size(), 1u);
  EXPECT_EQ(bare->destinations[0].kind, Destination::Kind::kLocal);
  EXPECT_EQ(bare->destinations[0].address, "alice");
  // domain2 has no postmaster alias; its catch-all takes it...
  auto d2 = resolver().resolve("postmaster@domain2.example");
  ASSERT_TRUE(d2);
  EXPECT_EQ(addresses(*d2), (std::vector<std::string>{"boss@domain2.example"}));
  // ...and without a catch-all, the configured postmaster maildrop does.
  must(dir_.delete_alias(root_, "@domain2.example", ""));
  ResolverOptions o;
  o.postmaster_maildrop = "user1@domain1.example";
  auto fallback = resolver(o).resolve("postmaster@domain2.example");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(addresses(*fallback), (std::vector<std::string>{"user1@domain1.example"}));
}

TEST_F(ResolverTest, AbuseOfDomainResolves) {
  auto r = resolver().resolve("abuse@domain1.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"user1@domain1.example"}));
}

TEST_F(ResolverTest, RecipientDelimiter) {
  auto r = resolver().resolve("user1+lists@domain1.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"user1@domain1.example"}));
  // An exact entry wins over the stripped one.
  must(dir_.add_alias(root_, {"user1+special@domain1.example", {"user2@domain1.example"}}));
  auto exact = resolver().resolve("user1+special@domain1.example");
  ASSERT_TRUE(exact);
  EXPECT_EQ(addresses(*exact), (std::vector<std::string>{"user2@domain1.example"}));
  // Several delimiter characters, and the off switch.
  ResolverOptions o;
  o.recipient_delimiter = "+-";
  EXPECT_TRUE(resolver(o).resolve("user1-x@domain1.example"));
  o.recipient_delimiter = "";
  auto off = resolver(o).resolve("user1+lists@domain1.example");
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().kind(), ErrorKind::kNotFound);
}

TEST_F(ResolverTest, DeadEndsAreReportedButOthersDelivered) {
  must(dir_.add_alias(
      root_, {"half@domain1.example", {"user1@domain1.example", "ghost@domain1.example"}}));
  auto r = resolver().resolve("half@domain1.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"user1@domain1.example"}));
  EXPECT_EQ(r->dead_ends, (std::vector<std::string>{"ghost@domain1.example"}));
}

TEST_F(ResolverTest, LocalDomainFindsShellAccounts) {
  ResolverOptions o;
  o.local_enabled = true;
  o.local_domains = {"mail.example"};
  auto r = resolver(o).resolve("alice@mail.example");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->destinations.size(), 1u);
  EXPECT_EQ(r->destinations[0].kind, Destination::Kind::kLocal);
  EXPECT_EQ(r->destinations[0].address, "alice");
  auto unknown = resolver(o).resolve("bob@mail.example");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
  o.local_enabled = false;
  auto disabled = resolver(o).resolve("alice@mail.example");
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->hosted);
}

// Issue 11.5: the seed's domains point postmaster and abuse at the local
// names "postmaster" and "abuse"; the system aliases file takes them to a
// person, as /etc/aliases did for Postfix.
TEST_F(ResolverTest, LocalNamesGoThroughTheSystemAliases) {
  must(dir_.add_alias(root_, {"postmaster@domain2.example", {"postmaster"}}));
  must(dir_.delete_alias(root_, "@domain2.example", ""));
  ResolverOptions o;
  o.system_aliases = {{"postmaster", {"root"}}, {"root", {"user1@domain1.example"}}};
  auto r = resolver(o).resolve("postmaster@domain2.example");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(addresses(*r), (std::vector<std::string>{"user1@domain1.example"}));
  // A loop in the aliases file is a loop, not a hang.
  o.system_aliases = {{"postmaster", {"root"}}, {"root", {"postmaster"}}};
  auto loop = resolver(o).resolve("postmaster@domain2.example");
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().kind(), ErrorKind::kLoop);
}

// Issue 11.5: mail for postmaster or abuse whose path leads nowhere goes to
// [server] postmaster_address, and without one is refused for now (4xx),
// never accepted to vanish.
TEST_F(ResolverTest, PostmasterMailThatLeadsNowhereReachesTheAdministratorOrWaits) {
  must(dir_.add_alias(root_, {"postmaster@domain2.example", {"postmaster"}}));
  must(dir_.add_alias(root_, {"abuse@domain2.example", {"abuse"}}));
  must(dir_.delete_alias(root_, "@domain2.example", ""));
  for (const char* address :
       {"postmaster@domain2.example", "abuse@domain2.example", "postmaster"}) {
    auto refused = resolver().resolve(address);
    ASSERT_FALSE(refused) << address;
    EXPECT_EQ(refused.error().kind(), ErrorKind::kTemporary) << address;
    EXPECT_NE(refused.error().detail().find("postmaster_address"), std::string::npos);
    ResolverOptions o;
    o.postmaster_address = "user1@domain1.example";
    auto r = resolver(o).resolve(address);
    ASSERT_TRUE(r) << address << ": " << r.error().describe();
    EXPECT_EQ(addresses(*r), (std::vector<std::string>{"user1@domain1.example"})) << address;
  }
  // Other addresses that lead nowhere stay unknown users.
  must(dir_.add_alias(root_, {"info@domain2.example", {"nobody-here"}}));
  ResolverOptions o;
  o.postmaster_address = "user1@domain1.example";
  auto info = resolver(o).resolve("info@domain2.example");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind(), ErrorKind::kNotFound);
}

// Issue 11.2: system accounts (root always, uids below first_valid_uid)
// never receive mail themselves, whether named in a local domain or as an
// alias's maildrop; through a system alias their mail reaches a person.
TEST_F(ResolverTest, SystemAccountsNeverReceiveMailThemselves) {
  ResolverOptions o;
  o.local_enabled = true;
  o.local_domains = {"mail.example"};
  for (const char* address : {"root@mail.example", "daemon@mail.example"}) {
    auto r = resolver(o).resolve(address);
    ASSERT_FALSE(r) << address;
    EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound) << address;
  }
  must(dir_.add_alias(root_, {"evil@domain1.example", {"root", "daemon"}}));
  auto via_alias = resolver(o).resolve("evil@domain1.example");
  ASSERT_FALSE(via_alias);
  EXPECT_EQ(via_alias.error().kind(), ErrorKind::kNotFound);
  // alice (uid 1001) is a person, unless the minimum is raised above her.
  EXPECT_TRUE(resolver(o).resolve("alice@mail.example"));
  o.first_valid_uid = 2000;
  EXPECT_FALSE(resolver(o).resolve("alice@mail.example"));
  o.first_valid_uid = 1000;
  o.system_aliases = {{"root", {"alice"}}};
  auto aliased = resolver(o).resolve("root@mail.example");
  ASSERT_TRUE(aliased) << aliased.error().describe();
  ASSERT_EQ(aliased->destinations.size(), 1u);
  EXPECT_EQ(aliased->destinations[0].address, "alice");
  EXPECT_EQ(aliased->destinations[0].kind, Destination::Kind::kLocal);
}

TEST_F(ResolverTest, DirectoryOutageIsTemporary) {
  dir_.set_unavailable(true);
  auto r = resolver().resolve("user1@domain1.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kTemporary);
}

TEST_F(ResolverTest, InvalidAddress) {
  auto r = resolver().resolve("not an address");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace hm::directory
