#include "directory/memory/memory_directory.h"

#include <fmt/format.h>

#include "directory/backend_rules.h"

#include <algorithm>

namespace hm::directory::memory {
namespace {

using rules::account_is_alias;
using rules::alias_is_account;
using rules::check_account_address;
using rules::check_alias;
using rules::check_domain_name;
using rules::domain_of;
using rules::mailbox_key;
using rules::mailbox_taken;
using rules::not_hosted;

Error unavailable() {
  return Error(ErrorKind::kTemporary, "the directory is unavailable; try again later",
               "MemoryDirectory::set_unavailable(true)");
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

Status MemoryDirectory::available() const {
  if (unavailable_) return fail(unavailable());
  return ok();
}

// ---- helpers ----

Status MemoryDirectory::insert_alias(State& state, const Alias& alias) {
  HM_TRY(check_alias(alias));
  std::string_view domain = domain_of(alias.address);
  if (!state.domains.contains(domain)) return fail(not_hosted(domain));
  if (state.accounts.contains(alias.address)) {
    return fail(ErrorKind::kExists,
                fmt::format("{} is already an account; an alias cannot have the same address",
                            alias.address));
  }
  std::vector<std::string>& maildrops = state.aliases[alias.address];
  for (const std::string& maildrop : alias.maildrops) {
    if (!contains(maildrops, maildrop)) maildrops.push_back(maildrop);
  }
  return ok();
}

void MemoryDirectory::remove_account(State& state, const std::string& address) {
  auto it = state.accounts.find(address);
  const std::string& mailbox = it->second.mailbox;
  // try_emplace keeps the first owner, as SQLite's INSERT OR IGNORE does.
  if (!mailbox.empty()) state.retired_mailboxes.try_emplace(mailbox, address);
  for (auto role = state.postmasters.begin(); role != state.postmasters.end();) {
    std::erase(role->second, address);
    role = role->second.empty() ? state.postmasters.erase(role) : std::next(role);
  }
  state.accounts.erase(it);
}

// ---- lookups ----

Result<std::optional<Domain>> MemoryDirectory::find_domain(std::string_view domain) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  if (!state_.domains.contains(domain)) return std::nullopt;
  return Domain{std::string(domain)};
}

Result<std::optional<Account>> MemoryDirectory::find_account(std::string_view address) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.accounts.find(address);
  if (it == state_.accounts.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<Alias>> MemoryDirectory::find_alias(std::string_view address) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.aliases.find(address);
  if (it == state_.aliases.end()) return std::nullopt;
  return Alias{it->first, it->second};
}

Result<std::vector<std::string>> MemoryDirectory::postmasters(std::string_view domain) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.postmasters.find(domain);
  if (it == state_.postmasters.end()) return std::vector<std::string>{};
  return it->second;
}

Result<std::vector<std::string>> MemoryDirectory::domains_administered_by(
    std::string_view address) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  std::vector<std::string> domains;  // sorted, since the map is
  for (const auto& [domain, occupants] : state_.postmasters) {
    if (contains(occupants, address)) domains.push_back(domain);
  }
  return domains;
}

// ---- listings ----

Result<std::vector<Domain>> MemoryDirectory::list_domains() {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  std::vector<Domain> domains;
  for (const std::string& name : state_.domains) domains.push_back(Domain{name});
  return domains;
}

Result<std::vector<Account>> MemoryDirectory::list_accounts(std::string_view domain) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  std::vector<Account> accounts;
  for (const auto& [address, account] : state_.accounts) {
    if (domain.empty() || domain_of(address) == domain) accounts.push_back(account);
  }
  return accounts;
}

Result<std::vector<Alias>> MemoryDirectory::list_aliases(std::string_view domain) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  std::vector<Alias> aliases;
  for (const auto& [address, maildrops] : state_.aliases) {
    if (domain.empty() || domain_of(address) == domain)
      aliases.push_back(Alias{address, maildrops});
  }
  return aliases;
}

Result<bool> MemoryDirectory::is_mailbox_retired(std::string_view mailbox) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  return state_.retired_mailboxes.contains(mailbox);
}

Result<std::optional<std::vector<std::string>>> MemoryDirectory::list_retired_mailboxes() {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [mailbox, address] : state_.retired_mailboxes) out.push_back(mailbox);
  return std::optional(std::move(out));
}

// ---- changes ----

Status MemoryDirectory::retire_mailboxes(const Actor& /*actor*/,
                                         const std::vector<std::string>& mailboxes) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  for (const std::string& m : mailboxes) {
    if (!m.empty()) state_.retired_mailboxes.try_emplace(m, std::string());
  }
  return ok();
}

Status MemoryDirectory::add_domain(const Actor& /*actor*/, const Domain& domain,
                                   const std::vector<Alias>& initial_aliases) {
  HM_TRY(available());
  HM_TRY(check_domain_name(domain.name));
  std::lock_guard lock(mutex_);
  if (state_.domains.contains(domain.name)) {
    return fail(ErrorKind::kExists, fmt::format("domain {} already exists", domain.name));
  }
  State next = state_;
  next.domains.insert(domain.name);
  for (const Alias& alias : initial_aliases) HM_TRY(insert_alias(next, alias));
  state_ = std::move(next);
  return ok();
}

Status MemoryDirectory::delete_domain(const Actor& /*actor*/, std::string_view domain) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.domains.find(domain);
  if (it == state_.domains.end()) {
    return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  }
  std::vector<std::string> accounts;
  for (const auto& [address, account] : state_.accounts) {
    if (domain_of(address) == domain) accounts.push_back(address);
  }
  for (const std::string& address : accounts) remove_account(state_, address);
  std::erase_if(state_.aliases,
                [&](const auto& entry) { return domain_of(entry.first) == domain; });
  state_.postmasters.erase(std::string(domain));
  state_.domains.erase(it);
  return ok();
}

Status MemoryDirectory::mailbox_free(const Account& account) const {
  if (account.mailbox.empty()) return ok();
  for (const auto& [address, other] : state_.accounts) {
    if (address != account.address && mailbox_key(other.mailbox) == mailbox_key(account.mailbox)) {
      return fail(mailbox_taken(account.mailbox, address));
    }
  }
  return ok();
}

Status MemoryDirectory::add_account(const Actor& /*actor*/, const Account& account) {
  HM_TRY(available());
  HM_TRY(check_account_address(account.address));
  std::string_view domain = domain_of(account.address);
  std::lock_guard lock(mutex_);
  if (!state_.domains.contains(domain)) return fail(not_hosted(domain));
  if (state_.accounts.contains(account.address)) {
    return fail(ErrorKind::kExists, fmt::format("account {} already exists", account.address));
  }
  if (state_.aliases.contains(account.address)) {
    return fail(ErrorKind::kExists,
                fmt::format("{} is already an alias; delete the alias or choose another address",
                            account.address));
  }
  HM_TRY(mailbox_free(account));
  state_.accounts.emplace(account.address, account);
  return ok();
}

Status MemoryDirectory::update_account(const Actor& /*actor*/, const Account& account) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.accounts.find(account.address);
  if (it == state_.accounts.end()) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", account.address));
  }
  HM_TRY(mailbox_free(account));
  it->second = account;
  return ok();
}

Status MemoryDirectory::delete_account(const Actor& /*actor*/, std::string_view address) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  if (!state_.accounts.contains(address)) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", address));
  }
  remove_account(state_, std::string(address));
  return ok();
}

Status MemoryDirectory::add_alias(const Actor& /*actor*/, const Alias& alias) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  return insert_alias(state_, alias);
}

Status MemoryDirectory::delete_alias(const Actor& /*actor*/, std::string_view address,
                                     std::string_view maildrop) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  auto it = state_.aliases.find(address);
  if (it == state_.aliases.end()) {
    return fail(ErrorKind::kNotFound, fmt::format("alias {} does not exist", address));
  }
  if (!maildrop.empty()) {
    auto drop = std::find(it->second.begin(), it->second.end(), maildrop);
    if (drop == it->second.end()) {
      return fail(ErrorKind::kNotFound,
                  fmt::format("alias {} has no maildrop {}", address, maildrop));
    }
    it->second.erase(drop);
  }
  if (maildrop.empty() || it->second.empty()) state_.aliases.erase(it);
  return ok();
}

Status MemoryDirectory::grant_postmaster(const Actor& /*actor*/, std::string_view domain,
                                         std::string_view address) {
  HM_TRY(available());
  HM_TRY(check_account_address(address));
  std::lock_guard lock(mutex_);
  if (!state_.domains.contains(domain)) return fail(not_hosted(domain));
  std::vector<std::string>& occupants = state_.postmasters[std::string(domain)];
  if (!contains(occupants, address)) occupants.emplace_back(address);
  return ok();
}

Status MemoryDirectory::revoke_postmaster(const Actor& /*actor*/, std::string_view domain,
                                          std::string_view address) {
  HM_TRY(available());
  std::lock_guard lock(mutex_);
  if (!state_.domains.contains(domain)) {
    return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  }
  auto role = state_.postmasters.find(domain);
  if (role == state_.postmasters.end() || !contains(role->second, address)) {
    return fail(ErrorKind::kNotFound,
                fmt::format("{} is not a postmaster of domain {}", address, domain));
  }
  std::erase(role->second, address);
  if (role->second.empty()) state_.postmasters.erase(role);
  return ok();
}

}  // namespace hm::directory::memory
