#pragma once
// Postfix-style LDAP search filters: a pattern such as
// "(&(mail=%s)(objectClass=CourierMailAccount))" with the looked-up address
// put in place of its placeholders, every value escaped per RFC 4515 so that
// an address like "*)(uid=*" is a literal that matches nothing.
//
// Placeholders: %s the whole address, %u its local part (before the last
// '@'), %d its domain (after the last '@'; the whole key when it has no '@',
// so a domain lookup passes the bare domain name), %% a literal '%'.
//
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::directory::ldap {

// The value escaped for use inside a filter (RFC 4515 section 3): '*', '(',
// ')', '\' and NUL become \2a \28 \29 \5c \00. Other bytes, UTF-8 included,
// pass unchanged.
std::string escape_filter_value(std::string_view value);

// The pattern with each placeholder replaced by the escaped part of `key`.
// kInvalid, naming the pattern, for a '%' followed by anything else or at the
// end, and for a pattern that is not parenthesized.
Result<std::string> expand_filter(std::string_view pattern, std::string_view key);

// Checks a pattern without expanding it (for check-config and open()).
Status check_filter(std::string_view pattern);

// A pattern of the shape "(&(ATTRIBUTE=%s)(objectClass=CLASS))" (the two
// terms in either order, objectClass in any case), which the defaults have.
// For such a pattern an entry matches exactly when it has the class and its
// ATTRIBUTE equals the key, which lets LdapDirectory tell from an entry's
// objectClass values which of two such filters found it.
struct ClassFilter {
  std::string attribute;
  std::string object_class;
};
std::optional<ClassFilter> parse_class_filter(std::string_view pattern);

}  // namespace hm::directory::ldap
