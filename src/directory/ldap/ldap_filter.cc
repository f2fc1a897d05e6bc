#include "directory/ldap/ldap_filter.h"

#include "base/strings.h"

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

namespace {

// "(NAME=VALUE)" with a plain attribute name and a value without filter
// syntax; nullopt for anything else (presence, substrings, ranges, nesting).
std::optional<std::pair<std::string_view, std::string_view>> simple_term(std::string_view t) {
  if (t.size() < 4 || t.front() != '(' || t.back() != ')') return std::nullopt;
  t = t.substr(1, t.size() - 2);
  size_t eq = t.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  std::string_view name = t.substr(0, eq), value = t.substr(eq + 1);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == ';';
    if (!ok) return std::nullopt;
  }
  if (value.empty() || value.find_first_of("()*\\<>~") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{name, value};
}

}  // namespace

std::optional<ClassFilter> parse_class_filter(std::string_view pattern) {
  if (pattern.size() < 4 || pattern.substr(0, 2) != "(&" || pattern.back() != ')') {
    return std::nullopt;
  }
  std::string_view body = pattern.substr(2, pattern.size() - 3);
  size_t split = body.find(")(");
  if (split == std::string_view::npos) return std::nullopt;
  auto first = simple_term(body.substr(0, split + 1));
  auto second = simple_term(body.substr(split + 1));
  if (!first || !second) return std::nullopt;
  if (iequals(first->first, "objectClass")) std::swap(first, second);
  if (!iequals(second->first, "objectClass") || first->second != "%s") return std::nullopt;
  if (second->second.find('%') != std::string_view::npos) return std::nullopt;
  return ClassFilter{std::string(first->first), std::string(second->second)};
}

}  // namespace hm::directory::ldap
