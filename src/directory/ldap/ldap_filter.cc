#include "directory/ldap/ldap_filter.h"

namespace hm::directory::ldap {

std::string escape_filter_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0') {
      auto b = static_cast<unsigned char>(c);
      out += '\\';
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::string> expand_filter(std::string_view pattern, std::string_view key) {
  if (pattern.size() < 2 || pattern.front() != '(' || pattern.back() != ')') {
    return fail(ErrorKind::kInvalid,
                "LDAP filter '" + std::string(pattern) +
                    "' must be enclosed in parentheses, e.g. (&(mail=%s)(objectClass=...))");
  }
  size_t at = key.rfind('@');
  std::string_view local = at == std::string_view::npos ? std::string_view() : key.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? key : key.substr(at + 1);
  std::string out;
  out.reserve(pattern.size() + key.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c != '%') {
      out += c;
      continue;
    }
    char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
    switch (next) {
      case 's': out += escape_filter_value(key); break;
      case 'u': out += escape_filter_value(local); break;
      case 'd': out += escape_filter_value(domain); break;
      case '%': out += '%'; break;
      default:
        return fail(ErrorKind::kInvalid, "LDAP filter '" + std::string(pattern) +
                                             "' has a '%' that is not %s, %u, %d or %%");
    }
    ++i;
  }
  return out;
}

Status check_filter(std::string_view pattern) {
  auto expanded = expand_filter(pattern, "user@example.org");
  if (!expanded) return fail(std::move(expanded).error());
  return ok();
}

}  // namespace hm::directory::ldap
