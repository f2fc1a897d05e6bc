#include "admin/admin_service.h"

#include <algorithm>
#include <iterator>
#include <system_error>

#include "auth/password_scheme.h"
#include "directory/address.h"
#include "directory/home_directory.h"
#include "directory/ldif_tree.h"
#include "directory/snapshot.h"
#include "store/mailbox_path.h"

namespace hm::admin {

using directory::domain_of;
using directory::local_part_of;
using directory::normalize_address;
using directory::normalize_alias_address;
using directory::normalize_domain;
using directory::normalize_maildrop;

Caller Caller::of(const Principal& principal, std::string bind_password) {
  return Caller{principal.kind, principal.name, std::move(bind_password)};
}

AdminService::AdminService(Resources& resources, AdminOptions options, Caller caller)
    : resources_(resources), options_(std::move(options)), caller_(std::move(caller)) {}

Result<Principal> AdminService::principal_in(directory::Directory& dir) const {
  Principal p;
  p.kind = caller_.kind;
  p.name = caller_.name;
  // The superuser is the configuration's, and a shell account holds no role:
  // only a virtual account's rights live in the directory.
  if (p.kind != Principal::Kind::kVirtual) return p;
  // A deleted account keeps no right, even where a backend leaves its
  // roleOccupant values behind (LDAP does not clean them up).
  auto account = dir.find_account(p.name);
  if (!account) return fail(std::move(account).error());
  if (!account->has_value()) {
    return fail(ErrorKind::kPermission, p.name + " is no longer an account here");
  }
  auto domains = dir.domains_administered_by(p.name);
  if (!domains) return fail(std::move(domains).error());
  p.postmaster_of = std::move(*domains);
  return p;
}

Result<Principal> AdminService::principal() {
  // Only a virtual account's roles need the directory: the superuser's queue
  // commands work while it is down.
  if (caller_.kind != Principal::Kind::kVirtual) {
    return Principal{caller_.kind, caller_.name, {}};
  }
  auto dir = resources_.directory();
  if (!dir) return fail(std::move(dir).error());
  return principal_in(**dir);
}

Result<AdminService::Call> AdminService::begin() {
  auto dir = resources_.directory();
  if (!dir) return fail(std::move(dir).error());
  auto principal = principal_in(**dir);
  if (!principal) return fail(std::move(principal).error());
  return Call{**dir, std::move(*principal)};
}

Result<std::string> AdminService::hosted_domain(Call& call, std::string_view domain) {
  auto name = normalize_domain(domain);
  if (!name) return fail(std::move(name).error());
  auto found = call.directory.find_domain(*name);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) {
    return fail(
        ErrorKind::kNotFound,
        "domain " + *name + " is not hosted here; add it with `hostmail domain add " + *name + "`");
  }
  return *name;
}

Status AdminService::add_domain(std::string_view domain, std::string_view postmaster_to) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  HM_TRY(authorize(call->principal, Operation::kDomainAdd, ""));
  auto name = normalize_domain(domain);
  if (!name) return fail(std::move(name).error());
  std::string postmaster_drop = "postmaster";
  std::string abuse_drop = "abuse";
  if (!postmaster_to.empty()) {
    auto drop = normalize_maildrop(postmaster_to);
    if (!drop) return fail(std::move(drop).error().prefix("--postmaster-to"));
    if (*drop == "postmaster@" + *name || *drop == "abuse@" + *name) {
      return fail(ErrorKind::kInvalid,
                  "--postmaster-to " + *drop + " would make a loop; give an account's address");
    }
    postmaster_drop = abuse_drop = *drop;
  }
  std::vector<Alias> aliases = {{"postmaster@" + *name, {postmaster_drop}},
                                {"abuse@" + *name, {abuse_drop}}};
  return call->directory.add_domain(actor(), Domain{*name}, aliases);
}

Status AdminService::delete_domain(std::string_view domain, bool force) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto name = normalize_domain(domain);
  if (!name) return fail(std::move(name).error());
  HM_TRY(authorize(call->principal, Operation::kDomainDelete, *name));
  auto found = hosted_domain(*call, *name);
  if (!found) return fail(std::move(found).error());
  if (!force) {
    auto accounts = call->directory.list_accounts(*name);
    if (!accounts) return fail(std::move(accounts).error());
    if (!accounts->empty()) {
      return fail(ErrorKind::kExists,
                  "domain " + *name + " still has " + std::to_string(accounts->size()) +
                      " account(s); delete them first, or use --force to delete the domain "
                      "with everything in it");
    }
  }
  return call->directory.delete_domain(actor(), *name);
}

Result<std::vector<DomainSummary>> AdminService::list_domains() {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  HM_TRY(authorize(call->principal, Operation::kDomainList, ""));
  auto all = call->directory.list_domains();
  if (!all) return fail(std::move(all).error());
  std::vector<DomainSummary> out;
  for (const Domain& d : *all) {
    if (!call->principal.is_superuser() && !call->principal.is_postmaster_of(d.name)) continue;
    auto accounts = call->directory.list_accounts(d.name);
    if (!accounts) return fail(std::move(accounts).error());
    auto aliases = call->directory.list_aliases(d.name);
    if (!aliases) return fail(std::move(aliases).error());
    out.push_back({d.name, accounts->size(), aliases->size()});
  }
  return out;
}

template <typename T, typename List>
Result<std::vector<T>> AdminService::list_in(Call& call, std::string_view domain, Operation op,
                                             List list) {
  std::string name;
  if (!domain.empty()) {
    auto d = hosted_domain(call, domain);
    if (!d) return fail(std::move(d).error());
    name = *d;
  }
  if (!name.empty() || call.principal.is_superuser() || call.principal.postmaster_of.empty()) {
    HM_TRY(authorize(call.principal, op, name));
    return list(name);
  }
  // "All" for a postmaster means the domains they administer, as
  // list_domains shows them: asking each one keeps a large directory's other
  // domains out of reach and out of the transfer.
  std::vector<T> out;
  for (const std::string& own : call.principal.postmaster_of) {
    HM_TRY(authorize(call.principal, op, own));
    auto items = list(own);
    if (!items) return fail(std::move(items).error());
    std::move(items->begin(), items->end(), std::back_inserter(out));
  }
  std::sort(out.begin(), out.end(), [](const T& a, const T& b) { return a.address < b.address; });
  return out;
}

Result<std::string> AdminService::fresh_mailbox(Call& call, const std::string& address) {
  std::string domain(domain_of(address));
  auto accounts = call.directory.list_accounts(domain);
  if (!accounts) return fail(std::move(accounts).error());
  for (int generation = 1; generation < 10000; ++generation) {
    // The store's rule (store/mailbox_path.h): a path it will accept.
    std::string mailbox = store::new_mailbox_attribute(domain, local_part_of(address), generation);
    auto retired = call.directory.is_mailbox_retired(mailbox);
    if (!retired) return fail(std::move(retired).error());
    if (*retired) continue;
    bool taken = std::any_of(accounts->begin(), accounts->end(),
                             [&](const Account& a) { return a.mailbox == mailbox; });
    if (taken) continue;
    // Mail left by an account deleted outside hostmail (by ldapdelete, say).
    if (store::mailbox_on_disk(options_.virtual_base, mailbox)) continue;
    return mailbox;
  }
  return fail(ErrorKind::kLimit, "no free mailbox path for " + address);
}

Result<Account> AdminService::add_account(std::string_view address_in,
                                          const std::optional<std::string>& password,
                                          uint64_t quota_bytes) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  std::string domain(domain_of(*address));
  HM_TRY(authorize(call->principal, Operation::kAccountAdd, domain, *address));
  HM_TRY(hosted_domain(*call, domain));

  Account a;
  a.address = *address;
  a.home_directory = options_.virtual_base;
  a.uid_number = options_.vmail_uid;
  a.gid_number = options_.vmail_gid;
  a.quota_bytes = quota_bytes;
  if (password) {
    if (password->empty()) return fail(ErrorKind::kInvalid, "the password is empty");
    auto hash = auth::hash_password(*password, options_.password_scheme);
    if (!hash) return fail(std::move(hash).error());
    a.password_hash = std::move(*hash);
  }
  auto mailbox = fresh_mailbox(*call, *address);
  if (!mailbox) return fail(std::move(mailbox).error());
  a.mailbox = std::move(*mailbox);
  HM_TRY(call->directory.add_account(actor(), a));
  return a;
}

Status AdminService::set_password(std::string_view address_in, std::string_view password) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(call->principal, Operation::kAccountPassword, domain_of(*address), *address));
  if (password.empty()) return fail(ErrorKind::kInvalid, "the password is empty");
  auto found = call->directory.find_account(*address);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return fail(ErrorKind::kNotFound, "there is no account " + *address);
  auto hash = auth::hash_password(password, options_.password_scheme);
  if (!hash) return fail(std::move(hash).error());
  Account a = **found;
  a.password_hash = std::move(*hash);
  return call->directory.update_account(actor(), a);
}

Status AdminService::delete_account(std::string_view address_in) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(call->principal, Operation::kAccountDelete, domain_of(*address), *address));
  return call->directory.delete_account(actor(), *address);
}

Result<AccountDetails> AdminService::show_account(std::string_view address_in) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(call->principal, Operation::kAccountShow, domain_of(*address), *address));
  auto found = call->directory.find_account(*address);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return fail(ErrorKind::kNotFound, "there is no account " + *address);
  AccountDetails details{std::move(**found), {}, std::nullopt};
  auto roles = call->directory.domains_administered_by(details.account.address);
  if (!roles) return fail(std::move(roles).error());
  details.postmaster_of = std::move(*roles);
  if (directory::home_differs(details.account, options_.virtual_base)) {
    details.home_warning =
        directory::describe(directory::home_mismatches({details.account}, options_.virtual_base),
                            options_.virtual_base);
  }
  return details;
}

Result<std::vector<Account>> AdminService::list_accounts(std::string_view domain) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  return list_in<Account>(*call, domain, Operation::kAccountList,
                          [&](const std::string& d) { return call->directory.list_accounts(d); });
}

Status AdminService::add_alias(std::string_view address_in,
                               const std::vector<std::string>& maildrops) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_alias_address(address_in);
  if (!address) return fail(std::move(address).error());
  std::string domain(domain_of(*address));
  HM_TRY(authorize(call->principal, Operation::kAliasAdd, domain, *address));
  if (maildrops.empty()) return fail(ErrorKind::kInvalid, "give at least one maildrop");
  Alias alias{*address, {}};
  for (const std::string& m : maildrops) {
    auto drop = normalize_maildrop(m);
    if (!drop) return fail(std::move(drop).error());
    if (*drop == *address) {
      return fail(ErrorKind::kInvalid, "alias " + *address + " cannot deliver to itself");
    }
    // A bare name is a shell account of this machine: a domain's postmaster
    // is a tenant and never reaches those (issue 11.2).
    if (drop->find('@') == std::string::npos && !call->principal.is_superuser()) {
      return fail(ErrorKind::kPermission,
                  "maildrop '" + *drop +
                      "' is a local account of this machine; only the superuser may deliver "
                      "to those: give an address");
    }
    alias.maildrops.push_back(*drop);
  }
  HM_TRY(hosted_domain(*call, domain));
  return call->directory.add_alias(actor(), alias);
}

Status AdminService::delete_alias(std::string_view address_in, std::string_view maildrop) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto address = normalize_alias_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(call->principal, Operation::kAliasDelete, domain_of(*address), *address));
  std::string drop;
  if (!maildrop.empty()) {
    auto d = normalize_maildrop(maildrop);
    if (!d) return fail(std::move(d).error());
    drop = *d;
  }
  return call->directory.delete_alias(actor(), *address, drop);
}

Result<std::vector<Alias>> AdminService::list_aliases(std::string_view domain) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  return list_in<Alias>(*call, domain, Operation::kAliasList,
                        [&](const std::string& d) { return call->directory.list_aliases(d); });
}

Result<AdminService::RoleChange> AdminService::role_change(Call& call, Operation op,
                                                           std::string_view domain_in,
                                                           std::string_view address_in) {
  auto domain = hosted_domain(call, domain_in);
  if (!domain) return fail(std::move(domain).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(
      authorize(call.principal, op, *domain,
                call.principal.is_superuser() ? std::string_view{} : std::string_view(*address)));
  return RoleChange{std::move(*domain), std::move(*address)};
}

Status AdminService::grant_postmaster(std::string_view domain_in, std::string_view address_in) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto change = role_change(*call, Operation::kPostmasterGrant, domain_in, address_in);
  if (!change) return fail(std::move(change).error());
  auto account = call->directory.find_account(change->address);
  if (!account) return fail(std::move(account).error());
  if (!account->has_value()) {
    return fail(ErrorKind::kNotFound, "there is no account " + change->address +
                                          "; only accounts can hold the postmaster role");
  }
  return call->directory.grant_postmaster(actor(), change->domain, change->address);
}

Status AdminService::revoke_postmaster(std::string_view domain_in, std::string_view address_in) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto change = role_change(*call, Operation::kPostmasterRevoke, domain_in, address_in);
  if (!change) return fail(std::move(change).error());
  return call->directory.revoke_postmaster(actor(), change->domain, change->address);
}

Result<std::vector<std::string>> AdminService::list_postmasters(std::string_view domain_in) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  auto domain = hosted_domain(*call, domain_in);
  if (!domain) return fail(std::move(domain).error());
  HM_TRY(authorize(call->principal, Operation::kPostmasterList, *domain));
  return call->directory.postmasters(*domain);
}

Result<LdifImportReport> AdminService::import_ldif(std::string_view ldif_text) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  HM_TRY(authorize(call->principal, Operation::kTreeImport, ""));
  auto tree = directory::take_snapshot(call->directory);
  if (!tree) return fail(std::move(tree).error());
  const std::vector<Account> before = tree->accounts;
  LdifImportReport report;
  HM_TRY(directory::apply_ldif(ldif_text, *tree, &report));
  HM_TRY(directory::apply_snapshot(call->directory, actor(), *tree));
  // Among the accounts this file added or changed, those whose homeDirectory
  // another server would read differently (home_directory.h).
  std::vector<Account> changed;
  for (const Account& a : tree->accounts) {
    if (std::find(before.begin(), before.end(), a) == before.end()) changed.push_back(a);
  }
  std::string home = directory::describe(directory::home_mismatches(changed, options_.virtual_base),
                                         options_.virtual_base);
  if (!home.empty()) report.warnings.push_back(std::move(home));
  return report;
}

Result<std::string> AdminService::export_ldif(std::string_view base,
                                              std::vector<std::string>* warnings) {
  auto call = begin();
  if (!call) return fail(std::move(call).error());
  HM_TRY(authorize(call->principal, Operation::kTreeExport, ""));
  auto tree = directory::take_snapshot(call->directory);
  if (!tree) return fail(std::move(tree).error());
  auto retired = call->directory.list_retired_mailboxes();
  if (!retired) return fail(std::move(retired).error());
  if (!retired->has_value() && warnings) {
    warnings->push_back("the " + call->directory.describe() +
                        " directory cannot list its retired mailboxes, so this export lacks "
                        "them: it is not a complete backup (back the directory itself up)");
  }
  return directory::export_ldif(*tree, base, options_.virtual_base);
}

}  // namespace hm::admin
