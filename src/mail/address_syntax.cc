#include "mail/address_syntax.h"

#include "base/strings.h"

namespace hm::mail {
namespace {

constexpr size_t kMaxLabel = 63;

bool is_alnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string_view domain_of(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

std::string_view local_part_of(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

size_t utf8_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < s.size() && at(k) >= lo && at(k) <= hi;
  };
  const unsigned c = at(i);
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x80) continue;
    const size_t len = utf8_sequence(s, i);
    if (len == 0) return false;
    i += len - 1;
  }
  return true;
}

size_t local_part_end(std::string_view m) {
  if (m.empty() || m.front() != '"') return m.rfind('@');
  size_t i = 1;
  while (i < m.size() && m[i] != '"') i += m[i] == '\\' ? 2 : 1;
  if (i >= m.size()) return std::string_view::npos;
  const size_t at = i + 1;
  if (at >= m.size() || m[at] != '@') return std::string_view::npos;
  return at;
}

bool is_dot_string(std::string_view s, bool utf8, bool strict) {
  if (s.empty() || s.front() == '.') return false;
  if (strict && s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (strict && s[i - 1] == '.') return false;
      continue;
    }
    if (is_atext(c)) continue;
    if (c >= 0x80 && utf8) {
      const size_t len = utf8_sequence(s, i);
      if (len == 0) return false;
      i += len - 1;
      continue;
    }
    return false;
  }
  return true;
}

QuotedError check_quoted_string(std::string_view s, bool utf8, std::string* content) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return QuotedError::kUnbalanced;
  std::string text;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return QuotedError::kDanglingBackslash;
      // quoted-pairSMTP is a backslash and a printable ASCII character: never
      // a control, which would reach Return-Path: and Delivered-To: raw.
      const auto escaped = static_cast<unsigned char>(s[++i]);
      if (escaped < 32 || escaped > 126) return QuotedError::kBadEscape;
      text += static_cast<char>(escaped);
    } else if (c >= 0x80) {
      const size_t len = utf8 ? utf8_sequence(s, i) : 0;
      if (len == 0) return QuotedError::kBadCharacter;
      text.append(s.substr(i, len));
      i += len - 1;
    } else if (c == '"' || c < 32 || c == 127) {
      return QuotedError::kBadCharacter;
    } else {
      text += static_cast<char>(c);
    }
  }
  if (content) *content = std::move(text);
  return QuotedError::kNone;
}

DomainError check_domain(std::string_view d, const DomainSyntax& syntax, char* bad) {
  if (d.empty()) return DomainError::kEmpty;
  if (d.size() > syntax.max_length) return DomainError::kTooLong;
  size_t label_start = 0;
  for (size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      const std::string_view label = d.substr(label_start, i - label_start);
      if (label.empty()) return DomainError::kEmptyLabel;
      if (label.size() > kMaxLabel) return DomainError::kLongLabel;
      if (label.front() == '-' || label.back() == '-') return DomainError::kHyphenAtEdge;
      label_start = i + 1;
      continue;
    }
    const auto c = static_cast<unsigned char>(d[i]);
    if (is_alnum(c) || c == '-' || (syntax.underscore && c == '_')) continue;
    if (c >= 0x80 && syntax.utf8) {
      const size_t len = utf8_sequence(d, i);
      if (len != 0) {
        i += len - 1;
        continue;
      }
    }
    if (bad) *bad = d[i];
    return DomainError::kBadCharacter;
  }
  return DomainError::kNone;
}

}  // namespace hm::mail
