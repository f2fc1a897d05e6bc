// Behaviour of the LDAP backend beyond the directory contract (which runs
// over it in tests/unit/directory_backends): outages, reconnects, the cache,
// authentication by bind and by compare, filter injection, and slapd's own
// access rules deciding about writes made as a postmaster.

#include "directory/ldap/ldap_directory.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "auth/password_scheme.h"
#include "base/strings.h"
#include "directory/authenticator.h"
#include "directory/resolver.h"
#include "slapd_server.h"

namespace hm::directory::ldap {
namespace {

using namespace std::chrono_literals;
using testing::SlapdServer;

// A port on 127.0.0.1 that nothing listens on (bound, never listened, closed).
int dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class LdapDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = SlapdServer::start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    server_ = std::move(*started);
    dir_ = open_dir(30s, false);
    ASSERT_TRUE(dir_);
  }

  std::unique_ptr<LdapDirectory> open_dir(std::chrono::seconds ttl, bool by_bind,
                                          const std::function<void(LdapOptions&)>& adjust = {}) {
    LdapOptions o;
    o.uris = {server_->uri()};
    o.base = testing::kBase;
    o.bind_dn = testing::kRootDn;
    o.bind_password = server_->root_password();
    o.cache_ttl = ttl;
    o.auth_by_bind = by_bind;
    o.timeout = 2000ms;
    if (adjust) adjust(o);
    auto opened = LdapDirectory::open(std::move(o));
    EXPECT_TRUE(opened.has_value());
    return opened ? std::move(*opened) : nullptr;
  }

  Account account(const std::string& address, const std::string& hash) {
    Account a;
    a.address = address;
    a.password_hash = hash;
    size_t at = address.rfind('@');
    a.mailbox = address.substr(at + 1) + "/" + address.substr(0, at) + "/";
    a.uid_number = a.gid_number = 5000;
    return a;
  }

  std::string hash(const std::string& password, std::string_view scheme) {
    auto h = auth::hash_password(password, scheme);
    EXPECT_TRUE(h.has_value());
    return h ? *h : std::string();
  }

  Actor superuser_{"admin", ""};
  std::unique_ptr<SlapdServer> server_;
  std::unique_ptr<LdapDirectory> dir_;
};

TEST(LdapDirectoryOpenTest, RejectsBadOptions) {
  LdapOptions o;
  o.base = testing::kBase;
  EXPECT_EQ(LdapDirectory::open(o).error().kind(), ErrorKind::kInvalid);  // no uris
  o.uris = {"ldap://127.0.0.1"};
  o.account_filter = "(mail=%x)";
  EXPECT_EQ(LdapDirectory::open(o).error().kind(), ErrorKind::kInvalid);
  o.account_filter = "(mail=%s)";
  o.base = "";
  EXPECT_EQ(LdapDirectory::open(o).error().kind(), ErrorKind::kInvalid);
}

TEST(LdapDirectoryOpenTest, NoServerIsATemporaryErrorForEveryKindOfCall) {
  LdapOptions o;
  o.uris = {"ldap://127.0.0.1:" + std::to_string(dead_port()) + "/"};
  o.base = testing::kBase;
  o.timeout = 1000ms;
  auto dir = LdapDirectory::open(o);
  ASSERT_TRUE(dir.has_value());  // connecting is lazy: the daemon may start before slapd
  auto found = (*dir)->find_account("alice@example.org");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().kind(), ErrorKind::kTemporary);
  EXPECT_NE(found.error().message().find("try again later"), std::string::npos)
      << found.error().message();
  EXPECT_EQ((*dir)->list_domains().error().kind(), ErrorKind::kTemporary);
  EXPECT_EQ((*dir)->add_domain({"admin", ""}, Domain{"example.org"}, {}).error().kind(),
            ErrorKind::kTemporary);
  EXPECT_EQ((*dir)->verify_password("alice@example.org", "x").error().kind(),
            ErrorKind::kTemporary);
}

TEST_F(LdapDirectoryTest, WritesEntriesASlapdWithTheStandardSchemasAccepts) {
  // A network peer: lookups stay on the AsyncDirectory workers.
  EXPECT_FALSE(dir_->answers_locally());
  ASSERT_TRUE(dir_->add_domain(
      superuser_, Domain{"example.org"},
      {Alias{"postmaster@example.org", {"root"}}, Alias{"abuse@example.org", {"root"}}}));
  ASSERT_TRUE(dir_->add_account(superuser_, account("alice@example.org", "{SSHA}x")));
  ASSERT_TRUE(dir_->grant_postmaster(superuser_, "example.org", "alice@example.org"));
  // Read back with a plain search: the DNs and structural classes of the seed layout.
  auto c = Connection::open(server_->uri(), 2000ms);
  ASSERT_TRUE(c.has_value());
  auto entries = (*c)->search(testing::kBase, Scope::kSubtree, "(objectClass=*)",
                              {"objectClass", "roleOccupant"});
  ASSERT_TRUE(entries.has_value());
  std::map<std::string, Entry> by_dn;
  for (Entry& e : *entries) by_dn[ascii_lower(e.dn)] = e;
  std::string base = ascii_lower(testing::kBase);
  ASSERT_TRUE(by_dn.count("o=example.org," + base));
  const Entry& acct = by_dn["mail=alice@example.org,o=example.org," + base];
  EXPECT_TRUE(acct.has_class("inetOrgPerson"));
  EXPECT_TRUE(acct.has_class("CourierMailAccount"));
  const Entry& pm = by_dn["cn=postmaster,o=example.org," + base];
  EXPECT_TRUE(pm.has_class("organizationalRole"));
  EXPECT_TRUE(pm.has_class("CourierMailAlias"));
  EXPECT_EQ(pm.values("roleOccupant").size(), 1u);
  EXPECT_TRUE(by_dn["mail=abuse@example.org,o=example.org," + base].has_class("nisMailAlias"));
}

TEST_F(LdapDirectoryTest, FilterInjectionMatchesNothing) {
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir_->add_account(superuser_, account("alice@example.org", "{SSHA}x")));
  for (const char* evil : {"*)(uid=*", "*", "*@example.org", "alice@example.org)(|(mail=*"}) {
    auto found = dir_->find_account(evil);
    ASSERT_TRUE(found.has_value()) << evil;
    EXPECT_FALSE(found->has_value()) << evil;
    auto alias = dir_->find_alias(evil);
    ASSERT_TRUE(alias.has_value()) << evil;
    EXPECT_FALSE(alias->has_value()) << evil;
  }
  auto domain = dir_->find_domain("*");
  ASSERT_TRUE(domain.has_value());
  EXPECT_FALSE(domain->has_value());
}

TEST_F(LdapDirectoryTest, ReconnectsAfterTheServerRestarts) {
  auto dir = open_dir(0s, false);  // no cache: every call reaches slapd
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir->find_domain("example.org").has_value());

  server_->stop();
  auto down = dir->find_domain("example.org");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().kind(), ErrorKind::kTemporary) << down.error().describe();

  ASSERT_TRUE(server_->restart().has_value());
  // The pooled connections are dead; the first call notices and retries on a
  // fresh one, without an error reaching the caller.
  auto up = dir->find_domain("example.org");
  ASSERT_TRUE(up.has_value()) << up.error().describe();
  EXPECT_TRUE(up->has_value());
  ASSERT_TRUE(dir->add_account(superuser_, account("alice@example.org", "")));
}

// [directory.ldap] uris: a server that does not answer is passed over for
// the next one in the list; and without bind_dn the lookups bind anonymously
// (the example access rules let anyone read the mail entries).
TEST_F(LdapDirectoryTest, TriesTheUrisInOrderAndLooksUpAnonymouslyWithoutBindDn) {
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir_->add_account(superuser_, account("alice@example.org", "{SSHA}x")));
  const std::string dead = "ldap://127.0.0.1:" + std::to_string(dead_port()) + "/";
  auto dir = open_dir(0s, false, [&](LdapOptions& o) {
    o.uris = {dead, server_->uri()};
    o.bind_dn.clear();
    o.bind_password.clear();
  });
  ASSERT_TRUE(dir);
  auto found = dir->find_account("alice@example.org");
  ASSERT_TRUE(found.has_value()) << found.error().describe();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->mailbox, "example.org/alice/");
  // Anonymous is no write permission: slapd's rules refuse it.
  EXPECT_FALSE(dir->add_domain({"", ""}, Domain{"example.net"}, {}).has_value());
  // Only the dead server: a temporary error, as before.
  auto only_dead = open_dir(0s, false, [&](LdapOptions& o) {
    o.uris = {dead};
    o.timeout = 1000ms;
  });
  ASSERT_TRUE(only_dead);
  auto down = only_dead->find_account("alice@example.org");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().kind(), ErrorKind::kTemporary);
}

TEST_F(LdapDirectoryTest, CacheServesRecentAnswersAndWritesThroughTheObjectClearIt) {
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"example.org"}, {}));
  auto before = dir_->find_account("alice@example.org");
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->has_value());

  // Another client (ldapadd, another node) adds the account: a miss is
  // never served from the cache (issue 11.7: a cached "unknown" bounced real
  // mail for 30 s), so the caching directory sees it at once, and so do the
  // domain and alias look-ups and the combined one.
  auto other = open_dir(0s, false);
  EXPECT_FALSE(dir_->find_alias("sales@example.org")->has_value());
  EXPECT_FALSE(dir_->find_domain("new.example")->has_value());
  EXPECT_FALSE(dir_->find_alias_or_account("carol@example.org")->account.has_value());
  ASSERT_TRUE(other->add_account(superuser_, account("alice@example.org", "")));
  ASSERT_TRUE(other->add_alias(superuser_, Alias{"sales@example.org", {"alice@example.org"}}));
  ASSERT_TRUE(other->add_domain(superuser_, Domain{"new.example"}, {}));
  ASSERT_TRUE(other->add_account(superuser_, account("carol@example.org", "")));
  EXPECT_TRUE(dir_->find_account("alice@example.org")->has_value());
  EXPECT_TRUE(dir_->find_alias("sales@example.org")->has_value());
  EXPECT_TRUE(dir_->find_domain("new.example")->has_value());
  EXPECT_TRUE(dir_->find_alias_or_account("carol@example.org")->account.has_value());

  // A write through the caching object itself is seen at once.
  ASSERT_TRUE(dir_->add_account(superuser_, account("bob@example.org", "")));
  EXPECT_TRUE(dir_->find_account("alice@example.org")->has_value());
  ASSERT_TRUE(dir_->delete_account(superuser_, "bob@example.org"));
  EXPECT_FALSE(dir_->find_account("bob@example.org")->has_value());
}

TEST_F(LdapDirectoryTest, AuthenticatesByBindAsTheAccount) {
  auto dir = open_dir(30s, true);
  EXPECT_TRUE(dir->verifies_passwords());
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  // Schemes slapd itself verifies on bind.
  ASSERT_TRUE(dir->add_account(superuser_, account("alice@example.org", hash("s3cret", "SSHA"))));
  ASSERT_TRUE(
      dir->add_account(superuser_, account("bob@example.org", hash("b0b pass", "CRYPT-YESCRYPT"))));
  Authenticator auth(*dir, AuthenticatorOptions{});
  auto alice = auth.authenticate("alice@example.org", "s3cret", Service::kImap);
  ASSERT_TRUE(alice.has_value()) << alice.error().describe();
  EXPECT_EQ(alice->name, "alice@example.org");
  EXPECT_TRUE(auth.authenticate("bob@example.org", "b0b pass", Service::kImap).has_value());
  for (auto [login, password] :
       std::vector<std::pair<std::string, std::string>>{{"alice@example.org", "wrong"},
                                                        {"alice@example.org", "S3CRET"},
                                                        {"nobody@example.org", "s3cret"},
                                                        {"*)(uid=*", "s3cret"}}) {
    auto refused = auth.authenticate(login, password, Service::kImap);
    ASSERT_FALSE(refused.has_value()) << login;
    EXPECT_EQ(refused.error().kind(), ErrorKind::kAuthFailed) << login;
  }
  // An empty password would be an unauthenticated bind, which slapd accepts.
  auto empty = dir->verify_password("alice@example.org", "");
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(*empty);
}

TEST_F(LdapDirectoryTest, AuthenticatesByCompareForEveryScheme) {
  auto dir = open_dir(30s, false);
  EXPECT_FALSE(dir->verifies_passwords());
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  Authenticator auth(*dir, AuthenticatorOptions{});
  int n = 0;
  for (const std::string& scheme : auth::supported_schemes()) {
    std::string address = "user" + std::to_string(n++) + "@example.org";
    ASSERT_TRUE(dir->add_account(superuser_, account(address, hash("pw " + scheme, scheme))))
        << scheme;
    EXPECT_TRUE(auth.authenticate(address, "pw " + scheme, Service::kImap).has_value()) << scheme;
    auto wrong = auth.authenticate(address, "nope", Service::kImap);
    ASSERT_FALSE(wrong.has_value()) << scheme;
    EXPECT_EQ(wrong.error().kind(), ErrorKind::kAuthFailed) << scheme;
  }
}

TEST_F(LdapDirectoryTest, SlapdRefusesAPostmasterOutsideTheirDomain) {
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"a.example"}, {}));
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"b.example"}, {}));
  ASSERT_TRUE(dir_->add_account(superuser_, account("pm@a.example", hash("pm pass", "SSHA"))));
  ASSERT_TRUE(dir_->add_account(superuser_, account("carol@b.example", "")));
  ASSERT_TRUE(dir_->grant_postmaster(superuser_, "a.example", "pm@a.example"));

  Actor pm{"pm@a.example", "pm pass"};
  // Inside the own domain slapd lets the postmaster write...
  ASSERT_TRUE(dir_->add_account(pm, account("dave@a.example", hash("x", "SSHA"))));
  ASSERT_TRUE(dir_->add_alias(pm, Alias{"info@a.example", {"dave@a.example"}}));
  Account dave = account("dave@a.example", hash("y", "SSHA"));
  ASSERT_TRUE(dir_->update_account(pm, dave));
  // ...but never where an account's mail is stored, nor as whom (issue
  // 11.3): slapd refuses, though hostmail's own checks are bypassed here.
  Account moved = dave;
  moved.mailbox = "a.example/carol/";
  EXPECT_EQ(dir_->update_account(pm, moved).error().kind(), ErrorKind::kPermission);
  Account other_uid = dave;
  other_uid.uid_number = 0;
  EXPECT_EQ(dir_->update_account(pm, other_uid).error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(dir_->find_account("dave@a.example")->value().mailbox, "a.example/dave/");
  ASSERT_TRUE(dir_->delete_account(pm, "dave@a.example"));
  // ...and nowhere else. AdminService is bypassed here on purpose: slapd
  // itself must refuse.
  auto refused = dir_->add_account(pm, account("eve@b.example", ""));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission) << refused.error().describe();
  Account carol = account("carol@b.example", hash("z", "SSHA"));
  EXPECT_EQ(dir_->update_account(pm, carol).error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(dir_->add_alias(pm, Alias{"info@b.example", {"x@a.example"}}).error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(dir_->grant_postmaster(pm, "b.example", "pm@a.example").error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(dir_->add_domain(pm, Domain{"c.example"}, {}).error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(dir_->delete_domain(pm, "b.example").error().kind(), ErrorKind::kPermission);
  EXPECT_FALSE(dir_->find_account("eve@b.example")->has_value());
  EXPECT_TRUE(dir_->find_domain("b.example")->has_value());

  // A wrong password for the acting principal is refused, not ignored.
  Actor bad{"pm@a.example", "wrong"};
  EXPECT_EQ(dir_->add_account(bad, account("frank@a.example", "")).error().kind(),
            ErrorKind::kPermission);
}

// An alias entry with the given mail written straight to slapd at a DN of
// our choice, so that an alias and an account may share an address (which
// the directory's own writes refuse, but another tool may have made).
void add_raw_alias(const SlapdServer& server, const std::string& dn, const std::string& mail,
                   const std::string& maildrop) {
  auto c = Connection::open(server.uri(), 2000ms);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE((*c)->bind({testing::kRootDn, server.root_password()}));
  auto added = (*c)->add(dn, {{"objectClass", {"top", "nisMailAlias", "CourierMailAlias"}},
                              {"cn", {mail}},
                              {"mail", {mail}},
                              {"maildrop", {maildrop}}});
  ASSERT_TRUE(added) << added.error().describe();
}

TEST_F(LdapDirectoryTest, AliasOrAccountIsOneSearchWithTheSameAnswersAsTwo) {
  auto dir = open_dir(0s, false);
  ASSERT_TRUE(dir->combines_alias_and_account());
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir->add_account(superuser_, account("alice@example.org", "")));
  ASSERT_TRUE(dir->add_alias(superuser_, Alias{"team@example.org", {"alice@example.org"}}));
  ASSERT_TRUE(dir->add_alias(superuser_, Alias{"@example.org", {"alice@example.org"}}));
  // An alias beats an account of the same address, as in the seed's maps.
  ASSERT_TRUE(dir->add_account(superuser_, account("bob@example.org", "")));
  add_raw_alias(*server_, "cn=bob-alias,o=example.org," + std::string(testing::kBase),
                "bob@example.org", "alice@example.org");

  for (const char* address : {"alice@example.org", "team@example.org", "@example.org",
                              "bob@example.org", "nobody@example.org", "*)(mail=*"}) {
    uint64_t before = dir->searches_made();
    auto one = dir->find_alias_or_account(address);
    ASSERT_TRUE(one.has_value()) << address << ": " << one.error().describe();
    EXPECT_EQ(dir->searches_made() - before, 1u) << address;
    auto alias = dir->find_alias(address);
    auto acct = dir->find_account(address);
    ASSERT_TRUE(alias.has_value() && acct.has_value()) << address;
    EXPECT_EQ(one->alias, *alias) << address;
    EXPECT_EQ(one->account, alias->has_value() ? std::nullopt : *acct) << address;
  }
  auto bob = dir->find_alias_or_account("bob@example.org");
  ASSERT_TRUE(bob.has_value() && bob->alias.has_value());
  EXPECT_EQ(bob->alias->maildrops, std::vector<std::string>{"alice@example.org"});
  EXPECT_FALSE(bob->account.has_value());
  auto alice = dir->find_alias_or_account("alice@example.org");
  ASSERT_TRUE(alice.has_value() && alice->account.has_value());
  EXPECT_EQ(alice->account->address, "alice@example.org");
  EXPECT_EQ(alice->account->mailbox, "example.org/alice/");
}

TEST_F(LdapDirectoryTest, AliasOrAccountFillsTheCacheForBothLookups) {
  ASSERT_TRUE(dir_->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir_->add_account(superuser_, account("alice@example.org", "")));
  ASSERT_TRUE(dir_->find_alias_or_account("alice@example.org").has_value());
  uint64_t before = dir_->searches_made();
  EXPECT_TRUE(dir_->find_account("alice@example.org")->has_value());
  EXPECT_TRUE(dir_->find_alias_or_account("alice@example.org")->account.has_value());
  EXPECT_EQ(dir_->searches_made(), before);
  // "No alias" is never served from the cache (issue 11.7): asked live.
  EXPECT_FALSE(dir_->find_alias("alice@example.org")->has_value());
  EXPECT_EQ(dir_->searches_made(), before + 1);
  // A write through the object clears what the single search cached.
  ASSERT_TRUE(dir_->add_alias(superuser_, Alias{"info@example.org", {"alice@example.org"}}));
  EXPECT_TRUE(dir_->find_alias_or_account("info@example.org")->alias.has_value());
}

TEST_F(LdapDirectoryTest, OtherFilterShapesKeepTwoSearches) {
  // The account filter adds a condition: an entry's classes no longer say
  // which filter it matched, so the two searches stay apart.
  auto narrow = open_dir(0s, false, [](LdapOptions& o) {
    o.account_filter = "(&(mail=%s)(objectClass=CourierMailAccount)(!(disableimap=2)))";
  });
  EXPECT_FALSE(narrow->combines_alias_and_account());
  // Filters on different attributes: the OR could find an alias entry whose
  // own mail is another address.
  auto other_attribute = open_dir(0s, false, [](LdapOptions& o) {
    o.account_filter = "(&(cn=%s)(objectClass=CourierMailAccount))";
  });
  EXPECT_FALSE(other_attribute->combines_alias_and_account());

  ASSERT_TRUE(narrow->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(narrow->add_account(superuser_, account("alice@example.org", "")));
  ASSERT_TRUE(narrow->add_alias(superuser_, Alias{"team@example.org", {"alice@example.org"}}));
  uint64_t before = narrow->searches_made();
  auto alice = narrow->find_alias_or_account("alice@example.org");
  ASSERT_TRUE(alice.has_value() && alice->account.has_value());
  EXPECT_EQ(narrow->searches_made() - before, 2u);
  before = narrow->searches_made();
  auto team = narrow->find_alias_or_account("team@example.org");
  ASSERT_TRUE(team.has_value() && team->alias.has_value());
  EXPECT_EQ(narrow->searches_made() - before, 1u);  // the alias ends it
}

TEST_F(LdapDirectoryTest, UncachedResolveOfAnAccountIsTwoSearches) {
  auto dir = open_dir(0s, false);
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir->add_account(superuser_, account("alice@example.org", "")));
  ASSERT_TRUE(dir->add_alias(superuser_, Alias{"team@example.org", {"alice@example.org"}}));
  ResolverOptions ro;
  ro.local_user = [](std::string_view) -> Result<std::optional<LocalUser>> { return std::nullopt; };
  Resolver resolver(*dir, ro);
  uint64_t before = dir->searches_made();
  auto alice = resolver.resolve("alice@example.org");
  ASSERT_TRUE(alice.has_value()) << alice.error().describe();
  ASSERT_EQ(alice->destinations.size(), 1u);
  EXPECT_EQ(alice->destinations[0].mailbox, "example.org/alice/");
  EXPECT_EQ(dir->searches_made() - before, 2u);  // the domain, then alias-or-account
  // An alias: domain, alias-or-account; its maildrop: domain, alias-or-account.
  before = dir->searches_made();
  auto team = resolver.resolve("team@example.org");
  ASSERT_TRUE(team.has_value()) << team.error().describe();
  EXPECT_EQ(team->destinations.size(), 1u);
  EXPECT_EQ(dir->searches_made() - before, 4u);
}

TEST_F(LdapDirectoryTest, LoginByBindReusesTheDnFindAccountFound) {
  auto dir = open_dir(0s, true);
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  ASSERT_TRUE(dir->add_account(superuser_, account("alice@example.org", hash("s3cret", "SSHA"))));
  Authenticator auth(*dir, AuthenticatorOptions{});
  uint64_t before = dir->searches_made();
  auto alice = auth.authenticate("alice@example.org", "s3cret", Service::kImap);
  ASSERT_TRUE(alice.has_value()) << alice.error().describe();
  // find_account and the postmaster domains; the bind needs no search of its own.
  EXPECT_EQ(dir->searches_made() - before, 2u);
  // Without a find_account just before, the DN is searched for.
  before = dir->searches_made();
  auto direct = dir->verify_password("alice@example.org", "s3cret");
  ASSERT_TRUE(direct.has_value());
  EXPECT_TRUE(*direct);
  EXPECT_EQ(dir->searches_made() - before, 1u);
  // A write in between makes the remembered DN unusable.
  ASSERT_TRUE(dir->find_account("alice@example.org")->has_value());
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"other.example"}, {}));
  before = dir->searches_made();
  EXPECT_TRUE(*dir->verify_password("alice@example.org", "s3cret"));
  EXPECT_EQ(dir->searches_made() - before, 1u);
  EXPECT_FALSE(*dir->verify_password("alice@example.org", "wrong"));
}

TEST_F(LdapDirectoryTest, DefaultPoolLetsEveryCallerHaveAConnection) {
  auto dir = open_dir(0s, false);  // pool_size 0, the default
  ASSERT_TRUE(dir->add_domain(superuser_, Domain{"example.org"}, {}));
  constexpr int kCallers = 12;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      for (int n = 0; n < 20; ++n) {
        auto found = dir->find_domain("example.org");
        if (!found || !found->has_value()) ++failures;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(dir->connections_opened(), 1);
  EXPECT_LE(dir->connections_opened(), kCallers);
}

}  // namespace
}  // namespace hm::directory::ldap
