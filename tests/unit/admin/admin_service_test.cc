#include "admin/admin_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "auth/password_scheme.h"
#include "directory/memory/memory_directory.h"

namespace hm::admin {
namespace {

void must(const Status& s) { ASSERT_TRUE(s.has_value()) << s.error().describe(); }

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("hm-admin-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(base_);
    options_.virtual_base = base_.string();
    options_.password_scheme = "SSHA";
    options_.vmail_uid = 5000;
    options_.vmail_gid = 5000;
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  AdminService as_superuser() {
    return AdminService(resources_, options_, {Principal::Kind::kSuperuser, "admin", {}});
  }
  // An account's identity only: its roles are read by every call.
  AdminService as(const std::string& address) {
    return AdminService(resources_, options_, {Principal::Kind::kVirtual, address, {}});
  }
  // one.example with its postmaster pm@one.example, acting.
  AdminService postmaster_of_one() {
    auto admin = as_superuser();
    EXPECT_TRUE(admin.add_domain("one.example", ""));
    EXPECT_TRUE(admin.add_account("pm@one.example", std::string("pw"), 0));
    EXPECT_TRUE(admin.grant_postmaster("one.example", "pm@one.example"));
    return as("pm@one.example");
  }

  directory::memory::MemoryDirectory dir_;
  OpenResources resources_{dir_};
  AdminOptions options_;
  std::filesystem::path base_;
};

TEST_F(AdminServiceTest, DomainAddCreatesPostmasterAndAbuse) {
  auto admin = as_superuser();
  must(admin.add_domain("Example.ORG", ""));
  EXPECT_EQ(dir_.find_alias("postmaster@example.org").value()->maildrops,
            (std::vector<std::string>{"postmaster"}));
  EXPECT_EQ(dir_.find_alias("abuse@example.org").value()->maildrops,
            (std::vector<std::string>{"abuse"}));
  must(admin.add_domain("other.example", "boss@example.org"));
  EXPECT_EQ(dir_.find_alias("postmaster@other.example").value()->maildrops,
            (std::vector<std::string>{"boss@example.org"}));
  EXPECT_EQ(dir_.find_alias("abuse@other.example").value()->maildrops,
            (std::vector<std::string>{"boss@example.org"}));
  EXPECT_EQ(admin.add_domain("example.org", "").error().kind(), ErrorKind::kExists);
  EXPECT_EQ(admin.add_domain("bad_domain!", "").error().kind(), ErrorKind::kInvalid);
  EXPECT_FALSE(admin.add_domain("loop.example", "postmaster@loop.example"));
}

TEST_F(AdminServiceTest, IdnDomainStoredAsALabel) {
  auto admin = as_superuser();
  must(admin.add_domain("bücher.example", ""));
  EXPECT_TRUE(dir_.find_domain("xn--bcher-kva.example").value().has_value());
  auto a = admin.add_account("anna@BÜCHER.example", std::string("pw"), 0);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->address, "anna@xn--bcher-kva.example");
}

TEST_F(AdminServiceTest, DomainWithAccountsNeedsForce) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  ASSERT_TRUE(admin.add_account("a@example.org", std::string("pw"), 0));
  auto refused = admin.delete_domain("example.org", false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("--force"), std::string::npos);
  must(admin.delete_domain("example.org", true));
  EXPECT_FALSE(dir_.find_domain("example.org").value().has_value());
  EXPECT_FALSE(dir_.find_account("a@example.org").value().has_value());
  // An empty domain (only postmaster and abuse) goes without --force.
  must(admin.add_domain("empty.example", ""));
  must(admin.delete_domain("empty.example", false));
  EXPECT_EQ(admin.delete_domain("empty.example", false).error().kind(), ErrorKind::kNotFound);
}

TEST_F(AdminServiceTest, AccountDefaultsAndHashedPassword) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  auto a = admin.add_account("John@Example.org", std::string("s3cret"), 1000000);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->address, "john@example.org");
  EXPECT_EQ(a->mailbox, "example.org/john/");
  EXPECT_EQ(a->home_directory, base_.string());
  EXPECT_EQ(a->uid_number, 5000u);
  EXPECT_EQ(a->quota_bytes, 1000000u);
  EXPECT_EQ(a->password_hash.rfind("{SSHA}", 0), 0u);
  EXPECT_EQ(a->password_hash.find("s3cret"), std::string::npos);
  EXPECT_TRUE(auth::verify_password(a->password_hash, "s3cret").value());
  // Without a password: created, but cannot log in yet.
  auto b = admin.add_account("nopw@example.org", std::nullopt, 0);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->password_hash.empty());
  EXPECT_EQ(admin.add_account("x@unhosted.example", std::string("pw"), 0).error().kind(),
            ErrorKind::kNotFound);
  EXPECT_EQ(admin.add_account("john@example.org", std::string("pw"), 0).error().kind(),
            ErrorKind::kExists);
}

TEST_F(AdminServiceTest, AccountAndAliasMayNotShareAnAddress) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  ASSERT_TRUE(admin.add_account("john@example.org", std::string("pw"), 0));
  EXPECT_EQ(admin.add_alias("john@example.org", {"x@elsewhere.example"}).error().kind(),
            ErrorKind::kExists);
  must(admin.add_alias("sales@example.org", {"john@example.org"}));
  EXPECT_EQ(admin.add_account("sales@example.org", std::string("pw"), 0).error().kind(),
            ErrorKind::kExists);
  EXPECT_EQ(admin.add_account("postmaster@example.org", std::string("pw"), 0).error().kind(),
            ErrorKind::kExists);
}

TEST_F(AdminServiceTest, ReusedNameNeverGetsOldMail) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  auto first = admin.add_account("john@example.org", std::string("pw"), 0);
  ASSERT_TRUE(first);
  std::filesystem::create_directories(base_ / first->mailbox / "new");
  must(admin.delete_account("john@example.org"));
  auto second = admin.add_account("john@example.org", std::string("pw"), 0);
  ASSERT_TRUE(second);
  EXPECT_NE(second->mailbox, first->mailbox);
  EXPECT_EQ(second->mailbox, "example.org/john.2/");
  // Mail left on disk by an account deleted behind hostmail's back counts too.
  std::filesystem::create_directories(base_ / "example.org/mary/cur");
  auto mary = admin.add_account("mary@example.org", std::string("pw"), 0);
  ASSERT_TRUE(mary);
  EXPECT_EQ(mary->mailbox, "example.org/mary.2/");
}

TEST_F(AdminServiceTest, MailboxPathIsSafeForOddLocalParts) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  auto a = admin.add_account("a/b@example.org", std::string("pw"), 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mailbox, "example.org/a_b/");
}

TEST_F(AdminServiceTest, PasswordChange) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  ASSERT_TRUE(admin.add_account("joe@example.org", std::string("old"), 0));
  ASSERT_TRUE(admin.add_account("ann@example.org", std::string("ann"), 0));
  auto joe = as("joe@example.org");
  must(joe.set_password("joe@example.org", "new"));
  EXPECT_TRUE(
      auth::verify_password(dir_.find_account("joe@example.org").value()->password_hash, "new")
          .value());
  EXPECT_EQ(joe.set_password("ann@example.org", "x").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(joe.set_password("joe@example.org", "").error().kind(), ErrorKind::kInvalid);
}

// Issue 11.2: a domain's postmaster is a tenant; a bare maildrop is a shell
// account of the machine (root, daemon...), which only the superuser may
// name. Addresses, in and out of their domain, stay theirs to give.
TEST_F(AdminServiceTest, OnlyTheSuperuserMayAliasToLocalAccounts) {
  auto admin = as_superuser();
  auto pm = postmaster_of_one();
  for (const char* local : {"root", "daemon", "alice"}) {
    auto refused = pm.add_alias("x@one.example", {local});
    ASSERT_FALSE(refused) << local;
    EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission) << local;
  }
  auto mixed = pm.add_alias("y@one.example", {"pm@one.example", "root"});
  ASSERT_FALSE(mixed);
  auto aliases = admin.list_aliases("one.example");
  ASSERT_TRUE(aliases);
  for (const Alias& a : *aliases) EXPECT_NE(a.address, "y@one.example");
  must(pm.add_alias("x@one.example", {"pm@one.example", "someone@elsewhere.example"}));
  must(admin.add_alias("ops@one.example", {"root"}));
}

TEST_F(AdminServiceTest, PostmasterDelegation) {
  auto admin = as_superuser();
  must(admin.add_domain("one.example", ""));
  must(admin.add_domain("two.example", ""));
  ASSERT_TRUE(admin.add_account("pm@one.example", std::string("pw"), 0));
  ASSERT_TRUE(admin.add_account("x@two.example", std::string("pw"), 0));
  must(admin.grant_postmaster("one.example", "pm@one.example"));
  EXPECT_EQ(admin.list_postmasters("one.example").value(),
            (std::vector<std::string>{"pm@one.example"}));
  EXPECT_EQ(admin.grant_postmaster("one.example", "ghost@one.example").error().kind(),
            ErrorKind::kNotFound);

  auto pm = as("pm@one.example");
  ASSERT_TRUE(pm.add_account("new@one.example", std::string("pw"), 0));
  must(pm.add_alias("sales@one.example", {"new@one.example"}));
  must(pm.grant_postmaster("one.example", "new@one.example"));
  EXPECT_EQ(pm.add_account("y@two.example", std::string("pw"), 0).error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(pm.delete_account("x@two.example").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.add_domain("three.example", "").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.delete_domain("one.example", true).error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.grant_postmaster("two.example", "x@two.example").error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(pm.grant_postmaster("one.example", "x@two.example").error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(pm.export_ldif("o=hosting,dc=example").error().kind(), ErrorKind::kPermission);
  auto domains = pm.list_domains();
  ASSERT_TRUE(domains);
  ASSERT_EQ(domains->size(), 1u);
  EXPECT_EQ((*domains)[0].name, "one.example");
  must(pm.revoke_postmaster("one.example", "new@one.example"));
}

TEST_F(AdminServiceTest, PostmasterListsTheAccountsOfTheirDomainsWithoutNamingOne) {
  auto admin = as_superuser();
  for (const char* d : {"one.example", "two.example", "three.example"})
    must(admin.add_domain(d, ""));
  ASSERT_TRUE(admin.add_account("pm@one.example", std::string("pw"), 0));
  ASSERT_TRUE(admin.add_account("b@two.example", std::string("pw"), 0));
  ASSERT_TRUE(admin.add_account("a@two.example", std::string("pw"), 0));
  ASSERT_TRUE(admin.add_account("secret@three.example", std::string("pw"), 0));
  ASSERT_TRUE(admin.add_account("plain@three.example", std::string("pw"), 0));
  must(admin.grant_postmaster("one.example", "pm@one.example"));
  must(admin.grant_postmaster("two.example", "pm@one.example"));

  auto pm = as("pm@one.example");
  auto accounts = pm.list_accounts("");
  ASSERT_TRUE(accounts) << accounts.error().describe();
  std::vector<std::string> addresses;
  for (const Account& a : *accounts) addresses.push_back(a.address);
  EXPECT_EQ(addresses,
            (std::vector<std::string>{"a@two.example", "b@two.example", "pm@one.example"}));
  auto aliases = pm.list_aliases("");
  ASSERT_TRUE(aliases) << aliases.error().describe();
  EXPECT_EQ(aliases->size(), 4u);  // postmaster@ and abuse@ of one and two
  for (const Alias& a : *aliases) EXPECT_NE(a.address, "postmaster@three.example");
  // Naming a domain they do not administer is still refused, and so is an
  // account that administers nothing.
  EXPECT_EQ(pm.list_accounts("three.example").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(as("plain@three.example").list_accounts("").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(as("plain@three.example").list_aliases("").error().kind(), ErrorKind::kPermission);
}

TEST_F(AdminServiceTest, ImportSaysWhenHomeDirectoryIsNotTheVirtualBase) {
  auto admin = as_superuser();
  const std::string domain =
      "dn: o=d.example,o=hosting,dc=myhosting,dc=example\nobjectClass: organization\n"
      "o: d.example\n\n";
  auto account = [&](const std::string& local, const std::string& home) {
    return "dn: mail=" + local + "@d.example,o=d.example,o=hosting,dc=myhosting,dc=example\n" +
           "objectClass: CourierMailAccount\nmail: " + local +
           "@d.example\nhomeDirectory: " + home +
           "\nuidNumber: 101\ngidNumber: 101\nmailbox: d.example/" + local + "\n\n";
  };
  auto report = admin.import_ldif(domain + account("seed", "/home/vmail/domains") +
                                  account("same", base_.string() + "/"));
  ASSERT_TRUE(report) << report.error().describe();
  ASSERT_EQ(report->warnings.size(), 1u);
  const std::string& w = report->warnings[0];
  EXPECT_NE(
      w.find("1 account has a homeDirectory other than [storage] virtual_base " + base_.string()),
      std::string::npos)
      << w;
  EXPECT_NE(w.find("seed@d.example: /home/vmail/domains"), std::string::npos) << w;
  // Importing it again changes no account, and says nothing more.
  auto again = admin.import_ldif(account("seed", "/home/vmail/domains"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->warnings.empty());
}

TEST_F(AdminServiceTest, Aliases) {
  auto admin = as_superuser();
  must(admin.add_domain("example.org", ""));
  must(admin.add_alias("@example.org", {"boss@elsewhere.example"}));
  must(admin.add_alias("team@example.org", {"a@elsewhere.example", "localuser"}));
  must(admin.add_alias("team@example.org", {"b@elsewhere.example"}));
  EXPECT_EQ(dir_.find_alias("team@example.org").value()->maildrops,
            (std::vector<std::string>{"a@elsewhere.example", "localuser", "b@elsewhere.example"}));
  EXPECT_EQ(admin.add_alias("self@example.org", {"self@example.org"}).error().kind(),
            ErrorKind::kInvalid);
  EXPECT_EQ(admin.add_alias("x@example.org", {"Not Valid"}).error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(admin.add_alias("x@example.org", {}).error().kind(), ErrorKind::kInvalid);
  must(admin.delete_alias("team@example.org", "localuser"));
  EXPECT_EQ(dir_.find_alias("team@example.org").value()->maildrops.size(), 2u);
  must(admin.delete_alias("team@example.org", ""));
  EXPECT_FALSE(dir_.find_alias("team@example.org").value().has_value());
  EXPECT_EQ(admin.list_aliases("example.org").value().size(), 3u);  // postmaster, abuse, @
}

TEST_F(AdminServiceTest, OutageIsTemporaryForAdminToo) {
  auto admin = as_superuser();
  dir_.set_unavailable(true);
  EXPECT_EQ(admin.add_domain("example.org", "").error().kind(), ErrorKind::kTemporary);
}

// Issue 12: the caller is an identity, and its roles are read again by every
// call, so a session (a web login, one service object) never acts on rights
// it has lost, and gets rights it was given at once.
TEST_F(AdminServiceTest, RolesAreReadAgainOnEveryCall) {
  auto admin = as_superuser();
  must(admin.add_domain("one.example", ""));
  ASSERT_TRUE(admin.add_account("pm@one.example", std::string("pw"), 0));
  auto pm = as("pm@one.example");  // "logged in" before holding any role
  EXPECT_EQ(pm.add_account("a@one.example", std::string("pw"), 0).error().kind(),
            ErrorKind::kPermission);

  must(admin.grant_postmaster("one.example", "pm@one.example"));
  ASSERT_TRUE(pm.add_account("a@one.example", std::string("pw"), 0));
  EXPECT_EQ(pm.list_domains().value().size(), 1u);

  must(admin.revoke_postmaster("one.example", "pm@one.example"));
  auto refused = pm.add_account("b@one.example", std::string("pw"), 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.delete_account("a@one.example").error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(pm.list_domains().value().empty());
  EXPECT_FALSE(dir_.find_account("b@one.example").value().has_value());
  // What any account may do to itself stays.
  must(pm.set_password("pm@one.example", "new"));
}

TEST_F(AdminServiceTest, DeletedAccountKeepsNoRight) {
  auto admin = as_superuser();
  auto pm = postmaster_of_one();
  ASSERT_TRUE(pm.principal());
  EXPECT_EQ(pm.principal()->postmaster_of, (std::vector<std::string>{"one.example"}));
  must(admin.delete_account("pm@one.example"));
  EXPECT_EQ(pm.principal().error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.list_accounts("one.example").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.set_password("pm@one.example", "x").error().kind(), ErrorKind::kPermission);
}

TEST_F(AdminServiceTest, RolesCannotBeReadWhileTheDirectoryIsDown) {
  auto pm = postmaster_of_one();
  dir_.set_unavailable(true);
  EXPECT_EQ(pm.list_accounts("one.example").error().kind(), ErrorKind::kTemporary);
}

TEST_F(AdminServiceTest, DomainListCountsAccountsAndAliases) {
  auto admin = as_superuser();
  must(admin.add_domain("one.example", ""));
  must(admin.add_domain("two.example", ""));
  ASSERT_TRUE(admin.add_account("a@one.example", std::string("pw"), 0));
  must(admin.add_alias("x@one.example", {"a@one.example"}));
  auto domains = admin.list_domains();
  ASSERT_TRUE(domains) << domains.error().describe();
  ASSERT_EQ(domains->size(), 2u);
  EXPECT_EQ((*domains)[0].name, "one.example");
  EXPECT_EQ((*domains)[0].accounts, 1u);
  EXPECT_EQ((*domains)[0].aliases, 3u);  // postmaster@, abuse@, x@
  EXPECT_EQ((*domains)[1].accounts, 0u);
  EXPECT_EQ((*domains)[1].aliases, 2u);
}

TEST_F(AdminServiceTest, ShowAccountNamesItsRolesAndAForeignHome) {
  auto admin = as_superuser();
  must(admin.add_domain("one.example", ""));
  auto a = admin.add_account("pm@one.example", std::string("pw"), 0);
  ASSERT_TRUE(a);
  must(admin.grant_postmaster("one.example", "pm@one.example"));
  auto shown = admin.show_account("PM@one.example");
  ASSERT_TRUE(shown) << shown.error().describe();
  EXPECT_EQ(shown->account, *a);
  EXPECT_EQ(shown->postmaster_of, (std::vector<std::string>{"one.example"}));
  EXPECT_FALSE(shown->home_warning);

  directory::Account moved = *a;
  moved.home_directory = "/elsewhere";
  must(dir_.update_account({"admin", ""}, moved));
  shown = as("pm@one.example").show_account("pm@one.example");
  ASSERT_TRUE(shown);
  ASSERT_TRUE(shown->home_warning);
  EXPECT_NE(shown->home_warning->find("pm@one.example: /elsewhere"), std::string::npos)
      << *shown->home_warning;
}

TEST_F(AdminServiceTest, RestoredDirectoryNeverHandsOutARetiredMailbox) {
  auto admin = as_superuser();
  ASSERT_TRUE(admin.add_domain("example.org", ""));
  ASSERT_TRUE(admin.add_account("alice@example.org", std::nullopt, 0));
  ASSERT_TRUE(admin.delete_account("alice@example.org"));
  auto backup = admin.export_ldif(directory::kDefaultLdifBase);
  ASSERT_TRUE(backup) << backup.error().describe();

  directory::memory::MemoryDirectory restored;
  OpenResources restored_resources(restored);
  AdminService again(restored_resources, options_, {Principal::Kind::kSuperuser, "admin", {}});
  ASSERT_TRUE(again.import_ldif(*backup));
  EXPECT_TRUE(restored.is_mailbox_retired("example.org/alice/").value());
  auto alice = again.add_account("alice@example.org", std::nullopt, 0);
  ASSERT_TRUE(alice) << alice.error().describe();
  EXPECT_EQ(alice->mailbox, "example.org/alice.2/");
}

}  // namespace
}  // namespace hm::admin
