#pragma once
// Small helpers shared by the files of LdapDirectory (lookups, logins,
// writes). Internal to src/directory/ldap.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "ldif/dn.h"
#include "mail/address_syntax.h"

namespace hm::directory::ldap::detail {

// Writes that race another writer (an entry made or removed meanwhile) are
// tried again this many times.
inline constexpr int kRaceRetries = 5;

using mail::local_part_of;

inline bool contains_ci(const std::vector<std::string>& values, std::string_view v) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& x) { return iequals(x, v); });
}

inline uint64_t to_number(std::string_view text) {
  uint64_t n = 0;
  text = trim(text);
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

inline bool truthy(std::string_view v) {
  v = trim(v);
  return v == "1" || iequals(v, "true") || iequals(v, "yes");
}

// The address a roleOccupant DN names (its leading mail=), or "".
inline std::string occupant_address(std::string_view dn) {
  auto rdns = ldif::parse_dn(dn);
  if (!rdns || rdns->empty() || (*rdns)[0].attribute != "mail") return {};
  return ascii_lower((*rdns)[0].value);
}

}  // namespace hm::directory::ldap::detail
