#include "directory/address.h"

#include <idn2.h>

#include <memory>

#include "base/strings.h"

namespace hm::directory {
namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 4.5.3.1.1
constexpr size_t kMaxDomain = 253;    // RFC 1035, without the trailing dot
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxAddress = 254;  // RFC 5321 path limit less the brackets

// atext, plus the UTF-8 bytes RFC 6531 allows (validated by the caller).
bool is_local_part_char(unsigned char c) { return c >= 0x80 || hm::is_atext(c); }

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i - 1] == '.') return false;
      continue;
    }
    if (!is_local_part_char(c)) return false;
  }
  return true;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
    } else if ((c >> 4) == 0xE) {
      extra = 2;
    } else if ((c >> 3) == 0x1E) {
      extra = 3;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

Result<std::string> check_ldh_labels(const std::string& domain) {
  if (domain.size() > kMaxDomain) {
    return fail(ErrorKind::kInvalid, "domain '" + domain + "' is longer than 253 characters");
  }
  for (const std::string& label : split(domain, '.')) {
    if (label.empty()) {
      return fail(ErrorKind::kInvalid, "domain '" + domain + "' has an empty label");
    }
    if (label.size() > kMaxLabel) {
      return fail(ErrorKind::kInvalid,
                  "domain '" + domain + "' has a label longer than 63 characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail(ErrorKind::kInvalid,
                  "domain '" + domain + "': a label may not begin or end with '-'");
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return fail(ErrorKind::kInvalid, "domain '" + domain + "' contains '" + std::string(1, c) +
                                             "': only letters, digits and '-' are allowed");
      }
    }
  }
  return domain;
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

  if (!is_valid_utf8(d)) {
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
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) {
    return fail(ErrorKind::kInvalid,
                "'" + std::string(s) + "' is not a mail address: expected local-part@domain");
  }
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.empty()) {
    return fail(ErrorKind::kInvalid, "'" + std::string(s) + "' has an empty local part");
  }
  if (!is_valid_utf8(local)) {
    return fail(ErrorKind::kInvalid, "the local part of '" + std::string(s) + "' is not UTF-8");
  }
  Address a;
  if (local.front() == '"') {
    // Quoted-string (RFC 5321 4.1.2): qtext or backslash-quoted pairs.
    if (local.size() < 2 || local.back() != '"') {
      return fail(ErrorKind::kInvalid, "unbalanced quotes in '" + std::string(s) + "'");
    }
    std::string content;
    for (size_t i = 1; i + 1 < local.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(local[i]);
      if (c == '\\') {
        if (i + 2 >= local.size()) {
          return fail(ErrorKind::kInvalid, "dangling backslash in '" + std::string(s) + "'");
        }
        // quoted-pairSMTP is a backslash and a printable ASCII character
        // (RFC 5321 4.1.2): never a control character, which would reach
        // Return-Path: and Delivered-To: raw.
        unsigned char escaped = static_cast<unsigned char>(local[++i]);
        if (escaped < 32 || escaped > 126) {
          return fail(ErrorKind::kInvalid,
                      "bad character after a backslash in '" + std::string(s) + "'");
        }
        content += static_cast<char>(escaped);
      } else if (c == '"' || c < 32 || c == 127) {
        return fail(ErrorKind::kInvalid,
                    "bad character in quoted local part of '" + std::string(s) + "'");
      } else {
        content += static_cast<char>(c);
      }
    }
    // A quoted local part that needs no quotes is the same mailbox as the
    // unquoted one (RFC 5321 2.4): keep only one spelling.
    if (is_dot_atom(content)) {
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
    if (!is_dot_atom(local)) {
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

std::string_view domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

std::string_view local_part_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

}  // namespace hm::directory
