// The pieces IMAP and POP3 share: the account opener, the plaintext-login
// policy, SASL PLAIN. (The opener's test came from the IMAP session's
// tests, where it lived before POP3 shared it.)

#include <gtest/gtest.h>

#include "access/account_opener.h"
#include "access/plaintext_login.h"
#include "access/sasl_plain.h"
#include "directory/memory/memory_directory.h"
#include "store/memory/memory_store.h"

namespace hm::mail_access {
namespace {

// The production opener: shell accounts and the superuser get a clear
// refusal (their sessions need a process of their own), a virtual account
// its Maildir at the place the store gives.
TEST(AccountOpener, RefusesShellAccountsAndTheSuperuserAndOpensVirtualOnes) {
  class FakeStore final : public store::MailStore {
   public:
    Result<store::Location> virtual_location(std::string_view address,
                                             std::string_view mailbox) const override {
      asked = std::string(address) + " " + std::string(mailbox);
      return store::Location{"/nowhere/", static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
    }
    Result<store::Location> local_location(std::string_view) const override {
      return fail(ErrorKind::kInternal, "not used");
    }
    std::vector<Result<std::string>> save(const store::StoredMessage&,
                                          const std::vector<store::Location>&) override {
      return {};
    }
    Result<std::unique_ptr<store::Mailboxes>> open_mailboxes(const store::Location& l,
                                                             uint64_t quota) override {
      opened = l.path + " " + std::to_string(quota);
      return store::memory::open(store::memory::make_memory_account(quota));
    }
    mutable std::string asked;
    std::string opened;
  };
  directory::memory::MemoryDirectory directory;
  directory::Actor admin{"admin", ""};
  ASSERT_TRUE(directory.add_domain(admin, {"example.org"}, {}));
  directory::Account a;
  a.address = "john@example.org";
  a.mailbox = "example.org/john/";
  a.quota_bytes = 4096;
  ASSERT_TRUE(directory.add_account(admin, a));
  FakeStore store;
  AccountOpener open = make_account_opener(directory, store, "IMAP");
  directory::Principal local{directory::Principal::Kind::kLocal, "joe", {}};
  auto refused = open(local);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(refused.error().message(),
            "IMAP for shell accounts is not available yet; use a virtual account");
  directory::Principal root{directory::Principal::Kind::kSuperuser, "admin", {}};
  EXPECT_FALSE(open(root));
  EXPECT_EQ(store.asked, "");
  directory::Principal john{directory::Principal::Kind::kVirtual, "john@example.org", {}};
  EXPECT_TRUE(open(john));
  EXPECT_EQ(store.asked, "john@example.org example.org/john/");
  EXPECT_EQ(store.opened, "/nowhere/ 4096");
}

TEST(PlaintextLogin, LoopbackOnlyByDefault) {
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.8.9.10"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback("192.0.2.1"));
  EXPECT_FALSE(is_loopback("::ffff:192.0.2.1"));
  EXPECT_FALSE(is_loopback("not an address"));
  EXPECT_TRUE(login_allowed(PlaintextLogin::kLoopback, false, "127.0.0.1"));
  EXPECT_FALSE(login_allowed(PlaintextLogin::kLoopback, false, "192.0.2.1"));
  EXPECT_TRUE(login_allowed(PlaintextLogin::kLoopback, true, "192.0.2.1"));
  EXPECT_FALSE(login_allowed(PlaintextLogin::kNever, false, "127.0.0.1"));
  EXPECT_TRUE(login_allowed(PlaintextLogin::kNever, true, "127.0.0.1"));
  EXPECT_TRUE(login_allowed(PlaintextLogin::kAlways, false, "192.0.2.1"));
}

TEST(SaslPlain, SplitsAtTheTwoNuls) {
  using namespace std::string_literals;
  auto c = parse_sasl_plain("\0john\0pass word"s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
  EXPECT_EQ(c->login, "john");
  EXPECT_EQ(c->password, "pass word");
  c = parse_sasl_plain("admin\0john\0p\0w"s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "admin");
  EXPECT_EQ(c->password, "p\0w"s);
  EXPECT_FALSE(parse_sasl_plain("john\0pw"s));
  EXPECT_FALSE(parse_sasl_plain(""));
}

}  // namespace
}  // namespace hm::mail_access
