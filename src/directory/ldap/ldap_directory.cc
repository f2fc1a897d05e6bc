#include "directory/ldap/ldap_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "base/log.h"
#include "base/strings.h"
#include "directory/backend_rules.h"
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

constexpr int kRaceRetries = 5;

std::string_view local_part_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

bool contains_ci(const std::vector<std::string>& values, std::string_view v) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& x) { return iequals(x, v); });
}

uint64_t to_number(std::string_view text) {
  uint64_t n = 0;
  text = trim(text);
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

bool truthy(std::string_view v) {
  v = trim(v);
  return v == "1" || iequals(v, "true") || iequals(v, "yes");
}

// The address a roleOccupant DN names (its leading mail=), or "".
std::string occupant_address(std::string_view dn) {
  auto rdns = ldif::parse_dn(dn);
  if (!rdns || rdns->empty() || (*rdns)[0].attribute != "mail") return {};
  return ascii_lower((*rdns)[0].value);
}

using Op = Modification::Op;

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

// ---- authentication ----

namespace {

// The DN the last find_account on this thread found. A login is find_account
// and then a bind as the account's DN, on the same thread one after the other:
// with the cache off, this spares the bind a second search for the same DN.
// Only this directory object's, only as long as no write through it cleared
// its caches, and only for a moment, so that it never stands in for a cache.
struct RecentDn {
  const void* owner = nullptr;
  uint64_t generation = 0;
  std::chrono::steady_clock::time_point found;
  std::string address;
  std::string dn;
};
thread_local RecentDn recent_dn;
constexpr auto kRecentDnLife = std::chrono::seconds(1);

}  // namespace

void LdapDirectory::remember_dn(std::string_view address, const std::string& dn,
                                uint64_t generation) const {
  recent_dn.owner = this;
  recent_dn.generation = generation;
  recent_dn.found = std::chrono::steady_clock::now();
  recent_dn.address.assign(address);
  recent_dn.dn = dn;
}

std::optional<std::string> LdapDirectory::recent_dn_of(std::string_view address) const {
  if (recent_dn.owner != this || recent_dn.address != address ||
      recent_dn.generation != dn_cache_.begin() ||
      std::chrono::steady_clock::now() - recent_dn.found > kRecentDnLife) {
    return std::nullopt;
  }
  // Used once: a second login on this thread searches again.
  recent_dn.owner = nullptr;
  return std::move(recent_dn.dn);
}

Result<std::string> LdapDirectory::account_dn(std::string_view address) {
  uint64_t generation = dn_cache_.begin();
  if (auto hit = dn_cache_.get(address)) return *hit;
  if (auto recent = recent_dn_of(address)) return *recent;
  auto e = find_entry(options_.account_filter, address, {"1.1"});
  if (!e) return fail(std::move(e).error());
  if (!e->has_value()) return std::string();
  dn_cache_.put(address, (*e)->dn, generation);
  return (*e)->dn;
}

Result<bool> LdapDirectory::verify_password(std::string_view address, std::string_view password) {
  if (!options_.auth_by_bind) return Directory::verify_password(address, password);
  // An empty password would be an "unauthenticated bind", which succeeds.
  if (password.empty()) return false;
  auto dn = account_dn(address);
  if (!dn) return fail(std::move(dn).error());
  if (dn->empty()) return false;
  auto status = auth_pool_.run(Identity{*dn, std::string(password)},
                               [](Connection&) -> Status { return ok(); });
  if (status) return true;
  if (status.error().kind() == ErrorKind::kAuthFailed) return false;
  return fail(std::move(status).error());
}

// ---- writing ----

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
