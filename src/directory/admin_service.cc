#include "directory/admin_service.h"

#include <algorithm>
#include <iterator>
#include <system_error>

#include "auth/password_scheme.h"
#include "directory/address.h"
#include "directory/authorizer.h"
#include "directory/home_directory.h"
#include "directory/ldif_tree.h"
#include "directory/snapshot.h"
#include "store/mailbox_path.h"

namespace hm::directory {

AdminService::AdminService(Directory& directory, AdminOptions options, Principal principal,
                           Actor actor)
    : directory_(directory),
      options_(std::move(options)),
      principal_(std::move(principal)),
      actor_(std::move(actor)) {}

Result<std::string> AdminService::hosted_domain(std::string_view domain) {
  auto name = normalize_domain(domain);
  if (!name) return fail(std::move(name).error());
  auto found = directory_.find_domain(*name);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) {
    return fail(
        ErrorKind::kNotFound,
        "domain " + *name + " is not hosted here; add it with `hostmail domain add " + *name + "`");
  }
  return *name;
}

Status AdminService::add_domain(std::string_view domain, std::string_view postmaster_to) {
  HM_TRY(authorize(principal_, Operation::kDomainAdd, ""));
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
  return directory_.add_domain(actor_, Domain{*name}, aliases);
}

Status AdminService::delete_domain(std::string_view domain, bool force) {
  auto name = normalize_domain(domain);
  if (!name) return fail(std::move(name).error());
  HM_TRY(authorize(principal_, Operation::kDomainDelete, *name));
  auto found = hosted_domain(*name);
  if (!found) return fail(std::move(found).error());
  if (!force) {
    auto accounts = directory_.list_accounts(*name);
    if (!accounts) return fail(std::move(accounts).error());
    if (!accounts->empty()) {
      return fail(ErrorKind::kExists,
                  "domain " + *name + " still has " + std::to_string(accounts->size()) +
                      " account(s); delete them first, or use --force to delete the domain "
                      "with everything in it");
    }
  }
  return directory_.delete_domain(actor_, *name);
}

Result<std::vector<Domain>> AdminService::list_domains() {
  HM_TRY(authorize(principal_, Operation::kDomainList, ""));
  auto all = directory_.list_domains();
  if (!all || principal_.is_superuser()) return all;
  std::erase_if(*all, [&](const Domain& d) { return !principal_.is_postmaster_of(d.name); });
  return all;
}

template <typename T, typename List>
Result<std::vector<T>> AdminService::across_own_domains(Operation op, List list) {
  // "All" for a postmaster means the domains they administer, as
  // list_domains shows them: asking each one keeps a large directory's other
  // domains out of reach and out of the transfer.
  std::vector<T> out;
  for (const std::string& domain : principal_.postmaster_of) {
    HM_TRY(authorize(principal_, op, domain));
    auto items = list(domain);
    if (!items) return fail(std::move(items).error());
    std::move(items->begin(), items->end(), std::back_inserter(out));
  }
  std::sort(out.begin(), out.end(), [](const T& a, const T& b) { return a.address < b.address; });
  return out;
}

Result<std::string> AdminService::fresh_mailbox(const std::string& address) {
  std::string domain(domain_of(address));
  auto accounts = directory_.list_accounts(domain);
  if (!accounts) return fail(std::move(accounts).error());
  for (int generation = 1; generation < 10000; ++generation) {
    // The store's rule (store/mailbox_path.h): a path it will accept.
    std::string mailbox = store::new_mailbox_attribute(domain, local_part_of(address), generation);
    auto retired = directory_.is_mailbox_retired(mailbox);
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
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  std::string domain(domain_of(*address));
  HM_TRY(authorize(principal_, Operation::kAccountAdd, domain, *address));
  HM_TRY(hosted_domain(domain));

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
  auto mailbox = fresh_mailbox(*address);
  if (!mailbox) return fail(std::move(mailbox).error());
  a.mailbox = std::move(*mailbox);
  HM_TRY(directory_.add_account(actor_, a));
  return a;
}

Status AdminService::set_password(std::string_view address_in, std::string_view password) {
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kAccountPassword, domain_of(*address), *address));
  if (password.empty()) return fail(ErrorKind::kInvalid, "the password is empty");
  auto found = directory_.find_account(*address);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return fail(ErrorKind::kNotFound, "there is no account " + *address);
  auto hash = auth::hash_password(password, options_.password_scheme);
  if (!hash) return fail(std::move(hash).error());
  Account a = **found;
  a.password_hash = std::move(*hash);
  return directory_.update_account(actor_, a);
}

Status AdminService::delete_account(std::string_view address_in) {
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kAccountDelete, domain_of(*address), *address));
  return directory_.delete_account(actor_, *address);
}

Result<Account> AdminService::show_account(std::string_view address_in) {
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kAccountShow, domain_of(*address), *address));
  auto found = directory_.find_account(*address);
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return fail(ErrorKind::kNotFound, "there is no account " + *address);
  return **found;
}

Result<std::vector<Account>> AdminService::list_accounts(std::string_view domain) {
  std::string name;
  if (!domain.empty()) {
    auto d = hosted_domain(domain);
    if (!d) return fail(std::move(d).error());
    name = *d;
  }
  if (name.empty() && !principal_.is_superuser() && !principal_.postmaster_of.empty()) {
    return across_own_domains<Account>(
        Operation::kAccountList, [&](const std::string& d) { return directory_.list_accounts(d); });
  }
  HM_TRY(authorize(principal_, Operation::kAccountList, name));
  return directory_.list_accounts(name);
}

Status AdminService::add_alias(std::string_view address_in,
                               const std::vector<std::string>& maildrops) {
  auto address = normalize_alias_address(address_in);
  if (!address) return fail(std::move(address).error());
  std::string domain(domain_of(*address));
  HM_TRY(authorize(principal_, Operation::kAliasAdd, domain, *address));
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
    if (drop->find('@') == std::string::npos && !principal_.is_superuser()) {
      return fail(ErrorKind::kPermission,
                  "maildrop '" + *drop +
                      "' is a local account of this machine; only the superuser may deliver "
                      "to those: give an address");
    }
    alias.maildrops.push_back(*drop);
  }
  HM_TRY(hosted_domain(domain));
  return directory_.add_alias(actor_, alias);
}

Status AdminService::delete_alias(std::string_view address_in, std::string_view maildrop) {
  auto address = normalize_alias_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kAliasDelete, domain_of(*address), *address));
  std::string drop;
  if (!maildrop.empty()) {
    auto d = normalize_maildrop(maildrop);
    if (!d) return fail(std::move(d).error());
    drop = *d;
  }
  return directory_.delete_alias(actor_, *address, drop);
}

Result<std::vector<Alias>> AdminService::list_aliases(std::string_view domain) {
  std::string name;
  if (!domain.empty()) {
    auto d = hosted_domain(domain);
    if (!d) return fail(std::move(d).error());
    name = *d;
  }
  if (name.empty() && !principal_.is_superuser() && !principal_.postmaster_of.empty()) {
    return across_own_domains<Alias>(
        Operation::kAliasList, [&](const std::string& d) { return directory_.list_aliases(d); });
  }
  HM_TRY(authorize(principal_, Operation::kAliasList, name));
  return directory_.list_aliases(name);
}

Status AdminService::grant_postmaster(std::string_view domain_in, std::string_view address_in) {
  auto domain = hosted_domain(domain_in);
  if (!domain) return fail(std::move(domain).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kPostmasterGrant, *domain,
                   principal_.is_superuser() ? std::string_view{} : std::string_view(*address)));
  auto account = directory_.find_account(*address);
  if (!account) return fail(std::move(account).error());
  if (!account->has_value()) {
    return fail(ErrorKind::kNotFound,
                "there is no account " + *address + "; only accounts can hold the postmaster role");
  }
  return directory_.grant_postmaster(actor_, *domain, *address);
}

Status AdminService::revoke_postmaster(std::string_view domain_in, std::string_view address_in) {
  auto domain = hosted_domain(domain_in);
  if (!domain) return fail(std::move(domain).error());
  auto address = normalize_address(address_in);
  if (!address) return fail(std::move(address).error());
  HM_TRY(authorize(principal_, Operation::kPostmasterRevoke, *domain,
                   principal_.is_superuser() ? std::string_view{} : std::string_view(*address)));
  return directory_.revoke_postmaster(actor_, *domain, *address);
}

Result<std::vector<std::string>> AdminService::list_postmasters(std::string_view domain_in) {
  auto domain = hosted_domain(domain_in);
  if (!domain) return fail(std::move(domain).error());
  HM_TRY(authorize(principal_, Operation::kPostmasterList, *domain));
  return directory_.postmasters(*domain);
}

Result<LdifImportReport> AdminService::import_ldif(std::string_view ldif_text) {
  HM_TRY(authorize(principal_, Operation::kTreeImport, ""));
  auto tree = take_snapshot(directory_);
  if (!tree) return fail(std::move(tree).error());
  const std::vector<Account> before = tree->accounts;
  LdifImportReport report;
  HM_TRY(apply_ldif(ldif_text, *tree, &report));
  HM_TRY(apply_snapshot(directory_, actor_, *tree));
  // Among the accounts this file added or changed, those whose homeDirectory
  // another server would read differently (home_directory.h).
  std::vector<Account> changed;
  for (const Account& a : tree->accounts) {
    if (std::find(before.begin(), before.end(), a) == before.end()) changed.push_back(a);
  }
  std::string home =
      describe(home_mismatches(changed, options_.virtual_base), options_.virtual_base);
  if (!home.empty()) report.warnings.push_back(std::move(home));
  return report;
}

Result<std::string> AdminService::export_ldif(std::string_view base,
                                              std::vector<std::string>* warnings) {
  HM_TRY(authorize(principal_, Operation::kTreeExport, ""));
  auto tree = take_snapshot(directory_);
  if (!tree) return fail(std::move(tree).error());
  auto retired = directory_.list_retired_mailboxes();
  if (!retired) return fail(std::move(retired).error());
  if (!retired->has_value() && warnings) {
    warnings->push_back("the " + directory_.describe() +
                        " directory cannot list its retired mailboxes, so this export lacks "
                        "them: it is not a complete backup (back the directory itself up)");
  }
  return directory::export_ldif(*tree, base, options_.virtual_base);
}

}  // namespace hm::directory
