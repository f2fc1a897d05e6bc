// LdapDirectory: logins (bind as the account, or compare hashes).

#include <chrono>
#include <string>

#include "directory/ldap/ldap_directory.h"

namespace hm::directory::ldap {
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

}  // namespace hm::directory::ldap
