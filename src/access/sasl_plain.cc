#include "access/sasl_plain.h"

namespace hm::mail_access {

std::optional<PlainCredentials> parse_sasl_plain(std::string_view r) {
  const size_t a = r.find('\0');
  const size_t b = a == std::string_view::npos ? a : r.find('\0', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  PlainCredentials c;
  c.authzid = std::string(r.substr(0, a));
  c.login = std::string(r.substr(a + 1, b - a - 1));
  c.password = std::string(r.substr(b + 1));
  return c;
}

}  // namespace hm::mail_access
