#pragma once
// AdminService: every administrative operation, with its rules and its
// authorization, for one acting principal. The CLI and the web
// administration both go through it, so both enforce the same policy.
//
// Rules kept here (not in the backends, so every backend obeys them):
//   - a new domain gets its postmaster@ and abuse@ aliases;
//   - a domain that still has accounts is only deleted when forced;
//   - addresses are validated and normalized (address.h);
//   - a new account's mailbox is "<domain>/<local part>/", unless a deleted
//     account used that path (its mail may still be on disk for the grace
//     period): then the new account gets a fresh path, so it can never read
//     its predecessor's mail (the seed's privacy hole, closed);
//   - passwords are stored hashed with the configured scheme, never clear.
//
// One instance per request or command; not thread-safe (cheap to create).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/authorizer.h"
#include "directory/directory.h"
#include "directory/ldif_tree.h"
#include "directory/principal.h"

namespace hm::directory {

struct AdminOptions {
  std::string virtual_base;     // [storage] virtual_base: where Maildirs live
  std::string password_scheme;  // [auth] password_scheme for new passwords
  uint32_t vmail_uid = 0;       // written to uidNumber/gidNumber (the schema wants them)
  uint32_t vmail_gid = 0;
};

class AdminService {
 public:
  AdminService(Directory& directory, AdminOptions options, Principal principal, Actor actor);

  const Principal& principal() const { return principal_; }

  // postmaster_to: maildrop for postmaster@ and abuse@; empty means the local
  // accounts "postmaster" and "abuse", as in the seed.
  Status add_domain(std::string_view domain, std::string_view postmaster_to);
  Status delete_domain(std::string_view domain, bool force);
  // A postmaster sees the domains they administer; the superuser all.
  Result<std::vector<Domain>> list_domains();

  // password: nullopt creates the account without one (it cannot log in until
  // `account passwd`), as the seed's ldapadd then ldappasswd does.
  Result<Account> add_account(std::string_view address, const std::optional<std::string>& password,
                              uint64_t quota_bytes);
  Status set_password(std::string_view address, std::string_view password);
  Status delete_account(std::string_view address);
  Result<Account> show_account(std::string_view address);
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

 private:
  Result<std::string> hosted_domain(std::string_view domain);
  Result<std::string> fresh_mailbox(const std::string& address);
  // The listing of every domain the (non-superuser) principal administers,
  // sorted by address.
  template <typename T, typename List>
  Result<std::vector<T>> across_own_domains(Operation op, List list);

  Directory& directory_;
  AdminOptions options_;
  Principal principal_;
  Actor actor_;
};

}  // namespace hm::directory
