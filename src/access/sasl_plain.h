#pragma once
// The decoded response of SASL PLAIN (RFC 4616): authzid NUL authcid NUL
// passwd, for IMAP's AUTHENTICATE and POP3's AUTH alike.

#include <optional>
#include <string>
#include <string_view>

namespace hm::mail_access {

struct PlainCredentials {
  std::string authzid;  // empty: act as the authcid
  std::string login;    // authcid
  std::string password;
};

// nullopt when `decoded` lacks its two NULs.
std::optional<PlainCredentials> parse_sasl_plain(std::string_view decoded);

}  // namespace hm::mail_access
