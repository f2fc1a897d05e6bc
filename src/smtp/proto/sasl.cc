#include "smtp/proto/sasl.h"

#include "base/base64.h"
#include "base/strings.h"

namespace hm::smtp::proto {

std::optional<SaslMechanism> sasl_mechanism(std::string_view name) {
  if (iequals(name, "PLAIN")) return SaslMechanism::kPlain;
  if (iequals(name, "LOGIN")) return SaslMechanism::kLogin;
  return std::nullopt;
}

std::optional<SaslCredentials> decode_plain(std::string_view base64) {
  // RFC 4954 4: "=" is an empty initial response, which PLAIN cannot use.
  if (base64 == "=") return std::nullopt;
  auto decoded = base64_decode(base64);
  if (!decoded) return std::nullopt;
  const std::string& text = *decoded;
  const size_t first = text.find('\0');
  if (first == std::string::npos) return std::nullopt;
  const size_t second = text.find('\0', first + 1);
  if (second == std::string::npos || text.find('\0', second + 1) != std::string::npos) {
    return std::nullopt;
  }
  SaslCredentials c;
  const std::string authzid = text.substr(0, first);
  c.login = text.substr(first + 1, second - first - 1);
  c.password = text.substr(second + 1);
  if (!authzid.empty() && authzid != c.login) return std::nullopt;
  return c;
}

std::optional<std::string> decode_login_line(std::string_view base64) {
  if (base64 == "=") return std::string();
  auto decoded = base64_decode(base64);
  if (!decoded || decoded->find('\0') != std::string::npos) return std::nullopt;
  return decoded;
}

Reply auth_succeeded() { return make_reply(235, "2.7.0", "Authentication successful"); }
Reply auth_invalid() { return make_reply(535, "5.7.8", "Authentication credentials invalid"); }
Reply auth_temporary() {
  return make_reply(454, "4.7.0", "Temporary authentication failure, try again later");
}
Reply auth_needs_encryption() {
  return make_reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
}
Reply auth_required() { return make_reply(530, "5.7.0", "Authentication required"); }
Reply auth_cancelled() { return make_reply(501, "5.0.0", "Authentication cancelled"); }
Reply auth_malformed() {
  return make_reply(501, "5.5.2", "Cannot decode the authentication response");
}
Reply auth_unknown_mechanism() {
  return make_reply(504, "5.5.4", "Unrecognized authentication mechanism; use PLAIN or LOGIN");
}

}  // namespace hm::smtp::proto
