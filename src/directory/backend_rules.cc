#include "directory/backend_rules.h"

#include <fmt/format.h>

namespace hm::directory::rules {

Status check_domain_name(std::string_view name) {
  if (name.empty() || name.find('@') != std::string_view::npos) {
    return fail(ErrorKind::kInvalid, fmt::format("\"{}\" is not a valid domain name", name));
  }
  return ok();
}

Status check_account_address(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return fail(
        ErrorKind::kInvalid,
        fmt::format("\"{}\" is not a valid account address (expected local-part@domain)", address));
  }
  return ok();
}

Status check_alias(const Alias& alias) {
  size_t at = alias.address.rfind('@');
  if (at == std::string::npos || at + 1 == alias.address.size()) {
    return fail(ErrorKind::kInvalid,
                fmt::format("\"{}\" is not a valid alias address (expected local-part@domain, "
                            "or @domain for the catch-all)",
                            alias.address));
  }
  if (alias.maildrops.empty()) {
    return fail(ErrorKind::kInvalid,
                fmt::format("alias {} needs at least one maildrop", alias.address));
  }
  for (const std::string& maildrop : alias.maildrops) {
    if (maildrop.empty()) {
      return fail(ErrorKind::kInvalid,
                  fmt::format("alias {} has an empty maildrop", alias.address));
    }
  }
  return ok();
}

std::string_view mailbox_key(std::string_view mailbox) {
  while (!mailbox.empty() && mailbox.back() == '/') mailbox.remove_suffix(1);
  return mailbox;
}

Error mailbox_taken(std::string_view mailbox, std::string_view holder) {
  return Error(ErrorKind::kExists,
               fmt::format("mailbox path {} is already the Maildir of {}; every account needs a "
                           "Maildir of its own",
                           mailbox, holder));
}

Error not_hosted(std::string_view domain) {
  return Error(
      ErrorKind::kNotFound,
      fmt::format("domain {} is not hosted; add it with `hostmail domain add {}`", domain, domain));
}

Error account_is_alias(std::string_view address) {
  return Error(
      ErrorKind::kExists,
      fmt::format("{} is already an alias; delete the alias or choose another address", address));
}

Error alias_is_account(std::string_view address) {
  return Error(
      ErrorKind::kExists,
      fmt::format("{} is already an account; an alias cannot have the same address", address));
}

}  // namespace hm::directory::rules
