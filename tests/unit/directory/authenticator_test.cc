#include "directory/authenticator.h"

#include <gtest/gtest.h>

#include "auth/password_scheme.h"
#include "test_tree.h"

namespace hm::directory {
namespace {

using testing::must;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::fill(dir_);
    Account a = *dir_.find_account("user1@domain1.example").value();
    a.password_hash = auth::hash_password("right horse", "SSHA").value();
    must(dir_.update_account(root_, a));
    Account b = *dir_.find_account("user2@domain1.example").value();
    b.password_hash = auth::hash_password("pw2", "CRYPT-SHA512").value();
    b.disable_imap = true;
    must(dir_.update_account(root_, b));
    must(dir_.grant_postmaster(root_, "domain1.example", "user1@domain1.example"));
    options_.superuser = "admin";
    options_.superuser_password_hash = auth::hash_password("root pw", "SSHA512").value();
    options_.local_enabled = true;
    options_.local_check = [this](std::string_view user, std::string_view pw) -> Result<bool> {
      ++pam_calls_;
      if (user == "down") return fail(ErrorKind::kTemporary, "PAM unavailable");
      if (user == "root") return pw == "toor";
      return user == "alice" && pw == "wonderland";
    };
    options_.local_user = [](std::string_view name) -> Result<std::optional<LocalUser>> {
      if (name == "alice") return LocalUser{1001};
      if (name == "down") return LocalUser{1002};
      if (name == "root") return LocalUser{0};
      if (name == "daemon") return LocalUser{1};
      return std::optional<LocalUser>();
    };
  }

  int pam_calls_ = 0;

  memory::MemoryDirectory dir_;
  Actor root_{"admin", ""};
  AuthenticatorOptions options_;
};

TEST_F(AuthenticatorTest, VirtualAccountWithRoles) {
  Authenticator auth(dir_, options_);
  auto p = auth.authenticate("User1@domain1.example", "right horse", Service::kImap);
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->kind, Principal::Kind::kVirtual);
  EXPECT_EQ(p->name, "user1@domain1.example");
  EXPECT_EQ(p->postmaster_of, (std::vector<std::string>{"domain1.example"}));
  EXPECT_TRUE(p->is_postmaster_of("domain1.example"));
}

// Repeated logins pay for the strong hash once within the cache's time; a
// wrong password, a new password and a deleted account are never taken from
// the cache, and the service switches are read every time.
TEST_F(AuthenticatorTest, AProvenLoginIsNotHashedAgainButEverythingElseIsChecked) {
  int slow_checks = 0;
  options_.verify_hash = [&](std::string_view hash, std::string_view password) {
    ++slow_checks;
    return auth::verify_password(hash, password);
  };
  Authenticator auth(dir_, options_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(auth.authenticate("user1@domain1.example", "right horse", Service::kImap));
  }
  EXPECT_EQ(slow_checks, 1);
  EXPECT_FALSE(auth.authenticate("user1@domain1.example", "wrong horse", Service::kImap));
  EXPECT_EQ(slow_checks, 2);
  // A new password: the old one fails, checked the slow way.
  Account a = *dir_.find_account("user1@domain1.example").value();
  a.password_hash = auth::hash_password("new horse", "SSHA").value();
  must(dir_.update_account(root_, a));
  EXPECT_FALSE(auth.authenticate("user1@domain1.example", "right horse", Service::kImap));
  EXPECT_EQ(slow_checks, 3);
  ASSERT_TRUE(auth.authenticate("user1@domain1.example", "new horse", Service::kImap));
  // IMAP switched off after a proven login: refused at once.
  a = *dir_.find_account("user1@domain1.example").value();
  a.disable_imap = true;
  must(dir_.update_account(root_, a));
  EXPECT_FALSE(auth.authenticate("user1@domain1.example", "new horse", Service::kImap));
  // Deleted: refused though its proof is still in the cache.
  must(dir_.delete_account(root_, "user1@domain1.example"));
  EXPECT_FALSE(auth.authenticate("user1@domain1.example", "new horse", Service::kPop3));
}

TEST_F(AuthenticatorTest, TheCacheCanBeTurnedOff) {
  int slow_checks = 0;
  options_.verify_hash = [&](std::string_view hash, std::string_view password) {
    ++slow_checks;
    return auth::verify_password(hash, password);
  };
  options_.credential_cache.max_entries = 0;
  Authenticator auth(dir_, options_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(auth.authenticate("user1@domain1.example", "right horse", Service::kImap));
  }
  EXPECT_EQ(slow_checks, 3);
}

TEST_F(AuthenticatorTest, FailuresLookAlikeToTheCallerButNotInTheLog) {
  Authenticator auth(dir_, options_);
  auto wrong = auth.authenticate("user1@domain1.example", "wrong", Service::kImap);
  auto unknown = auth.authenticate("ghost@domain1.example", "wrong", Service::kImap);
  auto disabled = auth.authenticate("user2@domain1.example", "pw2", Service::kImap);
  auto no_password = auth.authenticate("boss@domain2.example", "x", Service::kImap);
  for (const auto* r : {&wrong, &unknown, &disabled, &no_password}) {
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().kind(), ErrorKind::kAuthFailed);
    EXPECT_EQ(r->error().message(), "authentication failed");
  }
  EXPECT_NE(wrong.error().detail(), unknown.error().detail());
  EXPECT_NE(disabled.error().detail().find("IMAP disabled"), std::string::npos);
  // Disabled for IMAP only: POP3 works.
  EXPECT_TRUE(auth.authenticate("user2@domain1.example", "pw2", Service::kPop3));
}

TEST_F(AuthenticatorTest, Superuser) {
  Authenticator auth(dir_, options_);
  auto p = auth.authenticate("admin", "root pw", Service::kAdmin);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->is_superuser());
  EXPECT_FALSE(auth.authenticate("admin", "nope", Service::kAdmin));
  options_.superuser_password_hash.clear();
  Authenticator no_hash(dir_, options_);
  EXPECT_FALSE(no_hash.authenticate("admin", "root pw", Service::kAdmin));
}

TEST_F(AuthenticatorTest, LocalAccountsThroughPam) {
  Authenticator auth(dir_, options_);
  auto p = auth.authenticate("alice", "wonderland", Service::kImap);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Principal::Kind::kLocal);
  auto wrong = auth.authenticate("alice", "x", Service::kImap);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind(), ErrorKind::kAuthFailed);
  auto down = auth.authenticate("down", "x", Service::kImap);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind(), ErrorKind::kTemporary);
  options_.local_enabled = false;
  Authenticator off(dir_, options_);
  EXPECT_EQ(off.authenticate("alice", "wonderland", Service::kImap).error().kind(),
            ErrorKind::kAuthFailed);
}

// Issue 11.4: root and other system accounts never log in, and PAM is never
// even asked for their password (no root-password oracle).
TEST_F(AuthenticatorTest, SystemAccountsNeverLogIn) {
  Authenticator auth(dir_, options_);
  auto root = auth.authenticate("root", "toor", Service::kImap);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kAuthFailed);
  EXPECT_NE(root.error().detail().find("system account"), std::string::npos);
  EXPECT_EQ(auth.authenticate("daemon", "x", Service::kImap).error().kind(),
            ErrorKind::kAuthFailed);
  EXPECT_EQ(auth.authenticate("nosuchuser", "x", Service::kImap).error().kind(),
            ErrorKind::kAuthFailed);
  EXPECT_EQ(pam_calls_, 0);
  options_.first_valid_uid = 5000;
  Authenticator strict(dir_, options_);
  EXPECT_FALSE(strict.authenticate("alice", "wonderland", Service::kImap));
  EXPECT_EQ(pam_calls_, 0);
}

// Issue 11.4: failures are throttled per client address: past five, the
// next attempts are refused for now without checking the password, so even
// the right one is refused and says nothing.
TEST_F(AuthenticatorTest, GuessingFromOneAddressIsThrottled) {
  Authenticator auth(dir_, options_);
  for (int i = 0; i < 5; ++i) {
    auto r = auth.authenticate(i % 2 ? "alice" : "user1@domain1.example", "guess", Service::kImap,
                               "192.0.2.7");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::kAuthFailed) << i;
  }
  int calls = pam_calls_;
  auto right = auth.authenticate("alice", "wonderland", Service::kImap, "192.0.2.7");
  ASSERT_FALSE(right);  // a sixth is refused, right or wrong...
  EXPECT_EQ(right.error().kind(), ErrorKind::kTemporary);
  EXPECT_NE(right.error().message().find("try again in"), std::string::npos);
  EXPECT_EQ(pam_calls_, calls);  // ...without asking PAM
  // Another address is not held up.
  EXPECT_TRUE(auth.authenticate("alice", "wonderland", Service::kImap, "192.0.2.8"));
}

// Issue 11.4: and per login, whatever addresses the guesses come from.
TEST_F(AuthenticatorTest, GuessingOneAccountFromManyAddressesIsThrottled) {
  Authenticator auth(dir_, options_);
  for (int i = 0; i < 10; ++i) {
    auto r = auth.authenticate("User1@domain1.example", "guess " + std::to_string(i),
                               Service::kImap, "198.51.100." + std::to_string(i));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::kAuthFailed) << i;
  }
  auto right =
      auth.authenticate("user1@domain1.example", "right horse", Service::kImap, "203.0.113.1");
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().kind(), ErrorKind::kTemporary);
  // Other accounts log in as before.
  EXPECT_TRUE(auth.authenticate("alice", "wonderland", Service::kImap, "203.0.113.1"));
}

TEST_F(AuthenticatorTest, DirectoryOutageIsTemporary) {
  Authenticator auth(dir_, options_);
  dir_.set_unavailable(true);
  auto r = auth.authenticate("user1@domain1.example", "right horse", Service::kImap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kTemporary);
}

TEST_F(AuthenticatorTest, EmptyCredentialsRefused) {
  Authenticator auth(dir_, options_);
  EXPECT_EQ(auth.authenticate("", "x", Service::kImap).error().kind(), ErrorKind::kAuthFailed);
  EXPECT_EQ(auth.authenticate("user1@domain1.example", "", Service::kImap).error().kind(),
            ErrorKind::kAuthFailed);
}

TEST_F(AuthenticatorTest, PrincipalForWithoutPassword) {
  Authenticator auth(dir_, options_);
  EXPECT_TRUE(auth.principal_for("admin")->is_superuser());
  EXPECT_EQ(auth.principal_for("user1@domain1.example")->postmaster_of.size(), 1u);
  EXPECT_EQ(auth.principal_for("ghost@domain1.example").error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace hm::directory
