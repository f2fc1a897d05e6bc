// The contract of hm::directory::Directory (directory.h), run unchanged over
// every backend in directory_backends(). A behaviour tested here is one that
// the resolver and the administration (src/admin) may rely on whatever the
// backend; behaviour of one backend alone goes in its own test file.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "directory/directory.h"
#include "test_backends.h"

namespace hm::directory::testing {
namespace {

using Strings = std::vector<std::string>;

class DirectoryContractTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      std::string reason = GetParam().unavailable();
      if (!reason.empty()) GTEST_SKIP() << GetParam().name << " unavailable: " << reason;
    }
    auto made = GetParam().make(scratch_.path());
    ASSERT_TRUE(is_ok(made));
    dir_ = std::move(*made);
  }

  Directory& dir() { return *dir_; }

  void add_domain(const std::string& name, const std::vector<Alias>& aliases = {}) {
    ASSERT_TRUE(is_ok(dir_->add_domain(actor_, Domain{name}, aliases))) << name;
  }

  // An account as `hostmail account add` would make it: mailbox under the
  // domain, every attribute set so that round trips are checked field by field.
  static Account account(const std::string& address) {
    size_t at = address.rfind('@');
    Account a;
    a.address = address;
    a.password_hash = "{SSHA}" + address;
    a.name = "Name of " + address.substr(0, at);
    a.home_directory = "";
    a.mailbox = address.substr(at + 1) + "/" + address.substr(0, at) + "/";
    a.uid_number = 5000;
    a.gid_number = 5000;
    a.quota_bytes = 0;
    return a;
  }

  void add_account(const std::string& address) {
    ASSERT_TRUE(is_ok(dir_->add_account(actor_, account(address)))) << address;
  }

  void add_alias(const std::string& address, const Strings& maildrops) {
    ASSERT_TRUE(is_ok(dir_->add_alias(actor_, Alias{address, maildrops}))) << address;
  }

  Strings domain_names() {
    auto domains = dir_->list_domains();
    EXPECT_TRUE(is_ok(domains));
    Strings names;
    if (domains) {
      for (const Domain& d : *domains) names.push_back(d.name);
    }
    return names;
  }

  Strings account_addresses(std::string_view domain) {
    auto accounts = dir_->list_accounts(domain);
    EXPECT_TRUE(is_ok(accounts));
    Strings addresses;
    if (accounts) {
      for (const Account& a : *accounts) addresses.push_back(a.address);
    }
    return addresses;
  }

  Strings alias_addresses(std::string_view domain) {
    auto aliases = dir_->list_aliases(domain);
    EXPECT_TRUE(is_ok(aliases));
    Strings addresses;
    if (aliases) {
      for (const Alias& a : *aliases) addresses.push_back(a.address);
    }
    return addresses;
  }

  // The maildrops of an alias; empty if it does not exist.
  Strings maildrops(std::string_view address) {
    auto alias = dir_->find_alias(address);
    EXPECT_TRUE(is_ok(alias));
    if (!alias || !*alias) return {};
    return (*alias)->maildrops;
  }

  Strings postmasters(std::string_view domain) {
    auto occupants = dir_->postmasters(domain);
    EXPECT_TRUE(is_ok(occupants));
    return occupants ? *occupants : Strings{};
  }

  bool retired(std::string_view mailbox) {
    auto r = dir_->is_mailbox_retired(mailbox);
    EXPECT_TRUE(is_ok(r));
    return r && *r;
  }

  ScratchDir scratch_;
  std::unique_ptr<Directory> dir_;
  Actor actor_{"admin", ""};
};

// ---- an empty directory ----

TEST_P(DirectoryContractTest, EmptyDirectoryFindsNothing) {
  auto domain = dir().find_domain("example.org");
  ASSERT_TRUE(is_ok(domain));
  EXPECT_FALSE(domain->has_value());
  auto acct = dir().find_account("alice@example.org");
  ASSERT_TRUE(is_ok(acct));
  EXPECT_FALSE(acct->has_value());
  auto alias = dir().find_alias("alice@example.org");
  ASSERT_TRUE(is_ok(alias));
  EXPECT_FALSE(alias->has_value());
  EXPECT_TRUE(domain_names().empty());
  EXPECT_TRUE(account_addresses("").empty());
  EXPECT_TRUE(alias_addresses("").empty());
  EXPECT_TRUE(postmasters("example.org").empty());
  auto administered = dir().domains_administered_by("alice@example.org");
  ASSERT_TRUE(is_ok(administered));
  EXPECT_TRUE(administered->empty());
  EXPECT_FALSE(retired("example.org/alice/"));
  EXPECT_FALSE(dir().describe().empty());
}

// ---- domains ----

TEST_P(DirectoryContractTest, AddDomainThenFindIt) {
  add_domain("example.org");
  auto found = dir().find_domain("example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, Domain{"example.org"});
  auto other = dir().find_domain("example.net");
  ASSERT_TRUE(is_ok(other));
  EXPECT_FALSE(other->has_value());
}

TEST_P(DirectoryContractTest, AddDomainTwiceIsExists) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().add_domain(actor_, Domain{"example.org"}, {}), ErrorKind::kExists,
                       {"example.org", "already exists"}));
  EXPECT_EQ(domain_names(), Strings{"example.org"});
}

TEST_P(DirectoryContractTest, AddDomainWithEmptyNameIsInvalid) {
  EXPECT_TRUE(is_error(dir().add_domain(actor_, Domain{""}, {}), ErrorKind::kInvalid));
  EXPECT_TRUE(domain_names().empty());
}

TEST_P(DirectoryContractTest, AddDomainCreatesInitialAliases) {
  add_domain("example.org", {Alias{"postmaster@example.org", {"alice@example.org"}},
                             Alias{"abuse@example.org", {"alice@example.org", "root"}}});
  EXPECT_EQ(maildrops("postmaster@example.org"), Strings{"alice@example.org"});
  EXPECT_EQ(maildrops("abuse@example.org"), (Strings{"alice@example.org", "root"}));
  EXPECT_EQ(alias_addresses("example.org"),
            (Strings{"abuse@example.org", "postmaster@example.org"}));
}

TEST_P(DirectoryContractTest, AddDomainIsAtomicWhenAnInitialAliasFails) {
  // The second alias lies in a domain that is not hosted: nothing may remain,
  // neither the domain nor the first alias.
  EXPECT_TRUE(is_error(dir().add_domain(actor_, Domain{"example.org"},
                                        {Alias{"postmaster@example.org", {"alice@example.org"}},
                                         Alias{"abuse@example.net", {"alice@example.org"}}}),
                       ErrorKind::kNotFound, {"example.net", "hostmail domain add"}));
  EXPECT_TRUE(domain_names().empty());
  EXPECT_TRUE(alias_addresses("").empty());

  EXPECT_TRUE(is_error(
      dir().add_domain(actor_, Domain{"example.org"}, {Alias{"postmaster@example.org", {}}}),
      ErrorKind::kInvalid, {"postmaster@example.org"}));
  EXPECT_TRUE(domain_names().empty());
  EXPECT_TRUE(alias_addresses("").empty());

  // And the domain can then be added properly.
  add_domain("example.org", {Alias{"postmaster@example.org", {"alice@example.org"}}});
  EXPECT_EQ(alias_addresses(""), Strings{"postmaster@example.org"});
}

TEST_P(DirectoryContractTest, ListDomainsIsSorted) {
  add_domain("example.org");
  add_domain("b.example");
  add_domain("xn--bcher-kva.example");
  add_domain("a.example");
  EXPECT_EQ(domain_names(),
            (Strings{"a.example", "b.example", "example.org", "xn--bcher-kva.example"}));
}

TEST_P(DirectoryContractTest, DeleteAbsentDomainIsNotFound) {
  EXPECT_TRUE(
      is_error(dir().delete_domain(actor_, "example.org"), ErrorKind::kNotFound, {"example.org"}));
}

TEST_P(DirectoryContractTest, DeleteDomainRemovesEverythingInIt) {
  add_domain("example.org", {Alias{"postmaster@example.org", {"alice@example.org"}}});
  add_domain("example.net");
  add_account("alice@example.org");
  add_account("bob@example.org");
  add_account("carol@example.net");
  add_alias("@example.org", {"alice@example.org"});
  add_alias("info@example.net", {"alice@example.org"});
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "alice@example.org")));
  // alice administers the other domain too; she goes with her domain.
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.net", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.net", "carol@example.net")));

  ASSERT_TRUE(is_ok(dir().delete_domain(actor_, "example.org")));

  EXPECT_EQ(domain_names(), Strings{"example.net"});
  EXPECT_EQ(account_addresses(""), Strings{"carol@example.net"});
  EXPECT_EQ(alias_addresses(""), Strings{"info@example.net"});
  EXPECT_TRUE(postmasters("example.org").empty());
  EXPECT_EQ(postmasters("example.net"), Strings{"carol@example.net"});
  auto administered = dir().domains_administered_by("alice@example.org");
  ASSERT_TRUE(is_ok(administered));
  EXPECT_TRUE(administered->empty());
  // A re-created domain must not hand the old mailboxes out again.
  EXPECT_TRUE(retired("example.org/alice/"));
  EXPECT_TRUE(retired("example.org/bob/"));
  EXPECT_FALSE(retired("example.net/carol/"));

  // Re-added, the domain starts empty.
  add_domain("example.org");
  EXPECT_TRUE(account_addresses("example.org").empty());
  EXPECT_TRUE(alias_addresses("example.org").empty());
  EXPECT_TRUE(postmasters("example.org").empty());
}

// ---- accounts ----

TEST_P(DirectoryContractTest, AccountRoundTripsEveryAttribute) {
  add_domain("example.org");
  Account a;
  a.address = "alice@example.org";
  a.password_hash = "{SSHA}abcdefghijklmnopqrstuvwxyz0123456789";
  a.name = "Alice Liddell";
  a.home_directory = "/srv/mail/special";
  a.mailbox = "example.org/alice/";
  a.uid_number = 4294967295u;
  a.gid_number = 123;
  a.quota_bytes = 18446744073709551615ull;  // the largest quota must survive storage
  a.disable_imap = true;
  a.disable_pop3 = false;
  ASSERT_TRUE(is_ok(dir().add_account(actor_, a)));
  auto found = dir().find_account("alice@example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, a);

  Account b = account("bob@example.org");
  b.name = "";
  b.password_hash = "";
  b.quota_bytes = 1ull << 40;
  b.disable_pop3 = true;
  ASSERT_TRUE(is_ok(dir().add_account(actor_, b)));
  auto listed = dir().list_accounts("example.org");
  ASSERT_TRUE(is_ok(listed));
  EXPECT_EQ(*listed, (std::vector<Account>{a, b}));
}

TEST_P(DirectoryContractTest, AddAccountTwiceIsExists) {
  add_domain("example.org");
  add_account("alice@example.org");
  Account again = account("alice@example.org");
  again.name = "Another Alice";
  EXPECT_TRUE(is_error(dir().add_account(actor_, again), ErrorKind::kExists,
                       {"account alice@example.org already exists"}));
  auto found = dir().find_account("alice@example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, account("alice@example.org"));
}

// Two accounts with one Maildir would read each other's mail (issue 11.3):
// every backend refuses the second, whether added or changed to it, and
// "d/u" and "d/u/" are the same folder.
TEST_P(DirectoryContractTest, AnotherAccountsMailboxIsExists) {
  add_domain("example.org");
  add_account("alice@example.org");
  Account bob = account("bob@example.org");
  bob.mailbox = "example.org/alice";
  EXPECT_TRUE(is_error(dir().add_account(actor_, bob), ErrorKind::kExists,
                       {"example.org/alice", "alice@example.org"}));
  add_account("bob@example.org");
  bob = account("bob@example.org");
  bob.mailbox = "example.org/alice/";
  EXPECT_TRUE(
      is_error(dir().update_account(actor_, bob), ErrorKind::kExists, {"alice@example.org"}));
  auto found = dir().find_account("bob@example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->mailbox, "example.org/bob/");
  // Its own mailbox again is no conflict.
  EXPECT_TRUE(is_ok(dir().update_account(actor_, account("bob@example.org"))));
}

// Issue 11.15: a backup carries the retired mailboxes, and a restore puts
// them back, whichever backend holds them (LDIF export/import use these).
TEST_P(DirectoryContractTest, RetiredMailboxesAreListedAndRestored) {
  add_domain("example.org");
  add_account("alice@example.org");
  ASSERT_TRUE(is_ok(dir().delete_account(actor_, "alice@example.org")));
  auto listed = dir().list_retired_mailboxes();
  ASSERT_TRUE(is_ok(listed));
  ASSERT_TRUE(listed->has_value());
  EXPECT_EQ(**listed, Strings{"example.org/alice/"});
  ASSERT_TRUE(is_ok(dir().retire_mailboxes(
      actor_, {"example.org/bob/", "gone.example/carol/", "example.org/alice/"})));
  listed = dir().list_retired_mailboxes();
  ASSERT_TRUE(is_ok(listed));
  ASSERT_TRUE(listed->has_value());
  EXPECT_EQ(**listed, (Strings{"example.org/alice/", "example.org/bob/", "gone.example/carol/"}));
  for (const char* path : {"example.org/bob/", "gone.example/carol/"}) {
    auto retired = dir().is_mailbox_retired(path);
    ASSERT_TRUE(is_ok(retired));
    EXPECT_TRUE(*retired) << path;
  }
}

TEST_P(DirectoryContractTest, AddAccountOnAnAliasAddressIsExists) {
  add_domain("example.org");
  add_alias("info@example.org", {"bob@example.org"});
  EXPECT_TRUE(is_error(dir().add_account(actor_, account("info@example.org")), ErrorKind::kExists,
                       {"info@example.org", "alias"}));
  EXPECT_TRUE(account_addresses("").empty());
}

TEST_P(DirectoryContractTest, AddAccountInUnhostedDomainIsNotFound) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().add_account(actor_, account("alice@example.net")),
                       ErrorKind::kNotFound,
                       {"domain example.net is not hosted", "hostmail domain add example.net"}));
  EXPECT_TRUE(account_addresses("").empty());
}

TEST_P(DirectoryContractTest, AddAccountWithMalformedAddressIsInvalid) {
  add_domain("example.org");
  for (const char* address : {"alice", "@example.org", "alice@", ""}) {
    Account a = account("x@example.org");
    a.address = address;
    EXPECT_TRUE(is_error(dir().add_account(actor_, a), ErrorKind::kInvalid)) << address;
  }
  EXPECT_TRUE(account_addresses("").empty());
}

TEST_P(DirectoryContractTest, AccountDomainIsThePartAfterTheLastAt) {
  add_domain("example.org");
  add_account("\"a@b\"@example.org");
  EXPECT_EQ(account_addresses("example.org"), Strings{"\"a@b\"@example.org"});
}

TEST_P(DirectoryContractTest, UpdateAccountReplacesEveryAttributeButTheAddress) {
  add_domain("example.org");
  add_account("alice@example.org");
  Account changed = account("alice@example.org");
  changed.password_hash = "{SHA}new";
  changed.name = "Alice Changed";
  changed.home_directory = "/elsewhere";
  changed.mailbox = "example.org/alice2/";
  changed.uid_number = 6000;
  changed.gid_number = 6001;
  changed.quota_bytes = 1000000;
  changed.disable_imap = true;
  changed.disable_pop3 = true;
  ASSERT_TRUE(is_ok(dir().update_account(actor_, changed)));
  auto found = dir().find_account("alice@example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, changed);

  // Updating with the same values again is fine.
  EXPECT_TRUE(is_ok(dir().update_account(actor_, changed)));
}

TEST_P(DirectoryContractTest, UpdateAbsentAccountIsNotFound) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().update_account(actor_, account("alice@example.org")),
                       ErrorKind::kNotFound, {"account alice@example.org does not exist"}));
  EXPECT_TRUE(account_addresses("").empty());
}

TEST_P(DirectoryContractTest, DeleteAccountRetiresMailboxAndRemovesRoles) {
  add_domain("example.org");
  add_domain("example.net");
  add_account("alice@example.org");
  add_account("bob@example.org");
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "bob@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.net", "alice@example.org")));

  ASSERT_TRUE(is_ok(dir().delete_account(actor_, "alice@example.org")));

  auto found = dir().find_account("alice@example.org");
  ASSERT_TRUE(is_ok(found));
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(account_addresses(""), Strings{"bob@example.org"});
  EXPECT_EQ(postmasters("example.org"), Strings{"bob@example.org"});
  EXPECT_TRUE(postmasters("example.net").empty());
  auto administered = dir().domains_administered_by("alice@example.org");
  ASSERT_TRUE(is_ok(administered));
  EXPECT_TRUE(administered->empty());
  EXPECT_TRUE(retired("example.org/alice/"));
  EXPECT_FALSE(retired("example.org/bob/"));

  // The address is free again; the old mailbox stays retired.
  Account again = account("alice@example.org");
  again.mailbox = "example.org/alice.2/";
  ASSERT_TRUE(is_ok(dir().add_account(actor_, again)));
  EXPECT_TRUE(retired("example.org/alice/"));
  EXPECT_FALSE(retired("example.org/alice.2/"));
}

TEST_P(DirectoryContractTest, DeleteAbsentAccountIsNotFound) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().delete_account(actor_, "alice@example.org"), ErrorKind::kNotFound,
                       {"account alice@example.org does not exist"}));
  // An alias is no account.
  add_alias("info@example.org", {"bob@example.org"});
  EXPECT_TRUE(is_error(dir().delete_account(actor_, "info@example.org"), ErrorKind::kNotFound));
  EXPECT_EQ(maildrops("info@example.org"), Strings{"bob@example.org"});
}

TEST_P(DirectoryContractTest, ListAccountsPerDomainAndAllSorted) {
  add_domain("example.org");
  add_domain("example.net");
  add_account("zoe@example.org");
  add_account("bob@example.net");
  add_account("alice@example.org");
  add_account("adam@example.net");
  EXPECT_EQ(account_addresses("example.org"), (Strings{"alice@example.org", "zoe@example.org"}));
  EXPECT_EQ(account_addresses("example.net"), (Strings{"adam@example.net", "bob@example.net"}));
  EXPECT_EQ(account_addresses(""), (Strings{"adam@example.net", "alice@example.org",
                                            "bob@example.net", "zoe@example.org"}));
  EXPECT_TRUE(account_addresses("example.com").empty());
}

// ---- aliases ----

TEST_P(DirectoryContractTest, AddAliasCreatesItWithMaildropsInGivenOrder) {
  add_domain("example.org");
  add_alias("team@example.org", {"zoe@example.org", "alice@example.org", "root"});
  auto found = dir().find_alias("team@example.org");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, (Alias{"team@example.org", {"zoe@example.org", "alice@example.org", "root"}}));
}

TEST_P(DirectoryContractTest, AddAliasAppendsAndSkipsDuplicates) {
  add_domain("example.org");
  add_alias("team@example.org", {"b@example.net", "a@example.net"});
  add_alias("team@example.org", {"a@example.net", "c@example.net", "c@example.net"});
  EXPECT_EQ(maildrops("team@example.org"),
            (Strings{"b@example.net", "a@example.net", "c@example.net"}));
  // Adding only known maildrops changes nothing and is no error.
  add_alias("team@example.org", {"b@example.net"});
  EXPECT_EQ(maildrops("team@example.org"),
            (Strings{"b@example.net", "a@example.net", "c@example.net"}));
}

TEST_P(DirectoryContractTest, AddAliasOnAnAccountAddressIsExists) {
  add_domain("example.org");
  add_account("alice@example.org");
  EXPECT_TRUE(is_error(dir().add_alias(actor_, Alias{"alice@example.org", {"bob@example.org"}}),
                       ErrorKind::kExists, {"alice@example.org", "account"}));
  EXPECT_TRUE(alias_addresses("").empty());
}

TEST_P(DirectoryContractTest, AddAliasInUnhostedDomainIsNotFound) {
  EXPECT_TRUE(is_error(dir().add_alias(actor_, Alias{"info@example.org", {"bob@example.org"}}),
                       ErrorKind::kNotFound, {"example.org", "hostmail domain add"}));
  EXPECT_TRUE(is_error(dir().add_alias(actor_, Alias{"@example.org", {"bob@example.org"}}),
                       ErrorKind::kNotFound, {"example.org"}));
}

TEST_P(DirectoryContractTest, AddMalformedAliasIsInvalid) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().add_alias(actor_, Alias{"info@example.org", {}}), ErrorKind::kInvalid,
                       {"info@example.org", "maildrop"}));
  EXPECT_TRUE(is_error(dir().add_alias(actor_, Alias{"info@example.org", {"a@example.net", ""}}),
                       ErrorKind::kInvalid, {"info@example.org"}));
  EXPECT_TRUE(
      is_error(dir().add_alias(actor_, Alias{"info", {"a@example.net"}}), ErrorKind::kInvalid));
  EXPECT_TRUE(
      is_error(dir().add_alias(actor_, Alias{"info@", {"a@example.net"}}), ErrorKind::kInvalid));
  EXPECT_TRUE(alias_addresses("").empty());
}

TEST_P(DirectoryContractTest, CatchAllIsTheAliasAtDomain) {
  add_domain("example.org");
  add_alias("@example.org", {"alice@example.org"});
  EXPECT_EQ(maildrops("@example.org"), Strings{"alice@example.org"});
  // Lookups are exact: the catch-all is not found under another address.
  auto other = dir().find_alias("nobody@example.org");
  ASSERT_TRUE(is_ok(other));
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(alias_addresses("example.org"), Strings{"@example.org"});
  // No account can have a catch-all address.
  EXPECT_TRUE(is_error(dir().add_account(actor_, account("@example.org")), ErrorKind::kInvalid));
  ASSERT_TRUE(is_ok(dir().delete_alias(actor_, "@example.org", "")));
  EXPECT_TRUE(alias_addresses("").empty());
}

TEST_P(DirectoryContractTest, DeleteOneMaildropKeepsTheOthersInOrder) {
  add_domain("example.org");
  add_alias("team@example.org", {"a@example.net", "b@example.net", "c@example.net"});
  ASSERT_TRUE(is_ok(dir().delete_alias(actor_, "team@example.org", "b@example.net")));
  EXPECT_EQ(maildrops("team@example.org"), (Strings{"a@example.net", "c@example.net"}));
  // Appending after a removal still goes to the end.
  add_alias("team@example.org", {"b@example.net"});
  EXPECT_EQ(maildrops("team@example.org"),
            (Strings{"a@example.net", "c@example.net", "b@example.net"}));
}

TEST_P(DirectoryContractTest, DeleteLastMaildropRemovesTheAlias) {
  add_domain("example.org");
  add_alias("team@example.org", {"a@example.net", "b@example.net"});
  ASSERT_TRUE(is_ok(dir().delete_alias(actor_, "team@example.org", "a@example.net")));
  ASSERT_TRUE(is_ok(dir().delete_alias(actor_, "team@example.org", "b@example.net")));
  auto found = dir().find_alias("team@example.org");
  ASSERT_TRUE(is_ok(found));
  EXPECT_FALSE(found->has_value());
  EXPECT_TRUE(alias_addresses("").empty());
  // Once gone, the address may become an account.
  add_account("team@example.org");
}

TEST_P(DirectoryContractTest, DeleteWholeAliasWithEmptyMaildrop) {
  add_domain("example.org");
  add_alias("team@example.org", {"a@example.net", "b@example.net"});
  add_alias("other@example.org", {"a@example.net"});
  ASSERT_TRUE(is_ok(dir().delete_alias(actor_, "team@example.org", "")));
  EXPECT_TRUE(maildrops("team@example.org").empty());
  EXPECT_EQ(alias_addresses(""), Strings{"other@example.org"});
}

TEST_P(DirectoryContractTest, DeleteAbsentAliasOrMaildropIsNotFound) {
  add_domain("example.org");
  EXPECT_TRUE(is_error(dir().delete_alias(actor_, "team@example.org", ""), ErrorKind::kNotFound,
                       {"alias team@example.org does not exist"}));
  EXPECT_TRUE(is_error(dir().delete_alias(actor_, "team@example.org", "a@example.net"),
                       ErrorKind::kNotFound, {"alias team@example.org does not exist"}));
  add_alias("team@example.org", {"a@example.net"});
  EXPECT_TRUE(is_error(dir().delete_alias(actor_, "team@example.org", "b@example.net"),
                       ErrorKind::kNotFound,
                       {"alias team@example.org has no maildrop b@example.net"}));
  EXPECT_EQ(maildrops("team@example.org"), Strings{"a@example.net"});
  // An account is no alias.
  add_account("alice@example.org");
  EXPECT_TRUE(is_error(dir().delete_alias(actor_, "alice@example.org", ""), ErrorKind::kNotFound));
}

TEST_P(DirectoryContractTest, ListAliasesPerDomainAndAllSorted) {
  add_domain("example.org");
  add_domain("example.net");
  add_alias("webmaster@example.org", {"a@example.net"});
  add_alias("abuse@example.org", {"a@example.net", "b@example.net"});
  add_alias("@example.org", {"c@example.net"});
  add_alias("info@example.net", {"a@example.net"});
  auto listed = dir().list_aliases("example.org");
  ASSERT_TRUE(is_ok(listed));
  EXPECT_EQ(*listed, (std::vector<Alias>{
                         Alias{"@example.org", {"c@example.net"}},
                         Alias{"abuse@example.org", {"a@example.net", "b@example.net"}},
                         Alias{"webmaster@example.org", {"a@example.net"}},
                     }));
  EXPECT_EQ(alias_addresses(""), (Strings{"@example.org", "abuse@example.org", "info@example.net",
                                          "webmaster@example.org"}));
  EXPECT_TRUE(alias_addresses("example.com").empty());
}

// ---- postmaster role ----

TEST_P(DirectoryContractTest, GrantPostmasterKeepsOrderAndIgnoresRepeats) {
  add_domain("example.org");
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "zoe@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "zoe@example.org")));
  EXPECT_EQ(postmasters("example.org"), (Strings{"zoe@example.org", "alice@example.org"}));
}

TEST_P(DirectoryContractTest, GrantPostmasterInUnhostedDomainIsNotFound) {
  EXPECT_TRUE(is_error(dir().grant_postmaster(actor_, "example.org", "alice@example.org"),
                       ErrorKind::kNotFound, {"example.org"}));
  EXPECT_TRUE(postmasters("example.org").empty());
}

TEST_P(DirectoryContractTest, RevokePostmaster) {
  add_domain("example.org");
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "bob@example.org")));
  ASSERT_TRUE(is_ok(dir().revoke_postmaster(actor_, "example.org", "alice@example.org")));
  EXPECT_EQ(postmasters("example.org"), Strings{"bob@example.org"});
  EXPECT_TRUE(is_error(dir().revoke_postmaster(actor_, "example.org", "alice@example.org"),
                       ErrorKind::kNotFound, {"alice@example.org", "example.org"}));
  EXPECT_TRUE(is_error(dir().revoke_postmaster(actor_, "example.net", "bob@example.org"),
                       ErrorKind::kNotFound, {"example.net"}));
  ASSERT_TRUE(is_ok(dir().revoke_postmaster(actor_, "example.org", "bob@example.org")));
  EXPECT_TRUE(postmasters("example.org").empty());
}

TEST_P(DirectoryContractTest, DomainsAdministeredByIsSorted) {
  add_domain("example.org");
  add_domain("example.net");
  add_domain("a.example");
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.org", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "example.net", "alice@example.org")));
  ASSERT_TRUE(is_ok(dir().grant_postmaster(actor_, "a.example", "bob@example.org")));
  auto administered = dir().domains_administered_by("alice@example.org");
  ASSERT_TRUE(is_ok(administered));
  EXPECT_EQ(*administered, (Strings{"example.net", "example.org"}));
  administered = dir().domains_administered_by("bob@example.org");
  ASSERT_TRUE(is_ok(administered));
  EXPECT_EQ(*administered, Strings{"a.example"});
}

// ---- the rest of the interface ----

TEST_P(DirectoryContractTest, ConcurrentChangesFromManyThreadsAllLand) {
  add_domain("example.org");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string address = "user" + std::to_string(t) + "-" + std::to_string(i) + "@example.org";
        if (!dir().add_account(actor_, account(address))) ++failures[t];
        // Read-your-writes: the account just added is found, with the
        // fields it was added with, not merely looked up without an error.
        auto found = dir().find_account(address);
        if (!found || !found->has_value() || **found != account(address)) ++failures[t];
        if (!dir().add_alias(actor_, Alias{"@example.org", {address}})) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(account_addresses("example.org").size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(maildrops("@example.org").size(), size_t{kThreads * kPerThread});
}

TEST_P(DirectoryContractTest, PasswordVerificationIsLeftToTheAuthenticatorByDefault) {
  if (dir().verifies_passwords()) GTEST_SKIP() << "this backend verifies passwords itself";
  EXPECT_TRUE(is_error(dir().verify_password("alice@example.org", "secret"), ErrorKind::kInternal));
}

INSTANTIATE_TEST_SUITE_P(Contract, DirectoryContractTest, ::testing::ValuesIn(directory_backends()),
                         [](const ::testing::TestParamInfo<BackendFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace hm::directory::testing
