#pragma once
// hm::directory::Directory: where domains, accounts, aliases and postmaster
// roles live. Backends: SQLite (embedded default), LDAP (a real slapd), and an
// in-memory one for tests.
//
// The interface is synchronous and thread-safe: any thread may call any
// method at any time. Backends that talk to a network (LDAP) block the
// calling thread, bounded by their own timeout; protocol sessions therefore
// never call a Directory from an event loop but through AsyncDirectory
// (async_directory.h), which runs calls on a small worker pool.
//
// Every method can fail with ErrorKind::kTemporary when the backend cannot be
// reached or is busy; callers turn that into SMTP 451 / IMAP NO [UNAVAILABLE]
// and never into a permanent failure.
//
// The policy (who may do what, recipient resolution, password checks, the
// postmaster/abuse rule) lives above this interface, in resolver.h,
// authenticator.h, and the administration component (admin/authorizer.h,
// admin/admin_service.h), so that every backend behaves the same. Backends
// only store and find.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/model.h"

namespace hm::directory {

// Who is making a change. The SQLite backend ignores it (authorization has
// already been checked by AdminService); the LDAP backend binds as this
// identity so that slapd's own access rules decide as well.
struct Actor {
  std::string name;      // superuser name or account address; empty = the service itself
  std::string password;  // for backends that bind as the actor; may be empty
};

// An address as recipient resolution sees it: the alias with exactly this
// address, or else the account with it (an alias beats an account, as in the
// seed's Postfix maps).
struct AddressEntry {
  std::optional<Alias> alias;
  std::optional<Account> account;  // only looked for, and set, when there is no alias
};

// What Directory::read_scope() returns: while it lives, the lookups its
// caller makes on the same thread read one consistent state of the
// directory. Destroying it ends the read.
class ReadScope {
 public:
  virtual ~ReadScope() = default;
};

class Directory {
 public:
  virtual ~Directory() = default;

  // Groups the lookups that follow, on this thread, into one read: SQLite
  // then takes its file locks once rather than once per lookup (three times
  // for a recipient). nullptr where a backend has nothing to gain. Only
  // lookups may be made while the scope lives.
  virtual std::unique_ptr<ReadScope> read_scope() { return nullptr; }

  // ---- lookups: addresses and domain names must be normalized ----
  virtual Result<std::optional<Domain>> find_domain(std::string_view domain) = 0;
  virtual Result<std::optional<Account>> find_account(std::string_view address) = 0;
  // Exact match on the alias address; "@domain" finds the catch-all.
  virtual Result<std::optional<Alias>> find_alias(std::string_view address) = 0;
  // find_alias, and find_account when there is no alias. Backends that can
  // answer both in one round trip (LDAP: one search) override it; the answer
  // must be the same as that of the two calls.
  virtual Result<AddressEntry> find_alias_or_account(std::string_view address) {
    AddressEntry entry;
    auto alias = find_alias(address);
    if (!alias) return fail(std::move(alias).error());
    entry.alias = std::move(*alias);
    if (entry.alias) return entry;
    auto account = find_account(address);
    if (!account) return fail(std::move(account).error());
    entry.account = std::move(*account);
    return entry;
  }
  virtual Result<std::vector<std::string>> postmasters(std::string_view domain) = 0;
  // Domains whose postmaster role lists this address, sorted.
  virtual Result<std::vector<std::string>> domains_administered_by(std::string_view address) = 0;

  // ---- listings, sorted by name/address; an empty domain means all ----
  virtual Result<std::vector<Domain>> list_domains() = 0;
  virtual Result<std::vector<Account>> list_accounts(std::string_view domain) = 0;
  virtual Result<std::vector<Alias>> list_aliases(std::string_view domain) = 0;

  // ---- changes; each one is atomic ----
  // Creates the domain and, in the same transaction, the given aliases
  // (its postmaster and abuse). kExists if the domain exists.
  virtual Status add_domain(const Actor& actor, const Domain& domain,
                            const std::vector<Alias>& initial_aliases) = 0;
  // Deletes the domain with everything in it (accounts, aliases, role).
  // kNotFound if absent. The caller decides whether a non-empty domain may go.
  virtual Status delete_domain(const Actor& actor, std::string_view domain) = 0;

  // kExists if the address is an account or an alias already; kNotFound if
  // the domain is not hosted.
  virtual Status add_account(const Actor& actor, const Account& account) = 0;
  // Replaces every attribute of the account but its address. kNotFound if absent.
  virtual Status update_account(const Actor& actor, const Account& account) = 0;
  // Removes the account, its role memberships, and records its mailbox path as
  // retired (see is_mailbox_retired). kNotFound if absent.
  virtual Status delete_account(const Actor& actor, std::string_view address) = 0;
  // True if a deleted account once used this mailbox path: a new account must
  // never be given it, or it would read the old owner's mail.
  virtual Result<bool> is_mailbox_retired(std::string_view mailbox) = 0;
  // Every retired mailbox path, sorted, for a backup (LDIF export); nullopt
  // when this backend cannot list them.
  virtual Result<std::optional<std::vector<std::string>>> list_retired_mailboxes() {
    return std::optional<std::vector<std::string>>();
  }
  // Records mailbox paths as retired, as a restore from a backup must: paths
  // retired already are skipped. The list only ever grows. kInternal when
  // this backend cannot.
  virtual Status retire_mailboxes(const Actor& /*actor*/,
                                  const std::vector<std::string>& /*mailboxes*/) {
    return fail(ErrorKind::kInternal,
                "the " + describe() + " directory cannot record retired mailboxes this way");
  }

  // Adds maildrops to the alias, creating it if needed; maildrops it already
  // has are skipped. kExists if the address is an account.
  virtual Status add_alias(const Actor& actor, const Alias& alias) = 0;
  // Removes one maildrop (the alias goes when its last maildrop goes), or the
  // whole alias when maildrop is empty. kNotFound if absent.
  virtual Status delete_alias(const Actor& actor, std::string_view address,
                              std::string_view maildrop) = 0;

  // kNotFound if the domain is absent; granting twice is not an error.
  virtual Status grant_postmaster(const Actor& actor, std::string_view domain,
                                  std::string_view address) = 0;
  // kNotFound if the address does not hold the role.
  virtual Status revoke_postmaster(const Actor& actor, std::string_view domain,
                                   std::string_view address) = 0;

  // ---- authentication support ----
  // Backends that can verify a password themselves (LDAP bind as the
  // account) return true and implement verify_password; others leave the
  // Authenticator to compare userPassword hashes.
  virtual bool verifies_passwords() const { return false; }
  // Ok(true) password right, Ok(false) wrong or no such account.
  virtual Result<bool> verify_password(std::string_view /*address*/,
                                       std::string_view /*password*/) {
    return fail(ErrorKind::kInternal, "this directory backend does not verify passwords itself");
  }

  // True when every lookup is answered from this machine's memory or a local
  // file in microseconds, never waiting on a network peer: the protocol
  // sessions then look up on their own thread instead of handing the call
  // to the AsyncDirectory workers and back (two thread wake-ups per lookup,
  // more than the lookup itself costs). False, the default, is always safe.
  virtual bool answers_locally() const { return false; }

  // A short name for logs and check-config: "sqlite:/var/lib/hostmail/directory.db".
  virtual std::string describe() const = 0;
};

}  // namespace hm::directory
