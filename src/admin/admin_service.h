#pragma once
// AdminService: every administrative operation, with its rules and its
// authorization, for one calling principal. The CLI and the web
// administration are thin layers over it, so both enforce the same policy:
// what a postmaster may do to accounts, aliases, roles and queued mail is
// decided here once.
//
// The caller is an identity (kind and name), never a snapshot of its roles:
// every operation first re-reads from the directory whether the account
// still exists and which domains it administers (principal()), so a role
// revoked while a web session is open is refused on its next request, and a
// role granted is honoured at once. The superuser is the configuration's
// ([admin] superuser) and needs no look-up.
//
// Rules kept here (not in the backends, so every backend obeys them):
//   - a new domain gets its postmaster@ and abuse@ aliases;
//   - a domain that still has accounts is only deleted when forced;
//   - addresses are validated and normalized (directory/address.h);
//   - a new account's mailbox is "<domain>/<local part>/", unless a deleted
//     account used that path (its mail may still be on disk for the grace
//     period): then the new account gets a fresh path, so it can never read
//     its predecessor's mail (the seed's privacy hole, closed);
//   - passwords are stored hashed with the configured scheme, never clear;
//   - a postmaster's view of the queue is the mail of their domains
//     (admin_queue.cc).
//
// Cheap to create; keeps no state between calls, so one instance may serve a
// whole session. Thread-safe if the Resources are.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/authorizer.h"
#include "admin/resources.h"
#include "base/result.h"
#include "directory/directory.h"
#include "directory/ldif_tree.h"
#include "directory/principal.h"
#include "queue/queue.h"

namespace hm::admin {

using directory::Account;
using directory::Alias;
using directory::Domain;
using directory::LdifImportReport;
using directory::Principal;

struct AdminOptions {
  std::string virtual_base;     // [storage] virtual_base: where Maildirs live
  std::string password_scheme;  // [auth] password_scheme for new passwords
  uint32_t vmail_uid = 0;       // written to uidNumber/gidNumber (the schema wants them)
  uint32_t vmail_gid = 0;
};

// Who calls: an identity, whose roles are looked up on every call.
struct Caller {
  Principal::Kind kind = Principal::Kind::kVirtual;
  std::string name;  // the superuser's name, an account's address, a user name
  // LDAP: writes bind as the caller with this password when it is set (so
  // that slapd's own access rules decide too), and as the service otherwise.
  std::string bind_password;

  // The identity of a logged-in principal; its roles are left behind.
  static Caller of(const Principal& principal, std::string bind_password = {});
};

// A hosted domain with the number of its accounts and aliases.
struct DomainSummary {
  std::string name;
  size_t accounts = 0;
  size_t aliases = 0;
};

// An account as `account show` presents it.
struct AccountDetails {
  Account account;
  std::vector<std::string> postmaster_of;  // domains this account administers
  // Says so when its homeDirectory is not [storage] virtual_base (another
  // server would look for its mail elsewhere: directory/home_directory.h).
  std::optional<std::string> home_warning;
};

class AdminService {
 public:
  AdminService(Resources& resources, AdminOptions options, Caller caller);

  const Caller& caller() const { return caller_; }
  // The caller as the directory sees it now (every operation starts with
  // this). kPermission when the account is gone; kTemporary when the
  // directory is down. The superuser and a shell account are not looked up.
  Result<Principal> principal();

  // postmaster_to: maildrop for postmaster@ and abuse@; empty means the local
  // accounts "postmaster" and "abuse", as in the seed.
  Status add_domain(std::string_view domain, std::string_view postmaster_to);
  Status delete_domain(std::string_view domain, bool force);
  // A postmaster sees the domains they administer; the superuser all.
  Result<std::vector<DomainSummary>> list_domains();

  // password: nullopt creates the account without one (it cannot log in until
  // `account passwd`), as the seed's ldapadd then ldappasswd does.
  Result<Account> add_account(std::string_view address, const std::optional<std::string>& password,
                              uint64_t quota_bytes);
  Status set_password(std::string_view address, std::string_view password);
  Status delete_account(std::string_view address);
  Result<AccountDetails> show_account(std::string_view address);
  // An empty domain lists every domain for the superuser, and the domains
  // they administer for a postmaster (as list_domains).
  Result<std::vector<Account>> list_accounts(std::string_view domain);

  Status add_alias(std::string_view address, const std::vector<std::string>& maildrops);
  Status delete_alias(std::string_view address, std::string_view maildrop);
  // An empty domain: as list_accounts.
  Result<std::vector<Alias>> list_aliases(std::string_view domain);

  Status grant_postmaster(std::string_view domain, std::string_view address);
  Status revoke_postmaster(std::string_view domain, std::string_view address);
  Result<std::vector<std::string>> list_postmasters(std::string_view domain);

  // LDIF import/export (superuser only). An import says which records it
  // skipped, and fails when it took none (see apply_ldif).
  Result<LdifImportReport> import_ldif(std::string_view ldif_text);
  // Export: `warnings` gets what the export lacks (retired mailboxes of a
  // backend that cannot list them).
  Result<std::string> export_ldif(std::string_view base,
                                  std::vector<std::string>* warnings = nullptr);

  // The queue (admin_queue.cc). The superuser sees every entry; a
  // postmaster sees an entry that is from one of their domains (with all
  // its recipients: a bounce would tell them as much) or to one (with only
  // those recipients), and may delete it only when it is from their
  // domains or every recipient still waiting is theirs (queue_scope.h). An
  // id they may not see is kNotFound, as an unknown one.
  Result<std::vector<queue::QueueEntry>> list_queue();
  // Makes deferred recipients due now: one entry, or ("") every entry the
  // caller sees.
  Status retry_queued(const std::string& id);
  Status delete_queued(const std::string& id);

 private:
  // What an operation starts with: the directory, and the caller's roles
  // read from it just now.
  struct Call {
    directory::Directory& directory;
    Principal principal;
  };
  Result<Call> begin();
  Result<Principal> principal_in(directory::Directory& dir) const;
  directory::Actor actor() const { return {caller_.name, caller_.bind_password}; }

  static Result<std::string> hosted_domain(Call& call, std::string_view domain);
  Result<std::string> fresh_mailbox(Call& call, const std::string& address);
  // The normalized domain and address of a postmaster grant or revoke, once
  // authorized (a postmaster gives and takes roles to accounts of their
  // domain only).
  struct RoleChange {
    std::string domain;
    std::string address;
  };
  static Result<RoleChange> role_change(Call& call, Operation op, std::string_view domain,
                                        std::string_view address);
  // The listing of `domain` (normalized; kNotFound if not hosted), or with
  // "" of every domain: all of them for the superuser (list("")), those it
  // administers for a postmaster, sorted by address.
  template <typename T, typename List>
  static Result<std::vector<T>> list_in(Call& call, std::string_view domain, Operation op,
                                        List list);

  Resources& resources_;
  AdminOptions options_;
  Caller caller_;
};

}  // namespace hm::admin
