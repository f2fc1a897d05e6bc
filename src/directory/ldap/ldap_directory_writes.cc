// LdapDirectory: writes, bound as the acting principal so that slapd's own
// access rules decide as well.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "base/log.h"
#include "base/strings.h"
#include "directory/backend_rules.h"
#include "directory/ldap/ldap_directory.h"
#include "directory/ldap/ldap_directory_detail.h"
#include "directory/ldap/ldap_filter.h"
#include "ldif/dn.h"

namespace hm::directory::ldap {
namespace {

using rules::account_is_alias;
using rules::alias_is_account;
using rules::check_account_address;
using rules::check_alias;
using rules::check_domain_name;
using rules::domain_of;
using rules::not_hosted;
using Op = Modification::Op;
using namespace detail;

}  // namespace

Result<Identity> LdapDirectory::writer(const Actor& actor) {
  if (actor.password.empty() || actor.name.empty() || actor.name == options_.superuser) {
    return service();
  }
  auto dn = account_dn(actor.name);
  if (!dn) return fail(std::move(dn).error());
  if (dn->empty()) {
    return fail(ErrorKind::kPermission,
                "there is no account " + actor.name + " to bind to the LDAP server as");
  }
  return Identity{*dn, actor.password};
}

Status LdapDirectory::write(const Identity& who, const std::function<Status(Connection&)>& op) {
  auto status = pool_.run(who, op);
  invalidate();
  if (!status && status.error().kind() == ErrorKind::kAuthFailed) {
    return fail(ErrorKind::kPermission,
                "the LDAP server refused the password of " +
                    (who.dn.empty() ? "anonymous" : who.dn) + "; give the right password",
                status.error().describe());
  }
  return status;
}

Status LdapDirectory::delete_subtree(const Identity& who, const std::string& dn) {
  auto found = search(dn, Scope::kSubtree, "(objectClass=*)", {"1.1"});
  if (!found) return fail(std::move(found).error());
  // Children first: a child's DN is its parent's with more in front.
  std::sort(found->begin(), found->end(),
            [](const Entry& a, const Entry& b) { return a.dn.size() > b.dn.size(); });
  for (const Entry& e : *found) {
    auto removed = write(who, [&](Connection& c) { return c.remove(e.dn); });
    if (!removed && removed.error().kind() != ErrorKind::kNotFound) return removed;
  }
  return ok();
}

Status LdapDirectory::retire(const Identity& who, const std::string& list_dn,
                             const std::vector<std::string>& mailboxes) {
  for (const std::string& mailbox : mailboxes) {
    if (mailbox.empty()) continue;
    for (int attempt = 0;; ++attempt) {
      auto added = write(who, [&](Connection& c) {
        return c.modify(list_dn, {{Op::kAdd, "description", {mailbox}}});
      });
      if (added || added.error().kind() == ErrorKind::kExists) break;
      if (added.error().kind() != ErrorKind::kNotFound || attempt >= kRaceRetries) return added;
      auto created = write(who, [&](Connection& c) {
        return c.add(list_dn, {{"objectClass", {"top", "organizationalRole"}},
                               {"cn", {"retired-mailboxes"}},
                               {"description", {mailbox}}});
      });
      if (created) break;
      if (created.error().kind() != ErrorKind::kExists) return created;
    }
  }
  return ok();
}

Status LdapDirectory::remove_roles_of(const Identity& who, std::string_view address) {
  std::string occupant = entry_dn(address);
  std::string filter =
      "(&(objectClass=organizationalRole)(roleOccupant=" + escape_filter_value(occupant) + "))";
  auto found = search(options_.base, Scope::kSubtree, filter, {"1.1"});
  if (!found) return fail(std::move(found).error());
  for (const Entry& e : *found) {
    auto removed = write(who, [&](Connection& c) {
      return c.modify(e.dn, {{Op::kDelete, "roleOccupant", {occupant}}});
    });
    if (!removed && removed.error().kind() != ErrorKind::kNotFound) return removed;
  }
  return ok();
}

Status LdapDirectory::retire_mailboxes(const Actor& actor,
                                       const std::vector<std::string>& mailboxes) {
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  for (const std::string& mailbox : mailboxes) {
    if (mailbox.empty()) continue;
    auto retired = is_mailbox_retired(mailbox);
    if (!retired) return fail(std::move(retired).error());
    if (*retired) continue;
    std::string domain = ascii_lower(mailbox.substr(0, mailbox.find('/')));
    auto hosted = find_domain(domain);
    if (!hosted) return fail(std::move(hosted).error());
    HM_TRY(retire(*who, retired_dn(hosted->has_value() ? domain : std::string()), {mailbox}));
  }
  invalidate();
  return ok();
}

Status LdapDirectory::add_domain(const Actor& actor, const Domain& domain,
                                 const std::vector<Alias>& initial_aliases) {
  HM_TRY(check_domain_name(domain.name));
  // Everything that can be checked is checked before the first write, so
  // that a refused call leaves nothing behind.
  for (const Alias& alias : initial_aliases) {
    HM_TRY(check_alias(alias));
    std::string_view d = domain_of(alias.address);
    if (d == domain.name) continue;
    auto hosted = find_entry(options_.domain_filter, d, {"1.1"});
    if (!hosted) return fail(std::move(hosted).error());
    if (!hosted->has_value()) return fail(not_hosted(d));
  }
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  auto exists = find_entry(options_.domain_filter, domain.name, {"1.1"});
  if (!exists) return fail(std::move(exists).error());
  if (exists->has_value()) {
    return fail(ErrorKind::kExists, fmt::format("domain {} already exists", domain.name));
  }
  auto added = write(*who, [&](Connection& c) {
    return c.add(domain_dn(domain.name),
                 {{"objectClass", {"top", "organization"}}, {"o", {domain.name}}});
  });
  if (!added) {
    if (added.error().kind() == ErrorKind::kExists) {
      return fail(ErrorKind::kExists, fmt::format("domain {} already exists", domain.name));
    }
    return added;
  }
  for (const Alias& alias : initial_aliases) {
    auto status = add_alias_as(*who, alias);
    if (!status) {
      auto undone = delete_subtree(*who, domain_dn(domain.name));
      if (!undone) {
        log::error("LDAP: could not undo the partial add of domain {}: {}", domain.name,
                   undone.error().describe());
      }
      return status;
    }
  }
  return ok();
}

Status LdapDirectory::delete_domain(const Actor& actor, std::string_view domain) {
  auto exists = find_entry(options_.domain_filter, domain, {"1.1"});
  if (!exists) return fail(std::move(exists).error());
  if (!exists->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  }
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  const std::string dn = domain_dn(domain);
  auto accounts = search(dn, Scope::kSubtree, "(objectClass=CourierMailAccount)",
                         {"mail", options_.account_attribute});
  if (!accounts) return fail(std::move(accounts).error());
  auto retired =
      search(dn, Scope::kSubtree, "(&(objectClass=organizationalRole)(cn=retired-mailboxes))",
             {"description"});
  if (!retired) return fail(std::move(retired).error());
  std::vector<std::string> mailboxes;
  for (const Entry& e : *retired) {
    for (const std::string& m : e.values("description")) mailboxes.push_back(m);
  }
  for (const Entry& e : *accounts) {
    std::string address = ascii_lower(trim(e.first("mail")));
    if (!address.empty()) HM_TRY(remove_roles_of(*who, address));
    Account a = to_account(e);
    if (!a.mailbox.empty()) mailboxes.push_back(a.mailbox);
  }
  // The mailboxes outlive the domain, in the list under the base.
  HM_TRY(retire(*who, retired_dn(""), mailboxes));
  return delete_subtree(*who, dn);
}

Attributes LdapDirectory::account_attributes(const Account& a) const {
  std::string local(local_part_of(a.address));
  Attributes attrs = {
      {"cn", {a.name.empty() ? local : a.name}},
      {"userPassword", a.password_hash.empty() ? std::vector<std::string>{}
                                               : std::vector<std::string>{a.password_hash}},
      {"homeDirectory", {a.home_directory.empty() ? options_.default_home : a.home_directory}},
      {options_.account_attribute,
       a.mailbox.empty() ? std::vector<std::string>{} : std::vector<std::string>{a.mailbox}},
      {"uidNumber", {std::to_string(a.uid_number)}},
      {"gidNumber", {std::to_string(a.gid_number)}},
      {"quota", a.quota_bytes ? std::vector<std::string>{std::to_string(a.quota_bytes)}
                              : std::vector<std::string>{}},
      {"disableimap", a.disable_imap ? std::vector<std::string>{"1"} : std::vector<std::string>{}},
      {"disablepop3", a.disable_pop3 ? std::vector<std::string>{"1"} : std::vector<std::string>{}},
  };
  return attrs;
}

// A check before the write, so two writers may still race: slapd's `unique`
// overlay on the mailbox attribute closes that (docs/ldap/slapd.conf.example).
Status LdapDirectory::mailbox_free(const Account& account) {
  std::string_view key = rules::mailbox_key(account.mailbox);
  if (key.empty()) return ok();
  const std::string& attr = options_.account_attribute;
  std::string value = escape_filter_value(key);
  std::string filter = fmt::format("(&(objectClass=CourierMailAccount)(|({}={})({}={}/)))", attr,
                                   value, attr, value);
  auto found = search(options_.base, Scope::kSubtree, filter, {"mail"}, 2);
  if (!found) return fail(std::move(found).error());
  for (const Entry& e : *found) {
    std::string holder = ascii_lower(trim(e.first("mail")));
    if (holder != account.address) return fail(rules::mailbox_taken(account.mailbox, holder));
  }
  return ok();
}

Status LdapDirectory::add_account(const Actor& actor, const Account& account) {
  HM_TRY(check_account_address(account.address));
  std::string_view domain = domain_of(account.address);
  auto hosted = find_entry(options_.domain_filter, domain, {"1.1"});
  if (!hosted) return fail(std::move(hosted).error());
  if (!hosted->has_value()) return fail(not_hosted(domain));
  auto existing = find_entry(options_.account_filter, account.address, {"1.1"});
  if (!existing) return fail(std::move(existing).error());
  if (existing->has_value()) {
    return fail(ErrorKind::kExists, fmt::format("account {} already exists", account.address));
  }
  auto alias = find_entry(options_.alias_filter, account.address, {"1.1"});
  if (!alias) return fail(std::move(alias).error());
  if (alias->has_value()) return fail(account_is_alias(account.address));
  HM_TRY(mailbox_free(account));
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());

  Attributes attrs = {{"objectClass", {"top", "inetOrgPerson", "CourierMailAccount"}},
                      {"mail", {account.address}},
                      {"sn", {std::string(local_part_of(account.address))}}};
  for (auto& [name, values] : account_attributes(account)) {
    if (!values.empty()) attrs.emplace_back(name, values);
  }
  auto added = write(*who, [&](Connection& c) { return c.add(entry_dn(account.address), attrs); });
  if (!added && added.error().kind() == ErrorKind::kExists) {
    return fail(
        ErrorKind::kExists,
        fmt::format("account {} already exists (or an entry with its DN)", account.address));
  }
  return added;
}

Status LdapDirectory::update_account(const Actor& actor, const Account& account) {
  auto existing = find_entry(options_.account_filter, account.address, account_attribute_names());
  if (!existing) return fail(std::move(existing).error());
  if (!existing->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", account.address));
  }
  HM_TRY(mailbox_free(account));
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  std::vector<Modification> mods;
  // Only what changes is written: slapd's rules may let a postmaster change
  // a password but not where the mail is stored (mailbox, homeDirectory,
  // uidNumber, gidNumber; docs/ldap/slapd.conf.example). Replace with no
  // values removes an attribute, and is no error when absent.
  for (auto& [name, values] : account_attributes(account)) {
    if ((*existing)->values(name) == values) continue;
    mods.push_back({Op::kReplace, name, values});
  }
  if (mods.empty()) return ok();
  return write(*who, [&](Connection& c) { return c.modify((*existing)->dn, mods); });
}

Status LdapDirectory::delete_account(const Actor& actor, std::string_view address) {
  auto existing = find_entry(options_.account_filter, address, account_attribute_names());
  if (!existing) return fail(std::move(existing).error());
  if (!existing->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", address));
  }
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  // Roles first: if slapd refuses (a postmaster deleting an account that
  // administers another domain), nothing has changed yet.
  HM_TRY(remove_roles_of(*who, address));
  Account a = to_account(**existing);
  HM_TRY(retire(*who, retired_dn(domain_of(address)), {a.mailbox}));
  auto removed = write(*who, [&](Connection& c) { return c.remove((*existing)->dn); });
  if (!removed && removed.error().kind() == ErrorKind::kNotFound) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", address));
  }
  return removed;
}

Status LdapDirectory::add_alias(const Actor& actor, const Alias& alias) {
  HM_TRY(check_alias(alias));
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  return add_alias_as(*who, alias);
}

Status LdapDirectory::add_alias_as(const Identity& who, const Alias& alias) {
  HM_TRY(check_alias(alias));
  std::vector<std::string> drops;
  for (const std::string& m : alias.maildrops) {
    if (!contains_ci(drops, m)) drops.push_back(m);
  }
  const std::string& address = alias.address;
  std::string_view domain = domain_of(address);
  for (int attempt = 0;; ++attempt) {
    auto existing = find_entry(options_.alias_filter, address, {options_.alias_attribute});
    if (!existing) return fail(std::move(existing).error());
    Status status = ok();
    if (existing->has_value()) {
      std::vector<std::string> fresh;
      for (const std::string& m : drops) {
        if (!contains_ci((*existing)->values(options_.alias_attribute), m)) fresh.push_back(m);
      }
      if (fresh.empty()) return ok();
      status = write(who, [&](Connection& c) {
        return c.modify((*existing)->dn, {{Op::kAdd, options_.alias_attribute, fresh}});
      });
    } else {
      auto account = find_entry(options_.account_filter, address, {"1.1"});
      if (!account) return fail(std::move(account).error());
      if (account->has_value()) return fail(alias_is_account(address));
      auto hosted = find_entry(options_.domain_filter, domain, {"1.1"});
      if (!hosted) return fail(std::move(hosted).error());
      if (!hosted->has_value()) return fail(not_hosted(domain));
      if (address == "postmaster@" + std::string(domain)) {
        // The postmaster alias shares its entry with the domain's role.
        std::string dn = postmaster_dn(domain);
        auto role = search(dn, Scope::kBase, "(objectClass=*)", {"objectClass"});
        if (!role) return fail(std::move(role).error());
        if (!role->empty()) {
          std::vector<Modification> mods = {{Op::kAdd, "mail", {address}},
                                            {Op::kAdd, options_.alias_attribute, drops}};
          if (!role->front().has_class("CourierMailAlias")) {
            mods.insert(mods.begin(), {Op::kAdd, "objectClass", {"CourierMailAlias"}});
          }
          status = write(who, [&](Connection& c) { return c.modify(dn, mods); });
        } else {
          status = write(who, [&](Connection& c) {
            return c.add(dn, {{"objectClass", {"top", "organizationalRole", "CourierMailAlias"}},
                              {"cn", {"postmaster"}},
                              {"mail", {address}},
                              {options_.alias_attribute, drops}});
          });
        }
      } else {
        status = write(who, [&](Connection& c) {
          return c.add(entry_dn(address),
                       {{"objectClass", {"top", "nisMailAlias", "CourierMailAlias"}},
                        {"cn", {address}},
                        {"mail", {address}},
                        {options_.alias_attribute, drops}});
        });
      }
    }
    // Another writer got in between our read and our write: read again.
    if (!status && status.error().kind() == ErrorKind::kExists && attempt < kRaceRetries) continue;
    return status;
  }
}

Status LdapDirectory::delete_alias(const Actor& actor, std::string_view address,
                                   std::string_view maildrop) {
  auto existing = find_entry(options_.alias_filter, address,
                             {"objectClass", "roleOccupant", options_.alias_attribute});
  if (!existing) return fail(std::move(existing).error());
  if (!existing->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("alias {} does not exist", address));
  }
  const Entry& e = **existing;
  const auto& drops = e.values(options_.alias_attribute);
  if (!maildrop.empty() && !contains_ci(drops, maildrop)) {
    return fail(ErrorKind::kNotFound,
                fmt::format("alias {} has no maildrop {}", address, maildrop));
  }
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  if (!maildrop.empty() && drops.size() > 1) {
    return write(*who, [&](Connection& c) {
      return c.modify(e.dn, {{Op::kDelete, options_.alias_attribute, {std::string(maildrop)}}});
    });
  }
  // The whole alias goes. On the postmaster entry the role stays while it has
  // occupants.
  if (e.has_class("organizationalRole") && !e.values("roleOccupant").empty()) {
    return write(*who, [&](Connection& c) {
      return c.modify(e.dn, {{Op::kDelete, "objectClass", {"CourierMailAlias"}},
                             {Op::kDelete, "mail", {}},
                             {Op::kDelete, options_.alias_attribute, {}}});
    });
  }
  return write(*who, [&](Connection& c) { return c.remove(e.dn); });
}

Status LdapDirectory::grant_postmaster(const Actor& actor, std::string_view domain,
                                       std::string_view address) {
  HM_TRY(check_account_address(address));
  auto hosted = find_entry(options_.domain_filter, domain, {"1.1"});
  if (!hosted) return fail(std::move(hosted).error());
  if (!hosted->has_value()) return fail(not_hosted(domain));
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  const std::string dn = postmaster_dn(domain);
  const std::string occupant = entry_dn(address);
  for (int attempt = 0;; ++attempt) {
    auto added = write(*who, [&](Connection& c) {
      return c.modify(dn, {{Op::kAdd, "roleOccupant", {occupant}}});
    });
    if (added || added.error().kind() == ErrorKind::kExists) return ok();
    if (added.error().kind() != ErrorKind::kNotFound || attempt >= kRaceRetries) return added;
    auto created = write(*who, [&](Connection& c) {
      return c.add(dn, {{"objectClass", {"top", "organizationalRole"}},
                        {"cn", {"postmaster"}},
                        {"roleOccupant", {occupant}}});
    });
    if (created) return ok();
    if (created.error().kind() != ErrorKind::kExists) return created;
  }
}

Status LdapDirectory::revoke_postmaster(const Actor& actor, std::string_view domain,
                                        std::string_view address) {
  auto hosted = find_entry(options_.domain_filter, domain, {"1.1"});
  if (!hosted) return fail(std::move(hosted).error());
  if (!hosted->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  }
  auto who = writer(actor);
  if (!who) return fail(std::move(who).error());
  auto removed = write(*who, [&](Connection& c) {
    return c.modify(postmaster_dn(domain), {{Op::kDelete, "roleOccupant", {entry_dn(address)}}});
  });
  if (!removed && removed.error().kind() == ErrorKind::kNotFound) {
    return fail(ErrorKind::kNotFound,
                fmt::format("{} is not a postmaster of domain {}", address, domain));
  }
  return removed;
}

}  // namespace hm::directory::ldap
