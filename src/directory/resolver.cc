#include "directory/resolver.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/strings.h"
#include "directory/address.h"

namespace hm::directory {

LocalUserLookup system_local_user_lookup() {
  return [](std::string_view name) -> Result<std::optional<LocalUser>> {
    std::string n(name);
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
    passwd pw{};
    passwd* found = nullptr;
    int rc = getpwnam_r(n.c_str(), &pw, buffer.data(), buffer.size(), &found);
    if (rc != 0 && rc != ENOENT && rc != ESRCH) {
      return fail(ErrorKind::kTemporary, "cannot look up local account", n);
    }
    if (found == nullptr) return std::optional<LocalUser>();
    return std::optional<LocalUser>(LocalUser{static_cast<uint32_t>(found->pw_uid)});
  };
}

bool is_system_account(const LocalUser& user, uint32_t first_valid_uid) {
  return user.uid == 0 || user.uid < first_valid_uid;
}

// State of one resolve() call.
struct Resolver::Walk {
  Resolution result;
  std::vector<std::string> path;  // aliases being expanded, outermost first
  size_t reached = 0;             // destinations met, repeats included
};

Resolver::Resolver(Directory& directory, ResolverOptions options)
    : directory_(directory), options_(std::move(options)) {
  if (!options_.local_user) options_.local_user = system_local_user_lookup();
  for (std::string& d : options_.local_domains) d = ascii_lower(d);
}

bool Resolver::is_local_domain(std::string_view domain) const {
  return options_.local_enabled &&
         std::find(options_.local_domains.begin(), options_.local_domains.end(), domain) !=
             options_.local_domains.end();
}

Result<Resolution> Resolver::resolve(std::string_view input) const {
  std::string_view trimmed = trim(input);
  Walk walk;
  // Mail for postmaster that leads nowhere goes to postmaster_address, or
  // is refused for now: never accepted only to be dropped.
  auto reach_a_person = [&]() -> Result<Resolution> {
    if (walk.result.destinations.empty() && !options_.postmaster_address.empty()) {
      walk.path.clear();
      HM_TRY(expand_maildrop(options_.postmaster_address, walk));
    }
    if (walk.result.destinations.empty()) {
      return fail(
          ErrorKind::kTemporary,
          "mail for " + walk.result.address + " has nowhere to go on this server; try again later",
          "its aliases lead nowhere (" + join(walk.result.dead_ends, ", ") +
              "): set [server] postmaster_address, or alias postmaster to a person in "
              "the aliases file ([local] aliases)");
    }
    return std::move(walk.result);
  };
  if (iequals(trimmed, "postmaster")) {
    walk.result.address = "postmaster";
    HM_TRY(expand_maildrop(options_.postmaster_maildrop, walk));
    return reach_a_person();
  }
  auto address = normalize_address(trimmed);
  if (!address) return fail(std::move(address).error());
  walk.result.address = *address;
  auto one_read = directory_.read_scope();  // the domain, then each address of the walk

  std::string_view domain = domain_of(*address);
  auto hosted = directory_.find_domain(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!hosted->has_value() && !is_local_domain(domain)) {
    walk.result.hosted = false;
    walk.result.destinations.push_back({Destination::Kind::kExternal, *address, {}, {}});
    return std::move(walk.result);
  }
  HM_TRY(expand_address(*address, walk));
  if (walk.result.destinations.empty() && is_postmaster_address(*address)) {
    return reach_a_person();
  }
  if (walk.result.destinations.empty()) {
    // Every path ended in an unknown address: for the sender, the recipient
    // does not exist.
    return fail(ErrorKind::kNotFound, "no such user here: " + *address,
                "aliases lead nowhere: " + join(walk.result.dead_ends, ", "));
  }
  return std::move(walk.result);
}

Status Resolver::add_destination(Destination d, Walk& walk) const {
  auto& dests = walk.result.destinations;
  ++walk.reached;
  if (std::find(dests.begin(), dests.end(), d) != dests.end()) return ok();
  if (dests.size() >= options_.max_destinations) {
    return fail(ErrorKind::kLimit, "alias " + walk.result.address + " expands to more than " +
                                       std::to_string(options_.max_destinations) + " destinations");
  }
  dests.push_back(std::move(d));
  return ok();
}

Status Resolver::may_enter(const std::string& name, const Walk& walk) const {
  if (std::find(walk.path.begin(), walk.path.end(), name) != walk.path.end()) {
    std::vector<std::string> cycle(walk.path);
    cycle.push_back(name);
    return fail(ErrorKind::kLoop, "alias loop for " + walk.result.address,
                "loop: " + join(cycle, " -> "));
  }
  if (walk.path.size() >= options_.max_depth) {
    return fail(ErrorKind::kLoop,
                "aliases for " + walk.result.address + " are nested deeper than " +
                    std::to_string(options_.max_depth) + " levels",
                "path: " + join(walk.path, " -> "));
  }
  return ok();
}

bool Resolver::is_postmaster_address(std::string_view address) const {
  std::string_view local = local_part_of(address);
  return local == "postmaster" || local == "abuse";
}

Result<bool> Resolver::expand_local_name(const std::string& name, Walk& walk) const {
  HM_TRY(may_enter(name, walk));
  auto alias = options_.system_aliases.find(name);
  if (alias != options_.system_aliases.end()) {
    walk.path.push_back(name);
    size_t before = walk.reached;
    for (const std::string& target : alias->second) {
      Status s = expand_maildrop(target, walk);
      if (!s) {
        walk.path.pop_back();
        return fail(std::move(s).error());
      }
    }
    walk.path.pop_back();
    return walk.reached > before;
  }
  if (!options_.local_enabled || !is_local_name(name)) return false;
  auto user = options_.local_user(name);
  if (!user) return fail(std::move(user).error());
  if (!user->has_value() || is_system_account(**user, options_.first_valid_uid)) return false;
  HM_TRY(add_destination({Destination::Kind::kLocal, name, {}, {}}, walk));
  return true;
}

Status Resolver::expand_maildrop(const std::string& maildrop, Walk& walk) const {
  if (maildrop.find('@') == std::string::npos) {
    auto found = expand_local_name(maildrop, walk);
    if (!found) return fail(std::move(found).error());
    if (!*found) walk.result.dead_ends.push_back(maildrop);
    return ok();
  }
  auto address = normalize_address(maildrop);
  if (!address) {
    // A malformed maildrop in the directory is the administrator's mistake,
    // not the sender's: skip it, say so in the log via dead_ends.
    walk.result.dead_ends.push_back(maildrop);
    return ok();
  }
  std::string_view domain = domain_of(*address);
  auto hosted = directory_.find_domain(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!hosted->has_value() && !is_local_domain(domain)) {
    return add_destination({Destination::Kind::kExternal, *address, {}, {}}, walk);
  }
  return expand_address(*address, walk);
}

Status Resolver::expand_address(const std::string& address, Walk& walk) const {
  HM_TRY(may_enter(address, walk));

  std::string_view local = local_part_of(address);
  std::string_view domain = domain_of(address);

  std::vector<std::string> candidates{address};
  const std::string& delim = options_.recipient_delimiter;
  if (!delim.empty()) {
    size_t cut = local.find_first_of(delim);
    if (cut != std::string_view::npos && cut > 0) {
      candidates.push_back(std::string(local.substr(0, cut)) + "@" + std::string(domain));
    }
  }

  // Expands an alias's maildrops with this address on the path.
  auto expand_alias = [&](const Alias& alias) -> Status {
    walk.path.push_back(address);
    for (const std::string& maildrop : alias.maildrops) {
      Status s = expand_maildrop(maildrop, walk);
      if (!s) {
        walk.path.pop_back();
        return s;
      }
    }
    walk.path.pop_back();
    return ok();
  };

  for (const std::string& candidate : candidates) {
    auto entry = directory_.find_alias_or_account(candidate);
    if (!entry) return fail(std::move(entry).error());
    if (entry->alias) return expand_alias(*entry->alias);
    if (entry->account) {
      const Account& a = *entry->account;
      return add_destination(
          {Destination::Kind::kVirtual, a.address, a.home_directory, a.mailbox, a.quota_bytes},
          walk);
    }
  }

  if (is_local_domain(domain)) {
    std::string user(local);
    if (!delim.empty()) user = user.substr(0, std::min(user.find_first_of(delim), user.size()));
    if (is_local_name(user)) {
      walk.path.push_back(address);
      auto found = expand_local_name(user, walk);
      walk.path.pop_back();
      if (!found) return fail(std::move(found).error());
      if (*found) return ok();
    }
  }

  // Only now the catch-all: an account beats it (the seed's accountsmap).
  auto catch_all = directory_.find_alias("@" + std::string(domain));
  if (!catch_all) return fail(std::move(catch_all).error());
  if (catch_all->has_value()) return expand_alias(**catch_all);

  if (local == "postmaster") return expand_maildrop(options_.postmaster_maildrop, walk);

  walk.result.dead_ends.push_back(address);
  return ok();
}

}  // namespace hm::directory
