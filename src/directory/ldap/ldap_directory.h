#pragma once
// hm::directory::ldap::LdapDirectory: the directory kept in an OpenLDAP
// server, in the seed's tree (see model.h and docs/ldap.md):
//
//   <base>                                      e.g. o=hosting,dc=myhosting,dc=example
//     o=<domain>                    organization
//       cn=postmaster               organizationalRole (+ CourierMailAlias when the
//                                   postmaster@<domain> alias exists); roleOccupant DNs
//       mail=<address>              inetOrgPerson + CourierMailAccount
//       mail=<address>              nisMailAlias + CourierMailAlias ("@domain": catch-all)
//       cn=retired-mailboxes        organizationalRole; description = retired mailbox paths
//     cn=retired-mailboxes          the same, for mailboxes of deleted domains
//
// Lookups use Postfix-style filters (ldap_filter.h), so accounts and aliases
// may sit anywhere below the base; new entries are written at the DNs above.
// Listings search below the base by object class.
//
// Authentication: with auth "bind" (verifies_passwords() true) a password is
// checked by binding as the account's DN; with "compare" the Authenticator
// compares the userPassword it reads.
//
// Writes bind as the Actor when it carries a password (the superuser's name
// maps to bind_dn), so slapd's access rules decide as well; otherwise as
// bind_dn. LDAP has no multi-entry transactions: a change that touches several
// entries (add_domain with its aliases, delete_domain, delete_account) checks
// what it can first and undoes what it did when a later step fails.
//
// Server unreachable, timeouts and a full pool are kTemporary. Lookups go
// through a short cache (cache_ttl) of the entries found (a miss is always
// asked live) that every write through this object clears. Writes by others
// show at once when follow_changes is on and the server offers content
// synchronization (ldap_change_follower.h: every change notification clears
// the caches), else after the TTL.
//
// Recipient resolution asks find_alias_or_account, answered with one search
// (the OR of alias_filter and account_filter) when both filters have the
// default shape with the same attribute (ldap_filter.h, parse_class_filter):
// then an entry's objectClass values tell exactly which filter it matched.
// Other filters get the two searches of find_alias and find_account.
//
// Thread-safety: every method may be called from any thread; calls share a
// pool of pool_size connections (0: as many as callers at the same time).

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "directory/ldap/ldap_cache.h"
#include "directory/ldap/ldap_change_follower.h"
#include "directory/ldap/ldap_connection.h"

namespace hm::directory::ldap {

struct LdapOptions {
  std::vector<std::string> uris;  // tried in order
  std::string base;
  std::string bind_dn;  // empty: anonymous
  std::string bind_password;
  bool auth_by_bind = true;
  std::chrono::milliseconds timeout{5000};
  std::chrono::seconds cache_ttl{30};
  // Connections for lookups and writes, and as many for password binds; 0
  // means one per concurrent caller, so that callers never wait for one.
  int pool_size = 0;
  std::string account_filter = "(&(mail=%s)(objectClass=CourierMailAccount))";
  std::string alias_filter = "(&(mail=%s)(objectClass=CourierMailAlias))";
  std::string domain_filter = "(&(o=%d)(objectClass=organization))";
  std::string account_attribute = "mailbox";
  std::string alias_attribute = "maildrop";
  // Written as homeDirectory for accounts without one (the schema requires
  // it) and read back as "none": [storage] virtual_base.
  std::string default_home = "/var/vmail/domains";
  std::string superuser = "admin";  // an Actor of this name writes as bind_dn
  // Follow changes made by other tools to keep the cache coherent (see
  // ldap_change_follower.h); only with a cache. Off here, for short-lived
  // users such as the CLI; the daemon takes [directory.ldap] follow_changes.
  FollowMode follow_changes = FollowMode::kOff;
};

class LdapDirectory final : public Directory {
 public:
  // Checks the options (filters, base); connects lazily, so a server that is
  // down now does not stop the daemon from starting. kInvalid for bad options.
  static Result<std::unique_ptr<LdapDirectory>> open(LdapOptions options);

  Result<std::optional<Domain>> find_domain(std::string_view domain) override;
  Result<std::optional<Account>> find_account(std::string_view address) override;
  Result<std::optional<Alias>> find_alias(std::string_view address) override;
  Result<AddressEntry> find_alias_or_account(std::string_view address) override;
  Result<std::vector<std::string>> postmasters(std::string_view domain) override;
  Result<std::vector<std::string>> domains_administered_by(std::string_view address) override;

  Result<std::vector<Domain>> list_domains() override;
  Result<std::vector<Account>> list_accounts(std::string_view domain) override;
  Result<std::vector<Alias>> list_aliases(std::string_view domain) override;

  Status add_domain(const Actor& actor, const Domain& domain,
                    const std::vector<Alias>& initial_aliases) override;
  Status delete_domain(const Actor& actor, std::string_view domain) override;
  Status add_account(const Actor& actor, const Account& account) override;
  Status update_account(const Actor& actor, const Account& account) override;
  Status delete_account(const Actor& actor, std::string_view address) override;
  Result<bool> is_mailbox_retired(std::string_view mailbox) override;
  Result<std::optional<std::vector<std::string>>> list_retired_mailboxes() override;
  // Each path goes to the list of the domain it lies in (its first part), or
  // to the base's list when that domain is not hosted.
  Status retire_mailboxes(const Actor& actor, const std::vector<std::string>& mailboxes) override;
  Status add_alias(const Actor& actor, const Alias& alias) override;
  Status delete_alias(const Actor& actor, std::string_view address,
                      std::string_view maildrop) override;
  Status grant_postmaster(const Actor& actor, std::string_view domain,
                          std::string_view address) override;
  Status revoke_postmaster(const Actor& actor, std::string_view domain,
                           std::string_view address) override;

  bool verifies_passwords() const override { return options_.auth_by_bind; }
  Result<bool> verify_password(std::string_view address, std::string_view password) override;

  std::string describe() const override;

  // For tests: connections opened so far.
  int connections_opened() const { return pool_.opened(); }
  // For tests: searches sent to the server so far.
  uint64_t searches_made() const { return searches_.load(std::memory_order_relaxed); }
  // For tests: whether find_alias_or_account makes one search.
  bool combines_alias_and_account() const { return combined_.has_value(); }
  // For tests: the change follower, null when not following.
  const ChangeFollower* change_follower() const { return follower_.get(); }

 private:
  explicit LdapDirectory(LdapOptions options);

  Identity service() const { return {options_.bind_dn, options_.bind_password}; }
  Result<Identity> writer(const Actor& actor);

  // Searches as the service identity.
  Result<std::vector<Entry>> search(const std::string& base, Scope scope, const std::string& filter,
                                    const std::vector<std::string>& attributes, int size_limit = 0);
  // kExists when another account already has this account's Maildir.
  Status mailbox_free(const Account& account);
  Result<std::optional<Entry>> find_entry(const std::string& filter_pattern, std::string_view key,
                                          const std::vector<std::string>& attributes);
  // Runs a change as `who` and clears the caches.
  Status write(const Identity& who, const std::function<Status(Connection&)>& op);
  void invalidate();

  std::string domain_dn(std::string_view domain) const;
  std::string entry_dn(std::string_view address) const;
  std::string postmaster_dn(std::string_view domain) const;
  // The list of retired mailboxes of a domain; of deleted domains for "".
  std::string retired_dn(std::string_view domain) const;
  // The DN of an account, "" if there is none.
  Result<std::string> account_dn(std::string_view address);
  // The DN find_account found just now on this thread (see the .cc).
  void remember_dn(std::string_view address, const std::string& dn, uint64_t generation) const;
  std::optional<std::string> recent_dn_of(std::string_view address) const;
  std::vector<std::string> account_attribute_names() const;

  Account to_account(const Entry& e) const;
  Alias to_alias(const Entry& e) const;
  Attributes account_attributes(const Account& a) const;

  Status add_alias_as(const Identity& who, const Alias& alias);
  Status delete_subtree(const Identity& who, const std::string& dn);
  Status retire(const Identity& who, const std::string& list_dn,
                const std::vector<std::string>& mailboxes);
  Status remove_roles_of(const Identity& who, std::string_view address);

  // find_alias_or_account's single search, when the filters allow it.
  struct Combined {
    std::string alias_class;
    std::string account_class;
    std::vector<std::string> attributes;
  };

  LdapOptions options_;
  std::optional<Combined> combined_;
  ConnectionPool pool_;       // lookups and writes
  ConnectionPool auth_pool_;  // binds as users, so they never rebind pool_'s connections
  LookupCache<std::optional<Domain>> domain_cache_;
  LookupCache<std::optional<Account>> account_cache_;
  LookupCache<std::optional<Alias>> alias_cache_;
  LookupCache<std::string> dn_cache_;  // account address -> DN, for binds
  std::atomic<uint64_t> searches_{0};
  // Last, so that it stops before the caches it clears go away.
  std::unique_ptr<ChangeFollower> follower_;
};

}  // namespace hm::directory::ldap
