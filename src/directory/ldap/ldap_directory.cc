#include "directory/ldap/ldap_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "base/log.h"
#include "base/strings.h"
#include "directory/backend_rules.h"
#include "directory/ldap/ldap_directory_detail.h"
#include "directory/ldap/ldap_filter.h"
#include "ldif/dn.h"

namespace hm::directory::ldap {
namespace {

using rules::check_account_address;
using rules::domain_of;
using namespace detail;

}  // namespace

Result<std::unique_ptr<LdapDirectory>> LdapDirectory::open(LdapOptions options) {
  if (options.uris.empty()) {
    return fail(ErrorKind::kInvalid,
                "no LDAP server given; set [directory.ldap] uris, e.g. [\"ldap://127.0.0.1\"]");
  }
  if (options.base.empty() || !ldif::parse_dn(options.base)) {
    return fail(ErrorKind::kInvalid,
                "[directory.ldap] base '" + options.base +
                    "' is not a DN; set it to e.g. \"o=hosting,dc=myhosting,dc=example\"");
  }
  for (const std::string* f :
       {&options.account_filter, &options.alias_filter, &options.domain_filter}) {
    HM_TRY(check_filter(*f));
  }
  if (options.account_attribute.empty() || options.alias_attribute.empty()) {
    return fail(ErrorKind::kInvalid,
                "[directory.ldap] account_attribute and alias_attribute must not be empty");
  }
  std::unique_ptr<LdapDirectory> dir(new LdapDirectory(std::move(options)));
  const LdapOptions& o = dir->options_;
  // Without a cache there is nothing to keep coherent.
  if (o.follow_changes != FollowMode::kOff && o.cache_ttl.count() > 0) {
    FollowOptions f;
    f.uris = join(o.uris, " ");
    f.base = o.base;
    f.identity = dir->service();
    f.timeout = o.timeout;
    f.mode = o.follow_changes;
    dir->follower_ =
        std::make_unique<ChangeFollower>(std::move(f), [d = dir.get()] { d->invalidate(); });
  }
  return dir;
}

LdapDirectory::LdapDirectory(LdapOptions options)
    : options_(std::move(options)),
      pool_(join(options_.uris, " "), options_.timeout, options_.pool_size),
      auth_pool_(join(options_.uris, " "), options_.timeout, options_.pool_size),
      domain_cache_(options_.cache_ttl),
      account_cache_(options_.cache_ttl),
      alias_cache_(options_.cache_ttl),
      dn_cache_(options_.cache_ttl) {
  auto alias = parse_class_filter(options_.alias_filter);
  auto account = parse_class_filter(options_.account_filter);
  // Both filters must test the same attribute against the address: an entry
  // the OR finds then matches the address, and its classes alone say which
  // filter it satisfies.
  if (alias && account && iequals(alias->attribute, account->attribute) &&
      !iequals(alias->object_class, account->object_class)) {
    std::vector<std::string> attributes = account_attribute_names();
    attributes.push_back(options_.alias_attribute);
    attributes.emplace_back("objectClass");
    combined_ = Combined{alias->object_class, account->object_class, std::move(attributes)};
  }
}

std::string LdapDirectory::describe() const {
  return "ldap:" + join(options_.uris, " ") + " base " + options_.base;
}

std::string LdapDirectory::domain_dn(std::string_view domain) const {
  return ldif::format_dn({{"o", std::string(domain)}}) + "," + options_.base;
}

std::string LdapDirectory::entry_dn(std::string_view address) const {
  return ldif::format_dn({{"mail", std::string(address)}}) + "," + domain_dn(domain_of(address));
}

std::string LdapDirectory::postmaster_dn(std::string_view domain) const {
  return "cn=postmaster," + domain_dn(domain);
}

std::string LdapDirectory::retired_dn(std::string_view domain) const {
  return "cn=retired-mailboxes," + (domain.empty() ? options_.base : domain_dn(domain));
}

void LdapDirectory::invalidate() {
  domain_cache_.clear();
  account_cache_.clear();
  alias_cache_.clear();
  dn_cache_.clear();
}

// ---- reading ----

Result<std::vector<Entry>> LdapDirectory::search(const std::string& base, Scope scope,
                                                 const std::string& filter,
                                                 const std::vector<std::string>& attributes,
                                                 int size_limit) {
  std::vector<Entry> out;
  searches_.fetch_add(1, std::memory_order_relaxed);
  auto status = pool_.run(service(), [&](Connection& c) -> Status {
    auto found = c.search(base, scope, filter, attributes, size_limit);
    if (!found) return fail(std::move(found).error());
    out = std::move(*found);
    return ok();
  });
  if (!status) return fail(std::move(status).error());
  return out;
}

Result<std::optional<Entry>> LdapDirectory::find_entry(const std::string& pattern,
                                                       std::string_view key,
                                                       const std::vector<std::string>& attributes) {
  auto filter = expand_filter(pattern, key);
  if (!filter) return fail(std::move(filter).error());
  auto found = search(options_.base, Scope::kSubtree, *filter, attributes, 2);
  if (!found) return fail(std::move(found).error());
  if (found->empty()) return std::optional<Entry>();
  if (found->size() > 1) {
    log::warning("LDAP filter {} matches several entries; using {}", *filter, found->front().dn);
  }
  return std::optional<Entry>(std::move(found->front()));
}

std::vector<std::string> LdapDirectory::account_attribute_names() const {
  return {"mail",      "cn",        "userPassword", "homeDirectory", options_.account_attribute,
          "uidNumber", "gidNumber", "quota",        "disableimap",   "disablepop3"};
}

Account LdapDirectory::to_account(const Entry& e) const {
  Account a;
  a.address = ascii_lower(trim(e.first("mail")));
  a.password_hash = e.first("userPassword");
  std::string cn = e.first("cn");
  a.name = cn == local_part_of(a.address) ? std::string() : cn;
  a.home_directory = e.first("homeDirectory");
  if (a.home_directory == options_.default_home) a.home_directory.clear();
  a.mailbox = e.first(options_.account_attribute);
  if (!a.mailbox.empty() && a.mailbox.back() != '/') a.mailbox += '/';
  a.uid_number = static_cast<uint32_t>(to_number(e.first("uidNumber")));
  a.gid_number = static_cast<uint32_t>(to_number(e.first("gidNumber")));
  a.quota_bytes = to_number(e.first("quota"));
  a.disable_imap = truthy(e.first("disableimap"));
  a.disable_pop3 = truthy(e.first("disablepop3"));
  return a;
}

Alias LdapDirectory::to_alias(const Entry& e) const {
  Alias a;
  a.address = ascii_lower(trim(e.first("mail")));
  a.maildrops = e.values(options_.alias_attribute);
  return a;
}

Result<std::optional<Domain>> LdapDirectory::find_domain(std::string_view domain) {
  uint64_t generation = domain_cache_.begin();
  // Only what exists is served from the cache: a miss is always asked
  // live, so an entry added a moment ago by any tool is found, and a cached
  // "no" never turns into a 5xx for real mail (one search, as in Postfix).
  if (auto hit = domain_cache_.get(domain); hit && hit->has_value()) return *hit;
  auto e = find_entry(options_.domain_filter, domain, {"1.1"});
  if (!e) return fail(std::move(e).error());
  std::optional<Domain> result;
  if (e->has_value()) result = Domain{std::string(domain)};
  domain_cache_.put(domain, result, generation);
  return result;
}

Result<std::optional<Account>> LdapDirectory::find_account(std::string_view address) {
  uint64_t generation = account_cache_.begin();
  uint64_t dn_generation = dn_cache_.begin();
  if (auto hit = account_cache_.get(address); hit && hit->has_value()) return *hit;
  auto e = find_entry(options_.account_filter, address, account_attribute_names());
  if (!e) return fail(std::move(e).error());
  std::optional<Account> result;
  if (e->has_value()) {
    result = to_account(**e);
    result->address = std::string(address);
    dn_cache_.put(address, (*e)->dn, dn_generation);
    remember_dn(address, (*e)->dn, dn_generation);
  }
  account_cache_.put(address, result, generation);
  return result;
}

Result<std::optional<Alias>> LdapDirectory::find_alias(std::string_view address) {
  uint64_t generation = alias_cache_.begin();
  if (auto hit = alias_cache_.get(address); hit && hit->has_value()) return *hit;
  auto e = find_entry(options_.alias_filter, address, {"mail", options_.alias_attribute});
  if (!e) return fail(std::move(e).error());
  std::optional<Alias> result;
  if (e->has_value()) {
    result = to_alias(**e);
    result->address = std::string(address);
  }
  alias_cache_.put(address, result, generation);
  return result;
}

Result<std::vector<std::string>> LdapDirectory::postmasters(std::string_view domain) {
  std::vector<std::string> out;
  if (domain.empty()) return out;
  auto found = search(postmaster_dn(domain), Scope::kBase, "(objectClass=*)", {"roleOccupant"});
  if (!found) return fail(std::move(found).error());
  for (const Entry& e : *found) {
    for (const std::string& dn : e.values("roleOccupant")) {
      std::string address = occupant_address(dn);
      if (!address.empty()) out.push_back(address);
    }
  }
  return out;
}

Result<std::vector<std::string>> LdapDirectory::domains_administered_by(std::string_view address) {
  std::vector<std::string> out;
  if (check_account_address(address).has_value() == false) return out;
  std::string filter = "(&(objectClass=organizationalRole)(cn=postmaster)(roleOccupant=" +
                       escape_filter_value(entry_dn(address)) + "))";
  auto found = search(options_.base, Scope::kSubtree, filter, {"1.1"});
  if (!found) return fail(std::move(found).error());
  for (const Entry& e : *found) {
    auto rdns = ldif::parse_dn(e.dn);
    if (!rdns || rdns->size() < 2 || (*rdns)[1].attribute != "o") continue;
    out.push_back(ascii_lower((*rdns)[1].value));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<Domain>> LdapDirectory::list_domains() {
  auto found = search(options_.base, Scope::kOneLevel, "(objectClass=organization)", {"1.1"});
  if (!found) return fail(std::move(found).error());
  std::vector<Domain> out;
  for (const Entry& e : *found) {
    auto rdns = ldif::parse_dn(e.dn);
    if (!rdns || rdns->empty() || (*rdns)[0].attribute != "o") continue;
    // o=hosting-like organizations that are not mail domains have no dot.
    if ((*rdns)[0].value.find('.') == std::string::npos) continue;
    out.push_back(Domain{ascii_lower((*rdns)[0].value)});
  }
  std::sort(out.begin(), out.end(),
            [](const Domain& a, const Domain& b) { return a.name < b.name; });
  return out;
}

namespace {
std::string class_filter(std::string_view object_class, std::string_view domain) {
  std::string f = "(objectClass=" + std::string(object_class) + ")";
  if (domain.empty()) return f;
  return "(&" + f + "(mail=*@" + escape_filter_value(domain) + "))";
}
}  // namespace

Result<std::vector<Account>> LdapDirectory::list_accounts(std::string_view domain) {
  auto found = search(options_.base, Scope::kSubtree, class_filter("CourierMailAccount", domain),
                      account_attribute_names());
  if (!found) return fail(std::move(found).error());
  std::vector<Account> out;
  for (const Entry& e : *found) {
    Account a = to_account(e);
    if (a.address.empty() || (!domain.empty() && domain_of(a.address) != domain)) continue;
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(),
            [](const Account& a, const Account& b) { return a.address < b.address; });
  return out;
}

Result<std::vector<Alias>> LdapDirectory::list_aliases(std::string_view domain) {
  auto found = search(options_.base, Scope::kSubtree, class_filter("CourierMailAlias", domain),
                      {"mail", options_.alias_attribute});
  if (!found) return fail(std::move(found).error());
  std::vector<Alias> out;
  for (const Entry& e : *found) {
    Alias a = to_alias(e);
    if (a.address.empty() || (!domain.empty() && domain_of(a.address) != domain)) continue;
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(),
            [](const Alias& a, const Alias& b) { return a.address < b.address; });
  return out;
}

Result<bool> LdapDirectory::is_mailbox_retired(std::string_view mailbox) {
  if (mailbox.empty()) return false;
  std::string filter = "(&(objectClass=organizationalRole)(cn=retired-mailboxes)(description=" +
                       escape_filter_value(mailbox) + "))";
  auto found = search(options_.base, Scope::kSubtree, filter, {"1.1"}, 1);
  if (!found) return fail(std::move(found).error());
  return !found->empty();
}

Result<std::optional<std::vector<std::string>>> LdapDirectory::list_retired_mailboxes() {
  auto found =
      search(options_.base, Scope::kSubtree,
             "(&(objectClass=organizationalRole)(cn=retired-mailboxes))", {"description"}, 0);
  if (!found) return fail(std::move(found).error());
  std::vector<std::string> paths;
  for (const Entry& e : *found) {
    for (const std::string& p : e.values("description")) paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return std::optional<std::vector<std::string>>(std::move(paths));
}

Result<AddressEntry> LdapDirectory::find_alias_or_account(std::string_view address) {
  if (!combined_) return Directory::find_alias_or_account(address);
  uint64_t alias_generation = alias_cache_.begin();
  uint64_t account_generation = account_cache_.begin();
  uint64_t dn_generation = dn_cache_.begin();
  if (auto alias = alias_cache_.get(address)) {
    if (alias->has_value()) return AddressEntry{std::move(*alias), std::nullopt};
    if (auto account = account_cache_.get(address); account && account->has_value()) {
      return AddressEntry{std::nullopt, std::move(*account)};
    }
  }
  auto alias_filter = expand_filter(options_.alias_filter, address);
  if (!alias_filter) return fail(std::move(alias_filter).error());
  auto account_filter = expand_filter(options_.account_filter, address);
  if (!account_filter) return fail(std::move(account_filter).error());
  const std::string filter = "(|" + *alias_filter + *account_filter + ")";
  // Room for one alias and one account, and a duplicate of each to warn about.
  constexpr int kLimit = 4;
  auto found = search(options_.base, Scope::kSubtree, filter, combined_->attributes, kLimit);
  if (!found) return fail(std::move(found).error());
  const Entry* alias_entry = nullptr;
  const Entry* account_entry = nullptr;
  for (const Entry& e : *found) {
    // An entry with both classes is both, as the two searches would see it.
    for (auto [cls, slot, what] :
         {std::tuple{&combined_->alias_class, &alias_entry, "alias"},
          std::tuple{&combined_->account_class, &account_entry, "account"}}) {
      if (!e.has_class(*cls)) continue;
      if (*slot == nullptr) {
        *slot = &e;
      } else {
        log::warning("LDAP {} filter matches several entries for {}; using {}", what, address,
                     (*slot)->dn);
      }
    }
  }
  AddressEntry out;
  std::optional<Account> account;
  if (alias_entry != nullptr) {
    out.alias = to_alias(*alias_entry);
    out.alias->address = std::string(address);
  }
  if (account_entry != nullptr) {
    account = to_account(*account_entry);
    account->address = std::string(address);
    dn_cache_.put(address, account_entry->dn, dn_generation);
  }
  alias_cache_.put(address, out.alias, alias_generation);
  account_cache_.put(address, account, account_generation);
  if (!out.alias) out.account = std::move(account);
  return out;
}

}  // namespace hm::directory::ldap
