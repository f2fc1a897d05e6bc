#include "directory/address.h"

#include <idn2.h>

#include <memory>

#include "base/strings.h"
#include "mail/address_syntax.h"

namespace hm::directory {
namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 4.5.3.1.1
constexpr size_t kMaxDomain = 253;    // RFC 1035, without the trailing dot
constexpr size_t kMaxAddress = 254;   // RFC 5321 path limit less the brackets

Result<std::string> check_ldh_labels(const std::string& domain) {
  mail::DomainSyntax syntax;
  syntax.max_length = kMaxDomain;
  char bad = 0;
  switch (mail::check_domain(domain, syntax, &bad)) {
    case mail::DomainError::kNone: return domain;
    case mail::DomainError::kEmpty: return fail(ErrorKind::kInvalid, "empty domain name");
    case mail::DomainError::kTooLong:
      return fail(ErrorKind::kInvalid, "domain '" + domain + "' is longer than 253 characters");
    case mail::DomainError::kEmptyLabel:
      return fail(ErrorKind::kInvalid, "domain '" + domain + "' has an empty label");
    case mail::DomainError::kLongLabel:
      return fail(ErrorKind::kInvalid,
                  "domain '" + domain + "' has a label longer than 63 characters");
    case mail::DomainError::kHyphenAtEdge:
      return fail(ErrorKind::kInvalid,
                  "domain '" + domain + "': a label may not begin or end with '-'");
    case mail::DomainError::kBadCharacter: break;
  }
  return fail(ErrorKind::kInvalid, "domain '" + domain + "' contains '" + std::string(1, bad) +
                                       "': only letters, digits and '-' are allowed");
}

}  // namespace

Result<std::string> normalize_domain(std::string_view input) {
  std::string_view d = input;
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty()) return fail(ErrorKind::kInvalid, "empty domain name");
  if (d.front() == '[') {
    return fail(ErrorKind::kInvalid, "address literal '" + std::string(input) +
                                         "' cannot be used here: give a domain name");
  }
  bool ascii = true;
  for (char c : d) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return check_ldh_labels(ascii_lower(d));

  if (!mail::is_valid_utf8(d)) {
    return fail(ErrorKind::kInvalid, "domain name is not valid UTF-8");
  }
  std::string u(d);
  char* out = nullptr;
  // IDNA 2008 with the UTS #46 non-transitional mapping, as browsers and
  // current MTAs do (so "ß" stays "ß", and upper case maps to lower case).
  int rc = idn2_to_ascii_8z(u.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  std::unique_ptr<char, decltype(&idn2_free)> holder(out, &idn2_free);
  if (rc != IDN2_OK) {
    return fail(ErrorKind::kInvalid,
                "domain '" + u + "' is not a valid internationalized name: " + idn2_strerror(rc));
  }
  return check_ldh_labels(ascii_lower(out));
}

Result<Address> parse_address(std::string_view input) {
  std::string_view s = trim(input);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  const size_t at = mail::local_part_end(s);
  if (at == std::string_view::npos) {
    return fail(ErrorKind::kInvalid,
                "'" + std::string(s) + "' is not a mail address: expected local-part@domain");
  }
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.empty()) {
    return fail(ErrorKind::kInvalid, "'" + std::string(s) + "' has an empty local part");
  }
  if (!mail::is_valid_utf8(local)) {
    return fail(ErrorKind::kInvalid, "the local part of '" + std::string(s) + "' is not UTF-8");
  }
  // UTF-8 local parts are stored as RFC 6531 allows them; the directory
  // judges strictly (no empty atoms), unlike the SMTP parser.
  constexpr bool kUtf8 = true;
  Address a;
  if (local.front() == '"') {
    std::string content;
    switch (mail::check_quoted_string(local, kUtf8, &content)) {
      case mail::QuotedError::kNone: break;
      case mail::QuotedError::kUnbalanced:
        return fail(ErrorKind::kInvalid, "unbalanced quotes in '" + std::string(s) + "'");
      case mail::QuotedError::kDanglingBackslash:
        return fail(ErrorKind::kInvalid, "dangling backslash in '" + std::string(s) + "'");
      case mail::QuotedError::kBadEscape:
        return fail(ErrorKind::kInvalid,
                    "bad character after a backslash in '" + std::string(s) + "'");
      case mail::QuotedError::kBadCharacter:
        return fail(ErrorKind::kInvalid,
                    "bad character in quoted local part of '" + std::string(s) + "'");
    }
    // A quoted local part that needs no quotes is the same mailbox as the
    // unquoted one (RFC 5321 2.4): keep only one spelling.
    if (mail::is_dot_string(content, kUtf8, /*strict=*/true)) {
      a.local = ascii_lower(content);
    } else {
      std::string quoted = "\"";
      for (char c : ascii_lower(content)) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      a.local = quoted + "\"";
    }
  } else {
    if (!mail::is_dot_string(local, kUtf8, /*strict=*/true)) {
      return fail(ErrorKind::kInvalid,
                  "the local part of '" + std::string(s) +
                      "' is not valid: use letters, digits and !#$%&'*+-/=?^_`{|}~ separated "
                      "by single dots");
    }
    a.local = ascii_lower(local);
  }
  if (a.local.size() > kMaxLocalPart) {
    return fail(ErrorKind::kInvalid,
                "the local part of '" + std::string(s) + "' is longer than 64 characters");
  }
  auto d = normalize_domain(domain);
  if (!d) return fail(std::move(d).error().prefix("in '" + std::string(s) + "'"));
  a.domain = std::move(*d);
  if (a.local.size() + 1 + a.domain.size() > kMaxAddress) {
    return fail(ErrorKind::kInvalid, "'" + std::string(s) + "' is longer than 254 characters");
  }
  return a;
}

Result<std::string> normalize_address(std::string_view input) {
  auto a = parse_address(input);
  if (!a) return fail(std::move(a).error());
  return a->str();
}

Result<std::string> normalize_alias_address(std::string_view input) {
  std::string_view s = trim(input);
  if (!s.empty() && s.front() == '@') {
    auto d = normalize_domain(s.substr(1));
    if (!d) return fail(std::move(d).error());
    return "@" + *d;
  }
  return normalize_address(s);
}

Result<std::string> normalize_maildrop(std::string_view input) {
  std::string_view s = trim(input);
  if (s.find('@') == std::string_view::npos) {
    if (!is_local_name(s)) {
      return fail(ErrorKind::kInvalid,
                  "maildrop '" + std::string(s) +
                      "' is neither an address nor a local account name ([a-z_][a-z0-9_.-]*)");
    }
    return std::string(s);
  }
  return normalize_address(s);
}

bool is_local_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  char first = name.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace hm::directory
