#include "directory/snapshot.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "directory/address.h"

namespace hm::directory {

void canonicalize(Snapshot& s) {
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  auto by_address = [](const auto& a, const auto& b) { return a.address < b.address; };
  std::sort(s.domains.begin(), s.domains.end(), by_name);
  std::sort(s.accounts.begin(), s.accounts.end(), by_address);
  std::sort(s.aliases.begin(), s.aliases.end(), by_address);
  std::erase_if(s.roles, [](const PostmasterRole& r) { return r.occupants.empty(); });
  std::sort(s.roles.begin(), s.roles.end(),
            [](const PostmasterRole& a, const PostmasterRole& b) { return a.domain < b.domain; });
  std::sort(s.retired_mailboxes.begin(), s.retired_mailboxes.end());
  s.retired_mailboxes.erase(std::unique(s.retired_mailboxes.begin(), s.retired_mailboxes.end()),
                            s.retired_mailboxes.end());
}

Result<Snapshot> take_snapshot(Directory& directory) {
  Snapshot s;
  auto domains = directory.list_domains();
  if (!domains) return fail(std::move(domains).error());
  s.domains = std::move(*domains);
  auto accounts = directory.list_accounts("");
  if (!accounts) return fail(std::move(accounts).error());
  s.accounts = std::move(*accounts);
  auto aliases = directory.list_aliases("");
  if (!aliases) return fail(std::move(aliases).error());
  s.aliases = std::move(*aliases);
  for (const Domain& d : s.domains) {
    auto occupants = directory.postmasters(d.name);
    if (!occupants) return fail(std::move(occupants).error());
    if (!occupants->empty()) s.roles.push_back({d.name, std::move(*occupants)});
  }
  auto retired = directory.list_retired_mailboxes();
  if (!retired) return fail(std::move(retired).error());
  if (retired->has_value()) s.retired_mailboxes = std::move(**retired);
  canonicalize(s);
  return s;
}

namespace {

template <typename T, typename Key>
std::map<std::string, const T*> index_by(const std::vector<T>& items, Key key) {
  std::map<std::string, const T*> out;
  for (const T& item : items) out[key(item)] = &item;
  return out;
}

Status with_context(Status s, const std::string& what) {
  if (!s) return fail(std::move(s).error().prefix(what));
  return s;
}

}  // namespace

Status apply_snapshot(Directory& directory, const Actor& actor, const Snapshot& target) {
  auto current_or = take_snapshot(directory);
  if (!current_or) return fail(std::move(current_or).error());
  const Snapshot& current = *current_or;

  auto domain_key = [](const Domain& d) { return d.name; };
  auto address_key = [](const auto& x) { return x.address; };
  auto have_domains = index_by(current.domains, domain_key);
  auto want_domains = index_by(target.domains, domain_key);
  auto have_accounts = index_by(current.accounts, address_key);
  auto want_accounts = index_by(target.accounts, address_key);
  auto have_aliases = index_by(current.aliases, address_key);
  auto want_aliases = index_by(target.aliases, address_key);

  // The retired list only grows: what the target retires and the directory
  // does not know yet is added, and nothing is taken off it. First, so that
  // no account added below can be handed a path the target retires.
  std::vector<std::string> to_retire;
  std::set_difference(target.retired_mailboxes.begin(), target.retired_mailboxes.end(),
                      current.retired_mailboxes.begin(), current.retired_mailboxes.end(),
                      std::back_inserter(to_retire));
  if (!to_retire.empty()) {
    HM_TRY(with_context(directory.retire_mailboxes(actor, to_retire),
                        "recording " + std::to_string(to_retire.size()) + " retired mailbox(es)"));
  }

  // Removals first, so that an address may move from alias to account.
  for (const auto& [name, d] : have_domains) {
    if (!want_domains.count(name)) {
      HM_TRY(with_context(directory.delete_domain(actor, name), "deleting domain " + name));
    }
  }
  for (const auto& [address, a] : have_aliases) {
    if (!want_domains.count(std::string(domain_of(address)))) continue;  // went with its domain
    auto want = want_aliases.find(address);
    if (want == want_aliases.end() || want->second->maildrops != a->maildrops) {
      HM_TRY(with_context(directory.delete_alias(actor, address, ""), "deleting alias " + address));
    }
  }
  for (const auto& [address, a] : have_accounts) {
    if (!want_domains.count(std::string(domain_of(address)))) continue;
    if (!want_accounts.count(address)) {
      HM_TRY(with_context(directory.delete_account(actor, address), "deleting account " + address));
    }
  }

  for (const auto& [name, d] : want_domains) {
    if (!have_domains.count(name)) {
      HM_TRY(with_context(directory.add_domain(actor, *d, {}), "adding domain " + name));
    }
  }
  for (const auto& [address, a] : want_accounts) {
    auto have = have_accounts.find(address);
    bool domain_survived = have != have_accounts.end() &&
                           have_domains.count(std::string(domain_of(address))) &&
                           want_domains.count(std::string(domain_of(address)));
    if (have == have_accounts.end() || !domain_survived) {
      HM_TRY(with_context(directory.add_account(actor, *a), "adding account " + address));
    } else if (!(*have->second == *a)) {
      HM_TRY(with_context(directory.update_account(actor, *a), "updating account " + address));
    }
  }
  for (const auto& [address, a] : want_aliases) {
    auto have = have_aliases.find(address);
    bool unchanged = have != have_aliases.end() && have->second->maildrops == a->maildrops &&
                     have_domains.count(std::string(domain_of(address)));
    if (!unchanged) {
      HM_TRY(with_context(directory.add_alias(actor, *a), "adding alias " + address));
    }
  }

  // Roles: compare occupant sets per domain.
  std::map<std::string, std::set<std::string>> have_roles, want_roles;
  for (const PostmasterRole& r : current.roles) {
    if (!want_domains.count(r.domain)) continue;
    have_roles[r.domain].insert(r.occupants.begin(), r.occupants.end());
  }
  for (const PostmasterRole& r : target.roles) {
    want_roles[r.domain].insert(r.occupants.begin(), r.occupants.end());
  }
  for (const auto& [domain, occupants] : have_roles) {
    for (const std::string& o : occupants) {
      if (!want_roles[domain].count(o)) {
        HM_TRY(with_context(directory.revoke_postmaster(actor, domain, o),
                            "revoking postmaster " + o + " of " + domain));
      }
    }
  }
  for (const PostmasterRole& r : target.roles) {
    for (const std::string& o : r.occupants) {
      if (!have_roles[r.domain].count(o)) {
        HM_TRY(with_context(directory.grant_postmaster(actor, r.domain, o),
                            "granting postmaster of " + r.domain + " to " + o));
      }
    }
  }
  return ok();
}

}  // namespace hm::directory
